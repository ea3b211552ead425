/**
 * The six kinds of data transformation. Each has one meaning:
 *
 * - `copy`: rows of the source go to the target unchanged (the columns both tables have, or
 *   `columns`). Needs no SQL: it is generated when `sql` and `transform` are absent.
 * - `convert`: each source row becomes one target row of another shape (renamed, reformatted,
 *   recomputed columns). SQL or a row function.
 * - `merge`: rows from one or more sources are combined into the target by key: a row whose
 *   key exists is updated (or kept), never duplicated. Row functions write with an upsert.
 * - `split`: one source row becomes several target rows (or rows of several targets). A row
 *   function returns an array; SQL may hold several statements.
 * - `enrich`: rows that already exist in the target gain computed or derived values (UPDATE).
 *   Row functions return the row with its key and the new values.
 * - `migrate`: several steps run as one, in the order their `dependencies` give (a cycle is an
 *   error): `steps`, or the statements of `sql` in order.
 *
 * @example
 * const meaning: TransformationType = 'convert';
 */
export type TransformationType = 'copy' | 'convert' | 'merge' | 'split' | 'enrich' | 'migrate';

/** How rows returned by a row function are written: plain insert, upsert by key, or update by key.
 *
 * @example
 * const mode: WriteMode = 'upsert';
 */
export type WriteMode = 'insert' | 'upsert' | 'update';

/**
 * Every transformation type, in a fixed order.
 *
 * @example
 * TRANSFORMATION_TYPES.includes('split'); // true
 */
export const TRANSFORMATION_TYPES: readonly TransformationType[] = ['copy', 'convert', 'merge', 'split', 'enrich', 'migrate'];

/**
 * The write mode a row function gets when it does not choose one.
 *
 * @example
 * defaultWriteMode('enrich'); // 'update'
 */
export function defaultWriteMode(type: TransformationType): WriteMode {
  if (type === 'merge') return 'upsert';
  if (type === 'enrich') return 'update';
  return 'insert';
}
