import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File, tempDir } from '../helpers.js';
import { type ChildEnd, type KillAt, runMfmig } from './crash-runner.js';
import { inspectAfterCrash } from './db-state.js';
import { type MigrateReference, diffRecords } from './migrate-crash.js';

/** One command under the crash harness: how to set up its folder, what to run, what must hold. */
export interface CommandCase {
  name: string;
  args: string[];
  /** Fills `dir` (the live `knowledge.db`, `backups/`); returns facts the checks need. */
  prepare(dir: string): Promise<Record<string, string>> | Record<string, string>;
  /** Problems after the kill (before anything else opens the file) and after the rerun. */
  check(dir: string, facts: Record<string, string>, phase: 'killed' | 'rerun', end: ChildEnd): string[];
  /** The exit code the rerun must give, judged right after the kill (default 0). */
  rerunExpects?(dir: string, facts: Record<string, string>): number;
}

/** Runs `c` killed as `kill` says, checks, reruns it, checks again. */
export async function crashCommand(c: CommandCase, kill: KillAt): Promise<{ killed: ChildEnd; problems: string[] }> {
  const dir = tempDir(`mfmig-crash-${c.name.replace(/\W+/g, '-')}-`);
  const facts = await c.prepare(dir);
  const killed = await runMfmig(dir, c.args, kill);
  const where = `${c.name}, kill ${JSON.stringify(kill)} (last marker ${killed.markers.at(-1) ?? 'none'})`;
  const problems: string[] = [];
  if (killed.signal !== 'SIGKILL' && killed.code !== 0) problems.push(`the run failed on its own (exit ${killed.code}): ${killed.stderr.slice(-300)}`);
  const expected = c.rerunExpects?.(dir, facts) ?? 0;
  problems.push(...c.check(dir, facts, 'killed', killed));
  const rerun = await runMfmig(dir, c.args);
  if (rerun.code !== expected) problems.push(`the rerun exited ${rerun.code}, expected ${expected}: ${rerun.stderr.slice(-300)}`);
  problems.push(...c.check(dir, facts, 'rerun', rerun).map((p) => `after the rerun: ${p}`));
  return { killed, problems: problems.map((p) => `${where}: ${p}`) };
}

/** The live database is consistent, at `version`, with exactly `users` in its user tables. */
export function liveIs(ref: MigrateReference, file: string, version: number, users: Record<string, string>): string[] {
  const s = inspectAfterCrash(file, ref.runsSince);
  const problems: string[] = [];
  if (s.integrity !== 'ok') problems.push(`integrity_check says ${s.integrity}`);
  if (s.foreignKeyViolations > 0) problems.push(`${s.foreignKeyViolations} foreign_key_check violations`);
  if (s.topVersion !== version) problems.push(`at version ${s.topVersion}, expected ${version}`);
  if (s.liveHash !== ref.hashes.get(version)) problems.push(`schema hash ${s.liveHash} is not that of version ${version}`);
  problems.push(...diffRecords(ref.kb, s.kb).map((t) => `KB table ${t} changed`));
  problems.push(...diffRecords(users, s.users).map((t) => `table ${t} differs`));
  return problems;
}

/**
 * Every backup manifest in `folder` and in its per-database folders names a file with its sha256
 * (a killed backup never shows up half-written).
 */
export function backupsComplete(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const problems: string[] = [];
  const folders = [
    folder,
    ...readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(folder, e.name)),
  ];
  for (const dir of folders) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const manifest = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { file: string; sha256: string };
      const file = join(dir, manifest.file);
      if (!existsSync(file)) problems.push(`manifest ${name} names a missing file`);
      else if (sha256File(file) !== manifest.sha256) problems.push(`manifest ${name}: the file does not match its sha256`);
    }
  }
  return problems;
}

/** Copies the live database (and a backups folder) of the reference into `dir`. */
export function copyInto(dir: string, liveFile: string, backups?: string): void {
  cpSync(liveFile, join(dir, 'knowledge.db'));
  if (backups) cpSync(backups, join(dir, 'backups'), { recursive: true });
}
