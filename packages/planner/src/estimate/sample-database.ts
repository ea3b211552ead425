import { type SqliteConnection, type SqliteIntrospector, copySqliteRows, quoteIdentifier } from '@mfmig/core';
import type { SqliteCatalogReader } from '../analysis/foreign-key-graph.js';
import { copySchema } from '../analysis/schema-copy.js';

/**
 * Tables of at most this many rows (with no sampled parent) are copied whole: they are lookup
 * tables (roles, categories, settings) that migrations join against by value, and a 1-in-100
 * sample of six roles keeps none of them, so a rehearsal of a step that grants one fails.
 */
const WHOLE_TABLE_ROWS = 1000;

interface ForeignKey {
  table: string;
  from: string;
  to: string | null;
}

/**
 * Names of the user tables of a database (no `sqlite_`, `mfmig_`, shadow or virtual tables), parents before children,
 * read synchronously by its introspector (a `SqliteConnection`'s).
 *
 * @example
 * tablesParentsFirst(conn).map((t) => t.name); // ['kb_entries', 'kb_feedback', 'kb_tags']
 */
export function tablesParentsFirst(db: SqliteCatalogReader): { name: string; fks: ForeignKey[] }[] {
  const catalog = db.introspector;
  // SQLite's LIKE 'sqlite\_%' ignores the case of ASCII letters; substr(name, 1, 6) <> 'mfmig_' does not
  const rows = catalog
    .tableListSync()
    .filter((t) => t.type === 'table' && !/^sqlite_/i.test(t.name) && !t.name.startsWith('mfmig_'))
    .map((t) => t.name);
  const tables = rows.map((name) => ({
    name,
    fks: foreignKeyColumns(catalog, name).filter((fk) => fk.table.toLowerCase() !== name.toLowerCase()),
  }));
  const ordered: typeof tables = [];
  const done = new Set<string>();
  while (ordered.length < tables.length) {
    const ready = tables.filter(
      (t) =>
        !done.has(t.name) &&
        t.fks.every(
          (fk) => done.has(fk.table) || !tables.some((o) => o.name.toLowerCase() === fk.table.toLowerCase()) || fk.table.toLowerCase() === t.name.toLowerCase(),
        ),
    );
    const next = ready.length > 0 ? ready : tables.filter((t) => !done.has(t.name)).slice(0, 1);
    for (const t of next) {
      ordered.push(t);
      done.add(t.name);
    }
  }
  return ordered;
}

/**
 * Builds a scaled-down copy of a database in `path`: the same schema, history and journal
 * mode, the first `fraction` of each table that has no sampled parent (all of it up to
 * 1,000 rows), and of every child table exactly the rows whose parents were sampled (so foreign
 * keys hold; fraction 0 copies the schema alone, with no rows), with a page cache
 * of `cacheKiB` (the planner scales the live cache by the same fraction).
 *
 * @example
 * const sample = await buildSampleDatabase(conn, '/tmp/sample.db', 0.01, 160);
 */
export async function buildSampleDatabase(live: SqliteConnection, path: string, fraction: number, cacheKiB: number): Promise<SqliteConnection> {
  const sample = await copySchema(live, path);
  try {
    const journal = await live.journalMode();
    if (journal === 'wal' || journal === 'delete' || journal === 'truncate' || journal === 'persist') await sample.execute(`PRAGMA journal_mode = ${journal}`);
    await sample.execute('PRAGMA foreign_keys = OFF');
    const sampled = new Set<string>();
    const liveCatalog = live.introspector;
    // the sample's tables, not the live ones: the copy has no shadow table of a killed online rebuild
    for (const table of fraction > 0 ? tablesParentsFirst(sample) : []) {
      const restrictedBy = table.fks.filter((fk) => sampled.has(fk.table.toLowerCase()));
      // generated columns (hidden 2 and 3) are computed, never inserted
      const columns = (await liveCatalog.columns(table.name)).filter((c) => c.hidden !== 2 && c.hidden !== 3).map((c) => quoteIdentifier(c.name));
      const name = quoteIdentifier(table.name);
      let select: string;
      const params: unknown[] = [];
      if (restrictedBy.length > 0) {
        const conditions: string[] = [];
        for (const fk of restrictedBy) {
          const parentKey = fk.to ?? (await primaryKey(live, fk.table));
          // the keys as the driver reads them (not exact beyond 2^53), as the children's keys are compared in json_each
          const keys: unknown[] = [];
          await sample.forEachRow(`SELECT DISTINCT ${quoteIdentifier(parentKey)} AS k FROM ${quoteIdentifier(fk.table)}`, [], (row) => keys.push(row.k));
          params.push(JSON.stringify(keys));
          conditions.push(`(${quoteIdentifier(fk.from)} IS NULL OR ${quoteIdentifier(fk.from)} IN (SELECT value FROM json_each(?)))`);
        }
        select = `SELECT ${columns.join(', ')} FROM ${name} WHERE ${conditions.join(' AND ')}`;
      } else {
        const [counted] = await live.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`);
        const total = Number(counted?.n ?? 0);
        const limit = total <= WHOLE_TABLE_ROWS ? total : Math.ceil(total * fraction);
        select = `SELECT ${columns.join(', ')} FROM ${name} LIMIT ${limit}`;
        // a table copied whole does not restrict its children
        if (limit < total) sampled.add(table.name.toLowerCase());
      }
      if (restrictedBy.length > 0 && fraction < 1) sampled.add(table.name.toLowerCase());
      await copySqliteRows(live, select, params, sample, `INSERT INTO ${name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    }
    await sample.execute('PRAGMA foreign_keys = ON');
    await sample.execute(`PRAGMA cache_size = -${Math.max(64, Math.round(cacheKiB))}`);
    return sample;
  } catch (error) {
    await sample.close();
    throw error;
  }
}

/** One row per column of each foreign key of `table` (parent, child column, parent column or null), by key and position. */
function foreignKeyColumns(catalog: SqliteIntrospector, table: string): ForeignKey[] {
  return catalog.foreignKeyListSync(table).flatMap((fk) => fk.from.map((from, i) => ({ table: fk.parent, from, to: fk.to[i] ?? null })));
}

async function primaryKey(db: SqliteConnection, table: string): Promise<string> {
  return (await db.introspector.columns(table)).find((c) => c.pk === 1)?.name ?? 'rowid';
}
