import {
  DialectMigrator,
  type DialectParticipant,
  type DialectStep,
  type Migration,
  type MigrationSet,
  type MigrationTarget,
  type PgStatement,
  type PostgresConnection,
  type SampledTable,
  analyzePostgresSql,
  liveRows,
  quoteIdentifier,
  rehearse,
} from '@mfmig/core';
import { type RehearsedStatements, statementCapture } from './statement-capture.js';
import { parseRehearsed } from './rehearsed-statements.js';
import { fixedTimes } from './fixed-times.js';

/** One pending step, timed on the sample and scaled to the live data. */
export interface StepEstimate {
  version: number;
  name: string;
  /** How long it took on the sample, in ms. */
  sampleMs: number;
  /**
   * The part of `sampleMs` that does not grow with the rows: its time on empty tables (see
   * `fixedTimes`), at most `sampleMs`; 0 when that run could not be made or the step touches no
   * sampled rows.
   */
  fixedMs: number;
  /** `fixedMs + (sampleMs - fixedMs) × scale`. */
  estimatedMs: number;
  /** Live rows over sampled rows of the tables it touches (1 when it touches none that holds rows). */
  scale: number;
  /** The sampled tables it touches: those its statements (a module's: those it ran in the rehearsal) lock, or every sampled table for a module that ran none. */
  tables: string[];
  /** Rows its data work processed on the sample, as the runner counts them (a module's `ctx.countRows`, the rows its transformations wrote). */
  rows: number;
  /** What the scratch schema grew by while it ran (tables, indexes, TOAST; negative when it shrank), in bytes. */
  sampleBytes: number;
  /** Its growth on the live data: the growth of the tables that hold rows scaled (by the live rows of what it reads), that of empty ones (new tables and indexes) as measured. */
  estimatedBytes: number;
  /** A module migration's statements as it ran them on the sample, by phase: what the plan analyses it from (see `withRehearsedModules`). */
  ran?: RehearsedStatements;
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
  /**
   * False: no second rehearsal on empty tables (each step's `fixedMs` stays 0 and its whole time is
   * scaled), for a caller that wants what the steps run rather than how long they take. Default true.
   */
  fixedTimes?: boolean;
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

/** A module's rehearsed statements of every phase, or null when none of them locks a table (then every sampled table counts). */
async function lockingStatements(ran: RehearsedStatements): Promise<PgStatement[] | null> {
  const phases = await parseRehearsed(ran);
  const all = [...phases.transaction, ...phases.batches, ...phases.final];
  return all.some((s) => s.locks.length > 0) ? all : null;
}

/** The sampled tables a step touches: those its statements lock (by bare name), or all of them when it has none (a module not rehearsed). */
function touchedTables(statements: readonly PgStatement[] | null, sampled: Set<string>): string[] {
  if (statements === null) return [...sampled];
  const locked = statements.flatMap((s) => s.locks.map((l) => l.table.split('.').at(-1)!));
  return [...new Set(locked)].filter((t) => sampled.has(t));
}

/** Live rows over sampled rows of `tables` (at least 1); null when none of them holds sampled rows. */
function scaleOver(tables: readonly string[], withRows: Map<string, SampledTable & { liveRows: number }>): number | null {
  const rows = tables.reduce((sum, t) => sum + withRows.get(t)!.rows, 0);
  const live = tables.reduce((sum, t) => sum + withRows.get(t)!.liveRows, 0);
  return rows > 0 ? Math.max(1, live / rows) : null;
}

/**
 * Estimates how long the pending migrations up to `target` take on the live data of `conn`: a
 * rehearsal migrates a scratch schema to the live version, copies up to `sampleRows` rows of each
 * live table into it (parents first, see `rehearse`), runs the pending steps there and times each
 * one; each time is scaled by the live rows over the sampled rows of the tables the step touches,
 * all but its part that does not grow with the rows (`fixedMs`: the same steps timed on empty
 * tables in a second scratch schema, when a step scales at all).
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
  const capture = statementCapture();
  const sized = schemaGrowth(capture.quiet);
  const rehearsal = await rehearse(url, migrations, {
    toVersion: fromVersion,
    // the capture first and last: its hooks mark where each phase of a step starts and where its transaction's work ends
    participants: [capture.participant, ...(options.participants ?? []), sized.participant, capture.closer],
    sample: { fromSchema: conn.schema, rows: options.sampleRows },
    signal: options.signal,
    work: async (scratch, migrator) => {
      await sized.start(scratch);
      migrator.events.on('migrationCompleted', (e) => {
        timed.set(e.version, e.durationMs);
        capture.end();
      });
      const stop = capture.watch(scratch);
      try {
        const run = await migrator.migrate(target, { signal: options.signal, command: 'mfmig rehearsal estimate' });
        if (run.error) throw run.error;
        return run;
      } finally {
        stop();
      }
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
    // a SQL step's statements, parsed once: the tables it locks scale its time, those it reads its growth
    const statements = m.kind === 'sql' ? await analyzePostgresSql(m.upSql ?? '') : null;
    const ran = capture.ran(m.version);
    // a module's: the tables the statements it ran lock (every sampled table when it ran none that the capture kept)
    const tables = touchedTables(statements ?? (ran ? await lockingStatements(ran) : null), new Set(withRows.keys()));
    const scale = scaleOver(tables, withRows) ?? 1;
    const grown = sized.growth(m.version);
    const sampleBytes = grown.data + grown.fixed;
    const estimatedBytes = grown.data * growthScale(m, statements, scale, withRows) + grown.fixed;
    steps.push({
      version: m.version,
      name: m.name,
      sampleMs,
      fixedMs: 0,
      estimatedMs: sampleMs * scale,
      scale,
      tables,
      rows: result.rows,
      sampleBytes,
      estimatedBytes,
      ...(ran ? { ran } : {}),
    });
  }
  // only a step that scales has a part that does not: it is measured on empty tables, in a second rehearsal
  const fixed =
    options.fixedTimes !== false && steps.some((s) => s.scale > 1)
      ? await fixedTimes(url, migrations, fromVersion, target, options.participants ?? [], options.signal)
      : null;
  for (const s of steps) {
    if (s.scale <= 1) continue;
    s.fixedMs = Math.min(fixed?.get(s.version) ?? 0, s.sampleMs);
    s.estimatedMs = s.fixedMs + (s.sampleMs - s.fixedMs) * s.scale;
  }
  const total = (pick: (s: StepEstimate) => number) => steps.reduce((sum, s) => sum + pick(s), 0);
  return { fromVersion, steps, sampleMs: total((s) => s.sampleMs), estimatedMs: total((s) => s.estimatedMs), sampled };
}

/** Per table of the session's current schema: its bytes (with its indexes and TOAST) and its rows. */
type SchemaSizes = Map<string, { bytes: number; rows: number }>;

/**
 * The tables of the session's current schema with their sizes; rows are counted only for the tables
 * whose size changed since `last` (the sample is small, and most tables do not change in a step).
 */
async function schemaSizes(conn: Pick<PostgresConnection, 'query'>, last: SchemaSizes | undefined): Promise<SchemaSizes> {
  const tables = await conn.query<{ t: string; b: string }>(
    "SELECT c.relname AS t, pg_total_relation_size(c.oid)::text AS b FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'm')",
  );
  const sizes: SchemaSizes = new Map();
  for (const { t, b } of tables) {
    const bytes = Number(b);
    const before = last?.get(t);
    const rows =
      before && before.bytes === bytes
        ? before.rows
        : Number((await conn.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdentifier(t)}`))[0]?.n ?? 0);
    sizes.set(t, { bytes, rows });
  }
  return sizes;
}

/** What a step added to the scratch schema: bytes of the tables that hold rows, with their indexes (`data`, which grows with the rows), and of the empty ones (`fixed`: new tables and their indexes). */
interface StepGrowth {
  data: number;
  fixed: number;
}

/**
 * Measures what each step of a rehearsal adds to the scratch schema: its tables' sizes once the
 * step's work is done (after the other participants' work in its transaction, and again after a
 * continued part), against those after the step before.
 */
function schemaGrowth(quiet: <T>(work: () => Promise<T>) => Promise<T>): {
  participant: DialectParticipant;
  start(conn: PostgresConnection): Promise<void>;
  growth(version: number): StepGrowth;
} {
  let initial: SchemaSizes = new Map();
  let latest: SchemaSizes | undefined;
  const after = new Map<number, SchemaSizes>();
  const order: number[] = [];
  const record = async (step: DialectStep) => {
    if (!after.has(step.migration.version)) order.push(step.migration.version);
    // the rehearsal's own reads are no statement of the step's
    latest = await quiet(() => schemaSizes(step.connection, latest));
    after.set(step.migration.version, latest);
  };
  return {
    participant: { name: 'rehearsal-schema-growth', settleUp: (step) => record(step), finalizeUp: (step) => record(step) },
    async start(conn) {
      initial = await schemaSizes(conn, undefined);
      latest = initial;
    },
    growth(version) {
      const i = order.indexOf(version);
      const now = after.get(version);
      if (i < 0 || !now) return { data: 0, fixed: 0 };
      const before = i === 0 ? initial : (after.get(order[i - 1]!) ?? initial);
      const grown: StepGrowth = { data: 0, fixed: 0 };
      for (const [table, size] of now) {
        const was = before.get(table) ?? { bytes: 0, rows: 0 };
        if (size.rows > 0) grown.data += size.bytes - was.bytes;
        else grown.fixed += size.bytes - was.bytes;
      }
      for (const [table, was] of before) if (!now.has(table)) grown.fixed -= was.bytes;
      return grown;
    },
  };
}

/**
 * How a step's data growth scales to the live rows: by the live over the sampled rows of what its
 * data work reads. A SQL step's row work names them (the sources of its INSERT ... SELECTs, the
 * tables it updates, rewrites or indexes: a VALUES list or a new table grows by what the sample
 * measured, whatever the live rows); a module's declared transformations name their sources; a
 * module without them takes the step's own scale.
 */
function growthScale(
  m: Migration,
  statements: readonly PgStatement[] | null,
  stepScale: number,
  withRows: Map<string, SampledTable & { liveRows: number }>,
): number {
  const bare = (name: string) => name.split('.').at(-1)!;
  const read =
    statements !== null
      ? statements.flatMap((st) => st.rowWork.flatMap((w) => (w.kind === 'insert' ? (w.from ?? []) : w.kind === 'delete' ? [] : [w.table])))
      : m.transformations.map((t) => (t as { sourceTable?: unknown }).sourceTable).filter((t): t is string => typeof t === 'string');
  const sources = [...new Set(read.map(bare))].filter((t) => withRows.has(t));
  if (sources.length === 0) return statements !== null ? 1 : stepScale;
  return scaleOver(sources, withRows) ?? stepScale;
}
