import './run-extras.js';
export {
  ValidationService,
  INTEGRITY_CHECK_LEVELS,
  DEFAULT_LARGE_TABLE_ROWS,
  DEFAULT_IN_PROCESS_MAX_BYTES,
  type ValidationServiceConfig,
  type ValidationTuning,
  type ValidationCallOptions,
} from './validation-service.js';
export { createValidationPlugin, type ValidationPluginOptions } from './validation-plugin.js';
export { LEVEL_CHECKS, type LevelDescription } from './levels.js';
export { FINDING_CODES, finding, type FindingCode } from './report/finding-codes.js';
export { BLOCKING_KINDS, baselineFinds, withBaseline } from './report/pre-existing.js';
export { buildReport, overallHealth, migrationSafety, HEALTH_PENALTY, CRITICAL_HEALTH_CAP, type ReportParts } from './report/build-report.js';
export type {
  Severity,
  CheckKind,
  MigrationSafety,
  FindingLocation,
  ValidationFinding,
  CheckRecord,
  SkipReason,
  SkippedCheck,
  ReportSummary,
  MilestoneCompliance,
  DatabaseStatistics,
  ValidationReport,
} from './report/types.js';
export { milestoneSpecSchema, parseMilestoneSpec, type MilestoneSpec, type TableSpec, type CriticalQuerySpec } from './milestone/milestone-spec.js';
export { loadMilestoneSpecs, MILESTONE_SPEC_FILE, type LoadedMilestoneSpecs } from './milestone/load-milestone-specs.js';
export { mergeRequirements, type MilestoneRequirements } from './milestone/merge-requirements.js';
export { migrationPlanSchema, parseMigrationPlan, type MigrationPlanInput, type ParsedPlan, type PlanStep } from './operations/migration-plan.js';
export { checkPlanRisk, checkPlanSteps, planInvalid } from './operations/plan-checks.js';
export { checkRolledBack } from './operations/state-checks.js';
export { checkHistory } from './checks/history-check.js';
export { readSchemaModel, type SchemaModel, type TableInfo, type ColumnInfo, type IndexInfo, type ForeignKeyInfo } from './schema/schema-model.js';
export { schemaModelOf, schemaModelFrom } from './schema/schema-model-of.js';
export { planMilestoneCompliance, checkMilestoneComplianceOf, type MilestoneCompliancePlan } from './milestone/connection-compliance.js';
export { buildExpectedSchema, type ExpectedSchema } from './schema/expected-schema.js';
export { compareSchema } from './schema/compare-schema.js';
export { DEFAULT_POSTGRES_VALIDATION_TIMEOUT_MS, validatePostgresDatabase, type PostgresValidationOptions } from './postgres/validate-postgres.js';
export { type PostgresHistoryRead, type PostgresValidationDocument, postgresDocument, readPostgresHistory } from './postgres/postgres-document.js';
export { type PostgresDrift, lastApplied } from './postgres/postgres-drift.js';
export { PostgresRun } from './postgres/postgres-validation-run.js';
export { POSTGRES_CHECKS, type PostgresCheck, type PostgresCode, postgresFinding } from './postgres/postgres-checks.js';
export { type RehearsedSchema, rehearseExpectedSchema } from './postgres/postgres-expected-schema.js';
