/**
 * A value with every object's keys in their order, all the way down, as nested [key, value]
 * pairs: two values compare equal with `toEqual` only when their keys also come in the same
 * order (a plain check held to zod's output, where key order shows in JSON).
 *
 * @example
 * expect(orderedShape({ a: 1, b: 2 })).not.toEqual(orderedShape({ b: 2, a: 1 }));
 */
export function orderedShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(orderedShape);
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => [k, orderedShape(v)]);
  return value;
}
