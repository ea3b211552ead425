import './run-extras.js';
export type {
  BatchPolicy,
  DataTransformation,
  DataTransformationInput,
  ResolvedTransformation,
  ReverseContext,
  ReverseFunction,
  Row,
  RowFunction,
  ValidationExpectation,
  ValidationQuery,
} from './declaration/data-transformation.js';
export { type TransformationType, type WriteMode, TRANSFORMATION_TYPES, defaultWriteMode } from './declaration/transformation-types.js';
export { parseTransformation, parseTransformations } from './declaration/parse-transformation.js';
export { orderTransformations } from './declaration/order-transformations.js';
export { type TransformationUnit, planUnits } from './declaration/transformation-unit.js';
export { DataTransformer, type DataTransformerOptions, type ExecuteOptions, type TransformationReport } from './data-transformer.js';
export { createTransformerPlugin, type TransformerPluginOptions } from './plugin/transformer-plugin.js';
export { TRANSFORMATION_RESULTS_KEY, type TransformationMode, type TransformationResult, type ValidationResult } from './run/transformation-result.js';
export { BatchPacer, type BatchPacing, DEFAULT_PACING, pacingFor } from '@mfmig/core';
export { CURSOR_TABLE, CursorStore, type TransformCursor } from './run/cursor-store.js';
export { DEFAULT_ENGINE_OPTIONS, type EngineOptions, TransformationEngine } from './transformation-engine.js';
export { BATCH_END_PARAM, BATCH_START_PARAM, restrictToBatch, usesBatchParams } from '@mfmig/core';
export { countQueryFor } from './sql/count-query.js';
export { runLenient } from './sql/legacy-strings.js';
export { type ConnectionTransformerOptions, createConnectionTransformer } from './connection-participant.js';
export {
  type ApplyOnConnectionOptions,
  type ConnectionProgress,
  type ConnectionReverseResult,
  type ConnectionTransformationResult,
  type RanUnit,
  type ValidationTarget,
  type BatchedTransformOptions,
  type BatchedTransformResult,
  applyTransformationsOn,
  batchedJobPending,
  forgetBatchedJob,
  hasMoreRowsThan,
  transformInBatchesOn,
  connectionResults,
  countRows,
  holdSourcesStill,
  reverseTransformationsOn,
  runUnitsOn,
  validateOnConnection,
  validationTargets,
} from './connection/index.js';
export { type ResultCounts, toResult } from './run/result-builder.js';
export { validationError } from './run/validation-runner.js';
