import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type LogicalDump, logicalDump } from './logical-dump.js';
import { runSqliteShell } from './sqlite-shell.js';

/** One migration file of a corpus history, read the way the project that wrote it reads it. */
export interface CorpusMigration {
  version: number;
  file: string;
  /** The `-- migrate:up` section, as dbmate would hand it to SQLite. */
  up: string;
}

const UP = /^--\s*migrate:up\b/;
const DOWN = /^--\s*migrate:down\b/;

/**
 * The migrations of `history` (a folder holding `migrations/mvpN/<version>_<name>.sql` and
 * `data/at-<version>.sql`), in version order. Read without mfmig's own parser, so that the
 * reference does not share its mistakes.
 */
export function corpusMigrations(history: string): CorpusMigration[] {
  const root = join(history, 'migrations');
  const files = readdirSync(root)
    .filter((d) => /^mvp\d+$/.test(d))
    .flatMap((d) =>
      readdirSync(join(root, d))
        .filter((f) => f.endsWith('.sql'))
        .map((f) => join(root, d, f)),
    );
  return files
    .map((file) => ({ version: Number(/(\d+)_[^/]*$/.exec(file)![1]), file, up: upSection(readFileSync(file, 'utf8'), file) }))
    .sort((a, b) => a.version - b.version);
}

/** The lines between `-- migrate:up` and `-- migrate:down` (or the end). */
export function upSection(text: string, file: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => UP.test(l.trim()));
  if (start < 0) throw new Error(`${file} has no -- migrate:up line`);
  const end = lines.findIndex((l, i) => i > start && DOWN.test(l.trim()));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** The data script that populates `history` at version `at`. */
export function dataScript(history: string, at: number): string {
  const name = readdirSync(join(history, 'data')).find((f) => Number(/^at-(\d+)\.sql$/.exec(f)?.[1]) === at);
  if (!name) throw new Error(`${history} has no data/at-${at}.sql`);
  return readFileSync(join(history, 'data', name), 'utf8');
}

/**
 * What the sqlite3 shell makes of `history`: the up sections of every migration up to `through`
 * applied in version order on a fresh file, one shell process per file, with the data script of
 * version `populatedAt` run right after that version. Returns the dump of the result.
 */
export function referenceDump(history: string, through: number, file: string, populatedAt?: number): LogicalDump {
  for (const f of [file, `${file}-journal`, `${file}-wal`]) if (existsSync(f)) rmSync(f);
  runSqliteShell(file, 'PRAGMA user_version;', 'a new file');
  for (const m of corpusMigrations(history).filter((m) => m.version <= through)) {
    runSqliteShell(file, m.up, m.file);
    if (m.version === populatedAt) runSqliteShell(file, dataScript(history, populatedAt), `data/at-${populatedAt}.sql`);
  }
  return logicalDump(file);
}
