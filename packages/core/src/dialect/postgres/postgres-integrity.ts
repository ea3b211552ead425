import type { IntegrityChecks, IntegrityFinding } from '../dialect.js';
import {
  INVALID_INDEXES_SQL,
  ORPHAN_SCAN_KEYS_SQL,
  OWNED_SEQUENCES_SQL,
  TABLE_STATISTICS_SQL,
  UNINDEXED_FOREIGN_KEYS_SQL,
  UNVALIDATED_CONSTRAINTS_SQL,
  asBoolean,
  asJson,
  qualifiedName,
  quoteIdent,
  quoteLiteral,
} from './postgres-catalog-queries.js';
import type { PgQueryable } from './postgres-introspector.js';

/** Options of {@link PostgresIntegrity}. */
export interface PostgresIntegrityOptions {
  /** Child tables estimated above this many rows are not scanned for orphans. Default 5,000,000. */
  orphanScanMaxRows?: number;
}

type Row = Record<string, unknown>;

/** A foreign key as the orphan scan reads it. */
interface OrphanScanKey {
  table: string;
  name: string;
  columns: string[];
  referencedSchema: string;
  referencedTable: string;
  referencedColumns: string[];
  matchFull: boolean;
  /** `FROM ONLY` for plain tables, so inheritance children (which the key does not cover) are not read. */
  tableOnly: boolean;
  referencedOnly: boolean;
  rowEstimate: number;
}

const DEFAULT_ORPHAN_SCAN_MAX_ROWS = 5_000_000;
/** The orphan scan stops counting here: the number is enough to act on. */
const ORPHAN_COUNT_CAP = 1000;
const BLOAT_MIN_DEAD_ROWS = 10_000;
const SEVERITY_ORDER: Record<IntegrityFinding['severity'], number> = { error: 0, warning: 1, info: 2 };

const byTableAndName = (a: Row, b: Row): number => {
  const x = `${String(a.table_name)}\u0000${String(a.name ?? '')}`;
  const y = `${String(b.table_name)}\u0000${String(b.name ?? '')}`;
  return x < y ? -1 : x > y ? 1 : 0;
};

const columnList = (columns: string[]): string => columns.map(quoteIdent).join(', ');

function toOrphanScanKey(row: Row): OrphanScanKey {
  return {
    table: String(row.table_name),
    name: String(row.name),
    columns: asJson<string[]>(row.columns),
    referencedSchema: String(row.referenced_schema),
    referencedTable: String(row.referenced_table),
    referencedColumns: asJson<string[]>(row.referenced_columns),
    matchFull: row.match_type === 'f',
    tableOnly: row.table_kind === 'r',
    referencedOnly: row.referenced_kind === 'r',
    rowEstimate: Number(row.row_estimate),
  };
}

/**
 * The rows of child table `c` that break the key: under MATCH SIMPLE, all key columns non-null and
 * no parent row; under MATCH FULL (several columns), also a key that is only partly null.
 */
function orphanCondition(key: OrphanScanKey): string {
  const parent = `${key.referencedOnly ? 'ONLY ' : ''}${qualifiedName(key.referencedSchema, key.referencedTable)}`;
  const child = key.columns.map((column) => `c.${quoteIdent(column)}`);
  const matches = child.map((column, i) => `p.${quoteIdent(key.referencedColumns[i] ?? '')} = ${column}`).join(' AND ');
  const noParent = `NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${matches})`;
  if (key.matchFull && child.length > 1) {
    const allNull = child.map((column) => `${column} IS NULL`).join(' AND ');
    const anyNull = child.map((column) => `${column} IS NULL`).join(' OR ');
    return `NOT (${allNull}) AND (${anyNull} OR ${noParent})`;
  }
  return `${child.map((column) => `${column} IS NOT NULL`).join(' AND ')} AND ${noParent}`;
}

function childTable(key: OrphanScanKey, schema: string): string {
  return `${key.tableOnly ? 'ONLY ' : ''}${qualifiedName(schema, key.table)}`;
}

/**
 * PostgreSQL's integrity checks, read from the catalogs of one schema (tables `mfmig_*` left out):
 * invalid indexes, constraints never validated, foreign keys with orphan rows, sequences behind
 * their column, foreign keys without an index, and tables the statistics say are bloated.
 *
 * The orphan scan reads the child tables (an anti-join that stops at {@link ORPHAN_COUNT_CAP}
 * orphans); tables estimated above `orphanScanMaxRows` are skipped with an `ORPHAN_SCAN_SKIPPED` finding.
 *
 * @example
 * const integrity = new PostgresIntegrity({ query: async (sql, params) => (await client.query(sql, params)).rows }, 'public');
 * for (const finding of await integrity.run()) console.log(finding.severity, finding.code, finding.message);
 */
export class PostgresIntegrity implements IntegrityChecks {
  private readonly orphanScanMaxRows: number;

  constructor(
    private readonly db: PgQueryable,
    private readonly schema: string,
    options: PostgresIntegrityOptions = {},
  ) {
    this.orphanScanMaxRows = options.orphanScanMaxRows ?? DEFAULT_ORPHAN_SCAN_MAX_ROWS;
  }

  /** Every check, one after the other; findings sorted errors first, then warnings, then info. */
  async run(): Promise<IntegrityFinding[]> {
    const findings: IntegrityFinding[] = [
      ...(await this.invalidIndexes()),
      ...(await this.unvalidatedConstraints()),
      ...(await this.foreignKeyOrphans()),
      ...(await this.sequencesBehind()),
      ...(await this.unindexedForeignKeys()),
      ...(await this.bloatedTables()),
    ];
    return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  }

  private async rows(sql: string): Promise<Row[]> {
    return (await this.db.query<Row>(sql, [this.schema])).sort(byTableAndName);
  }

  /** `INVALID_INDEX`: indexes left invalid (`indisvalid = false`) by a failed concurrent build, or partitioned indexes missing a partition's. */
  async invalidIndexes(): Promise<IntegrityFinding[]> {
    return (await this.rows(INVALID_INDEXES_SQL)).map((row) => {
      const [table, index] = [String(row.table_name), String(row.name)];
      const message =
        row.kind === 'I'
          ? `Partitioned index ${index} on ${table} is invalid: some partitions have no index attached to it; create the missing ones and attach each with ALTER INDEX ${qualifiedName(this.schema, index)} ATTACH PARTITION ...`
          : `Index ${index} on ${table} is invalid (left by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY) and is not used by queries, though writes still maintain it; drop it with DROP INDEX CONCURRENTLY ${qualifiedName(this.schema, index)} and build it again`;
      return { code: 'INVALID_INDEX', severity: 'error', object: index, message };
    });
  }

  /** `CONSTRAINT_NOT_VALIDATED`: foreign keys and CHECKs added NOT VALID and never validated. */
  async unvalidatedConstraints(): Promise<IntegrityFinding[]> {
    return (await this.rows(UNVALIDATED_CONSTRAINTS_SQL)).map((row) => {
      const [table, name] = [String(row.table_name), String(row.name)];
      const kind = row.type === 'f' ? 'Foreign key' : 'CHECK constraint';
      const message = `${kind} ${name} on ${table} was added NOT VALID and never validated, so rows written before it are not checked; fix the rows that break it, then run ALTER TABLE ${qualifiedName(this.schema, table)} VALIDATE CONSTRAINT ${quoteIdent(name)}`;
      return { code: 'CONSTRAINT_NOT_VALIDATED', severity: 'warning', object: table, message };
    });
  }

  /** `FOREIGN_KEY_ORPHANS`: child rows whose key matches no parent row; `ORPHAN_SCAN_SKIPPED` for a table over `orphanScanMaxRows`. */
  async foreignKeyOrphans(): Promise<IntegrityFinding[]> {
    const findings: IntegrityFinding[] = [];
    for (const key of (await this.rows(ORPHAN_SCAN_KEYS_SQL)).map(toOrphanScanKey)) {
      const finding = key.rowEstimate > this.orphanScanMaxRows ? this.skippedScan(key) : await this.scanOrphans(key);
      if (finding) findings.push(finding);
    }
    return findings;
  }

  private skippedScan(key: OrphanScanKey): IntegrityFinding {
    const rows = Math.round(key.rowEstimate).toLocaleString('en-US');
    const limit = this.orphanScanMaxRows.toLocaleString('en-US');
    const query = `SELECT * FROM ${childTable(key, this.schema)} c WHERE ${orphanCondition(key)} LIMIT 100`;
    const message = `Foreign key ${key.name} on ${key.table} was not scanned for orphan rows: the table has about ${rows} rows, over the limit of ${limit} (orphanScanMaxRows); raise the limit, or look for orphans yourself with ${query}`;
    return { code: 'ORPHAN_SCAN_SKIPPED', severity: 'info', object: key.table, message };
  }

  private async scanOrphans(key: OrphanScanKey): Promise<IntegrityFinding | undefined> {
    const condition = orphanCondition(key);
    const child = childTable(key, this.schema);
    const sql = `SELECT count(*)::int AS orphans FROM (SELECT 1 FROM ${child} c WHERE ${condition} LIMIT ${ORPHAN_COUNT_CAP}) o`;
    const [row] = await this.db.query<Row>(sql);
    const orphans = Number(row?.orphans ?? 0);
    if (orphans === 0) return undefined;
    const count = orphans >= ORPHAN_COUNT_CAP ? `at least ${ORPHAN_COUNT_CAP} rows` : orphans === 1 ? '1 row' : `${orphans} rows`;
    const parent = key.referencedSchema === this.schema ? key.referencedTable : `${key.referencedSchema}.${key.referencedTable}`;
    const message = `Foreign key ${key.name} on ${key.table} has ${count} whose (${key.columns.join(', ')}) match no row of ${parent} (${key.referencedColumns.join(', ')}); delete or fix them, or add the missing ${parent} rows. List them with SELECT * FROM ${child} c WHERE ${condition}`;
    return { code: 'FOREIGN_KEY_ORPHANS', severity: 'error', object: key.table, message };
  }

  /** `SEQUENCE_BEHIND`: owned sequences whose next value is not past their column's largest. */
  async sequencesBehind(): Promise<IntegrityFinding[]> {
    const findings: IntegrityFinding[] = [];
    for (const row of await this.rows(OWNED_SEQUENCES_SQL)) {
      const finding = await this.sequenceBehind(String(row.table_name), String(row.column_name), String(row.sequence_name), BigInt(String(row.increment)));
      if (finding) findings.push(finding);
    }
    return findings;
  }

  private async sequenceBehind(table: string, column: string, sequence: string, increment: bigint): Promise<IntegrityFinding | undefined> {
    const [qualifiedTable, qualifiedSequence] = [qualifiedName(this.schema, table), qualifiedName(this.schema, sequence)];
    const sql = `SELECT s.last_value::text AS last_value, s.is_called, (SELECT max(t.${quoteIdent(column)}) FROM ${qualifiedTable} t)::text AS max_value FROM ${qualifiedSequence} s`;
    const [row] = await this.db.query<Row>(sql);
    const max = row?.max_value;
    if (row === undefined || typeof max !== 'string' || !/^-?\d+$/.test(max)) return undefined;
    const next = asBoolean(row.is_called) ? BigInt(String(row.last_value)) + increment : BigInt(String(row.last_value));
    if (next > BigInt(max)) return undefined;
    const setval = `SELECT setval(${quoteLiteral(qualifiedSequence)}, (SELECT max(${quoteIdent(column)}) FROM ${qualifiedTable}))`;
    const message = `Sequence ${sequence} of ${table}.${column} is behind: its next value is ${next} but the largest ${column} is ${max}, so inserts that take the default will fail with duplicate keys; run ${setval}`;
    return { code: 'SEQUENCE_BEHIND', severity: 'error', object: table, message };
  }

  /** `FOREIGN_KEY_WITHOUT_INDEX`: foreign keys no index starts with. */
  async unindexedForeignKeys(): Promise<IntegrityFinding[]> {
    return (await this.rows(UNINDEXED_FOREIGN_KEYS_SQL)).map((row) => {
      const [table, name, columns] = [String(row.table_name), String(row.name), asJson<string[]>(row.columns)];
      const message = `Foreign key ${name} on ${table} (${columns.join(', ')}) has no index that starts with its columns, so every delete or key update on the referenced table scans ${table}; run CREATE INDEX CONCURRENTLY ON ${qualifiedName(this.schema, table)} (${columnList(columns)})`;
      return { code: 'FOREIGN_KEY_WITHOUT_INDEX', severity: 'warning', object: table, message };
    });
  }

  /** `TABLE_BLOAT`: tables whose dead rows the statistics estimate above a fifth of the live ones (and over 10,000). */
  async bloatedTables(): Promise<IntegrityFinding[]> {
    const findings: IntegrityFinding[] = [];
    for (const row of await this.rows(TABLE_STATISTICS_SQL)) {
      const [table, live, dead] = [String(row.table_name), Number(row.live), Number(row.dead)];
      const ratio = live > 0 ? dead / live : Infinity;
      if (dead <= BLOAT_MIN_DEAD_ROWS || ratio <= 0.2) continue;
      const share = Number.isFinite(ratio) ? ` (${Math.round(ratio * 100)}% of its ${live.toLocaleString('en-US')} live rows)` : ' and no live rows';
      const message = `Table ${table} has about ${dead.toLocaleString('en-US')} dead rows${share}, an estimate from the statistics in pg_stat_user_tables; run VACUUM (ANALYZE) ${qualifiedName(this.schema, table)} to reclaim the space, and check that autovacuum keeps up with it`;
      findings.push({ code: 'TABLE_BLOAT', severity: ratio > 0.5 ? 'warning' : 'info', object: table, message });
    }
    return findings;
  }
}
