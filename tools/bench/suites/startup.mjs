// Fixed costs of the command on a tiny database, each against baselines measured in the same
// run: `mfmig status` cold start vs `node -e 0` and vs loading better-sqlite3 (the least any
// status must do), and `mfmig migrate` MVP1 -> MVP5 on a 1,000-row knowledge base vs `node -e 0`
// and vs the raw work: the same migrations applied by plain better-sqlite3 in one process.
// The suite's database is always tiny (its --rows is ignored): it measures what does not scale.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import Database from 'better-sqlite3';
import { Migrator, SqliteConnection, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { seedKnowledgeBaseOn } from '../../../packages/framework/dist/index.js';

const ROWS = 1000;
/** `node -e 0` on the machine where the issue set its 150 ms and 400 ms targets. */
const ISSUE_NODE_MS = 54;
const STATUS_RUNS = 9;
const MIGRATE_RUNS = 5;
const BIN = new URL('../../../packages/cli/dist/bin.js', import.meta.url).pathname;
const MIGRATIONS = new URL('../../../migrations', import.meta.url).pathname;
const DRIVER = createRequire(new URL('../../../packages/cli/package.json', import.meta.url)).resolve('better-sqlite3');

export async function run({ tmpDir, log }) {
  const seeded = join(tmpDir, 'seeded.db');
  await seed(seeded);
  const raw = writeRawScript(tmpDir);
  const node = (args) => ['node', args];
  const cli = (args) => ['node', [BIN, ...args, '--migrations', MIGRATIONS, '--backups', join(tmpDir, 'backups'), '--no-dump']];

  const status = { node: [], driver: [], status: [] };
  const statusDb = join(tmpDir, 'status.db');
  copyFileSync(seeded, statusDb);
  for (let round = 0; round < STATUS_RUNS; round++) {
    const order = round % 2 === 0 ? ['node', 'driver', 'status'] : ['status', 'driver', 'node'];
    for (const kind of order) {
      const [command, args] = {
        node: node(['-e', '0']),
        driver: node(['-e', `require(${JSON.stringify(DRIVER)})`]),
        status: cli(['status', '--db', statusDb]),
      }[kind];
      status[kind].push(timed(command, args));
    }
  }
  log(`status: ${ms(med(status.status))} (node -e 0 ${ms(med(status.node))}, node + better-sqlite3 ${ms(med(status.driver))})`);

  const migrate = { node: [], raw: [], migrate: [] };
  for (let round = 0; round < MIGRATE_RUNS; round++) {
    const order = round % 2 === 0 ? ['node', 'raw', 'migrate'] : ['migrate', 'raw', 'node'];
    for (const kind of order) {
      const db = join(tmpDir, `${kind}-${round}.db`);
      copyFileSync(seeded, db);
      rmSync(join(tmpDir, 'backups'), { recursive: true, force: true });
      const [command, args] = { node: node(['-e', '0']), raw: node([raw, db]), migrate: cli(['migrate', '--yes', '--db', db]) }[kind];
      migrate[kind].push(timed(command, args));
    }
    log(`migrate round ${round + 1}: mfmig ${ms(migrate.migrate[round])}, raw ${ms(migrate.raw[round])}, node -e 0 ${ms(migrate.node[round])}`);
  }
  assertSameData(join(tmpDir, 'migrate-0.db'), join(tmpDir, 'raw-0.db'));

  const s = med(status.status);
  const m = med(migrate.migrate);
  return {
    suite: 'startup',
    figures: [
      { label: 'mfmig status, cold start', value: s, unit: 'ms', baseline: med(status.node), ratio: s / med(status.node), target: '< 150 ms', met: s < 150 },
      { label: 'mfmig status vs node + better-sqlite3 (the raw work)', value: s, unit: 'ms', baseline: med(status.driver), ratio: s / med(status.driver) },
      {
        label: `mfmig migrate MVP1 -> MVP5, ${ROWS.toLocaleString('en-US')} KB entries`,
        value: m,
        unit: 'ms',
        baseline: med(migrate.node),
        ratio: m / med(migrate.node),
        target: '< 400 ms',
        met: m < 400,
      },
      {
        label: 'mfmig migrate vs the same migrations by plain better-sqlite3 (the raw work)',
        value: m,
        unit: 'ms',
        baseline: med(migrate.raw),
        ratio: m / med(migrate.raw),
      },
      // the issue measured node -e 0 at 54 ms where it set 150 ms and 400 ms: the same targets as ratios hold on a slower machine
      {
        label: 'mfmig status vs node -e 0, target scaled to this machine',
        value: s,
        unit: 'ms',
        baseline: med(status.node),
        ratio: s / med(status.node),
        target: `<= ${(150 / ISSUE_NODE_MS).toFixed(2)}x node -e 0`,
        met: s / med(status.node) <= 150 / ISSUE_NODE_MS,
      },
      {
        label: 'mfmig migrate vs node -e 0, target scaled to this machine',
        value: m,
        unit: 'ms',
        baseline: med(migrate.node),
        ratio: m / med(migrate.node),
        target: `<= ${(400 / ISSUE_NODE_MS).toFixed(2)}x node -e 0`,
        met: m / med(migrate.node) <= 400 / ISSUE_NODE_MS,
      },
      { label: 'node -e 0', value: med(status.node), unit: 'ms' },
    ],
    notes: [
      `wall time of whole processes, median of ${STATUS_RUNS} (status) and ${MIGRATE_RUNS} (migrate) runs, order alternated; migrate includes its plan, rehearsal, backup and validation`,
      "the raw migrate applies each up section (and each TypeScript migration's transformations and up) in its own transaction, with no history, plan, backup or checks",
    ],
  };
}

/** Wall time of one run of a process, in ms; a failed run stops the suite. */
function timed(command, args) {
  const start = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - start;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-500)}`);
  return elapsed;
}

/**
 * A script that applies the migrations after MVP1 with plain better-sqlite3: SQL files' up
 * sections as they are, TypeScript migrations (transpiled here, not in the timed run) by their
 * transformations and `up`, each migration in one IMMEDIATE transaction.
 */
function writeRawScript(tmpDir) {
  const dir = join(tmpDir, 'raw');
  mkdirSync(dir, { recursive: true });
  const steps = [];
  for (const folder of readdirSync(MIGRATIONS)
    .filter((f) => /^mvp\d+$/.test(f) && f !== 'mvp1')
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))) {
    for (const file of readdirSync(join(MIGRATIONS, folder))
      // a dialect variant (0005_x.postgres.ts) is the file for another database: SQLite runs the plain one
      .filter((f) => /^\d+_.*\.(sql|ts)$/.test(f) && !/\.postgres\.(sql|ts)$/.test(f))
      .sort()) {
      const text = readFileSync(join(MIGRATIONS, folder, file), 'utf8');
      if (file.endsWith('.sql')) {
        const up = text.split(/^-- migrate:up\s*$/m)[1]?.split(/^-- migrate:down\s*$/m)[0];
        steps.push({ sql: up, foreignKeysOff: /^-- foreign-keys: off\s*$/m.test(text) });
      } else {
        const module = join(dir, file.replace(/\.ts$/, '.mjs'));
        writeFileSync(module, transformSync(text, { loader: 'ts', format: 'esm' }).code);
        steps.push({ module });
      }
    }
  }
  const script = join(dir, 'apply.mjs');
  writeFileSync(
    script,
    `import { createRequire } from 'node:module';
const Database = createRequire(import.meta.url)(${JSON.stringify(DRIVER)});
const steps = ${JSON.stringify(steps)};
const db = new Database(process.argv[2]);
for (const step of steps) {
  if (step.foreignKeysOff) db.pragma('foreign_keys = OFF');
  db.exec('BEGIN IMMEDIATE');
  if (step.sql) db.exec(step.sql);
  if (step.module) {
    const m = await import(step.module);
    for (const t of m.transformations ?? []) {
      if (t.sql) {
        const statement = db.prepare(t.sql);
        if (/@batch(Start|End)/.test(t.sql)) statement.run({ batchStart: 0, batchEnd: Number.MAX_SAFE_INTEGER });
        else statement.run();
      } else {
        const inserts = new Map();
        for (const row of db.prepare('SELECT ' + t.columns.join(', ') + ' FROM ' + t.sourceTable).all()) {
          for (const out of [t.transform(row)].flat()) {
            const keys = Object.keys(out);
            const key = keys.join(',');
            if (!inserts.has(key)) inserts.set(key, db.prepare('INSERT INTO ' + t.targetTable + ' (' + key + ') VALUES (' + keys.map(() => '?').join(', ') + ')'));
            inserts.get(key).run(...keys.map((k) => out[k]));
          }
        }
      }
    }
    await m.up?.(db, { raw: db, migration: { version: 0 } });
  }
  db.exec('COMMIT');
  if (step.foreignKeysOff) db.pragma('foreign_keys = ON');
}
db.close();
`,
  );
  return script;
}

/** The raw run must have done the same work: the same rows in every user table. */
function assertSameData(mfmigDb, rawDb) {
  const counts = (path) => {
    const db = new Database(path, { readonly: true });
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'mfmig\\_%' ESCAPE '\\' ORDER BY name",
      )
      .pluck()
      .all();
    const result = Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get()]));
    db.close();
    return result;
  };
  const a = JSON.stringify(counts(mfmigDb));
  const b = JSON.stringify(counts(rawDb));
  if (a !== b) throw new Error(`the raw baseline did not do the same work: mfmig ${a}, raw ${b}`);
}

/** The real MVP1 schema, seeded with the tiny knowledge base by the framework's seed. */
async function seed(path) {
  const adapter = openDatabase(path, { create: true });
  const result = await new Migrator({ adapter, migrations: await loadMigrations(MIGRATIONS) }).migrate({ mvp: 1 });
  if (result.error) throw result.error;
  await seedKnowledgeBaseOn(new SqliteConnection(adapter), { rows: ROWS, seed: 1 });
  adapter.close();
}

function med(a) {
  return [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
}

function ms(t) {
  return `${Math.round(t)} ms`;
}
