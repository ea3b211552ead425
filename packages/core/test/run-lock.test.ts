import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DatabaseAdapter,
  type LockTakeover,
  Migrator,
  RunLock,
  currentBootId,
  currentHost,
  currentPidNamespace,
  isMfmigError,
  loadMigrations,
  openDatabase,
  processStartTime,
} from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

const HOLDER = resolve(import.meta.dirname, 'children/lock-holder.mjs');
const CORE_SOURCE = resolve(import.meta.dirname, '../src/index.ts');
const JITI = createRequire(resolve(import.meta.dirname, '../package.json')).resolve('jiti');
const OTHER_NAMESPACE = 'pid:[4026530001]';
const MINUTE = 60_000;

const NEW_TABLE = `CREATE TABLE IF NOT EXISTS mfmig_lock (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
  process_start TEXT, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, command TEXT NOT NULL, boot_id TEXT, pid_namespace TEXT)`;
/** The table as mfmig versions before boot ids and namespaces made it. */
const OLD_TABLE = `CREATE TABLE IF NOT EXISTS mfmig_lock (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
  process_start TEXT, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, command TEXT NOT NULL)`;

interface Row {
  pid: unknown;
  heartbeatAt: string;
  host?: string;
  processStart?: string | null;
  bootId?: string | null;
  pidNamespace?: string | null;
}

const children: ChildProcess[] = [];
let adapter: DatabaseAdapter;
let file: string;

beforeEach(() => {
  file = join(tempDir(), 'kb.db');
  adapter = openDatabase(file, { create: true });
});
afterEach(() => {
  adapter.close();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(removeTempDirs);

/** Writes the lock row by hand, as another process (or a broken tool) would have left it. */
function writeRow(row: Row, { old = false } = {}): void {
  adapter.raw.exec(old ? OLD_TABLE : NEW_TABLE);
  const columns = ['id', 'owner', 'pid', 'host', 'process_start', 'acquired_at', 'heartbeat_at', 'command', ...(old ? [] : ['boot_id', 'pid_namespace'])];
  const values = [1, 'someone-else', row.pid, row.host ?? currentHost(), row.processStart ?? null, row.heartbeatAt, row.heartbeatAt, 'migrate to 5'];
  if (!old) values.push(row.bootId === undefined ? currentBootId() : row.bootId, row.pidNamespace === undefined ? currentPidNamespace() : row.pidNamespace);
  adapter.run(`INSERT OR REPLACE INTO mfmig_lock (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values);
}

type Attempt = { taken: true; takeovers: LockTakeover[]; row: Record<string, unknown> } | { taken: false; code: string };

/** Tries to take the lock for 150 ms; on success records the row it wrote and releases it. */
async function attempt(staleAfterMs = MINUTE): Promise<Attempt> {
  const lock = new RunLock(adapter, { staleAfterMs });
  const takeovers: LockTakeover[] = [];
  try {
    await lock.acquire({ timeoutMs: 150, command: 'test', onTakeover: (t) => takeovers.push(t) });
  } catch (error) {
    if (isMfmigError(error)) return { taken: false, code: error.code };
    throw error;
  }
  const row = adapter.get<Record<string, unknown>>('SELECT * FROM mfmig_lock WHERE id = 1')!;
  lock.release();
  return { taken: true, takeovers, row };
}

/** The pid of a process that has ended (in this pid namespace). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

/** A live process (not holding anything) and its start time. */
async function sleeper(): Promise<{ pid: number; start: string | null }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return { pid: child.pid!, start: processStartTime(child.pid!) };
}

/** A child process that takes the lock through the real core and keeps it. */
async function lockHolder(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, JITI, CORE_SOURCE, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && ok());
    child.once('exit', (code) => fail(new Error(`the lock holder exited with ${code}: ${stderr}`)));
  });
  return child;
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

function expectOurs(result: Attempt): void {
  expect(result.taken).toBe(true);
  if (!result.taken) return;
  expect(result.row).toMatchObject({ pid: process.pid, host: currentHost(), boot_id: currentBootId(), pid_namespace: currentPidNamespace() });
}

describe('run lock holder in our own pid namespace', () => {
  it('respects a live holder, and takes the lock over once it was killed', async () => {
    const holder = await lockHolder();
    const row = adapter.get<Record<string, unknown>>('SELECT * FROM mfmig_lock WHERE id = 1');
    expect(row).toMatchObject({ pid: holder.pid, boot_id: currentBootId(), pid_namespace: currentPidNamespace() });
    expect(await attempt()).toEqual({ taken: false, code: 'LOCK_HELD' });
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const after = await attempt();
    expectOurs(after);
    expect(after.taken && after.takeovers).toEqual([expect.objectContaining({ reason: 'stale', holder: expect.objectContaining({ pid: holder.pid }) })]);
  });

  it('takes over a holder whose pid is gone even with a fresh heartbeat', async () => {
    writeRow({ pid: await deadPid(), heartbeatAt: ago(0) });
    const result = await attempt();
    expectOurs(result);
    expect(result.taken && result.takeovers[0]?.reason).toBe('stale');
  });
});

describe('run lock holder in another pid namespace or boot', () => {
  it('respects a fresh heartbeat although its pid does not exist here', async () => {
    writeRow({ pid: await deadPid(), heartbeatAt: ago(1000), pidNamespace: OTHER_NAMESPACE });
    expect(await attempt()).toEqual({ taken: false, code: 'LOCK_HELD' });
    writeRow({ pid: await deadPid(), heartbeatAt: ago(1000), bootId: '00000000-0000-4000-8000-000000000000' });
    expect(await attempt()).toEqual({ taken: false, code: 'LOCK_HELD' });
  });

  it('respects pid 1 there (a container whose init is mfmig) and a heartbeat a little ahead of our clock', async () => {
    writeRow({ pid: 1, heartbeatAt: new Date(Date.now() + 5000).toISOString(), pidNamespace: OTHER_NAMESPACE });
    expect(await attempt()).toEqual({ taken: false, code: 'LOCK_HELD' });
  });

  it('takes it over once the heartbeat is older than staleAfterMs', async () => {
    writeRow({ pid: 4242, heartbeatAt: ago(2 * MINUTE), pidNamespace: OTHER_NAMESPACE });
    const result = await attempt(MINUTE);
    expectOurs(result);
    expect(result.taken && result.takeovers).toEqual([expect.objectContaining({ reason: 'stale' })]);
  });
});

describe('invalid run lock rows are taken over with a warning', () => {
  const cases: [string, Row][] = [
    ['pid 0', { pid: 0, heartbeatAt: ago(0) }],
    ['pid -1', { pid: -1, heartbeatAt: ago(0) }],
    ['pid 1 of our namespace, not started when the lock was written', { pid: 1, heartbeatAt: ago(0), processStart: '1' }],
    ['pid 1 of our namespace, without a start time', { pid: 1, heartbeatAt: ago(0) }],
    ['a pid that is no number', { pid: 'abc', heartbeatAt: ago(0) }],
    ['a heartbeat in the future', { pid: 4242, heartbeatAt: new Date(Date.now() + 24 * 3600_000).toISOString(), pidNamespace: OTHER_NAMESPACE }],
    ['a heartbeat far in the future', { pid: 4242, heartbeatAt: '2999-01-01T00:00:00.000Z', pidNamespace: OTHER_NAMESPACE }],
    ['an unparsable heartbeat', { pid: 4242, heartbeatAt: 'yesterday', pidNamespace: OTHER_NAMESPACE }],
    ['an empty heartbeat', { pid: 4242, heartbeatAt: '', pidNamespace: OTHER_NAMESPACE }],
  ];
  for (const [name, row] of cases) {
    it(name, async () => {
      writeRow(row);
      const result = await attempt();
      expectOurs(result);
      expect(result.taken && result.takeovers).toEqual([expect.objectContaining({ reason: 'invalid', detail: expect.any(String) })]);
    });
  }

  it('but pid 1 of our namespace is respected when its start time proves it wrote the lock', async () => {
    const start = processStartTime(1);
    expect(start).not.toBeNull();
    writeRow({ pid: 1, heartbeatAt: ago(0), processStart: start });
    expect(await attempt()).toEqual({ taken: false, code: 'LOCK_HELD' });
  });

  it('the Migrator forwards the takeover as a lockTakenOver event', async () => {
    writeRow({ pid: 0, heartbeatAt: ago(0) });
    const migrations = join(resolve(file, '..'), 'migrations');
    mkdirSync(join(migrations, 'mvp1'), { recursive: true });
    writeFileSync(
      join(migrations, 'mvp1', '0001_items.sql'),
      '-- migrate:up\nCREATE TABLE items (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE items;\n',
    );
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(migrations) });
    const seen: unknown[] = [];
    migrator.events.on('lockTakenOver', (data) => seen.push(data));
    const result = await migrator.migrate();
    expect(result.error).toBeUndefined();
    expect(adapter.tableExists('items')).toBe(true);
    expect(seen).toEqual([expect.objectContaining({ reason: 'invalid', holder: expect.stringContaining('pid 0') })]);
    expect(adapter.get('SELECT count(*) AS n FROM mfmig_lock')).toEqual({ n: 0 });
  });
});

describe('a lock table written by an older mfmig (no boot id, no namespace)', () => {
  it('respects a live holder proven by host, pid and start time', async () => {
    const live = await sleeper();
    writeRow({ pid: live.pid, processStart: live.start, heartbeatAt: ago(10 * MINUTE) }, { old: true });
    expect(await attempt()).toEqual({ taken: false, code: 'LOCK_HELD' });
  });

  it('judges any other row by its heartbeat, and adds the new columns when it takes the lock', async () => {
    writeRow({ pid: await deadPid(), heartbeatAt: ago(1000) }, { old: true });
    expect(await attempt()).toEqual({ taken: false, code: 'LOCK_HELD' });
    adapter.run('UPDATE mfmig_lock SET heartbeat_at = ?', [ago(2 * MINUTE)]);
    const result = await attempt();
    expectOurs(result);
    expect(result.taken && result.takeovers[0]?.reason).toBe('stale');
    const columns = adapter.all<{ name: string }>("SELECT name FROM pragma_table_info('mfmig_lock')").map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['boot_id', 'pid_namespace']));
  });
});
