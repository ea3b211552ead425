// When BatchPacer pauses, decided from the batch times it is told (no clock is read here): short
// batches run back to back while together they stay within the time target, and the pause after
// a window that ran long is as long as a waiting writer's retries are apart by then.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchPacer, DEFAULT_PACING } from '@mfmig/core';

afterEach(() => vi.restoreAllMocks());

/** Runs `batches` (ms each, `rows` rows) through a pacer; the pause (ms) after each, 0 where it went on at once. */
async function pausesAfter(pacer: BatchPacer, batches: number[], rows: number): Promise<number[]> {
  const timeouts = vi.spyOn(globalThis, 'setTimeout');
  const pauses: number[] = [];
  for (const ms of batches) {
    pacer.record(rows, ms);
    const before = timeouts.mock.calls.length;
    await pacer.pause();
    pauses.push(timeouts.mock.calls.length > before ? Number(timeouts.mock.calls.at(-1)![1]) : 0);
  }
  return pauses;
}

describe('BatchPacer', () => {
  it('runs batches capped by a declared size back to back while together they hold the lock no longer than the target', async () => {
    // 1,000 rows per batch at most, 30 ms each: three fit in 100 ms, a fourth would not
    const pacer = new BatchPacer(DEFAULT_PACING, 1_000);
    await pausesAfter(pacer, [1], 100); // the first batch is small; grow to the cap
    for (let i = 0; i < 5; i++) pacer.record(1_000, 30);
    await pacer.pause();
    expect(await pausesAfter(pacer, [30, 30, 30, 30, 30, 30], 1_000)).toEqual([0, 0, 25, 0, 0, 25]);
  });

  it('pauses after every batch that fills the target, and longer after one that overran it', async () => {
    const pacer = new BatchPacer(DEFAULT_PACING, 1_000_000);
    expect(await pausesAfter(pacer, [100, 100, 180, 400], 100)).toEqual([25, 25, 50, 100]);
  });

  it('never pauses where waiting writers queue (no pause set), and pauses after every batch with no time target', async () => {
    expect(await pausesAfter(new BatchPacer({ targetMs: 100, pauseMs: 0 }, 1_000), [10, 10, 10], 1_000)).toEqual([0, 0, 0]);
    expect(await pausesAfter(new BatchPacer({ targetMs: Number.POSITIVE_INFINITY, pauseMs: 5 }, 1_000), [10, 10, 10], 1_000)).toEqual([5, 5, 5]);
  });
});
