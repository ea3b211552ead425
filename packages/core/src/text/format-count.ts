/**
 * A number with thousands separators, as `n.toLocaleString('en-US')` writes it. Whole numbers
 * are grouped here: the first `toLocaleString` of a process loads ICU's number formats, which
 * costs a small run more than the rest of its report.
 *
 * @example
 * formatCount(1234567); // '1,234,567'
 * formatCount(-1000); // '-1,000'
 * formatCount(0.5); // '0.5'
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) out = (end > 3 ? ',' : '') + digits.slice(Math.max(0, end - 3), end) + out;
  return n < 0 ? `-${out}` : out;
}
