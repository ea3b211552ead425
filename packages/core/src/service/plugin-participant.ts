import { SqliteConnection } from '../adapter/sqlite-connection.js';
import { sqliteConnectionOf } from '../adapter/connection-of.js';
import type { DatabaseAdapter } from '../adapter/database-adapter.js';
import type { DialectRunResult } from '../dialect/dialect-migrator.js';
import type { DialectParticipant, DialectRun, DialectStep } from '../dialect/dialect-participant.js';
import { MfmigError } from '../errors/index.js';
import type { Logger } from '../config/config.js';
import { createMigrationContext } from '../runner/migration-context.js';
import type { MigrationContext } from '../migration/migration.js';
import { ACCOUNTED_LOSSES_STATE, type MigrationPlugin, type RunInfo, type TableRebuilder } from '../runner/migration-plugin.js';

/** What {@link pluginParticipant} gives the plugin's contexts besides the step. */
export interface PluginParticipantOptions {
  logger?: Logger;
  /** `ctx.rebuildTable` (@mfmig/schema-evolution's `rebuildTableInMigration`). */
  rebuildTable?: TableRebuilder;
}

/**
 * A `Migrator` plugin as a `DialectMigrator` participant, for runs on a `SqliteConnection`: its
 * hooks are called where `Migrator` calls them, each with a `MigrationContext` over the
 * connection's adapter that the step's hooks share (`ctx.state`), so that a plugin written for
 * `Migrator` (a user's audit, an extra check) takes part in a `DialectMigrator` run unchanged:
 * - `beforeRun` / `afterRun` with the run as `RunInfo` (the plugin writes in `result.extras`);
 * - `beforeMigration` before the body and `afterMigration` after it, in both directions;
 * - `needsContinuation`, `continueMigration`, `finalizeMigration`, `afterRepeatable`;
 * - the tables a plugin lists in `ACCOUNTED_LOSSES_STATE` before a down are accounted for;
 * - a plugin that `fingerprintsSchema` gives each up step's history row the `schemaHash` it leaves in the state.
 *
 * @example
 * new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [pluginParticipant(auditPlugin)] });
 */
export function pluginParticipant(plugin: MigrationPlugin, options: PluginParticipantOptions = {}): DialectParticipant {
  const contexts = stepContexts(options);
  const contextOf = (step: DialectStep) => contexts.of(step, adapterOf(step.connection, plugin.name));
  /** A down's hook, then the losses the plugin accounted for (as `Migrator` reads them from the state). */
  const downHook = async (step: DialectStep, hook: ((ctx: MigrationContext) => Promise<void> | void) | undefined) => {
    if (!hook) return;
    const ctx = contextOf(step);
    await hook.call(plugin, ctx);
    const accounted = ctx.state.get(ACCOUNTED_LOSSES_STATE) as readonly string[] | '*' | undefined;
    if (accounted !== undefined) step.accountLosses?.(accounted);
  };
  /** An up's closing hook, then the fingerprint a plugin that fingerprints the schema left for the step's history row. */
  const upHook = async (step: DialectStep, hook: ((ctx: MigrationContext) => Promise<void> | void) | undefined) => {
    const ctx = contextOf(step);
    await hook?.call(plugin, ctx);
    const hash = ctx.state.get('schemaHash');
    if (plugin.fingerprintsSchema && typeof hash === 'string') step.recordSchemaHash(hash);
  };
  return {
    name: plugin.name,
    ...(plugin.handlesTransformations ? { runsTransformations: true } : {}),
    ...(plugin.fingerprintsSchema ? { fingerprintsSchema: (connection: DialectStep['connection']) => connection instanceof SqliteConnection } : {}),
    async beforeRun(run) {
      await plugin.beforeRun?.(runInfoOf(run, adapterOf(run.connection, plugin.name)));
    },
    async afterRun(run, result) {
      contexts.forgetRun(run.runId);
      await plugin.afterRun?.(runInfoOf(run, adapterOf(run.connection, plugin.name)), result as DialectRunResult);
    },
    async beforeUp(step) {
      await plugin.beforeMigration?.(contextOf(step));
    },
    afterUp: (step) => upHook(step, plugin.afterMigration),
    beforeDown: (step) => downHook(step, plugin.beforeMigration),
    afterDown: (step) => downHook(step, plugin.afterMigration),
    async needsContinuation(step) {
      return (await plugin.needsContinuation?.(step.migration, contextOf(step))) === true;
    },
    async continueUp(step) {
      await plugin.continueMigration?.(contextOf(step));
    },
    finalizeUp: (step) => upHook(step, plugin.finalizeMigration),
    async afterRepeatable(step, version) {
      await plugin.afterRepeatable?.(contextOf(step), version);
    },
  };
}

/** What {@link stepContexts} gives. */
export interface StepContexts {
  /**
   * The step's context over `adapter` (default: the one under the step's `SqliteConnection`); its
   * `state` is the same from the step's first hook to its last.
   */
  of(step: DialectStep, adapter?: DatabaseAdapter): MigrationContext;
  /** Forgets one step's state (it has ended). */
  forgetStep(step: DialectStep): void;
  /** Forgets the state of every step of a run (it has ended). */
  forgetRun(runId: string): void;
}

/**
 * The `MigrationContext`s a plugin's hooks get in a `DialectMigrator` run, as `Migrator` gives
 * them: one `state` per step, shared by its hooks; the rows a hook counts go to the step too.
 *
 * @example
 * const contexts = stepContexts();
 * await plugin.afterMigration?.(contexts.of(step));
 */
export function stepContexts(options: PluginParticipantOptions = {}): StepContexts {
  const states = new Map<string, Map<string, unknown>>();
  const keyOf = (step: DialectStep) => `${step.runId}:${step.migration.version}:${step.direction}`;
  return {
    of(step, adapter = adapterOf(step.connection, 'stepContexts')) {
      const key = keyOf(step);
      const state = states.get(key) ?? states.set(key, new Map()).get(key)!;
      const ctx = createMigrationContext({
        adapter,
        ...(step.connection instanceof SqliteConnection ? { connection: step.connection } : {}),
        migration: step.migration,
        direction: step.direction,
        dryRun: step.dryRun,
        logger: options.logger ?? { log() {} },
        onProgress: (p) => step.progress(p),
        state,
        runId: step.runId,
        ...(step.signal ? { signal: step.signal } : {}),
        ...(step.undoesFailedUp ? { undoesFailedUp: true } : {}),
        ...(options.rebuildTable ? { rebuildTable: options.rebuildTable } : {}),
      });
      const counted = ctx.countRows.bind(ctx);
      return Object.assign(ctx, {
        countRows: (rows: number) => {
          counted(rows);
          step.countRows(rows);
        },
      });
    },
    forgetStep: (step) => void states.delete(keyOf(step)),
    forgetRun(runId) {
      for (const key of states.keys()) if (key.startsWith(`${runId}:`)) states.delete(key);
    },
  };
}

/**
 * A `DialectMigrator` run as the `RunInfo` a plugin's `beforeRun` and `afterRun` hooks read, over
 * `adapter` (default: the one under the run's `SqliteConnection`).
 *
 * @example
 * await plugin.beforeRun?.(runInfoOf(run));
 */
export function runInfoOf(run: DialectRun, adapter: DatabaseAdapter = adapterOf(run.connection, 'runInfoOf')): RunInfo {
  return {
    runId: run.runId,
    direction: run.direction,
    fromVersion: run.fromVersion,
    targetVersion: run.targetVersion,
    steps: [...run.steps],
    repeatables: [...run.repeatables],
    dryRun: run.dryRun,
    adapter,
    connection: run.connection instanceof SqliteConnection ? run.connection : sqliteConnectionOf(adapter),
    status: run.status,
    values: run.values,
  };
}

function adapterOf(connection: DialectStep['connection'], name: string): DatabaseAdapter {
  if (connection instanceof SqliteConnection) return connection.adapter;
  throw new MfmigError('USAGE', `Plugin ${name} is written for SQLite's Migrator; a run on ${connection.target} cannot call it`);
}
