import { type DialectParticipant, type DialectStep, quoteIdentifier } from '@mfmig/core';
import { restoreArchives } from './archive-restore.js';
import { connectionRegeneratedSince } from './archive-twins.js';
import { type ConnectionArchive, pendingArchives } from './archive-schema.js';
import { copyLosses, pruneUnchanged } from './archive-copy.js';
import { currentSchema, lossesBetween, shrunkTables, tableDigest, tableStates } from './table-state.js';
import { type DownProbeCollector, preserveSqliteDown, probeSqliteDown, restoreSqliteArchives, sqliteConnectionOfStep } from './sqlite-preservation.js';
import { RegeneratedMarks, regeneratedSince } from '../preservation/regenerated-twins.js';
import type { RestoredArchive } from '../preservation/archive-restorer.js';
import type { PreservedData } from '../preservation/archive-writer.js';

/** Options of {@link createConnectionPreservation}. */
export interface ConnectionPreservationOptions {
  /** False keeps nothing: what a down drops is lost (`--no-preserve-data`). Default true. */
  enabled?: boolean;
  /**
   * In a dry run on SQLite (a rollback plan's): receives, per down, what it would drop, or the
   * error of its probe; nothing is archived. Without it a dry run's downs are not probed.
   */
  collect?: DownProbeCollector;
}

const PROBE = 'mfmig_preservation_probe';
/** The participant's name, under which its report entries stand in a run's result. */
const NAME = 'preservation';

/**
 * Rollback preservation as a {@link DialectParticipant}, on both dialects. On SQLite it keeps the
 * archives `createPreservationPlugin` keeps (see `preserveSqliteDown`), so that a database moves
 * between the two runners with its archives. On PostgreSQL, around each down
 * it locks the schema's tables against writes (see {@link holdStill}), runs the down once inside a savepoint and compares every user table before and after (row
 * count and a digest of the rows, columns, tables), rolls that back, copies what would be lost
 * into the `mfmig_archive` schema, runs the down for real, and keeps in each archive only the rows
 * that really went or changed. Cascaded deletes and a module's Kysely queries are seen the same
 * way as SQL. After an up re-creates the tables, it puts the archived rows back (see
 * {@link restoreArchives}) once the up's rows are all there: in its transaction after the
 * transformations, or, when they continue after it, in the transaction that finishes them
 * (`finalizeUp`). Reports `preserved` and `restored` entries. Put it after the transformer in the
 * participants, so its restore runs after the transformations.
 *
 * @example
 * new DialectMigrator({ connection, migrations, participants: [connectionTransformations(), createConnectionPreservation()] });
 */
export function createConnectionPreservation(options: ConnectionPreservationOptions = {}): DialectParticipant {
  // an up run reads the archives waiting in its schema once, not once per step: it writes none, but for
  // the down that takes a failed continued step back out, after which it stops
  let waiting: { runId: string; schema: string; archives: ConnectionArchive[] } | undefined;
  const archivesFor = async (step: DialectStep) => {
    if (waiting?.runId !== step.runId) {
      const schema = await currentSchema(step.connection);
      waiting = { runId: step.runId, schema, archives: await pendingArchives(step.connection, schema) };
    }
    return { schema: waiting.schema, archives: waiting.archives.filter((a) => a.version === step.migration.version) };
  };
  // where the tables with archives stood before each up step: the rows above are the ones the up made
  const marks = new RegeneratedMarks();
  const restore = async (step: DialectStep) => {
    if (step.connection.dialect === 'sqlite') return restoreSqliteArchives(step, marks.take(step.runId, step.migration.version));
    if (step.dryRun) return;
    const { schema, archives: pending } = await archivesFor(step);
    if (pending.length === 0) return;
    const since = marks.take(step.runId, step.migration.version);
    for (const r of await restoreArchives(step.connection, schema, pending, since)) {
      step.report({ kind: 'restored', lossKind: r.kind, table: r.table, rows: r.rows, archiveId: r.archiveId });
    }
  };
  return {
    name: NAME,
    needsTransaction: options.enabled !== false,
    async beforeUp(step) {
      if (step.dryRun || options.enabled === false) return;
      if (step.connection.dialect === 'sqlite')
        marks.set(step.runId, step.migration.version, await regeneratedSince(sqliteConnectionOfStep(step), step.migration.version));
      else {
        const { schema, archives } = await archivesFor(step);
        if (archives.length > 0) marks.set(step.runId, step.migration.version, await connectionRegeneratedSince(step.connection, schema, archives));
      }
    },
    async aroundDown(step, work) {
      if (step.dryRun) return step.connection.dialect === 'sqlite' && options.collect ? probeSqliteDown(step, work, options.collect) : work();
      if (options.enabled === false) {
        // what this down drops is the user's to lose: a step guard lets it go
        step.accountLosses?.('*');
        return work();
      }
      // a down taking a failed attempt back out is archived as every down is, but held: what it drops is that
      // attempt's output (put back, it would overwrite the next, fixed attempt's) and the rows the application
      // wrote into its tables meanwhile, which are not the runner's to destroy
      if (step.connection.dialect === 'sqlite') return preserveSqliteDown(step, work);
      const schema = await currentSchema(step.connection);
      const losses = await probeLosses(step, schema, work);
      const copies = await copyLosses(step, schema, losses);
      await work();
      for (const copy of copies) {
        const rows = copy.kind === 'rows' ? await pruneUnchanged(step, schema, copy) : copy.rows;
        if (rows > 0) {
          step.report({
            kind: 'preserved',
            lossKind: copy.kind,
            table: copy.table,
            rows,
            columns: copy.columns,
            location: copy.location,
            ...(copy.held ? { held: true } : {}),
          });
        }
      }
    },
    // on SQLite the run's result also lists what was archived and put back as the plugin's does (`extras.preserved`, `extras.restored`)
    async afterRun(run, result) {
      marks.forget(run.runId);
      if (run.connection.dialect !== 'sqlite') return;
      const mine = (kind: string) => result.reports.filter((r) => r.participant === NAME && r.kind === kind && r.data).map((r) => r.data);
      const preserved = mine('preserved') as PreservedData[];
      const restored = mine('restored') as RestoredArchive[];
      if (preserved.length > 0) result.extras.preserved = preserved;
      if (restored.length > 0) result.extras.restored = restored;
    },
    // archived rows win over regenerated ones: they go back once every row the up makes is there
    async settleUp(step, { continued }) {
      if (!continued) await restore(step);
    },
    async finalizeUp(step) {
      await restore(step);
    },
  };
}

/** Runs the down in a savepoint and rolls it back: what it would drop, delete or change. */
async function probeLosses(step: DialectStep, schema: string, work: (options?: { probe?: boolean }) => Promise<void>) {
  const conn = step.connection;
  await holdStill(step, schema);
  const before = await tableStates(conn, schema);
  let after: Awaited<ReturnType<typeof tableStates>> | undefined;
  const keptAfter = new Map<string, string>();
  await conn.execute(`SAVEPOINT ${PROBE}`);
  try {
    await work({ probe: true });
    after = await tableStates(conn, schema);
    for (const [table, kept] of shrunkTables(before, after)) {
      const d = await tableDigest(conn, schema, table, kept);
      keptAfter.set(table, `${d.rows}:${d.digest}`);
    }
  } finally {
    await conn.execute(`ROLLBACK TO SAVEPOINT ${PROBE}`);
    await conn.execute(`RELEASE SAVEPOINT ${PROBE}`);
  }
  const changed = new Set<string>();
  for (const [table, kept] of shrunkTables(before, after)) {
    const d = await tableDigest(conn, schema, table, kept);
    if (`${d.rows}:${d.digest}` !== keptAfter.get(table)) changed.add(table);
  }
  return lossesBetween(before, after, changed);
}

/**
 * Locks every table of the schema `IN SHARE MODE` until the down commits: the application reads
 * on, and its writes wait. Without it a row written between the copy into the archive and the
 * down's `DROP TABLE` would be dropped unarchived, and a row deleted between the probe's two
 * readings would be archived as the down's loss. The wait is bounded by the step's lock timeout
 * (the runner retries the step), and the down's own stronger locks come on top in the same
 * transaction.
 */
async function holdStill(step: DialectStep, schema: string): Promise<void> {
  const tables = await step.connection.introspector.tables();
  if (tables.length === 0) return;
  await step.connection.execute(`LOCK TABLE ${tables.map((t) => `${quoteIdentifier(schema)}.${quoteIdentifier(t.name)}`).join(', ')} IN SHARE MODE`);
}
