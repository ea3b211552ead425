/**
 * The catalog queries behind `PostgresIntrospector.objects()`: the objects beside a schema's tables
 * that diff and drift compare, each printed so that it reads the same in any schema on the
 * session's `search_path` (a rehearsal's scratch schema and the live one). Every query takes the
 * schema as `$1` and leaves out mfmig's own tables and extension members. The fingerprint's own
 * queries (`postgres-catalog-queries.ts`) stay as they are: history rows hold their hashes.
 */

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
