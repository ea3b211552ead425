// The transformation engines on SQLite under both runners (issue 17): migration 0005 moves every KB
// entry into incidents (and links them back) through declared transformations. `Migrator` runs
// them with the SQLite transformer plugin; `DialectMigrator` with `createConnectionTransformer()`,
// which on SQLite runs the same engine as a participant, and with `sqlite: 'keyset'`, the keyset
// engine the PostgreSQL path uses. Same file, same run, interleaved: the time of each against
// Migrator's, as a ratio, and whether all leave the same rows. At --rows/10 entries (at least
// 20,000, so that the move is continued in batches by every engine).
import { createHash } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DialectMigrator, Migrator, SqliteConnection, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { MIGRATIONS, seedKnowledgeBaseFile } from '../lib/kb-seed.mjs';
import { createConnectionTransformer, createTransformerPlugin } from '../../../packages/transformer/dist/index.js';

const MOVE_VERSION = 5;

export async function run({ rows, tmpDir, log }) {
  const size = Math.max(20_000, Math.floor(rows / 10));
  const base = join(tmpDir, 'base.db');
  const seedStart = performance.now();
  await seedKnowledgeBaseFile(base, size, { version: MOVE_VERSION - 1, scratchDir: tmpDir });
  log(`seeded ${size.toLocaleString('en-US')} KB entries and migrated to version ${MOVE_VERSION - 1} in ${sec(performance.now() - seedStart)}`);
  const migrations = await loadMigrations(MIGRATIONS);
  const plugin = [];
  const participant = [];
  const keyset = [];
  for (let round = 0; round < 3; round++) {
    plugin.push(await move({ base, file: join(tmpDir, `plugin-${round}.db`), runner: 'plugin', migrations }));
    participant.push(await move({ base, file: join(tmpDir, `participant-${round}.db`), runner: 'participant', migrations }));
    keyset.push(await move({ base, file: join(tmpDir, `keyset-${round}.db`), runner: 'keyset', migrations }));
    log(
      `round ${round + 1}: Migrator + plugin ${sec(plugin.at(-1).ms)}; DialectMigrator + createConnectionTransformer ${sec(participant.at(-1).ms)}, with sqlite: 'keyset' ${sec(keyset.at(-1).ms)}`,
    );
  }
  const median = (runs) => runs.map((r) => r.ms).sort((a, b) => a - b)[1];
  const same = [...participant, ...keyset, ...plugin].every((r) => r.digest === plugin[0].digest);
  const tag = `0005 moves ${size.toLocaleString('en-US')} KB entries into incidents`;
  const against = (runs, label) => ({
    label: `${tag}: ${label} vs Migrator + the SQLite transformer plugin`,
    value: median(runs),
    unit: 'ms',
    baseline: median(plugin),
    ratio: median(runs) / median(plugin),
  });
  const figures = [
    against(participant, 'DialectMigrator + createConnectionTransformer() (the same engine as a participant)'),
    against(keyset, "DialectMigrator + createConnectionTransformer({ sqlite: 'keyset' })"),
    { label: `${tag}: every engine leaves the same incidents and links`, value: same ? 'yes' : 'no', unit: '', target: 'same rows', met: same },
  ];
  const notes = [
    'medians of 3 interleaved runs on copies of one file; rows compared by a digest of incidents (ticket, columns and kb_entry_id) ordered by ticket',
  ];
  return { suite: 'dialect-transform', figures, notes };
}

/** One run to version 5 on a copy of `base`, by one of the runners; its time and a digest of the rows it left. */
async function move({ base, file, runner, migrations }) {
  copyFileSync(base, file);
  const adapter = openDatabase(file);
  const migrator =
    runner === 'plugin'
      ? new Migrator({ adapter, migrations, plugins: [createTransformerPlugin()] })
      : new DialectMigrator({
          connection: new SqliteConnection(adapter),
          migrations,
          participants: [createConnectionTransformer(runner === 'keyset' ? { sqlite: 'keyset' } : {})],
        });
  const start = performance.now();
  const result = await migrator.migrate({ version: MOVE_VERSION });
  const ms = performance.now() - start;
  adapter.close();
  if (result.error) throw result.error;
  return { ms, digest: digestOf(file) };
}

/** The moved rows, linked back to their entries, as a count and a digest (the ids each engine gave them left out). */
function digestOf(file) {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT ticket_id, timestamp, title, description, component, severity, kb_entry_id FROM incidents ORDER BY ticket_id').raw().all();
    return `${rows.length} ${createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16)}`;
  } finally {
    db.close();
  }
}

function sec(v) {
  return `${(v / 1000).toFixed(1)} s`;
}
