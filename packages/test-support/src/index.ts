export { type MigrateAndSeedOptions, migrateAndSeed, seedKnowledgeBase } from './knowledge-base.js';
export { seededRandom } from './seeded-random.js';
export { removeTempDirs, scopedTempDir, tempDir } from './temp-dirs.js';
