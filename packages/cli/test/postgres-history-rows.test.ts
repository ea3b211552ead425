import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, tempDir } from './helpers.js';

afterAll(dropScratchDatabases);

const ROWS = 300;
const KB_MOVE = 5;

interface HistoryRow {
  version: number;
  status: string;
  rows: number | null;
}

/** Seeds the knowledge base on `db`, migrates it to the latest version, and reads what `history --json` and `migrate --json` say. */
function migrated(db: string): { history: Map<number, number | null>; reported: Map<number, number> } {
  const cwd = tempDir();
  const cli = (...args: string[]) => {
    const run = mfmig(cwd, ['--db', db, '--migrations', REAL_MIGRATIONS, '--json', ...args]);
    expect(run.code, run.stderr).toBe(0);
    return run.json;
  };
  cli('seed', '--rows', String(ROWS));
  const up = cli('--yes', 'migrate');
  const history = cli('history').history as HistoryRow[];
  expect(history.every((h) => h.status === 'applied')).toBe(true);
  return {
    history: new Map(history.map((h) => [h.version, h.rows])),
    reported: new Map((up.migrations as { version: number; rows: number }[]).map((m) => [m.version, m.rows])),
  };
}

describe('history rows on PostgreSQL', () => {
  it('records the rows each migration processed, as SQLite does: the KB move shows the rows it moved and linked', { timeout: 240_000 }, async () => {
    const url = await scratchDatabase();
    const pg = migrated(url);
    const sqlite = migrated(join(tempDir(), 'kb.db'));

    const [kb] = await withClient(url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM incidents WHERE kb_entry_id IS NOT NULL`)).rows);
    // one row moved into incidents and one link set per dated KB entry
    expect(kb.n).toBe(ROWS);
    expect(pg.history.get(KB_MOVE)).toBe(2 * ROWS);
    expect(pg.history).toEqual(sqlite.history);
    // migrate reports the same rows for the migrations it applied (the seed applied MVP1)
    expect([...pg.reported.keys()]).toContain(KB_MOVE);
    for (const [version, rows] of pg.reported) expect([version, rows]).toEqual([version, pg.history.get(version)]);
  });
});
