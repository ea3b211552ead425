/** The decimal digits each integer type holds. */
const INTEGER_DIGITS: Record<string, number> = { smallint: 5, integer: 10, bigint: 19 };
const TEXTS = ['character', 'character varying', 'text'];

/** `numeric(10,2)` as `{ base: 'numeric', size: [10, 2] }`; a type without a modifier has no size (unbounded). */
function typeParts(type: string): { base: string; size: number[] | undefined } {
  const match = /^([^(]*?)\s*(?:\(([\d,\s]+)\))?(\[\])?$/.exec(type.trim().toLowerCase());
  if (!match) return { base: type.trim().toLowerCase(), size: undefined };
  return { base: `${match[1]}${match[3] ?? ''}`, size: match[2]?.split(',').map(Number) };
}

/** Whether size `b` holds every value of size `a`: unbounded, or no fewer digits before and after the point. */
function sizeFits(a: number[] | undefined, b: number[] | undefined): boolean {
  if (!b) return true;
  if (!a) return false;
  const [aLength = 0, aScale = 0] = a;
  const [bLength = 0, bScale = 0] = b;
  return bLength >= aLength && bScale >= aScale && bLength - bScale >= aLength - aScale;
}

/**
 * Whether changing a column from type `from` to `to` keeps every value the old application
 * stores: the same type with the same or a larger size (none is unbounded), a wider integer or a
 * numeric with room for its digits, `real` to `double precision`, a character type to `text` or
 * to a `varchar` at least as long. Everything else counts as narrowing.
 *
 * @example
 * isPgTypeWidening('character varying(20)', 'text'); // true
 * isPgTypeWidening('bigint', 'integer'); // false
 */
export function isPgTypeWidening(from: string, to: string): boolean {
  const a = typeParts(from);
  const b = typeParts(to);
  if (a.base === b.base) return sizeFits(a.size, b.size);
  const digits = INTEGER_DIGITS[a.base];
  if (digits !== undefined) {
    if (b.base === 'numeric') return sizeFits([digits, 0], b.size);
    return (INTEGER_DIGITS[b.base] ?? 0) > digits || (b.base === 'double precision' && digits <= 10);
  }
  if (a.base === 'real') return b.base === 'double precision';
  return TEXTS.includes(a.base) && (b.base === 'text' || (b.base === 'character varying' && sizeFits(a.size, b.size)));
}
