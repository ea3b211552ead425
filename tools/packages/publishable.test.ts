// Each package is released on its own: what `pnpm pack` puts in its tarball must be a package
// that installs and type-checks for every consumer. publint checks package.json against the
// packed files; attw (Are the Types Wrong?) resolves its types the way node10, node16 (from CJS
// and from ESM) and bundlers do. Runs on the built dist (`pnpm test` builds first). Private
// packages (test fixtures) are never packed, so they are not checked. Each package is packed
// once, and every check reads that one tarball: what it holds is what a release would publish.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const isPrivate = (name: string) => (JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { private?: boolean }).private === true;
const packages = readdirSync(join(root, 'packages'))
  .filter((name) => !isPrivate(name))
  .sort();
const attw = join(root, 'node_modules', '.bin', 'attw');

describe.each(packages)('@mfmig/%s as published', (name) => {
  const dir = join(root, 'packages', name);
  let packed: { tarball: string; files: string[] };
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'mfmig-pack-'));
    const run = spawnSync('pnpm', ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { filename: string; files: { path: string }[] };
    packed = { tarball: report.filename, files: report.files.map((f) => f.path) };
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('passes publint: entry points, exports and types name files the tarball holds', async () => {
    const tarball = readFileSync(packed.tarball);
    const pack = { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) };
    const { messages, pkg } = await publint({ pack, level: 'warning' });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`)).toEqual([]);
  });

  it('ships a LICENSE, no source maps, and no script that runs at install', () => {
    const files = packed.files;
    expect(files).toContain('LICENSE');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    // build and typecheck stay (inert for a user); nothing may run on the user's machine at install
    const scripts = Object.keys((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {});
    expect(scripts.filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s))).toEqual([]);
  });

  it('has types that resolve for node10, node16 from CJS and from ESM, and bundlers (attw)', () => {
    const run = spawnSync(attw, [packed.tarball, '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(run.error).toBeUndefined();
    const report = JSON.parse(run.stdout) as { analysis: { packageName: string }; problems: Record<string, unknown[]> };
    expect(report.analysis.packageName).toBe(`@mfmig/${name}`);
    expect(Object.entries(report.problems).filter(([, found]) => found.length > 0)).toEqual([]);
  });
});
