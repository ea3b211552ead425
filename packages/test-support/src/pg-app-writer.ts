import pg from 'pg';
import { quoteIdentifier } from '@mfmig/core';
import { withClient } from './scratch-postgres.js';

/** What the application saw: writes committed and the errors of those that failed. */
export interface PgAppReport {
  written: number;
  failures: string[];
}

/**
 * An application beside a test on the knowledge base: one new KB entry and one feedback row on it
 * every 10 ms, each pair in its own transaction, until `stop()`; in `schema` when given, else in
 * the login's current schema.
 *
 * @example
 * const app = await startPgKbWriter(url);
 * const { written, failures } = await app.stop();
 */
export async function startPgKbWriter(url: string, schema?: string): Promise<{ stop(): Promise<PgAppReport> }> {
  const app = new pg.Client({ connectionString: url });
  await app.connect();
  if (schema !== undefined) await app.query(`SET search_path TO ${quoteIdentifier(schema)}`);
  let stop = false;
  const report: PgAppReport = { written: 0, failures: [] };
  const writer = (async () => {
    for (let i = 1; !stop; i++) {
      try {
        await app.query('BEGIN');
        const [entry] = (
          await app.query(
            `INSERT INTO kb_entries (title, problem, solution, category, severity, created_at, updated_at) VALUES ($1, 'p', 's', 'DB2', 'low', $2, $2) RETURNING id`,
            [`app entry ${i}`, new Date().toISOString()],
          )
        ).rows;
        await app.query(`INSERT INTO kb_feedback (entry_id, rating, created_at) VALUES ($1, 'success', $2)`, [entry.id, new Date().toISOString()]);
        await app.query('COMMIT');
        report.written++;
      } catch (error) {
        await app.query('ROLLBACK').catch(() => {});
        report.failures.push((error as Error).message);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      stop = true;
      await writer;
      await app.end();
      return report;
    },
  };
}

/** How many of the application's entries, and of their feedback rows, the database holds. */
export async function pgAppRows(url: string, schema?: string): Promise<{ entries: number; feedback: number }> {
  return withClient(url, async (c) => {
    if (schema !== undefined) await c.query(`SET search_path TO ${quoteIdentifier(schema)}`);
    const entries = (await c.query(`SELECT count(*)::int AS n FROM kb_entries WHERE title LIKE 'app entry %'`)).rows[0].n as number;
    const feedback = (await c.query(`SELECT count(*)::int AS n FROM kb_feedback f JOIN kb_entries e ON e.id = f.entry_id WHERE e.title LIKE 'app entry %'`))
      .rows[0].n as number;
    return { entries, feedback };
  });
}
