import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { createMigrationFramework } from '@mfmig/framework';
import { REAL_MIGRATIONS, mfmig, tempDir } from '../helpers.js';
import { type ChildEnd, pool, prng, runMfmig } from './crash-runner.js';
import { inspectAfterCrash, tableChecksum, userTableChecksums, withDb } from './db-state.js';
import { diffRecords } from './migrate-crash.js';

/** `mfmig migrate --to 9`: version 9 (0009_extend_kb_categories) rebuilds kb_entries, online over 10,000 rows. */
export const TO_9 = ['--migrations', REAL_MIGRATIONS, '--no-dump', 'migrate', '--to', '9', '--yes', '--lock-timeout', '0'];
/** What the run prints (as a step marker and a progress line) when the online copy has started. */
export const REBUILD_STARTED = 'rebuild kb_entries';
const SHADOW = 'kb_entries_rebuild';

/** The user schema: `type name tbl_name sql` with double quotes removed (a rename quotes the names it rewrites). */
function userSchema(db: Database.Database): string[] {
  const rows = db
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'mfmig\\_%' ESCAPE '\\' AND tbl_name NOT LIKE 'mfmig\\_%' ESCAPE '\\' ORDER BY type, name",
    )
    .raw()
    .all() as string[][];
  return rows.map((r) => r.map((v) => String(v).replaceAll('"', '')).join(' '));
}

/** What the checks read besides {@link inspectAfterCrash}: schema, kb_entries (every column, by id), the online rebuild's leftovers. */
function readOnline(file: string) {
  return withDb(file, (db) => {
    const hasOnline = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'mfmig_online'").get() !== undefined;
    const online = hasOnline ? (db.prepare('SELECT moved_indexes FROM mfmig_online').pluck().all() as string[]) : [];
    return {
      schema: userSchema(db),
      kbEntries: tableChecksum(db, 'kb_entries', Infinity),
      online: online.map((m) => JSON.parse(m) as string[]),
      onlineTriggers: db
        .prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'mfmig\\_online\\_%' ESCAPE '\\'")
        .pluck()
        .get() as number,
    };
  });
}

/** The version-8 knowledge base every run starts from, and what an uninterrupted `mfmig migrate --to 9` makes of it. */
export interface OnlineReference {
  template: string;
  runsSince: number;
  before: { schema: string[]; kbEntries: string; users: Record<string, string> };
  after: { schema: string[]; kbEntries: string; users: Record<string, string> };
  /** From the first rebuild progress line to the swap's commit (migrationCompleted) in the uninterrupted run, in ms. */
  rebuildMs: number;
  clean: ChildEnd;
}

/** Seeds `rows` KB entries at MVP1 with `mfmig seed`, migrates in-process to version 8, then runs the CLI to 9 once. */
export async function prepareOnlineReference(rows: number): Promise<OnlineReference> {
  const base = tempDir('mfmig-online-ref-');
  const seeded = mfmig(base, ['--migrations', REAL_MIGRATIONS, 'seed', '--rows', String(rows)]);
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
  const template = join(base, 'knowledge.db');
  const framework = createMigrationFramework({ database: template, migrationsPath: REAL_MIGRATIONS, backupPath: join(base, 'backups') });
  try {
    const result = await framework.migrationService.migrateTo({ version: 8 }, { validateIntegrity: false, plan: false });
    if (!result.success) throw new Error('in-process migrate to 8 failed');
  } finally {
    framework.close();
  }
  const runsSince = Date.now();
  const read = (file: string) => {
    const { schema, kbEntries } = readOnline(file);
    return { schema, kbEntries, users: withDb(file, (db) => userTableChecksums(db, runsSince)) };
  };
  const dir = tempDir('mfmig-online-clean-');
  copyFileSync(template, join(dir, 'knowledge.db'));
  const clean = await runMfmig(dir, TO_9);
  if (clean.code !== 0) throw new Error(`uninterrupted migrate --to 9 failed (${clean.code}): ${clean.stderr}`);
  const first = clean.markers.findIndex((m) => m.includes(REBUILD_STARTED));
  const swapped = clean.markers.indexOf('migrationCompleted:9');
  const rebuildMs = first >= 0 && swapped > first ? clean.markerTimes[swapped]! - clean.markerTimes[first]! : 0;
  const ref = { template, runsSince, before: read(template), after: read(join(dir, 'knowledge.db')), rebuildMs, clean };
  rmSync(dir, { recursive: true, force: true });
  return ref;
}

/** One killed run: where it was left (`old`: version 8, `new`: 0009 applied) and the problems the checks found. */
export interface OnlineCrashOutcome {
  killed: ChildEnd;
  left: 'old' | 'new' | 'neither';
  leftover: boolean;
  problems: string[];
}

/**
 * Copies the template, runs `mfmig migrate --to 9` and kills it `delayMs` after the rebuild's
 * first progress line, checks the file as a user reopens it, then reruns and checks that it
 * ends as the uninterrupted run did. `where` names the kill in every problem.
 */
export async function crashOnlineRebuild(ref: OnlineReference, delayMs: number, where: string): Promise<OnlineCrashOutcome> {
  const dir = tempDir('mfmig-online-crash-');
  const file = join(dir, 'knowledge.db');
  copyFileSync(ref.template, file);
  try {
    const killed = await runMfmig(dir, TO_9, { afterOutput: REBUILD_STARTED, delayMs });
    const problems: string[] = [];
    const say = (p: string) => problems.push(`${where}: ${p}`);
    // the rebuild's progress line is printed just before its step marker: a kill on a loaded machine can fall between them
    const started = killed.markers.some((m) => m.includes(REBUILD_STARTED)) || killed.stderr.includes(`${REBUILD_STARTED}:`);
    if (!started) say(`the run never started the online rebuild (exit ${killed.code}): ${killed.stderr.slice(-300)}`);
    if (killed.signal !== 'SIGKILL' && killed.code !== 0) say(`the run failed on its own (exit ${killed.code}): ${killed.stderr.slice(-300)}`);

    const s = inspectAfterCrash(file, ref.runsSince);
    const o = readOnline(file);
    if (s.integrity !== 'ok') say(`integrity_check says ${s.integrity}`);
    if (s.foreignKeyViolations > 0) say(`${s.foreignKeyViolations} foreign_key_check violations`);
    if (o.kbEntries !== ref.before.kbEntries) say(`kb_entries lost or changed rows: ${o.kbEntries}, template ${ref.before.kbEntries}`);
    const v9 = s.history.find((h) => h.version === 9);
    const left = s.topVersion === 8 && !v9 ? 'old' : s.topVersion === 9 && v9?.status === 'applied' ? 'new' : 'neither';
    const leftover = o.online.length > 0;
    const { [SHADOW]: shadowRows, ...users } = s.users;
    if (left === 'neither') say(`history is neither at 8 nor with 0009 applied: ${s.history.map((h) => `${h.version}:${h.status}`).join(',')}`);
    if (left === 'new') {
      if (leftover || o.onlineTriggers > 0 || shadowRows !== undefined) say('0009 is applied but the online rebuild left its state, triggers or shadow');
      if (o.schema.join('\n') !== ref.after.schema.join('\n')) say("0009 is applied but the schema is not the uninterrupted run's");
      for (const t of diffRecords(ref.after.users, users)) say(`0009 is applied but table ${t} differs from the uninterrupted run`);
    }
    if (left === 'old') {
      // under way: the shadow (and the indexes moved onto it) may be there; the rest is the template
      const moved = new Set(o.online.flat().map((sql) => sql.replaceAll('"', '')));
      const expected = ref.before.schema.filter((row) => ![...moved].some((sql) => row.endsWith(` ${sql}`)));
      const actual = o.schema.filter((row) => row.split(' ')[2] !== SHADOW);
      if (actual.join('\n') !== expected.join('\n')) say(`at version 8 the schema is not the template's (online state ${leftover ? 'present' : 'absent'})`);
      if (!leftover && (o.onlineTriggers > 0 || shadowRows !== undefined)) say('at version 8 a shadow or trigger is left without its online state');
      for (const t of diffRecords(ref.before.users, users)) say(`at version 8 table ${t} differs from the template`);
    }

    const rerun = await runMfmig(dir, TO_9);
    if (rerun.code !== 0) say(`the rerun exited ${rerun.code}: ${rerun.stderr.slice(-400)}`);
    const a = inspectAfterCrash(file, ref.runsSince);
    const ao = readOnline(file);
    if (a.integrity !== 'ok' || a.foreignKeyViolations > 0) say(`after the rerun: integrity ${a.integrity}, ${a.foreignKeyViolations} foreign key violations`);
    if (a.topVersion !== 9 || a.history.some((h) => h.status !== 'applied'))
      say(`after the rerun the history is ${a.history.map((h) => `${h.version}:${h.status}`).join(',')}`);
    if (ao.online.length > 0 || ao.onlineTriggers > 0) say('after the rerun mfmig_online or its triggers remain');
    if (ao.schema.join('\n') !== ref.after.schema.join('\n')) say("after the rerun the schema is not the uninterrupted run's");
    for (const t of diffRecords(ref.after.users, a.users)) say(`after the rerun table ${t} differs from the uninterrupted run`);
    return { killed, left, leftover, problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Kills the rebuild at `kills` seeded random points, two at a time, from its first progress line
 * to a little past the swap's commit in the uninterrupted run; the outcomes, and a one-line
 * summary for the test's log.
 *
 * @example
 * const { outcomes } = await crashOnlineRebuildAtRandom(ref, 8, 20_261_203);
 */
export async function crashOnlineRebuildAtRandom(
  ref: OnlineReference,
  kills: number,
  seed: number,
): Promise<{ outcomes: OnlineCrashOutcome[]; summary: string }> {
  const random = prng(seed);
  const delays = Array.from({ length: kills }, () => Math.round(random() * ref.rebuildMs * 1.25));
  const outcomes = await pool(delays, 2, (delayMs, i) =>
    crashOnlineRebuild(ref, delayMs, `seed ${seed} kill ${i} (${delayMs} ms after the first progress line)`),
  );
  const killed = outcomes.filter((o) => o.killed.signal === 'SIGKILL').length;
  const old = outcomes.filter((o) => o.left === 'old');
  const summary = `seed ${seed}: ${kills} runs, ${killed} killed, rebuild ${Math.round(ref.rebuildMs)} ms; left at version 8: ${old.length} (${old.filter((o) => o.leftover).length} with a shadow), with 0009 applied: ${kills - old.length}`;
  return { outcomes, summary };
}
