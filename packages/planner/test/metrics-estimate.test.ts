import type { StepMetric } from '@mfmig/core';
import { describe, expect, it } from 'vitest';
import { metricsSeconds } from '@mfmig/planner';

/** A recorded step, as the stores list it. */
const metric = (version: number, direction: 'up' | 'down', durationMs: number, rows: number): StepMetric => ({
  runId: 'r',
  version,
  step: `000${version}_x`,
  direction,
  durationMs,
  rows,
  rowsPerSecond: 0,
  peakMemory: 0,
  recordedAt: '2026-01-01T00:00:00.000Z',
});

describe('metricsSeconds', () => {
  it('takes the most recent run of the same version and direction', () => {
    const metrics = [metric(2, 'up', 4_000, 0), metric(2, 'down', 9_000, 0), metric(3, 'up', 7_000, 0), metric(2, 'up', 2_500, 0)];
    expect(metricsSeconds(metrics, { version: 2, direction: 'up', rows: 0 })).toBe(2.5);
    expect(metricsSeconds(metrics, { version: 2, direction: 'down', rows: 0 })).toBe(9);
    expect(metricsSeconds(metrics, { version: 4, direction: 'up', rows: 0 })).toBeUndefined();
    expect(metricsSeconds([], { version: 2, direction: 'up', rows: 10 })).toBeUndefined();
  });

  it('scales by the rows when the recorded run and the step both count them, and not otherwise', () => {
    const metrics = [metric(5, 'up', 1_500, 1_000)];
    expect(metricsSeconds(metrics, { version: 5, direction: 'up', rows: 3_000 })).toBeCloseTo(4.5, 9);
    expect(metricsSeconds(metrics, { version: 5, direction: 'up', rows: 500 })).toBeCloseTo(0.75, 9);
    expect(metricsSeconds(metrics, { version: 5, direction: 'up', rows: 0 })).toBe(1.5);
    expect(metricsSeconds([metric(5, 'up', 1_500, 0)], { version: 5, direction: 'up', rows: 3_000 })).toBe(1.5);
  });
});
