/**
 * The middle value (the mean of the two middle ones for an even count); 0 for no values.
 * Timings on a shared machine take their median, which one slow run cannot move.
 *
 * @example
 * median([0.31, 0.29, 0.94]); // 0.31
 */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
