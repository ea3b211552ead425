import {
  type DatabaseIdentity,
  type DialectMigrator,
  type DialectParticipant,
  type ContextParticipants,
  contextRunner,
  ensureDatabaseIdentity,
  type MigrationFrameworkConfig,
  type MigrationPlugin,
  type RunInfo,
  type ServiceContext,
  isMfmigError,
  isServiceContext,
  type SqliteDatabase,
  connectionForUserCode,
  type IntegrityLevel,
} from '@mfmig/core';
import { createConnectionPreservation } from '../connection/connection-preservation.js';
import type { DownProbeCollector } from '../connection/sqlite-preservation.js';
import type { BackupRecord } from '../backup/backup-manifest.js';
import { type BackedUpRun, type BackupPluginOptions, type PreRunBackupTaker, createBackupPlugin } from '../backup/backup-plugin.js';
import { assertBackupBelongs } from '../backup/backup-ownership.js';
import { type BackupScan, type RemovedBackup, type TakenBackup, findBackup, listBackups, scanBackups } from '../backup/backup-registry.js';
import { removeBackup } from '../backup/remove-backup.js';
import type { CreateBackupOptions } from '../backup/create-backup.js';
import { createPreRunBackup, createRetainedBackup } from '../backup/retained-backup.js';
import { type BackupVerification, assertBackupRestorable, verifyBackup } from '../backup/verify-backup.js';
import { type CheckpointRecord, listCheckpoints } from '../checkpoint/checkpoint-manifest.js';
import { type CreateCheckpointOptions, createCheckpoint } from '../checkpoint/create-checkpoint.js';
import { type ResumeOptions, type ResumeResult, resumeFromCheckpoint } from '../checkpoint/resume-checkpoint.js';
import { type EmergencyRollbackResult, type EmergencyType, executeEmergencyRollback } from '../emergency/emergency-rollback.js';
import {
  type ExecuteRollbackOptions,
  type RollbackExecutionResult,
  type StageRunOptions,
  type StageRunner,
  executeRollbackPlan,
} from '../execute/execute-rollback-plan.js';
import { type RollbackTarget, createRollbackPlan } from '../plan/create-rollback-plan.js';
import { type RollbackCapability, validateRollbackCapability } from '../plan/rollback-capability.js';
import type { RollbackPlan } from '../plan/rollback-plan.js';
import { type ArchiveEntry, archiveLineage, listArchives } from '../preservation/archive-registry.js';
import { createPreservationPlugin } from '../preservation/preservation-plugin.js';
import { LiveDatabase, type ReopenContext } from './live-database.js';
import { type FailedRun, type FailedRunRecovery, recoverFailedRun } from './recover-failed-run.js';
import { type RestoreOptions, type RestoreResult, restoreLiveDatabase } from './restore-live-database.js';

/** Options of the {@link RollbackManager}. */
export interface RollbackManagerOptions {
  /** Plugins added to a context the manager opens itself (e.g. the transformer's). */
  plugins?: MigrationPlugin[];
  /** Backup before every real run of a context the manager opens itself; `false` turns it off. Default on. */
  backupBeforeRun?: boolean | BackupPluginOptions;
  /** Builds the context after a restore replaced the file. Default: a new context on the same path with the same plugins. */
  reopen?: ReopenContext;
  /**
   * Put the preservation plugin on the context's plugin list. Default true; `false` when the
   * caller composes the list itself (`createMigrationFramework` does, from {@link RollbackManager.preservationPlugin}).
   */
  register?: boolean;
  /**
   * The participants the manager's own runs (a plan's dry run, a rollback's stages, a checkpoint's
   * resume, an emergency rollback's downs) go through `DialectMigrator` with, on the context's
   * SQLite connection, before the manager's own preservation (the transformer's, schema history),
   * and `replaces`, the context's plugins they stand for; every other plugin on the context takes
   * part as a `pluginParticipant`. `createMigrationFramework` gives both. Default: none, so that
   * the context's plugins (a transformer plugin, a user's own) all take part that way.
   */
  participants?: ContextParticipants;
}

/**
 * Backups, checkpoints, rollback plans with data preservation, restore and emergency rollback.
 * Built from a plain configuration (`{ database, migrationsPath, backupPath }`, env variables
 * honoured) it opens its own context and migrator, registers its preservation plugin and takes a
 * backup before every real run; handed the framework's shared context, it registers its
 * preservation plugin there.
 *
 * A restore replaces the database file: the manager closes the connection it works on (also one
 * you passed in) and opens a new one. Read `manager.database` after a restore.
 *
 * @example
 * const rollback = new RollbackManager({ database: new Database('./kb.db'), migrationsPath: './migrations', backupPath: './backups' });
 * const plan = await rollback.createRollbackPlan({ mvp: 2 });
 * const result = await rollback.executeRollbackPlan(plan, { preserveUserData: true });
 */
export class RollbackManager implements PreRunBackupTaker {
  readonly #live: LiveDatabase;
  readonly #options: RollbackManagerOptions;
  readonly #preservation: MigrationPlugin;
  readonly #standalonePlugins: MigrationPlugin[];
  #preserve = true;
  #skipRunBackup = false;
  #activeRun: Pick<RunInfo, 'runId' | 'targetVersion'> | undefined;
  #preservationParticipant: DialectParticipant | undefined;

  constructor(input: MigrationFrameworkConfig | ServiceContext, options: RollbackManagerOptions = {}) {
    this.#options = options;
    let ctxRef: ServiceContext | undefined;
    this.#preservation = createPreservationPlugin({
      isEnabled: () => this.#preserve,
      plugins: () => ctxRef?.plugins ?? [],
      onRun: (run) => (this.#activeRun = run),
    });
    const backup = options.backupBeforeRun ?? true;
    this.#standalonePlugins = [...(backup === false ? [] : [createBackupPlugin(this, backup === true ? {} : backup)]), ...(options.plugins ?? [])];
    const install = (ctx: ServiceContext, previous: ServiceContext | undefined, standalone: boolean) => {
      ctxRef = ctx;
      const present = (p: MigrationPlugin) => ctx.plugins.some((q) => q === p || q.name === p.name);
      const add = (p: MigrationPlugin) => !present(p) && ctx.plugins.push(p);
      if (options.register !== false && !present(this.#preservation)) ctx.plugins.unshift(this.#preservation);
      for (const p of previous?.plugins ?? (standalone ? this.#standalonePlugins : [])) add(p);
      if (previous?.tableRebuilder && !ctx.tableRebuilder) ctx.setTableRebuilder(previous.tableRebuilder);
    };
    const standalone = !isServiceContext(input);
    this.#live = new LiveDatabase(input, (ctx, previous) => install(ctx, previous, standalone), options.reopen);
  }

  /** The service context (opened on first use). */
  get context(): ServiceContext {
    return this.#live.context();
  }

  /** The live better-sqlite3 connection; a new one after a restore. */
  get database(): SqliteDatabase {
    return connectionForUserCode(this.context.connection);
  }

  get livePath(): string {
    return this.#live.path;
  }

  get backupPath(): string {
    return this.#live.backupPath;
  }

  /**
   * Which database this is: the id stored in it and its real path, read without writing. The id
   * is null before mfmig first wrote to it, and for a copy of another database until mfmig writes
   * to it; it is then known by its path. Backups, checkpoints and restores use it to keep to
   * their own database.
   *
   * @example
   * const { id, path } = rollback.identity; // id: 'c0ffee12-...' once mfmig wrote to the file
   */
  get identity(): DatabaseIdentity {
    const { id, path } = this.#live.identity();
    return { id, path };
  }

  /** The plugin that archives dropped rows and restores them (registered on the context unless `register: false`). */
  get preservationPlugin(): MigrationPlugin {
    return this.#preservation;
  }

  /**
   * The same preservation as a `DialectMigrator` participant (`createConnectionPreservation`), for
   * a run on a `SqliteConnection` over this manager's database; like the plugin, it tells the
   * manager which run is under way (a checkpoint taken during it records the run and its target),
   * and gives the database its identity before a real run writes to it.
   */
  get preservationParticipant(): DialectParticipant {
    this.#preservationParticipant ??= this.#preservationWith(true);
    return this.#preservationParticipant;
  }

  /** {@link RollbackManager.preservationParticipant}, keeping what downs drop or (`preserve` false) letting it go. */
  #preservationWith(preserve: boolean, collect?: DownProbeCollector): DialectParticipant {
    const inner = createConnectionPreservation({ enabled: preserve, ...(collect ? { collect } : {}) });
    return {
      ...inner,
      beforeRun: async (run) => {
        // as under the plugin: a real run writes to the database, which from now on has an identity of its own
        if (!run.dryRun) ensureDatabaseIdentity(this.context.connection);
        this.#activeRun = { runId: run.runId, targetVersion: run.targetVersion };
      },
      afterRun: async (run, result) => {
        this.#activeRun = undefined;
        await inner.afterRun?.(run, result);
      },
    };
  }

  /**
   * Takes a verified backup of the live database now (online backup API), then applies retention;
   * `removedByRetention` lists every backup that removed. A backup with a `label` is kept until
   * it is removed explicitly (`removeBackup`).
   */
  async createBackup(options: { label?: string; verify?: IntegrityLevel | false } = {}): Promise<TakenBackup> {
    return this.#backup('manual', options.verify ?? 'full', { label: options.label });
  }

  /**
   * Removes one of this database's backups (id or path): its manifest and its copy. Refuses
   * another database's backup (`BACKUP_OTHER_DATABASE`), a checkpoint's copy and anything that
   * is not a usable backup in the backup folder (`BACKUP_INVALID`), before anything is deleted.
   */
  removeBackup(ref: string): RemovedBackup {
    return removeBackup(this.backupPath, ref, this.identity);
  }

  /**
   * The backups of this database (manifests in the backup folder), oldest first; with
   * `allDatabases`, those of every database there. Opens no connection of its own (it reads the
   * file's identity read-only).
   */
  listBackups(options: { includeCheckpoints?: boolean; allDatabases?: boolean } = {}): BackupRecord[] {
    return listBackups(this.backupPath, { includeCheckpoints: options.includeCheckpoints, database: options.allDatabases ? undefined : this.identity });
  }

  /** Like `listBackups`, with the entries it skipped (links, FIFOs, unreadable manifests) and why. */
  scanBackups(options: { includeCheckpoints?: boolean; allDatabases?: boolean } = {}): BackupScan {
    return scanBackups(this.backupPath, { includeCheckpoints: options.includeCheckpoints, database: options.allDatabases ? undefined : this.identity });
  }

  /** Checks a backup (id or path) against its manifest: sha256 and integrity. */
  async verifyBackup(ref: string, level: IntegrityLevel = 'full'): Promise<BackupVerification> {
    return verifyBackup(findBackup(this.backupPath, ref), level);
  }

  /**
   * Restores a backup (id, path or record) over the live file: refuses a backup of another
   * database (`BACKUP_OTHER_DATABASE`, unless `allowOtherDatabase`), verifies its sha256 and
   * integrity (`BACKUP_INVALID`), both before anything is touched, then closes the live
   * connection, replaces the file atomically and reopens. The replaced file is kept aside unless
   * `saveAside: false`; `result.savedAside.path` says where.
   */
  async restoreBackup(ref: string | BackupRecord, options: RestoreOptions = {}): Promise<RestoreResult> {
    const backup = typeof ref === 'string' ? findBackup(this.backupPath, ref) : ref;
    const allowOtherDatabase = options.allowOtherDatabase ?? false;
    if (!allowOtherDatabase) assertBackupBelongs(backup, this.identity);
    const verification = await assertBackupRestorable(backup, options.verify ?? 'full');
    return this.#restore(backup, { saveAside: options.saveAside ?? true, reason: 'pre-restore', verification, allowOtherDatabase });
  }

  /** Called by the backup plugin before a run. */
  async backupBeforeRun(run: BackedUpRun, options: { verify: IntegrityLevel | false }): Promise<TakenBackup | null> {
    if (this.#skipRunBackup) return null;
    const backupOptions = await this.#backupOptions('pre-run', options.verify, {
      run: { runId: run.runId, direction: run.direction, fromVersion: run.fromVersion, targetVersion: run.targetVersion },
    });
    return createPreRunBackup(this.context.connection, backupOptions, this.#live.config.backupRetention);
  }

  /** Captures the database and the run's position (see `createCheckpoint`). */
  async createCheckpoint(migrationId: string, options: CreateCheckpointOptions = {}): Promise<CheckpointRecord> {
    const target = options.target ?? (this.#activeRun ? { version: this.#activeRun.targetVersion } : undefined);
    const ctx = this.context;
    return createCheckpoint(ctx.connection, await ctx.loadMigrations(), this.backupPath, migrationId, {
      runId: this.#activeRun?.runId,
      onProgress: (p) => ctx.events.emit('operationProgress', p),
      ...options,
      target,
    });
  }

  /** The complete checkpoints of this database, oldest first. */
  listCheckpoints(): CheckpointRecord[] {
    return listCheckpoints(this.backupPath, { database: this.identity });
  }

  /** Finishes a checkpointed run, or refuses with `CHECKPOINT_INVALID` (see `resumeFromCheckpoint`). */
  async resumeFromCheckpoint(checkpointPath: string, options: ResumeOptions = {}): Promise<ResumeResult> {
    return resumeFromCheckpoint(
      {
        livePath: this.livePath,
        identity: () => this.identity,
        loadMigrations: () => this.#live.loadMigrations(),
        tryState: () => this.#live.tryState(),
        restore: async (backup) => ({
          savedAside:
            (await this.#restore(backup, { saveAside: true, reason: 'pre-resume', verification: await assertBackupRestorable(backup) })).savedAside?.path ??
            null,
        }),
        run: (preserve, fn) => this.#run(preserve, fn),
      },
      checkpointPath,
      options,
    );
  }

  /** Plans a rollback to a version or `{ mvp }` (see `createRollbackPlan`). Changes nothing. */
  async createRollbackPlan(target: RollbackTarget): Promise<RollbackPlan> {
    return createRollbackPlan(
      {
        live: await this.#live.state(),
        backupPath: this.backupPath,
        database: this.identity,
        rehearseDowns: async (version, collect) =>
          (await this.#contextRunner(this.#preservationWith(true, collect))).rollback({ version }, { dryRun: true, command: `plan rollback to ${version}` }),
      },
      target,
    );
  }

  /** Missing downs, irreversible migrations and transformations, backups available. Runs nothing. */
  async validateRollbackCapability(target: RollbackTarget): Promise<RollbackCapability> {
    return validateRollbackCapability(await this.#live.state(), this.backupPath, target, this.identity);
  }

  /** Carries out a plan (see `executeRollbackPlan`): a stage that fails throws, with the result as `error.result`. */
  async executeRollbackPlan(plan: RollbackPlan, options: ExecuteRollbackOptions = {}): Promise<RollbackExecutionResult> {
    const level: IntegrityLevel = this.#live.config.integrityCheckLevel === 'quick' ? 'quick' : 'full';
    const safety = this.#live.config.rollbackSafetyChecks;
    return executeRollbackPlan(
      {
        live: () => this.#live.state(),
        safetyChecks: safety,
        integrityLevel: level,
        backup: () => this.#backup('pre-rollback', safety ? level : false, { label: `before rollback to ${plan.targetVersion}` }),
        restore: async (id) => ({ savedAside: (await this.restoreBackup(id, { verify: level })).savedAside?.path ?? null }),
        run: (preserve, fn) => this.#run(preserve, fn),
      },
      plan,
      options,
    );
  }

  /**
   * What runs a rollback's stages: `DialectMigrator` over the context's SQLite connection with the
   * participants the manager was given, its own preservation (on or off) and the context's other plugins.
   */
  async #stageRunner(preserve: boolean): Promise<StageRunner> {
    const runner = await this.#contextRunner(this.#preservationWith(preserve));
    const options = (o: StageRunOptions) => ({ ...(o.signal ? { signal: o.signal } : {}), command: o.command, lockHeld: o.heldLock !== undefined });
    return {
      migrate: (target, o) => runner.migrate(target, options(o)),
      rollback: (target, o) => runner.rollback(target, options(o)),
    };
  }

  /** `DialectMigrator` over the context's SQLite connection with the given participants, `preservation` and the context's other plugins (see `contextRunner`). */
  #contextRunner(preservation: DialectParticipant): Promise<DialectMigrator> {
    const given = this.#options.participants ?? { list: [], replaces: [] };
    // the manager's preservation plugin on the context is its own preservation participant's stand-in
    return contextRunner(this.context, { list: given.list, replaces: [...given.replaces, this.#preservation] }, [preservation]);
  }

  /** Plans and executes a rollback to a version or `{ mvp }`; a failure's `error.result` carries the plan too. */
  async rollbackTo(target: RollbackTarget, options: ExecuteRollbackOptions = {}): Promise<RollbackExecutionResult & { plan: RollbackPlan }> {
    const plan = await this.createRollbackPlan(target);
    try {
      return { ...(await this.executeRollbackPlan(plan, options)), plan };
    } catch (error) {
      if (isMfmigError(error) && error.result !== undefined) error.result = { ...(error.result as RollbackExecutionResult), plan };
      throw error;
    }
  }

  /** Rolls back to milestone `mvp` (what the framework's `rollbackMVPMigration` calls). */
  rollbackToMvp(mvp: number, options: ExecuteRollbackOptions = {}): Promise<RollbackExecutionResult & { plan: RollbackPlan }> {
    return this.rollbackTo({ mvp }, options);
  }

  /**
   * Takes the database back to the version a failed run started from: by its downs, or, when they
   * fail, by restoring the run's pre-run backup (see `recoverFailedRun`).
   */
  recoverFailedRun(run: FailedRun, options: ExecuteRollbackOptions = {}): Promise<FailedRunRecovery> {
    const level: IntegrityLevel = this.#live.config.integrityCheckLevel === 'quick' ? 'quick' : 'full';
    return recoverFailedRun(
      {
        rollbackTo: (version, opts) => this.rollbackTo(version, opts),
        preRunBackup: (failed) => this.#preRunBackupOf(failed),
        restore: (backup) => this.restoreBackup(backup, { verify: level }),
        live: () => this.#live.state(),
      },
      run,
      options,
    );
  }

  /**
   * The fastest safe path to the last verified good state (see `executeEmergencyRollback`); when it
   * stops, it throws with its result, `actionsPerformed` included, as `error.result`.
   */
  executeEmergencyRollback(type: EmergencyType): Promise<EmergencyRollbackResult> {
    return executeEmergencyRollback(
      {
        livePath: this.livePath,
        backupPath: this.backupPath,
        database: this.identity,
        contacts: this.#live.config.emergencyContacts,
        safetyChecks: this.#live.config.rollbackSafetyChecks,
        tryState: () => this.#live.tryState(),
        restore: async (backup, verification, reason, damaged) => ({
          savedAside: (await this.#restore(backup, { saveAside: true, reason, verification, settle: !damaged })).savedAside?.path ?? null,
        }),
        run: (preserve, fn) => this.#run(preserve, fn),
      },
      type,
    );
  }

  /** Archives of dropped rows in the live database (`mfmig_archives`), read through the context's connection. */
  async listArchives(status?: ArchiveEntry['status']): Promise<ArchiveEntry[]> {
    return listArchives(this.context.connection, status);
  }

  /**
   * The database ids whose archives are this database's (its own, and those of the databases it
   * was copied from): an archive under another id came in with a copy restored on purpose, and
   * `archiveBelongsTo` says it is not. Reads only.
   *
   * @example
   * const lineage = manager.archiveLineage();
   * (await manager.listArchives('archived')).filter((a) => archiveBelongsTo(a, lineage));
   */
  archiveLineage(): string[] {
    return archiveLineage(this.context.connection);
  }

  /** Closes the database when the manager opened it. */
  close(): void {
    this.#live.close();
  }

  #preRunBackupOf(run: FailedRun): BackupRecord | null {
    const id = run.extras?.backup?.id;
    const own = this.listBackups().filter((b) => b.kind === 'pre-run');
    return own.find((b) => b.id === id) ?? (run.runId ? own.find((b) => b.run?.runId === run.runId) : undefined) ?? null;
  }

  async #backup(
    kind: 'manual' | 'pre-run' | 'pre-rollback',
    verify: IntegrityLevel | false,
    extra: { label?: string; run?: BackupRecord['run'] },
  ): Promise<TakenBackup> {
    return createRetainedBackup(this.context.connection, await this.#backupOptions(kind, verify, extra), this.#live.config.backupRetention);
  }

  /** What a backup of the live database is taken with: this folder, the milestone it is at, progress on the context's events. */
  async #backupOptions(
    kind: 'manual' | 'pre-run' | 'pre-rollback',
    verify: IntegrityLevel | false,
    extra: { label?: string; run?: BackupRecord['run'] },
  ): Promise<CreateBackupOptions> {
    const ctx = this.context;
    return {
      backupPath: this.backupPath,
      kind,
      verify,
      migrations: await this.#live.migrationsIfAny(),
      onProgress: (p) => ctx.events.emit('operationProgress', p),
      ...extra,
    };
  }

  #restore(
    backup: BackupRecord,
    options: { saveAside: boolean; reason: string; verification: BackupVerification; settle?: boolean; allowOtherDatabase?: boolean },
  ): Promise<RestoreResult> {
    return restoreLiveDatabase(this.#live, backup, options);
  }

  /** Runs the manager's own runs (see {@link RollbackManager.#stageRunner}) with preservation on or off, and without the pre-run backup. */
  async #run<T>(preserve: boolean, fn: (runner: StageRunner) => Promise<T>): Promise<T> {
    const [previousPreserve, previousSkip] = [this.#preserve, this.#skipRunBackup];
    this.#preserve = preserve;
    this.#skipRunBackup = true;
    try {
      return await fn(await this.#stageRunner(preserve));
    } finally {
      this.#preserve = previousPreserve;
      this.#skipRunBackup = previousSkip;
    }
  }
}
