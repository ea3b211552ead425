import { type Migration, abbreviateSql, restrictToBatch, splitInsertSelect, splitSqlStatements, usesBatchParams } from '@mfmig/core';
import type { PlannedOperation } from '../plan/plan-types.js';
import { type StatementInfo, classifyStatement } from './classify-statement.js';
import { declaredTransformations } from './declared-transformations.js';
import { tightenedColumns } from './not-null-columns.js';
import type { TableState } from './table-state.js';

/** Options of {@link extractOperations}. */
export interface ExtractOptions {
  direction: 'up' | 'down';
  /** Source rows above which the transformer runs a transformation in batches outside the migration's transaction. */
  batchThreshold: number;
}

function operation(info: StatementInfo, rows: number, rowsWritten: number, description: string, flags: Record<string, unknown> = {}): PlannedOperation {
  return {
    kind: info.kind,
    table: info.table,
    source: info.source,
    rows,
    rowsWritten,
    statement: abbreviateSql(info.statement, 100),
    description,
    estimatedSeconds: 0,
    blocksWrites: true,
    flags: { ...info.flags, ...flags },
  };
}

type Folded = StatementInfo & { rebuildOf?: string; createSql?: string };

/**
 * Folds a hand-written rebuild into one `table-rebuild` of `t`. Create-first (SQLite's
 * documented order): `CREATE TABLE t2` + `INSERT INTO t2 SELECT ... FROM t` + `DROP TABLE t` +
 * `ALTER TABLE t2 RENAME TO t`. Rename-first: `ALTER TABLE t RENAME TO t_old` + `CREATE TABLE t`
 * + `INSERT INTO t SELECT ... FROM t_old` + `DROP TABLE t_old` (flagged `renamedTo: t_old`:
 * SQLite rewrites the children's REFERENCES to the old name, see the `dangling-foreign-key` rule).
 */
function foldRebuilds(infos: StatementInfo[]): Folded[] {
  const out: Folded[] = [...infos];
  const fold = (create: number, members: number[], table: string, flags: StatementInfo['flags']) => {
    const rebuild: Folded = {
      kind: 'table-rebuild',
      table,
      source: table,
      statement: out[create]!.statement,
      flags,
      rebuildOf: table,
      createSql: out[create]!.statement,
    };
    const remove = new Set(members.filter((i) => i >= 0));
    const at = Math.min(...remove);
    out.splice(0, out.length, ...out.map((s, i) => (i === at ? rebuild : s)).filter((_, i) => i === at || !remove.has(i)));
  };
  const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();
  for (let r = 0; r < out.length; r++) {
    const rename = out[r]!;
    if (rename.kind !== 'rename-table' || !rename.table || !rename.flags.to) continue;
    const from = rename.table;
    const to = rename.flags.to;
    const create = out.findIndex((s, i) => i < r && s.kind === 'create-table' && same(s.table, from));
    const drop = out.findIndex((s, i) => i < r && s.kind === 'drop-table' && same(s.table, to));
    if (create !== -1 && drop !== -1) {
      const copy = out.findIndex((s, i) => i > create && i < r && s.kind === 'insert-select' && same(s.table, from));
      fold(create, [create, drop, r, copy], to, {});
      r = -1;
      continue;
    }
    const recreate = out.findIndex((s, i) => i > r && s.kind === 'create-table' && same(s.table, from));
    const dropOld = out.findIndex((s, i) => i > recreate && recreate !== -1 && s.kind === 'drop-table' && same(s.table, to));
    if (recreate === -1 || dropOld === -1) continue;
    const copy = out.findIndex((s, i) => i > recreate && i < dropOld && s.kind === 'insert-select' && same(s.table, from) && same(s.source, to));
    fold(recreate, [r, recreate, copy, dropOld], from, { renamedTo: to });
    r = -1;
  }
  return out;
}

/**
 * Turns a step's statements and declared transformations into operations with the rows they
 * touch, and carries row counts forward in `state` (created tables start empty, copies and
 * transformations add their source rows, drops remove tables).
 *
 * @example
 * const ops = await extractOperations(migration, statements, state, { direction: 'up', batchThreshold: 10_000 });
 */
export async function extractOperations(migration: Migration, statements: string[], state: TableState, options: ExtractOptions): Promise<PlannedOperation[]> {
  const ops: PlannedOperation[] = [];
  const declared = declaredTransformations(migration.transformations);
  if (options.direction === 'down') {
    for (const t of [...declared].reverse()) {
      const rows = state.rows(t.targetTable);
      ops.push({
        kind: 'transformation',
        table: t.targetTable,
        source: t.targetTable,
        rows,
        rowsWritten: 0,
        statement: t.id,
        description: `reverse transformation ${t.id} on ${t.targetTable} (${rows} rows)`,
        estimatedSeconds: 0,
        blocksWrites: true,
        flags: { reverse: true, reversible: t.reversible, hasReverse: t.reverse !== undefined, transformationType: t.transformationType },
      });
    }
  }
  for (const info of foldRebuilds(statements.map(classifyStatement))) ops.push(...(await toOperations(info, state, migration)));
  if (options.direction === 'up') {
    let batched = false;
    // the transformer runs a one-batch unit over a large source after the migration's transaction too
    let deferred = false;
    const measured = new Map<string, number>();
    for (const t of declared) {
      const key = t.targetTable.toLowerCase();
      const after = state.after(migration.version, t.targetTable);
      const sharing = declared.filter((d) => d.targetTable.toLowerCase() === key && d.transformationType !== 'enrich').length;
      if (after !== undefined && sharing > 0 && !measured.has(key)) measured.set(key, Math.max(0, after - state.rows(t.targetTable)) / sharing);
    }
    for (const t of declared) {
      const rows = state.rows(t.sourceTable);
      // SQL that cannot be split into key ranges (an aggregate, GROUP BY, ...) runs as one batch whatever its policy
      const whole = t.batch === 'never' || !splittable(t);
      batched ||= !whole && (t.batch === 'always' || (t.batch === 'auto' && rows > options.batchThreshold));
      deferred ||= batched || (whole && (t.batch === 'always' || rows > options.batchThreshold));
      const written =
        t.transformationType === 'enrich' ? 0 : Math.round(measured.get(t.targetTable.toLowerCase()) ?? rows * state.fanout(migration.version, t.id));
      state.add(t.targetTable, written);
      ops.push({
        kind: 'transformation',
        table: t.targetTable,
        source: t.sourceTable,
        rows,
        rowsWritten: written,
        statement: t.id,
        description: `${t.transformationType} ${t.sourceTable} -> ${t.targetTable} (${rows} rows${t.transform ? ', row function' : ''}${batched ? ', batched' : ''})`,
        estimatedSeconds: 0,
        blocksWrites: !deferred,
        flags: {
          transformationType: t.transformationType,
          rowFunction: t.transform !== undefined,
          reversible: t.reversible,
          batched,
          wholeBatch: whole,
          batchSize: t.batchSize,
          declaredRows: t.estimatedRows,
          stageable: whole && t.transform === undefined && t.sql !== undefined && splitSqlStatements(t.sql).length === 1 && splitInsertSelect(t.sql) !== null,
        },
      });
    }
  }
  state.settle(migration.version);
  return ops;
}

/**
 * Whether the transformer can run a declared transformation in key ranges of its source: a row
 * function or a generated copy always, SQL when each statement uses `@batchStart`/`@batchEnd` or
 * reads its source row by row (see `restrictToBatch`).
 */
function splittable(t: { transform?: unknown; sql?: string; sourceTable: string }): boolean {
  if (t.transform !== undefined || t.sql === undefined) return true;
  return splitSqlStatements(t.sql).every((s) => usesBatchParams(s) || restrictToBatch(s, t.sourceTable, 'rowid') !== null);
}

async function toOperations(info: Folded, state: TableState, migration: Migration): Promise<PlannedOperation[]> {
  const table = info.table ?? '';
  switch (info.kind) {
    case 'create-table': {
      const rows = info.source ? state.rows(info.source) : 0;
      state.set(table, rows);
      return [operation(info, rows, rows, `create table ${table}${rows ? ` from ${info.source} (${rows} rows)` : ''}`)];
    }
    case 'drop-table': {
      const rows = state.rows(table);
      state.drop(table);
      return [operation(info, rows, 0, `drop table ${table} (${rows} rows)`)];
    }
    case 'rename-table': {
      const rows = state.rows(table);
      state.rename(table, info.flags.to ?? table);
      return [operation(info, rows, 0, `rename table ${table} to ${info.flags.to}`)];
    }
    case 'table-rebuild': {
      const rows = state.rows(table);
      const tightened = await tightenedColumns(state.live, table, info.createSql ?? '');
      const order = info.flags.renamedTo ? `, rename-first via ${info.flags.renamedTo}` : '';
      return [
        operation(
          info,
          rows,
          rows,
          `rebuild table ${table} (${rows} rows, copied with foreign keys ${migration.foreignKeys === 'off' ? 'off' : 'on'}${order})`,
          { tightened },
        ),
      ];
    }
    case 'create-index': {
      const target = info.table ?? '';
      state.indexCreated(info.flags.to ?? '', target);
      const rows = state.rows(target);
      return [operation(info, rows, 0, `create ${info.flags.unique ? 'unique ' : ''}index ${info.flags.to} on ${target} (${rows} rows)`)];
    }
    case 'drop-index': {
      const target = state.indexTable(info.flags.to ?? '');
      return [operation({ ...info, table: target }, target ? state.rows(target) : 0, 0, `drop index ${info.flags.to}`)];
    }
    case 'add-column':
    case 'drop-column':
    case 'rename-column': {
      const rows = state.rows(table);
      const verb = info.kind === 'add-column' ? 'add' : info.kind === 'drop-column' ? 'drop' : 'rename';
      return [operation(info, rows, 0, `${verb} column ${table}.${info.flags.column} (${rows} rows)`)];
    }
    case 'insert-select': {
      const rows = info.source ? state.rows(info.source) : 0;
      state.add(table, rows);
      return [operation(info, rows, rows, `insert into ${table} from ${info.source ?? 'a query'} (${rows} rows)`)];
    }
    case 'insert-values': {
      const rows = info.flags.tuples ?? 1;
      state.add(table, rows);
      return [operation(info, rows, rows, `insert ${rows} row(s) into ${table}`)];
    }
    case 'update':
    case 'delete': {
      const rows = state.rows(table);
      if (info.kind === 'delete' && !info.flags.hasWhere) state.set(table, 0);
      return [operation(info, rows, 0, `${info.kind} ${info.flags.hasWhere ? 'some' : 'all'} rows of ${table} (${rows} rows)`)];
    }
    default:
      return [operation(info, 0, 0, `${info.kind.replace('-', ' ')} ${table}`.trim())];
  }
}
