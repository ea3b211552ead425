import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SNAPSHOTS_TABLE, schemaHash } from '@mfmig/schema-evolution';

/** The MVP1 knowledge base, with the columns and the key every later milestone keeps. */
const KB_TABLES: [string, string, string][] = [
  [
    'kb_entries',
    'id, title, problem, solution, category, severity, created_at, updated_at, created_by, usage_count, success_count, failure_count, last_used, archived',
    'id',
  ],
  ['kb_tags', 'entry_id, tag', 'entry_id, tag'],
  ['kb_feedback', 'id, entry_id, rating, comment, created_at', 'id'],
];

const ISO_TIME = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z?$/;

/** `count:sha256` of every row of `sql`, in its order; times at or after `runsSince` (a run wrote them) are masked. */
function digestRows(db: Database.Database, sql: string, runsSince: number): string {
  const hash = createHash('sha256');
  let count = 0;
  for (const row of db.prepare(sql).raw().iterate() as Iterable<unknown[]>) {
    count++;
    const masked = row.map((v) =>
      typeof v === 'string' && ISO_TIME.test(v) && Date.parse(v.endsWith('Z') ? v : `${v.replace(' ', 'T')}Z`) >= runsSince ? '<run time>' : v,
    );
    hash.update(JSON.stringify(masked, (_k, v) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('hex') : v)));
    hash.update('\n');
  }
  return `${count}:${hash.digest('hex')}`;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Count and content sha256 of kb_entries, kb_tags and kb_feedback (MVP1 columns, ordered by key). */
export function kbChecksums(db: Database.Database): Record<string, string> {
  return Object.fromEntries(KB_TABLES.map(([table, columns, key]) => [table, digestRows(db, `SELECT ${columns} FROM ${table} ORDER BY ${key}`, Infinity)]));
}

/** Count and content sha256 of every user table (not `sqlite_`, not `mfmig_`), ordered by all columns. */
export function userTableChecksums(db: Database.Database, runsSince: number, prefix = ''): Record<string, string> {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'mfmig\\_%' ESCAPE '\\' AND name LIKE ? ESCAPE '\\' ORDER BY name",
    )
    .pluck()
    .all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as string[];
  return Object.fromEntries(tables.map((t) => [t, tableChecksum(db, t, runsSince)]));
}

/** Count and content sha256 of one table, rows ordered by every column. */
export function tableChecksum(db: Database.Database, table: string, runsSince: number): string {
  const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).map(q);
  return digestRows(db, `SELECT ${columns.join(', ')} FROM ${q(table)} ORDER BY ${columns.join(', ')}`, runsSince);
}

/** The archive tables a rollback with data preservation wrote. */
export function archiveChecksums(db: Database.Database, runsSince: number): Record<string, string> {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'mfmig\\_archive\\_%' ESCAPE '\\' ORDER BY name")
    .pluck()
    .all() as string[];
  return Object.fromEntries(tables.map((t) => [t, tableChecksum(db, t, runsSince)]));
}

/** One history row as the checks need it. */
export interface HistoryRow {
  version: number;
  status: string;
  schema_hash: string | null;
}

/** What a database file looks like when reopened after a crash. */
export interface CrashState {
  hotJournal: boolean;
  integrity: string;
  foreignKeyViolations: number;
  history: HistoryRow[];
  topVersion: number;
  liveHash: string;
  storedSnapshotHash: string | null;
  kb: Record<string, string>;
  users: Record<string, string>;
  archives: Record<string, string>;
}

/** The schema hash of the latest snapshot stored for `version` (what `loadSnapshot` rebuilds), or null. */
function storedSnapshotHash(db: Database.Database, version: number): string | null {
  if (!db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(SNAPSHOTS_TABLE)) return null;
  const row = db.prepare(`SELECT schema_hash FROM ${SNAPSHOTS_TABLE} WHERE id = (SELECT max(id) FROM ${SNAPSHOTS_TABLE} WHERE version = ?)`).get(version) as
    { schema_hash: string } | undefined;
  return row?.schema_hash ?? null;
}

/**
 * Reopens `file` read-write as a user would, with its -journal/-wal where they are (a hot journal
 * is rolled back by SQLite on this first read), and reads everything the crash checks compare.
 */
export function inspectAfterCrash(file: string, runsSince: number): CrashState {
  const journal = `${file}-journal`;
  const hotJournal = (existsSync(journal) && statSync(journal).size > 0) || existsSync(`${file}-wal`);
  const db = new Database(file, { fileMustExist: true });
  try {
    const integrity = String(db.pragma('integrity_check', { simple: true }));
    const foreignKeyViolations = (db.pragma('foreign_key_check') as unknown[]).length;
    const history = db.prepare('SELECT version, status, schema_hash FROM mfmig_history ORDER BY version').all() as HistoryRow[];
    const topVersion = history.at(-1)?.version ?? 0;
    return {
      hotJournal,
      integrity,
      foreignKeyViolations,
      history,
      topVersion,
      liveHash: schemaHash(db),
      storedSnapshotHash: topVersion > 0 ? storedSnapshotHash(db, topVersion) : null,
      kb: kbChecksums(db),
      users: userTableChecksums(db, runsSince),
      archives: archiveChecksums(db, runsSince),
    };
  } finally {
    db.close();
  }
}

/** Opens a file read-only, runs `read`, closes it. */
export function withDb<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
