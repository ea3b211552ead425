import {
  DialectMigrator,
  type DialectParticipant,
  type Migration,
  type MigrationSet,
  type MigrationTarget,
  type PostgresConnection,
  type SampledTable,
  analyzePostgresSql,
  liveRows,
  rehearse,
} from '@mfmig/core';

/** One pending step, timed on the sample and scaled to the live data. */
export interface StepEstimate {
  version: number;
  name: string;
  /** How long it took on the sample, in ms. */
  sampleMs: number;
  /** `sampleMs × scale`. */
  estimatedMs: number;
  /** Live rows over sampled rows of the tables it touches (1 when it touches none that holds rows). */
  scale: number;
  /** The sampled tables it touches: those its statements lock, or every sampled table for a migration written as code. */
  tables: string[];
  /** Rows its data work processed on the sample, as the runner counts them (a module's `ctx.countRows`, the rows its transformations wrote). */
  rows: number;
}

/** A rehearsal that could not run: why, and whether a migration failed in it (a plan with one is refused). */
export interface FailedRehearsal {
  failed: string;
  migrationFailed: boolean;
}

/** Options of {@link rehearsalEstimate}. */
export interface RehearsalEstimateOptions {
  /** Rows per live table copied into the scratch schema. */
  sampleRows: number;
  /** The run's participants: pass the transformer's (`createConnectionTransformer()`) so that declared data moves run, and are timed, as they will. */
  participants?: readonly DialectParticipant[];
  /** Stops the rehearsal between two migrations; the scratch schema is dropped all the same. */
  signal?: AbortSignal;
}

/** What {@link rehearsalEstimate} found. */
export interface RehearsalEstimate {
  /** The version the rehearsal started from (the live one). */
  fromVersion: number;
  steps: StepEstimate[];
  sampleMs: number;
  estimatedMs: number;
  /** Rows copied per table, with the live row count. */
  sampled: (SampledTable & { liveRows: number })[];
}

/** The sampled tables a step touches: those its statements lock (by bare name), or all of them for a module. */
async function touchedTables(m: Migration, sampled: Set<string>): Promise<string[]> {
  if (m.kind !== 'sql') return [...sampled];
  const locked = (await analyzePostgresSql(m.upSql ?? '')).flatMap((s) => s.locks.map((l) => l.table.split('.').at(-1)!));
  return [...new Set(locked)].filter((t) => sampled.has(t));
}

/**
 * Estimates how long the pending migrations up to `target` take on the live data of `conn`: a
 * rehearsal migrates a scratch schema to the live version, copies up to `sampleRows` rows of each
 * live table into it (parents first, see `rehearse`), runs the pending steps there and times each
 * one; each time is scaled by the live rows over the sampled rows of the tables the step touches.
 * The live schema is only read; the scratch schema is dropped afterwards. A step that fails on the
 * sample throws its error. `migrations` must be loaded with their modules (`'import'`).
 *
 * @example
 * const estimate = await rehearsalEstimate(url, conn, migrations, { latest: true }, { sampleRows: 1_000, participants: [createConnectionTransformer()] });
 * for (const s of estimate.steps) console.log(s.version, Math.round(s.estimatedMs), `x${s.scale.toFixed(1)}`);
 */
export async function rehearsalEstimate(
  url: string,
  conn: PostgresConnection,
  migrations: MigrationSet,
  target: MigrationTarget,
  options: RehearsalEstimateOptions,
): Promise<RehearsalEstimate> {
  const fromVersion = (await new DialectMigrator({ connection: conn, migrations }).status()).currentVersion;
  const timed = new Map<number, number>();
  const rehearsal = await rehearse(url, migrations, {
    toVersion: fromVersion,
    participants: options.participants ?? [],
    sample: { fromSchema: conn.schema, rows: options.sampleRows },
    signal: options.signal,
    work: async (_scratch, migrator) => {
      migrator.events.on('migrationCompleted', (e) => timed.set(e.version, e.durationMs));
      const run = await migrator.migrate(target, { signal: options.signal, command: 'mfmig rehearsal estimate' });
      if (run.error) throw run.error;
      return run;
    },
  });
  const sampled: RehearsalEstimate['sampled'] = [];
  for (const s of rehearsal.sampled) sampled.push({ ...s, liveRows: s.rows > 0 ? await liveRows(conn, s.table) : 0 });
  const withRows = new Map(sampled.filter((s) => s.rows > 0).map((s) => [s.table, s]));
  const steps: StepEstimate[] = [];
  for (const result of rehearsal.value!.results) {
    const m = migrations.byVersion.get(result.version);
    const sampleMs = timed.get(result.version);
    if (!m || sampleMs === undefined) continue;
    const tables = await touchedTables(m, new Set(withRows.keys()));
    const rows = tables.reduce((sum, t) => sum + withRows.get(t)!.rows, 0);
    const live = tables.reduce((sum, t) => sum + withRows.get(t)!.liveRows, 0);
    const scale = rows > 0 ? Math.max(1, live / rows) : 1;
    steps.push({ version: m.version, name: m.name, sampleMs, estimatedMs: sampleMs * scale, scale, tables, rows: result.rows });
  }
  const total = (pick: (s: StepEstimate) => number) => steps.reduce((sum, s) => sum + pick(s), 0);
  return { fromVersion, steps, sampleMs: total((s) => s.sampleMs), estimatedMs: total((s) => s.estimatedMs), sampled };
}
