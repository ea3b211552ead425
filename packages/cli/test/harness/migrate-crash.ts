import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMigrationFramework } from '@mfmig/framework';
import { REAL_MIGRATIONS, mfmig, tempDir } from '../helpers.js';
import { type ChildEnd, type KillAt, runMfmig } from './crash-runner.js';
import { type CrashState, inspectAfterCrash, kbChecksums, userTableChecksums, withDb } from './db-state.js';

export const MIGRATE_ARGS = ['--migrations', REAL_MIGRATIONS, '--yes', '--json', 'migrate', '--lock-timeout', '0'];

/** A seeded MVP1 database and everything an uninterrupted MVP1 -> MVP5 run of it produces. */
export interface MigrateReference {
  seedFile: string;
  rows: number;
  /** Times at or after this are written by runs and masked in checksums. */
  runsSince: number;
  /** The uninterrupted CLI run (its step markers and their times). */
  clean: ChildEnd;
  markers: string[];
  kb: Record<string, string>;
  /** Schema hash per version, from the uninterrupted run's history. */
  hashes: Map<number, string>;
  /** User-table checksums after each version (versions 2..17). */
  usersAt: Map<number, Record<string, string>>;
  finalUsers: Record<string, string>;
  lastVersion: number;
  /** The database after the uninterrupted CLI run (MVP5). */
  finalFile: string;
}

/**
 * Seeds `rows` KB entries at MVP1, runs the migration once through the CLI and (unless
 * `perVersion` is false) once version by version in-process.
 */
export async function prepareMigrateReference(rows: number, perVersion = true): Promise<MigrateReference> {
  const base = tempDir('mfmig-crash-ref-');
  const seeded = mfmig(base, ['--migrations', REAL_MIGRATIONS, 'seed', '--rows', String(rows)]);
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
  const seedFile = join(base, 'seed.db');
  copyFileSync(join(base, 'knowledge.db'), seedFile);
  const runsSince = Date.now();

  const cliDir = tempDir('mfmig-crash-cli-');
  copyFileSync(seedFile, join(cliDir, 'knowledge.db'));
  const run = await runMfmig(cliDir, MIGRATE_ARGS);
  if (run.code !== 0) throw new Error(`reference migrate failed (${run.code}): ${run.stderr}`);
  const cliFile = join(cliDir, 'knowledge.db');
  const { hashes, finalUsers, lastVersion, kb } = withDb(cliFile, (db) => ({
    hashes: new Map((db.prepare('SELECT version, schema_hash FROM mfmig_history').raw().all() as [number, string][]).map(([v, h]) => [v, h])),
    finalUsers: userTableChecksums(db, runsSince),
    lastVersion: db.prepare('SELECT max(version) FROM mfmig_history').pluck().get() as number,
    kb: kbChecksums(db),
  }));

  const usersAt = perVersion ? await usersPerVersion(seedFile, lastVersion, runsSince) : new Map([[lastVersion, finalUsers]]);
  return { seedFile, rows, runsSince, clean: run, markers: run.markers, kb, hashes, usersAt, finalUsers, lastVersion, finalFile: cliFile };
}

/** In-process, one `migrateTo` per version, the user tables after each. */
async function usersPerVersion(seedFile: string, lastVersion: number, runsSince: number): Promise<Map<number, Record<string, string>>> {
  const dir = tempDir('mfmig-crash-steps-');
  const file = join(dir, 'knowledge.db');
  copyFileSync(seedFile, file);
  const framework = createMigrationFramework({ database: file, migrationsPath: REAL_MIGRATIONS, backupPath: join(dir, 'backups') });
  const usersAt = new Map<number, Record<string, string>>();
  try {
    const start = (await framework.migrationService.status()).currentVersion;
    usersAt.set(start, userTableChecksums(framework.context.adapter.raw, runsSince));
    for (let v = start + 1; v <= lastVersion; v++) {
      const result = await framework.migrationService.migrateTo({ version: v }, { validateIntegrity: false, plan: false });
      if (!result.success) throw new Error(`in-process migrate to ${v} failed`);
      usersAt.set(v, userTableChecksums(framework.context.adapter.raw, runsSince));
    }
  } finally {
    framework.close();
  }
  return usersAt;
}

/** What one crash did and what the checks found. */
export interface MigrateCrashOutcome {
  kill: KillAt;
  killed: ChildEnd;
  state: CrashState;
  rerun: ChildEnd;
  problems: string[];
}

/**
 * Copies the seeded database, runs `mfmig migrate` killed as `kill` says, reopens the file with
 * its journal and checks it, then reruns and checks that the run finishes with the same data as
 * an uninterrupted one. Problems come back as sentences naming the kill point.
 */
export async function crashMigrate(ref: MigrateReference, kill: KillAt): Promise<MigrateCrashOutcome> {
  const dir = tempDir('mfmig-crash-');
  const file = join(dir, 'knowledge.db');
  copyFileSync(ref.seedFile, file);
  const killed = await runMfmig(dir, MIGRATE_ARGS, kill);
  const where = `kill ${JSON.stringify(kill)} (last marker ${killed.markers.at(-1) ?? 'none'})`;
  const problems: string[] = [];
  if (kill !== 'never' && 'step' in kill && killed.signal !== 'SIGKILL') problems.push(`${where}: the run was not killed (exit ${killed.code})`);
  if (killed.signal !== 'SIGKILL' && killed.code !== 0)
    problems.push(`${where}: the run failed on its own (exit ${killed.code}): ${killed.stderr.slice(-300)}`);

  const state = inspectAfterCrash(file, ref.runsSince);
  problems.push(...checkState(ref, state).map((p) => `${where}: ${p}`));

  const rerun = await runMfmig(dir, MIGRATE_ARGS);
  if (rerun.code !== 0) problems.push(`${where}: the rerun exited ${rerun.code}: ${rerun.stderr.slice(-300)}`);
  const after = inspectAfterCrash(file, ref.runsSince);
  if (after.integrity !== 'ok') problems.push(`${where}: after the rerun integrity_check says ${after.integrity}`);
  if (after.topVersion !== ref.lastVersion || after.history.some((h) => h.status !== 'applied')) {
    problems.push(
      `${where}: after the rerun the history ends at ${after.topVersion} (${after.history.filter((h) => h.status !== 'applied').length} not applied)`,
    );
  }
  problems.push(...diffRecords(ref.finalUsers, after.users).map((t) => `${where}: after the rerun table ${t} differs from an uninterrupted run`));
  return { kill, killed, state, rerun, problems };
}

/** The checks on a database reopened after a kill. */
function checkState(ref: MigrateReference, s: CrashState): string[] {
  const problems: string[] = [];
  if (s.integrity !== 'ok') problems.push(`integrity_check says ${s.integrity}`);
  if (s.foreignKeyViolations > 0) problems.push(`${s.foreignKeyViolations} foreign_key_check violations`);
  const versions = s.history.map((h) => h.version);
  const contiguous = versions.every((v, i) => v === i + 1);
  if (!contiguous || s.topVersion < 2) problems.push(`history is not 1..n from MVP1: ${versions.join(',')}`);
  const notApplied = s.history.filter((h) => h.status !== 'applied');
  if (notApplied.length > 1 || (notApplied.length === 1 && notApplied[0]!.version !== s.topVersion)) {
    problems.push(`rows not applied below the top: ${notApplied.map((h) => `${h.version}:${h.status}`).join(',')}`);
  }
  const top = s.history.at(-1);
  const expected = ref.hashes.get(s.topVersion);
  if (s.liveHash !== expected || top?.schema_hash !== expected || s.storedSnapshotHash !== expected) {
    problems.push(
      `schema at version ${s.topVersion}: live ${s.liveHash}, history ${top?.schema_hash}, stored snapshot ${s.storedSnapshotHash}, uninterrupted run ${expected}`,
    );
  }
  problems.push(...diffRecords(ref.kb, s.kb).map((t) => `KB table ${t} lost or changed rows`));
  if (top?.status === 'applied') {
    const users = ref.usersAt.get(s.topVersion);
    if (!users) problems.push(`no reference for version ${s.topVersion}`);
    else problems.push(...diffRecords(users, s.users).map((t) => `table ${t} is not as after version ${s.topVersion}`));
  }
  return problems;
}

/** Keys whose values differ between two records. */
export function diffRecords(expected: Record<string, string>, actual: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  return [...keys].filter((k) => expected[k] !== actual[k]).map((k) => `${k} (${expected[k] ?? 'missing'} vs ${actual[k] ?? 'missing'})`);
}
