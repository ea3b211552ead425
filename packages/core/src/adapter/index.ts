export * from './abbreviate-sql.js';
export * from './database-adapter.js';
export * from './open-database.js';
export * from './quote.js';
export { skipSqlComment, skipSqlGap, skipSqlQuoted } from './sql-scan.js';
export * from './sql-splitter.js';
export * from './sqlite-adapter.js';
export * from './sql-tokens.js';
export * from './statement-target.js';
