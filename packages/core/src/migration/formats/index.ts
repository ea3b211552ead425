export { renderMfmigSql, canonicalChecksum, type CanonicalSqlParts } from './canonical-sql.js';
export { MIGRATION_FORMATS, detectLayout, type FolderLayout } from './detect-format.js';
export type { EntryKind, FolderEntry } from './folder-entry.js';
export { flywayVersionKey, flywayVersionLabel } from './flyway-format.js';
export type { MilestoneRange } from './milestone-ranges.js';
export { planNewMigration, type NewMigrationFile, type NewMigrationPlan } from './new-migration.js';
export { importFiles, type ImportedFile } from './import-files.js';
