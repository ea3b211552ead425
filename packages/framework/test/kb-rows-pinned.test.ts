import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKbRows } from '@mfmig/framework';

const digest = (withFeedback: boolean) =>
  createHash('sha256')
    .update(JSON.stringify([...generateKbRows({ rows: 200, seed: 7, withFeedback })]))
    .digest('hex');

// The seed's rows are the data every benchmark and fixture compares against: the same rows and
// seed must give the same bytes from one release to the next. These digests pin them; a change to the
// generator's templates or to the order of its random draws changes them.
describe('generateKbRows', () => {
  it('gives the rows pinned for seed 7, with and without feedback', () => {
    expect(digest(true)).toBe('2f26def6721d4e908606925e309b84ceb0363c1d97e14e17c0063cd7e266a8e8');
    expect(digest(false)).toBe('3d0497db032b4c36bee605a63a1f5a89c544c618a95cefc02ee4f550194140b6');
  });

  it('gives different rows for a different seed', () => {
    const first = (seed: number) => generateKbRows({ rows: 1, seed, withFeedback: true }).next().value;
    expect(first(7)).not.toEqual(first(8));
  });
});
