export * from './dialect.js';
export * from './dialect-migrator.js';
export * from './lock-wait-policy.js';
export { isPostgresUrl, describePostgresUrl } from './postgres/postgres-url.js';
export { type PostgresOptions, PostgresConnection, openPostgres } from './postgres/postgres-connection.js';
export { analyzePostgresSql, type PgStatement, type PgRiskFact, type PgLockMode } from './postgres/postgres-statements.js';
export { PG_LOCK_MODES } from './postgres/postgres-lock-levels.js';
