export * from './checksum.js';
export * from './connection-settings.js';
export * from './migration.js';
export * from './migration-loader.js';
export * from './sql-file-parser.js';
export * from './sql-safety.js';
