import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type MigrationSet, type PgRowWork, type PostgresConnection, analyzePostgresSql, migrationLabel, tableSizes } from '@mfmig/core';
import type { ResourceEstimate } from '../estimate/resources.js';
import type { RehearsalEstimate } from './postgres-rehearsal-estimate.js';
import type { PostgresPlan } from './postgres-plan.js';

/** Bytes one index entry takes, about (a btree tuple's header, a key, the page's share), as on SQLite. */
const INDEX_ENTRY_BYTES = 48;

/** What {@link estimatePostgresResources} adds to the SQLite estimate's fields. */
export type PostgresResourceEstimate = ResourceEstimate & {
  storage: ResourceEstimate['storage'] & {
    /** Where `additionalSpaceRequired` comes from: the rehearsal's measured growth, else the statements' row work. */
    growthSource: 'rehearsal' | 'model';
    /** The largest copy one statement makes and frees at its commit (a table rewrite): part of `additionalSpaceRequired`. */
    transientPeak: number;
    /**
     * The WAL the run writes, about, in bytes: the bytes its steps write, which the WAL carries once
     * (each step's growth, from the rehearsal when there is one, else from the model; never less
     * than nothing for a step that shrinks), plus every table copy a rewrite makes (freed at its
     * commit, so not in the growth, but written to the WAL in full). Full-page images after a
     * checkpoint come on top. It stays on the server's disk until checkpoints recycle it, longer
     * where a replica or an archive lags.
     */
    walBytes: number;
    /** The server's `max_wal_size`, in bytes: past it, checkpoints run during the migration; 0 where the server does not say. */
    maxWalSize: number;
  };
  /** What the estimate could not weigh, and where `freeSpace` was read. */
  notes: string[];
};

/** The server settings the memory and CPU estimates read. */
interface ServerSettings {
  maintenanceWorkMem: number;
  workMem: number;
  parallelMaintenanceWorkers: number;
  /** Below this many bytes of heap, an index build gets no parallel worker. */
  minParallelTableScanSize: number;
  maxWalSize: number;
}

async function serverSettings(conn: PostgresConnection): Promise<ServerSettings> {
  const rows = await conn.query<{ name: string; bytes: string }>(
    `SELECT name, (CASE unit WHEN 'kB' THEN setting::bigint * 1024 WHEN '8kB' THEN setting::bigint * 8192 WHEN 'MB' THEN setting::bigint * 1048576
                              ELSE setting::bigint END)::text AS bytes
       FROM pg_settings WHERE name IN ('maintenance_work_mem', 'work_mem', 'max_parallel_maintenance_workers', 'min_parallel_table_scan_size', 'max_wal_size')`,
  );
  const value = (name: string) => Number(rows.find((r) => r.name === name)?.bytes ?? 0);
  return {
    maintenanceWorkMem: value('maintenance_work_mem'),
    workMem: value('work_mem'),
    parallelMaintenanceWorkers: value('max_parallel_maintenance_workers'),
    minParallelTableScanSize: value('min_parallel_table_scan_size'),
    maxWalSize: value('max_wal_size'),
  };
}

/** Bytes of the tables (with TOAST, without indexes) a `pg_dump` of the schema and its archives holds. */
async function dumpedBytes(conn: PostgresConnection): Promise<number> {
  const [row] = await conn.query<{ b: string }>(
    `SELECT coalesce(sum(pg_table_size(c.oid)), 0)::text AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ($1, 'mfmig_archive') AND c.relkind IN ('r', 'm')`,
    [conn.schema],
  );
  return Number(row?.b ?? 0);
}

/** Free bytes on the file system of `folder` (or of its nearest existing parent). */
function freeBytesAt(folder: string): number {
  let at = resolve(folder);
  for (;;) {
    try {
      const stat = statfsSync(at);
      return Number(stat.bavail) * Number(stat.bsize);
    } catch {
      const up = dirname(at);
      if (up === at) return 0;
      at = up;
    }
  }
}

/**
 * Permanent growth and the largest transient copy of the pending SQL steps, from their statements'
 * row work on the catalog's sizes; the largest table an index is built over, and whether a step
 * builds an index or rewrites a table (a module step may).
 */
async function modelGrowth(
  conn: PostgresConnection,
  migrations: MigrationSet,
  plan: PostgresPlan,
): Promise<{ growth: number; transient: number; rewritten: number; unweighed: string[]; largestIndexed: number; builds: boolean }> {
  const scripts = await Promise.all(
    plan.steps.map(async (s) => {
      const m = migrations.byVersion.get(s.version);
      return { step: s, work: m?.kind === 'sql' ? (await analyzePostgresSql(m.upSql ?? '')).flatMap((st) => st.rowWork) : undefined };
    }),
  );
  const own = (name: string) => (name.startsWith(`${conn.schema}.`) ? name.slice(conn.schema.length + 1) : name);
  const named = scripts.flatMap((s) => s.work?.flatMap((w) => [w.table, ...(w.from ?? [])]) ?? []);
  const sizes = await tableSizes(conn, [...new Set(named.map(own))]);
  const state = new Map<string, { rows: number; bytesPerRow: number; indexes: number }>();
  const table = (name: string) => {
    const key = own(name);
    let t = state.get(key);
    if (!t) {
      const size = sizes.get(key);
      t = { rows: size?.rows ?? 0, bytesPerRow: size?.bytesPerRow ?? 0, indexes: size?.indexes ?? 0 };
      state.set(key, t);
    }
    return t;
  };
  let growth = 0;
  let transient = 0;
  let rewritten = 0;
  let largestIndexed = 0;
  let builds = false;
  const unweighed: string[] = [];
  for (const { step, work } of scripts) {
    if (!work) {
      unweighed.push(migrationLabel(step));
      builds = true;
      continue;
    }
    builds ||= work.some((w) => w.kind === 'index' || w.kind === 'rewrite');
    for (const w of work) if (w.kind === 'index') largestIndexed = Math.max(largestIndexed, table(w.table).rows * table(w.table).bytesPerRow);
    growth += stepGrowth(work, table, (bytes) => {
      transient = Math.max(transient, bytes);
      rewritten += bytes;
    });
  }
  return { growth, transient, rewritten, unweighed, largestIndexed, builds };
}

function stepGrowth(
  work: readonly PgRowWork[],
  table: (name: string) => { rows: number; bytesPerRow: number; indexes: number },
  copy: (bytes: number) => void,
): number {
  let growth = 0;
  for (const w of work) {
    const t = table(w.table);
    if (w.kind === 'rewrite') copy(t.rows * (t.bytesPerRow + t.indexes * INDEX_ENTRY_BYTES));
    else if (w.kind === 'index') {
      growth += t.rows * INDEX_ENTRY_BYTES;
      t.indexes += 1;
    } else if (w.kind === 'update') growth += t.rows * (t.bytesPerRow + t.indexes * INDEX_ENTRY_BYTES);
    else if (w.kind === 'insert') {
      const largest = (w.from ?? []).map(table).sort((a, b) => b.rows - a.rows)[0];
      const rows = largest?.rows ?? 0;
      const bytes = largest?.bytesPerRow || t.bytesPerRow;
      growth += rows * (bytes + t.indexes * INDEX_ENTRY_BYTES);
      if (t.rows === 0 && rows > 0) t.bytesPerRow = bytes;
      t.rows += rows;
    }
  }
  return growth;
}

/**
 * The disk, memory and CPU a PostgreSQL plan needs, in the shape of the SQLite estimate:
 * - `additionalSpaceRequired`: what the schema grows by, as the plan's rehearsal measured it on
 *   the sample (each step's growth scaled like its time), else from the statements' row work on the
 *   catalog's sizes (rows inserted or updated, index entries; module steps unweighed, named in
 *   `notes`), plus the largest table one statement rewrites (its copy is freed at commit). Dead
 *   rows an UPDATE leaves stay until VACUUM, so they count; the WAL the run writes does not;
 * - `walBytes`: the WAL the run writes, as the rehearsal measured it on the sample (the server's
 *   insert position before and after each step, scaled like its growth), else the model's bytes;
 *   a note when it passes `max_wal_size` (checkpoints during the run);
 * - `backupSpaceRequired`: the tables of the schema and of `mfmig_archive` (TOAST included, indexes
 *   not, which `pg_dump` does not copy): an upper bound of the compressed `-Fc` file;
 * - `freeSpace`: the file system of the local backup folder, where `pg_dump` writes (the server's
 *   own disk cannot be read from a client session); `DISK_FULL` in `errors` when the backup does
 *   not fit there;
 * - memory: the server's `maintenance_work_mem` when a step builds an index or rewrites a table
 *   (or a module step may), else `work_mem`;
 * - CPU: one backend, plus `max_parallel_maintenance_workers` when a step builds an index over a
 *   table of `min_parallel_table_scan_size` or more (by the catalog's sizes).
 * Reads the catalog and settings only.
 *
 * @example
 * const resources = await estimatePostgresResources(conn, migrations, plan, rehearsal, { backupFolder: './backups/postgres' });
 * resources.storage.additionalSpaceRequired; resources.cpu.recommendedCores;
 */
export async function estimatePostgresResources(
  conn: PostgresConnection,
  migrations: MigrationSet,
  plan: PostgresPlan,
  rehearsal: RehearsalEstimate | undefined,
  options: { backupFolder: string },
): Promise<PostgresResourceEstimate> {
  const model = await modelGrowth(conn, migrations, plan);
  const measured = rehearsal ? rehearsal.steps.reduce((sum, s) => sum + Math.max(0, s.estimatedBytes), 0) : null;
  const growth = measured ?? model.growth;
  // what the steps write (a step that shrinks writes little) and every copy a rewrite makes
  const walBytes = Math.round(growth + model.rewritten);
  const notes: string[] = [];
  if (measured === null && model.unweighed.length > 0) {
    notes.push(`${model.unweighed.join(', ')}: not weighed: a module migration's writes are known only when it runs; a rehearsal measures them`);
  }
  const backup = await dumpedBytes(conn);
  const freeSpace = freeBytesAt(options.backupFolder);
  notes.push(
    `freeSpace is the backup folder's file system (${resolve(options.backupFolder)}); the server's disk needs additionalSpaceRequired free, and room for about ${mb(walBytes)} of WAL until checkpoints recycle it`,
  );
  const errors: ResourceEstimate['errors'] = [];
  if (backup > freeSpace) {
    errors.push({
      code: 'DISK_FULL',
      message: `The pg_dump backup needs up to ${mb(backup)}, but only ${mb(freeSpace)} is free in ${resolve(options.backupFolder)}`,
    });
  }
  const settings = await serverSettings(conn);
  if (settings.maxWalSize > 0 && walBytes > settings.maxWalSize) {
    notes.push(
      `the run writes about ${mb(walBytes)} of WAL, more than max_wal_size (${mb(settings.maxWalSize)}): checkpoints will run during it, and a replica or WAL archive must keep up`,
    );
  }
  // PostgreSQL gives an index build parallel workers only over a heap of min_parallel_table_scan_size or more
  const parallel =
    settings.parallelMaintenanceWorkers > 0 && settings.minParallelTableScanSize > 0 && model.largestIndexed >= settings.minParallelTableScanSize;
  return {
    storage: {
      additionalSpaceRequired: Math.round(growth + model.transient),
      backupSpaceRequired: backup,
      freeSpace,
      growthSource: measured === null ? 'model' : 'rehearsal',
      transientPeak: Math.round(model.transient),
      walBytes,
      maxWalSize: settings.maxWalSize,
    },
    memory: { peakMemoryUsage: model.builds ? settings.maintenanceWorkMem : settings.workMem },
    cpu: {
      recommendedCores: parallel ? 1 + settings.parallelMaintenanceWorkers : 1,
      reason: parallel
        ? `one backend runs the migrations; an index build may use ${settings.parallelMaintenanceWorkers} parallel worker(s) (max_parallel_maintenance_workers)`
        : 'one backend runs the migrations, one statement at a time',
    },
    errors,
    notes,
  };
}

function mb(n: number): string {
  return `${(n / 1_048_576).toFixed(1)} MB`;
}
