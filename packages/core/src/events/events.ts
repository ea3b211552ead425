/** Where a run stands. Returned by `getCurrentProgress()` and sent with `progressUpdated`. */
export interface MigrationProgress {
  runId: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'rolled_back' | 'interrupted';
  direction: 'up' | 'down';
  /** Steps finished so far. */
  currentStep: number;
  totalSteps: number;
  /** The migration being worked on, when one is. */
  currentMigration?: { version: number; name: string; mvp: number };
  startedAt: string;
  /** Milliseconds since the run started. */
  elapsedTime: number;
  /** ISO time the run is expected to end, extrapolated from the steps so far. */
  estimatedCompletion: string | null;
  performance: { memoryUsage: number; peakMemoryUsage: number; rowsProcessed: number };
  error?: string;
}

/** Progress of a long operation inside a step (a data transformation, a backup, a rebuild). */
export interface OperationProgress {
  operation: string;
  /** Rows or pages done. */
  done: number;
  total: number;
  unit: 'rows' | 'pages' | 'checks';
  ratePerSecond: number;
  /** Milliseconds left at the current rate, or null when unknown. */
  etaMs: number | null;
}

/** The events every mfmig service may emit, by name. */
export interface MigrationEvents {
  runStarted: { runId: string; direction: 'up' | 'down'; fromVersion: number; targetVersion: number; totalSteps: number; dryRun: boolean };
  runCompleted: { runId: string; direction: 'up' | 'down'; toVersion: number; durationMs: number; migrations: number };
  runFailed: { runId: string; error: Error };
  migrationStarted: { version: number; name: string; mvp: number; direction: 'up' | 'down'; step: number; totalSteps: number };
  migrationCompleted: { version: number; name: string; mvp: number; direction: 'up' | 'down'; durationMs: number };
  migrationFailed: { version: number; name: string; mvp: number; direction: 'up' | 'down'; error: Error };
  /** One step (one migration) of a run finished. `duration` is in ms. */
  migrationStepCompleted: { step: number; totalSteps: number; version: number; name: string; duration: number };
  progressUpdated: MigrationProgress;
  operationProgress: OperationProgress;
  lockWaiting: { holder: string };
  /**
   * The run took over the lock of a holder that is gone (`stale`) or of a row no live run can
   * have written (`invalid`: a pid that is no process, a heartbeat that is no time or lies in
   * the future), which deserves a warning.
   */
  lockTakenOver: { holder: string; reason: 'stale' | 'invalid'; detail: string };
  log: { level: 'debug' | 'info' | 'warn' | 'error'; event: string; [key: string]: unknown };
  [event: string]: unknown;
}

type Listener<T> = (data: T) => void;
type WildcardListener = (event: string, data: unknown) => void;

/**
 * A small typed event emitter. A `'*'` listener receives every event as `(name, data)`.
 * A listener that throws is isolated: it cannot break a migration.
 *
 * @example
 * events.on('migrationStepCompleted', (d) => console.log(`Step ${d.step} in ${d.duration}ms`));
 * events.on('*', (name, data) => console.log(name, data));
 */
export class MigrationEventEmitter<TEvents extends Record<string, unknown> = MigrationEvents> {
  #listeners = new Map<string, Set<(...args: unknown[]) => void>>();

  on(event: '*', listener: WildcardListener): this;
  on<K extends keyof TEvents & string>(event: K, listener: Listener<TEvents[K]>): this;
  on(event: string, listener: (...args: never[]) => void): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (...args: unknown[]) => void);
    return this;
  }

  off(event: string, listener: (...args: never[]) => void): this {
    this.#listeners.get(event)?.delete(listener as (...args: unknown[]) => void);
    return this;
  }

  /** True when anybody listens to `event` (or to everything). */
  hasListeners(event: string): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0 || (this.#listeners.get('*')?.size ?? 0) > 0;
  }

  emit<K extends keyof TEvents & string>(event: K, data: TEvents[K]): void {
    for (const fn of this.#listeners.get(event) ?? []) safeCall(() => fn(data));
    for (const fn of this.#listeners.get('*') ?? []) safeCall(() => fn(event, data));
  }
}

function safeCall(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    process.emitWarning(`mfmig event listener threw: ${(error as Error)?.message ?? String(error)}`);
  }
}
