/** What one entry of a migrations folder is, judged from its name (and, for `NNNN_name.sql`, its markers). */
export type EntryKind =
  /** `mvpN/`: an mfmig milestone folder. */
  | 'milestone-dir'
  /** `NNNN_name.sql` with `-- migrate:up` (mfmig flat, dbmate). */
  | 'marked'
  /** `NNNN_name.ts|js`: an mfmig module. */
  | 'module'
  /** `NNNN_name.sql` without markers: the whole file is the up (sqlx). */
  | 'plain'
  /** `NNNN_name.up.sql` / `NNNN_name.down.sql` (golang-migrate, sqlx reversible). */
  | 'up'
  | 'down'
  /** Flyway `V1__name.sql`, `U1__name.sql`, `R__name.sql`. */
  | 'flyway-versioned'
  | 'flyway-undo'
  | 'flyway-repeatable'
  /** Prisma `<timestamp>_name/migration.sql`. */
  | 'prisma-dir';

/** One classified entry of a migrations folder. */
export interface FolderEntry {
  kind: EntryKind;
  /** The entry's name in the folder. */
  entry: string;
  /** Absolute path of the migration file (for a Prisma folder, its `migration.sql`; for `mvpN/`, the folder). */
  path: string;
  /** The version as written: `0007`, `1.1` for Flyway, the milestone number for `mvpN/`; empty for `R__`. */
  version: string;
  /** The name after the version: `add_notes`. */
  name: string;
  /** The file's text, when classifying it needed reading it. */
  text?: string;
}

/** The family a kind belongs to, for messages about folders that mix formats. */
export const FAMILY_OF: Record<EntryKind, string> = {
  'milestone-dir': 'mfmig milestone folders (mvpN/)',
  marked: 'mfmig/dbmate files (-- migrate:up)',
  module: 'mfmig modules (.ts/.js)',
  plain: 'sqlx files without markers',
  up: 'golang-migrate .up.sql/.down.sql files',
  down: 'golang-migrate .up.sql/.down.sql files',
  'flyway-versioned': 'Flyway files',
  'flyway-undo': 'Flyway files',
  'flyway-repeatable': 'Flyway files',
  'prisma-dir': 'Prisma migration folders',
};
