import { randomUUID } from 'node:crypto';
import type { Logger } from '../config/index.js';
import { MfmigError } from '../errors/index.js';
import { type MigrationEvents, MigrationEventEmitter, type MigrationProgress, type OperationProgress } from '../events/index.js';
import { RunEvents } from './dialect-run-events.js';
import { type Migration, type MigrationSet, type RepeatableMigration, fileLineOf, migrationLabel, runsInTransaction } from '../migration/index.js';
import type { RunResult, TableRebuilder } from '../runner/migration-plugin.js';
import { RunValues } from '../runner/run-values.js';
import { type MigrationStatus, assertNothingBlocks, readStatus } from '../runner/migration-status.js';
import { type MigrationTarget, resolveTargetVersion, upSteps } from '../runner/migration-target.js';
import type { DialectParticipant, DialectRun, DialectStep, ParticipantReport } from './dialect-participant.js';
import { afterRun, beforeRun } from './dialect-run-hooks.js';
import { item, statementError, stepError } from './dialect-step-errors.js';
import { type DownKit, type DownTarget, runDown } from './dialect-down.js';
import { revertPartial } from './dialect-partial-revert.js';
import type { OnlineRebuildSettings, RunnableConnection, ScriptStatement } from './dialect.js';
import { DEFAULT_ONLINE_REBUILD } from '../runner/online/online-ahead.js';
import { moduleContext } from './module-context.js';
import { asMfmigError, emptyRunResult } from './run-result.js';
import { assertCodeLoaded } from '../migration/metadata-only-module.js';
import { type LockWaitPolicy, DEFAULT_LOCK_WAIT, retryDelay } from './lock-wait-policy.js';
import { RunMetrics } from './dialect-run-metrics.js';
import { continueStep, needsContinuation } from './dialect-continuation.js';
import { inRetriedTransaction } from './retried-transaction.js';
import { runGuardedBody, withStepSettings } from './guarded-body.js';
import { assertDryRunnable, dryRunInOneTransaction, dryRunStepsOnCopy, switchesForeignKeys } from './dry-run.js';
import { type RepeatableKit, pendingRepeatablesOn, runRepeatablesOn } from './dialect-repeatables.js';
import { type ScratchRehearser, type UnadoptedTables, SCRATCH_TRANSFORMATIONS, adoptionRefusal, findUnadoptedTablesOn } from './dialect-adoption.js';

/** Options of {@link DialectMigrator}. */
export interface DialectMigratorOptions {
  connection: RunnableConnection;
  migrations: MigrationSet;
  events?: MigrationEventEmitter<MigrationEvents>;
  logger?: Logger;
  /** How long to wait for another runner's lock, in ms. Default 10 s. */
  lockTimeout?: number;
  /** How long a statement may wait for a table lock, and how often a migration is retried when it could not get one. */
  lockWait?: Partial<LockWaitPolicy>;
  /** Work that joins every step in its transaction, in this order: data transformations, rollback preservation, ... */
  participants?: readonly DialectParticipant[];
  /**
   * Record one `mfmig_metrics` row per step, and one per transformation through the participants,
   * each in its step's transaction (see {@link RunMetrics}); a dry run records none. Default false.
   */
  enableMetrics?: boolean;
  /** Run the pending repeatable migrations (`R__`) after the versioned ones of each up run (default true; a rehearsal of the versioned steps turns it off). */
  repeatables?: boolean;
  /**
   * What performs `ctx.rebuildTable` in a module on SQLite: `rebuildTableInMigration` of
   * @mfmig/schema-evolution, as `Migrator` takes it. Without it the call is refused.
   */
  rebuildTable?: TableRebuilder;
  /**
   * On SQLite, table rebuilds over at least `minRows` rows run online, as `Migrator`'s do (see
   * `runOnlineCopy`): the copy in short batches while the application writes, then a short swap in
   * the step's transaction. `false` runs every rebuild in one transaction. Default: 10,000 rows,
   * batches of about 100 ms with 25 ms pauses. PostgreSQL has nothing to run ahead.
   */
  onlineRebuild?: OnlineRebuildSettings | false;
  /**
   * Migrate a database (a PostgreSQL schema) that has no migration history even when it holds
   * tables the migrations create: version 1 then runs over them. Default false: such a run is
   * refused with ADOPTION_REQUIRED before anything is written (see {@link DialectMigrator.findUnadoptedTables}).
   */
  allowUnadopted?: boolean;
}

/** What a run did: the steps, and what each participant reported. */
export interface DialectRunResult extends RunResult {
  reports: ParticipantReport[];
}

/** Options of one {@link DialectMigrator.migrate} run. */
export interface DialectRunOptions {
  /** Run every step, then roll everything back: the statements are reported, nothing changes. */
  dryRun?: boolean;
  signal?: AbortSignal;
  /** Applied versions whose edited files are accepted as they are now (logged in `mfmig_audit`). */
  acceptChecksums?: number[];
  /** Recorded with the lock, for whoever waits on it. */
  command?: string;
  /**
   * The caller holds the connection's run lock (`connection.lock.acquire`, after
   * `connection.history.ensure()`) across this run and what follows it, and releases it: the run
   * neither takes nor releases it (a redo's down and up, with no other runner in between).
   */
  lockHeld?: boolean;
  /** For this run, whether the pending repeatable migrations run after the versioned ones (default: the migrator's `repeatables`). */
  repeatables?: boolean;
  /** What the caller hands this run's participants, by typed key (`run.values` in `beforeRun`/`afterRun`). */
  values?: RunValues;
}

interface Prepared {
  migration: Migration;
  /** The statements of a SQL migration, as the dialect parses them; undefined for a module. */
  statements?: ScriptStatement[];
  transactional: boolean;
  /** The last step of the run. */
  last?: boolean;
  /** Its history row carries the schema's fingerprint (see `#record`). */
  fingerprint?: boolean;
  /** Its history row says `partial`: the run continues its work instead of applying it. */
  resume?: boolean;
}

const noopLogger: Logger = { log() {} };

/**
 * Applies migrations through a dialect's connection ({@link RunnableConnection}): each one in its
 * own transaction together with its history row where the dialect has transactional DDL, one
 * runner at a time, checksums checked first, DDL under a lock wait bound with bounded retries.
 * This is the runner of the PostgreSQL dialect. It runs SQLite too, every body through SQLite's
 * step guard (`connection.stepGuard`: the checks that keep a table rebuild from deleting child rows).
 * Backups, schema history, transformations, preservation and the framework's run sequence join it
 * as participants; `Migrator`, `createMigrationFramework` and the `mfmig` command run SQLite through it.
 *
 * @example
 * const migrator = new DialectMigrator({ connection: await openPostgres(url), migrations: await loadMigrations('./migrations') });
 * const result = await migrator.migrate({ latest: true });
 * if (result.error) console.error(result.error.message);
 */
export class DialectMigrator {
  readonly connection: RunnableConnection;
  readonly migrations: MigrationSet;
  readonly events: MigrationEventEmitter<MigrationEvents>;
  readonly #options: DialectMigratorOptions;
  readonly #lockWait: LockWaitPolicy;
  readonly #logger: Logger;
  /** When each long operation of the current step reported first: its rate is measured from there. */
  readonly #operationStarts = new Map<string, number>();
  /** The metrics of each run under way, by run id. */
  readonly #runMetrics = new Map<string, RunMetrics>();
  /** The schema fingerprints participants gave up steps' history rows (see `DialectParticipant.fingerprintsSchema`): by run id, then version. */
  readonly #givenHashes = new Map<string, Map<number, string>>();
  /** The runs' events, and the progress they add up to. */
  readonly #runEvents: RunEvents;
  /** {@link assertAdopted} passed since the last up run: that run need not rehearse again. */
  #adoptionChecked = false;

  constructor(options: DialectMigratorOptions) {
    this.#options = options;
    this.connection = options.connection;
    this.migrations = options.migrations;
    this.events = options.events ?? new MigrationEventEmitter();
    this.#logger = options.logger ?? noopLogger;
    this.#runEvents = new RunEvents(this.events, this.#logger);
    this.#lockWait = { ...DEFAULT_LOCK_WAIT, ...options.lockWait };
  }

  /**
   * The progress of the current (or last) run, as `Migrator.getCurrentProgress` gives it: steps
   * done of all, the step under way, rows, memory, elapsed time and the estimated completion, and
   * the status (`running`, `completed`, `failed`, `interrupted`, `rolled_back`). Null before any run.
   * Each change is also emitted as `progressUpdated`.
   *
   * @example
   * migrator.events.on('progressUpdated', (p) => console.log(`${p.currentStep}/${p.totalSteps}`));
   */
  getCurrentProgress(): MigrationProgress | null {
    return this.#runEvents.snapshot();
  }

  /** Marks the last run as rolled back (its failure was undone by a rollback): `progressUpdated` with status `rolled_back`. */
  markRolledBack(): void {
    this.#runEvents.markRolledBack();
  }

  /** Where the database stands against the migrations folder. Reads only: nothing is created. */
  async status(): Promise<MigrationStatus> {
    return readStatus(this.connection, this.migrations);
  }

  /**
   * The live tables the migrations would create, when the database has no migration history:
   * an up run would apply version 1 over them. The migrations are rehearsed on an empty scratch
   * place of the dialect (`connection.openScratch`: in memory on SQLite, a scratch schema on
   * PostgreSQL), declared transformations left out; when that fails, every live table is named.
   * Reads only.
   *
   * @example
   * const { tables } = await migrator.findUnadoptedTables(); // ['accounts'] on a database made before mfmig
   */
  findUnadoptedTables(): Promise<UnadoptedTables> {
    return findUnadoptedTablesOn(this.connection, this.migrations, adoptionRehearser(this.migrations, this.#options.rebuildTable));
  }

  /**
   * Refuses (ADOPTION_REQUIRED) a database with no migration history that holds tables the
   * migrations create (see {@link findUnadoptedTables}). Every up run checks it before anything is
   * written, unless the migrator allows it (`allowUnadopted`); the next up run does not check again
   * after this passed.
   *
   * @example
   * await migrator.assertAdopted(); // throws on a database made before mfmig, writes nothing
   */
  async assertAdopted(): Promise<void> {
    const refusal = adoptionRefusal(this.connection, await this.findUnadoptedTables());
    if (refusal) throw refusal;
    this.#adoptionChecked = true;
  }

  /** Applies pending migrations up to `target`. Never throws half-way: see `result.error`. */
  async migrate(target: MigrationTarget = { latest: true }, options: DialectRunOptions = {}): Promise<DialectRunResult> {
    const runId = randomUUID();
    const dryRun = options.dryRun ?? false;
    const startedAt = performance.now();
    const result = emptyRunResult('up', dryRun, runId);
    const { connection: conn } = this;
    const metrics = this.#startMetrics(runId, dryRun);
    let locked = false;
    let run: DialectRun | undefined;
    try {
      result.targetVersion = resolveTargetVersion(this.migrations, target);
      const first = await this.status();
      result.fromVersion = first.currentVersion;
      // every step is parsed and checked before anything is written: a file that cannot run is refused whole
      const parsed = new Map<Migration, Prepared>();
      const pending = await this.#prepare(this.#steps(first, target, options.acceptChecksums ?? []), parsed);
      // before anything is written (the history tables, the lock row): a database made before mfmig is refused whole
      const checked = this.#adoptionChecked;
      if (pending.length > 0 && first.applied.length === 0 && !checked && this.#options.allowUnadopted !== true) await this.assertAdopted();
      this.#adoptionChecked = false;
      if (!dryRun && !options.lockHeld) {
        locked = true;
        await this.#lock(options.command ?? `migrate to ${result.targetVersion}`);
      }
      const status = await this.status();
      result.fromVersion = status.currentVersion;
      // under the lock the steps are read again (another runner may have applied some); each file is parsed once
      const steps = await this.#prepare(this.#steps(status, target, options.acceptChecksums ?? []), parsed);
      if (!dryRun) {
        for (const version of options.acceptChecksums ?? []) {
          await conn.history.acceptChecksum(version, this.migrations.byVersion.get(version)!.checksum, 'accepted with --accept-checksum');
        }
        if (steps.length > 0) await metrics.prepare();
      }
      const partial = new Set(status.applied.filter((a) => a.status === 'partial').map((a) => a.version));
      for (const step of steps) step.resume = partial.has(step.migration.version);
      // repeatable migrations (R__) follow the versioned ones of every up run, as on the SQLite runner
      const repeatables = (options.repeatables ?? this.#options.repeatables ?? true) ? await pendingRepeatablesOn(conn, this.migrations) : [];
      run = this.#run(
        result,
        status,
        steps.map((s) => s.migration),
        repeatables,
        options.values,
      );
      // as on the SQLite runner, the run has started when its participants' beforeRun hooks run (a pre-run backup's progress follows runStarted)
      this.#runEvents.runStarted({
        runId,
        direction: 'up',
        fromVersion: status.currentVersion,
        targetVersion: result.targetVersion,
        totalSteps: steps.length,
        dryRun,
      });
      await beforeRun(this.#participants, run);
      if (dryRun) await this.#dryRun(steps, runId, result);
      else await this.#execute(steps, runId, result, options.signal);
      if (dryRun) result.repeatables = repeatables.map((r) => ({ name: r.name, status: 'Pending', durationMs: 0, statements: [r.sql] }));
      else {
        const at = repeatables.length > 0 ? (await this.status()).currentVersion : 0;
        const ran = await runRepeatablesOn(this.#repeatableKit(result, at), repeatables, runId, options.signal);
        result.repeatables = ran.results;
        // what they made is part of the schema the last history row's fingerprint stands for (drift checks compare with it)
        const current = ran.results.some((r) => r.status === 'Success') ? (await this.status()).currentVersion : 0;
        if (current > 0) await this.#fingerprintAt(current);
        if (ran.error) throw ran.error;
      }
    } catch (error) {
      result.error = asMfmigError(error);
    }
    return this.#finish(result, locked, startedAt, run);
  }

  /**
   * Reverts applied migrations down to `target` (a version, a milestone, or the last `steps`),
   * newest first, each in its own transaction with the removal of its history row; the run's
   * participants join each step (rollback preservation archives what a down drops). A dry run
   * (`dryRun`) takes no lock and runs every down in one transaction that is rolled back, or, when
   * the downs switch foreign keys, each with its own setting on a copy (see `rehearseDowns`).
   * Never throws half-way: see `result.error`.
   */
  async rollback(
    target: DownTarget,
    options: Pick<DialectRunOptions, 'signal' | 'command' | 'lockHeld' | 'values' | 'dryRun'> = {},
  ): Promise<DialectRunResult> {
    const runId = randomUUID();
    const startedAt = performance.now();
    const dryRun = options.dryRun ?? false;
    const result = emptyRunResult('down', dryRun, runId);
    const metrics = this.#startMetrics(runId, dryRun);
    let locked = false;
    let run: DialectRun | undefined;
    try {
      result.fromVersion = (await this.status()).currentVersion;
      if (!dryRun && !options.lockHeld) {
        locked = true;
        await this.#lock(options.command ?? 'rollback');
      }
      const status = await this.status();
      assertNothingBlocks(status, [], '--accept-checksum');
      result.fromVersion = status.currentVersion;
      if (!dryRun && status.applied.length > 0) await metrics.prepare();
      await runDown(this.#downKit(result), status, target, runId, result, options.signal, async (steps) => {
        run = this.#run(result, status, steps, [], options.values);
        await beforeRun(this.#participants, run);
      });
    } catch (error) {
      result.error = asMfmigError(error);
    }
    // the history row that is now the last carries the fingerprint that drift checks compare with
    if (!dryRun && result.results.some((r) => r.status === 'Success')) {
      const last = await this.status().then(
        (s) => s.currentVersion,
        () => 0,
      );
      if (last > 0) await this.#fingerprintAt(last);
    }
    return this.#finish(result, locked, startedAt, run);
  }

  /**
   * Ends a run the same way in either direction: the participants' `afterRun` hooks (still under
   * the lock), then the lock goes, the result says where the database stands, one event says how it went.
   */
  async #finish(result: DialectRunResult, locked: boolean, startedAt: number, run: DialectRun | undefined): Promise<DialectRunResult> {
    this.#runMetrics.delete(result.runId);
    this.#givenHashes.delete(result.runId);
    result.toVersion = await this.status().then(
      (s) => s.currentVersion,
      () => result.fromVersion,
    );
    if (run) await afterRun(this.#participants, run, result);
    if (locked) await this.connection.lock.release().catch(() => {});
    result.durationMs = performance.now() - startedAt;
    this.#runEvents.finished(result);
    return result;
  }

  /** The run its participants' `beforeRun` and `afterRun` hooks see. */
  #run(
    result: DialectRunResult,
    status: MigrationStatus,
    steps: readonly Migration[],
    repeatables: readonly RepeatableMigration[],
    values = new RunValues(),
  ): DialectRun {
    const { runId, direction, dryRun, targetVersion } = result;
    const { connection, migrations } = this;
    const progress = (p: OperationProgress) => this.events.emit('operationProgress', p);
    const fromVersion = status.currentVersion;
    return { connection, migrations, runId, direction, dryRun, status, fromVersion, targetVersion, steps, repeatables, values, progress };
  }

  /** What the downs of a run need from this runner (a rollback's, or the revert of a failed `partial` step). */
  #downKit(result: DialectRunResult, connection: RunnableConnection = this.connection): DownKit {
    const { runId } = result;
    return {
      connection,
      migrations: this.migrations,
      events: this.#runEvents,
      lockWait: this.#lockWait,
      participants: this.#participants,
      metrics: this.#metricsOf(runId),
      stepFor: (m, direction, participant) => this.#stepFor(m, direction, runId, result.dryRun, result, participant, connection),
      runStatements: (step, ran, retryEach) => this.#statements(step.migration, step.statements ?? [], ran, retryEach, connection),
      waitBeforeRetry: (m, attempt) => this.#waitBeforeRetry(m, attempt),
      dryRun: result.dryRun,
      rebind: (other) => this.#downKit(result, other),
      ...this.#rebuilder,
    };
  }

  /** What the repeatable migrations of a run need from this runner. */
  #repeatableKit(result: DialectRunResult, version: number): RepeatableKit {
    return {
      connection: this.connection,
      lockWait: this.#lockWait,
      logger: this.#logger,
      runStatements: (m, statements, ran, retryEach) => this.#statements(m, statements, ran, retryEach),
      waitBeforeRetry: (m, attempt) => this.#waitBeforeRetry(m, attempt),
      participants: this.#participants,
      stepFor: (m, participant) => this.#stepFor(m, 'up', result.runId, false, result, participant),
      version,
      ...this.#rebuilder,
    };
  }

  /** `ctx.rebuildTable`'s implementation for the step guard, when the migrator was given one. */
  get #rebuilder(): { rebuildTable?: TableRebuilder } {
    return this.#options.rebuildTable ? { rebuildTable: this.#options.rebuildTable } : {};
  }

  /** The metrics of a new run: they record when the migrator was asked to, and never in a dry run. */
  #startMetrics(runId: string, dryRun: boolean): RunMetrics {
    const metrics = new RunMetrics(this.connection, runId, this.#options.enableMetrics === true && !dryRun);
    this.#runMetrics.set(runId, metrics);
    return metrics;
  }

  /** The metrics of a run under way (one that records nothing for a run id this migrator did not start). */
  #metricsOf(runId: string): RunMetrics {
    return this.#runMetrics.get(runId) ?? new RunMetrics(this.connection, runId, false);
  }

  get #participants(): readonly DialectParticipant[] {
    return this.#options.participants ?? [];
  }

  async #lock(command: string): Promise<void> {
    await this.connection.history.ensure();
    await this.connection.lock.acquire({
      timeoutMs: this.#options.lockTimeout ?? 10_000,
      command,
      onWait: (h) => this.events.emit('lockWaiting', { holder: `pid ${h.pid} on ${h.host}` }),
      onTakeover: ({ holder, reason, detail }) => this.events.emit('lockTakenOver', { holder: `pid ${holder.pid} on ${holder.host}`, reason, detail }),
    });
  }

  /** The view of one step its participants get. */
  #stepFor(
    m: Migration,
    direction: 'up' | 'down',
    runId: string,
    dryRun: boolean,
    result: DialectRunResult,
    participant = '',
    connection: RunnableConnection = this.connection,
  ): DialectStep {
    const created = performance.now();
    const metrics = this.#metricsOf(runId);
    return {
      connection,
      migration: m,
      direction,
      runId,
      dryRun,
      lockWait: this.#lockWait,
      progress: (p) => {
        metrics.sampleMemory();
        const now = performance.now();
        const key = `${m.version}:${direction}:${p.operation}`;
        const since = this.#operationStarts.get(key) ?? this.#operationStarts.set(key, created).get(key)!;
        const rate = now > since ? (p.done * 1000) / (now - since) : 0;
        if (p.done >= p.total) this.#operationStarts.delete(key);
        this.events.emit('operationProgress', { ...p, ratePerSecond: rate, etaMs: rate > 0 ? ((p.total - p.done) * 1000) / rate : null });
      },
      report: (entry) => result.reports.push({ ...entry, participant, version: m.version, direction }),
      countRows: (rows) => metrics.countRows(rows),
      recordSchemaHash: (hash) => {
        if (direction !== 'up' || dryRun) return;
        const given = this.#givenHashes.get(runId) ?? this.#givenHashes.set(runId, new Map()).get(runId)!;
        given.set(m.version, hash);
      },
      recordMetric: async (part) => {
        if (!dryRun) await metrics.recordPart(m, direction, part);
      },
    };
  }

  /** The steps of an up run, after refusing what must not start (edited or missing applied files, a target below the current version). */
  #steps(status: MigrationStatus, target: MigrationTarget, accept: number[]): Migration[] {
    assertNothingBlocks(status, accept, '--accept-checksum');
    const targetVersion = resolveTargetVersion(this.migrations, target);
    if (targetVersion < status.currentVersion && status.applied.length > 0 && !('latest' in target)) {
      throw new MfmigError('USAGE', `Target version ${targetVersion} is below the current version ${status.currentVersion}; use rollback to go down`);
    }
    const partial = status.applied.filter((a) => a.status === 'partial').map((a) => this.migrations.byVersion.get(a.version));
    const steps = [...(partial.filter(Boolean) as Migration[]), ...upSteps(this.migrations, new Set(status.applied.map((a) => a.version)), targetVersion)];
    // a module read for its metadata only is refused before the first step runs
    assertCodeLoaded(steps, 'up');
    return steps;
  }

  /** Parses each step and refuses, before anything runs, what this dialect cannot run as written. */
  async #prepare(steps: Migration[], parsed: Map<Migration, Prepared>): Promise<Prepared[]> {
    const prepared: Prepared[] = [];
    for (const m of steps) {
      const known = parsed.get(m);
      if (known) {
        prepared.push({ ...known });
        continue;
      }
      // a server whose DDL does not roll back (CockroachDB) runs every file statement by statement
      const transactional = runsInTransaction(m, 'up', this.connection.capabilities);
      if (m.transformations.length > 0 && !this.#participants.some((p) => p.runsTransformations)) {
        throw new MfmigError(
          'TRANSFORMATION_INVALID',
          `Migration ${migrationLabel(m)} declares data transformations, and this run has no participant that runs them (the transformer's)`,
          { context: { version: m.version, file: m.file } },
        );
      }
      if (m.kind !== 'sql') {
        prepared.push({ migration: m, transactional });
        parsed.set(m, { migration: m, transactional });
        continue;
      }
      const statements = (await this.connection.analyzeScript(m.upSql ?? '')).map((s) => ({ ...s, line: fileLineOf(m, 'up', s.line) }));
      // a server that refuses some statements in a transaction block: say which, before anything runs
      const refused = transactional && this.connection.capabilities.nonTransactionalStatements ? statements.find((s) => s.nonTransactional) : undefined;
      if (refused) {
        throw new MfmigError(
          'MIGRATION_INVALID',
          `Migration ${migrationLabel(m)}, line ${refused.line}: ${refused.nonTransactional}; move it to a migration of its own that starts with "-- transaction: none"`,
          { context: { version: m.version, file: m.file, line: refused.line, statement: refused.sql } },
        );
      }
      prepared.push({ migration: m, statements, transactional });
      parsed.set(m, { migration: m, statements, transactional });
    }
    return prepared;
  }

  async #execute(steps: Prepared[], runId: string, result: DialectRunResult, signal: AbortSignal | undefined): Promise<void> {
    let lastApplied: number | undefined;
    for (const [index, step] of steps.entries()) {
      const m = step.migration;
      step.last = index === steps.length - 1;
      step.fingerprint = step.last || m.kind !== 'sql' || steps[index + 1]?.migration.kind === 'module';
      if (signal?.aborted) {
        throw new MfmigError(
          'INTERRUPTED',
          `Interrupted before ${migrationLabel(m)}; the database is at version ${(await this.status()).currentVersion}. Run the same command again to continue`,
        );
      }
      this.#runEvents.migrationStarted(m, 'up', index, steps.length);
      const start = performance.now();
      this.#metricsOf(runId).start();
      const ran: string[] = [];
      // once its first transaction committed (or from the start when resumed), a failure leaves it `partial`
      let continuing = step.resume === true;
      try {
        let outcome: 'done' | 'skipped' | 'continue' = 'continue';
        if (!step.resume) {
          outcome = step.transactional
            ? await this.#inTransaction(await this.#runAhead(step, runId, result, signal), runId, start, ran, result)
            : await this.#withoutTransaction(step, runId, start, ran, result);
        }
        if (outcome === 'continue') {
          continuing = true;
          await continueStep(
            m,
            {
              connection: this.connection,
              participants: this.#participants,
              metrics: this.#metricsOf(runId),
              schemaHash: () => this.#schemaHashFor(runId, m.version, step.fingerprint === true),
              lockWait: this.#lockWait,
              waitBeforeRetry: (attempt) => this.#waitBeforeRetry(m, attempt),
              stepFor: (participant) => ({ ...this.#stepFor(m, 'up', runId, false, result, participant), ...(signal ? { signal } : {}) }),
            },
            start,
          );
          outcome = 'done';
        }
        const durationMs = performance.now() - start;
        const rows = outcome === 'skipped' ? 0 : this.#metricsOf(runId).rows;
        result.results.push({ ...item(m, outcome === 'skipped' ? 'Skipped' : 'Success', durationMs, 'up'), rows, statements: ran });
        this.#runEvents.migrationCompleted(m, 'up', index, steps.length, durationMs, rows);
        if (outcome === 'done') lastApplied = m.version;
      } catch (error) {
        let wrapped = stepError(error, m, step.transactional && !continuing, 'up');
        // as on SQLite, a failed continuation is taken back out by the migration's down (an interrupted one stays `partial`)
        if (continuing) wrapped = await revertPartial(this.#downKit(result), m, result, wrapped);
        if (lastApplied !== undefined) await this.#fingerprintAt(lastApplied);
        // as on SQLite, an interrupted run is not a failure: the step stays `partial` (or was never begun) and the next run continues it
        if (wrapped.code !== 'INTERRUPTED') await this.connection.history.recordFailure(m.version, 'up', wrapped.message).catch(() => {});
        this.#runEvents.migrationFailed(m, 'up', wrapped);
        result.results.push({ ...item(m, 'Error', performance.now() - start, 'up'), statements: ran, error: wrapped });
        for (const rest of steps.slice(index + 1)) result.results.push(item(rest.migration, 'NotExecuted', 0, 'up'));
        throw wrapped;
      }
    }
  }

  /**
   * The long part of a step that the dialect runs ahead of its transaction while the application
   * writes (SQLite's online table rebuild: the copy now, the swap in the step's transaction), or
   * the step as it is.
   */
  async #runAhead(step: Prepared, runId: string, result: DialectRunResult, signal: AbortSignal | undefined): Promise<Prepared> {
    const online = this.#options.onlineRebuild ?? DEFAULT_ONLINE_REBUILD;
    const guard = this.connection.stepGuard;
    if (online === false || !guard?.runAhead) return step;
    const m = step.migration;
    const onProgress = (p: OperationProgress) => this.#stepFor(m, 'up', runId, false, result).progress(p);
    const ready = await guard.runAhead(m, { online, onProgress, ...(signal ? { signal } : {}) });
    return ready === m ? step : { ...step, migration: ready };
  }

  /** One migration and its history row in one transaction, retried whole when a statement could not get its lock in time. */
  async #inTransaction(step: Prepared, runId: string, start: number, ran: string[], result: DialectRunResult): Promise<'done' | 'skipped' | 'continue'> {
    return withStepSettings(this.connection, step.migration.connection.up, () => this.#inTransactionAttempts(step, runId, start, ran, result));
  }

  async #inTransactionAttempts(
    step: Prepared,
    runId: string,
    start: number,
    ran: string[],
    result: DialectRunResult,
  ): Promise<'done' | 'skipped' | 'continue'> {
    const conn = this.connection;
    const m = step.migration;
    const retry = {
      lockWait: this.#lockWait,
      waitBeforeRetry: (attempt: number) => this.#waitBeforeRetry(m, attempt),
      beforeAttempt: () => {
        ran.length = 0;
        this.#metricsOf(runId).restart();
      },
    };
    return inRetriedTransaction(conn, retry, async () => {
      if (await conn.history.has(m.version)) {
        await conn.rollback();
        return 'skipped';
      }
      const reported = result.reports.length;
      try {
        await this.#body(step, runId, ran, false, result, false);
      } catch (error) {
        result.reports.length = reported;
        throw error;
      }
      // large data transformations go on after the commit, in batches of their own: the row says `partial` meanwhile
      const continued = await needsContinuation(this.#participants, (p) => this.#stepFor(m, 'up', runId, false, result, p));
      await this.#settle(m, runId, result, continued);
      await this.#record(m, runId, performance.now() - start, step.fingerprint === true && !continued, continued ? 'partial' : 'applied');
      if (!continued) await this.#metricsOf(runId).recordStep(m, 'up');
      return continued ? 'continue' : 'done';
    });
  }

  /** A `transaction: none` migration: each statement on its own, each retried when it could not get its lock; then its history row. */
  async #withoutTransaction(step: Prepared, runId: string, start: number, ran: string[], result: DialectRunResult): Promise<'done' | 'skipped'> {
    const conn = this.connection;
    const m = step.migration;
    if (await conn.history.has(m.version)) return 'skipped';
    await conn.setLockTimeout(this.#lockWait.lockTimeoutMs, 'session');
    try {
      await withStepSettings(conn, m.connection.up, () => this.#body(step, runId, ran, true, result, false));
    } finally {
      await conn.setLockTimeout(null, 'session');
    }
    await conn.begin();
    try {
      await this.#settle(m, runId, result, false);
      await this.#record(m, runId, performance.now() - start, step.fingerprint === true);
      await this.#metricsOf(runId).recordStep(m, 'up');
      await conn.commit();
    } catch (error) {
      await conn.rollback().catch(() => {});
      throw error;
    }
    return 'done';
  }

  /** An up migration's body with its participants' hooks, on `conn` (a dry run's copy of the database, or the run's connection). */
  async #body(
    step: Prepared,
    runId: string,
    ran: string[],
    retryEach: boolean,
    result: DialectRunResult,
    dryRun: boolean,
    conn: RunnableConnection = this.connection,
  ): Promise<void> {
    const m = step.migration;
    for (const p of this.#participants) await p.beforeUp?.(this.#stepFor(m, 'up', runId, dryRun, result, p.name, conn));
    const guard = conn.stepGuard;
    if (guard) {
      const metrics = this.#metricsOf(runId);
      await runGuardedBody(guard, m, 'up', ran, {
        transactional: !retryEach,
        runId,
        dryRun,
        logger: this.#logger,
        onRows: (rows) => metrics.countRows(rows),
        onProgress: (p) => this.#stepFor(m, 'up', runId, dryRun, result, '', conn).progress(p),
        ...this.#rebuilder,
      });
    } else if (step.statements) await this.#statements(m, step.statements, ran, retryEach, conn);
    else {
      const metrics = this.#metricsOf(runId);
      await m.up(
        conn.kysely,
        moduleContext(conn, m, runId, this.#logger, 'up', (rows) => metrics.countRows(rows)),
      );
    }
    for (const p of this.#participants) await p.afterUp?.(this.#stepFor(m, 'up', runId, dryRun, result, p.name, conn));
  }

  /** Every participant's `settleUp`, in the transaction of the step's history row. */
  async #settle(m: Migration, runId: string, result: DialectRunResult, continued: boolean): Promise<void> {
    for (const p of this.#participants) await p.settleUp?.(this.#stepFor(m, 'up', runId, false, result, p.name), { continued });
  }

  /** Runs a script's statements in order; with `retryEach`, each one is retried on its own when it could not get its lock. */
  async #statements(m: Migration, statements: readonly ScriptStatement[], ran: string[], retryEach: boolean, conn = this.connection): Promise<void> {
    for (const statement of statements) {
      for (let attempt = 0; ; attempt++) {
        try {
          await conn.execute(statement.sql);
          break;
        } catch (error) {
          if (retryEach && conn.isLockTimeout(error) && attempt < this.#lockWait.retries) {
            await this.#waitBeforeRetry(m, attempt);
            continue;
          }
          const done = ran.length;
          throw statementError(error, statement, retryEach && done > 0 ? done : 0);
        }
      }
      ran.push(statement.sql);
    }
  }

  /**
   * Writes the history row. Not every row carries the schema's fingerprint: reading the catalogs
   * after every one of 1,000 migrations cost more than the migrations. The run's last step has it
   * (what drift checks compare with); so do a module migration and the step before it, so that a
   * check that does not run module code can tell a module that moved data only, its schema the
   * same on both sides (`withSchemaReplayStandIns`). A run that stops early fingerprints its last
   * applied step afterwards.
   */
  async #record(m: Migration, runId: string, durationMs: number, fingerprint: boolean, status: 'applied' | 'partial' = 'applied'): Promise<void> {
    await this.connection.history.record({
      version: m.version,
      name: m.name,
      mvp: m.mvp,
      checksum: m.checksum,
      status,
      durationMs,
      schemaHash: await this.#schemaHashFor(runId, m.version, fingerprint),
      runId,
      rows: this.#metricsOf(runId).rows,
    });
  }

  /**
   * The fingerprint an up step's history row records: the one a participant gave it when a
   * participant fingerprints the schema on this connection (null when it gave none), otherwise
   * the connection's own where the row takes one.
   */
  async #schemaHashFor(runId: string, version: number, fingerprint: boolean): Promise<string | null> {
    if (this.#participantFingerprints) return this.#givenHashes.get(runId)?.get(version) ?? null;
    return fingerprint ? this.connection.introspector.schemaFingerprint() : null;
  }

  get #participantFingerprints(): boolean {
    return this.#participants.some((p) => p.fingerprintsSchema?.(this.connection) === true);
  }

  /** Best effort: the fingerprint of the schema as the last applied step of a run that stopped left it. */
  async #fingerprintAt(version: number): Promise<void> {
    // the rows carry a participant's fingerprints: one of the connection's own would not compare with them
    if (this.#participantFingerprints) return;
    try {
      await this.connection.history.setSchemaHash(version, await this.connection.introspector.schemaFingerprint());
    } catch {
      // drift is then reported as not checked for this version, never as a false alarm
    }
  }

  async #waitBeforeRetry(m: Migration, attempt: number): Promise<void> {
    const delay = retryDelay(this.#lockWait, attempt);
    this.#logger.log({ level: 'warn', event: 'migration.lock_timeout_retry', version: m.version, attempt: attempt + 1, delayMs: Math.round(delay) });
    this.events.emit('log', { level: 'warn', event: 'migration.lock_timeout_retry', version: m.version, attempt: attempt + 1, delayMs: Math.round(delay) });
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  /**
   * What would run, and whether it would fail: every step in one transaction that is rolled back,
   * or, when the steps ask for different foreign-key settings, each with its own on a copy of the
   * database (as `rehearseDowns` does for downs).
   */
  async #dryRun(steps: Prepared[], runId: string, result: DialectRunResult): Promise<void> {
    assertDryRunnable(this.connection, steps, 'up');
    // its schema change committed already; only its data move is left, which a dry run does not rehearse
    const resumed = (step: Prepared) => step.resume === true;
    const rehearsed = steps.filter((s) => !resumed(s));
    if (switchesForeignKeys(this.connection, rehearsed, 'up')) {
      return dryRunStepsOnCopy(
        this.connection,
        steps,
        'up',
        result,
        (copy) => ({ events: this.#runEvents, work: (step, ran) => this.#body(step, runId, ran, false, result, true, copy) }),
        resumed,
      );
    }
    await dryRunInOneTransaction(
      this.connection,
      steps,
      'up',
      result,
      this.#runEvents,
      (step, ran) => this.#body(step, runId, ran, false, result, true),
      resumed,
    );
  }
}

/**
 * The rehearsal of an adoption check (see {@link findUnadoptedTablesOn}): every migration, run on
 * an empty scratch connection, declared transformations left out, no repeatables.
 *
 * @example
 * await findUnadoptedTablesOn(conn, migrations, adoptionRehearser(migrations));
 */
export function adoptionRehearser(migrations: MigrationSet, rebuildTable?: TableRebuilder): ScratchRehearser {
  return (scratch) =>
    new DialectMigrator({
      connection: scratch,
      migrations,
      participants: [SCRATCH_TRANSFORMATIONS],
      repeatables: false,
      allowUnadopted: true,
      ...(rebuildTable ? { rebuildTable } : {}),
    }).migrate({ latest: true }, { command: 'mfmig adoption check' });
}
