import { createHash } from 'node:crypto';
import type {
  CheckInfo,
  ColumnKindInfo,
  CompositeTypeInfo,
  DatabaseIntrospector,
  EnumTypeInfo,
  SchemaObjects,
  TableInfo,
  TriggerInfo,
  ViewInfo,
} from '../dialect.js';
import {
  OBJECT_COMPOSITES_SQL,
  OBJECT_DOMAINS_SQL,
  OBJECT_ROUTINES_SQL,
  OBJECT_SEQUENCES_SQL,
  OBJECT_TRIGGERS_SQL,
  OBJECT_VIEWS_SQL,
  OBJECT_VIEW_INDEXES_SQL,
} from './postgres-object-queries.js';
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
import {
  type Row,
  groupByTable,
  byKey,
  byName,
  canonicalJson,
  sortedRows,
  toColumn,
  toIndex,
  toForeignKey,
  IDENTITY,
  orNull,
  byTableThenName,
  toRoutine,
  toDomain,
  toPartition,
  toSequence,
} from './postgres-catalog-rows.js';

/**
 * The one thing the PostgreSQL introspector and integrity checks need of a connection: the rows of
 * a statement with `$n` parameters. Any driver fits behind it.
 */
export interface PgQueryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** The formats of {@link PostgresIntrospector.schemaFingerprint}: 1 for hashes recorded before domains, composite types, sequences and materialized views' indexes counted, 2 since. */
export type FingerprintFormat = 1 | 2;

/** The format a recorded fingerprint was taken in. */
export const fingerprintFormatOf = (hash: string): FingerprintFormat => (hash.startsWith('2:') ? 2 : 1);

const sha16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** What `objects()` reads beyond the fingerprint's first format, and what its second adds: materialized views' indexes, domains, composite types, sequences. */
const EXTRA_OBJECT_QUERIES = [OBJECT_VIEW_INDEXES_SQL, OBJECT_DOMAINS_SQL, OBJECT_COMPOSITES_SQL, OBJECT_SEQUENCES_SQL];

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
   * Everything diff and drift compare: the tables, and the views (with their columns, and a
   * materialized one's indexes), CHECK constraints, triggers, functions and procedures, enum and
   * composite types, domains, sequences' settings, partitioning, and identity and generated
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
    const queries = [
      OBJECT_VIEWS_SQL,
      CHECKS_SQL,
      OBJECT_TRIGGERS_SQL,
      OBJECT_ROUTINES_SQL,
      ENUMS_SQL,
      COLUMN_EXTRAS_SQL,
      TABLE_DETAILS_SQL,
      ...EXTRA_OBJECT_QUERIES,
    ];
    const [views = [], checks = [], triggers = [], routines = [], enums = [], extras = [], details = [], ...more] = await this.queryEach(queries, [
      this.schema,
    ]);
    const [viewIndexes = [], domains = [], composites = [], sequences = []] = more;
    const named = (r: Row) => ({ table: String(r.table_name), name: String(r.name), definition: String(r.definition) });
    const indexesOf = groupByTable(viewIndexes);
    return {
      tables,
      views: views
        .map((r): ViewInfo => {
          const materialized = asBoolean(r.materialized);
          const view: ViewInfo = { name: String(r.name), definition: String(r.definition ?? ''), columns: asJson<string[]>(r.columns), materialized };
          if (materialized) view.indexes = (indexesOf.get(view.name) ?? []).map(toIndex).sort(byName);
          return view;
        })
        .sort(byName),
      checks: checks.map((r): CheckInfo => named(r)).sort(byTableThenName),
      triggers: triggers.map((r): TriggerInfo => named(r)).sort(byTableThenName),
      routines: routines.map(toRoutine).sort(byKey((r) => `${r.name}(${r.arguments})`)),
      enumTypes: enums.map((r): EnumTypeInfo => ({ name: String(r.name), labels: asJson<string[]>(r.labels) })).sort(byName),
      domains: domains.map(toDomain).sort(byName),
      compositeTypes: composites
        .map((r): CompositeTypeInfo => ({ name: String(r.name), attributes: asJson<CompositeTypeInfo['attributes']>(r.attributes) }))
        .sort(byName),
      sequences: sequences.map(toSequence).sort(byName),
      partitions: details
        .map(toPartition)
        .filter((p) => p.partitionKey !== null || p.partitionOf !== null)
        .sort(byKey((p) => p.table)),
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
   * A hash of the schema: equal schemas give equal hashes, whatever their OIDs and creation order.
   * It covers the tables, views, functions, triggers, enum types, CHECK constraints, identity and
   * generated columns, partitioning and extensions of the schema, each sorted; format 2 (the
   * default, `2:` and 16 hex characters) adds domains, composite types, sequences' settings and
   * materialized views' indexes. Format 1 (16 hex characters) is what history rows written before
   * format 2 hold: {@link schemaFingerprintLike} compares with either. Tables named in `leaveOut`
   * (another migration tool's history table) count as absent, with their triggers, checks,
   * columns and sequences.
   */
  async schemaFingerprint(leaveOut: readonly string[] = [], format: FingerprintFormat = 2): Promise<string> {
    const left = new Set(leaveOut);
    const kept = <T extends { name?: unknown; table_name?: unknown }>(rows: T[], key: 'name' | 'table_name') => rows.filter((r) => !left.has(String(r[key])));
    const tables = kept(await this.tables(), 'name');
    const sections = [VIEWS_SQL, FUNCTIONS_SQL, TRIGGERS_SQL, ENUMS_SQL, CHECKS_SQL, COLUMN_EXTRAS_SQL, TABLE_DETAILS_SQL, EXTENSIONS_SQL];
    const [views, functions, everyTrigger, enums, everyCheck, everyExtra, everyDetail, extensions] = (await this.queryEach(sections, [this.schema])).map(
      sortedRows,
    );
    // the sections that belong to a table go with it
    const [triggers, checks, columnExtras, tableDetails] = [everyTrigger, everyCheck, everyExtra, everyDetail].map((rows) => kept(rows!, 'table_name'));
    const first = { tables, views, functions, triggers, enums, checks, columnExtras, tableDetails, extensions };
    if (format === 1) return sha16(canonicalJson(first));
    const [viewIndexes, domains, composites, everySequence] = (await this.queryEach(EXTRA_OBJECT_QUERIES, [this.schema])).map(sortedRows);
    const sequences = everySequence!.filter((r) => r.owner_table == null || !left.has(String(r.owner_table)));
    return `2:${sha16(canonicalJson({ ...first, viewIndexes, domains, composites, sequences }))}`;
  }

  /**
   * The extensions installed into the schema, with their versions, sorted by name: the fingerprint
   * counts them, and no object comparison names them (a rehearsal's scratch schema never holds an
   * extension the database has already).
   *
   * @example
   * (await introspector.extensions()).map((x) => `${x.name} ${x.version}`); // ['hstore 1.8']
   */
  async extensions(): Promise<{ name: string; version: string }[]> {
    const rows = await this.db.query(EXTENSIONS_SQL, [this.schema]);
    return rows.map((r) => ({ name: String(r.name), version: String(r.version) })).sort(byName);
  }

  /**
   * The fingerprint in the format `recorded` was taken in, to compare with it: a history row
   * written before format 2 holds a format-1 hash, which a format-2 one would never equal.
   *
   * @example
   * const drifted = (await introspector.schemaFingerprintLike(last.schemaHash)) !== last.schemaHash;
   */
  schemaFingerprintLike(recorded: string, leaveOut: readonly string[] = []): Promise<string> {
    return this.schemaFingerprint(leaveOut, fingerprintFormatOf(recorded));
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
