export { applyTransformationsOn, connectionResults, holdSourcesStill, type RanUnit, runUnitsOn, validationTargets } from './apply-transformations.js';
export { type ValidationTarget, validateOnConnection } from './connection-validations.js';
export { reverseTransformationsOn } from './reverse-transformations.js';
export type { ApplyOnConnectionOptions, ConnectionProgress, ConnectionReverseResult, ConnectionTransformationResult } from './connection-result.js';
export { countRows } from './connection-queries.js';
export { type BatchedTransformOptions, type BatchedTransformResult, batchedJobPending, forgetBatchedJob, transformInBatchesOn } from './batched-standalone.js';
export { hasMoreRowsThan } from './connection-queries.js';
