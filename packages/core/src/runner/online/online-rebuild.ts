import type { DatabaseAdapter } from '../../adapter/index.js';
import type { SqliteConnection } from '../../adapter/sqlite-connection.js';
import { quoteIdentifier } from '../../adapter/quote.js';
import { BATCH_END_PARAM, BATCH_START_PARAM, restrictToBatch } from '../../adapter/batch-range.js';
import { tokenizeSql } from '../../adapter/sql-tokens.js';
import { inWriteTurn } from '../../adapter/write-turn.js';
import { MfmigError } from '../../errors/index.js';
import type { OperationProgress } from '../../events/index.js';
import { type Migration, prepareSqlSection, transactionModeOf } from '../../migration/index.js';
import { BatchPacer, type BatchPacing } from '../batch-pacer.js';
import { readForeignKeys } from '../safety/foreign-key-facts.js';
import { type RebuildPattern, findRebuild, hasRebuildShape } from './rebuild-pattern.js';
import { type OnlineState, clearOnlineState, onlineStateOf, saveOnlineState } from './online-state.js';

/** Options of {@link runOnlineCopy}. */
export interface OnlineRebuildOptions {
  pacing: BatchPacing;
  onProgress?: (progress: OperationProgress) => void;
  signal?: AbortSignal;
}

/** Swap migrations made by {@link runOnlineCopy}: the runner skips its whole-database FK scan for them (the swap checks the key sets itself). */
export const ONLINE_SWAPS = new WeakSet<Migration>();

/**
 * The table rebuild a migration performs, when it is one mfmig can run online: an up SQL
 * migration in a transaction, of the shape {@link findRebuild} knows, over a table holding at
 * least `minRows` rows, whose children stay valid (foreign keys off for the file, or no child).
 */
export function onlineRebuildOf(adapter: DatabaseAdapter, m: Migration, minRows: number): RebuildPattern | null {
  const statements = rebuildStatementsOf(m);
  if (!statements) return null;
  // the shadow a killed run left is no obstacle: runOnlineCopy drops it and starts over
  const leftover = onlineStateOf(adapter, m.version);
  const isLeftover = (table: string) => leftover !== null && leftover.shadow.toLowerCase() === table.toLowerCase();
  const pattern = findRebuild(statements, (table) => (isLeftover(table) ? null : integerKeyOf(adapter, table)));
  if (!pattern) return null;
  if (adapter.tableExists(pattern.shadow) && !isLeftover(pattern.shadow)) return null;
  const children = readForeignKeys(adapter).filter(
    (fk) => fk.parent.toLowerCase() === pattern.table.toLowerCase() && fk.table.toLowerCase() !== pattern.table.toLowerCase(),
  );
  if (children.length > 0 && m.connection.up.foreignKeys !== 'off') return null;
  // a leftover is finished online whatever the table holds now: run as written, the migration would meet its shadow
  return leftover !== null || adapter.hasMoreRowsThan(pattern.table, minRows - 1) ? pattern : null;
}

/**
 * {@link onlineRebuildOf} through a connection on the async boundary: what a plan reads to say
 * which step the runner will rebuild online.
 *
 * @example
 * (await onlineRebuildOn(ctx.connection, migration, 0))?.table; // 'kb_entries' for 0009
 */
export async function onlineRebuildOn(conn: SqliteConnection, m: Migration, minRows: number): Promise<RebuildPattern | null> {
  return onlineRebuildOf(conn.adapter, m, minRows);
}

/** The up statements of a migration that may be a table rebuild run online (read from its text alone), or null. */
function rebuildStatementsOf(m: Migration): string[] | null {
  if (m.kind !== 'sql' || !m.upSql || m.metadataOnly || transactionModeOf(m, 'up') !== 'immediate') return null;
  const { statements } = prepareSqlSection(m.upSql, { transactional: true, foreignKeys: m.connection.up.foreignKeys, where: m.file });
  return hasRebuildShape(statements) ? statements : null;
}

/**
 * True when the migration's up SQL has the shape of a table rebuild (see `findRebuild`), read
 * without the database: for every other migration the runner skips {@link onlineRebuildOf}'s reads.
 *
 * @example
 * if (mayRebuildOnline(m)) pattern = onlineRebuildOf(adapter, m, 10_000);
 */
export function mayRebuildOnline(m: Migration): boolean {
  return rebuildStatementsOf(m) !== null;
}

/**
 * Runs the long part of a table rebuild while the application keeps writing, and returns the
 * migration that finishes it (the swap), to run in the migration's usual transaction:
 *
 * 1. one short transaction creates the shadow table (the migration's own CREATE TABLE), builds
 *    the indexes the migration creates on the rebuilt table on the shadow instead (dropping the
 *    old table's index of the same name), and adds triggers that carry every insert, update and
 *    delete of the table to the shadow through the migration's own copy statement;
 * 2. the copy runs in batches by primary key, each a short transaction (see `BatchPacer`);
 * 3. the shadow's own foreign keys are checked outside any write transaction;
 * 4. the swap transaction checks that the shadow holds exactly the rows the copy selects, then
 *    runs the rest of the migration: its leading drops, DROP TABLE, the rename, its views and
 *    triggers. It commits with the history row.
 *
 * A crash before the swap commits leaves the old table complete and the migration not applied;
 * `mfmig_online` remembers the shadow, and the next run drops it (restoring the indexes it moved)
 * before starting over. A crash after leaves the new table complete and the migration applied.
 */
export async function runOnlineCopy(adapter: DatabaseAdapter, m: Migration, pattern: RebuildPattern, options: OnlineRebuildOptions): Promise<Migration> {
  const key = integerKeyOf(adapter, pattern.table)!;
  const leftover = onlineStateOf(adapter, m.version);
  const moved = leftover ? leftover.movedIndexes : [];
  if (leftover) await inWriteTurn(adapter, () => dropShadow(adapter, leftover));
  await inWriteTurn(adapter, () => {
    const catalog = adapter.introspector;
    const movedNow = pattern.indexNames.flatMap((name) => {
      const sql = catalog.catalogSync({ type: 'index', name, table: pattern.table })[0]?.sql;
      if (!sql) return [];
      adapter.runScript(`DROP INDEX ${quoteIdentifier(name)}`);
      return [sql];
    });
    saveOnlineState(adapter, { version: m.version, table: pattern.table, shadow: pattern.shadow, movedIndexes: [...moved, ...movedNow] });
    adapter.runScript(pattern.createShadow);
    for (const sql of pattern.indexes) adapter.runScript(onTable(sql, pattern.shadow));
    for (const sql of triggersFor(pattern, key)) adapter.runScript(sql);
  });
  await copyInBatches(adapter, pattern, key, options);
  const violations = adapter.foreignKeyCheck(pattern.shadow);
  if (violations.length > 0) {
    await inWriteTurn(adapter, () => abandon(adapter, m.version));
    throw new MfmigError(
      'MIGRATION_FAILED',
      `the rebuilt ${pattern.table} would hold ${violations.length} row(s) whose foreign keys point at missing rows; rolled back`,
      {
        context: { check: 'foreign-key-violation', table: pattern.table },
      },
    );
  }
  return swapMigration(m, pattern);
}

/** Drops what a run that never reached its swap left (shadow, triggers) and puts the indexes it moved back on the table. */
export function abandon(adapter: DatabaseAdapter, version: number): void {
  const state = onlineStateOf(adapter, version);
  if (!state) return;
  dropShadow(adapter, state);
  for (const sql of state.movedIndexes) adapter.runScript(sql);
}

function dropShadow(adapter: DatabaseAdapter, state: OnlineState): void {
  for (const event of ['insert', 'update', 'delete']) adapter.runScript(`DROP TRIGGER IF EXISTS ${quoteIdentifier(triggerName(state.table, event))}`);
  adapter.runScript(`DROP TABLE IF EXISTS ${quoteIdentifier(state.shadow)}`);
  clearOnlineState(adapter, state.version);
}

async function copyInBatches(adapter: DatabaseAdapter, pattern: RebuildPattern, key: string, options: OnlineRebuildOptions): Promise<void> {
  const table = quoteIdentifier(pattern.table);
  const k = quoteIdentifier(key);
  // keys as bigints: a JS number rounds those beyond 2^53, and a rounded last key leaves the rows above it uncopied
  const [lo, hi, rows] = adapter.prepare(`SELECT min(${k}), max(${k}), count(*) FROM ${table}`).raw().safeIntegers().get() as [
    bigint | null,
    bigint | null,
    bigint,
  ];
  if (lo === null || hi === null) return;
  const bounds = { lo, hi, n: Number(rows) };
  const copy = adapter.prepare(replacing(restrictToBatch(pattern.copy, pattern.table, key)!));
  const nextEnd = adapter.prepare(`SELECT ${k} FROM ${table} WHERE ${k} > ? AND ${k} <= ? ORDER BY ${k} LIMIT 1 OFFSET ?`).pluck().safeIntegers();
  const pacer = new BatchPacer(options.pacing, 100_000);
  const started = performance.now();
  let after = bounds.lo - 1n;
  let done = 0;
  while (after < bounds.hi) {
    if (options.signal?.aborted)
      throw new MfmigError('INTERRUPTED', `Rebuild of ${pattern.table} interrupted after ${done} rows; run again to start it over (the table is untouched)`);
    const size = pacer.size;
    const t0 = performance.now();
    const end = await inWriteTurn(adapter, () => {
      const at = (nextEnd.get(after, bounds.hi, size - 1) as bigint | undefined) ?? bounds.hi;
      copy.run({ [BATCH_START_PARAM]: after, [BATCH_END_PARAM]: at });
      return at;
    });
    pacer.record(size, performance.now() - t0);
    done = Math.min(bounds.n, done + size);
    after = end;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    options.onProgress?.({
      operation: `rebuild ${pattern.table}`,
      done,
      total: bounds.n,
      unit: 'rows',
      ratePerSecond: rate,
      etaMs: rate > 0 ? ((bounds.n - done) / rate) * 1000 : null,
    });
    if (after < bounds.hi) await pacer.pause();
  }
}

/** The migration that finishes the rebuild: checks the shadow's rows, then the statements around the copy. */
function swapMigration(m: Migration, pattern: RebuildPattern): Migration {
  const statements = [
    ...pattern.before,
    `DROP TABLE ${quoteIdentifier(pattern.table)}`,
    `ALTER TABLE ${quoteIdentifier(pattern.shadow)} RENAME TO ${quoteIdentifier(pattern.table)}`,
    ...pattern.after,
  ];
  const select = selectPart(pattern.copy);
  const swap: Migration = {
    ...m,
    upSql: statements.join(';\n'),
    up: async (_db, ctx) => {
      const expected = Number(ctx.adapter.prepare(`SELECT count(*) FROM (${select})`).pluck().get());
      const copied = Number(
        ctx.adapter
          .prepare(`SELECT count(*) FROM ${quoteIdentifier(pattern.shadow)}`)
          .pluck()
          .get(),
      );
      if (expected !== copied) {
        throw new MfmigError(
          'MIGRATION_FAILED',
          `the online copy of ${pattern.table} holds ${copied} rows where the copy selects ${expected}; rolled back (run again to start the rebuild over)`,
          {
            context: { check: 'online-copy', table: pattern.table },
          },
        );
      }
      await ctx.exec(statements.join(';\n'));
      clearOnlineState(ctx.adapter, m.version);
    },
  };
  ONLINE_SWAPS.add(swap);
  return swap;
}

/** Triggers that carry each change of the table to the shadow, through the migration's copy. */
function triggersFor(pattern: RebuildPattern, key: string): string[] {
  const t = quoteIdentifier(pattern.table);
  const s = quoteIdentifier(pattern.shadow);
  const k = quoteIdentifier(key);
  const copyRow = (row: 'NEW') =>
    replacing(restrictToBatch(pattern.copy, pattern.table, key)!)
      .replaceAll(`@${BATCH_START_PARAM}`, `(${row}.${k} - 1)`)
      .replaceAll(`@${BATCH_END_PARAM}`, `${row}.${k}`);
  const name = (event: string) => quoteIdentifier(triggerName(pattern.table, event));
  return [
    `CREATE TRIGGER ${name('insert')} AFTER INSERT ON ${t} BEGIN ${copyRow('NEW')}; END`,
    `CREATE TRIGGER ${name('update')} AFTER UPDATE ON ${t} BEGIN DELETE FROM ${s} WHERE ${k} = OLD.${k}; ${copyRow('NEW')}; END`,
    `CREATE TRIGGER ${name('delete')} AFTER DELETE ON ${t} BEGIN DELETE FROM ${s} WHERE ${k} = OLD.${k}; END`,
  ];
}

function triggerName(table: string, event: string): string {
  return `mfmig_online_${table}_${event}`;
}

/** `INSERT INTO` becomes `INSERT OR REPLACE INTO`: a row the triggers carried over is written again, as it is now. */
function replacing(sql: string): string {
  const insert = tokenizeSql(sql).find((t) => t.kind === 'word' && t.value === 'INSERT')!;
  return `${sql.slice(0, insert.end)} OR REPLACE${sql.slice(insert.end)}`;
}

/** The SELECT of `INSERT INTO x (...) SELECT ...`. */
function selectPart(sql: string): string {
  const select = tokenizeSql(sql).find((t) => t.depth === 0 && t.kind === 'word' && t.value === 'SELECT')!;
  return sql.slice(select.start);
}

/** `CREATE INDEX name ON table (...)` on another table. */
function onTable(sql: string, table: string): string {
  const tokens = tokenizeSql(sql);
  const on = tokens.findIndex((t) => t.depth === 0 && t.kind === 'word' && t.value === 'ON');
  const name = tokens[on + 1]!;
  return `${sql.slice(0, name.start)}${quoteIdentifier(table)}${sql.slice(name.end)}`;
}

/** The table's INTEGER PRIMARY KEY column (its rowid), or null. */
function integerKeyOf(adapter: DatabaseAdapter, table: string): string | null {
  if (!adapter.tableExists(table)) return null;
  const keys = adapter.columnsOf(table).filter((c) => c.pk > 0);
  return keys.length === 1 && keys[0]!.type.toUpperCase() === 'INTEGER' ? keys[0]!.name : null;
}
