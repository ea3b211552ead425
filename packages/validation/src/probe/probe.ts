import type { SqliteConnection } from '@mfmig/core';

/**
 * One read-only query whose cost grows with the data (an integrity pragma, a foreign key
 * check, a domain scan). Probes are plain data so that they can run in a child process.
 */
export interface Probe {
  id: string;
  sql: string;
  params?: unknown[];
  /** How many result rows to keep (all are counted). Default 20. */
  keep?: number;
  /** Relative cost, to spread probes over child processes (an integrity check is the heaviest). */
  weight?: number;
}

/** What a probe returned: the first `keep` rows and the number of rows in all. */
export interface ProbeResult {
  id: string;
  rows: Record<string, unknown>[];
  total: number;
  durationMs: number;
  /** Set when the query failed: SQLite's code (`SQLITE_CORRUPT`, ...) and message. */
  error?: { code: string; message: string };
}

/** The default of {@link Probe.keep}. */
export const DEFAULT_KEEP = 20;

/**
 * Runs one probe on a connection: iterates the rows (so nothing is loaded beyond what is kept)
 * and turns a failure into a result with `error`, never an exception.
 *
 * @example
 * const result = await runProbe(conn, { id: 'quick_check', sql: 'PRAGMA quick_check' });
 * result.rows[0]; // { quick_check: 'ok' }
 */
export async function runProbe(db: SqliteConnection, probe: Probe): Promise<ProbeResult> {
  const start = performance.now();
  const keep = probe.keep ?? DEFAULT_KEEP;
  const rows: Record<string, unknown>[] = [];
  let total = 0;
  try {
    total = await db.forEachRow(probe.sql, probe.params ?? [], (row) => {
      if (rows.length < keep) rows.push(row);
    });
    return { id: probe.id, rows, total, durationMs: performance.now() - start };
  } catch (error) {
    return { id: probe.id, rows, total, durationMs: performance.now() - start, error: errorInfo(error) };
  }
}

/** The code and message of anything thrown. */
export function errorInfo(error: unknown): { code: string; message: string } {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  return { code: typeof code === 'string' ? code : 'ERROR', message: typeof message === 'string' ? message : String(error) };
}

/** True for SQLite errors that mean the file is damaged or not a database. */
export function isCorruptionCode(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}
