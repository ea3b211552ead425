export { RollbackManager, type RollbackManagerOptions } from './manager/rollback-manager.js';
export { type RestoreOptions, type RestoreResult } from './manager/restore-live-database.js';
export { type ReopenContext } from './manager/live-database.js';
export { type FailedRun, type FailedRunRecovery } from './manager/recover-failed-run.js';
export { BACKUP_FORMAT, readBackupManifest, type BackupKind, type BackupManifest, type BackupOwner, type BackupRecord } from './backup/backup-manifest.js';
export { assertBackupBelongs, backupBelongsTo, databaseFolder, ownerOf } from './backup/backup-ownership.js';
export {
  findBackup,
  isKeptUntilRemoved,
  listBackups,
  pruneBackups,
  scanBackups,
  type BackupScan,
  type ListBackupsOptions,
  type PruneBackupsOptions,
  type RemovedBackup,
  type SkippedBackupEntry,
  type TakenBackup,
} from './backup/backup-registry.js';
export { removeBackup } from './backup/remove-backup.js';
export { createBackup, type CreateBackupOptions } from './backup/create-backup.js';
export { assertBackupRestorable, verifyBackup, type BackupVerification } from './backup/verify-backup.js';
export {
  BACKUP_PLUGIN_NAME,
  type BackedUpRun,
  type BackupPluginOptions,
  type PreRunBackupTaker,
  createBackupParticipant,
  createBackupPlugin,
} from './backup/backup-plugin.js';
export { restoreBackupFile, type RestoreFileOptions, type RestoreFileResult } from './restore/restore-backup.js';
export { replaceDatabaseFile, type ReplaceDatabaseOptions, type ReplaceDatabaseResult } from '@mfmig/core';
export { checkDatabaseFile, type FileIntegrity, type IntegrityLevel } from '@mfmig/core';
export { describeDatabaseFile, type DatabaseFileState } from './files/describe-database-file.js';
export { sha256File } from '@mfmig/core';
export { openRegularFile, regularFileProblem, type OpenedFile, type RegularFileOptions } from '@mfmig/core';
export { realFilePath } from '@mfmig/core';
export {
  CHECKPOINT_FORMAT,
  checkpointBelongsTo,
  listCheckpoints,
  readCheckpoint,
  type CheckpointManifest,
  type CheckpointRecord,
} from './checkpoint/checkpoint-manifest.js';
export { type CreateCheckpointOptions } from './checkpoint/create-checkpoint.js';
export { type ResumeOptions, type ResumeResult } from './checkpoint/resume-checkpoint.js';
export {
  type BackupSummary,
  type DataAtRisk,
  type RiskLevel,
  type RollbackPlan,
  type RollbackStage,
  type RollbackStep,
  type RollbackStrategy,
} from './plan/rollback-plan.js';
export { type RollbackTarget, resolveRollbackTarget } from './plan/rollback-target.js';
export { type RollbackCapability, type RollbackCapabilityInput, rollbackCapabilityOf } from './plan/rollback-capability.js';
export { type ExecuteRollbackOptions, type RollbackExecutionResult } from './execute/execute-rollback-plan.js';
export {
  type RollbackValidationInput,
  type RollbackValidator,
  type StageValidation,
  type ValidationCheck,
  type ValidatorReport,
} from './execute/stage-validation.js';
export { EMERGENCY_TYPES, type EmergencyRollbackResult, type EmergencyType } from './emergency/emergency-rollback.js';
export { findLastRun, type LastRun } from './emergency/last-run.js';
export {
  ARCHIVE_REGISTRY_TABLE,
  ARCHIVE_TABLE_PREFIX,
  archiveBelongsTo,
  archiveLineage,
  listArchives,
  restorableArchives,
  type ArchiveEntry,
} from './preservation/archive-registry.js';
export { type PreservedData } from './preservation/archive-writer.js';
export { restoreArchives, type RestoreArchivesResult, type RestoredArchive } from './preservation/archive-restorer.js';
export { regeneratedSince, rekeyRegeneratedTwins, type RegeneratedSince } from './preservation/regenerated-twins.js';
export { PRESERVATION_PLUGIN_NAME, createPreservationPlugin, type PreservationPluginOptions } from './preservation/preservation-plugin.js';
export { probeDataLoss, type DataLoss, type ProbeResult } from './analysis/data-loss-probe.js';
export { analyseDownSql, type DownSqlAnalysis } from './analysis/down-sql-analysis.js';
export { checksumQuery, checksumTable, type RowsChecksum } from './analysis/row-digest.js';
export { type ConnectionPreservationOptions, createConnectionPreservation } from './connection/connection-preservation.js';
export { type ConnectionBackupOptions, createConnectionBackup } from './connection/connection-backup.js';
export { type PutBackOptions, type PutBackResult, putBackArchive, putBackArchives } from './connection/archive-put-back.js';
export { type DiscardOptions, type DiscardTarget, archivesToDiscard, discardArchiveRows } from './connection/archive-discard.js';
export {
  ARCHIVE_SCHEMA,
  type ArchiveRecord,
  type ConnectionArchive,
  archiveHistory,
  discardArchives,
  dropArchiveSchemaIfUnused,
  pendingArchives,
} from './connection/archive-schema.js';
export type { ConnectionPreserved } from './connection/archive-copy.js';
export { type ConnectionRestored, restoreArchives as restoreConnectionArchives } from './connection/archive-restore.js';
export { connectionRegeneratedSince, rekeyConnectionTwins } from './connection/archive-twins.js';
export { PG_TOOLS_DIR_ENV, findPgTools, requirePsql, type PgTool, type PgTools } from '@mfmig/core';
export { createPgDumpBackup, type PgDumpBackupOptions } from './connection/pg-dump-backup.js';
export {
  describePgDatabase,
  findPgDumpBackup,
  listPgDumpBackups,
  pgDatabaseIdentity,
  removePgDumpBackup,
  sameDatabase,
  type PgDatabaseIdentity,
  type PgDumpBackup,
  type PgDumpManifest,
} from './connection/pg-dump-registry.js';
export { restorePgDumpBackup, type PgDumpRestoreOptions, type PgDumpRestoreResult } from './connection/pg-dump-restore.js';
export { verifyPgDumpBackup } from './connection/pg-dump-verify.js';
export { restoreNewestPgDumpBackup, type NewestPgDumpRestoreOptions, type NewestPgDumpRestoreResult } from './connection/pg-newest-restore.js';
export {
  type PgCheckpoint,
  type PgCheckpointParticipantOptions,
  createPgCheckpoint,
  createPgCheckpointParticipant,
  listPgCheckpoints,
  pgCheckpointFolder,
  readPgCheckpoint,
} from './connection/pg-checkpoint.js';
export { postgresSchemaDamage, type PostgresSchemaDamage } from './connection/pg-schema-damage.js';
export { revertPostgresRun, type PostgresRunRevert, type PostgresRunRevertOptions } from './connection/pg-run-revert.js';
export { revertLastPostgresRun, type LastPostgresRunOptions } from './connection/pg-last-run.js';
export { type PgResume, type PgResumeOptions, resumePgCheckpoint } from './connection/pg-checkpoint-resume.js';
export { executePostgresEmergencyRollback, soundPostgresSchema, type PostgresEmergencyOptions } from './connection/pg-emergency-rollback.js';
export { type RunBackupExtra } from './run-extras.js';
export {
  type PlannedDown,
  type PlannedLoss,
  type PostgresRollbackPlan,
  type PostgresRollbackPlanOptions,
  planPostgresRollback,
} from './connection/pg-rollback-plan.js';
