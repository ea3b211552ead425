import { type AdoptedMigration, MfmigError, type ServiceContext, recordAdoption } from '@mfmig/core';
import { type SchemaChange, storeSnapshot } from '@mfmig/schema-evolution';
import { assertDatabaseIntact } from '../integrity-precheck.js';
import { readLiveSchema } from './live-schema.js';
import { detectedToolTables } from './tools/tool-history-readers.js';
import { type BaselineAnalysis, type BaselineGround, type BaselineOptions, groundBaseline } from './analyze-baseline.js';

/** Where the history of a baseline comes from (other tools' history tables will be other sources). */
export const BASELINE_SOURCE = 'baseline';

/** What a baseline did (or, in a dry run, would do). */
export interface BaselineResult {
  /** The version the database was adopted at. */
  version: number;
  /** `exact`: its schema equals the live one; `forced`: adopted with `force` despite differences. */
  matched: 'exact' | 'forced';
  /** Every version whose schema equals the live one. */
  candidates: number[];
  /** Changes from the adopted version's schema to the live one (empty when exact). */
  differences: SchemaChange[];
  /** Versions recorded as applied (none in a dry run). */
  recorded: number[];
  dryRun: boolean;
  source: typeof BASELINE_SOURCE;
  /** The run id of the recorded history rows (null in a dry run). */
  runId: string | null;
}

/**
 * Adopts an existing database (tables, no migration history): records every migration up to
 * the version whose schema equals the live one as applied, without running any, stores that
 * version's schema snapshot (for drift detection) and logs the adoption in `mfmig_audit`.
 * Refuses (ADOPTION_REFUSED, nothing written) when no version matches, several do, or the
 * stated `to` differs from the live schema without `force`; and a database that has a history.
 *
 * @example
 * const result = await baselineDatabase(framework.context, {});
 * console.log(`adopted at version ${result.version}`); // `migrateTo` now applies only newer ones
 */
export async function baselineDatabase(ctx: ServiceContext, options: BaselineOptions = {}): Promise<BaselineResult> {
  if (options.force && options.to === undefined) {
    throw new MfmigError('USAGE', 'Forcing a baseline needs the version to adopt at (to)');
  }
  await assertDatabaseIntact(ctx.connection);
  const ground = await groundBaseline(ctx, { to: options.to });
  const { analysis } = ground;
  const version = acceptedVersion(ctx, analysis, options.force === true);
  const result: BaselineResult = {
    version,
    matched: analysis.match === 'exact' ? 'exact' : 'forced',
    candidates: analysis.candidates,
    differences: analysis.differences,
    recorded: [],
    dryRun: options.dryRun === true,
    source: BASELINE_SOURCE,
    runId: null,
  };
  if (options.dryRun) return result;
  const { lock } = ctx.connection;
  await lock.acquire({ timeoutMs: ctx.config.lockTimeout, command: `baseline at version ${version}` });
  try {
    result.runId = await record(ctx, ground, result, await detectedToolTables(ctx.connection));
    result.recorded = ground.set.migrations.filter((m) => m.version <= version).map((m) => m.version);
  } finally {
    await lock.release();
  }
  return result;
}

function acceptedVersion(ctx: ServiceContext, analysis: BaselineAnalysis, force: boolean): number {
  const file = ctx.connection.target;
  if (analysis.match === 'ambiguous') {
    throw refused(
      'ambiguous',
      `The schema of ${file} matches versions ${analysis.candidates.join(', ')} (they differ only in data); state the version the database is at`,
      analysis,
    );
  }
  if (analysis.match === 'none') {
    const closest = analysis.closest ? ` (nearest: version ${analysis.closest.version}, ${analysis.closest.differences} difference(s))` : '';
    const stopped = analysis.replayError ? `; the replay stopped early: ${analysis.replayError}` : '';
    throw refused(
      'no-match',
      `The schema of ${file} matches no version of the migrations${closest}${stopped}; adopting it needs a stated version and force`,
      analysis,
    );
  }
  if (analysis.match === 'differs' && !force) {
    const first = analysis.differences[0]?.description ?? '';
    throw refused(
      'differences',
      `Version ${analysis.version}'s schema differs from the schema of ${file} in ${analysis.differences.length} place(s) (${first}); adopting it there needs force`,
      analysis,
    );
  }
  return analysis.version!;
}

function refused(reason: 'ambiguous' | 'no-match' | 'differences', message: string, analysis: BaselineAnalysis): MfmigError {
  return new MfmigError('ADOPTION_REFUSED', message, {
    context: {
      reason,
      version: analysis.version ?? undefined,
      candidates: analysis.candidates,
      closest: analysis.closest,
      differences: analysis.differences.length,
    },
  });
}

/** History rows, the adopted version's snapshot and the audit row, in one transaction under the run lock. */
async function record(ctx: ServiceContext, ground: BaselineGround, result: BaselineResult, toolTables: readonly string[]): Promise<string> {
  const conn = ctx.connection;
  const hashes = new Map(ground.versions.map((v) => [v.version, v]));
  const migrations: AdoptedMigration[] = ground.set.migrations
    .filter((m) => m.version <= result.version)
    .map((m) => ({ version: m.version, name: m.name, mvp: m.mvp, checksum: m.checksum, schemaHash: hashes.get(m.version)?.hash ?? null }));
  const adopted = hashes.get(result.version)!;
  const detail =
    result.matched === 'exact'
      ? `source=${BASELINE_SOURCE}; match=exact; schema=${ground.live.hash}`
      : `source=${BASELINE_SOURCE}; match=forced; differences=${result.differences.length}; schema=${ground.live.hash}; expected=${adopted.hash}`;
  // the live schema has what they make: running them again would fail or do it twice
  const repeatables = result.matched === 'exact' ? ground.repeatables : [];
  return conn.transaction(async () => {
    if (readLiveSchema(conn, toolTables).compared.hash !== ground.live.hash) {
      throw new MfmigError('ADOPTION_REFUSED', `The schema of ${conn.target} changed while the baseline was being prepared; nothing was recorded`, {
        context: { reason: 'changed' },
      });
    }
    const runId = await recordAdoption(conn, { source: BASELINE_SOURCE, version: result.version, migrations, repeatables, detail });
    await storeSnapshot(conn, { version: result.version, hash: adopted.hash, runId, objects: adopted.objects, changes: new Map() });
    return runId;
  });
}
