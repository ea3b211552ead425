// The figure both estimate suites (SQLite's `estimate`, PostgreSQL's `postgres-estimate`) report
// for one size: the plan's estimated total against the run it estimates, with the target.

/** Within this share of the actual run, an estimate meets its target. */
export const TOLERANCE = 0.35;

/** `{label, value, unit, baseline, ratio, target, met}` of an estimated total against the actual one, in seconds. */
export function estimateFigure(label, estimated, actual) {
  const ratio = estimated / actual;
  return {
    label,
    value: estimated,
    unit: 's',
    baseline: actual,
    ratio,
    target: `within +-${TOLERANCE * 100}% of actual`,
    met: Math.abs(ratio - 1) <= TOLERANCE,
  };
}
