/**
 * The catalog queries behind `PostgresIntrospector.objects()`: the objects beside a schema's tables
 * that diff and drift compare, each printed so that it reads the same in any schema on the
 * session's `search_path` (a rehearsal's scratch schema and the live one). Every query takes the
 * schema as `$1` and leaves out mfmig's own tables and extension members. The fingerprint keeps its
 * own queries (`postgres-catalog-queries.ts`), which history rows' hashes were taken with; its
 * second format adds the domains, composite types, sequences and materialized views' indexes read
 * here.
 */
import { indexesSql } from './postgres-catalog-queries.js';

const FROM_TABLES = 'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace';
const NOT_MFMIG = `NOT starts_with(c.relname, 'mfmig_')`;
const notExtensionMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

/** Views and materialized views with their columns in order. */
export const OBJECT_VIEWS_SQL = `SELECT c.relname AS name, c.relkind = 'm' AS materialized, pg_get_viewdef(c.oid, true) AS definition,
  to_json(ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)) AS columns
${FROM_TABLES}
WHERE c.relkind IN ('v', 'm') AND n.nspname = $1 AND ${NOT_MFMIG} AND ${notExtensionMember('pg_class', 'c.oid')}`;

/**
 * Triggers, printed "pretty": the table and the function are qualified only when the search_path
 * does not reach them (the plain form always names the table's schema).
 */
export const OBJECT_TRIGGERS_SQL = `SELECT c.relname AS table_name, t.tgname AS name, pg_get_triggerdef(t.oid, true) AS definition
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = $1 AND ${NOT_MFMIG}`;

/**
 * Functions and procedures. `pg_get_functiondef` always qualifies the routine's own name; the
 * prefix it uses comes back as `schema_prefix` for the reader to take out. An aggregate has no
 * definition to print: its signature and result stand for it.
 */
export const OBJECT_ROUTINES_SQL = `SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS arguments, p.prokind::text AS kind,
  CASE WHEN p.prokind <> 'p' THEN pg_get_function_result(p.oid) END AS result,
  CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS definition,
  quote_ident(n.nspname) || '.' AS schema_prefix
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND NOT starts_with(p.proname, 'mfmig_') AND ${notExtensionMember('pg_proc', 'p.oid')}`;

/** The indexes of materialized views (a plain view has none), as `INDEXES_SQL` reads a table's. */
export const OBJECT_VIEW_INDEXES_SQL = indexesSql(`c.relkind = 'm' AND n.nspname = $1 AND ${NOT_MFMIG}`);

/** Domains: base type, NOT NULL, default and CHECK constraints, the constraints in code-point order. */
export const OBJECT_DOMAINS_SQL = `SELECT t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS base_type, t.typnotnull AS not_null,
  pg_get_expr(t.typdefaultbin, 0) AS default_sql,
  to_json(ARRAY(SELECT pg_get_constraintdef(k.oid, true) FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'
    ORDER BY pg_get_constraintdef(k.oid, true) COLLATE "C")) AS checks
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'd' AND n.nspname = $1 AND ${notExtensionMember('pg_type', 't.oid')}`;

/** Composite types made by `CREATE TYPE ... AS (...)` (not the row types of tables and views), with their attributes in order. */
export const OBJECT_COMPOSITES_SQL = `SELECT t.typname AS name,
  to_json(ARRAY(SELECT json_build_object('name', a.attname::text, 'type', format_type(a.atttypid, a.atttypmod)) FROM pg_attribute a
    WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)) AS attributes
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid
WHERE t.typtype = 'c' AND c.relkind = 'c' AND n.nspname = $1 AND ${notExtensionMember('pg_type', 't.oid')}`;

/**
 * Sequences and their settings (never their current value), with the column that owns one
 * (`serial`: an auto dependency, an identity: an internal one). Sequences mfmig's own tables own
 * are left out with them.
 */
export const OBJECT_SEQUENCES_SQL = `SELECT c.relname AS name, format_type(s.seqtypid, NULL) AS data_type, s.seqstart::text AS start,
  s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
  o.relname AS owner_table, a.attname AS owner_column
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class o ON o.oid = d.refobjid
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE c.relkind = 'S' AND n.nspname = $1 AND ${NOT_MFMIG} AND (o.relname IS NULL OR NOT starts_with(o.relname, 'mfmig_'))
  AND ${notExtensionMember('pg_class', 'c.oid')}`;
