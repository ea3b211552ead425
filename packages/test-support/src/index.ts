export { type MigrateAndSeedOptions, migrateAndSeed, seedKnowledgeBase } from './knowledge-base.js';
export { seededRandom } from '@mfmig/framework';
export { type AppWrite, type AppWriterOptions, type AppWriterReport, startAppWriter } from './app-writer.js';
export { removeTempDirs, scopedTempDir, tempDir, tempTree } from './temp-dirs.js';
export { snapshotTree, withoutEntries } from './file-tree.js';
export { type FixtureMigration, type FixtureTool, type ScriptRunner, TOOL_TABLE_DDL, writeToolHistory } from './tool-histories.js';
export { orderedShape } from './ordered-shape.js';
export { TEST_PG_SERVER, dropScratchDatabases, postgresUrl, scratchDatabase, withClient } from './scratch-postgres.js';
export { readSqlite } from './read-sqlite.js';
