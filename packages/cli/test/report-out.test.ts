import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, lstatSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotTree, withoutEntries } from '@mfmig/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { mfmigWithin } from './bounded-run.js';
import { copyMvp1, mfmig, tempDir } from './helpers.js';

/** A seeded MVP1 database, copied into each test's own folder. */
let seeded: string;
beforeAll(() => {
  const dir = tempDir();
  copyMvp1(dir);
  expect(mfmig(dir, ['seed', '--rows', '30']).code).toBe(0);
  seeded = join(dir, 'knowledge.db');
});

function folderWithDatabase(): string {
  const dir = tempDir();
  copyMvp1(dir);
  copyFileSync(seeded, join(dir, 'knowledge.db'));
  return dir;
}

const report = (dir: string, args: string[], globals: string[] = []) => mfmigWithin(20_000, dir, ['--json', ...globals, 'report', ...args]);

/** The refusal: exit 3, one line on stderr, the JSON error document, and no stack trace. */
function expectRefused(run: ReturnType<typeof report>): void {
  expect(run.timedOut).toBe(false);
  expect(run.code, run.stderr).toBe(3);
  expect(run.json?.error?.code).toBe('OUTPUT_REFUSED');
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
}

describe('mfmig report --out never writes over what it must not', () => {
  it('refuses the database itself and its side files, also named through a symlinked --db, and changes no file', { timeout: 60_000 }, () => {
    const dir = folderWithDatabase();
    symlinkSync('knowledge.db', join(dir, 'current.db'));
    writeFileSync(join(dir, 'knowledge.db-journal'), '');
    const before = snapshotTree(dir);
    expectRefused(report(dir, ['--out', 'knowledge.db']));
    for (const out of ['./knowledge.db-wal', 'knowledge.db-journal', join(dir, 'knowledge.db')]) expectRefused(report(dir, ['--out', out, '--force']));
    expectRefused(report(dir, ['--out', 'knowledge.db'], ['--db', 'current.db']));
    expectRefused(report(dir, ['--out', 'knowledge.db-wal', '--force'], ['--db', 'current.db']));
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('refuses a hard link of the database even with --force', { timeout: 30_000 }, () => {
    const dir = folderWithDatabase();
    linkSync(join(dir, 'knowledge.db'), join(dir, 'other-name.db'));
    const before = snapshotTree(dir);
    expectRefused(report(dir, ['--out', 'other-name.db', '--force']));
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('refuses an existing file that is not a report unless --force, then replaces it with a report', { timeout: 30_000 }, () => {
    const dir = folderWithDatabase();
    writeFileSync(join(dir, 'notes.html'), '<html>my own notes</html>\n');
    const before = snapshotTree(dir);
    expectRefused(report(dir, ['--out', 'notes.html']));
    expect(snapshotTree(dir)).toEqual(before);
    const forced = report(dir, ['--out', 'notes.html', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(dir, 'notes.html'), 'utf8')).toContain('<meta name="generator" content="mfmig');
    expect(withoutEntries(snapshotTree(dir), ['notes.html'])).toEqual(withoutEntries(before, ['notes.html']));
  });

  it('overwrites a report it wrote before, without --force, through a temp file in the same folder', { timeout: 30_000 }, () => {
    const dir = folderWithDatabase();
    const first = report(dir, ['--out', 'out/report.html']);
    expect(first.code, first.stderr).toBe(0);
    const before = snapshotTree(dir);
    const again = report(dir, ['--out', 'out/report.html']);
    expect(again.code, again.stderr).toBe(0);
    expect(lstatSync(join(dir, 'out/report.html')).isFile()).toBe(true);
    const after = snapshotTree(dir);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(withoutEntries(after, ['out/report.html'])).toEqual(withoutEntries(before, ['out/report.html']));
  });

  it('never follows a symlink at the output path, to another file or to a report, with or without --force', { timeout: 30_000 }, () => {
    const dir = folderWithDatabase();
    writeFileSync(join(dir, 'victim.txt'), 'precious\n');
    symlinkSync('victim.txt', join(dir, 'report.html'));
    expect(report(dir, ['--out', 'real-report.html']).code).toBe(0);
    symlinkSync('real-report.html', join(dir, 'link-to-report.html'));
    symlinkSync(join(dir, 'knowledge.db'), join(dir, 'absolute-link.html'));
    const before = snapshotTree(dir);
    expectRefused(report(dir, ['--out', 'report.html']));
    for (const out of ['report.html', 'link-to-report.html', 'absolute-link.html']) expectRefused(report(dir, ['--out', out, '--force']));
    expect(readlinkSync(join(dir, 'report.html'))).toBe('victim.txt');
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('refuses a FIFO at the output path without hanging', { timeout: 30_000 }, () => {
    const dir = folderWithDatabase();
    expect(spawnSync('mkfifo', [join(dir, 'pipe.html')]).status).toBe(0);
    const before = snapshotTree(dir);
    expectRefused(report(dir, ['--out', 'pipe.html', '--force']));
    expect(snapshotTree(dir)).toEqual(before);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });

  it('demo keeps a symlink planted where it writes its report, and says so', { timeout: 120_000 }, () => {
    const dir = tempDir();
    copyMvp1(dir);
    writeFileSync(join(dir, 'victim.txt'), 'precious\n');
    symlinkSync('victim.txt', join(dir, 'report.html'));
    const run = mfmigWithin(110_000, dir, ['--json', 'demo', '--rows', '20']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.report).toBeNull();
    expect(run.stderr).toMatch(/report/);
    expect(readlinkSync(join(dir, 'report.html'))).toBe('victim.txt');
    expect(readFileSync(join(dir, 'victim.txt'), 'utf8')).toBe('precious\n');
  });
});
