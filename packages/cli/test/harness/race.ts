import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliRun, REAL_MIGRATIONS, mfmigAsync, tempDir } from '../helpers.js';
import { inspectAfterCrash } from './db-state.js';
import { type ReaderReport, startKbReader } from './kb-reader.js';
import { type MigrateReference, diffRecords } from './migrate-crash.js';

/** What a race of concurrent `mfmig migrate` runs produced. */
export interface Race {
  runs: CliRun[];
  pids: number[];
  file: string;
  report?: ReaderReport;
}

/** Starts `runners` `mfmig migrate` at once on a copy of the seeded database (with a KB reader running throughout when asked). */
export async function race(ref: MigrateReference, runners: number, lockTimeoutMs: number, withReader: boolean): Promise<Race> {
  const dir = tempDir('mfmig-race-');
  const file = join(dir, 'knowledge.db');
  copyFileSync(ref.seedFile, file);
  const reader = withReader ? startKbReader(file, ref.rows) : undefined;
  await reader?.ready;
  const children = Array.from({ length: runners }, () =>
    mfmigAsync(dir, ['--migrations', REAL_MIGRATIONS, '--yes', '--json', 'migrate', '--lock-timeout', String(lockTimeoutMs)]),
  );
  const runs = await Promise.all(children.map((c) => c.done));
  const report = await reader?.stop();
  return { runs, pids: children.map((c) => c.child.pid!), file, report };
}

/** The versions a run says it applied. */
export const appliedBy = (run: CliRun): number[] =>
  (run.json?.migrations ?? [])
    .filter((m: { status: string; direction: string }) => m.status === 'Success' && m.direction === 'up')
    .map((m: { version: number }) => m.version);

/** Each migration applied by exactly one run, and the database equal to a single uninterrupted run. */
export function expectOneResult(ref: MigrateReference, { runs, file }: Race): void {
  const applied = runs.flatMap(appliedBy).sort((a, b) => a - b);
  expect(applied).toEqual(Array.from({ length: ref.lastVersion - 2 }, (_, i) => i + 3));
  const state = inspectAfterCrash(file, ref.runsSince);
  expect(state.integrity).toBe('ok');
  expect(state.foreignKeyViolations).toBe(0);
  expect(state.history.map((h) => [h.version, h.status])).toEqual(Array.from({ length: ref.lastVersion }, (_, i) => [i + 1, 'applied']));
  expect(state.liveHash).toBe(ref.hashes.get(ref.lastVersion));
  expect(diffRecords(ref.finalUsers, state.users)).toEqual([]);
}

/** Losers refused without waiting say LOCK_HELD and name one of the racing processes. */
export function expectRefusalsNameHolder(r: Race): number {
  const refused = r.runs.filter((run) => run.code === 3);
  for (const run of r.runs) expect([0, 3], run.stderr).toContain(run.code);
  for (const run of refused) {
    expect(run.json.error.code).toBe('LOCK_HELD');
    expect(r.pids).toContain(Number(/pid (\d+)/.exec(run.json.error.message)?.[1]));
  }
  return refused.length;
}
