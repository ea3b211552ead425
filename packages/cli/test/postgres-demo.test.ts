// `mfmig --db postgres://… demo`: the knowledge-base demo on the live server, in a scratch
// database of its own, through the real binary.
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, pgRows, tempDir } from './helpers.js';

afterAll(dropScratchDatabases);

const entries = async (url: string, schema: string) => Number((await pgRows(url, `SELECT count(*)::int AS n FROM "${schema}".kb_entries`))[0]!.n);

describe('demo on PostgreSQL', () => {
  it('migrates a generated MVP1 knowledge base to MVP5 in a schema of its own, and replaces it only with --yes', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const args = ['--db', url, '--migrations', REAL_MIGRATIONS];
    const demo = mfmig(dir, [...args, 'demo', '--rows', '400']);
    expect(demo.code, demo.stderr).toBe(0);
    const status = mfmig(dir, [...args, '--schema', 'mfmig_demo', '--json', 'status']);
    expect([status.code, status.json.currentVersion, status.json.currentMvp]).toEqual([0, 17, 5]);
    expect(await entries(url, 'mfmig_demo')).toBe(400);
    const validate = mfmig(dir, [...args, '--schema', 'mfmig_demo', '--json', 'validate']);
    expect([validate.code, validate.json.isValid]).toEqual([0, true]);
    // the demo rehearses its plan: nothing of the rehearsal is left behind
    expect(await pgRows(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal%'")).toEqual([]);

    // a second demo without --yes is refused, and the first one's schema is left as it was
    const history = await pgRows(url, 'SELECT version, checksum FROM mfmig_demo.mfmig_history ORDER BY version');
    const again = mfmig(dir, [...args, 'demo', '--rows', '300']);
    expect(again.code).toBe(2);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(await pgRows(url, 'SELECT version, checksum FROM mfmig_demo.mfmig_history ORDER BY version')).toEqual(history);
    expect(await entries(url, 'mfmig_demo')).toBe(400);

    // a schema that holds the application's own tables is never the demo's, even with --yes
    await pgRows(url, 'CREATE SCHEMA app; CREATE TABLE app.orders (id int PRIMARY KEY); INSERT INTO app.orders VALUES (1), (2)');
    const taken = mfmig(dir, [...args, '--schema', 'app', '--yes', 'demo', '--rows', '300']);
    expect(taken.code).toBe(2);
    expect(await pgRows(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'app'")).toEqual([{ table_name: 'orders' }]);
    expect(await pgRows(url, 'SELECT id FROM app.orders ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });
});
