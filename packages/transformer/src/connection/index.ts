export { applyTransformationsOn } from './apply-transformations.js';
export { reverseTransformationsOn } from './reverse-transformations.js';
export type { ApplyOnConnectionOptions, ConnectionProgress, ConnectionReverseResult, ConnectionTransformationResult } from './connection-result.js';
