export { createMigrationFramework, type MigrationFramework } from './create-migration-framework.js';
export { MigrationService, type ExecuteMigrationOptions, type MigrationExecutionResult } from './migration-service.js';
export { type MilestoneStep, type UpgradePathAnalysis } from './upgrade-path.js';
export { seedKnowledgeBase, type SeedOptions } from './seed/seed-knowledge-base.js';
export { KB_CATEGORIES, KB_SEVERITIES } from './seed/kb-templates.js';
export {
  MfmigError,
  isMfmigError,
  loadMigrations,
  openDatabase,
  resolveConfig,
  type MigrationFrameworkConfig,
  type MigrationProgress,
  type MigrationStatus,
  type MfmigErrorCode,
} from '@mfmig/core';
