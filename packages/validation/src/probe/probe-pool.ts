import type { ChildProcess } from 'node:child_process';
import { QUERY_CHILD_SOURCE, sqliteDriverPath } from '@mfmig/core';
import type { Probe, ProbeResult } from './probe.js';

/** Options of {@link ChildProbePool}. */
export interface ChildProbeOptions {
  /** Absolute path of the database file (opened read-only by each child). */
  file: string;
  /** How many child processes to start. */
  parallelism: number;
  /** `performance.now()` time at which every child still running is killed. */
  deadline: number;
  busyTimeout?: number;
}

/** What the children did. */
export interface ChildProbeOutcome {
  results: Map<string, ProbeResult>;
  /** Probes queued or running when the deadline killed the children. */
  unfinished: Probe[];
  /** Probes no child could take (none could start or open the database): run them in-process. */
  fallback: Probe[];
  /** Probes whose child died while running them, with why. */
  crashed: { probe: Probe; reason: string }[];
}

interface Lane {
  child: ChildProcess;
  /** The probe the child is running, if any: one at a time, so that an idle child takes the next. */
  running: Probe | undefined;
  opened: boolean;
  gone: boolean;
  exited: Promise<void>;
}

/**
 * Runs probes in child processes, each with its own read-only connection. Children start at
 * once (loading the driver and opening the file while the caller does its catalog work) and
 * take the heaviest waiting probe whenever they are idle, so that the work spreads evenly
 * whatever the table sizes. At the deadline every child still running is killed with
 * SIGKILL, which stops even a single long `PRAGMA integrity_check` at once: better-sqlite3
 * cannot interrupt a query (SQLite's progress handler is compiled out) and a worker thread
 * cannot be stopped while it is inside SQLite. A child also ends itself within ~100 ms when
 * this process dies (even by SIGKILL), so that it never holds the file open after its parent.
 *
 * @example
 * const pool = new ChildProbePool({ file: '/data/kb.db', parallelism: 2, deadline: performance.now() + 60_000 });
 * pool.submit([{ id: 'qc', sql: 'PRAGMA quick_check' }]);
 * const outcome = await pool.finish();
 */
export class ChildProbePool {
  readonly #lanes: Lane[];
  readonly #queue: Probe[] = [];
  readonly #outcome: ChildProbeOutcome = { results: new Map(), unfinished: [], fallback: [], crashed: [] };
  readonly #deadline: number;
  #closing = false;
  #settled = false;

  constructor(options: ChildProbeOptions) {
    this.#deadline = options.deadline;
    const driver = sqliteDriverPath();
    this.#lanes = Array.from({ length: Math.max(1, options.parallelism) }, () => this.#start(options, driver));
  }

  /** Queues probes; idle children take the heaviest first. */
  submit(probes: Probe[]): void {
    this.#queue.push(...probes);
    this.#queue.sort((a, b) => (b.weight ?? 1) - (a.weight ?? 1));
    this.#pump();
  }

  /** Resolves when every probe has an answer, or at the deadline (children killed). */
  async finish(): Promise<ChildProbeOutcome> {
    this.#closing = true;
    this.#pump();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, this.#deadline - performance.now()));
    });
    const outcome = await Promise.race([Promise.all(this.#lanes.map((l) => l.exited)).then(() => 'done' as const), expired]);
    clearTimeout(timer);
    this.#settled = true;
    const o = this.#outcome;
    if (outcome === 'timeout') {
      for (const lane of this.#lanes) {
        lane.child.kill('SIGKILL');
        if (lane.running) o.unfinished.push(lane.running);
      }
      o.unfinished.push(...this.#queue.splice(0));
    }
    return { results: new Map(o.results), unfinished: [...o.unfinished], fallback: [...o.fallback], crashed: [...o.crashed] };
  }

  #pump(): void {
    if (this.#settled) return;
    const live = this.#lanes.filter((l) => !l.gone);
    if (live.length === 0) {
      this.#outcome.fallback.push(...this.#queue.splice(0));
      return;
    }
    for (const lane of live) {
      if (lane.running || !lane.child.stdin?.writable) continue;
      const probe = this.#queue.shift();
      if (probe) {
        lane.running = probe;
        lane.child.stdin.write(`${JSON.stringify({ type: 'probe', probe })}\n`);
      } else if (this.#closing) lane.child.stdin.end();
    }
  }

  #start(options: ChildProbeOptions, driver: string): Lane {
    const child = process.getBuiltinModule('node:child_process').spawn(process.execPath, ['-e', QUERY_CHILD_SOURCE, String(process.pid)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
      windowsHide: true,
    });
    let stderr = '';
    let resolveExit!: () => void;
    const lane: Lane = { child, running: undefined, opened: false, gone: false, exited: new Promise((r) => (resolveExit = r)) };
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    // node:child_process and node:readline load when a probe child is started, not with every command
    process
      .getBuiltinModule('node:readline')
      .createInterface({ input: child.stdout! })
      .on('line', (line) => {
        if (this.#settled) return;
        let message: { type?: string; result?: ProbeResult };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          return;
        }
        if (message.type === 'ready') lane.opened = true;
        else if (message.type === 'open-failed') {
          lane.gone = true;
          if (lane.running) this.#queue.unshift(lane.running);
          lane.running = undefined;
          this.#pump();
        } else if (message.type === 'result' && message.result) {
          this.#outcome.results.set(message.result.id, message.result);
          lane.running = undefined;
          this.#pump();
        }
      });
    let exited = false;
    const onGone = (reason: string) => {
      if (exited) return;
      exited = true;
      lane.gone = true;
      if (!this.#settled && lane.running) {
        if (lane.opened) this.#outcome.crashed.push({ probe: lane.running, reason });
        else this.#queue.unshift(lane.running);
        lane.running = undefined;
      }
      this.#pump();
      resolveExit();
    };
    child.on('error', (error) => onGone(`the probe process failed: ${error.message}`));
    child.on('close', (code, signal) =>
      onGone(`the probe process exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`),
    );
    child.stdin!.on('error', () => {
      // the child is gone; its 'close' event accounts for the probe it was running
    });
    child.stdin!.write(`${JSON.stringify({ type: 'open', driver, file: options.file, busyTimeout: options.busyTimeout ?? 5000 })}\n`);
    return lane;
  }
}
