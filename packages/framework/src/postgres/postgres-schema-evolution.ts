import { type MigrationSet, MfmigError, appliedSubset, compareSchemaObjects, resolveTargetVersion } from '@mfmig/core';
import {
  type CompatibilityReport,
  type DriftReport,
  type PostgresSchemaSnapshot,
  type SchemaDiff,
  type SchemaHistoryEntry,
  compatibilityReportOf,
  driftReportOf,
  postgresSchemaDiff,
  postgresSnapshotOf,
  postgresVersionObjects,
} from '@mfmig/schema-evolution';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';
import { postgresParticipants } from './postgres-participants.js';

/** A side of a PostgreSQL diff: a version (0 = the empty schema), `'live'`, or a snapshot taken before. */
export type PostgresSchemaRef = number | 'live' | PostgresSchemaSnapshot;

/**
 * `framework.schemaEvolution` on PostgreSQL, with the SQLite service's calls and result fields. The
 * live schema is read from the catalogs on a read-only session. A version's schema is rehearsed:
 * its migrations run, with the run's transformer, in a scratch schema on the same server that is
 * dropped afterwards (PostgreSQL keeps no snapshot per version). Tables, columns, indexes, foreign
 * keys and primary keys are compared, and the views, CHECK constraints, triggers, functions and
 * procedures, enum types and identity and generated columns beside them. Nothing here writes the
 * schema.
 *
 * @example
 * const report = await framework.schemaEvolution.checkCompatibility({ mvp: 3 });
 * if (!report.compatible) report.breaking.forEach((c) => console.log(c.description, c.reason));
 * (await framework.schemaEvolution.detectDrift()).summary.forEach((s) => console.log(s));
 */
export class PostgresSchemaEvolution {
  readonly #ctx: PostgresFrameworkContext;

  constructor(ctx: PostgresFrameworkContext) {
    this.#ctx = ctx;
  }

  /** The live schema: its tables and the objects beside them. */
  async snapshot(): Promise<PostgresSchemaSnapshot> {
    return this.#ctx.session('read', async (conn) => postgresSnapshotOf(await conn.introspector.objects()));
  }

  /** The schema the migrations up to `version` build (a rehearsal); version 0 is the empty schema. */
  async snapshotAt(version: number): Promise<PostgresSchemaSnapshot> {
    const [snapshot] = await this.#resolve([version]);
    return snapshot!;
  }

  /**
   * Every applied version, with the catalog fingerprint its run recorded where it took one (a
   * run's last step and its module steps; null on the others). No snapshot is stored on
   * PostgreSQL (`hasSnapshot: false`).
   */
  async history(): Promise<SchemaHistoryEntry[]> {
    return this.#ctx.session('read', async (conn) => {
      if (!(await conn.history.exists())) return [];
      return (await conn.history.list()).map((h) => ({
        version: h.version,
        name: h.name,
        mvp: h.mvp,
        appliedAt: h.appliedAt,
        schemaHash: h.schemaHash,
        hasSnapshot: false,
        objectCount: null,
      }));
    });
  }

  /**
   * The classified difference between two schemas, as on SQLite. Versions on both sides share one
   * rehearsal.
   *
   * @example
   * const diff = await framework.schemaEvolution.diff(2, 'live');
   * console.log(renderDiff(diff, { from: 'version 2', to: 'live' }));
   */
  async diff(from: PostgresSchemaRef, to: PostgresSchemaRef = 'live'): Promise<SchemaDiff> {
    const [before, after] = await this.#resolve([from, to]);
    return postgresSchemaDiff(before!, after!);
  }

  /**
   * Is `against` (default: the live schema) a compatible superset of the schema of milestone
   * `mvp` (or of `version`)? Breaking changes are listed with their reason.
   */
  async checkCompatibility(options: { mvp?: number; version?: number; against?: PostgresSchemaRef }): Promise<CompatibilityReport> {
    if (options.mvp === undefined && options.version === undefined) {
      throw new MfmigError('USAGE', 'checkCompatibility needs the milestone (mvp) or the version the application was written for');
    }
    const migrations = await this.#ctx.migrations('import');
    const version = resolveTargetVersion(migrations, options.mvp !== undefined ? { mvp: options.mvp } : { version: options.version! });
    const against = options.against ?? 'live';
    const [baseline, target] = await this.#resolve([version, against], migrations);
    const diff = postgresSchemaDiff(baseline!, target!);
    const mvp = options.mvp ?? migrations.byVersion.get(version)?.mvp ?? null;
    return compatibilityReportOf(diff, { version, mvp }, typeof against === 'number' ? against : 'live');
  }

  /**
   * Where the live schema differs from what the applied migrations build (objects made, dropped or
   * altered by hand): a rehearsal of exactly the applied versions against the catalogs. An applied
   * version missing from the folder is refused (`MIGRATION_MISSING`), as on SQLite.
   */
  async detectDrift(): Promise<DriftReport> {
    const { applied, live } = await this.#ctx.session('read', async (conn) => ({
      applied: (await conn.history.exists()) ? await conn.history.list() : [],
      live: postgresSnapshotOf(await conn.introspector.objects()),
    }));
    const version = applied.reduce((max, h) => Math.max(max, h.version), 0);
    const migrations = await this.#ctx.migrations('import');
    const missing = applied.filter((h) => !migrations.byVersion.has(h.version)).map((h) => h.version);
    if (missing.length > 0) {
      throw new MfmigError(
        'MIGRATION_MISSING',
        `Cannot compute the expected schema: applied migration(s) ${missing.join(', ')} are missing from the migrations folder`,
      );
    }
    // exactly what the history holds: a migration pending below the current version is not drift
    const [expected] = await this.#resolve(
      [version],
      appliedSubset(
        migrations,
        applied.map((h) => h.version),
      ),
    );
    const changes = compareSchemaObjects(expected!, live);
    return driftReportOf(changes, { version, source: 'replay', expectedHash: expected!.hash, actualHash: live.hash });
  }

  /** Each ref's snapshot: the live one read once, every version from one rehearsal. */
  async #resolve(refs: PostgresSchemaRef[], given?: MigrationSet): Promise<PostgresSchemaSnapshot[]> {
    const numbers = refs.filter((r): r is number => typeof r === 'number');
    const live = refs.includes('live') ? await this.snapshot() : null;
    if (numbers.length === 0) return refs.map((r) => (r === 'live' ? live! : (r as PostgresSchemaSnapshot)));
    const migrations = given ?? (await this.#ctx.migrations('import'));
    const versions = new Map(numbers.map((n) => [n, n === 0 ? 0 : resolveTargetVersion(migrations, { version: n })]));
    const objects = await postgresVersionObjects(this.#ctx.url, migrations, [...new Set(versions.values())], {
      participants: postgresParticipants({ preserve: false }),
    });
    return refs.map((r) => {
      if (r === 'live') return live!;
      if (typeof r !== 'number') return r;
      return postgresSnapshotOf(objects.get(versions.get(r)!)!);
    });
  }
}
