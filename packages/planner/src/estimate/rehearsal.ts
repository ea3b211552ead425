import {
  DialectMigrator,
  MfmigError,
  type MigrationPlugin,
  type MigrationSet,
  type RunResult,
  type ScratchDirectory,
  type SqliteConnection,
  type TableRebuilder,
  isMfmigError,
  messageOf,
  migrationLabel,
  openSqliteFile,
  pluginParticipant,
  quoteIdentifier,
} from '@mfmig/core';
import { RUN_STATE_TABLES } from '../analysis/schema-copy.js';
import { removeDatabaseFiles } from './database-files.js';
import { median } from './median.js';
import { buildSampleDatabase, tablesParentsFirst } from './sample-database.js';

/** What one rehearsal on a sample measured. */
export interface RehearsalRun {
  /** Fraction of the live data in the sample. */
  fraction: number;
  /** Seconds per step, by version (without commit costs: the sample runs with synchronous = OFF). */
  seconds: Map<number, number>;
  /** Seconds of one commit with the live database's durability settings, measured on the sample file. */
  commitSeconds: number;
  /** CPU seconds of this process per step, by version (wall time minus waiting for the CPU or the disk). */
  cpuSeconds: Map<number, number>;
  /** Rows of every user table after each step, by version. */
  counts: Map<number, Map<string, number>>;
}

/** Options of {@link rehearse}. */
export interface RehearsalOptions {
  migrations: MigrationSet;
  direction: 'up' | 'down';
  targetVersion: number;
  /** Plugins that take part in real runs and change their cost (the transformer). */
  plugins: MigrationPlugin[];
  rebuildTable: TableRebuilder | undefined;
  /** The sample to rehearse on (from {@link buildSampleFile}); each run works on a copy of it. */
  sample: SampleFile;
  /** The private folder the copy is made in (the copy is removed afterwards). */
  scratch: ScratchDirectory;
  /** Page cache of the sample, KiB. */
  cacheKiB: number;
  /** Keep the live durability settings (fsync on commit) instead of `synchronous = OFF`. */
  durable?: boolean;
  /** Small committed writes whose median is the commit cost (default 7). */
  commitSamples?: number;
}

/**
 * Median time of a small committed write, with the durability settings the sample copied from
 * the live database. Only the measured writes pay for them: the probe table comes and goes
 * without fsync.
 */
async function measureCommit(db: SqliteConnection, samples: number): Promise<number> {
  const [setting] = await db.query<{ synchronous: number }>('PRAGMA synchronous');
  const synchronous = Number(setting?.synchronous);
  const unsynced = async (sql: string) => {
    await db.execute('PRAGMA synchronous = OFF');
    await db.executeScript(sql);
    await db.execute(`PRAGMA synchronous = ${synchronous}`);
  };
  await unsynced('CREATE TABLE IF NOT EXISTS mfmig_commit_probe (id INTEGER PRIMARY KEY, v INTEGER)');
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await db.transaction(() => db.execute('INSERT INTO mfmig_commit_probe (v) VALUES (?)', [i]));
    times.push((performance.now() - start) / 1000);
  }
  await unsynced('DROP TABLE mfmig_commit_probe');
  return median(times);
}

/** A sample of the live database in a file: what rehearsals copy and run on. */
export interface SampleFile {
  path: string;
  /** Fraction of the live data in it. */
  fraction: number;
  /** The live database's journal mode (only `wal` is stored in the file itself). */
  journalMode: string;
}

/**
 * Builds a sample of `fraction` of the live data in a new file of the private folder `scratch`
 * once, so that repeated rehearsals copy it instead of reading the live database again. Remove
 * it with {@link removeSampleFile}.
 *
 * @example
 * const sample = await buildSampleFile(conn, ScratchDirectory.create(), 0.01);
 */
export async function buildSampleFile(live: SqliteConnection, scratch: ScratchDirectory, fraction: number): Promise<SampleFile> {
  const path = scratch.createFile('sample', '.db');
  try {
    await (await buildSampleDatabase(live, path, fraction, 64)).close();
  } catch (error) {
    removeDatabaseFiles(path);
    throw error;
  }
  return { path, fraction, journalMode: await live.journalMode() };
}

/**
 * A copy of the whole live database in a new file of `scratch`, made with one `VACUUM INTO`
 * (a consistent read, far cheaper than sampling row by row) for a database small enough to be
 * rehearsed in full. mfmig's own tables other than the run state (history, transformation
 * cursors) are dropped from the copy, as {@link buildSampleFile} leaves them out: a run lock or
 * recorded metrics of the live database must not steer the rehearsal.
 *
 * @example
 * const copy = await buildFullCopy(conn, ScratchDirectory.create());
 */
export async function buildFullCopy(live: SqliteConnection, scratch: ScratchDirectory): Promise<SampleFile> {
  const path = scratch.createFile('sample', '.db');
  const journalMode = await live.journalMode();
  try {
    await live.execute('VACUUM INTO ?', [path]);
    const copy = await openSqliteFile(path, { create: true });
    try {
      // a scratch file: what survives a power cut does not matter, one fsync per DROP would
      await copy.execute('PRAGMA synchronous = OFF');
      await copy.execute('PRAGMA foreign_keys = OFF');
      const own = copy.introspector
        .catalogSync({ type: 'table' })
        .map((r) => r.name)
        .filter((name) => name.startsWith('mfmig_'));
      await copy.transaction(async () => {
        for (const table of own.filter((t) => !RUN_STATE_TABLES.includes(t))) await copy.execute(`DROP TABLE ${quoteIdentifier(table)}`);
      });
      if (journalMode === 'wal') await copy.execute('PRAGMA journal_mode = wal');
    } finally {
      await copy.close();
    }
  } catch (error) {
    removeDatabaseFiles(path);
    throw error;
  }
  return { path, fraction: 1, journalMode };
}

/** Deletes a sample built by {@link buildSampleFile}. */
export function removeSampleFile(sample: SampleFile): void {
  removeDatabaseFiles(sample.path);
}

/**
 * The rows of every user table now. SQLite's connection runs a query when it is called (its
 * promise only carries the result), so the counts called for in a run's synchronous
 * `migrationCompleted` listener are those of the moment the step completed, before the next one starts.
 */
async function counts(db: SqliteConnection): Promise<Map<string, number>> {
  const tables = tablesParentsFirst(db).map((t) => ({
    table: t.name.toLowerCase(),
    rows: db.query<{ n: number }>(`SELECT count(*) AS n FROM ${quoteIdentifier(t.name)}`),
  }));
  const counted = new Map<string, number>();
  for (const { table, rows } of tables) counted.set(table, Number((await rows)[0]?.n ?? 0));
  return counted;
}

/**
 * Why a rehearsal stopped. A migration that failed on the sample is a `REHEARSAL_FAILED` error
 * naming it and the failing statement (the plan would fail, or be refused, on the real data);
 * anything else (a run that could not start) is a plain error.
 */
function rehearsalError(result: RunResult, fraction: number): Error {
  const error = result.error!;
  const on = fraction === 0 ? 'the schema alone' : fraction >= 1 ? 'a full copy of the data' : `a ${(fraction * 100).toFixed(2)}% sample`;
  const failed = result.results.find((r) => r.status === 'Error');
  if (!failed) return new Error(`rehearsal on ${on} stopped: ${messageOf(error)}`);
  const known = isMfmigError(error) && typeof error.context.statement === 'string' ? error.context.statement : undefined;
  // a check made after the migration's statements (error.context.check) names no statement of its own
  const afterChecks = isMfmigError(error) && error.context.check !== undefined;
  const statement = known ?? (afterChecks ? null : (failed.statements.at(-1) ?? null));
  return new MfmigError('REHEARSAL_FAILED', `Migration ${migrationLabel(failed)} failed when rehearsed on ${on}: ${messageOf(error)}`, {
    cause: error,
    context: {
      version: failed.version,
      migration: failed.name,
      direction: failed.direction,
      statement: statement ?? undefined,
      fraction,
      reason: messageOf(error),
    },
  });
}

/**
 * Runs the planned migrations for real on a copy of a sample of the database (a fraction of
 * every table, foreign keys kept; see {@link buildSampleFile}) with a page cache of `cacheKiB`, with the plugins of real runs,
 * and measures each step and the row counts it leaves. The live database is only read. Unless
 * `durable`, the copy runs with `synchronous = OFF` (fsync times vary too much to be scaled up
 * from a small sample); the cost of one real commit is measured first and returned. A
 * migration that fails on the copy throws a `REHEARSAL_FAILED` MfmigError (context: version,
 * migration, direction, statement, fraction, reason).
 *
 * @example
 * const scratch = ScratchDirectory.create();
 * const run = await rehearse({ sample: await buildSampleFile(conn, scratch, 0.01), migrations, direction: 'up', targetVersion: 17, plugins, rebuildTable, scratch, cacheKiB: 16_000 });
 */
export async function rehearse(options: RehearsalOptions): Promise<RehearsalRun> {
  const path = options.scratch.copyFile(options.sample.path, 'rehearsal', '.db');
  let sample: SqliteConnection;
  try {
    sample = await openSqliteFile(path, { create: true });
  } catch (error) {
    removeDatabaseFiles(path);
    throw error;
  }
  try {
    if (['delete', 'truncate', 'persist'].includes(options.sample.journalMode)) await sample.execute(`PRAGMA journal_mode = ${options.sample.journalMode}`);
    await sample.execute('PRAGMA foreign_keys = ON');
    await sample.execute(`PRAGMA cache_size = -${Math.max(64, Math.round(options.cacheKiB))}`);
    const commitSeconds = await measureCommit(sample, options.commitSamples ?? 7);
    if (!options.durable) await sample.execute('PRAGMA synchronous = OFF');
    const rebuildTable = options.rebuildTable ? { rebuildTable: options.rebuildTable } : {};
    // the participants a real run's plugins take part as (Migrator's)
    const runner = new DialectMigrator({
      connection: sample,
      migrations: options.migrations,
      participants: options.plugins.map((plugin) => pluginParticipant(plugin, rebuildTable)),
      ...rebuildTable,
      allowUnadopted: true,
    });
    const run: RehearsalRun = { fraction: options.sample.fraction, seconds: new Map(), cpuSeconds: new Map(), counts: new Map(), commitSeconds };
    const counted: Promise<void>[] = [];
    let cpu = process.cpuUsage();
    runner.events.on('migrationStarted', () => {
      cpu = process.cpuUsage();
    });
    runner.events.on('migrationCompleted', (e) => {
      const used = process.cpuUsage(cpu);
      run.cpuSeconds.set(e.version, (used.user + used.system) / 1e6);
      run.seconds.set(e.version, e.durationMs / 1000);
      counted.push(counts(sample).then((c) => void run.counts.set(e.version, c)));
    });
    const result =
      options.direction === 'up'
        ? await runner.migrate({ version: options.targetVersion }, { command: 'plan rehearsal' })
        : await runner.rollback({ version: options.targetVersion }, { command: 'plan rehearsal' });
    await Promise.all(counted);
    if (result.error) throw rehearsalError(result, options.sample.fraction);
    return run;
  } finally {
    await sample.close();
    removeDatabaseFiles(path);
  }
}
