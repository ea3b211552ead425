/**
 * The catalog queries the PostgreSQL introspector and integrity checks share, and the quoting
 * helpers for the SQL they build. Every query takes the schema as `$1`; the introspector's table
 * queries take an optional table name as `$2`. mfmig's own tables (`mfmig_*`) are left out.
 */

/** Quotes an identifier the way PostgreSQL reads it: double quotes, inner quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`, quoted. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A string literal: single quotes, inner quotes doubled (standard_conforming_strings). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A boolean as the driver returns it (`true`, or `'t'` from a text-mode driver). */
export function asBoolean(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}

/** A JSON column as the driver returns it: parsed already, or as text. */
export function asJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Objects that belong to an extension (`CREATE EXTENSION`) rather than to the user. */
const NOT_EXTENSION_MEMBER = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

/** Tables (plain and partitioned) of schema `$1`, without mfmig's own; `c` is the table. */
const USER_TABLES = `c.relkind IN ('r', 'p') AND n.nspname = $1 AND NOT starts_with(c.relname, 'mfmig_')`;
/** {@link USER_TABLES}, narrowed to table `$2` when it is not null. */
const SELECTED_TABLES = `${USER_TABLES} AND ($2::text IS NULL OR c.relname = $2::text)`;
const FROM_TABLES = 'FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace';

export const TABLES_SQL = `SELECT c.relname AS name ${FROM_TABLES} WHERE ${SELECTED_TABLES}`;

export const COLUMNS_SQL = `SELECT c.relname AS table_name, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
  NOT a.attnotnull AS nullable, CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default_sql
${FROM_TABLES}
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE ${SELECTED_TABLES} ORDER BY c.relname, a.attnum`;

/**
 * The indexes of the relations `where` selects (`c` is the relation), with their key columns only
 * (not `INCLUDE`); an expression column is printed as its expression. The
 * definition names its table without the schema (`pg_get_indexdef` always qualifies it), so that
 * the same index in two schemas reads the same.
 */
export const indexesSql = (where: string) => `SELECT c.relname AS table_name, i.relname AS name, x.indisunique AS is_unique, x.indisvalid AS is_valid,
  replace(replace(pg_get_indexdef(x.indexrelid), ' ON ONLY ' || quote_ident(n.nspname) || '.', ' ON ONLY '), ' ON ' || quote_ident(n.nspname) || '.', ' ON ') AS definition,
  to_json(ARRAY(SELECT CASE WHEN k.attnum = 0 THEN pg_get_indexdef(x.indexrelid, k.ord::int, true) ELSE a.attname::text END
    FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
    WHERE k.ord <= x.indnkeyatts ORDER BY k.ord)) AS columns
${FROM_TABLES}
JOIN pg_index x ON x.indrelid = c.oid JOIN pg_class i ON i.oid = x.indexrelid
WHERE ${where}`;

export const INDEXES_SQL = indexesSql(SELECTED_TABLES);

/** The columns of constraint `k` listed in `key` (`conkey` or `confkey`) of relation `rel`, in order. */
const constraintColumns = (key: string, rel: string) => `to_json(ARRAY(SELECT a.attname::text
    FROM unnest(k.${key}) WITH ORDINALITY AS u(attnum, ord) JOIN pg_attribute a ON a.attrelid = k.${rel} AND a.attnum = u.attnum
    ORDER BY u.ord))`;

/**
 * Foreign keys of the schema's tables, narrowed by `where`. A key cloned onto a partition, or onto
 * the partitions of a partitioned parent, has `conparentid` set and is left out: the root
 * constraint stands for it.
 */
const foreignKeysSql = (where: string, extraColumns = '') => `SELECT c.relname AS table_name, k.conname AS name,
  ${constraintColumns('conkey', 'conrelid')} AS columns, rn.nspname AS referenced_schema, r.relname AS referenced_table,
  quote_ident(rn.nspname) || '.' || quote_ident(r.relname) AS referenced_qualified,
  ${constraintColumns('confkey', 'confrelid')} AS referenced_columns,
  k.confdeltype::text AS on_delete, k.confmatchtype::text AS match_type, k.convalidated AS validated${extraColumns}
${FROM_TABLES}
JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f' AND k.conparentid = 0
JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
WHERE ${where}`;

export const FOREIGN_KEYS_SQL = foreignKeysSql(SELECTED_TABLES);

export const PRIMARY_KEYS_SQL = `SELECT c.relname AS table_name, ${constraintColumns('conkey', 'conrelid')} AS columns
${FROM_TABLES}
JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
WHERE ${SELECTED_TABLES}`;

/** What a table is beyond its columns: plain or partitioned, its partition key, what it is a partition of. */
export const TABLE_DETAILS_SQL = `SELECT c.relname AS table_name, c.relkind::text AS kind,
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
  (SELECT pc.relname FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhparent WHERE h.inhrelid = c.oid AND c.relispartition) AS partition_of,
  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound
${FROM_TABLES} WHERE ${USER_TABLES}`;

/** Identity and generated columns, which {@link COLUMNS_SQL} does not tell apart from plain ones. */
export const COLUMN_EXTRAS_SQL = `SELECT c.relname AS table_name, a.attname AS name, a.attidentity::text AS identity,
  CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated
${FROM_TABLES}
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND (a.attidentity <> '' OR a.attgenerated <> '')
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE ${USER_TABLES}`;

export const VIEWS_SQL = `SELECT c.relname AS name, c.relkind::text AS kind, pg_get_viewdef(c.oid, true) AS definition
${FROM_TABLES}
WHERE c.relkind IN ('v', 'm') AND n.nspname = $1 AND NOT starts_with(c.relname, 'mfmig_') AND ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`;

/** Functions and procedures; an aggregate has no `pg_get_functiondef`, so only its signature counts. */
export const FUNCTIONS_SQL = `SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS arguments,
  CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS definition
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND NOT starts_with(p.proname, 'mfmig_') AND ${NOT_EXTENSION_MEMBER('pg_proc', 'p.oid')}`;

export const TRIGGERS_SQL = `SELECT c.relname AS table_name, t.tgname AS name, pg_get_triggerdef(t.oid) AS definition
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = $1 AND NOT starts_with(c.relname, 'mfmig_')`;

export const ENUMS_SQL = `SELECT t.typname AS name,
  to_json(ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)) AS labels
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND n.nspname = $1 AND ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}`;

export const CHECKS_SQL = `SELECT c.relname AS table_name, k.conname AS name, pg_get_constraintdef(k.oid, true) AS definition
${FROM_TABLES}
JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'c'
WHERE ${USER_TABLES}`;

/** Extensions installed into the schema: their objects are counted as name and version. */
export const EXTENSIONS_SQL = `SELECT x.extname AS name, x.extversion AS version
FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE n.nspname = $1`;

/** Invalid indexes, less those a `CREATE INDEX CONCURRENTLY` is building right now. */
export const INVALID_INDEXES_SQL = `SELECT c.relname AS table_name, i.relname AS name, i.relkind::text AS kind
${FROM_TABLES}
JOIN pg_index x ON x.indrelid = c.oid AND NOT x.indisvalid JOIN pg_class i ON i.oid = x.indexrelid
WHERE ${USER_TABLES} AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = x.indexrelid)`;

export const UNVALIDATED_CONSTRAINTS_SQL = `SELECT c.relname AS table_name, k.conname AS name, k.contype::text AS type
${FROM_TABLES}
JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype IN ('f', 'c') AND NOT k.convalidated AND k.conparentid = 0
WHERE ${USER_TABLES}`;

/**
 * The planner's row estimate of the child table `c`: `reltuples`, summed over the leaf partitions of
 * a partitioned table; a table never vacuumed or analyzed (`reltuples` -1) falls back to the
 * statistics' live row count.
 */
const ROW_ESTIMATE = `(SELECT coalesce(sum(CASE WHEN pc.reltuples >= 0 THEN pc.reltuples ELSE coalesce(s.n_live_tup, 0) END), 0)::float8
    FROM pg_class pc LEFT JOIN pg_stat_all_tables s ON s.relid = pc.oid
    WHERE (pc.oid = c.oid AND c.relkind = 'r') OR pc.oid IN (SELECT t.relid FROM pg_partition_tree(c.oid) t WHERE t.isleaf))`;

/** The foreign keys to scan for orphans, with the child table's row estimate. */
export const ORPHAN_SCAN_KEYS_SQL = foreignKeysSql(
  USER_TABLES,
  `, c.relkind::text AS table_kind, r.relkind::text AS referenced_kind, ${ROW_ESTIMATE} AS row_estimate`,
);

/**
 * Foreign keys whose columns are not the leading key columns (in any order) of a valid, non-partial
 * index on the child table.
 */
export const UNINDEXED_FOREIGN_KEYS_SQL = `SELECT c.relname AS table_name, k.conname AS name, ${constraintColumns('conkey', 'conrelid')} AS columns
${FROM_TABLES}
JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f' AND k.conparentid = 0
WHERE ${USER_TABLES} AND NOT EXISTS (
  SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisvalid AND x.indpred IS NULL
    AND x.indnkeyatts >= cardinality(k.conkey)
    AND ARRAY(SELECT u.attnum FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS u(attnum, ord)
              WHERE u.ord <= cardinality(k.conkey) ORDER BY u.attnum)
      = ARRAY(SELECT u.attnum FROM unnest(k.conkey) AS u(attnum) ORDER BY u.attnum))`;

/** Ascending sequences owned by a column of the schema's tables: serial (`OWNED BY`) and identity. */
export const OWNED_SEQUENCES_SQL = `SELECT c.relname AS table_name, a.attname AS column_name, s.relname AS sequence_name,
  q.seqincrement::text AS increment
${FROM_TABLES}
JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_sequence q ON q.seqrelid = s.oid AND q.seqincrement > 0
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
WHERE ${USER_TABLES}`;

export const TABLE_STATISTICS_SQL = `SELECT s.relname AS table_name, s.n_live_tup::float8 AS live, s.n_dead_tup::float8 AS dead
FROM pg_stat_user_tables s WHERE s.schemaname = $1 AND NOT starts_with(s.relname, 'mfmig_')`;
