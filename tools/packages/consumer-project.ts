// A project outside the workspace, as a team that takes one mfmig package would set it up: the
// packed tarballs (what `pnpm pack` publishes), better-sqlite3 and kysely from the registry,
// installed with npm or pnpm. Nothing resolves through the workspace's own node_modules.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export type PackageManager = 'npm' | 'pnpm';

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without what the outer `pnpm run` adds (npm_config_*): the child installs as a user's shell would. */
function userEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)));
}

/** Runs a command; a non-zero exit throws with its output. */
export function run(command: string, args: string[], cwd: string, timeout = 240_000): CommandResult {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: userEnvironment(), timeout });
  const out = { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  if (result.error || result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${out.stdout}\n${out.stderr}`);
  }
  return out;
}

/** Runs a command without blocking (to run several at once); resolves with its output whatever the exit. */
export function runAsync(command: string, args: string[], cwd: string): Promise<CommandResult> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env: userEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => done({ status: null, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** Packs the named workspace packages into `dest`; returns each tarball's absolute path by package name. */
export function packPackages(names: string[], dest: string): Record<string, string> {
  const tarballs: Record<string, string> = {};
  for (const name of names) {
    const dir = join(ROOT, 'packages', name);
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    run('pnpm', ['pack', '--pack-destination', dest], dir);
    tarballs[`@mfmig/${name}`] = join(dest, `mfmig-${name}-${version}.tgz`);
  }
  return tarballs;
}

const workspaceRequire = createRequire(join(ROOT, 'packages', 'core', 'package.json'));

/** The better-sqlite3 version the workspace built, and its compiled module. */
export const NATIVE = {
  version: (workspaceRequire('better-sqlite3/package.json') as { version: string }).version,
  binding: join(dirname(workspaceRequire.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node'),
};

export interface ConsumerOptions {
  manager: PackageManager;
  dir: string;
  /** Direct dependencies: package name to spec (a tarball path or a registry range). */
  dependencies: Record<string, string>;
  /** Where packages the direct ones depend on come from (our own, which are not in the registry). */
  overrides: Record<string, string>;
}

/**
 * Writes the project's package.json and installs it. Install scripts are skipped and
 * better-sqlite3's compiled module is copied from the workspace's build of the same version:
 * compiling it takes about a minute, and what is under test is our packages, not its build.
 * Returns the installer's output (warnings included).
 */
export function installConsumer(options: ConsumerOptions): CommandResult {
  const { manager, dir } = options;
  const overrides = Object.fromEntries(Object.entries(options.overrides).map(([name, path]) => [name, `file:${path}`]));
  const dependencies = Object.fromEntries(Object.entries(options.dependencies).map(([name, spec]) => [name, spec.endsWith('.tgz') ? `file:${spec}` : spec]));
  const pkg = { name: `consumer-${manager}`, private: true, type: 'module', dependencies, ...(manager === 'npm' ? { overrides } : { pnpm: { overrides } }) };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const args =
    manager === 'npm'
      ? ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund']
      : ['install', '--ignore-scripts', '--prefer-offline', '--store-dir', storeDir()];
  const result = run(manager, args, dir);
  const installed = realpathSync(join(dir, 'node_modules', 'better-sqlite3'));
  const { version } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string };
  if (version !== NATIVE.version) throw new Error(`better-sqlite3 ${version} installed; the copied module is built for ${NATIVE.version}`);
  mkdirSync(join(installed, 'build', 'Release'), { recursive: true });
  copyFileSync(NATIVE.binding, join(installed, 'build', 'Release', 'better_sqlite3.node'));
  return result;
}

let store: string | undefined;

/** The workspace's pnpm store: packages the workspace installed are not downloaded again. */
function storeDir(): string {
  store ??= run('pnpm', ['store', 'path'], ROOT).stdout.trim();
  return store;
}

/** The first ```js block after the README line that starts with `heading`, as printed. */
export function readmeBlock(packageName: string, heading: string): string {
  const readme = readFileSync(join(ROOT, 'packages', packageName, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}`);
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !match) throw new Error(`${packageName}'s README has no js block under ${heading}`);
  return match[1]!;
}

/** Runs a script file with node in `dir`, with `env` added to the environment; returns its output whatever the exit. */
export function runNode(dir: string, args: string[], env: Record<string, string> = {}): CommandResult {
  const result = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { ...userEnvironment(), ...env }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
