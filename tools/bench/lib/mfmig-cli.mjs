// The real mfmig CLI binary as the `online` bench suite runs it: a timed `migrate` whose stderr
// progress lines are stamped on arrival, and `plan --json`.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const BIN = new URL('../../../packages/cli/dist/bin.js', import.meta.url).pathname;
const now = () => performance.timeOrigin + performance.now();

/** Options every run shares: the database, the migrations, backups and schema file in `dir`. */
const common = ({ db, migrations, dir }) => ['--db', db, '--migrations', migrations, '--backups', `${dir}/backups`, '--schema-file', `${dir}/schema.sql`];

/**
 * Spawns `mfmig migrate --yes` (pre-run backup included) and resolves when it exits:
 * {spawnAt, exitAt, ms, code, lines: [{at, line}], stdout}. `onSpawn` is called right after the spawn.
 */
export function migrate(options, { env = {}, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const spawnAt = now();
    const child = spawn(process.execPath, [BIN, 'migrate', '--yes', ...common(options)], {
      cwd: options.dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onSpawn?.(child);
    const lines = [];
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    createInterface({ input: child.stderr }).on('line', (line) => lines.push({ at: now(), line }));
    child.on('error', reject);
    child.on('close', (code) => {
      const exitAt = now();
      resolve({ spawnAt, exitAt, ms: exitAt - spawnAt, code, lines, stdout });
    });
  });
}

/** `mfmig plan --json` for the same database: {version: {name, blocksWritesMs}}. */
export function plan(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'plan', '--json', ...common(options)], { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`mfmig plan exited ${code}: ${stderr.trim()}`));
      const steps = JSON.parse(stdout).steps;
      resolve(Object.fromEntries(steps.map((s) => [s.version, { name: s.name, blocksWritesMs: s.blocksWritesSeconds * 1000 }])));
    });
  });
}
