import { type BatchPacing, DEFAULT_PACING, type SqliteConnection, stagedReadOf } from '@mfmig/core';
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
 * const first = async (q: string) => Object.values((await conn.query(q))[0] ?? {})[0];
 * const known = await readOverCopies(conn, [sql], first, { maxRows: 100_000 });
 * const value = known.has(sql) ? known.get(sql) : await first(sql);
 */
export async function readOverCopies(
  conn: SqliteConnection,
  selects: string[],
  read: (select: string) => Promise<unknown>,
  options: CopiedReadOptions,
): Promise<Map<string, unknown>> {
  const values = new Map<string, unknown>();
  if (conn.inTransaction || stagedReadOf(await conn.journalMode()) !== 'copies') return values;
  const answerable = new Map<string, TableRead[]>();
  for (const select of selects) {
    const reads = await readsOf(conn, select);
    const copies = reads && reads.length > 0 ? await tableCopies(conn, reads, select) : null;
    if (copies && (await readsOnlyCopies(conn, select, copies))) answerable.set(select, reads!);
  }
  if (answerable.size === 0) return values;
  const reads = mergeReads([...answerable.values()].flat());
  // each table passed alone, so together they copy too; the union of their columns answers every query
  const copies = (await tableCopies(conn, reads, [...answerable.keys()].join('\n')))!;
  await conn.writeTurn(async () => {
    await dropWatch(conn);
    await createWatch(
      conn,
      reads.map((r) => r.table),
    );
  });
  try {
    const fill = { pacing: options.pacing ?? DEFAULT_PACING, maxRows: options.maxRows, signal: options.signal };
    for (let attempt = 0; attempt < COPY_ATTEMPTS; attempt++) {
      const changes = await watchedChanges(conn);
      const results = await overCopies(conn, copies, fill, async () => {
        const got: (readonly [string, Awaited<ReturnType<typeof tryRead>>])[] = [];
        for (const select of answerable.keys()) got.push([select, await tryRead(() => read(select))]);
        return got;
      });
      if ((await watchedChanges(conn)) !== changes) continue;
      for (const [select, got] of results) if (got.ok) values.set(select, got.value);
      return values;
    }
    return values;
  } finally {
    if (await hasWatch(conn)) await conn.writeTurn(() => dropWatch(conn));
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

async function tryRead(read: () => Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: await read() };
  } catch {
    return { ok: false };
  }
}
