import { randomUUID } from 'node:crypto';
import type { Logger } from '../config/index.js';
import { MfmigError, isMfmigError } from '../errors/index.js';
import { type MigrationEvents, MigrationEventEmitter } from '../events/index.js';
import { type Migration, type MigrationSet, migrationLabel, transactionModeOf } from '../migration/index.js';
import type { MigrationResultItem, RunResult } from '../runner/migration-plugin.js';
import { type MigrationStatus, assertNothingBlocks, computeStatus } from '../runner/migration-status.js';
import { type MigrationTarget, resolveTargetVersion, upSteps } from '../runner/migration-target.js';
import type { RunnableConnection, ScriptStatement } from './dialect.js';
import { moduleContext } from './module-context.js';
import { type LockWaitPolicy, DEFAULT_LOCK_WAIT, retryDelay } from './lock-wait-policy.js';

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
}

interface Prepared {
  migration: Migration;
  /** The statements of a SQL migration, as the dialect parses them; undefined for a module. */
  statements?: ScriptStatement[];
  transactional: boolean;
  /** The last step of the run: its history row carries the schema's fingerprint (see {@link DialectMigrator}). */
  last?: boolean;
}

const noopLogger: Logger = { log() {} };

/**
 * Applies migrations through a dialect's connection ({@link RunnableConnection}): each one in its
 * own transaction together with its history row where the dialect has transactional DDL, one
 * runner at a time, checksums checked first, DDL under a lock wait bound with bounded retries.
 * This is the runner of the PostgreSQL dialect; SQLite runs through {@link Migrator}.
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

  constructor(options: DialectMigratorOptions) {
    this.#options = options;
    this.connection = options.connection;
    this.migrations = options.migrations;
    this.events = options.events ?? new MigrationEventEmitter();
    this.#logger = options.logger ?? noopLogger;
    this.#lockWait = { ...DEFAULT_LOCK_WAIT, ...options.lockWait };
  }

  /** Where the database stands against the migrations folder. Reads only: nothing is created. */
  async status(): Promise<MigrationStatus> {
    const history = this.connection.history;
    return computeStatus(this.migrations, await history.list(), await history.failures());
  }

  /** Applies pending migrations up to `target`. Never throws half-way: see `result.error`. */
  async migrate(target: MigrationTarget = { latest: true }, options: DialectRunOptions = {}): Promise<RunResult> {
    const runId = randomUUID();
    const dryRun = options.dryRun ?? false;
    const startedAt = performance.now();
    const result: RunResult = { runId, direction: 'up', dryRun, fromVersion: 0, toVersion: 0, targetVersion: 0, results: [], durationMs: 0, extras: {} };
    const { connection: conn } = this;
    let locked = false;
    try {
      result.targetVersion = resolveTargetVersion(this.migrations, target);
      const first = await this.status();
      result.fromVersion = first.currentVersion;
      // every step is parsed and checked before anything is written: a file that cannot run is refused whole
      const parsed = new Map<Migration, Prepared>();
      await this.#prepare(this.#steps(first, target, options.acceptChecksums ?? []), parsed);
      if (!dryRun) {
        await conn.history.ensure();
        locked = true;
        await conn.lock.acquire({
          timeoutMs: this.#options.lockTimeout ?? 10_000,
          command: options.command ?? `migrate to ${result.targetVersion}`,
          onWait: (h) => this.events.emit('lockWaiting', { holder: `pid ${h.pid} on ${h.host}` }),
          onTakeover: ({ holder, reason }) =>
            this.events.emit('lockTakenOver', { holder: `pid ${holder.pid} on ${holder.host}`, reason: 'stale', detail: reason }),
        });
      }
      const status = await this.status();
      result.fromVersion = status.currentVersion;
      // under the lock the steps are read again (another runner may have applied some); each file is parsed once
      const steps = await this.#prepare(this.#steps(status, target, options.acceptChecksums ?? []), parsed);
      if (!dryRun) {
        for (const version of options.acceptChecksums ?? []) {
          await conn.history.acceptChecksum(version, this.migrations.byVersion.get(version)!.checksum, 'accepted with --accept-checksum');
        }
      }
      this.events.emit('runStarted', {
        runId,
        direction: 'up',
        fromVersion: status.currentVersion,
        targetVersion: result.targetVersion,
        totalSteps: steps.length,
        dryRun,
      });
      if (dryRun) await this.#dryRun(steps, runId, result);
      else await this.#execute(steps, runId, result, options.signal);
    } catch (error) {
      result.error = isMfmigError(error)
        ? error
        : new MfmigError('INTERNAL', `Unexpected failure: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    } finally {
      if (locked) await conn.lock.release().catch(() => {});
      result.toVersion = await this.status().then(
        (s) => s.currentVersion,
        () => result.fromVersion,
      );
      result.durationMs = performance.now() - startedAt;
    }
    if (result.error) this.events.emit('runFailed', { runId, error: result.error });
    else {
      const migrations = result.results.filter((r) => r.status === 'Success').length;
      this.events.emit('runCompleted', { runId, direction: 'up', toVersion: result.toVersion, durationMs: result.durationMs, migrations });
    }
    return result;
  }

  /** The steps of an up run, after refusing what must not start (edited or missing applied files, a target below the current version). */
  #steps(status: MigrationStatus, target: MigrationTarget, accept: number[]): Migration[] {
    assertNothingBlocks(status, accept, '--accept-checksum');
    const targetVersion = resolveTargetVersion(this.migrations, target);
    if (targetVersion < status.currentVersion && status.applied.length > 0 && !('latest' in target)) {
      throw new MfmigError(
        'USAGE',
        `Target version ${targetVersion} is below the current version ${status.currentVersion}; going down is not available on ${this.connection.dialect} yet`,
      );
    }
    return upSteps(this.migrations, new Set(status.applied.map((a) => a.version)), targetVersion);
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
      const transactional = transactionModeOf(m, 'up') === 'immediate';
      if (m.transformations.length > 0) {
        throw new MfmigError(
          'TRANSFORMATION_INVALID',
          `Migration ${migrationLabel(m)} declares data transformations, which do not run on ${this.connection.dialect} yet; write them as SQL or Kysely queries in up()`,
          { context: { version: m.version, file: m.file } },
        );
      }
      if (m.kind !== 'sql') {
        prepared.push({ migration: m, transactional });
        parsed.set(m, { migration: m, transactional });
        continue;
      }
      const statements = await this.connection.analyzeScript(m.upSql ?? '');
      const refused = transactional ? statements.find((s) => s.nonTransactional) : undefined;
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

  async #execute(steps: Prepared[], runId: string, result: RunResult, signal: AbortSignal | undefined): Promise<void> {
    let lastApplied: number | undefined;
    for (const [index, step] of steps.entries()) {
      const m = step.migration;
      step.last = index === steps.length - 1;
      if (signal?.aborted) {
        throw new MfmigError(
          'INTERRUPTED',
          `Interrupted before ${migrationLabel(m)}; the database is at version ${(await this.status()).currentVersion}. Run the same command again to continue`,
        );
      }
      this.events.emit('migrationStarted', { version: m.version, name: m.name, mvp: m.mvp, direction: 'up', step: index + 1, totalSteps: steps.length });
      const start = performance.now();
      const ran: string[] = [];
      try {
        const outcome = step.transactional ? await this.#inTransaction(step, runId, start, ran) : await this.#withoutTransaction(step, runId, start, ran);
        const durationMs = performance.now() - start;
        result.results.push({ ...item(m, outcome === 'skipped' ? 'Skipped' : 'Success', durationMs), statements: ran });
        this.events.emit('migrationCompleted', { version: m.version, name: m.name, mvp: m.mvp, direction: 'up', durationMs });
        this.events.emit('migrationStepCompleted', { step: index + 1, totalSteps: steps.length, version: m.version, name: m.name, duration: durationMs });
        if (outcome === 'done') lastApplied = m.version;
      } catch (error) {
        const wrapped = stepError(error, m, step.transactional);
        if (lastApplied !== undefined) await this.#fingerprintAt(lastApplied);
        await this.connection.history.recordFailure(m.version, 'up', wrapped.message).catch(() => {});
        this.events.emit('migrationFailed', { version: m.version, name: m.name, mvp: m.mvp, direction: 'up', error: wrapped });
        result.results.push({ ...item(m, 'Error', performance.now() - start), statements: ran, error: wrapped });
        for (const rest of steps.slice(index + 1)) result.results.push(item(rest.migration, 'NotExecuted', 0));
        throw wrapped;
      }
    }
  }

  /** One migration and its history row in one transaction, retried whole when a statement could not get its lock in time. */
  async #inTransaction(step: Prepared, runId: string, start: number, ran: string[]): Promise<'done' | 'skipped'> {
    const conn = this.connection;
    const m = step.migration;
    for (let attempt = 0; ; attempt++) {
      ran.length = 0;
      await conn.begin();
      try {
        await conn.setLockTimeout(this.#lockWait.lockTimeoutMs, 'transaction');
        if (await conn.history.has(m.version)) {
          await conn.rollback();
          return 'skipped';
        }
        await this.#body(step, runId, ran, false);
        await this.#record(m, runId, performance.now() - start, step.last === true);
        await conn.commit();
        return 'done';
      } catch (error) {
        await conn.rollback().catch(() => {});
        if (!conn.isLockTimeout(error) || attempt >= this.#lockWait.retries) throw lockExhausted(error, conn, this.#lockWait, attempt);
        await this.#waitBeforeRetry(m, attempt);
      }
    }
  }

  /** A `transaction: none` migration: each statement on its own, each retried when it could not get its lock; then its history row. */
  async #withoutTransaction(step: Prepared, runId: string, start: number, ran: string[]): Promise<'done' | 'skipped'> {
    const conn = this.connection;
    const m = step.migration;
    if (await conn.history.has(m.version)) return 'skipped';
    await conn.setLockTimeout(this.#lockWait.lockTimeoutMs, 'session');
    try {
      await this.#body(step, runId, ran, true);
    } finally {
      await conn.setLockTimeout(null, 'session');
    }
    await conn.begin();
    try {
      await this.#record(m, runId, performance.now() - start, step.last === true);
      await conn.commit();
    } catch (error) {
      await conn.rollback().catch(() => {});
      throw error;
    }
    return 'done';
  }

  async #body(step: Prepared, runId: string, ran: string[], retryEach: boolean): Promise<void> {
    const m = step.migration;
    if (!step.statements) {
      await m.up(this.connection.kysely, moduleContext(this.connection, m, runId, this.#logger));
      return;
    }
    for (const statement of step.statements) {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.connection.execute(statement.sql);
          break;
        } catch (error) {
          if (retryEach && this.connection.isLockTimeout(error) && attempt < this.#lockWait.retries) {
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
   * Writes the history row. Only the run's last step carries the schema's fingerprint (what drift
   * checks compare with): reading the catalogs after every one of 1,000 migrations cost more than
   * the migrations. A run that stops early fingerprints its last applied step afterwards.
   */
  async #record(m: Migration, runId: string, durationMs: number, last: boolean): Promise<void> {
    const schemaHash = last ? await this.connection.introspector.schemaFingerprint() : null;
    await this.connection.history.record({
      version: m.version,
      name: m.name,
      mvp: m.mvp,
      checksum: m.checksum,
      status: 'applied',
      durationMs,
      schemaHash,
      runId,
      rows: 0,
    });
  }

  /** Best effort: the fingerprint of the schema as the last applied step of a run that stopped left it. */
  async #fingerprintAt(version: number): Promise<void> {
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

  /** Runs every step in one transaction and rolls it back: what would run, and whether it would fail. */
  async #dryRun(steps: Prepared[], runId: string, result: RunResult): Promise<void> {
    const conn = this.connection;
    const nonTransactional = steps.find((s) => !s.transactional);
    if (nonTransactional) {
      throw new MfmigError(
        'USAGE',
        `Migration ${migrationLabel(nonTransactional.migration)} runs without a transaction (transaction: none), so a dry run cannot roll it back; dry-run up to the version before it`,
      );
    }
    await conn.begin();
    try {
      for (const [index, step] of steps.entries()) {
        const m = step.migration;
        const start = performance.now();
        const ran: string[] = [];
        try {
          await this.#body(step, runId, ran, false);
        } catch (error) {
          const wrapped = stepError(error, m, true);
          result.results.push({ ...item(m, 'Error', performance.now() - start), statements: ran, error: wrapped });
          for (const rest of steps.slice(index + 1)) result.results.push(item(rest.migration, 'NotExecuted', 0));
          throw wrapped;
        }
        result.results.push({ ...item(m, 'Success', performance.now() - start), statements: ran });
      }
    } finally {
      await conn.rollback();
    }
  }
}

function item(m: Migration, status: MigrationResultItem['status'], durationMs: number): MigrationResultItem {
  return { version: m.version, name: m.name, mvp: m.mvp, direction: 'up', status, durationMs, rows: 0, statements: [] };
}

function statementError(error: unknown, statement: ScriptStatement, applied: number): MfmigError {
  const base = isMfmigError(error) ? error : undefined;
  const message = (error as Error)?.message ?? String(error);
  const stays = applied > 0 ? ` (${applied} statement(s) before it ran outside a transaction and stay applied)` : '';
  return new MfmigError('MIGRATION_FAILED', `line ${statement.line}: ${message}${stays}`, {
    cause: error,
    context: { ...(base?.context ?? {}), statement: statement.sql, line: statement.line, sqlState: (error as { code?: string })?.code },
  });
}

function stepError(error: unknown, m: Migration, transactional: boolean): MfmigError {
  const where = `Migration ${migrationLabel(m)} (mvp${m.mvp}, up) failed`;
  const rolledBack = transactional ? '; nothing of it was applied' : '';
  if (isMfmigError(error) && error.code !== 'MIGRATION_FAILED') {
    if (error.context.version === undefined) Object.assign(error.context, { version: m.version, migration: m.name, direction: 'up' });
    return error;
  }
  const message = (error as Error)?.message ?? String(error);
  return new MfmigError('MIGRATION_FAILED', `${where}: ${message}${rolledBack}`, {
    cause: error,
    context: { ...(isMfmigError(error) ? error.context : {}), version: m.version, migration: m.name, direction: 'up', file: m.file },
  });
}

function lockExhausted(error: unknown, conn: RunnableConnection, policy: LockWaitPolicy, attempt: number): unknown {
  if (!conn.isLockTimeout(error)) return error;
  return new MfmigError(
    'MIGRATION_FAILED',
    `a statement waited more than ${policy.lockTimeoutMs} ms for a table lock held by another transaction, ${attempt + 1} time(s); nothing was left waiting, and other queries were not blocked. Find the long transaction (pg_stat_activity), or raise --ddl-lock-timeout / --ddl-retries`,
    { cause: error, context: { sqlState: '55P03', attempts: attempt + 1 } },
  );
}
