// Data transformations on `rows` seeded KB entries, each against the same work done raw in the same run:
// 1. kb -> incidents (the seed's INSERT ... SELECT) as a migration through mfmig (Migrator + transformer plugin:
//    keyset batches committed with their cursor, validation query, history) vs one raw better-sqlite3 exec;
// 2. a row-function transformation through DataTransformer (batched, cursor per batch) vs a hand-written
//    keyset-batched better-sqlite3 loop;
// 3. peak RSS of both mfmig runs, measured in a child process per size (100k and `rows`);
// 4. kb -> incidents through DialectMigrator with the connection transformer (the async dialect boundary's runner and
//    participant) vs the same migration through Migrator with the plugin (1.), on the same SQLite file.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { DialectMigrator, Migrator, SqliteConnection, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { seedKnowledgeBaseOn } from '../../../packages/framework/dist/index.js';
import { DataTransformer, createConnectionTransformer, createTransformerPlugin } from '../../../packages/transformer/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const dist = (pkg) => pathToFileURL(join(repo, 'packages', pkg, 'dist', 'index.js')).href;

const MAPPING_SQL = `INSERT INTO incidents (ticket_id, timestamp, title, description, component, severity)
    SELECT 'KB-' || id as ticket_id, created_at as timestamp, title, problem as description, category as component, 'medium' as severity
    FROM kb_entries
    WHERE created_at IS NOT NULL`;

// The seed documentation's transformation, as a migration module (what `0005` of the real set declares, minus its second step).
const MAPPING_MIGRATION = `
export const meta = { description: 'Map KB entries to incidents (benchmark)' };
export const transformations = [{
  id: 'kb_to_incident_mapping', name: 'Map KB entries to incident structure', sourceTable: 'kb_entries', targetTable: 'incidents',
  transformationType: 'convert', sql: ${JSON.stringify(MAPPING_SQL)}, reversible: true, reverse: "DELETE FROM incidents WHERE ticket_id LIKE 'KB-%'",
  estimatedRows: 100, estimatedDuration: 30, dependencies: [],
  validationQueries: ['SELECT COUNT(*) FROM incidents WHERE ticket_id LIKE "KB-%"'],
}];
export function up() {}
export function down() {}
`;

const SUMMARY_TABLE = 'CREATE TABLE kb_summary (entry_id INTEGER PRIMARY KEY, title_upper TEXT NOT NULL, words INTEGER NOT NULL, category TEXT NOT NULL)';
const summarise = (row) => ({ entry_id: row.id, title_upper: row.title.toUpperCase(), words: row.problem.split(' ').length, category: row.category });
const ROW_BATCH = 10_000;

export async function run({ rows, tmpDir, log }) {
  const migrations = benchMigrations(tmpDir);
  const base = join(tmpDir, 'base.db');
  const seedStart = performance.now();
  await seedDatabase(base, migrations, rows);
  log(`seeded ${rows.toLocaleString('en-US')} KB rows in ${ms(performance.now() - seedStart)}`);

  const rounds = rows <= 200_000 ? 3 : 2;
  const times = { mfmigSql: [], rawSql: [], mfmigRow: [], rawRow: [], connectionSql: [] };
  for (let round = 0; round < rounds; round++) {
    const order =
      round % 2 === 0 ? ['rawSql', 'mfmigSql', 'connectionSql', 'rawRow', 'mfmigRow'] : ['connectionSql', 'mfmigSql', 'rawSql', 'mfmigRow', 'rawRow'];
    for (const kind of order) {
      const file = join(tmpDir, `${kind}-${round}.db`);
      copyFileSync(base, file);
      times[kind].push(await runners[kind](file, migrations, rows));
      rmSync(file, { force: true });
    }
    log(
      `round ${round + 1}: kb->incidents raw ${ms(times.rawSql[round])}, mfmig ${ms(times.mfmigSql[round])}, DialectMigrator ${ms(times.connectionSql[round])}; row function raw ${ms(times.rawRow[round])}, mfmig ${ms(times.mfmigRow[round])}`,
    );
  }
  const best = (a) => Math.min(...a);
  const rate = (t) => (rows * 1000) / t;

  const sizes = [...new Set([Math.min(100_000, rows), rows])];
  const rss = {};
  for (const size of sizes) {
    const file = size === rows ? base : join(tmpDir, `rss-base-${size}.db`);
    if (size !== rows) await seedDatabase(file, migrations, size);
    rss[size] = peakRss(tmpDir, file, migrations, size);
    log(`peak RSS at ${size.toLocaleString('en-US')} rows: ${(rss[size] / 1048576).toFixed(1)} MB`);
  }
  const small = sizes[0];
  const sqlOurs = rate(best(times.mfmigSql));
  const sqlRaw = rate(best(times.rawSql));
  const rowOurs = rate(best(times.mfmigRow));
  const sqlConnection = rate(best(times.connectionSql));
  const rowRaw = rate(best(times.rawRow));
  const mb = (b) => b / 1048576;
  const figures = [
    {
      label: 'kb -> incidents through mfmig (migration, batched, validated)',
      value: sqlOurs,
      unit: 'rows/s',
      baseline: sqlRaw,
      ratio: sqlOurs / sqlRaw,
      target: '>= 0.9x raw INSERT ... SELECT',
      met: sqlOurs / sqlRaw >= 0.9,
    },
    {
      label: 'kb -> incidents through DialectMigrator with the connection transformer, vs Migrator with the plugin',
      value: sqlConnection,
      unit: 'rows/s',
      baseline: sqlOurs,
      ratio: sqlConnection / sqlOurs,
    },
    {
      label: `row function through mfmig (batches of ${ROW_BATCH.toLocaleString('en-US')}, cursor each)`,
      value: rowOurs,
      unit: 'rows/s',
      baseline: rowRaw,
      ratio: rowOurs / rowRaw,
      target: '>= 0.75x hand-written keyset loop',
      met: rowOurs / rowRaw >= 0.75,
    },
    {
      label: `peak RSS of the mfmig runs at ${rows.toLocaleString('en-US')} rows`,
      value: mb(rss[rows]),
      unit: 'MB',
      target: '< 200 MB',
      met: mb(rss[rows]) < 200,
    },
  ];
  if (small !== rows) {
    figures.push({
      label: `peak RSS at ${rows.toLocaleString('en-US')} vs ${small.toLocaleString('en-US')} rows`,
      value: mb(rss[rows]),
      unit: 'MB',
      baseline: mb(rss[small]),
      ratio: rss[rows] / rss[small],
      target: '<= 1.25x (flat with size)',
      met: rss[rows] / rss[small] <= 1.25,
    });
  }
  return {
    suite: 'transform',
    figures,
    notes: [
      `best of ${rounds} rounds, each on a fresh copy of the seeded database, order alternated`,
      `mfmig kb -> incidents time covers the whole migrate() call: lock, checksums, history, ${Math.ceil(rows / 100_000)} committed batches with cursors and the validation query`,
      `raw times: kb -> incidents ${ms(best(times.rawSql))}, row function ${ms(best(times.rawRow))}; mfmig: ${ms(best(times.mfmigSql))}, ${ms(best(times.mfmigRow))}; DialectMigrator kb -> incidents ${ms(best(times.connectionSql))}`,
      'peak RSS is maxRSS of a child process that runs both mfmig transformations on a database of that size',
    ],
  };
}

/** Real mvp1 and the incident tables of mvp2 (0003, 0004), plus the seed's mapping as 0005. */
function benchMigrations(tmpDir) {
  const root = join(tmpDir, 'migrations');
  const real = join(repo, 'migrations');
  for (const [mvp, files] of [
    ['mvp1', null],
    ['mvp2', ['0003_add_incident_tracking.sql', '0004_add_pattern_detection_indexes.sql']],
  ]) {
    mkdirSync(join(root, mvp), { recursive: true });
    for (const file of files ?? readdirSync(join(real, mvp)).filter((f) => /^\d+_.*\.sql$/.test(f))) copyFileSync(join(real, mvp, file), join(root, mvp, file));
  }
  writeFileSync(join(root, 'mvp2', '0005_map_kb_entries_to_incidents.mjs'), MAPPING_MIGRATION);
  return root;
}

async function seedDatabase(file, migrations, rows) {
  const adapter = openDatabase(file, { create: true });
  const migrator = new Migrator({ adapter, migrations: await loadMigrations(migrations) });
  let result = await migrator.migrate({ mvp: 1 });
  if (result.error) throw result.error;
  await seedKnowledgeBaseOn(new SqliteConnection(adapter), { rows, seed: 1 });
  result = await migrator.migrate({ version: 4 });
  if (result.error) throw result.error;
  adapter.raw.exec(SUMMARY_TABLE);
  adapter.close();
}

/** The time of one `migrate()` of the migrator `make` builds on the file, which must leave `rows` KB incidents. */
async function timedMigrate(file, rows, make) {
  const adapter = openDatabase(file);
  const migrator = await make(adapter);
  const start = performance.now();
  const result = await migrator.migrate();
  const elapsed = performance.now() - start;
  if (result.error) throw result.error;
  check(adapter.raw, 'incidents', rows);
  adapter.close();
  return elapsed;
}

const runners = {
  async mfmigSql(file, migrations, rows) {
    return timedMigrate(
      file,
      rows,
      async (adapter) => new Migrator({ adapter, migrations: await loadMigrations(migrations), plugins: [createTransformerPlugin()] }),
    );
  },
  async connectionSql(file, migrations, rows) {
    return timedMigrate(
      file,
      rows,
      async (adapter) =>
        new DialectMigrator({
          connection: new SqliteConnection(adapter),
          migrations: await loadMigrations(migrations),
          participants: [createConnectionTransformer()],
        }),
    );
  },
  async rawSql(file, _migrations, rows) {
    const db = new Database(file);
    const start = performance.now();
    db.exec('BEGIN IMMEDIATE');
    db.exec(MAPPING_SQL);
    db.exec('COMMIT');
    const elapsed = performance.now() - start;
    check(db, 'incidents', rows);
    db.close();
    return elapsed;
  },
  async mfmigRow(file, _migrations, rows) {
    const transformer = new DataTransformer({ database: file }, { batchSize: ROW_BATCH });
    const start = performance.now();
    await transformer.execute(
      {
        id: 'summarise_kb',
        name: 'Summarise KB',
        sourceTable: 'kb_entries',
        targetTable: 'kb_summary',
        transformationType: 'convert',
        columns: ['title', 'problem', 'category'],
        transform: summarise,
        reversible: false,
      },
      { batch: 'always' },
    );
    const elapsed = performance.now() - start;
    transformer.close();
    checkFile(file, 'kb_summary', rows);
    return elapsed;
  },
  async rawRow(file, _migrations, rows) {
    const db = new Database(file);
    const start = performance.now();
    const page = db.prepare('SELECT id, title, problem, category FROM kb_entries WHERE id > ? ORDER BY id LIMIT ?');
    const insert = db.prepare('INSERT INTO kb_summary (entry_id, title_upper, words, category) VALUES (?, ?, ?, ?)');
    const batch = db.transaction((list) => {
      for (const row of list) {
        const out = summarise(row);
        insert.run(out.entry_id, out.title_upper, out.words, out.category);
      }
    });
    let after = -1;
    for (;;) {
      const list = page.all(after, ROW_BATCH);
      if (list.length === 0) break;
      batch.immediate(list);
      after = list[list.length - 1].id;
    }
    const elapsed = performance.now() - start;
    check(db, 'kb_summary', rows);
    db.close();
    return elapsed;
  },
};

/** Peak RSS (bytes) of a child process running both mfmig transformations on a copy of `base`. */
function peakRss(tmpDir, base, migrations, rows) {
  const file = join(tmpDir, `rss-${rows}.db`);
  copyFileSync(base, file);
  const script = join(tmpDir, 'rss-child.mjs');
  writeFileSync(
    script,
    `import { Migrator, loadMigrations, openDatabase } from ${JSON.stringify(dist('core'))};
import { DataTransformer, createTransformerPlugin } from ${JSON.stringify(dist('transformer'))};
const [file, migrations] = process.argv.slice(2);
const adapter = openDatabase(file);
const migrator = new Migrator({ adapter, migrations: await loadMigrations(migrations), plugins: [createTransformerPlugin()] });
const result = await migrator.migrate();
if (result.error) throw result.error;
adapter.close();
const summarise = ${summarise.toString()};
const transformer = new DataTransformer({ database: file }, { batchSize: ${ROW_BATCH} });
await transformer.execute({ id: 'summarise_kb', name: 'Summarise KB', sourceTable: 'kb_entries', targetTable: 'kb_summary', transformationType: 'convert',
  columns: ['title', 'problem', 'category'], transform: summarise, reversible: false }, { batch: 'always' });
transformer.close();
process.stdout.write(String(process.resourceUsage().maxRSS * 1024));
`,
  );
  const out = execFileSync(process.execPath, [script, file, migrations], { encoding: 'utf8' });
  rmSync(file, { force: true });
  return Number(out.trim());
}

function check(db, table, rows) {
  const n = db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
  if (n !== rows) throw new Error(`${table} holds ${n} rows, expected ${rows}`);
}

function checkFile(file, table, rows) {
  const db = new Database(file, { readonly: true });
  try {
    check(db, table, rows);
  } finally {
    db.close();
  }
}

function ms(t) {
  return `${Math.round(t)} ms`;
}
