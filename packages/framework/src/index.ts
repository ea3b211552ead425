import './run-extras.js';
export { createMigrationFramework, type FrameworkOptions, type MigrationFramework } from './create-migration-framework.js';
export { createLiveContext, type LiveContext } from './live-context.js';
export { MigrationService, type ExecuteMigrationOptions, type MigrationExecutionResult, type MigrationServiceDeps } from './migration-service.js';
export { assertRedoStatus, planRedo, redoLastMigration, type RedoPlan, type RedoResult, type RedoServices } from './redo-last-migration.js';
export { type MilestoneStep, type UpgradePathAnalysis } from './upgrade-path.js';
export { assertDatabaseIntact } from './integrity-precheck.js';
export {
  RUN_REQUEST,
  type RunRequest,
  type RunSequenceFindings,
  type RunSequenceServices,
  createRunSequenceParticipant,
  createRunSequencePlugin,
} from './run-sequence-plugin.js';
export { assertAdopted, findUnadoptedTables } from './adoption/unadopted-tables.js';
export { analyzeBaseline, type BaselineAnalysis, type BaselineMatch, type BaselineOptions } from './adoption/analyze-baseline.js';
export { BASELINE_SOURCE, baselineDatabase, type BaselineResult } from './adoption/baseline.js';
export { adoptToolHistory, analyzeToolAdoption, type ToolAdoption } from './adoption/tool-adoption.js';
export { adoptPostgresToolHistory, type PostgresToolAdoptionOptions } from './adoption/postgres-tool-adoption.js';
export { TOOL_HISTORY_READERS, detectedToolTables, readToolHistory } from './adoption/tools/tool-history-readers.js';
export { type MigrationTool, type ToolHistory, type ToolHistoryReader, type ToolRecord, type ToolRepeatable } from './adoption/tools/tool-history.js';
export { matchToolHistory, type MatchedToolHistory } from './adoption/tools/match-tool-history.js';
export { flywayChecksum } from './adoption/tools/flyway.js';
export { BACKUP_FRESH_HOURS, MigrationUtils, type HealthCheckItem, type HealthReport, healthReport } from './migration-utils.js';
export { type SeedOptions } from './seed/seed-options.js';
export { seedKnowledgeBaseOn } from './seed/seed-on-connection.js';
export { KB_ENTRY_COLUMNS, KB_FEEDBACK_COLUMNS, KB_TAG_COLUMNS, generateKbRows, type KbRow, type KbRowOptions } from './seed/kb-rows.js';
export { seededRandom } from './seed/seeded-random.js';
export { KB_CATEGORIES, KB_SEVERITIES } from './seed/kb-templates.js';
export { renderReport } from './report/render-report.js';
export { REPORT_GENERATOR, REPORT_MARKER_BYTES, isMfmigReport } from './report/report-marker.js';
export { type ReportData } from './report/report-data.js';
export { collectReportData, type CollectReportOptions, diffLines, measuredDowns, rollbackRuns, stepsOf, timelineOf } from './report/collect-report-data.js';
export {
  MfmigError,
  isMfmigError,
  loadMigrations,
  openSqlite,
  resolveConfig,
  type SqliteConnection,
  type MigrationFrameworkConfig,
  type MigrationProgress,
  type MigrationStatus,
  type MigrationTarget,
  type MfmigErrorCode,
} from '@mfmig/core';
export { assertRehearsalPassed, type EstimateSource, type MigrationPlan, type ResourceEstimate, type RiskLevel } from '@mfmig/planner';
export { metricsSeconds, type MeasuredStep } from '@mfmig/planner';
export { POSTGRES_RISK_RULES, planPostgresMigration, type PgMigrationPlan, type PgRuleFinding, type PgTableLock } from '@mfmig/planner';
export {
  type CodeFinding,
  type FailedModel,
  type FailedRehearsal,
  type ModelEstimates,
  type PostgresEstimateSource,
  type PostgresPlan,
  type PostgresContinuedWork,
  type PostgresPlanStep,
  type PostgresResourceEstimate,
  type RehearsalEstimate,
  type RehearsalEstimateOptions,
  type RehearsedStatements,
  type StepEstimate,
  estimatePostgresPlan,
  estimatePostgresResources,
  maxRisk,
  modelEstimates,
  planPostgresMigrations,
  rehearsalEstimate,
  withEstimates,
  withModelEstimates,
  withRehearsedModules,
  workSeconds,
} from '@mfmig/planner';
export { RollbackManager } from '@mfmig/rollback';
export { DataTransformer, type DataTransformation, createConnectionTransformer } from '@mfmig/transformer';
export { SCHEMA_DUMP_MARKER, dumpSchema, renderDiff, type DumpedMigration, type SchemaDiff } from '@mfmig/schema-evolution';
export {
  type PostgresRehearsalOptions,
  type PostgresSchemaSnapshot,
  detectPostgresDrift,
  postgresSchemaDiff,
  postgresSnapshotOf,
  postgresVersionObjects,
  postgresVersionTables,
} from '@mfmig/schema-evolution';
export { type ValidationFinding, type ValidationReport } from '@mfmig/validation';
export { type PostgresMigrationFramework, createPostgresFramework } from './postgres/postgres-framework.js';
export { type PostgresFrameworkConfig, PostgresFrameworkContext } from './postgres/postgres-framework-context.js';
export { type PostgresExecuteOptions, type PostgresExecutionResult, PostgresMigrationService } from './postgres/postgres-migration-service.js';
export { type PostgresRunValidations, postgresRunValidation } from './postgres/postgres-run-validation.js';
export { PostgresValidationService, withPostgresBaseline } from './postgres/postgres-validation-service.js';
export { type PostgresRollbackOptions, type PostgresRollbackResult, PostgresRollbackManager } from './postgres/postgres-rollback-manager.js';
export {
  DEFAULT_POSTGRES_SAMPLE_ROWS,
  type PostgresComprehensivePlan,
  type PostgresPlanOptions,
  PostgresPlanner,
  rehearsalOrFailure,
} from './postgres/postgres-planner-service.js';
export { type PostgresSchemaRef, PostgresSchemaEvolution } from './postgres/postgres-schema-evolution.js';
export { PostgresTransformer } from './postgres/postgres-transformer-service.js';
export { postgresParticipants } from './postgres/postgres-participants.js';
export { postgresExecutionResult } from './postgres/postgres-execution-result.js';
export { type FailedRunRevertOptions, revertFailedPostgresRun } from './postgres/postgres-failed-run-revert.js';
export { adoptBeforePostgresRun, previewPostgresToolAdoption, withAdoptedHistory } from './postgres/postgres-adoption-before-run.js';
export { type PostgresHealthOptions, postgresHealthReport } from './postgres/postgres-health.js';
export { validatePostgresMigrationPlan, withPostgresRollbackCheck } from './postgres/postgres-operation-validation.js';
