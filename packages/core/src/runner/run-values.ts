/** A typed key for a value the caller of a run hands that run's plugins (see {@link RunValues}). */
export interface RunKey<T> {
  readonly name: string;
  /** Carries the value's type only; never set. */
  readonly __value?: T;
}

/**
 * A key for {@link RunValues}; each call makes a new key, so keys of different packages never clash.
 *
 * @example
 * export const RUN_REQUEST = runKey<{ validate: boolean }>('framework-run-request');
 */
export function runKey<T>(name: string): RunKey<T> {
  return { name };
}

/**
 * What the caller of one run hands its plugins, by typed key: passed to `migrate`/`rollback` as
 * `values` and read by a plugin from `run.values`. It lives as long as the run's call, so nothing
 * of one run is kept in module or service state for the next.
 *
 * @example
 * await migrator.migrate({ mvp: 3 }, { values: new RunValues().set(RUN_REQUEST, { validate: true }) });
 * // in a plugin's beforeRun(run): run.values.get(RUN_REQUEST)?.validate
 */
export class RunValues {
  readonly #values = new Map<RunKey<unknown>, unknown>();

  set<T>(key: RunKey<T>, value: T): this {
    this.#values.set(key, value);
    return this;
  }

  get<T>(key: RunKey<T>): T | undefined {
    return this.#values.get(key) as T | undefined;
  }
}
