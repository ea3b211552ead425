// A declared row function (a data transformation whose body is JavaScript) over kb_entries on
// PostgreSQL, with the application inserting into kb_entries every 10 ms from its own process and
// session, run two ways on the same rows:
// - batched: transformInBatchesOn, keyset pages of the source each committed with its cursor and no
//   lock held between them, then a short final transaction that SHARE-locks kb_entries and moves
//   what the application added meanwhile;
// - in one transaction that first SHARE-locks kb_entries, then applyTransformationsOn: how a row
//   function ran in a continued move before it ran in batches (whole, in the final transaction),
//   and how a small one still runs.
// Figures: the batched run's time against the one transaction's, and the application's longest
// INSERT wait in each, as ratios. Rows: --rows / 10, at least 20,000. Median of 3 rounds, order
// alternated, each run on a fresh scratch database filled with the same rows.
import { openPostgres } from '../../../packages/core/dist/index.js';
import { applyTransformationsOn, transformInBatchesOn } from '../../../packages/transformer/dist/index.js';
import { SERVER, checkpoint, fill, median, ms, reach, redact, scratchDatabases, withClient } from '../lib/pg-scratch.mjs';
import { startPgWriter } from '../lib/writer-process.mjs';

const ROUNDS = 3;
const WRITE_EVERY_MS = 10;
const TARGET_DDL = 'CREATE TABLE incident_titles (kb_id bigint PRIMARY KEY, title text NOT NULL, category text)';

/** The row function: one target row per entry, its title upper-cased. */
const TITLES = {
  id: 'kb_titles',
  name: 'Upper-cased titles of KB entries',
  sourceTable: 'kb_entries',
  targetTable: 'incident_titles',
  transformationType: 'convert',
  columns: ['title', 'category'],
  transform: (row) => ({ kb_id: row.id, title: String(row.title).toUpperCase(), category: row.category }),
  reversible: true,
  reverse: 'DELETE FROM incident_titles',
};

const runners = {
  async batched(connection) {
    const { results } = await transformInBatchesOn(connection, [TITLES], { scope: 'bench' });
    return results[0].rows;
  },
  async whole(connection) {
    return connection.transaction(async () => {
      await connection.execute('LOCK TABLE kb_entries IN SHARE MODE');
      const [result] = await applyTransformationsOn(connection, [TITLES]);
      return result.rows;
    });
  },
};

export async function run({ rows: requested, log }) {
  const rows = Math.max(20_000, Math.floor(requested / 10));
  const admin = await reach(SERVER, 'postgres-row-function');
  const scratch = scratchDatabases(admin);
  const runs = { batched: [], whole: [] };
  try {
    log(`server ${redact(SERVER)}: ${rows.toLocaleString('en-US')} kb_entries, the application inserting every ${WRITE_EVERY_MS} ms`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 === 0 ? ['batched', 'whole'] : ['whole', 'batched']) {
        const db = await scratch.create();
        try {
          await fill(db.url, rows);
          await withClient(db.url, (client) => client.query(TARGET_DDL));
          await checkpoint(admin);
          runs[kind].push(await timed(db.url, rows, runners[kind]));
        } finally {
          await scratch.drop(db);
        }
      }
      log(
        `round ${round + 1}: batched ${ms(runs.batched[round].ms)} (longest application write ${ms(runs.batched[round].longestWrite)}), one transaction ${ms(runs.whole[round].ms)} (longest write ${ms(runs.whole[round].longestWrite)})`,
      );
    }
  } finally {
    await scratch.dropAll();
    await admin.end().catch(() => {});
  }
  const of = (kind, field) => median(runs[kind].map((r) => r[field]));
  const n = rows.toLocaleString('en-US');
  return {
    suite: 'postgres-row-function',
    figures: [
      {
        label: `row function over ${n} kb_entries in committed keyset batches (transformInBatchesOn) vs in one transaction with kb_entries SHARE-locked`,
        value: of('batched', 'ms'),
        unit: 'ms',
        baseline: of('whole', 'ms'),
        ratio: of('batched', 'ms') / of('whole', 'ms'),
      },
      {
        label: `the application's longest INSERT into kb_entries while the row function runs: batched vs one transaction`,
        value: of('batched', 'longestWrite'),
        unit: 'ms',
        baseline: of('whole', 'longestWrite'),
        ratio: of('batched', 'longestWrite') / of('whole', 'longestWrite'),
      },
    ],
    notes: [
      `row function: medians of ${ROUNDS} rounds, order alternated, each run on a fresh database with the same ${n} generated entries; the application writes from its own process, one INSERT every ${WRITE_EVERY_MS} ms; none may fail`,
    ],
  };
}

/** One run beside the application writer: its time, the application's longest write, and a check of the rows it left. */
async function timed(url, rows, runner) {
  const writer = await startPgWriter(url, WRITE_EVERY_MS);
  const connection = await openPostgres(url);
  let elapsed;
  try {
    const start = performance.now();
    const written = await runner(connection);
    elapsed = performance.now() - start;
    if (written < rows) throw new Error(`the row function wrote ${written} rows, not at least ${rows}`);
  } finally {
    writer.stop();
    await connection.close();
  }
  const records = await writer.records;
  const failed = records.filter((r) => r.error);
  if (failed.length > 0) throw new Error(`${failed.length} application writes failed: ${failed[0].error}`);
  await withClient(url, async (client) => {
    const missing = await client.query(
      'SELECT count(*)::int AS n FROM kb_entries e WHERE e.id <= (SELECT max(kb_id) FROM incident_titles) AND NOT EXISTS (SELECT 1 FROM incident_titles t WHERE t.kb_id = e.id)',
    );
    if (missing.rows[0].n !== 0) throw new Error(`${missing.rows[0].n} entries below the last one moved have no title row`);
  });
  return { ms: elapsed, longestWrite: Math.max(0, ...records.map((r) => r.wait)) };
}
