import {
  MfmigError,
  type MigrationPlugin,
  type MigrationSet,
  type RunResult,
  type ScratchDirectory,
  type TableRebuilder,
  Migrator,
  isMfmigError,
  messageOf,
  migrationLabel,
  quoteIdentifier,
  type DatabaseAdapter,
  openDatabaseFile,
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
function measureCommit(db: DatabaseAdapter, samples: number): number {
  const synchronous = Number(db.value('PRAGMA synchronous'));
  const unsynced = (sql: string) => {
    db.run('PRAGMA synchronous = OFF');
    db.exec(sql);
    db.run(`PRAGMA synchronous = ${synchronous}`);
  };
  unsynced('CREATE TABLE IF NOT EXISTS mfmig_commit_probe (id INTEGER PRIMARY KEY, v INTEGER)');
  const write = db.prepare('INSERT INTO mfmig_commit_probe (v) VALUES (?)');
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    db.transaction(() => write.run(i));
    times.push((performance.now() - start) / 1000);
  }
  unsynced('DROP TABLE mfmig_commit_probe');
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
 * const sample = await buildSampleFile(liveDb, ScratchDirectory.create(), 0.01);
 */
export async function buildSampleFile(live: DatabaseAdapter, scratch: ScratchDirectory, fraction: number): Promise<SampleFile> {
  const path = scratch.createFile('sample', '.db');
  try {
    (await buildSampleDatabase(live, path, fraction, 64)).close();
  } catch (error) {
    removeDatabaseFiles(path);
    throw error;
  }
  return { path, fraction, journalMode: live.journalMode() };
}

/**
 * A copy of the whole live database in a new file of `scratch`, made with one `VACUUM INTO`
 * (a consistent read, far cheaper than sampling row by row) for a database small enough to be
 * rehearsed in full. mfmig's own tables other than the run state (history, transformation
 * cursors) are dropped from the copy, as {@link buildSampleFile} leaves them out: a run lock or
 * recorded metrics of the live database must not steer the rehearsal.
 *
 * @example
 * const copy = buildFullCopy(liveDb, ScratchDirectory.create());
 */
export function buildFullCopy(live: DatabaseAdapter, scratch: ScratchDirectory): SampleFile {
  const path = scratch.createFile('sample', '.db');
  const journalMode = live.journalMode();
  try {
    live.prepare('VACUUM INTO ?').run(path);
    const copy = openDatabaseFile(path, { create: true });
    try {
      // a scratch file: what survives a power cut does not matter, one fsync per DROP would
      copy.run('PRAGMA synchronous = OFF');
      copy.setForeignKeys(false);
      const own = copy.introspector
        .catalogSync({ type: 'table' })
        .map((r) => r.name)
        .filter((name) => name.startsWith('mfmig_'));
      copy.transaction(() => {
        for (const table of own.filter((t) => !RUN_STATE_TABLES.includes(t))) copy.run(`DROP TABLE ${quoteIdentifier(table)}`);
      });
      if (journalMode === 'wal') copy.run('PRAGMA journal_mode = wal');
    } finally {
      copy.close();
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

function counts(db: DatabaseAdapter): Map<string, number> {
  return new Map(
    tablesParentsFirst(db).map((t) => [
      t.name.toLowerCase(),
      Number(
        db
          .prepare(`SELECT count(*) FROM ${quoteIdentifier(t.name)}`)
          .pluck()
          .get(),
      ),
    ]),
  );
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
 * const run = await rehearse({ sample: buildSampleFile(db, scratch, 0.01), migrations, direction: 'up', targetVersion: 17, plugins, rebuildTable, scratch, cacheKiB: 16_000 });
 */
export async function rehearse(options: RehearsalOptions): Promise<RehearsalRun> {
  const path = options.scratch.copyFile(options.sample.path, 'rehearsal', '.db');
  let sample: DatabaseAdapter;
  try {
    sample = openDatabaseFile(path, { create: true });
  } catch (error) {
    removeDatabaseFiles(path);
    throw error;
  }
  try {
    if (['delete', 'truncate', 'persist'].includes(options.sample.journalMode)) sample.run(`PRAGMA journal_mode = ${options.sample.journalMode}`);
    sample.setForeignKeys(true);
    sample.run(`PRAGMA cache_size = -${Math.max(64, Math.round(options.cacheKiB))}`);
    const commitSeconds = measureCommit(sample, options.commitSamples ?? 7);
    if (!options.durable) sample.run('PRAGMA synchronous = OFF');
    const adapter = sample;
    const migrator = new Migrator({
      adapter,
      migrations: options.migrations,
      plugins: options.plugins,
      rebuildTable: options.rebuildTable,
      allowUnadopted: true,
    });
    const run: RehearsalRun = { fraction: options.sample.fraction, seconds: new Map(), cpuSeconds: new Map(), counts: new Map(), commitSeconds };
    let cpu = process.cpuUsage();
    migrator.events.on('migrationStarted', () => {
      cpu = process.cpuUsage();
    });
    migrator.events.on('migrationCompleted', (e) => {
      const used = process.cpuUsage(cpu);
      run.cpuSeconds.set(e.version, (used.user + used.system) / 1e6);
      run.seconds.set(e.version, e.durationMs / 1000);
      run.counts.set(e.version, counts(sample));
    });
    const result =
      options.direction === 'up'
        ? await migrator.migrate({ version: options.targetVersion }, { command: 'plan rehearsal' })
        : await migrator.rollback({ version: options.targetVersion }, { command: 'plan rehearsal' });
    if (result.error) throw rehearsalError(result, options.sample.fraction);
    return run;
  } finally {
    sample.close();
    removeDatabaseFiles(path);
  }
}
