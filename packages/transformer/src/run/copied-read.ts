import { type BatchPacing, type DatabaseAdapter, DEFAULT_PACING, inWriteTurn, stagedReadOf } from '@mfmig/core';
import { createWatch, dropWatch, hasWatch, readsOf, watchedChanges } from './staged-unit.js';
import { createCopies, dropCopies, fillCopies, readsOnlyCopies, tableCopies } from './table-copies.js';

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
 * Runs `read` against TEMP copies of what `select` reads, so that a long read of a
 * rollback-journal database does not stop the application's commits for its whole length
 * (there every reader does). As a staged query does (see `runStaged`): triggers count the
 * application's writes to the tables read, the columns the query reads are copied in short
 * paced batches, `read` runs while the copies hide the tables of the same names, and the
 * result is kept only if no write landed meanwhile (the copies were then one consistent state).
 * Otherwise it copies again, {@link COPY_ATTEMPTS} times in all.
 *
 * Null when the caller should read the live file: another journal mode, inside a transaction
 * (its own writes must be seen), a query the copies cannot answer faithfully (see
 * `tableCopies`), `read` failing on the copies, or a write during every try.
 *
 * @example
 * const copied = await readOverCopies(adapter, sql, () => db.prepare(sql).pluck().get(), { maxRows: 100_000 });
 * const value = copied ? copied.value : db.prepare(sql).pluck().get();
 */
export async function readOverCopies<T>(adapter: DatabaseAdapter, select: string, read: () => T, options: CopiedReadOptions): Promise<{ value: T } | null> {
  const db = adapter.raw;
  if (db.inTransaction || stagedReadOf(String(db.pragma('journal_mode', { simple: true }))) !== 'copies') return null;
  const reads = readsOf(db, select);
  if (!reads || reads.length === 0) return null;
  const copies = tableCopies(db, reads, select);
  if (!copies || !readsOnlyCopies(db, select, copies)) return null;
  await inWriteTurn(adapter, () => {
    dropWatch(db);
    createWatch(db, reads.map((r) => r.table));
  });
  try {
    for (let attempt = 0; attempt < COPY_ATTEMPTS; attempt++) {
      const changes = watchedChanges(db);
      dropCopies(db, copies);
      createCopies(db, copies);
      let value: T;
      try {
        await fillCopies(db, copies, options.pacing ?? DEFAULT_PACING, options.maxRows, options.signal);
        value = read();
      } catch (error) {
        if (options.signal?.aborted) throw error;
        return null;
      } finally {
        dropCopies(db, copies);
      }
      if (watchedChanges(db) === changes) return { value };
    }
    return null;
  } finally {
    if (hasWatch(db)) await inWriteTurn(adapter, () => dropWatch(db));
  }
}
