export * from './belongs-to-database.js';
export * from './database-identity.js';
export * from './database-path.js';
export * from './identity-table.js';
