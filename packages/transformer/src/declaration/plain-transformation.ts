import { PLAIN_FAIL, type PlainCheck, plain } from '@mfmig/core';
import { TRANSFORMATION_TYPES } from './transformation-types.js';

// The common case without zod (see core's plain-shape.ts): a declaration that plainly passes
// every check of the schema in parse-transformation.ts is given back as zod would give it (the
// same keys, in the same order, with the defaults), so a tiny run does not load zod to accept
// what is valid. Anything else (a bad value, `steps`, a `{ min, max }` expectation, a key set to
// undefined) goes through zod, which accepts it or says why not.

const { text, name, flag, number, integer, oneOf, where, list, object, required, optional, orElse } = plain;
const tableName = where(name, (v: string) => v.length <= 256 && !v.includes('\0'));
const fn: PlainCheck = (v) => (typeof v === 'function' ? v : PLAIN_FAIL);
const either =
  (a: PlainCheck, b: PlainCheck): PlainCheck =>
  (v) => {
    const r = a(v);
    return r === PLAIN_FAIL ? b(v) : r;
  };
const expectation = either(either(number, oneOf(['zero', 'nonZero', 'any', 'sourceCount', 'targetCount'])), object({ query: required(name) }));
const validationQuery = either(name, object({ sql: required(name), expect: optional(expectation), message: optional(text) }));

const declaration = object({
  id: required(where(name, (v: string) => v.length <= 128 && /^[A-Za-z0-9_.:-]+$/.test(v))),
  name: required(name),
  description: optional(text),
  sourceTable: required(tableName),
  targetTable: required(tableName),
  transformationType: required(oneOf(TRANSFORMATION_TYPES)),
  sql: optional(name),
  transform: optional(fn),
  columns: optional(list(tableName, 1)),
  writeMode: optional(oneOf(['insert', 'upsert', 'update'])),
  key: optional(list(tableName, 1)),
  sourceKey: optional(tableName),
  reversible: required(flag),
  reverse: optional(either(name, fn)),
  estimatedRows: optional(where(integer, (v: number) => v >= 0)),
  estimatedDuration: optional(where(number, (v: number) => v >= 0)),
  dependencies: orElse(list(name), () => []),
  validationQueries: orElse(list(validationQuery), () => []),
  batch: orElse(oneOf(['auto', 'always', 'never']), () => 'auto'),
  batchSize: optional(where(integer, (v: number) => v > 0 && v <= 1_000_000)),
});

/**
 * The declaration as the schema would output it, when it is plainly valid; undefined to let
 * zod decide.
 *
 * @example
 * plainTransformation({ id: 'copy_kb', name: 'Copy KB', sourceTable: 'kb', targetTable: 'kb_copy', transformationType: 'copy', reversible: false });
 */
export function plainTransformation(input: unknown): Record<string, unknown> | undefined {
  const out = declaration(input);
  if (out === PLAIN_FAIL) return undefined;
  const t = out as Record<string, unknown> & { dependencies: string[] };
  // the schema's own rules across fields (its superRefine), for declarations without steps
  if (t.sql !== undefined && t.transform !== undefined) return undefined;
  if (t.transformationType !== 'copy' && t.sql === undefined && t.transform === undefined) return undefined;
  if (t.reverse !== undefined && t.reversible !== true) return undefined;
  if (t.dependencies.includes(t.id as string)) return undefined;
  return t;
}
