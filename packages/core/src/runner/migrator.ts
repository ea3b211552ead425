import type { Logger } from '../config/index.js';
import type { DatabaseAdapter } from '../adapter/index.js';
import { type MigrationEvents, MigrationEventEmitter, type MigrationProgress } from '../events/index.js';
import { HistoryStore, MetricsStore, RepeatableStore } from '../history/index.js';
import type { Direction, Migration, MigrationSet } from '../migration/index.js';
import type { MigrationPlugin, RunResult, TableRebuilder } from './migration-plugin.js';
import { type MigrationStatus, computeStatus } from './migration-status.js';
import { type MigrationTarget, resolveTargetVersion } from './migration-target.js';
import { pendingSteps, revertSteps } from './run-steps.js';
import type { DialectLock, OnlineRebuildSettings } from '../dialect/dialect.js';
import type { RunValues } from './run-values.js';
import { SqliteConnection } from '../adapter/sqlite-connection.js';
import { DialectMigrator, type DialectRunOptions, adoptionRehearser } from '../dialect/dialect-migrator.js';
import { asMfmigError, emptyRunResult } from '../dialect/run-result.js';
import { type UnadoptedTables, findUnadoptedTablesOn } from '../dialect/dialect-adoption.js';
import { pluginParticipant } from '../service/plugin-participant.js';

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
   * takes it if it is not held yet, and leaves it held; the caller releases it. A connection's
   * lock (`ctx.connection.lock`, `openSqlite(path).lock`) over the same database file.
   */
  heldLock?: DialectLock;
  /** Values for this run's plugins, by typed key (`run.values` in `beforeRun`/`afterRun`). */
  values?: RunValues;
}

const noopLogger: Logger = { log() {} };

/**
 * Applies and reverts migrations on a SQLite adapter: one IMMEDIATE transaction per migration
 * together with its history row, one runner at a time (run lock), checksums verified before every
 * run. Each run goes through a {@link DialectMigrator} on the adapter's connection, with this
 * migrator's plugins as its participants; what stays here is synchronous: `status`, the steps a
 * run would take, the history and metrics stores.
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
  /** The runner of the current (or last) run: its progress is this migrator's. */
  #last: DialectMigrator | undefined;

  constructor(options: MigratorOptions) {
    this.#options = options;
    this.adapter = options.adapter;
    this.migrations = options.migrations;
    this.events = options.events ?? new MigrationEventEmitter();
    this.history = new HistoryStore(options.adapter);
    this.metrics = new MetricsStore(options.adapter);
    this.#logger = options.logger ?? noopLogger;
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
    return this.#last?.getCurrentProgress() ?? null;
  }

  /** The version a target stands for. */
  resolveTarget(target: MigrationTarget): number {
    return resolveTargetVersion(this.migrations, target);
  }

  /** The migrations an up run to `target` would apply, in order (partial ones first). */
  pendingSteps(target: MigrationTarget = { latest: true }): Migration[] {
    return pendingSteps(this.migrations, this.history.list(), target);
  }

  /** The migrations a down run to `target` would revert, newest first. */
  revertSteps(target: MigrationTarget): Migration[] {
    return revertSteps(this.migrations, this.history.list(), target);
  }

  /** Applies pending migrations up to `target` (default: latest). Never throws half-way: see `result.error`. */
  migrate(target: MigrationTarget = { latest: true }, options: RunOptions = {}): Promise<RunResult> {
    return this.#run('up', options, (runner, run) => runner.migrate(target, run));
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

  /**
   * Reverts applied migrations above `target`, newest first. A dry run (`dryRun`) takes no lock
   * and rolls everything back; when the downs switch foreign keys, each runs with its own setting
   * on a scratch copy of the file (see `DialectMigrator.rollback`).
   */
  rollback(target: MigrationTarget, options: RunOptions = {}): Promise<RunResult> {
    const down = 'latest' in target ? { version: this.resolveTarget(target) } : target;
    return this.#run('down', options, (runner, run) => runner.rollback(down, run));
  }

  /**
   * One run, through a {@link DialectMigrator} on the adapter's connection with this migrator's
   * options, each plugin taking part as a participant ({@link pluginParticipant}).
   */
  async #run(direction: Direction, options: RunOptions, start: (runner: DialectMigrator, run: DialectRunOptions) => Promise<RunResult>): Promise<RunResult> {
    const o = this.#options;
    const logger = this.#logger;
    const runner = new DialectMigrator({
      connection: new SqliteConnection(this.adapter),
      migrations: this.migrations,
      events: this.events,
      logger,
      participants: this.plugins.map((plugin) => pluginParticipant(plugin, { logger, ...(o.rebuildTable ? { rebuildTable: o.rebuildTable } : {}) })),
      ...(o.lockTimeout !== undefined ? { lockTimeout: o.lockTimeout } : {}),
      ...(o.enableMetrics ? { enableMetrics: true } : {}),
      ...(o.rebuildTable ? { rebuildTable: o.rebuildTable } : {}),
      ...(o.onlineRebuild !== undefined ? { onlineRebuild: o.onlineRebuild } : {}),
      ...(o.allowUnadopted ? { allowUnadopted: true } : {}),
    });
    this.#last = runner;
    const { heldLock, ...run } = options;
    if (heldLock && !heldLock.held && !options.dryRun) {
      // the caller keeps the lock across this run and the next: taken here, released by the caller
      try {
        new HistoryStore(this.adapter).ensure();
        await heldLock.acquire({
          timeoutMs: o.lockTimeout ?? 10_000,
          command: options.command ?? (direction === 'up' ? 'migrate' : 'rollback'),
          onWait: (holder) => this.events.emit('lockWaiting', { holder: `pid ${holder.pid} on ${holder.host}` }),
          onTakeover: ({ holder, reason, detail }) => this.events.emit('lockTakenOver', { holder: holder.description, reason, detail }),
        });
      } catch (error) {
        return { ...emptyRunResult(direction, options.dryRun ?? false), error: asMfmigError(error) };
      }
    }
    return start(runner, { ...run, ...(heldLock ? { lockHeld: true } : {}) });
  }

  /** Marks the current run as rolled back (used when a failed run was undone by a rollback). */
  markRolledBack(): void {
    this.#last?.markRolledBack();
  }
}
