import {
  MfmigError,
  type MigrationFrameworkConfig,
  type MigrationPlugin,
  type ServiceContext,
  createServiceContext,
  migrationLabel,
  resolveTargetVersion,
  withSchemaReplayStandIns,
} from '@mfmig/core';
import type { SchemaChange } from '../diff/schema-change.js';
import { type SchemaDiff, diffSnapshots } from '../diff/schema-diff.js';
import { type DriftReport, compareWithExpected, driftNotChecked } from '../drift/detect-drift.js';
import { SCHEMA_HISTORY_PLUGIN, createSchemaHistoryPlugin } from '../history/schema-history-plugin.js';
import { listSnapshots, loadSnapshot } from '../history/snapshot-store.js';
import { rebuildTableInMigration } from '../rebuild/rebuild-table.js';
import { buildSnapshot } from '../snapshot/catalog-tracker.js';
import { introspectSchema } from '../snapshot/introspect.js';
import { schemaHashOf } from '../snapshot/schema-hash.js';
import type { SchemaSnapshot } from '../snapshot/schema-snapshot.js';
import { replaySchema } from './replay-schema.js';

/** One applied version in the schema history. */
export interface SchemaHistoryEntry {
  version: number;
  name: string;
  mvp: number;
  appliedAt: string;
  /** The hash the core recorded in `mfmig_history.schema_hash` (null before schema history was on). */
  schemaHash: string | null;
  /** Whether a snapshot of this version is stored. */
  hasSnapshot: boolean;
  objectCount: number | null;
}

/** A side of a diff: a version (0 = empty schema), `'live'`, or a snapshot. */
export type SchemaRef = number | 'live' | SchemaSnapshot;

/** The answer to "can the application of this milestone still run against that schema?". */
export interface CompatibilityReport {
  compatible: boolean;
  baseline: { version: number; mvp: number | null; hash: string };
  target: { version: number | 'live'; hash: string };
  breaking: SchemaChange[];
  compatibleChanges: SchemaChange[];
  diff: SchemaDiff;
}

/**
 * The compatibility report of `diff`, from the schema of `baseline` (the version the application
 * was written for) to `against`: compatible when nothing in it breaks that application.
 *
 * @example
 * compatibilityReportOf(diffSnapshots(atVersion3, live), { version: 3, mvp: 2 }, 'live').compatible;
 */
export function compatibilityReportOf(diff: SchemaDiff, baseline: { version: number; mvp: number | null }, against: number | 'live'): CompatibilityReport {
  return {
    compatible: diff.breaking.length === 0,
    baseline: { ...baseline, hash: diff.fromHash },
    target: { version: against, hash: diff.toHash },
    breaking: diff.breaking,
    compatibleChanges: diff.changes.filter((c) => c.compatibility === 'compatible'),
    diff,
  };
}

/** Options of {@link SchemaEvolution}. */
export interface SchemaEvolutionOptions {
  /** Register the schema-history plugin and the table rebuilder on the context. Default true. */
  register?: boolean;
}

/**
 * Schema history, diffs, compatibility and drift for one database.
 *
 * @example
 * const evolution = new SchemaEvolution({ database: './knowledge.db', migrationsPath: './migrations' });
 * const report = await evolution.checkCompatibility({ mvp: 3 });
 * if (!report.compatible) report.breaking.forEach((c) => console.log(c.description, c.reason));
 */
export class SchemaEvolution {
  readonly context: ServiceContext;
  /** The schema-history plugin to add to a Migrator (already on the context's shared migrator). */
  readonly plugin: MigrationPlugin;

  constructor(input: MigrationFrameworkConfig | ServiceContext, options: SchemaEvolutionOptions = {}) {
    this.context = createServiceContext(input);
    const existing = this.context.plugins.find((p) => p.name === SCHEMA_HISTORY_PLUGIN);
    this.plugin = existing ?? createSchemaHistoryPlugin();
    if (options.register !== false) {
      if (!existing) this.context.plugins.push(this.plugin);
      this.context.setTableRebuilder(rebuildTableInMigration);
    }
  }

  /** The live schema, read through the context's connection (as `PostgresSchemaEvolution.snapshot()` reads the catalogs). */
  async snapshot(): Promise<SchemaSnapshot> {
    return introspectSchema(this.context.connection);
  }

  /**
   * The schema at `version`: the snapshot stored when it was applied, else the schema its
   * migrations produce (replayed in memory). Version 0 is the empty schema.
   */
  async snapshotAt(version: number): Promise<SchemaSnapshot> {
    if (version === 0) return buildSnapshot([], schemaHashOf([]));
    const stored = await loadSnapshot(this.context.connection, version);
    if (stored) return stored;
    const set = await this.context.loadMigrations();
    resolveTargetVersion(set, { version });
    return replaySchema(
      set,
      set.migrations.filter((m) => m.version <= version),
    );
  }

  /** Every applied version with its schema hash and whether its snapshot is stored. */
  async history(): Promise<SchemaHistoryEntry[]> {
    const conn = this.context.connection;
    const snapshots = new Map((await listSnapshots(conn)).map((s) => [s.version, s]));
    return (await conn.history.list()).map((h) => {
      const s = snapshots.get(h.version);
      return {
        version: h.version,
        name: h.name,
        mvp: h.mvp,
        appliedAt: h.appliedAt,
        schemaHash: h.schemaHash,
        hasSnapshot: s !== undefined,
        objectCount: s?.objectCount ?? null,
      };
    });
  }

  /**
   * The structured, classified difference between two schemas.
   *
   * @example
   * const diff = await evolution.diff(2, 'live');
   * console.log(renderDiff(diff, { from: 'version 2', to: 'live' }));
   */
  async diff(from: SchemaRef, to: SchemaRef = 'live'): Promise<SchemaDiff> {
    return diffSnapshots(await this.#resolve(from), await this.#resolve(to));
  }

  /**
   * Is `against` (default: the live schema) a compatible superset of the schema of milestone
   * `mvp` (or of `version`)? Breaking changes are listed with their reason.
   *
   * @example
   * (await evolution.checkCompatibility({ mvp: 3 })).compatible; // can the MVP3 application still run?
   */
  async checkCompatibility(options: { mvp?: number; version?: number; against?: SchemaRef }): Promise<CompatibilityReport> {
    if (options.mvp === undefined && options.version === undefined) {
      throw new MfmigError('USAGE', 'checkCompatibility needs the milestone (mvp) or the version the application was written for');
    }
    const set = await this.context.loadMigrations();
    const version = resolveTargetVersion(set, options.mvp !== undefined ? { mvp: options.mvp } : { version: options.version! });
    const against = options.against ?? 'live';
    const diff = diffSnapshots(await this.snapshotAt(version), await this.#resolve(against));
    const mvp = options.mvp ?? set.byVersion.get(version)?.mvp ?? null;
    return compatibilityReportOf(diff, { version, mvp }, typeof against === 'number' ? against : 'live');
  }

  /**
   * Finds where the live schema differs from what the applied migrations produce (objects
   * created, dropped or altered by hand): against the snapshot stored for the current version,
   * or, when there is none, against a replay of the applied migrations. A context that reads
   * modules for their metadata only runs none of their code: an applied module the history shows
   * to have left the schema alone replays as a no-op; any other one leaves the drift unchecked
   * (`notChecked` says why).
   */
  async detectDrift(): Promise<DriftReport> {
    const conn = this.context.connection;
    const applied = await conn.history.list();
    const version = applied.reduce((max, h) => Math.max(max, h.version), 0);
    const live = await this.snapshot();
    const stored = version === 0 ? buildSnapshot([], schemaHashOf([])) : await loadSnapshot(conn, version);
    if (stored) return compareWithExpected(stored, 'snapshot', live, version);
    const set = await this.context.loadMigrations();
    const versions = new Set(applied.map((h) => h.version));
    const missing = [...versions].filter((v) => !set.byVersion.has(v));
    if (missing.length > 0) {
      throw new MfmigError(
        'MIGRATION_MISSING',
        `Cannot compute the expected schema: applied migration(s) ${missing.join(', ')} are missing from the migrations folder`,
      );
    }
    // a context that reads modules for their metadata only replays none of their code
    const { set: replayable, unknown } = withSchemaReplayStandIns(set, applied);
    if (unknown.length > 0) {
      const names = unknown.map((m) => migrationLabel(m)).join(', ');
      return driftNotChecked(
        version,
        live,
        `Schema drift not checked: version ${version} has no stored schema snapshot, and the schema that module migration(s) ${names} produce is known only by running their code, which was not loaded`,
      );
    }
    const expected = await replaySchema(
      replayable,
      replayable.migrations.filter((m) => versions.has(m.version)),
    );
    return compareWithExpected(expected, 'replay', live, version);
  }

  async #resolve(ref: SchemaRef): Promise<SchemaSnapshot> {
    if (ref === 'live') return this.snapshot();
    if (typeof ref === 'number') return this.snapshotAt(ref);
    return ref;
  }
}
