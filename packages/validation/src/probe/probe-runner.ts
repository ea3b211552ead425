import type { SqliteConnection } from '@mfmig/core';
import { type Probe, type ProbeResult, runProbe } from './probe.js';
import { ChildProbePool } from './probe-pool.js';

/** A probe that produced no result, and why. */
export interface UnrunProbe {
  probe: Probe;
  reason: 'timeout' | 'error';
  message: string;
}

/** The results of the probes of a run. */
export interface ProbeExecution {
  results: Map<string, ProbeResult>;
  unrun: UnrunProbe[];
  /** Where the probes ran. */
  mode: 'child-processes' | 'in-process';
}

/** Options of {@link ProbeRunner}. */
export interface ProbeRunnerOptions {
  /** The database file for child processes, or null to run in-process. */
  childFile: string | null;
  parallelism: number;
  /** `performance.now()` time past which nothing more is started and children are killed. */
  deadline: number;
}

/**
 * Runs the probes of one validation run. With a file, child processes start at once and
 * take probes as they are submitted, so the caller does its catalog work meanwhile. Without
 * one (an in-memory database, a handle inside a transaction, a small file) the probes run
 * in-process, one after another, in `wait()`: no probe starts after the deadline, but one
 * that has started runs to its end, so in-process runs are kept for small files.
 *
 * @example
 * const runner = new ProbeRunner(conn, { childFile: '/data/kb.db', parallelism: 2, deadline: performance.now() + 60_000 });
 * runner.submit([{ id: 'qc', sql: 'PRAGMA quick_check' }]);
 * const { results, unrun } = await runner.wait();
 */
export class ProbeRunner {
  readonly #db: SqliteConnection;
  readonly #deadline: number;
  readonly #pool: ChildProbePool | null;
  readonly #local: Probe[] = [];

  constructor(db: SqliteConnection, options: ProbeRunnerOptions) {
    this.#db = db;
    this.#deadline = options.deadline;
    this.#pool =
      options.childFile === null ? null : new ChildProbePool({ file: options.childFile, parallelism: options.parallelism, deadline: options.deadline });
  }

  submit(probes: Probe[]): void {
    if (this.#pool) this.#pool.submit(probes);
    else this.#local.push(...probes);
  }

  async wait(): Promise<ProbeExecution> {
    if (!this.#pool) return { ...(await this.#runLocally(this.#local)), mode: 'in-process' };
    const outcome = await this.#pool.finish();
    const fallback = await this.#runLocally(outcome.fallback);
    const unrun: UnrunProbe[] = [
      ...outcome.unfinished.map((probe) => ({ probe, reason: 'timeout' as const, message: 'not finished when the validation timeout was reached' })),
      ...outcome.crashed.map(({ probe, reason }) => ({ probe, reason: 'error' as const, message: reason })),
      ...fallback.unrun,
    ];
    const results = new Map([...outcome.results, ...fallback.results]);
    return { results, unrun, mode: outcome.fallback.length > 0 && outcome.results.size === 0 ? 'in-process' : 'child-processes' };
  }

  async #runLocally(probes: Probe[]): Promise<{ results: Map<string, ProbeResult>; unrun: UnrunProbe[] }> {
    const results = new Map<string, ProbeResult>();
    const unrun: UnrunProbe[] = [];
    for (const probe of probes) {
      if (performance.now() >= this.#deadline) unrun.push({ probe, reason: 'timeout', message: 'not started before the validation timeout' });
      else results.set(probe.id, await runProbe(this.#db, probe));
    }
    return { results, unrun };
  }
}
