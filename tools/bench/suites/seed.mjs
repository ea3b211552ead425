// What the command line's seed costs since it writes through the async connection: N/10 KB entries
// (at least 20,000) written by `seedKnowledgeBaseOn(ctx.connection)` (multi-row INSERTs, the same
// writer as on PostgreSQL) against the prepared-statement loop of `seedKnowledgeBase(adapter)`
// (one statement per row, the baseline), each on a fresh MVP1 file, three times each, interleaved;
// medians. Both must leave the same rows.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Migrator, SqliteConnection, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { seedKnowledgeBase, seedKnowledgeBaseOn } from '../../../packages/framework/dist/index.js';
import { MIGRATIONS } from '../lib/kb-seed.mjs';

const ROUNDS = 3;
const TABLES = ['kb_entries', 'kb_tags', 'kb_feedback'];

export async function run({ rows: total, tmpDir, log }) {
  const rows = Math.max(20_000, Math.round(total / 10));
  const migrations = await loadMigrations(MIGRATIONS);
  const times = { connection: [], statements: [] };
  const digests = new Set();
  for (let round = 0; round < ROUNDS; round++) {
    for (const how of round % 2 === 0 ? ['connection', 'statements'] : ['statements', 'connection']) {
      const adapter = openDatabase(join(tmpDir, `${how}-${round}.db`), { create: true });
      try {
        const migrated = await new Migrator({ adapter, migrations }).migrate({ mvp: 1 });
        if (migrated.error) throw migrated.error;
        const start = performance.now();
        if (how === 'connection') await seedKnowledgeBaseOn(new SqliteConnection(adapter), { rows, seed: 1 });
        else seedKnowledgeBase(adapter, { rows, seed: 1 });
        times[how].push(performance.now() - start);
        digests.add(digestRows(adapter));
      } finally {
        adapter.close();
      }
      log(`round ${round + 1} ${how}: ${Math.round(times[how].at(-1))} ms`);
    }
  }
  if (digests.size !== 1) throw new Error('the two seeds wrote different rows');
  const connection = median(times.connection);
  const statements = median(times.statements);
  return {
    suite: 'seed',
    figures: [
      {
        label: `seed ${rows.toLocaleString('en-US')} KB entries through the connection vs prepared statements`,
        value: Math.round(connection),
        unit: 'ms',
        baseline: Math.round(statements),
        ratio: connection / statements,
      },
    ],
    notes: [`medians of ${ROUNDS} interleaved rounds on fresh MVP1 files; both wrote the same rows (one digest of ${TABLES.join(', ')})`],
  };
}

/** One digest of every seeded row, in key order. */
function digestRows(adapter) {
  const hash = createHash('sha256');
  for (const table of TABLES) {
    for (const row of adapter.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).raw().iterate()) hash.update(JSON.stringify(row));
  }
  return hash.digest('hex');
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
