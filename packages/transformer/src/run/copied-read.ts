import { type BatchPacing, type DatabaseAdapter, DEFAULT_PACING, inWriteTurn, stagedReadOf } from '@mfmig/core';
import { createWatch, dropWatch, hasWatch, readsOf, watchedChanges } from './staged-unit.js';
import { type TableRead, overCopies, readsOnlyCopies, tableCopies } from './table-copies.js';

/** Copies tried before the caller reads the live file instead. */
const COPY_ATTEMPTS = 3;

/** Options of {@link readOverCopies}. */
export interface CopiedReadOptions {
  pacing?: BatchPacing;
  /** Rows per copy batch at most. */
  maxRows: number;
  signal?: AbortSignal;
}

/**
 * Runs `read` for each query against TEMP copies of what the queries read, so that long reads
 * of a rollback-journal database do not stop the application's commits for their whole length
 * (there every reader does). As a staged query does (see `runStaged`): triggers count the
 * application's writes to the tables read, the columns the queries read are copied once for all
 * of them, in short paced batches, `read` runs while the copies hide the tables of the same
 * names, and the values are kept only if no write landed meanwhile (the copies were then one
 * consistent state). Otherwise it copies again, {@link COPY_ATTEMPTS} times in all.
 *
 * Returns the value of each query it could read so. The caller reads the others on the live
 * file: every query in another journal mode, inside a transaction (its own writes must be
 * seen), or after a write during every try; a query the copies cannot answer faithfully (see
 * `tableCopies`) or that fails on them.
 *
 * @example
 * const known = await readOverCopies(adapter, [sql], (q) => db.prepare(q).pluck().get(), { maxRows: 100_000 });
 * const value = known.has(sql) ? known.get(sql) : db.prepare(sql).pluck().get();
 */
export async function readOverCopies(
  adapter: DatabaseAdapter,
  selects: string[],
  read: (select: string) => unknown,
  options: CopiedReadOptions,
): Promise<Map<string, unknown>> {
  const db = adapter;
  const values = new Map<string, unknown>();
  if (db.inTransaction || stagedReadOf(db.journalMode()) !== 'copies') return values;
  const answerable = new Map<string, TableRead[]>();
  for (const select of selects) {
    const reads = readsOf(db, select);
    const copies = reads && reads.length > 0 ? tableCopies(db, reads, select) : null;
    if (copies && readsOnlyCopies(db, select, copies)) answerable.set(select, reads!);
  }
  if (answerable.size === 0) return values;
  const reads = mergeReads([...answerable.values()].flat());
  // each table passed alone, so together they copy too; the union of their columns answers every query
  const copies = tableCopies(db, reads, [...answerable.keys()].join('\n'))!;
  await inWriteTurn(adapter, () => {
    dropWatch(db);
    createWatch(
      db,
      reads.map((r) => r.table),
    );
  });
  try {
    const fill = { pacing: options.pacing ?? DEFAULT_PACING, maxRows: options.maxRows, signal: options.signal };
    for (let attempt = 0; attempt < COPY_ATTEMPTS; attempt++) {
      const changes = watchedChanges(db);
      const results = await overCopies(db, copies, fill, () => [...answerable.keys()].map((select) => [select, tryRead(() => read(select))] as const));
      if (watchedChanges(db) !== changes) continue;
      for (const [select, got] of results) if (got.ok) values.set(select, got.value);
      return values;
    }
    return values;
  } finally {
    if (hasWatch(db)) await inWriteTurn(adapter, () => dropWatch(db));
  }
}

/** One read per table: the union of the columns every query reads from it. */
function mergeReads(reads: TableRead[]): TableRead[] {
  const byTable = new Map<string, TableRead>();
  for (const r of reads) {
    const key = r.table.toLowerCase();
    const merged = byTable.get(key);
    if (!merged) byTable.set(key, { table: r.table, columns: new Set(r.columns), all: r.all });
    else {
      for (const c of r.columns) merged.columns.add(c);
      merged.all ||= r.all;
    }
  }
  return [...byTable.values()];
}

function tryRead(read: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: read() };
  } catch {
    return { ok: false };
  }
}
