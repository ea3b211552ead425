import type { ValidationCheck } from '../checks/validation-check.js';
import type { RunRecorder } from './run-recorder.js';

/**
 * Lists a check the run's level leaves out, with its `levelSkip` (none when another check
 * takes its place). Checks that share one line (`levelSkip.id`) list it once per run.
 *
 * @example
 * recordLevelSkip(check, rec); // checksSkipped: [{ id: 'data.declarations', reason: 'level', ... }]
 */
export function recordLevelSkip(check: ValidationCheck, rec: RunRecorder): void {
  if (!check.levelSkip) return;
  const id = check.levelSkip.id ?? check.id;
  if (rec.checksSkipped.some((s) => s.id === id && s.reason === 'level' && s.target === undefined)) return;
  rec.skip({ id, kind: check.kind }, 'level', check.levelSkip.message);
}
