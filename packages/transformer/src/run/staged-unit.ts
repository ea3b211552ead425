import {
  type BatchPacing,
  DEFAULT_PACING,
  type InsertSelectParts,
  type SqliteConnection,
  quoteIdentifier,
  splitInsertSelect,
  stagedReadOf,
  usesBatchParams,
} from '@mfmig/core';
import { countRows } from '../connection/connection-queries.js';
import type { PreparedUnit } from './prepared-unit.js';
import { type TableCopy, type TableRead, overCopies, readsOnlyCopies, tableCopies } from './table-copies.js';
import { transformationError } from './statement-runner.js';

/** The table that counts the application's writes to the tables a staged query reads. */
const WATCH_TABLE = 'mfmig_watch';
const WATCH_TRIGGER_PREFIX = `${WATCH_TABLE}_`;
const STAGE_TABLE = 'mfmig_stage';
/** Stagings tried before the unit runs holding the lock instead. */
const STAGE_ATTEMPTS = 3;

/**
 * A whole unit that can run staged: its one statement, the tables its query reads, and how its
 * query sees a consistent state without holding a lock that stops the application's commits.
 * `snapshot` (WAL): one read transaction. `copies` (rollback journal, where any reader stops
 * commits): the columns it reads are copied into TEMP tables of the same names in short
 * batches, and the query reads those.
 */
export interface StagedPlan {
  parts: InsertSelectParts;
  tables: string[];
  strategy: 'snapshot' | 'copies';
  /** For `copies`: each table's columns the query reads. */
  copies: TableCopy[];
}

/**
 * Whether a unit that runs as one batch can run staged, and how (see {@link StagedPlan}). It can
 * when the unit is one `INSERT ... SELECT` whose query reads only tables of the main database,
 * outside the caller's own transaction, in WAL mode or, over copies, with a rollback journal.
 *
 * @example
 * const plan = await stagedPlanOf(conn, prepared); // null: run it holding the write lock
 */
export async function stagedPlanOf(conn: SqliteConnection, p: PreparedUnit): Promise<StagedPlan | null> {
  // inside the caller's transaction there is no lock to leave
  if (conn.inTransaction || p.rowFn || p.statements.length !== 1 || usesBatchParams(p.statements[0]!)) return null;
  const strategy = stagedReadOf(await conn.journalMode());
  if (strategy === null) return null;
  const parts = splitInsertSelect(p.statements[0]!);
  if (!parts) return null;
  const read = await readsOf(conn, parts.select);
  if (!read || read.length === 0) return null;
  const tables = read.map((r) => r.table);
  if (strategy === 'snapshot') return { parts, tables, strategy, copies: [] };
  const copies = await tableCopies(conn, read, parts.select);
  return copies && (await readsOnlyCopies(conn, parts.select, copies)) ? { parts, tables, strategy, copies } : null;
}

/**
 * The main-database tables a query reads and their columns, from its compiled program: each
 * `OpenRead` names a b-tree by root page (a table, or an index of one), and each `Column` a
 * column of an open cursor. Null when the query reads something that cannot be watched (a
 * virtual table, the schema, another attached database) or does not compile.
 */
export async function readsOf(conn: SqliteConnection, select: string): Promise<TableRead[] | null> {
  let program: { opcode: string; p1: number; p2: number; p3: number }[];
  try {
    program = await conn.query<(typeof program)[number]>(`EXPLAIN ${select}`);
  } catch {
    return null;
  }
  const catalog = conn.introspector;
  const objects = new Map<number, { name: string; table: string; type: string }>();
  for (const row of (await catalog.catalog()).filter((r) => r.rootpage > 0)) {
    objects.set(row.rootpage, { name: row.name, table: row.type === 'index' ? row.tbl_name : row.name, type: row.type });
  }
  const reads = new Map<string, TableRead>();
  const cursors = new Map<number, { read: TableRead; indexColumns?: number[] }>();
  for (const op of program) {
    if (op.opcode.startsWith('VOpen') || op.opcode === 'VFilter') return null;
    if (op.opcode === 'OpenRead' || op.opcode === 'ReopenIdx') {
      if (op.p3 === 1) continue; // the connection's own TEMP tables
      const object = op.p3 === 0 && op.p2 !== 1 ? objects.get(op.p2) : undefined;
      if (object === undefined) return null;
      let read = reads.get(object.table);
      if (!read) reads.set(object.table, (read = { table: object.table, columns: new Set(), all: false }));
      const indexColumns = object.type === 'index' ? (await catalog.indexColumns(object.name)).map((c) => c.cid) : undefined;
      if (indexColumns?.includes(-2)) read.all = true; // an expression index: its columns cannot be told
      // a seek on an index reads its key columns without a Column instruction
      for (const cid of indexColumns ?? []) if (cid >= 0) read.columns.add(cid);
      cursors.set(op.p1, { read, indexColumns });
    } else if (op.opcode === 'Column') {
      const cursor = cursors.get(op.p1);
      if (!cursor) continue;
      const cid = cursor.indexColumns ? cursor.indexColumns[op.p2] : op.p2;
      if (cid !== undefined && cid >= 0) cursor.read.columns.add(cid);
    }
  }
  return [...reads.values()];
}

/** What a staged run did. */
export interface StagedOutcome {
  rowsRead: number;
  rowsWritten: number;
}

/**
 * Runs a unit's `INSERT ... SELECT` without holding the write lock while its query runs.
 *
 * 1. A short transaction adds triggers that count every write to the tables the query reads.
 * 2. The query runs in a read transaction into a TEMP table, with the count read in the same
 *    snapshot. In WAL mode the application keeps committing meanwhile.
 * 3. A short write transaction inserts the staged rows, if the count has not moved (nothing the
 *    query read has changed since its snapshot, so its rows are those it would give now), drops
 *    the triggers and runs `commit` (the caller's cursor) with what was written.
 *
 * When the application changed what the query reads, the query is staged again; after
 * {@link STAGE_ATTEMPTS} tries this returns null and the caller runs the unit holding the lock.
 * The triggers are named `mfmig_watch_*`; a run killed between 1 and 3 leaves them, and
 * {@link dropWatch} (run before every staging, and by the plugin before every run) removes them.
 *
 * @example
 * const done = await runStaged(conn, prepared, plan, async (s) => cursors.save(done(s)));
 */
export async function runStaged(
  conn: SqliteConnection,
  p: PreparedUnit,
  plan: StagedPlan,
  commit: (outcome: StagedOutcome) => Promise<void>,
  options: StageOptions = {},
): Promise<StagedOutcome | null> {
  await conn.writeTurn(async () => {
    await dropWatch(conn);
    await createWatch(conn, plan.tables);
  });
  try {
    for (let attempt = 0; attempt < STAGE_ATTEMPTS; attempt++) {
      const staged = plan.strategy === 'snapshot' ? await stage(conn, p, plan) : await stageFromCopies(conn, p, plan, options);
      try {
        const outcome = await conn.writeTurn(async () => {
          if ((await watchedChanges(conn)) !== staged.changes) return null;
          const written = await runApply(conn, p, plan);
          await dropWatch(conn);
          const result = { rowsRead: staged.rowsRead, rowsWritten: written };
          await commit(result);
          return result;
        });
        if (outcome) return outcome;
      } finally {
        await conn.execute(`DROP TABLE IF EXISTS temp.${STAGE_TABLE}`);
      }
    }
    return null;
  } finally {
    if (await hasWatch(conn)) await conn.writeTurn(() => dropWatch(conn));
  }
}

/** Pacing of the copies' batches (rollback journal), and interruption. */
export interface StageOptions {
  pacing?: BatchPacing;
  signal?: AbortSignal;
}

/**
 * Copies the columns the query reads into TEMP tables of the same names, in short paced reads,
 * runs the query against them into the TEMP stage table, and drops them (before anything else
 * runs on the connection: unqualified names resolve to them meanwhile). Returns the write count
 * read before the first copy: any change of a copied table after it moves the count.
 */
async function stageFromCopies(
  conn: SqliteConnection,
  p: PreparedUnit,
  plan: StagedPlan,
  options: StageOptions,
): Promise<{ changes: number; rowsRead: number }> {
  await conn.execute(`DROP TABLE IF EXISTS temp.${STAGE_TABLE}`);
  const changes = await watchedChanges(conn);
  const fill = { pacing: options.pacing ?? DEFAULT_PACING, maxRows: p.batchSize, signal: options.signal };
  return overCopies(conn, plan.copies, fill, async (copied) => {
    try {
      await conn.execute(`CREATE TEMP TABLE ${STAGE_TABLE} AS ${plan.parts.select}`);
    } catch (error) {
      throw transformationError(error, p.unit.id, p.statements[0]);
    }
    return { changes, rowsRead: copied.get(plan.copies.find((c) => c.table.toLowerCase() === p.t.sourceTable.toLowerCase())?.table ?? '') ?? 0 };
  });
}

/** Runs the query into the TEMP stage table in one read transaction; returns the write count it saw. */
async function stage(conn: SqliteConnection, p: PreparedUnit, plan: StagedPlan): Promise<{ changes: number; rowsRead: number }> {
  await conn.execute(`DROP TABLE IF EXISTS temp.${STAGE_TABLE}`);
  // a read transaction (SQLite's DEFERRED): the count and the query see one snapshot, and a WAL
  // reader never stops the application's commits
  await conn.execute('BEGIN DEFERRED');
  try {
    const changes = await watchedChanges(conn);
    const rowsRead = await countRows(conn, p.t.sourceTable);
    try {
      await conn.execute(`CREATE TEMP TABLE ${STAGE_TABLE} AS ${plan.parts.select}`);
    } catch (error) {
      throw transformationError(error, p.unit.id, p.statements[0]);
    }
    await conn.execute('COMMIT');
    return { changes, rowsRead };
  } catch (error) {
    if (conn.inTransaction) await conn.execute('ROLLBACK');
    throw error;
  }
}

async function runApply(conn: SqliteConnection, p: PreparedUnit, plan: StagedPlan): Promise<number> {
  // `WHERE true`: an upsert after a bare `SELECT ... FROM t` would read as a join's ON
  const sql = `${plan.parts.insert}SELECT * FROM temp.${STAGE_TABLE} WHERE true ${plan.parts.upsert}`;
  try {
    return await conn.execute(sql);
  } catch (error) {
    throw transformationError(error, p.unit.id, p.statements[0]);
  }
}

/** Creates the watch table and, on each table, the triggers that count writes to it (in the caller's write transaction). */
export async function createWatch(conn: SqliteConnection, tables: string[]): Promise<void> {
  await conn.execute(`CREATE TABLE ${WATCH_TABLE} (changes INTEGER NOT NULL)`);
  await conn.execute(`INSERT INTO ${WATCH_TABLE} VALUES (0)`);
  for (const [i, table] of tables.entries()) {
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      const name = quoteIdentifier(`${WATCH_TRIGGER_PREFIX}${i}_${event.toLowerCase()}`);
      await conn.execute(`CREATE TRIGGER ${name} AFTER ${event} ON ${quoteIdentifier(table)} BEGIN UPDATE ${WATCH_TABLE} SET changes = changes + 1; END`);
    }
  }
}

/** The count of writes to the watched tables so far. */
export async function watchedChanges(conn: SqliteConnection): Promise<number> {
  const [row] = await conn.query<{ changes: number | bigint }>(`SELECT changes FROM ${WATCH_TABLE}`);
  return Number(row?.changes);
}

/** The watch triggers and their table, in catalog order (names compared as spelt: mfmig made them). */
async function watchObjects(conn: SqliteConnection): Promise<{ type: string; name: string }[]> {
  return (await conn.introspector.catalog()).filter(
    (o) => (o.type === 'trigger' && o.name.startsWith(WATCH_TRIGGER_PREFIX)) || (o.type === 'table' && o.name === WATCH_TABLE),
  );
}

/** True when watch triggers or their table exist (a staging is under way, or a kill left them). */
export async function hasWatch(conn: SqliteConnection): Promise<boolean> {
  return (await watchObjects(conn)).length > 0;
}

/** Drops the watch triggers and their table, in the caller's write transaction. */
export async function dropWatch(conn: SqliteConnection): Promise<void> {
  const objects = await watchObjects(conn);
  for (const o of objects.filter((x) => x.type === 'trigger')) await conn.execute(`DROP TRIGGER IF EXISTS ${quoteIdentifier(o.name)}`);
  await conn.execute(`DROP TABLE IF EXISTS ${WATCH_TABLE}`);
}
