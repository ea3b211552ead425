/**
 * An integer read as a bigint (a statement with `safeIntegers()`), as mfmig carries it: a bigint
 * only beyond 2^53, where a JS number would round it (2^53 + 1 reads as 2^53), a plain number
 * below, as every other read gives it; anything else as it is. Keys that page a table or bound a
 * batch go through it, so that the next batch starts exactly after the last row done.
 *
 * @example
 * exactInteger(42n); // 42
 * exactInteger(9007199254740993n); // 9007199254740993n
 */
export function exactInteger(value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
