import { TRANSFORMATION_TYPES } from './transformation-types.js';

// The common case without zod: a declaration that plainly passes every check of the schema in
// parse-transformation.ts is given back as zod would give it (the same keys, in the same order,
// with the defaults), so a tiny run does not load zod (about 30 ms) to accept what is valid.
// Anything else (a bad value, `steps`, a `{ min, max }` expectation, a key set to undefined)
// returns undefined and goes through zod, which accepts it or says why not: zod stays the
// authority, and these checks may only be stricter than it, never looser. A property test holds
// the two to that.

/** The declaration's keys in the schema's order: zod's output lists them so. */
const KEYS = [
  'id', 'name', 'description', 'sourceTable', 'targetTable', 'transformationType', 'sql', 'transform', 'columns', 'writeMode',
  'key', 'sourceKey', 'reversible', 'reverse', 'estimatedRows', 'estimatedDuration', 'dependencies', 'validationQueries', 'batch', 'batchSize',
] as const;
const DEFAULTS: Partial<Record<(typeof KEYS)[number], () => unknown>> = { dependencies: () => [], validationQueries: () => [], batch: () => 'auto' };
const EXPECT_WORDS: readonly unknown[] = ['zero', 'nonZero', 'any', 'sourceCount', 'targetCount'];
const FAIL: unique symbol = Symbol('not plainly valid');

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isName = (v: unknown): v is string => isText(v) && v.length <= 256 && !v.includes('\0');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const names = (v: unknown): unknown => (Array.isArray(v) && v.length > 0 && v.every(isName) ? [...v] : FAIL);

/** Each key's check: the value zod would output, or FAIL. */
const FIELDS: Record<(typeof KEYS)[number], (v: unknown) => unknown> = {
  id: (v) => (isText(v) && v.length <= 128 && /^[A-Za-z0-9_.:-]+$/.test(v) ? v : FAIL),
  name: (v) => (isText(v) ? v : FAIL),
  description: (v) => (typeof v === 'string' ? v : FAIL),
  sourceTable: (v) => (isName(v) ? v : FAIL),
  targetTable: (v) => (isName(v) ? v : FAIL),
  transformationType: (v) => ((TRANSFORMATION_TYPES as readonly unknown[]).includes(v) ? v : FAIL),
  sql: (v) => (isText(v) ? v : FAIL),
  transform: (v) => (typeof v === 'function' ? v : FAIL),
  columns: names,
  writeMode: (v) => (v === 'insert' || v === 'upsert' || v === 'update' ? v : FAIL),
  key: names,
  sourceKey: (v) => (isName(v) ? v : FAIL),
  reversible: (v) => (typeof v === 'boolean' ? v : FAIL),
  reverse: (v) => (isText(v) || typeof v === 'function' ? v : FAIL),
  estimatedRows: (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? v : FAIL),
  estimatedDuration: (v) => (Number.isFinite(v) && (v as number) >= 0 ? v : FAIL),
  dependencies: (v) => (Array.isArray(v) && v.every(isText) ? [...v] : FAIL),
  validationQueries: (v) => {
    if (!Array.isArray(v)) return FAIL;
    const out = v.map(validationQuery);
    return out.includes(FAIL) ? FAIL : out;
  },
  batch: (v) => (v === 'auto' || v === 'always' || v === 'never' ? v : FAIL),
  batchSize: (v) => (Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= 1_000_000 ? v : FAIL),
};

function validationQuery(q: unknown): unknown {
  if (typeof q === 'string') return q.length > 0 ? q : FAIL;
  if (!isRecord(q) || !isText(q.sql)) return FAIL;
  const out: Record<string, unknown> = { sql: q.sql };
  for (const key of Object.keys(q)) {
    if (key === 'sql') continue;
    if (key === 'message' && typeof q.message === 'string') continue;
    if (key === 'expect' && q.expect !== undefined) continue;
    return FAIL;
  }
  if ('expect' in q) {
    const e = q.expect;
    if (Number.isFinite(e) || EXPECT_WORDS.includes(e)) out.expect = e;
    else if (isRecord(e) && Object.keys(e).length === 1 && isText(e.query)) out.expect = { query: e.query };
    else return FAIL;
  }
  if ('message' in q) out.message = q.message;
  return out;
}

/**
 * The declaration as the schema would output it, when it is plainly valid; undefined to let
 * zod decide.
 *
 * @example
 * plainTransformation({ id: 'copy_kb', name: 'Copy KB', sourceTable: 'kb', targetTable: 'kb_copy', transformationType: 'copy', reversible: false });
 */
export function plainTransformation(input: unknown): Record<string, unknown> | undefined {
  if (!isRecord(input)) return undefined;
  const given = Object.keys(input);
  if (given.some((k) => !(k in FIELDS) || input[k] === undefined)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    if (!(key in input)) {
      const fallback = DEFAULTS[key];
      if (fallback) out[key] = fallback();
      continue;
    }
    const value = FIELDS[key](input[key]);
    if (value === FAIL) return undefined;
    out[key] = value;
  }
  // the schema's own rules across fields (its superRefine), for declarations without steps
  if (out.id === undefined || out.name === undefined || out.sourceTable === undefined || out.targetTable === undefined) return undefined;
  if (out.transformationType === undefined || out.reversible === undefined) return undefined;
  if (out.sql !== undefined && out.transform !== undefined) return undefined;
  if (out.transformationType !== 'copy' && out.sql === undefined && out.transform === undefined) return undefined;
  if (out.reverse !== undefined && out.reversible !== true) return undefined;
  if ((out.dependencies as string[]).includes(out.id as string)) return undefined;
  return out;
}
