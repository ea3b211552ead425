import { randomUUID } from 'node:crypto';
import type { Logger } from '../config/index.js';
import type { DatabaseAdapter } from '../adapter/index.js';
import { MfmigError, isMfmigError, wrapSqliteError } from '../errors/index.js';
import { type MigrationEvents, MigrationEventEmitter, type MigrationProgress } from '../events/index.js';
import { HistoryStore, MetricsStore, RepeatableStore } from '../history/index.js';
import { RunLock, describeHolder } from '../lock/index.js';
import { type Direction, type Migration, type MigrationSet, bodyDb, migrationLabel, runsInTransaction } from '../migration/index.js';
import { assertCodeLoaded } from '../migration/metadata-only-module.js';
import { applyConnectionSettings } from './apply-connection-settings.js';
import { type RunnerContext, createMigrationContext } from './migration-context.js';
import { MigrationSafety, assertUntampered, withStaysApplied } from './safety/index.js';
import {
  ACCOUNTED_LOSSES_STATE,
  type MigrationPlugin,
  type MigrationResultItem,
  type RunInfo,
  type RunResult,
  type TableRebuilder,
} from './migration-plugin.js';
import { type MigrationStatus, assertNothingBlocks, computeStatus } from './migration-status.js';
import { type MigrationTarget, downVersions, resolveTargetVersion, upSteps } from './migration-target.js';
import { RunEvents } from '../dialect/dialect-run-events.js';
import type { OnlineRebuildSettings } from '../dialect/dialect.js';
import { DEFAULT_ONLINE_REBUILD, ONLINE_SWAPS } from './online/index.js';
import { rebuildAhead } from './online/online-ahead.js';
import { finishWithRepeatables } from './repeatable-runner.js';
import { RunValues } from './run-values.js';
import { SqliteConnection } from '../adapter/sqlite-connection.js';
import { adoptionRehearser } from '../dialect/dialect-migrator.js';
import { type UnadoptedTables, adoptionRefusal, findUnadoptedTablesOn } from '../dialect/dialect-adoption.js';

/** Options of {@link Migrator}. */
export interface MigratorOptions {
  adapter: DatabaseAdapter;
  migrations: MigrationSet;
  events?: MigrationEventEmitter<MigrationEvents>;
  /** Structured log of every step; nothing is logged without it. */
  logger?: Logger;
  enableMetrics?: boolean;
  plugins?: MigrationPlugin[];
  rebuildTable?: TableRebuilder;
  /** How long to wait for another runner's lock, in ms. Default 10 s. */
  lockTimeout?: number;
  /**
   * Refuse a migration that leaves a foreign key pointing at a table that no longer exists
   * (default true). Schema-only replays of historical migrations on a scratch database turn it off.
   */
  checkForeignKeyTargets?: boolean;
  /**
   * Table rebuilds over at least `minRows` rows run online (see `runOnlineCopy`): the copy in
   * short batches while the application writes, then a short swap. `false` runs every rebuild
   * in one transaction. Default: 10,000 rows, batches of about 100 ms with 25 ms pauses.
   */
  onlineRebuild?: OnlineRebuildSettings | false;
  /**
   * Migrate a database that has no migration history even when it holds tables the migrations
   * create: version 1 then runs over them. Default false: such an up run is refused with
   * ADOPTION_REQUIRED before anything is written (see {@link Migrator.findUnadoptedTables}).
   * Runs on scratch copies, and callers that check adoption their own way, turn it on.
   */
  allowUnadopted?: boolean;
}

/** Options of one run. */
export interface RunOptions {
  /** Run everything in a transaction that is rolled back: report statements, change nothing. */
  dryRun?: boolean;
  /** Stop at the next safe point when aborted. */
  signal?: AbortSignal;
  /** Applied versions whose edited files are accepted as they are now (logged in `mfmig_audit`). */
  acceptChecksums?: number[];
  /** Recorded with the lock, for whoever waits on it. */
  command?: string;
  /**
   * A run lock the caller holds across several runs (a redo's rollback and its migrate): the run
   * takes it if it is not held yet, and leaves it held; the caller releases it.
   */
  heldLock?: RunLock;
  /** Values for this run's plugins, by typed key (`run.values` in `beforeRun`/`afterRun`). */
  values?: RunValues;
}

const noopLogger: Logger = { log() {} };

/**
 * Applies and reverts migrations: one IMMEDIATE transaction per migration together with its
 * history row, one runner at a time (run lock), checksums verified before every run.
 *
 * @example
 * const migrator = new Migrator({ adapter: openDatabase('./kb.db', { create: true }), migrations: await loadMigrations('./migrations') });
 * const result = await migrator.migrate({ mvp: 3 });
 * if (result.error) console.error(result.error.message);
 */
export class Migrator {
  readonly adapter: DatabaseAdapter;
  readonly migrations: MigrationSet;
  readonly events: MigrationEventEmitter<MigrationEvents>;
  readonly history: HistoryStore;
  readonly metrics: MetricsStore;
  readonly #options: MigratorOptions;
  readonly #logger: Logger;
  readonly #runEvents: RunEvents;

  constructor(options: MigratorOptions) {
    this.#options = options;
    this.adapter = options.adapter;
    this.migrations = options.migrations;
    this.events = options.events ?? new MigrationEventEmitter();
    this.history = new HistoryStore(options.adapter);
    this.metrics = new MetricsStore(options.adapter);
    this.#logger = options.logger ?? noopLogger;
    this.#runEvents = new RunEvents(this.events, this.#logger);
  }

  /** Adds a plugin (a service taking part in runs). */
  use(plugin: MigrationPlugin): this {
    this.#options.plugins = [...(this.#options.plugins ?? []), plugin];
    return this;
  }

  get plugins(): MigrationPlugin[] {
    return this.#options.plugins ?? [];
  }

  status(): MigrationStatus {
    return computeStatus(this.migrations, this.history.list(), this.history.failures(), new RepeatableStore(this.adapter).list());
  }

  /** The progress of the current (or last) run, or null before any run. */
  getCurrentProgress(): MigrationProgress | null {
    return this.#runEvents.snapshot();
  }

  /** The version a target stands for. */
  resolveTarget(target: MigrationTarget): number {
    return resolveTargetVersion(this.migrations, target);
  }

  /** The migrations an up run to `target` would apply, in order (partial ones first). */
  pendingSteps(target: MigrationTarget = { latest: true }): Migration[] {
    const history = this.history.list();
    const targetVersion = this.resolveTarget(target);
    const partial = history.filter((h) => h.status === 'partial').map((h) => this.migrations.byVersion.get(h.version));
    return [...(partial.filter(Boolean) as Migration[]), ...upSteps(this.migrations, new Set(history.map((h) => h.version)), targetVersion)];
  }

  /** The migrations a down run to `target` would revert, newest first. */
  revertSteps(target: MigrationTarget): Migration[] {
    const targetVersion = this.resolveTarget(target);
    return downVersions(
      this.history.list().map((h) => h.version),
      targetVersion,
    ).map((v) => this.#migrationFor(v, 'down'));
  }

  /** Applies pending migrations up to `target` (default: latest). Never throws half-way: see `result.error`. */
  migrate(target: MigrationTarget = { latest: true }, options: RunOptions = {}): Promise<RunResult> {
    return this.#run('up', target, options);
  }

  /**
   * The live tables the migrations would create, when the database has no migration history: an
   * up run would apply version 1 over them, and is refused unless `allowUnadopted`. The migrations
   * are rehearsed on an empty in-memory database, declared transformations left out; when that
   * fails, every live table is named. Reads only.
   *
   * @example
   * const { tables } = await migrator.findUnadoptedTables(); // ['notes'] on a database made before mfmig
   */
  findUnadoptedTables(): Promise<UnadoptedTables> {
    return findUnadoptedTablesOn(new SqliteConnection(this.adapter), this.migrations, adoptionRehearser(this.migrations, this.#options.rebuildTable));
  }

  /** Reverts applied migrations above `target`, newest first. */
  rollback(target: MigrationTarget, options: RunOptions = {}): Promise<RunResult> {
    return this.#run('down', target, options);
  }

  async #run(direction: Direction, target: MigrationTarget, options: RunOptions): Promise<RunResult> {
    const runId = randomUUID();
    const dryRun = options.dryRun ?? false;
    const startedAt = performance.now();
    const result: RunResult = {
      runId,
      direction,
      dryRun,
      fromVersion: 0,
      toVersion: 0,
      targetVersion: 0,
      results: [],
      durationMs: 0,
      extras: {},
    };
    const lock = options.heldLock ?? new RunLock(this.adapter);
    let info: RunInfo | undefined;
    try {
      result.targetVersion = this.resolveTarget(target);
      // refusals come before anything is written (history tables, lock row), and again under the lock
      const first = this.status();
      result.fromVersion = first.currentVersion;
      const pending = this.#assertRunnable(first, direction, target, options.acceptChecksums ?? []);
      if (direction === 'up' && pending.length > 0 && first.applied.length === 0 && this.#options.allowUnadopted !== true) {
        const refusal = adoptionRefusal(new SqliteConnection(this.adapter), await this.findUnadoptedTables());
        if (refusal) throw refusal;
      }
      if (!dryRun) {
        this.history.ensure();
        await lock.acquire({
          timeoutMs: this.#options.lockTimeout ?? 10_000,
          command: options.command ?? `${direction === 'up' ? 'migrate' : 'rollback'} to ${result.targetVersion}`,
          onWait: (holder) => this.events.emit('lockWaiting', { holder: `pid ${holder.pid} on ${holder.host}` }),
          onTakeover: ({ holder, reason, detail }) => this.events.emit('lockTakenOver', { holder: describeHolder(holder), reason, detail }),
        });
      }
      const status = this.status();
      result.fromVersion = status.currentVersion;
      const steps = this.#assertRunnable(status, direction, target, options.acceptChecksums ?? []);
      if (!dryRun) this.#acceptChecksums(options.acceptChecksums ?? []);
      const repeatables = direction === 'up' ? new RepeatableStore(this.adapter).pending(this.migrations.repeatables ?? []) : [];
      info = {
        runId,
        direction,
        fromVersion: status.currentVersion,
        targetVersion: result.targetVersion,
        steps,
        repeatables,
        dryRun,
        adapter: this.adapter,
        status,
        values: options.values ?? new RunValues(),
      };
      this.#runEvents.runStarted({ runId, direction, fromVersion: info.fromVersion, targetVersion: info.targetVersion, totalSteps: steps.length, dryRun });
      for (const plugin of this.plugins) await plugin.beforeRun?.(info);
      if (dryRun) await this.#dryRun(steps, direction, runId, result, options);
      else await this.#execute(steps, direction, runId, result, options);
      if (direction === 'up') {
        const init = {
          adapter: this.adapter,
          logger: this.#logger,
          runId,
          signal: options.signal,
          plugins: this.plugins,
          version: this.#safeCurrentVersion(0),
        };
        const repeatables = await finishWithRepeatables(this.migrations.repeatables, init, dryRun);
        result.repeatables = repeatables.results;
        if (repeatables.error) throw repeatables.error;
      }
    } catch (error) {
      result.error = toMfmigError(error);
    } finally {
      result.toVersion = this.#safeCurrentVersion(result.fromVersion);
      result.durationMs = performance.now() - startedAt;
      if (info) {
        for (const plugin of this.plugins) {
          try {
            await plugin.afterRun?.(info, result);
          } catch (error) {
            result.error ??= toMfmigError(error);
          }
        }
      }
      if (!options.heldLock) lock.release();
    }
    this.#runEvents.finished(result);
    return result;
  }

  /** Marks the current run as rolled back (used when a failed run was undone by a rollback). */
  markRolledBack(): void {
    this.#runEvents.markRolledBack();
  }

  /**
   * Refuses a run that must not start (edited or missing applied migrations not accepted, an up
   * run to a target below the current version, transformations nobody runs) without writing
   * anything, and returns its steps.
   */
  #assertRunnable(status: MigrationStatus, direction: Direction, target: MigrationTarget, accept: number[]): Migration[] {
    assertNothingBlocks(status, accept, '`acceptChecksums`');
    const steps = direction === 'up' ? this.pendingSteps(target) : this.revertSteps(target);
    const targetVersion = this.resolveTarget(target);
    if (direction === 'up' && targetVersion < status.currentVersion && steps.length === 0 && status.applied.length > 0) {
      throw new MfmigError('USAGE', `Target version ${targetVersion} is below the current version ${status.currentVersion}; use \`mfmig rollback\` to go down`);
    }
    this.#assertTransformationsHandled(steps);
    assertCodeLoaded(steps, direction);
    return steps;
  }

  /** Records the accepted checksums of edited applied migrations (logged in `mfmig_audit`). */
  #acceptChecksums(accept: number[]): void {
    for (const version of accept) this.history.acceptChecksum(version, this.migrations.byVersion.get(version)!.checksum, 'accepted with --accept-checksum');
  }

  #assertTransformationsHandled(steps: Migration[]): void {
    const withData = steps.find((m) => m.transformations.length > 0);
    if (withData && !this.plugins.some((p) => p.handlesTransformations)) {
      throw new MfmigError(
        'TRANSFORMATION_INVALID',
        `Migration ${migrationLabel(withData)} declares data transformations, but no transformer is registered; run it through @mfmig/framework or add the @mfmig/transformer plugin`,
        { context: { version: withData.version, file: withData.file } },
      );
    }
  }

  #migrationFor(version: number, direction: Direction): Migration {
    const m = this.migrations.byVersion.get(version);
    if (!m) throw new MfmigError('MIGRATION_MISSING', `Applied migration version ${version} is missing from the migrations folder; it cannot be reverted`);
    if (direction === 'down' && !m.down) {
      throw new MfmigError('NO_DOWN_MIGRATION', `Migration ${migrationLabel(m)} has no down migration; it cannot be reverted (restore a backup instead)`, {
        context: { version: m.version, migration: m.name, file: m.file },
      });
    }
    return m;
  }

  async #execute(steps: Migration[], direction: Direction, runId: string, result: RunResult, options: RunOptions): Promise<void> {
    const partial = new Set(
      this.history
        .list()
        .filter((h) => h.status === 'partial')
        .map((h) => h.version),
    );
    for (const [index, m] of steps.entries()) {
      if (options.signal?.aborted) {
        throw new MfmigError(
          'INTERRUPTED',
          `Interrupted before ${migrationLabel(m)}; the database is at version ${this.status().currentVersion}. Run the same command again to continue`,
        );
      }
      const item = await this.#step(m, direction, index, steps.length, runId, options, partial.has(m.version));
      result.results.push(item);
      if (item.error) {
        for (const rest of steps.slice(index + 1)) result.results.push(notExecuted(rest, direction));
        throw item.error;
      }
    }
  }

  async #step(
    m: Migration,
    direction: Direction,
    index: number,
    total: number,
    runId: string,
    options: RunOptions,
    resume: boolean,
  ): Promise<MigrationResultItem> {
    this.#runEvents.migrationStarted(m, direction, index, total);
    const start = performance.now();
    const state = new Map<string, unknown>();
    const ctx = this.#context(m, direction, false, runId, options.signal, state);
    try {
      const outcome = resume ? 'continue' : await this.#applyInTransaction(await this.#online(m, direction, ctx, options), ctx, direction, start);
      if (outcome === 'skipped') {
        return { ...itemOf(m, direction, 'Skipped', performance.now() - start, ctx) };
      }
      if (outcome === 'continue') await this.#continue(m, ctx, start);
    } catch (error) {
      const wrapped = wrapStepError(error, m, direction);
      if (wrapped.code !== 'INTERRUPTED') this.#recordFailure(m, direction, wrapped);
      this.#runEvents.migrationFailed(m, direction, wrapped);
      return { ...itemOf(m, direction, 'Error', performance.now() - start, ctx), error: wrapped };
    }
    const duration = performance.now() - start;
    this.#runEvents.migrationCompleted(m, direction, index, total, duration, ctx.rows);
    return itemOf(m, direction, 'Success', duration, ctx);
  }

  /** An up table rebuild over a large table: its copy runs online now; returns the swap that finishes it. Otherwise `m`. */
  async #online(m: Migration, direction: Direction, ctx: RunnerContext, options: RunOptions): Promise<Migration> {
    const online = this.#options.onlineRebuild ?? DEFAULT_ONLINE_REBUILD;
    if (online === false || direction !== 'up' || options.dryRun) return m;
    return rebuildAhead(this.adapter, m, {
      online,
      signal: options.signal,
      onProgress: (p) => ctx.progress(p),
      onStart: (pattern) => this.#log('info', 'migration.online_rebuild', { version: m.version, table: pattern.table, shadow: pattern.shadow }),
    });
  }

  /** Runs one migration in its IMMEDIATE transaction. Returns whether work continues outside it. */
  async #applyInTransaction(m: Migration, ctx: RunnerContext, direction: Direction, start: number): Promise<'done' | 'skipped' | 'continue'> {
    const a = this.adapter;
    const useTransaction = runsInTransaction(m, direction, a.capabilities);
    const restore = applyConnectionSettings(a, m.connection[direction]);
    try {
      if (useTransaction) a.beginImmediate();
      try {
        if (direction === 'up' ? this.history.has(m.version) : !this.history.has(m.version)) {
          if (useTransaction) a.rollback();
          return 'skipped';
        }
        const guard = m.kind === 'module' ? this.history.fingerprint() : null;
        for (const plugin of this.plugins) await plugin.beforeMigration?.(ctx);
        await this.#runBody(m, ctx, direction, useTransaction);
        for (const plugin of this.plugins) await plugin.afterMigration?.(ctx);
        if (guard !== null) this.#assertUntampered(m, guard);
        const continued = direction === 'up' && this.plugins.some((p) => p.needsContinuation?.(m, ctx) === true);
        if (!useTransaction) a.beginImmediate();
        this.#writeHistory(m, ctx, direction, continued ? 'partial' : 'applied', performance.now() - start);
        a.commit();
        return continued ? 'continue' : 'done';
      } catch (error) {
        a.rollback();
        throw error;
      }
    } finally {
      restore();
    }
  }

  /**
   * The migration's own `up` or `down`, watched by the checks that must pass before its commit:
   * no rows lost through foreign-key actions, no new foreign-key violations, no foreign key left
   * pointing at a dropped table (see {@link MigrationSafety}).
   */
  async #runBody(m: Migration, ctx: RunnerContext, direction: Direction, transactional: boolean): Promise<void> {
    const safety = MigrationSafety.begin(this.adapter, m, direction, {
      transactional,
      checkForeignKeyTargets: this.#options.checkForeignKeyTargets ?? true,
      // an online swap checks its key sets itself; a whole-database scan would hold the lock for seconds
      scanViolations: !ONLINE_SWAPS.has(m),
    });
    ctx.observe(safety);
    safety.arm();
    try {
      const body = direction === 'up' ? m.up : m.down!;
      await body(bodyDb(body, ctx), ctx);
    } catch (error) {
      safety.abandon();
      throw error;
    } finally {
      ctx.observe(undefined);
    }
    safety.disarm();
    try {
      safety.verify((ctx.state.get(ACCOUNTED_LOSSES_STATE) as string[] | '*' | undefined) ?? []);
    } catch (error) {
      throw transactional ? error : withStaysApplied(error, this.adapter);
    }
  }

  /** Work of a migration that runs in batches after its transaction, then the final transaction. */
  async #continue(m: Migration, ctx: RunnerContext, start: number): Promise<void> {
    try {
      for (const plugin of this.plugins) await plugin.continueMigration?.(ctx);
      this.adapter.beginImmediate();
      try {
        for (const plugin of this.plugins) await plugin.finalizeMigration?.(ctx);
        this.#writeHistory(m, ctx, 'up', 'applied', performance.now() - start);
        this.adapter.commit();
      } catch (error) {
        this.adapter.rollback();
        throw error;
      }
    } catch (error) {
      if (isMfmigError(error) && error.code === 'INTERRUPTED') throw error;
      await this.#revertPartial(m, ctx, error);
      throw error;
    }
  }

  /** Takes a partially applied migration back out (its continuation failed, not crashed). */
  async #revertPartial(m: Migration, upCtx: RunnerContext, cause: unknown): Promise<void> {
    if (!m.down) {
      this.#log('error', 'migration.partial_left', { version: m.version, reason: 'no down migration', cause: String(cause) });
      return;
    }
    const ctx = this.#context(m, 'down', false, upCtx.runId, undefined, upCtx.state, true);
    await this.#applyInTransaction(m, ctx, 'down', performance.now());
  }

  #writeHistory(m: Migration, ctx: RunnerContext, direction: Direction, status: 'applied' | 'partial', durationMs: number): void {
    if (direction === 'up') {
      this.history.record({
        version: m.version,
        name: m.name,
        mvp: m.mvp,
        checksum: m.checksum,
        status,
        appliedAt: new Date().toISOString(),
        durationMs,
        schemaHash: (ctx.state.get('schemaHash') as string | undefined) ?? null,
        runId: ctx.runId,
        rows: ctx.rows,
      });
    } else {
      this.history.remove(m.version);
    }
    if (this.#options.enableMetrics && status === 'applied') {
      this.metrics.record({
        runId: ctx.runId,
        version: m.version,
        step: migrationLabel(m),
        direction,
        durationMs,
        rows: ctx.rows,
        peakMemory: Math.max(this.#runEvents.peakMemory, process.memoryUsage.rss()),
      });
    }
  }

  /** Leaves a trace of a failed migration for `status` (its own changes were rolled back). */
  #recordFailure(m: Migration, direction: Direction, error: MfmigError): void {
    try {
      this.history.recordFailure(m.version, direction, error.message.replace(/^Migration \S+ \([^)]*\) failed: /, ''));
    } catch {
      // a database that cannot take the note (busy, read-only, full) still reports the error itself
    }
  }

  #assertUntampered(m: Migration, before: string): void {
    assertUntampered(this.adapter, this.history.fingerprint(), before, m);
  }

  async #dryRun(steps: Migration[], direction: Direction, runId: string, result: RunResult, options: RunOptions): Promise<void> {
    const a = this.adapter;
    if (!a.capabilities.transactionalDdl && steps.length > 0) {
      throw new MfmigError('USAGE', 'This database does not roll DDL back with a transaction, so a dry run cannot undo what it would run');
    }
    const restore = applyConnectionSettings(a, {
      foreignKeys: steps.some((m) => m.connection[direction].foreignKeys === 'off') ? 'off' : 'on',
      legacyAlterTable: false,
    });
    a.beginImmediate();
    try {
      for (const [index, m] of steps.entries()) {
        const start = performance.now();
        const ctx = this.#context(m, direction, true, runId, options.signal, new Map());
        const legacy = m.connection[direction].legacyAlterTable;
        try {
          if (legacy) a.run('PRAGMA legacy_alter_table = ON');
          for (const plugin of this.plugins) await plugin.beforeMigration?.(ctx);
          await this.#runBody(m, ctx, direction, true);
          for (const plugin of this.plugins) await plugin.afterMigration?.(ctx);
        } catch (error) {
          const wrapped = wrapStepError(error, m, direction);
          result.results.push({ ...itemOf(m, direction, 'Error', performance.now() - start, ctx), error: wrapped });
          for (const rest of steps.slice(index + 1)) result.results.push(notExecuted(rest, direction));
          throw wrapped;
        } finally {
          if (legacy) a.run('PRAGMA legacy_alter_table = OFF');
        }
        result.results.push(itemOf(m, direction, 'Success', performance.now() - start, ctx));
        this.#runEvents.dryRunStep(m);
      }
    } finally {
      a.rollback();
      restore();
    }
  }

  #context(
    m: Migration,
    direction: Direction,
    dryRun: boolean,
    runId: string,
    signal: AbortSignal | undefined,
    state: Map<string, unknown>,
    undoesFailedUp = false,
  ): RunnerContext {
    return createMigrationContext({
      adapter: this.adapter,
      migration: m,
      direction,
      dryRun,
      logger: this.#logger,
      rebuildTable: this.#options.rebuildTable,
      onProgress: (p) => this.events.emit('operationProgress', p),
      state,
      signal,
      runId,
      undoesFailedUp,
    });
  }

  #safeCurrentVersion(fallback: number): number {
    try {
      return this.status().currentVersion;
    } catch {
      return fallback;
    }
  }

  #log(level: 'info' | 'warn' | 'error' | 'debug', event: string, data: Record<string, unknown>): void {
    this.#logger.log({ level, event, ...data });
  }
}

function itemOf(m: Migration, direction: Direction, status: MigrationResultItem['status'], durationMs: number, ctx: RunnerContext): MigrationResultItem {
  return { version: m.version, name: m.name, mvp: m.mvp, direction, status, durationMs, rows: ctx.rows, statements: ctx.statements };
}

function notExecuted(m: Migration, direction: Direction): MigrationResultItem {
  return { version: m.version, name: m.name, mvp: m.mvp, direction, status: 'NotExecuted', durationMs: 0, rows: 0, statements: [] };
}

function wrapStepError(error: unknown, m: Migration, direction: Direction): MfmigError {
  const where = `Migration ${migrationLabel(m)} (mvp${m.mvp}, ${direction}) failed`;
  if (isMfmigError(error)) {
    if (error.code !== 'MIGRATION_FAILED' || error.context.version !== undefined) {
      if (error.context.version === undefined) Object.assign(error.context, { version: m.version, migration: m.name, direction });
      return error;
    }
    return new MfmigError(error.code, `${where}: ${error.message}`, {
      cause: error.cause ?? error,
      context: { ...error.context, version: m.version, migration: m.name, direction, file: m.file },
    });
  }
  return wrapSqliteError(error, 'MIGRATION_FAILED', where, { version: m.version, migration: m.name, direction, file: m.file });
}

function toMfmigError(error: unknown): MfmigError {
  return isMfmigError(error) ? error : wrapSqliteError(error, 'INTERNAL', 'Unexpected failure');
}
