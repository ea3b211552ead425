import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_MIGRATIONS, mfmig, mfmigAsync, sha256File, tempDir } from './helpers.js';

const PLANTER = join(dirname(fileURLToPath(import.meta.url)), 'harness/symlink-planter.mjs');
/** Another user to plant as, when the test runs as root: then a private directory must keep it out. */
const NEIGHBOUR = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

interface PlanterReport {
  loops: number;
  planted: number;
  privateDirsSeen: number;
  insideRefused: number;
  insideEntered: number;
}

function startPlanter(config: { dirs: string[]; outside: string; pidFile: string; stopFile: string; untilMs: number; inside: boolean }) {
  const child = spawn(process.execPath, [PLANTER, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'], ...NEIGHBOUR });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const done = new Promise<PlanterReport>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as PlanterReport) : reject(new Error(`planter exited ${code}`)))),
  );
  return { done };
}

/** Every file under `dir` with its sha256 (symlinks and folders by kind). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isFile() ? sha256File(path) : entry.isSymbolicLink() ? 'link' : 'dir';
  }
  return out;
}

const made: string[] = [];
const scratchTempDir = () => {
  const dir = tempDir();
  made.push(dir);
  return dir;
};

let seeded: string;
beforeAll(() => {
  const dir = scratchTempDir();
  cpSync(REAL_MIGRATIONS, join(dir, 'migrations'), { recursive: true });
  expect(mfmig(dir, ['seed', '--rows', '300'], { XDG_CACHE_HOME: join(dir, 'cache') }).code).toBe(0);
  seeded = join(dir, 'knowledge.db');
});

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('scratch files in a shared folder', () => {
  it('plan keeps its sample and rehearsal files out of reach of a neighbour planting symlinks under their names', async () => {
    const root = scratchTempDir();
    chmodSync(root, 0o755);
    // the two shared places the planner used: the backups folder (a team folder: anyone may write) and $TMPDIR (sticky, like /tmp)
    const backups = join(root, 'shared-backups');
    const tmp = join(root, 'shared-tmp');
    const outside = join(root, 'outside');
    for (const [d, mode] of [
      [backups, 0o777],
      [tmp, 0o1777],
      [outside, 0o755],
    ] as const) {
      mkdirSync(d);
      chmodSync(d, mode);
    }
    copyFileSync(seeded, join(outside, 'precious.db'));
    writeFileSync(join(outside, 'precious.txt'), 'not yours\n');
    const work = join(root, 'work');
    mkdirSync(work);
    const db = join(work, 'knowledge.db');
    copyFileSync(seeded, db);
    const dbBefore = sha256File(db);
    const outsideBefore = snapshot(outside);
    const control = join(root, 'control');
    mkdirSync(control);
    chmodSync(control, 0o755);
    const pidFile = join(control, 'pids');
    const stopFile = join(control, 'stop');
    writeFileSync(pidFile, '');
    chmodSync(pidFile, 0o644);
    const planter = startPlanter({ dirs: [backups, tmp], outside, pidFile, stopFile, untilMs: Date.now() + 60_000, inside: NEIGHBOUR !== undefined });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const args = ['--db', db, '--migrations', REAL_MIGRATIONS, '--backups', backups, '--json', 'plan', '--to-mvp', '5'];
    // three runs at once, each with an empty cache: each measures the machine in a scratch file too
    const children = [1, 2, 3].map((n) => mfmigAsync(work, args, { TMPDIR: tmp, XDG_CACHE_HOME: join(work, `cache-${n}`) }));
    for (const c of children) appendFileSync(pidFile, `${c.child.pid}\n`);
    const runs = await Promise.all(children.map((c) => c.done));
    writeFileSync(stopFile, '');
    const report = await planter.done;

    expect(report.planted).toBeGreaterThan(100);
    expect(snapshot(outside)).toEqual(outsideBefore);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.json.estimation.method).toBe('rehearsal');
    }
    expect(sha256File(db)).toBe(dbBefore);
    // nothing of mfmig's is left in the shared folders: only what the planter made itself
    for (const d of [backups, tmp]) expect(readdirSync(d).filter((n) => n.startsWith('mfmig-scratch-'))).toEqual([]);
    if (NEIGHBOUR) {
      // as another user, the planter saw mfmig's private folders and could not get in
      expect(report.privateDirsSeen).toBeGreaterThan(0);
      expect(report.insideEntered).toBe(0);
    }
  });

  it('refuses a temp folder others could swap the private folder in: exit 2, one line, nothing written', () => {
    const root = scratchTempDir();
    const open = join(root, 'open-tmp');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const db = join(root, 'knowledge.db');
    copyFileSync(seeded, db);
    const before = sha256File(db);
    const run = mfmig(root, ['--db', db, '--migrations', REAL_MIGRATIONS, '--json', 'plan', '--to-mvp', '5'], {
      TMPDIR: open,
      XDG_CACHE_HOME: join(root, 'cache'),
    });
    expect(run.code).toBe(2);
    expect(run.json.error.code).toBe('CONFIG_INVALID');
    expect(run.stderr.split('\n').filter((l) => l.startsWith('mfmig:'))).toHaveLength(1);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(open)).toEqual([]);
    expect(sha256File(db)).toBe(before);
  });
});
