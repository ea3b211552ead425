import type { SqliteConnection, SqliteDatabase } from '@mfmig/core';
import type { TransformationType, WriteMode } from './transformation-types.js';

/**
 * A source row as better-sqlite3 returns it.
 *
 * @example
 * const row: Row = { id: 1, title: 'S0C7 in PAYCALC' };
 */
export type Row = Record<string, unknown>;

/**
 * Turns one source row into nothing (`null`), one target row, or several. Runs synchronously,
 * inside the batch's transaction.
 *
 * @example
 * const upper: RowFunction = (row) => ({ id: row.id, title: String(row.title).toUpperCase() });
 */
export type RowFunction = (row: Row) => Row | Row[] | null | undefined;

/** What a reverse function is given: the run's connection, and the better-sqlite3 handle under it for code written against the driver.
 *
 * @example
 * const reverse = ({ raw, transformation }: ReverseContext) => raw.prepare(`DELETE FROM kb_copy`).run();
 */
export interface ReverseContext {
  readonly raw: SqliteDatabase;
  readonly connection: SqliteConnection;
  readonly transformation: ResolvedTransformation;
}

/**
 * Undoes a transformation in code; runs inside a transaction, which waits for the promise it may return.
 *
 * @example
 * const reverse: ReverseFunction = ({ raw }) => { raw.prepare("DELETE FROM incidents WHERE ticket_id LIKE 'KB-%'").run(); };
 * const viaConnection: ReverseFunction = async ({ connection }) => { await connection.execute("DELETE FROM incidents WHERE ticket_id LIKE 'KB-%'"); };
 */
export type ReverseFunction = (ctx: ReverseContext) => void | Promise<void>;

/**
 * What a validation query must return (its first column of the first row):
 * a number; `'zero'`; `'nonZero'`; `'any'` (it only has to run); `'sourceCount'` /
 * `'targetCount'` (equal to the row count of that table); `{ min, max }`; or
 * `{ query }` (equal to what another query returns).
 *
 * @example
 * const expect: ValidationExpectation = { query: 'SELECT COUNT(*) FROM kb_entries' };
 */
export type ValidationExpectation = number | 'zero' | 'nonZero' | 'any' | 'sourceCount' | 'targetCount' | { min?: number; max?: number } | { query: string };

/** A validation query with its expectation.
 *
 * @example
 * const q: ValidationQuery = { sql: 'SELECT count(*) FROM incidents', expect: 'sourceCount', message: 'one incident per entry' };
 */
export interface ValidationQuery {
  sql: string;
  /** Default for a plain string query: non-zero, unless the source table is empty. */
  expect?: ValidationExpectation;
  /** What the check means, for the error message. */
  message?: string;
}

/** Whether a transformation runs in batches: by size (`auto`), always, or never (one transaction).
 *
 * @example
 * const policy: BatchPolicy = 'always';
 */
export type BatchPolicy = 'auto' | 'always' | 'never';

/**
 * A data transformation, as declared (the shape of the seed documentation, plus reverse, row
 * function, validation expectations and batching hints). Validated by
 * {@link parseTransformation}.
 *
 * @example
 * const t: DataTransformation = {
 *   id: 'kb_to_incident_mapping', name: 'Map KB entries to incident structure',
 *   sourceTable: 'kb_entries', targetTable: 'incidents', transformationType: 'convert',
 *   sql: "INSERT INTO incidents (ticket_id, timestamp, title, description, component, severity) SELECT 'KB-' || id, created_at, title, problem, category, 'medium' FROM kb_entries",
 *   reversible: true, estimatedRows: 100, estimatedDuration: 30, dependencies: [], validationQueries: [],
 * };
 */
export interface DataTransformation {
  id: string;
  name: string;
  description?: string;
  sourceTable: string;
  targetTable: string;
  transformationType: TransformationType;
  /** One or more statements. They may use `@batchStart` / `@batchEnd` (the source key range of a batch). */
  sql?: string;
  /** Row-function form, for work SQL cannot express. */
  transform?: RowFunction;
  /** Source columns a row function reads (default all); for `copy`, the columns copied. */
  columns?: string[];
  /** How a row function's rows are written (default by type: merge upsert, enrich update, else insert). */
  writeMode?: WriteMode;
  /** Target key columns for upsert/update (default: the target's primary key). */
  key?: string[];
  /** Source column batches are paged on (default: the INTEGER PRIMARY KEY, else rowid). */
  sourceKey?: string;
  /** Steps of a `migrate` transformation. */
  steps?: DataTransformation[];
  reversible: boolean;
  /** SQL or function that undoes the transformation (run going down). */
  reverse?: string | ReverseFunction;
  estimatedRows?: number;
  /** Seconds. */
  estimatedDuration?: number;
  dependencies?: string[];
  validationQueries?: (string | ValidationQuery)[];
  batch?: BatchPolicy;
  /** Rows per batch for this transformation. */
  batchSize?: number;
}

/**
 * The declaration under its other name, for migration files.
 *
 * @example
 * export const transformations: DataTransformationInput[] = [];
 */
export type DataTransformationInput = DataTransformation;

/**
 * A validated transformation: defaults applied, validation queries normalised.
 *
 * @example
 * const resolved: ResolvedTransformation = parseTransformation(declaration);
 */
export interface ResolvedTransformation extends Omit<DataTransformation, 'dependencies' | 'validationQueries' | 'steps' | 'batch'> {
  dependencies: string[];
  validationQueries: ValidationQuery[];
  steps?: ResolvedTransformation[];
  batch: BatchPolicy;
}
