// What the command line's seed costs since it writes through the async connection: N/10 KB entries
// (at least 20,000) written by `seedKnowledgeBaseOn(connection)` (multi-row INSERTs, the same
// writer as on PostgreSQL) against a prepared-statement loop on plain better-sqlite3 (one INSERT
// per row of the same generator, the baseline), each on a fresh MVP1 file, three times each,
// interleaved; medians. Both must leave the same rows.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Migrator, loadMigrations, openDatabase, openSqlite } from '../../../packages/core/dist/index.js';
import { seedKnowledgeBaseOn } from '../../../packages/framework/dist/index.js';
import { MIGRATIONS } from '../lib/kb-seed.mjs';
import { seedWithStatements } from '../lib/statement-seed.mjs';

const ROUNDS = 3;
const TABLES = ['kb_entries', 'kb_tags', 'kb_feedback'];

export async function run({ rows: total, tmpDir, log }) {
  const rows = Math.max(20_000, Math.round(total / 10));
  const migrations = await loadMigrations(MIGRATIONS);
  const times = { connection: [], statements: [] };
  const digests = new Set();
  for (let round = 0; round < ROUNDS; round++) {
    for (const how of round % 2 === 0 ? ['connection', 'statements'] : ['statements', 'connection']) {
      const path = join(tmpDir, `${how}-${round}.db`);
      await migrateToMvp1(path, migrations);
      times[how].push(how === 'connection' ? await seedThroughConnection(path, rows) : seedThroughStatements(path, rows));
      digests.add(digestRows(path));
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

async function migrateToMvp1(path, migrations) {
  const adapter = openDatabase(path, { create: true });
  try {
    const migrated = await new Migrator({ adapter, migrations }).migrate({ mvp: 1 });
    if (migrated.error) throw migrated.error;
  } finally {
    adapter.close();
  }
}

/** Milliseconds of `seedKnowledgeBaseOn` on a connection to `path`. */
async function seedThroughConnection(path, rows) {
  const conn = await openSqlite(path);
  try {
    const start = performance.now();
    await seedKnowledgeBaseOn(conn, { rows, seed: 1 });
    return performance.now() - start;
  } finally {
    await conn.close();
  }
}

/** Milliseconds of the prepared-statement loop on a plain better-sqlite3 connection to `path`. */
function seedThroughStatements(path, rows) {
  const db = new Database(path);
  try {
    const start = performance.now();
    seedWithStatements(db, { rows, seed: 1 });
    return performance.now() - start;
  } finally {
    db.close();
  }
}

/** One digest of every seeded row, in key order. */
function digestRows(path) {
  const db = new Database(path, { readonly: true });
  try {
    const hash = createHash('sha256');
    for (const table of TABLES) {
      for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).raw().iterate()) hash.update(JSON.stringify(row));
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
