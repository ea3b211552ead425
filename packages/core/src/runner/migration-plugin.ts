import type { DatabaseAdapter } from '../adapter/index.js';
import type { SqliteConnection } from '../adapter/sqlite-connection.js';
import type { Direction, Migration, MigrationContext, RebuildTableResult, RebuildTableSpec, RepeatableMigration } from '../migration/index.js';
import type { MigrationStatus } from './migration-status.js';
import type { RepeatableResultItem } from './repeatable-result.js';
import type { RunValues } from './run-values.js';

/** A run as plugins see it. */
export interface RunInfo {
  runId: string;
  direction: Direction;
  fromVersion: number;
  targetVersion: number;
  steps: Migration[];
  /** The repeatable migrations an up run takes care of after its steps (pending when it starts). */
  repeatables?: RepeatableMigration[];
  dryRun: boolean;
  adapter: DatabaseAdapter;
  /** The run's connection on the async dialect boundary (over `adapter`). */
  connection: SqliteConnection;
  status: MigrationStatus;
  /** What the run's caller handed its plugins (`RunOptions.values`); empty when it handed nothing. */
  values: RunValues;
}

/** The outcome of one migration in a run. */
export interface MigrationResultItem {
  version: number;
  name: string;
  mvp: number;
  direction: Direction;
  status: 'Success' | 'Error' | 'NotExecuted' | 'Skipped';
  durationMs: number;
  /** Rows processed by data work in the step. */
  rows: number;
  /** Statements run (or, in a dry run, that would run). */
  statements: string[];
  error?: Error;
}

/** The outcome of a run: never thrown half-way; `error` tells what stopped it. */
export interface RunResult {
  runId: string;
  direction: Direction;
  dryRun: boolean;
  fromVersion: number;
  toVersion: number;
  targetVersion: number;
  results: MigrationResultItem[];
  durationMs: number;
  error?: Error;
  /** Repeatable migrations of an up run: run after the versioned ones (or, in a dry run, listed `Pending`). */
  repeatables?: RepeatableResultItem[];
  /** What plugins report about the run (backups taken, rows preserved, transformations), typed by key: see {@link RunExtras}. */
  extras: RunExtras;
}

/**
 * What plugins report on a run's result, by key. Each package declares the keys it writes by
 * merging them into this interface (`declare module '@mfmig/core' { interface RunExtras { ... } }`),
 * so that a reader gets their types without a cast; a key nobody declared is `unknown`.
 *
 * @example
 * declare module '@mfmig/core' {
 *   interface RunExtras { backup?: { id: string } }
 * }
 * result.extras.backup?.id; // string | undefined
 */
export interface RunExtras {
  [key: string]: unknown;
}

/**
 * How services (transformer, rollback, schema evolution) take part in a run without the core
 * importing them. Every hook is optional. Hooks marked "in the transaction" run inside the
 * migration's IMMEDIATE transaction, so what they write commits or rolls back with it.
 */
export interface MigrationPlugin {
  readonly name: string;
  /** True when this plugin runs the `transformations` a module migration declares. */
  readonly handlesTransformations?: boolean;
  /**
   * True when this plugin gives each up step's history row its schema fingerprint, in a scheme of
   * its own: it leaves it in `ctx.state` under `schemaHash` in `afterMigration` (as the schema
   * history plugin does), and the runner then writes no fingerprint of its own.
   */
  readonly fingerprintsSchema?: boolean;
  /** After the lock is taken and before the first step (outside any transaction): backups. */
  beforeRun?(run: RunInfo): Promise<void> | void;
  /** In the transaction, before the migration's own `up`/`down`. */
  beforeMigration?(ctx: MigrationContext): Promise<void> | void;
  /** In the transaction, after the migration's own `up`/`down`, before the history is written. */
  afterMigration?(ctx: MigrationContext): Promise<void> | void;
  /**
   * In the transaction, after a repeatable migration ran (its `ctx.migration` is a stand-in
   * labelled `R`); `version` is the version the database is at, which the schema it leaves
   * belongs to.
   */
  afterRepeatable?(ctx: MigrationContext, version: number): Promise<void> | void;
  /**
   * True when part of this migration's work must run after its transaction commits, in batches
   * of their own (large data transformations). The history then records it as `partial` until
   * {@link continueMigration} finishes. The runner awaits the answer: a plugin that must read the
   * database first (through `ctx.connection`) answers with a promise.
   */
  needsContinuation?(migration: Migration, ctx: MigrationContext): boolean | Promise<boolean>;
  /** Resumable work outside the migration transaction; also called to resume a `partial` migration. */
  continueMigration?(ctx: MigrationContext): Promise<void>;
  /** In the transaction that marks a continued migration applied: final checks. */
  finalizeMigration?(ctx: MigrationContext): Promise<void> | void;
  /** After the last step, whatever the outcome. */
  afterRun?(run: RunInfo, result: RunResult): Promise<void> | void;
}

/**
 * Key in `ctx.state` under which a plugin accounts for rows a migration removes: the tables
 * (lower-case) whose dropped rows it archived (data preservation before a down), or `'*'` when
 * the user explicitly accepted losing what a down drops (preservation turned off). The runner's
 * checks do not count those rows as lost.
 *
 * @example
 * ctx.state.set(ACCOUNTED_LOSSES_STATE, ['idz_project_members']);
 */
export const ACCOUNTED_LOSSES_STATE = 'mfmig.accounted-losses';

/** Performs `ctx.rebuildTable`; provided by @mfmig/schema-evolution. */
export type TableRebuilder = (ctx: MigrationContext, spec: RebuildTableSpec) => RebuildTableResult;
