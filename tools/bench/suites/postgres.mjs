// mfmig on PostgreSQL, against baselines measured in the same run on the same server:
// 1. BENCH_PG_MIGRATIONS small migrations (one CREATE TABLE each, the same SQL for every runner) applied on
//    a fresh database by mfmig's DialectMigrator, by a raw `pg` loop (per migration: BEGIN; the DDL; INSERT a
//    history row; COMMIT, on one client), by Kysely's Migrator (PostgresDialect over a pg Pool, migrations
//    in memory; by default and with disableTransactions) and by node-pg-migrate's runner (one .sql file per
//    migration, singleTransaction: false so that each migration gets its own transaction);
// 2. kb_entries -> incidents over `rows` generated rows (--rows): one SQL migration (CREATE TABLE incidents;
//    INSERT ... SELECT) through DialectMigrator vs the same two statements in one transaction on a raw client;
//    and the same move declared as a data transformation, as the knowledge base's 0005 declares it, run by the
//    transformer participant: over its 10,000-row threshold the move is continued, in keyset batches over
//    kb_entries.id paced by time, each committed with its cursor, then a final transaction; and once more run
//    on its own by createPostgresFramework().transformer.execute (incidents made first, untimed): over its
//    100,000-row threshold, keyset batches each committed with its cursor, then a final transaction with the
//    validations (below it, one transaction under the run lock).
// mfmig runs with the participants the command line gives it (transformer and rollback preservation).
// Every run gets a fresh scratch database (mfmig_bench_<pid>_<n>), dropped WITH (FORCE) after it, and at the
// end of the suite whatever happened. The suite fails in one line when the server cannot be reached.
//
// Environment:
//   MFMIG_BENCH_PG_URL   the server, as a role that may create databases
//                        (default postgres://postgres@127.0.0.1:5432/postgres; its database is only used to
//                        create and drop the scratch databases)
//   BENCH_PG_MIGRATIONS  how many migrations figure 1 applies (default 1000)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator as KyselyMigrator } from 'kysely/migration';
import { runner as nodePgMigrate } from 'node-pg-migrate';
import pg from 'pg';
import { DialectMigrator, loadMigrations, openPostgres } from '../../../packages/core/dist/index.js';
import { createConnectionPreservation } from '../../../packages/rollback/dist/index.js';
import { createConnectionTransformer } from '../../../packages/transformer/dist/index.js';
import { createPostgresFramework } from '../../../packages/framework/dist/index.js';
import { SERVER, checkpoint, fill, median, ms, oneLine, reach, redact, scratchDatabases, withClient } from '../lib/pg-scratch.mjs';

/** The participants the command line gives every PostgreSQL run: data transformations, then rollback preservation. */
const participants = () => [createConnectionTransformer(), createConnectionPreservation()];

const COUNT = migrationCount(process.env.BENCH_PG_MIGRATIONS);
const ROUNDS = 3;
const WIDTH = Math.max(4, String(COUNT).length);

const pad = (i) => String(i).padStart(WIDTH, '0');
/** The up SQL of migration `i`, the same for every runner. */
const ddlOf = (i) => `CREATE TABLE t_${pad(i)} (id integer PRIMARY KEY, v text NOT NULL)`;

const INCIDENTS_DDL = `CREATE TABLE incidents (
  id bigserial PRIMARY KEY,
  kb_id bigint NOT NULL,
  title text NOT NULL,
  description text NOT NULL,
  category text NOT NULL,
  created_at timestamptz NOT NULL
)`;
const MOVE_SQL = `INSERT INTO incidents (kb_id, title, description, category, created_at)
SELECT id, title, problem, category, created_at FROM kb_entries`;
export async function run({ rows, tmpDir, log }) {
  const admin = await reach(SERVER);
  const scratch = scratchDatabases(admin);
  try {
    log(`server ${redact(SERVER)}: ${(await admin.query('SHOW server_version')).rows[0].server_version}`);
    const parseMs = await firstParse(scratch);
    const many = await manyMigrations(scratch, tmpDir, log);
    const move = await dataMove(scratch, tmpDir, rows, log);
    return {
      suite: 'postgres',
      figures: [
        ...many.figures,
        ...move.figures,
        { label: 'first PostgreSQL parse in the process (libpg-query WASM load), in no figure above', value: parseMs, unit: 'ms' },
      ],
      notes: [...many.notes, ...move.notes],
    };
  } finally {
    await scratch.dropAll();
    await admin.end().catch(() => {});
  }
}

/** Loads the SQL parser once before anything is timed, and says how long that took. */
async function firstParse(scratch) {
  const db = await scratch.create();
  try {
    const connection = await openPostgres(db.url);
    try {
      const start = performance.now();
      await connection.analyzeScript('SELECT 1');
      return performance.now() - start;
    } finally {
      await connection.close();
    }
  } finally {
    await scratch.drop(db);
  }
}

// ---------------------------------------------------------------------------------------------------
// 1. many small migrations

async function manyMigrations(scratch, tmpDir, log) {
  const dirs = writeMigrationFolders(tmpDir);
  const kinds = ['raw', 'mfmig', 'kysely', 'kyselyNoTx', 'nodePgMigrate'];
  const times = Object.fromEntries(kinds.map((k) => [k, []]));
  const loads = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
      const db = await scratch.create();
      try {
        await checkpoint(scratch.admin);
        const elapsed = await appliers[kind](db.url, dirs, loads);
        await checkApplied(db.url, kind);
        times[kind].push(elapsed);
      } finally {
        await scratch.drop(db);
      }
    }
    log(
      `round ${round + 1}: raw ${ms(times.raw[round])}, mfmig ${ms(times.mfmig[round])} (+ load ${ms(loads[round])}), kysely ${ms(times.kysely[round])}, kysely without transactions ${ms(times.kyselyNoTx[round])}, node-pg-migrate ${ms(times.nodePgMigrate[round])}`,
    );
  }
  const raw = median(times.raw);
  const ours = median(times.mfmig);
  const load = median(loads);
  const oursWithLoad = median(times.mfmig.map((t, i) => t + loads[i]));
  const kysely = median(times.kysely);
  const kyselyNoTx = median(times.kyselyNoTx);
  const npm = median(times.nodePgMigrate);
  const n = COUNT.toLocaleString('en-US');
  return {
    figures: [
      { label: `mfmig DialectMigrator, ${n} migrations, vs raw pg loop`, value: ours, unit: 'ms', baseline: raw, ratio: ours / raw },
      { label: 'mfmig vs Kysely Migrator (default: the whole run in one transaction)', value: ours, unit: 'ms', baseline: kysely, ratio: ours / kysely },
      {
        label: 'mfmig vs Kysely Migrator with disableTransactions (each statement autocommits)',
        value: ours,
        unit: 'ms',
        baseline: kyselyNoTx,
        ratio: ours / kyselyNoTx,
      },
      {
        label: 'mfmig loadMigrations + migrate vs node-pg-migrate runner (singleTransaction: false; both read the files)',
        value: oursWithLoad,
        unit: 'ms',
        baseline: npm,
        ratio: oursWithLoad / npm,
      },
      { label: `Kysely Migrator, ${n} migrations, vs raw pg loop`, value: kysely, unit: 'ms', baseline: raw, ratio: kysely / raw },
      {
        label: `Kysely Migrator with disableTransactions, ${n} migrations, vs raw pg loop`,
        value: kyselyNoTx,
        unit: 'ms',
        baseline: raw,
        ratio: kyselyNoTx / raw,
      },
      { label: `node-pg-migrate, ${n} migrations, vs raw pg loop`, value: npm, unit: 'ms', baseline: raw, ratio: npm / raw },
      { label: `raw pg loop, ${n} migrations (BEGIN; DDL; history INSERT; COMMIT each)`, value: raw, unit: 'ms' },
      { label: `mfmig loadMigrations of the ${n} files (in no figure above but the node-pg-migrate one)`, value: load, unit: 'ms' },
    ],
    notes: [
      `migrations: median of ${ROUNDS} rounds, each runner on its own fresh database, order alternated; CHECKPOINT before each run; connecting is not timed, creating each runner's history table is`,
      "migrations: mfmig, the raw loop and node-pg-migrate commit once per migration (DDL + history row); Kysely's default commits once for the whole run, with disableTransactions twice per migration (DDL, then history row)",
    ],
  };
}

/** The same SQL as an mfmig folder (mvp1/NNNN_step_N.sql) and a node-pg-migrate folder (NNNN_step_N.sql). */
function writeMigrationFolders(tmpDir) {
  const mfmig = join(tmpDir, 'mfmig-migrations');
  const npm = join(tmpDir, 'node-pg-migrate');
  mkdirSync(join(mfmig, 'mvp1'), { recursive: true });
  mkdirSync(npm, { recursive: true });
  for (let i = 1; i <= COUNT; i++) {
    const name = `${pad(i)}_step_${i}.sql`;
    writeFileSync(join(mfmig, 'mvp1', name), `-- migrate:up\n${ddlOf(i)};\n-- migrate:down\nDROP TABLE t_${pad(i)};\n`);
    writeFileSync(join(npm, name), `-- Up Migration\n${ddlOf(i)};\n\n-- Down Migration\nDROP TABLE t_${pad(i)};\n`);
  }
  return { mfmig, npm };
}

/** Each applies all COUNT migrations to the empty database at `url` and returns the timed part, in ms. */
const appliers = {
  async mfmig(url, dirs, loads) {
    const loadStart = performance.now();
    const migrations = await loadMigrations(dirs.mfmig);
    loads.push(performance.now() - loadStart);
    if (migrations.migrations.length !== COUNT) throw new Error(`mfmig loaded ${migrations.migrations.length} migrations, not ${COUNT}`);
    const connection = await openPostgres(url);
    try {
      const migrator = new DialectMigrator({ connection, migrations, participants: participants() });
      const start = performance.now();
      const result = await migrator.migrate();
      const elapsed = performance.now() - start;
      if (result.error) throw result.error;
      const done = result.results.filter((r) => r.status === 'Success').length;
      if (done !== COUNT) throw new Error(`mfmig applied ${done} migrations, not ${COUNT}`);
      return elapsed;
    } finally {
      await connection.close();
    }
  },
  async raw(url) {
    return withClient(url, async (client) => {
      const start = performance.now();
      await client.query('CREATE TABLE bench_history (version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (let i = 1; i <= COUNT; i++) {
        await client.query('BEGIN');
        await client.query(ddlOf(i));
        await client.query('INSERT INTO bench_history (version, name) VALUES ($1, $2)', [i, `step_${i}`]);
        await client.query('COMMIT');
      }
      return performance.now() - start;
    });
  },
  kysely: (url) => kysely(url, false),
  kyselyNoTx: (url) => kysely(url, true),
  async nodePgMigrate(url, dirs) {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    return withClient(url, async (client) => {
      const start = performance.now();
      const ran = await nodePgMigrate({
        dbClient: client,
        dir: dirs.npm,
        migrationsTable: 'pgmigrations',
        direction: 'up',
        singleTransaction: false,
        checkOrder: true,
        logger: quiet,
      });
      const elapsed = performance.now() - start;
      if (ran.length !== COUNT) throw new Error(`node-pg-migrate applied ${ran.length} migrations, not ${COUNT}`);
      return elapsed;
    });
  },
};

async function kysely(url, disableTransactions) {
  const db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
  try {
    await sql`SELECT 1`.execute(db); // connect before the clock starts, as the other runners do
    const migrations = {};
    for (let i = 1; i <= COUNT; i++) migrations[`${pad(i)}_step_${i}`] = { up: (trx) => sql.raw(ddlOf(i)).execute(trx) };
    const migrator = new KyselyMigrator({ db, provider: { getMigrations: async () => migrations }, disableTransactions });
    const start = performance.now();
    const { error, results } = await migrator.migrateToLatest();
    const elapsed = performance.now() - start;
    if (error) throw error;
    if (results?.length !== COUNT) throw new Error(`Kysely applied ${results?.length ?? 0} migrations, not ${COUNT}`);
    return elapsed;
  } finally {
    await db.destroy();
  }
}

/** Every runner must have done the same work: COUNT tables and COUNT history rows. */
async function checkApplied(url, kind) {
  const history = { mfmig: 'mfmig_history', raw: 'bench_history', kysely: 'kysely_migration', kyselyNoTx: 'kysely_migration', nodePgMigrate: 'pgmigrations' }[
    kind
  ];
  await withClient(url, async (client) => {
    const tables = Number((await client.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'")).rows[0].n);
    const entries = Number((await client.query(`SELECT count(*) AS n FROM public.${history}`)).rows[0].n);
    if (tables !== COUNT || entries !== COUNT) throw new Error(`${kind}: ${tables} tables and ${entries} history rows, not ${COUNT} each`);
  });
}

// ---------------------------------------------------------------------------------------------------
// 2. kb_entries -> incidents

async function dataMove(scratch, tmpDir, rows, log) {
  const folder = join(tmpDir, 'move-migrations');
  mkdirSync(join(folder, 'mvp1'), { recursive: true });
  writeFileSync(
    join(folder, 'mvp1', '0001_kb_entries_to_incidents.sql'),
    `-- migrate:up\n${INCIDENTS_DDL};\n${MOVE_SQL};\n-- migrate:down\nDROP TABLE incidents;\n`,
  );
  const declared = join(tmpDir, 'move-transformation');
  mkdirSync(join(declared, 'mvp1'), { recursive: true });
  writeFileSync(
    join(declared, 'mvp1', '0001_kb_entries_to_incidents.mjs'),
    `export const transformations = [{
  id: 'kb_to_incident_mapping', name: 'Map KB entries to incidents', sourceTable: 'kb_entries', targetTable: 'incidents',
  transformationType: 'convert', reversible: true, reverse: 'DELETE FROM incidents',
  sql: ${JSON.stringify(`${MOVE_SQL} WHERE id > @batchStart AND id <= @batchEnd`)},
}];
export async function up(_db, ctx) { await ctx.exec(${JSON.stringify(INCIDENTS_DDL)}); }
export async function down(_db, ctx) { await ctx.exec('DROP TABLE incidents'); }
`,
  );
  const sets = { raw: null, mfmig: await loadMigrations(folder), transformation: await loadMigrations(declared), standalone: declared };
  const times = { raw: [], mfmig: [], transformation: [], standalone: [] };
  const fills = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = ['raw', 'mfmig', 'transformation', 'standalone'];
    for (const kind of round % 2 === 0 ? order : order.reverse()) {
      const db = await scratch.create();
      try {
        fills.push(await fill(db.url, rows));
        await checkpoint(scratch.admin);
        times[kind].push(await movers[kind === 'raw' || kind === 'standalone' ? kind : 'mfmig'](db.url, sets[kind]));
        await withClient(db.url, async (client) => {
          const moved = Number((await client.query('SELECT count(*) AS n FROM incidents')).rows[0].n);
          if (moved !== rows) throw new Error(`${kind}: ${moved} incidents, not ${rows}`);
        });
      } finally {
        await scratch.drop(db);
      }
    }
    log(
      `round ${round + 1}: kb_entries -> incidents raw ${ms(times.raw[round])}, mfmig ${ms(times.mfmig[round])}, as a transformation ${ms(times.transformation[round])}, framework.transformer.execute ${ms(times.standalone[round])}`,
    );
  }
  const raw = median(times.raw);
  const ours = median(times.mfmig);
  const transformed = median(times.transformation);
  const standalone = median(times.standalone);
  const rate = (t) => (rows * 1000) / t;
  const n = rows.toLocaleString('en-US');
  return {
    figures: [
      {
        label: `kb_entries -> incidents through mfmig DialectMigrator, ${n} rows`,
        value: rate(ours),
        unit: 'rows/s',
        baseline: rate(raw),
        ratio: raw / ours,
        target: '>= 0.9x raw CREATE TABLE + INSERT ... SELECT',
        met: raw / ours >= 0.9,
      },
      { label: `kb_entries -> incidents through mfmig, ${n} rows`, value: ours, unit: 'ms', baseline: raw, ratio: ours / raw },
      {
        label: `kb_entries -> incidents as a declared data transformation (continued: paced keyset batches, each committed), ${n} rows`,
        value: rate(transformed),
        unit: 'rows/s',
        baseline: rate(raw),
        ratio: raw / transformed,
        target: '>= 0.9x raw CREATE TABLE + INSERT ... SELECT',
        met: raw / transformed >= 0.9,
      },
      {
        label: `kb_entries -> incidents through createPostgresFramework().transformer.execute (over 100,000 rows: committed keyset batches with cursors, then a final transaction with the validations), ${n} rows`,
        value: rate(standalone),
        unit: 'rows/s',
        baseline: rate(raw),
        ratio: raw / standalone,
      },
      { label: `raw CREATE TABLE + INSERT ... SELECT in one transaction, ${n} rows`, value: raw, unit: 'ms' },
    ],
    notes: [
      `kb_entries -> incidents: median of ${ROUNDS} rounds, each on a fresh database filled with the same ${n} generated rows (fill + VACUUM ANALYZE, median ${ms(median(fills))}, not timed), CHECKPOINT before each run, order alternated`,
      "kb_entries -> incidents: mfmig's time is the whole migrate() call (history tables, lock session, status, parse, one transaction with the two statements, schema fingerprint and history row)",
    ],
  };
}

const movers = {
  async mfmig(url, migrations) {
    const connection = await openPostgres(url);
    try {
      // kb_entries is filled outside the migrations on purpose (its migration 1 moves its rows): no adoption check
      const migrator = new DialectMigrator({ connection, migrations, participants: participants(), allowUnadopted: true });
      const start = performance.now();
      const result = await migrator.migrate();
      const elapsed = performance.now() - start;
      if (result.error) throw result.error;
      if (result.results.length !== 1 || result.results[0].status !== 'Success') throw new Error('mfmig did not apply the data move');
      return elapsed;
    } finally {
      await connection.close();
    }
  },
  /** The same declared transformation run on its own by the framework's transformer; the incidents table is made first, untimed. */
  async standalone(url, folder) {
    await withClient(url, (client) => client.query(INCIDENTS_DDL));
    const framework = createPostgresFramework({ database: url, migrationsPath: folder });
    try {
      const { transformations } = await import(join(folder, 'mvp1', '0001_kb_entries_to_incidents.mjs'));
      const start = performance.now();
      const report = await framework.transformer.execute(transformations);
      const elapsed = performance.now() - start;
      if (report.results.length !== 1) throw new Error('the transformer did not run the data move');
      return elapsed;
    } finally {
      await framework.close();
    }
  },
  async raw(url) {
    return withClient(url, async (client) => {
      const start = performance.now();
      await client.query('BEGIN');
      await client.query(INCIDENTS_DDL);
      await client.query(MOVE_SQL);
      await client.query('COMMIT');
      return performance.now() - start;
    });
  },
};

function migrationCount(value) {
  if (value === undefined || value === '') return 1000;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw oneLine(`postgres suite: BENCH_PG_MIGRATIONS must be a positive whole number, not ${value}`);
  return n;
}
