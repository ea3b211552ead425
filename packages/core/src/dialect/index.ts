export * from './dialect.js';
export * from './backup-hooks.js';
export * from './dialect-migrator.js';
export * from './dialect-participant.js';
export type { MeasuredPart } from './dialect-run-metrics.js';
export { type DownTarget, downTargetVersion } from './dialect-down.js';
export * from './lock-wait-policy.js';
export { type RetriedTransactionOptions, inRetriedTransaction } from './retried-transaction.js';
export { retryable, retryableWithin } from './dialect-step-errors.js';
export { isPostgresUrl, describePostgresUrl, postgresEndpoint } from './postgres/postgres-url.js';
export { type PostgresOptions, PostgresConnection, openPostgres } from './postgres/postgres-connection.js';
export { PostgresMetrics } from './postgres/postgres-metrics.js';
export { type FingerprintFormat, fingerprintFormatOf } from './postgres/postgres-introspector.js';
export { isConcurrentCreate, isPermissionDenied } from './postgres/postgres-errors.js';
export { analyzePostgresSql, type PgStatement, type PgRiskFact, type PgLockMode, type PgRowWork } from './postgres/postgres-statements.js';
export type { PgNotNullChange } from './postgres/postgres-not-null-changes.js';
export { PG_LOCK_MODES } from './postgres/postgres-lock-levels.js';
export {
  type RehearsalOptions,
  type Rehearsal,
  type SampledTable,
  type VersionsRehearsal,
  REHEARSAL_SCHEMA_PREFIX,
  rehearse,
  rehearseVersions,
} from './postgres/postgres-rehearsal.js';
export { type SchemaChange, type SchemaChangeKind, compareSchemas } from './schema-compare.js';
export { compareSchemaObjects } from './schema-objects-compare.js';
export { schemaOfTables } from './schema-objects.js';
export { type RecordedAdoption, recordAdoption } from './record-adoption.js';
export { type UnadoptedTables, type ScratchRehearser, SCRATCH_TRANSFORMATIONS, adoptionRefusal, findUnadoptedTablesOn } from './dialect-adoption.js';
export { assertPostgresAdopted, findUnadoptedPostgresTables } from './postgres/postgres-adoption.js';
export { type ScratchSchema, openScratchSchema } from './postgres/postgres-scratch.js';
export { type PostgresBaselineOptions, type PostgresBaselineResult, baselinePostgres } from './postgres/postgres-baseline.js';
export { OTHER_TOOL_TABLES, otherToolTables } from './postgres/other-tool-tables.js';
export { type PgTableSize, catalogRowEstimates, liveRows, tableSizes } from './postgres/postgres-table-sizes.js';
export { type PostgresCostProbe, probePostgresCosts } from './postgres/postgres-cost-probe.js';
export { PostgresBackupHooks, checkPgArchive, pgHistoryVersion } from './postgres/postgres-backup-hooks.js';
export {
  PG_TOOLS_DIR_ENV,
  type PgTool,
  type PgTools,
  type ToolRun,
  findPgTools,
  firstErrorLine,
  requirePsql,
  runPgTool,
  schemaPattern,
  toolConnection,
} from './postgres/pg-tools.js';
export { type RestoreSession, openRestoreSession } from './postgres/pg-restore-session.js';
