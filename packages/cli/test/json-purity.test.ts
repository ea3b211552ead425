import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, REAL_MIGRATIONS, mfmig, mfmigAsync, tempDir } from './helpers.js';

interface Case {
  name: string;
  /** Arguments after `--json`; `@` stands for a fresh copy of the prepared folder when `copy` is set. */
  args: string[];
  /** Run in a copy of the prepared folder (the command writes), else in the prepared folder itself. */
  copy?: boolean;
  /** Run in an empty folder. */
  empty?: boolean;
  ok: boolean;
}

/** Runs cases two at a time (the machine has two cores). */
async function runAll(cases: Case[], cwdOf: (c: Case) => string): Promise<Map<string, CliRun>> {
  const results = new Map<string, CliRun>();
  const queue = [...cases];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      results.set(c.name, await mfmigAsync(cwdOf(c), ['--migrations', REAL_MIGRATIONS, '--json', ...c.args]).done);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

describe('--json keeps stdout to exactly one JSON document', () => {
  let base: string;
  let checkpoint: string;
  let backupId: string;
  beforeAll(() => {
    base = tempDir();
    const args = ['--migrations', REAL_MIGRATIONS];
    expect(mfmig(base, [...args, 'seed', '--rows', '100']).code).toBe(0);
    expect(mfmig(base, [...args, 'migrate', '--to-mvp', '3']).code).toBe(0);
    backupId = mfmig(base, [...args, '--json', 'backup']).json.id;
    checkpoint = mfmig(base, [...args, '--json', 'checkpoint', '--id', 'purity']).json.folder;
    writeFileSync(join(base, 'not-a-db.txt'), 'this is not a SQLite database\n'.repeat(50));
  });

  it('for every command, in success and in error cases; progress stays on stderr', async () => {
    const success: Case[] = [
      { name: 'status', args: ['status'], ok: true },
      { name: 'history', args: ['history', '--metrics'], ok: true },
      { name: 'plan', args: ['plan', '--to-mvp', '5'], ok: true },
      { name: 'migrate', args: ['migrate', '--to-mvp', '4'], copy: true, ok: true },
      { name: 'rollback', args: ['--yes', 'rollback', '--to-mvp', '2'], copy: true, ok: true },
      { name: 'validate', args: ['validate'], ok: true },
      { name: 'diff', args: ['diff', '--from', '2', '--to', '9'], ok: true },
      { name: 'backup', args: ['backup'], copy: true, ok: true },
      { name: 'backup --list', args: ['backup', '--list'], ok: true },
      // the copied folder's database is a copy of the one the backup belongs to (which still exists): restored on purpose
      { name: 'restore', args: ['restore', 'BACKUP', '--allow-other-database'], copy: true, ok: true },
      { name: 'checkpoint', args: ['checkpoint'], copy: true, ok: true },
      { name: 'checkpoint --list', args: ['checkpoint', '--list'], ok: true },
      { name: 'emergency-rollback', args: ['--yes', 'emergency-rollback', 'performance'], copy: true, ok: true },
      { name: 'health', args: ['health'], ok: true },
      { name: 'report', args: ['report'], copy: true, ok: true },
      { name: 'seed', args: ['seed', '--rows', '50'], empty: true, ok: true },
      { name: 'demo', args: ['demo', '--rows', '50'], empty: true, ok: true },
    ];
    const notADatabase = [
      'status',
      'history',
      'plan',
      'migrate',
      'rollback --to-mvp 1',
      'validate',
      'diff --from 1',
      'backup',
      'checkpoint',
      'health',
      'report',
      'seed',
    ];
    // restore, resume and emergency-rollback are the repair commands: they work on a damaged file, so their error cases differ
    const errors: Case[] = [
      ...notADatabase.map((cmd) => ({ name: `${cmd} on a text file`, args: ['--db', 'not-a-db.txt', ...cmd.split(' ')], ok: false })),
      { name: 'demo over an existing database', args: ['demo', '--rows', '10'], ok: false },
      { name: 'restore of an unknown backup', args: ['restore', 'no-such-backup'], ok: false },
      { name: 'resume of a missing checkpoint', args: ['resume', 'no-such-checkpoint'], ok: false },
      { name: 'emergency-rollback of an unknown type', args: ['emergency-rollback', 'meteor'], ok: false },
      { name: 'unknown command', args: ['migarte'], ok: false },
      { name: 'unknown flag', args: ['status', '--verbose'], ok: false },
      { name: 'bad flag value', args: ['migrate', '--to', 'ten'], ok: false },
      { name: 'missing argument', args: ['restore'], ok: false },
      { name: 'unknown target', args: ['migrate', '--to-mvp', '9'], copy: true, ok: false },
      { name: 'checkpoint --list of a missing folder', args: ['--backups', 'nowhere', 'checkpoint', '--list'], ok: true },
    ];
    const all = [...success, ...errors].map((c) => ({
      ...c,
      args: c.args.map((a) => (a === 'BACKUP' ? backupId : a === 'CHECKPOINT' ? checkpoint : a)),
    }));
    let copies = 0;
    const results = await runAll(all, (c) => {
      if (c.empty) return tempDir();
      if (!c.copy) return base;
      const dir = tempDir();
      // commands run in parallel in `base`: a plan's sample files come and go in its backups folder meanwhile
      cpSync(base, dir, { recursive: true, filter: (src) => !/mfmig-(rehearsal|sample|calibration)-/.test(basename(src)) });
      copies++;
      return dir;
    });
    expect(copies).toBeGreaterThan(0);
    for (const c of all) {
      const run = results.get(c.name)!;
      let doc: unknown;
      expect(
        () => (doc = JSON.parse(run.stdout)),
        `${c.name}: stdout is not one JSON document:\n${run.stdout.slice(0, 400)}\nstderr: ${run.stderr.slice(0, 400)}`,
      ).not.toThrow();
      expect(typeof doc, c.name).toBe('object');
      expect(doc, c.name).not.toBeNull();
      if (c.ok) {
        expect(run.code, `${c.name}: ${run.stderr}`).toBe(0);
        expect(doc, c.name).not.toHaveProperty('error');
      } else {
        expect(run.code, c.name).toBeGreaterThan(0);
        expect((doc as { error?: { code?: string } }).error?.code, c.name).toMatch(/^[A-Z_]+$/);
      }
    }
    // a checkpoint belongs to its database file: resume in the prepared folder, after the others read it
    const resume = mfmig(base, ['--migrations', REAL_MIGRATIONS, '--json', 'resume', checkpoint]);
    expect(resume.code, resume.stderr).toBe(0);
    expect(JSON.parse(resume.stdout)).toMatchObject({ toVersion: 17 });
    expect(results.get('status on a text file')!.code).toBe(2);
    expect(results.get('health on a text file')!.code).toBe(2);
    expect(results.get('unknown flag')!.code).toBe(2);
    // the migrate run showed its progress, on stderr only
    expect(results.get('migrate')!.stderr).toMatch(/\[1\/4\] up 0010_/);
    expect(results.get('demo')!.stderr.length).toBeGreaterThan(0);
    expect(readdirSync(base)).toContain('knowledge.db');
  });
});
