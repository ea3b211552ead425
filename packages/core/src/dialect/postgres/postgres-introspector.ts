import { createHash } from 'node:crypto';
import type {
  CheckInfo,
  ColumnInfo,
  ColumnKindInfo,
  DatabaseIntrospector,
  EnumTypeInfo,
  ForeignKeyInfo,
  IndexInfo,
  RoutineInfo,
  SchemaObjects,
  TableInfo,
  TriggerInfo,
  ViewInfo,
} from '../dialect.js';
import { OBJECT_ROUTINES_SQL, OBJECT_TRIGGERS_SQL, OBJECT_VIEWS_SQL } from './postgres-object-queries.js';
import {
  CHECKS_SQL,
  COLUMNS_SQL,
  COLUMN_EXTRAS_SQL,
  ENUMS_SQL,
  EXTENSIONS_SQL,
  FOREIGN_KEYS_SQL,
  FUNCTIONS_SQL,
  INDEXES_SQL,
  PRIMARY_KEYS_SQL,
  TABLES_SQL,
  TABLE_DETAILS_SQL,
  TRIGGERS_SQL,
  VIEWS_SQL,
  asBoolean,
  asJson,
} from './postgres-catalog-queries.js';

/**
 * The one thing the PostgreSQL introspector and integrity checks need of a connection: the rows of
 * a statement with `$n` parameters. Any driver fits behind it.
 */
export interface PgQueryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

type Row = Record<string, unknown>;

/** `confdeltype` as `ON DELETE` spells it. */
const ON_DELETE: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

/** The rows of one table name, keyed by `table_name`. */
function groupByTable(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const name = String(row.table_name);
    const group = groups.get(name);
    if (group) group.push(row);
    else groups.set(name, [row]);
  }
  return groups;
}

/** Compares by a string key in code-unit order, so the order never depends on a locale or collation. */
function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

const byName = byKey((item: { name: string }) => item.name);

/** JSON with object keys sorted, so equal values always print the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(byKey(([key]) => key));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Rows sorted by their canonical JSON. */
function sortedRows(rows: Row[]): Row[] {
  return [...rows].sort(byKey(canonicalJson));
}

function toColumn(row: Row): ColumnInfo {
  const defaultSql = row.default_sql == null ? null : String(row.default_sql);
  return { name: String(row.name), type: String(row.type), nullable: asBoolean(row.nullable), defaultSql };
}

function toIndex(row: Row): IndexInfo {
  return {
    name: String(row.name),
    table: String(row.table_name),
    columns: asJson<string[]>(row.columns),
    unique: asBoolean(row.is_unique),
    valid: asBoolean(row.is_valid),
    definition: String(row.definition),
  };
}

function toForeignKey(row: Row, schema: string): ForeignKeyInfo {
  return {
    name: String(row.name),
    table: String(row.table_name),
    columns: asJson<string[]>(row.columns),
    referencedTable: String(row.referenced_schema === schema ? row.referenced_table : row.referenced_qualified),
    referencedColumns: asJson<string[]>(row.referenced_columns),
    onDelete: ON_DELETE[String(row.on_delete)] ?? 'NO ACTION',
    validated: asBoolean(row.validated),
  };
}

const ROUTINE_KINDS: Record<string, RoutineInfo['kind']> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window' };
const IDENTITY: Record<string, ColumnKindInfo['identity']> = { a: 'always', d: 'by default' };
const orNull = (value: unknown) => (value == null ? null : String(value));
const byTableThenName = byKey((item: { table: string; name: string }) => `${item.table}\u0000${item.name}`);

/** A routine's definition without the schema `pg_get_functiondef` always puts before its name. */
function toRoutine(row: Row): RoutineInfo {
  const prefix = String(row.schema_prefix);
  const definition = orNull(row.definition);
  const header = definition === null ? -1 : definition.indexOf(` ${prefix}`);
  return {
    name: String(row.name),
    arguments: String(row.arguments),
    kind: ROUTINE_KINDS[String(row.kind)] ?? 'function',
    result: orNull(row.result),
    definition: definition === null || header < 0 ? definition : definition.slice(0, header + 1) + definition.slice(header + 1 + prefix.length),
  };
}

/**
 * Reads one schema of a PostgreSQL database from the system catalogs: its tables with their
 * columns, indexes, foreign keys and primary keys, and a fingerprint of everything the schema
 * holds. Tables named `mfmig_*` and other schemas are left out. A foreign key's referenced table is
 * its bare name in the same schema, else `schema.table` quoted where PostgreSQL needs it
 * (`quote_ident`).
 *
 * Definitions PostgreSQL prints (defaults, index and view definitions) qualify a name only when it
 * is not on the session's `search_path`, so compare fingerprints taken with the same `search_path`.
 *
 * @example
 * const introspector = new PostgresIntrospector({ query: async (sql, params) => (await client.query(sql, params)).rows }, 'public');
 * const users = await introspector.table('users');
 * console.log(users?.primaryKey, await introspector.schemaFingerprint());
 */
export class PostgresIntrospector implements DatabaseIntrospector {
  constructor(
    private readonly db: PgQueryable,
    private readonly schema: string,
  ) {}

  /** User tables (plain, partitioned and partitions), sorted by name. */
  tables(): Promise<TableInfo[]> {
    return this.readTables(null);
  }

  async table(name: string): Promise<TableInfo | undefined> {
    const [table] = await this.readTables(name);
    return table;
  }

  async views(): Promise<ViewInfo[]> {
    const rows = await this.db.query(VIEWS_SQL, [this.schema]);
    return rows.map((r) => ({ name: String(r.name), definition: String(r.definition ?? '') })).sort(byName);
  }

  /**
   * Everything diff and drift compare: the tables, and the views (with their columns), CHECK
   * constraints, triggers, functions and procedures, enum types, and identity and generated
   * columns beside them, each list sorted. Definitions are printed the way that reads the same in
   * any schema on the session's search_path, so a rehearsal's scratch schema compares equal to the
   * live one it was built like.
   *
   * @example
   * const objects = await conn.introspector.objects();
   * objects.triggers.map((t) => `${t.table}.${t.name}`);
   */
  async objects(): Promise<SchemaObjects> {
    const tables = await this.tables();
    const queries = [OBJECT_VIEWS_SQL, CHECKS_SQL, OBJECT_TRIGGERS_SQL, OBJECT_ROUTINES_SQL, ENUMS_SQL, COLUMN_EXTRAS_SQL];
    const [views = [], checks = [], triggers = [], routines = [], enums = [], extras = []] = await this.queryEach(queries, [this.schema]);
    const named = (r: Row) => ({ table: String(r.table_name), name: String(r.name), definition: String(r.definition) });
    return {
      tables,
      views: views
        .map((r): ViewInfo => ({
          name: String(r.name),
          definition: String(r.definition ?? ''),
          columns: asJson<string[]>(r.columns),
          materialized: asBoolean(r.materialized),
        }))
        .sort(byName),
      checks: checks.map((r): CheckInfo => named(r)).sort(byTableThenName),
      triggers: triggers.map((r): TriggerInfo => named(r)).sort(byTableThenName),
      routines: routines.map(toRoutine).sort(byKey((r) => `${r.name}(${r.arguments})`)),
      enumTypes: enums.map((r): EnumTypeInfo => ({ name: String(r.name), labels: asJson<string[]>(r.labels) })).sort(byName),
      columnKinds: extras
        .map((r): ColumnKindInfo => ({
          table: String(r.table_name),
          column: String(r.name),
          identity: IDENTITY[String(r.identity)] ?? null,
          generated: orNull(r.generated),
        }))
        .sort(byKey((k) => `${k.table}\u0000${k.column}`)),
    };
  }

  /**
   * The first 16 hex characters of a sha256 over the tables, views, functions, triggers, enum
   * types, CHECK constraints, identity and generated columns, partitioning and extensions of the
   * schema, each sorted: OIDs and creation order do not count. Tables named in `leaveOut` (another
   * migration tool's history table) count as absent, with their triggers, checks and columns.
   */
  async schemaFingerprint(leaveOut: readonly string[] = []): Promise<string> {
    const left = new Set(leaveOut);
    const kept = <T extends { name?: unknown; table_name?: unknown }>(rows: T[], key: 'name' | 'table_name') => rows.filter((r) => !left.has(String(r[key])));
    const tables = kept(await this.tables(), 'name');
    const sections = [VIEWS_SQL, FUNCTIONS_SQL, TRIGGERS_SQL, ENUMS_SQL, CHECKS_SQL, COLUMN_EXTRAS_SQL, TABLE_DETAILS_SQL, EXTENSIONS_SQL];
    const [views, functions, everyTrigger, enums, everyCheck, everyExtra, everyDetail, extensions] = (await this.queryEach(sections, [this.schema])).map(
      sortedRows,
    );
    // the sections that belong to a table go with it
    const [triggers, checks, columnExtras, tableDetails] = [everyTrigger, everyCheck, everyExtra, everyDetail].map((rows) => kept(rows!, 'table_name'));
    const canonical = canonicalJson({ tables, views, functions, triggers, enums, checks, columnExtras, tableDetails, extensions });
    return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  }

  /** Every table, or only table `name`: one query per kind of thing, for the whole schema at once. */
  private async readTables(name: string | null): Promise<TableInfo[]> {
    const queries = [TABLES_SQL, COLUMNS_SQL, INDEXES_SQL, FOREIGN_KEYS_SQL, PRIMARY_KEYS_SQL];
    const [tables = [], columns = [], indexes = [], foreignKeys = [], primaryKeys = []] = await this.queryEach(queries, [this.schema, name]);
    const columnsOf = groupByTable(columns);
    const indexesOf = groupByTable(indexes);
    const foreignKeysOf = groupByTable(foreignKeys);
    const primaryKeyOf = groupByTable(primaryKeys);
    return tables
      .map((row): TableInfo => {
        const table = String(row.name);
        const primaryKey = primaryKeyOf.get(table)?.[0];
        return {
          name: table,
          columns: (columnsOf.get(table) ?? []).map(toColumn),
          indexes: (indexesOf.get(table) ?? []).map(toIndex).sort(byName),
          foreignKeys: (foreignKeysOf.get(table) ?? []).map((fk) => toForeignKey(fk, this.schema)).sort(byName),
          primaryKey: primaryKey ? asJson<string[]>(primaryKey.columns) : [],
        };
      })
      .sort(byName);
  }

  /** Runs the queries one after the other: the connection may be a single session that cannot take two at once. */
  private async queryEach(queries: string[], params: unknown[]): Promise<Row[][]> {
    const results: Row[][] = [];
    for (const sql of queries) results.push(await this.db.query(sql, params));
    return results;
  }
}
