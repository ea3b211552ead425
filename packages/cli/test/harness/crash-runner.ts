import { spawn } from 'node:child_process';
import { BIN, cliEnv } from '../helpers.js';

/** How a child run ended. */
export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Step markers printed before the end (with MFMIG_TEST_STEP_MARKERS=1), as `<event>[:<detail>]`. */
  markers: string[];
  /** When each marker arrived, in ms after the start. */
  markerTimes: number[];
  ms: number;
}

/**
 * Where and how to kill a run: after step marker `step`, or `afterMs` after the start (from
 * outside), or `delayMs` after `afterOutput` first appears on its stderr (from outside), or never.
 */
export type KillAt = { step: number } | { afterMs: number } | { afterOutput: string; delayMs: number } | 'never';

/** Runs the built `mfmig` once in `cwd`, killing it with SIGKILL as `kill` says. */
export function runMfmig(cwd: string, args: string[], kill: KillAt = 'never', env: Record<string, string> = {}): Promise<ChildEnd> {
  const started = performance.now();
  const childEnv = cliEnv({ MFMIG_TEST_STEP_MARKERS: '1', ...env });
  delete childEnv.MFMIG_TEST_KILL_AT_STEP;
  if (kill !== 'never' && 'step' in kill) childEnv.MFMIG_TEST_KILL_AT_STEP = String(kill.step);
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv });
  let stdout = '';
  let stderr = '';
  const markerTimes: number[] = [];
  child.stdout.on('data', (d) => (stdout += d));
  let counted = 0;
  let timer: NodeJS.Timeout | undefined;
  const killAfter = (ms: number) => (timer = setTimeout(() => child.kill('SIGKILL'), ms));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (timer === undefined && kill !== 'never' && 'afterOutput' in kill && stderr.includes(kill.afterOutput)) killAfter(kill.delayMs);
    const complete = stderr.slice(0, stderr.lastIndexOf('\n') + 1);
    const now = performance.now() - started;
    for (let at = complete.indexOf('@@mfmig-step ', counted); at >= 0; at = complete.indexOf('@@mfmig-step ', at + 1)) markerTimes.push(now);
    counted = complete.length;
  });
  if (kill !== 'never' && 'afterMs' in kill) killAfter(kill.afterMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const markers = stderr
        .split('\n')
        .filter((l) => l.startsWith('@@mfmig-step '))
        .map((l) => l.replace(/^@@mfmig-step \d+ /, ''));
      resolve({ code, signal, stdout, stderr, markers, markerTimes, ms: performance.now() - started });
    });
  });
}

/** Runs `task` over `items` with at most `parallel` at a time; results in item order. */
export async function pool<T, R>(items: T[], parallel: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  return results;
}

/** A seeded PRNG, so random kill times replay from the seed. */
export { seededRandom as prng } from '@mfmig/test-support';

/** Marker numbers 1, 1 + stride, ... up to `total`, plus the last one. */
export function killSteps(total: number, stride: number): number[] {
  const steps = new Set<number>();
  for (let s = 1; s <= total; s += Math.max(1, stride)) steps.add(s);
  steps.add(total);
  return [...steps];
}

/**
 * `count` kill times drawn from `random` between the first and the last marker of a clean run
 * (before the first marker the process is still starting and has not opened the database).
 */
export function randomKillTimes(clean: ChildEnd, count: number, random: () => number): { afterMs: number }[] {
  const from = clean.markerTimes[0] ?? clean.ms * 0.25;
  const to = clean.markerTimes.at(-1) ?? clean.ms;
  return Array.from({ length: count }, () => ({ afterMs: Math.round(from + (to - from) * random()) }));
}

/** Reads a whole-number env var, or the default. */
export function envNumber(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, not ${value}`);
  return n;
}
