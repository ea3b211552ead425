import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount } from '../src/index.js';

describe('formatCount', () => {
  it('writes every safe whole number as toLocaleString("en-US") does', () => {
    fc.assert(fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (n) => formatCount(n) === n.toLocaleString('en-US')));
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-1000)).toBe('-1,000');
    expect(formatCount(999)).toBe('999');
  });

  it('hands other numbers to toLocaleString', () => {
    expect(formatCount(1234.5678)).toBe('1,234.568');
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe('∞');
  });
});
