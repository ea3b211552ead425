import type { CheckKind, CheckRecord, SkipReason, SkippedCheck, ValidationFinding } from '../report/types.js';
import { finding } from '../report/finding-codes.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const EXPIRED: unique symbol = Symbol('expired');

/** Thrown by a check that finds it cannot apply after it started: {@link PostgresRun.attempt} lists it as skipped, with no finding. */
export class CheckSkipped extends Error {
  constructor(
    readonly reason: SkipReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The checks of one run under one deadline: a check still running at the deadline is abandoned
 * (its query is cancelled when the connection closes), the ones after it are not started, and
 * every check that did not run is listed as skipped, never as passed.
 */
export class PostgresRun {
  readonly findings: ValidationFinding[] = [];
  readonly checksRun: CheckRecord[] = [];
  readonly checksSkipped: SkippedCheck[] = [];
  readonly #timeoutMs: number;
  readonly #expired: Promise<typeof EXPIRED>;
  readonly #deadline = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#expired = new Promise((resolvePromise) => {
      this.#timer = setTimeout(() => {
        this.#deadline.abort();
        resolvePromise(EXPIRED);
      }, timeoutMs);
    });
  }

  /** Aborted at the deadline: work that can stop early (a rehearsal between two migrations) listens to it. */
  get signal(): AbortSignal {
    return this.#deadline.signal;
  }

  /** True once a check ran into the deadline: the connection may still be busy with its query. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  skip(id: string, kind: CheckKind, reason: SkipReason, message: string, target?: string): void {
    this.checksSkipped.push({ id, kind, ...(target === undefined ? {} : { target }), reason, message });
  }

  /** Runs one check; undefined when it did not run to the end (timeout, error). */
  async attempt<T>(id: string, kind: CheckKind, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.#timedOut) {
      this.skip(id, kind, 'timeout', 'not started before the validation timeout');
      return undefined;
    }
    const start = performance.now();
    const work = fn();
    // a check abandoned at the deadline fails later, when its connection closes
    work.catch(() => {});
    try {
      const value = await Promise.race([work, this.#expired]);
      if (value === EXPIRED) {
        this.#timedOut = true;
        this.skip(id, kind, 'timeout', `stopped by the validation timeout after ${seconds(performance.now() - start)}`);
        return undefined;
      }
      this.checksRun.push({ id, kind, durationMs: Math.round((performance.now() - start) * 10) / 10 });
      return value;
    } catch (error) {
      if (error instanceof CheckSkipped) {
        this.skip(id, kind, error.reason, error.message);
        return undefined;
      }
      const message = (error as Error)?.message ?? String(error);
      this.findings.push(
        finding('CHECK_FAILED', `Check ${id} could not run: ${message}`, 'Fix the cause and validate again; this part of the database was not checked'),
      );
      this.skip(id, kind, 'error', message);
      return undefined;
    }
  }

  /** Stops the clock, and adds one `VALIDATION_INCOMPLETE` finding when the deadline cut checks short. */
  finish(): void {
    clearTimeout(this.#timer);
    const cut = this.checksSkipped.filter((s) => s.reason === 'timeout');
    if (cut.length === 0) return;
    this.findings.push(
      finding(
        'VALIDATION_INCOMPLETE',
        `Validation stopped at its ${this.#timeoutMs} ms timeout; not checked: ${cut.map((s) => s.id).join(', ')}`,
        'Raise --timeout (or VALIDATION_TIMEOUT / validationTimeout)',
        {},
        { count: cut.length },
      ),
    );
  }

  /** Clears the timer of a run that ends by an error. */
  dispose(): void {
    clearTimeout(this.#timer);
  }
}
