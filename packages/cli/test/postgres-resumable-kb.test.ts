import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient, pgAppRows, startPgKbWriter } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, mfmigAsync, tempDir } from './helpers.js';
import { pgFingerprint } from './pg-fingerprint.js';

afterAll(dropScratchDatabases);

const ROWS = 2000;
const MAPPING = 'migrations/mvp2/0005_map_kb_entries_to_incidents.postgres.ts';

const query = <T = Record<string, unknown>>(url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows as T[]);

/**
 * The real migrations, with the KB move declared resumable (`batch: 'always'`) in batches of
 * `batchSize` rows: at most that many rows per transaction, each committed with its cursor.
 */
function resumableMigrations(root: string, batchSize: number): string {
  const dir = join(root, 'migrations');
  cpSync(REAL_MIGRATIONS, dir, { recursive: true });
  const file = join(root, MAPPING);
  const text = readFileSync(file, 'utf8');
  const edited = text.replace("id: 'kb_to_incident_mapping',", `id: 'kb_to_incident_mapping',\n    batch: 'always',\n    batchSize: ${batchSize},`);
  expect(edited).not.toBe(text);
  writeFileSync(file, edited);
  return dir;
}

/** The KB entries and the KB incidents: their counts and the sum of the entry ids each one covers. */
async function moved(url: string): Promise<{ entries: string; incidents: string; duplicates: number }> {
  const [e] = await query<{ v: string }>(url, `SELECT count(*) || ':' || coalesce(sum(id), 0) AS v FROM kb_entries WHERE created_at IS NOT NULL`);
  const [i] = await query<{ v: string }>(
    url,
    `SELECT count(*) || ':' || coalesce(sum(CAST(substr(ticket_id, 4) AS bigint)), 0) AS v FROM incidents WHERE ticket_id LIKE 'KB-%'`,
  );
  const dup = await query(url, `SELECT ticket_id FROM incidents WHERE ticket_id LIKE 'KB-%' GROUP BY ticket_id HAVING count(*) > 1`);
  return { entries: e!.v, incidents: i!.v, duplicates: dup.length };
}

async function cursorOf(url: string): Promise<{ status: string; rows_read: string } | undefined> {
  const [exists] = await query<{ ok: boolean }>(url, `SELECT to_regclass('mfmig_transform_cursors') IS NOT NULL AS ok`);
  if (!exists!.ok) return undefined;
  const [row] = await query<{ status: string; rows_read: string }>(
    url,
    `SELECT status, rows_read::text AS rows_read FROM mfmig_transform_cursors WHERE transformation_id = 'kb_to_incident_mapping'`,
  );
  return row;
}

/** The application's part of {@link pgFingerprint}: every table, column, constraint, index and row but mfmig's own. */
async function appState(url: string): Promise<unknown> {
  const all = (await pgFingerprint(url)) as Record<string, Record<string, unknown>[]> & { rows: Record<string, unknown> };
  const ours = (row: Record<string, unknown>) => Object.values(row).some((v) => typeof v === 'string' && v.includes('mfmig_'));
  const { rows, ...catalog } = all;
  const kept = Object.fromEntries(Object.entries(catalog).map(([key, list]) => [key, list.filter((row) => !ours(row))]));
  return { ...kept, rows: Object.fromEntries(Object.entries(rows).filter(([table]) => !table.includes('mfmig_'))) };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function seeded(cwd: string, migrations: string, rows = ROWS): Promise<{ url: string; cli: (...args: string[]) => ReturnType<typeof mfmig> }> {
  const url = await scratchDatabase();
  const cli = (...args: string[]) => mfmig(cwd, ['--db', url, '--migrations', migrations, '--json', ...args]);
  const seed = cli('seed', '--rows', String(rows));
  expect(seed.code, seed.stderr).toBe(0);
  return { url, cli };
}

describe('resumable KB moves on PostgreSQL', () => {
  it('moves every KB entry exactly once in committed batches, as the one-transaction move does', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    const plain = await seeded(cwd, REAL_MIGRATIONS);
    const inline = plain.cli('--yes', 'migrate', '--to-mvp', '2');
    expect(inline.code, inline.stderr).toBe(0);

    const batched = await seeded(cwd, resumableMigrations(tempDir(), 500));
    const up = batched.cli('--yes', 'migrate', '--to-mvp', '2');
    expect(up.code, up.stderr).toBe(0);
    const report = up.json.reports.find((r: { id?: string }) => r.id === 'kb_to_incident_mapping');
    expect(report.rows).toBe(ROWS);
    expect(report.batches).toBeGreaterThanOrEqual(ROWS / 500);
    // the history row counts every KB entry moved and every incident linked, as a one-transaction move does
    const history = batched.cli('history');
    expect(history.json.history.find((h: { version: number }) => h.version === 5).rows).toBe(2 * ROWS);
    expect(up.json.migrations.find((m: { version: number }) => m.version === 5).rows).toBe(2 * ROWS);

    const expected = await moved(plain.url);
    expect(expected.entries).toBe(expected.incidents);
    expect(await moved(batched.url)).toEqual(expected);
    const status = batched.cli('status');
    expect([status.code, status.json.currentMvp, status.json.applied.every((a: { status: string }) => a.status === 'applied')]).toEqual([0, 2, true]);
    expect(await query(batched.url, 'SELECT * FROM mfmig_transform_cursors')).toEqual([]);
  });

  it('leaves a killed move PARTIAL, and the next migrate finishes it without moving a row twice', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    const migrations = resumableMigrations(tempDir(), 50);
    const { url, cli } = await seeded(cwd, migrations);
    const run = mfmigAsync(cwd, ['--db', url, '--migrations', migrations, '--json', '--yes', 'migrate', '--to-mvp', '2']);
    await until('the first batches', async () => Number((await cursorOf(url))?.rows_read ?? 0) >= 200);
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.code).toBe(-1);

    const [history] = await query<{ status: string }>(url, 'SELECT status FROM mfmig_history WHERE version = 5');
    expect(history!.status).toBe('partial');
    const cursor = await cursorOf(url);
    expect(cursor!.status).toBe('running');
    const [part] = await query<{ n: string }>(url, `SELECT count(*)::text AS n FROM incidents WHERE ticket_id LIKE 'KB-%'`);
    expect(Number(part!.n)).toBe(Number(cursor!.rows_read));
    expect(Number(part!.n)).toBeLessThan(ROWS);
    const status = cli('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.json.problems.map((p: { code: string; version: number }) => [p.code, p.version])).toContainEqual(['PARTIAL', 5]);

    const again = cli('--yes', 'migrate', '--to-mvp', '2');
    expect(again.code, again.stderr).toBe(0);
    const after = await moved(url);
    expect([after.incidents, after.duplicates]).toEqual([after.entries, 0]);
    expect(after.entries.startsWith(`${ROWS}:`)).toBe(true);
    const [linked] = await query<{ n: string }>(url, `SELECT count(*)::text AS n FROM incidents WHERE ticket_id LIKE 'KB-%' AND kb_entry_id IS NULL`);
    expect(linked!.n).toBe('0');
    const done = cli('status');
    expect([done.json.currentMvp, done.json.problems]).toEqual([2, []]);
    // resumed, the history row counts every row of both transformations, from their cursors
    const [row] = await query<{ rows: string }>(url, 'SELECT rows::text AS rows FROM mfmig_history WHERE version = 5');
    expect(row!.rows).toBe(String(2 * ROWS));
  });

  it('rolls a killed move back to the schema and rows before it, and migrates again moving every entry once', { timeout: 240_000 }, async () => {
    const rows = 300;
    const cwd = tempDir();
    const migrations = resumableMigrations(tempDir(), 20);
    const { url, cli } = await seeded(cwd, migrations, rows);
    expect(cli('--yes', 'migrate', '--to', '4').code).toBe(0);
    const before = await appState(url);

    const run = mfmigAsync(cwd, ['--db', url, '--migrations', migrations, '--json', '--yes', 'migrate', '--to-mvp', '2']);
    await until('the first batches', async () => Number((await cursorOf(url))?.rows_read ?? 0) >= 60);
    run.child.kill('SIGKILL');
    expect((await run.done).code).toBe(-1);
    const [partial] = await query<{ status: string }>(url, 'SELECT status FROM mfmig_history WHERE version = 5');
    expect(partial!.status).toBe('partial');

    const down = cli('--yes', 'rollback');
    expect(down.code, down.stderr).toBe(0);
    expect(down.json.migrations.map((m: { version: number; status: string }) => [m.version, m.status])).toEqual([[5, 'Success']]);
    expect(await appState(url)).toEqual(before);
    expect(await query(url, 'SELECT * FROM mfmig_transform_cursors')).toEqual([]);
    expect((await query<{ v: string }>(url, 'SELECT version::text AS v FROM mfmig_history ORDER BY version')).map((h) => h.v)).toEqual(['1', '2', '3', '4']);

    const again = cli('--yes', 'migrate', '--to-mvp', '2');
    expect(again.code, again.stderr).toBe(0);
    const after = await moved(url);
    expect([after.entries.split(':')[0], after.incidents, after.duplicates]).toEqual([String(rows), after.entries, 0]);
    const history = await query<{ status: string; rows: string }>(url, 'SELECT status, rows::text AS rows FROM mfmig_history WHERE version = 5');
    expect(history).toEqual([{ status: 'applied', rows: String(2 * rows) }]);
  });

  it('lets the application insert into the source while the rows move, and moves its rows too', { timeout: 240_000 }, async () => {
    const cwd = tempDir();
    // one row per batch: 2,000 commits, so that the move is still under way while the application writes
    const migrations = resumableMigrations(tempDir(), 1);
    const { url } = await seeded(cwd, migrations);
    const app = await startPgKbWriter(url);
    const run = mfmigAsync(cwd, ['--db', url, '--migrations', migrations, '--json', '--yes', 'migrate', '--to-mvp', '2']);
    await until('the first batches', async () => Number((await cursorOf(url))?.rows_read ?? 0) >= 100);
    const before = (await pgAppRows(url)).entries;
    await until('application writes during the move', async () => (await pgAppRows(url)).entries >= before + 5);
    // stopped before the move ends: every row it wrote is one the migration must move
    const report = await app.stop();
    const during = (await pgAppRows(url)).entries;
    const cursor = await cursorOf(url);
    // the move is still under way (its cursor is still there), and the application's inserts committed meanwhile
    expect(cursor?.status).toBe('running');
    expect(during).toBeGreaterThan(before);
    expect(report.failures).toEqual([]);
    const finished = await run.done;
    expect(finished.code, finished.stderr).toBe(0);
    const after = await moved(url);
    expect([after.incidents, after.duplicates]).toEqual([after.entries, 0]);
    expect(Number(after.entries.split(':')[0])).toBe(ROWS + report.written);
  });
});
