// 1,000 small migrations, each with a history row in its own transaction:
// mfmig's Migrator vs Kysely's Migrator (same SQL) vs a bare better-sqlite3 loop, and
// DialectMigrator (the runner of the async dialect boundary) on SQLite vs Migrator, which runs
// through it: the cost of Migrator's own layer.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator as KyselyMigrator } from 'kysely/migration';
import { DialectMigrator, Migrator, SqliteConnection, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';

const COUNT = 1000;
const ROUNDS = 3;

const sqlOf = (v) => `CREATE TABLE t_${v} (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\nINSERT INTO t_${v} (v) VALUES ('row ${v}');`;

export async function run({ tmpDir, log }) {
  const folder = join(tmpDir, 'migrations', 'mvp1');
  mkdirSync(folder, { recursive: true });
  for (let v = 1; v <= COUNT; v++) {
    writeFileSync(join(folder, `${String(v).padStart(4, '0')}_step_${v}.sql`), `-- migrate:up\n${sqlOf(v)}\n-- migrate:down\nDROP TABLE t_${v};\n`);
  }
  const loadStart = performance.now();
  const set = await loadMigrations(join(tmpDir, 'migrations'));
  const loadMs = performance.now() - loadStart;
  const times = { mfmig: [], kysely: [], raw: [], dialect: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? ['raw', 'mfmig', 'dialect', 'kysely'] : ['kysely', 'dialect', 'mfmig', 'raw']) {
      const file = join(tmpDir, `${kind}-${round}.db`);
      times[kind].push(await runners[kind](file, set));
    }
    log(
      `round ${round + 1}: raw ${ms(times.raw[round])}, mfmig ${ms(times.mfmig[round])}, dialect ${ms(times.dialect[round])}, kysely ${ms(times.kysely[round])}`,
    );
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const raw = med(times.raw);
  const ours = med(times.mfmig);
  const kysely = med(times.kysely);
  const dialect = med(times.dialect);
  return {
    suite: 'apply',
    figures: [
      {
        label: `mfmig Migrator, ${COUNT} migrations`,
        value: ours,
        unit: 'ms',
        baseline: raw,
        ratio: ours / raw,
        target: '<= 1.5x raw loop',
        met: ours / raw <= 1.5,
      },
      { label: `Kysely Migrator, ${COUNT} migrations`, value: kysely, unit: 'ms', baseline: raw, ratio: kysely / raw },
      { label: 'mfmig vs Kysely Migrator', value: ours, unit: 'ms', baseline: kysely, ratio: ours / kysely, target: '< 1.0x (faster)', met: ours < kysely },
      { label: `DialectMigrator on SQLite vs Migrator, ${COUNT} migrations`, value: dialect, unit: 'ms', baseline: ours, ratio: dialect / ours },
      { label: `raw loop, ${COUNT} migrations`, value: raw, unit: 'ms' },
      { label: `loading ${COUNT} migration files (not in the figures above)`, value: loadMs, unit: 'ms' },
    ],
    notes: [`median of ${ROUNDS} rounds, each on a fresh database file, order alternated`],
  };
}

const runners = {
  async mfmig(file, set) {
    const adapter = openDatabase(file, { create: true });
    const migrator = new Migrator({ adapter, migrations: set });
    const start = performance.now();
    const result = await migrator.migrate();
    const elapsed = performance.now() - start;
    if (result.error || result.results.length !== COUNT) throw result.error ?? new Error('not all applied');
    adapter.close();
    return elapsed;
  },
  async dialect(file, set) {
    const connection = new SqliteConnection(openDatabase(file, { create: true }));
    const migrator = new DialectMigrator({ connection, migrations: set });
    const start = performance.now();
    const result = await migrator.migrate();
    const elapsed = performance.now() - start;
    if (result.error || result.results.length !== COUNT) throw result.error ?? new Error('not all applied');
    await connection.close();
    return elapsed;
  },
  async kysely(file, set) {
    const raw = new Database(file);
    const db = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
    const migrations = Object.fromEntries(set.migrations.map((m) => [String(m.version).padStart(4, '0'), { up: async () => raw.exec(m.upSql) }]));
    const migrator = new KyselyMigrator({ db, provider: { getMigrations: async () => migrations } });
    const start = performance.now();
    const { error, results } = await migrator.migrateToLatest();
    const elapsed = performance.now() - start;
    if (error || results.length !== COUNT) throw error ?? new Error('not all applied');
    await db.destroy();
    return elapsed;
  },
  async raw(file, set) {
    const db = new Database(file);
    db.exec('CREATE TABLE history (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO history VALUES (?, ?, ?, ?)');
    const start = performance.now();
    for (const m of set.migrations) {
      db.exec('BEGIN IMMEDIATE');
      db.exec(m.upSql);
      insert.run(m.version, m.name, m.checksum, new Date().toISOString());
      db.exec('COMMIT');
    }
    const elapsed = performance.now() - start;
    db.close();
    return elapsed;
  },
};

const ms = (v) => `${v.toFixed(0)}ms`;
