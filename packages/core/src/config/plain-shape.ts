// Checks for a value that plainly passes a zod schema, so that a run reading its own valid files
// does not load zod (about 30 ms) to accept them. Each check gives the value as the schema would
// output it (the same keys, in the schema's order, with its defaults) or PLAIN_FAIL; a caller
// sends anything that fails to zod, which accepts it or says why not. So these checks may only
// be stricter than their schema, never looser; each user holds its shape to its schema with a
// property test.

/** What a plain check returns for a value it does not plainly accept. */
export const PLAIN_FAIL: unique symbol = Symbol('not plainly valid');

/** A plain check: the output value, or {@link PLAIN_FAIL}. */
export type PlainCheck = (v: unknown) => unknown;

/** One key of a {@link plainObject}. */
export interface PlainField {
  check: PlainCheck;
  /** The default output when the key is absent. */
  fallback?: () => unknown;
  required?: boolean;
}

const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Plain checks and their combinators, in the words of zod's.
 *
 * @example
 * const point = plain.object({ x: plain.required(plain.integer), label: plain.optional(plain.text) });
 * point({ x: 1 }); // { x: 1 }
 */
export const plain = {
  text: ((v) => (typeof v === 'string' ? v : PLAIN_FAIL)) as PlainCheck,
  /** A string of one character or more. */
  name: ((v) => (typeof v === 'string' && v.length > 0 ? v : PLAIN_FAIL)) as PlainCheck,
  flag: ((v) => (typeof v === 'boolean' ? v : PLAIN_FAIL)) as PlainCheck,
  /** A finite number (zod's numbers are). */
  number: ((v) => (Number.isFinite(v) ? v : PLAIN_FAIL)) as PlainCheck,
  /** A safe integer (zod's `int()`). */
  integer: ((v) => (Number.isSafeInteger(v) ? v : PLAIN_FAIL)) as PlainCheck,
  nullable:
    (check: PlainCheck): PlainCheck =>
    (v) =>
      v === null ? null : check(v),
  oneOf:
    (values: readonly unknown[]): PlainCheck =>
    (v) =>
      values.includes(v) ? v : PLAIN_FAIL,
  where:
    (check: PlainCheck, ok: (v: never) => boolean): PlainCheck =>
    (v) => {
      const r = check(v);
      return r !== PLAIN_FAIL && ok(r as never) ? r : PLAIN_FAIL;
    },
  list:
    (item: PlainCheck, min = 0): PlainCheck =>
    (v) => {
      if (!Array.isArray(v) || v.length < min) return PLAIN_FAIL;
      const out: unknown[] = [];
      for (const x of v) {
        const r = item(x);
        if (r === PLAIN_FAIL) return PLAIN_FAIL;
        out.push(r);
      }
      return out;
    },
  /** `z.record(name, value)`: non-empty keys. */
  record:
    (value: PlainCheck): PlainCheck =>
    (v) => {
      if (!isPlainRecord(v)) return PLAIN_FAIL;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        const r = key.length > 0 ? value(v[key]) : PLAIN_FAIL;
        if (r === PLAIN_FAIL) return PLAIN_FAIL;
        out[key] = r;
      }
      return out;
    },
  /** An object of these keys only (a key set to undefined, or any other key, is not plain). */
  object:
    (shape: Record<string, PlainField>): PlainCheck =>
    (v) => {
      if (!isPlainRecord(v)) return PLAIN_FAIL;
      for (const key of Object.keys(v)) if (!Object.hasOwn(shape, key) || v[key] === undefined) return PLAIN_FAIL;
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(shape)) {
        if (Object.hasOwn(v, key)) {
          const r = field.check(v[key]);
          if (r === PLAIN_FAIL) return PLAIN_FAIL;
          out[key] = r;
        } else if (field.fallback) out[key] = field.fallback();
        else if (field.required) return PLAIN_FAIL;
      }
      return out;
    },
  required: (check: PlainCheck): PlainField => ({ check, required: true }),
  optional: (check: PlainCheck): PlainField => ({ check }),
  orElse: (check: PlainCheck, fallback: () => unknown): PlainField => ({ check, fallback }),
};
