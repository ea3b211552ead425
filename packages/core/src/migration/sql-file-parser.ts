import { MfmigError } from '../errors/index.js';
import { hasCode } from '../adapter/sql-splitter.js';
import type { Direction, MigrationMeta, TransactionMode } from './migration.js';

/** The parts of a dbmate-style SQL migration file. */
export interface ParsedSqlMigration {
  /** The header's `-- key: value` lines (its `transaction` applies to both directions). */
  meta: MigrationMeta & { versionLabel?: string };
  /**
   * Options written after a marker (`-- migrate:down transaction:false`): they apply to that
   * section only, and win over the header's `transaction` for it.
   */
  transactions: Partial<Record<Direction, TransactionMode>>;
  upSql: string;
  /** Undefined when the file has no down section (or an empty one). */
  downSql?: string;
  /** The file line (1-based) on which each section's SQL starts, for naming a statement's line in the file. */
  lines: Partial<Record<Direction, number>>;
}

/** A `-- migrate:...` marker line; other formats' whole-file SQL must not hold one. */
export const SQL_MARKER = /^--\s*migrate:(\S*)(.*)$/;
const MARKER = SQL_MARKER;
const HEADER = /^--\s*([a-z][a-z-]*)\s*:\s*(.*)$/;
const HEADER_KEYS = new Set(['description', 'foreign-keys', 'transaction', 'irreversible', 'version-label']);

/**
 * Parses a SQL migration with dbmate markers (`-- migrate:up`, `-- migrate:down`, options such
 * as `transaction:false` after the marker, for that section only) and an optional header of
 * `-- key: value` lines (`description`, `foreign-keys: off`, `transaction: none`,
 * `irreversible: true`, and `version-label: 1.1`, which `mfmig import` writes for Flyway files).
 *
 * @example
 * parseSqlMigration('-- migrate:up\nCREATE TABLE t (id INTEGER);\n-- migrate:down\nDROP TABLE t;\n', 'x.sql');
 */
export function parseSqlMigration(text: string, file: string): ParsedSqlMigration {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const meta: MigrationMeta & { versionLabel?: string } = {};
  const transactions: Partial<Record<Direction, TransactionMode>> = {};
  const sections: { up?: string[]; down?: string[] } = {};
  const starts: Partial<Record<Direction, number>> = {};
  let current: 'header' | 'up' | 'down' = 'header';
  lines.forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    const marker = MARKER.exec(line.trim());
    if (marker) {
      const kind = marker[1];
      if (kind !== 'up' && kind !== 'down') {
        throw invalid(`${where}: unknown marker "-- migrate:${kind}" (expected migrate:up or migrate:down)`, file);
      }
      if (sections[kind]) throw invalid(`${where}: second "-- migrate:${kind}" section`, file);
      if (kind === 'down' && !sections.up) throw invalid(`${where}: "-- migrate:down" comes before "-- migrate:up"`, file);
      applyMarkerOptions(marker[2] ?? '', kind, transactions, where, file);
      sections[kind] = [];
      starts[kind] = index + 2;
      current = kind;
      return;
    }
    if (current === 'header') {
      const trimmed = line.trim();
      if (trimmed === '') return;
      const header = HEADER.exec(trimmed);
      if (header && HEADER_KEYS.has(header[1]!)) {
        applyHeader(header[1]!, header[2]!.trim(), meta, where, file);
        return;
      }
      if (trimmed.startsWith('--')) return;
      throw invalid(`${where}: SQL before "-- migrate:up"; put statements under a -- migrate:up marker`, file);
    }
    sections[current]!.push(line);
  });
  if (!sections.up) throw invalid(`${file}: no "-- migrate:up" section`, file);
  const upSql = sections.up.join('\n').trim();
  if (!hasCode(upSql)) throw invalid(`${file}: the "-- migrate:up" section is empty`, file);
  const downSql = sections.down?.join('\n').trim();
  const sectionLines: Partial<Record<Direction, number>> = {};
  for (const kind of ['up', 'down'] as const) {
    // trim() drops the blank lines at a section's start: its SQL starts at the first line with text
    const section = sections[kind];
    if (section)
      sectionLines[kind] =
        starts[kind]! +
        Math.max(
          0,
          section.findIndex((l) => l.trim() !== ''),
        );
  }
  return { meta, transactions, upSql, downSql: downSql && hasCode(downSql) ? downSql : undefined, lines: sectionLines };
}

function applyMarkerOptions(options: string, kind: Direction, transactions: Partial<Record<Direction, TransactionMode>>, where: string, file: string): void {
  for (const option of options.trim().split(/\s+/).filter(Boolean)) {
    const [key, value] = option.split(':');
    if (key === 'transaction' && (value === 'false' || value === 'true')) {
      transactions[kind] = value === 'false' ? 'none' : 'immediate';
    } else {
      throw invalid(`${where}: unknown marker option "${option}" (only transaction:false is known)`, file);
    }
  }
}

function applyHeader(key: string, value: string, meta: MigrationMeta & { versionLabel?: string }, where: string, file: string): void {
  switch (key) {
    case 'version-label':
      if (!/^[0-9][0-9A-Za-z._-]{0,40}$/.test(value)) throw invalid(`${where}: version-label must be a version such as 1.1, not "${value}"`, file);
      meta.versionLabel = value;
      return;
    case 'description':
      if (!value) throw invalid(`${where}: empty description`, file);
      meta.description = value;
      return;
    case 'foreign-keys':
      if (value !== 'on' && value !== 'off') throw invalid(`${where}: foreign-keys must be "on" or "off", not "${value}"`, file);
      meta.foreignKeys = value;
      return;
    case 'transaction':
      if (value !== 'immediate' && value !== 'none') {
        throw invalid(`${where}: transaction must be "immediate" or "none", not "${value}"`, file);
      }
      meta.transaction = value as TransactionMode;
      return;
    case 'irreversible':
      if (value !== 'true' && value !== 'false') throw invalid(`${where}: irreversible must be "true" or "false"`, file);
      meta.irreversible = value === 'true';
      return;
  }
}

function invalid(message: string, file: string): MfmigError {
  return new MfmigError('MIGRATION_INVALID', `Malformed migration ${message}`, { context: { file } });
}
