import { type AdoptedMigration, MfmigError, type ServiceContext, recordAdoption } from '@mfmig/core';
import { storeSnapshot } from '@mfmig/schema-evolution';
import { groundBaseline } from './analyze-baseline.js';
import { readLiveSchema } from './live-schema.js';
import { matchToolHistory } from './tools/match-tool-history.js';
import type { MigrationTool } from './tools/tool-history.js';
import { readToolHistory } from './tools/tool-history-readers.js';

/** What adopting another tool's history records (or, before it is written, would record). */
export interface ToolAdoption {
  tool: MigrationTool;
  /** The other tool's history table, read and left as it is. */
  table: string;
  /** The version the database is adopted at. */
  version: number;
  /** Versions recorded as applied, none of them run. */
  versions: number[];
  /** Repeatable migrations recorded as applied (that tool applied their current content). */
  repeatables: string[];
  /** False while only analysed (status, plan, dry run); true once recorded. */
  recorded: boolean;
  /** The run id of the recorded history rows (null until recorded). */
  runId: string | null;
}

/** What an adoption would record, and the write that records it (after checking the schema did not change). */
interface Ground {
  adoption: ToolAdoption;
  write: () => Promise<string>;
}

/**
 * What adopting the history another migration tool (dbmate, golang-migrate, Flyway, sqlx,
 * Prisma, Kysely, knex) left in the database would record; null when there is nothing to adopt
 * (mfmig has a history already, no such table, or that tool applied nothing). Refuses
 * (ADOPTION_REFUSED) what `adoptToolHistory` would refuse. Writes nothing.
 *
 * @example
 * const adoption = await analyzeToolAdoption(framework.context);
 * if (adoption) console.log(`${adoption.tool}: at version ${adoption.version}`);
 */
export async function analyzeToolAdoption(ctx: ServiceContext): Promise<ToolAdoption | null> {
  return (await groundToolAdoption(ctx))?.adoption ?? null;
}

/**
 * Adopts a database another migration tool has been migrating, once (mfmig's history is empty):
 * every migration that tool applied is recorded as applied in `mfmig_history` without running,
 * the adoption goes to `mfmig_audit` (action: the tool; detail: its table and version) and the
 * live schema is stored as the adopted version's snapshot. The schema must equal the one the
 * migrations produce at that version (the baseline check, the tool's own tables left out);
 * anything else is refused (ADOPTION_REFUSED) with nothing written. The other tool's table is
 * only read. Returns null when there is nothing to adopt.
 *
 * @example
 * const adoption = await adoptToolHistory(framework.context); // { tool: 'dbmate', version: 20240301090000, ... }
 */
export async function adoptToolHistory(ctx: ServiceContext): Promise<ToolAdoption | null> {
  const first = await groundToolAdoption(ctx);
  if (!first) return null;
  const { lock } = ctx.connection;
  await lock.acquire({ timeoutMs: ctx.config.lockTimeout, command: `adopt ${first.adoption.tool} history at version ${first.adoption.version}` });
  try {
    const ground = await groundToolAdoption(ctx);
    if (!ground) return null;
    ground.adoption.runId = await ground.write();
    ground.adoption.recorded = true;
    return ground.adoption;
  } finally {
    await lock.release();
  }
}

async function groundToolAdoption(ctx: ServiceContext): Promise<Ground | null> {
  const conn = ctx.connection;
  if ((await conn.history.list()).length > 0) return null;
  const history = await readToolHistory(ctx.connection);
  if (!history) return null;
  const set = await ctx.loadMigrations();
  const matched = matchToolHistory(history, set);
  if (matched.version === 0 && matched.migrations.length === 0) return null;
  const { analysis, versions } = await groundBaseline(ctx, { to: matched.version }, history.ownTables, matched.repeatables);
  if (analysis.match !== 'exact') {
    const first = analysis.differences[0]?.description ?? '';
    throw new MfmigError(
      'ADOPTION_REFUSED',
      `${history.tool} (${history.table}) has applied migrations up to version ${matched.version}, but the schema of ${conn.target} differs from that version's in ${analysis.differences.length} place(s) (${first}); repair the schema so that it matches, then migrate again. Nothing was written`,
      { context: { reason: 'differences', tool: history.tool, table: history.table, version: matched.version, differences: analysis.differences.length } },
    );
  }
  const live = readLiveSchema(conn, []);
  const hashes = new Map(versions.map((v) => [v.version, v.hash]));
  const migrations: AdoptedMigration[] = matched.migrations.map((m) => ({
    version: m.version,
    name: m.name,
    mvp: m.mvp,
    checksum: m.checksum,
    schemaHash: m.version === matched.version ? live.hash : (hashes.get(m.version) ?? null),
  }));
  const adoption: ToolAdoption = {
    tool: history.tool,
    table: history.table,
    version: matched.version,
    versions: matched.migrations.map((m) => m.version),
    repeatables: matched.repeatables.map((r) => r.name),
    recorded: false,
    runId: null,
  };
  const detail = `source=${history.tool}; table=${history.table}; match=exact; migrations=${migrations.length}; repeatables=${adoption.repeatables.length}; schema=${live.hash}`;
  const write = () =>
    conn.transaction(async () => {
      if (readLiveSchema(conn, []).hash !== live.hash) {
        throw new MfmigError('ADOPTION_REFUSED', `The schema of ${conn.target} changed while the adoption was being prepared; nothing was recorded`, {
          context: { reason: 'changed' },
        });
      }
      const runId = await recordAdoption(conn, { source: history.tool, version: matched.version, migrations, repeatables: matched.repeatables, detail });
      await storeSnapshot(conn, { version: matched.version, hash: live.hash, runId, objects: live.objects, changes: new Map() });
      return runId;
    });
  return { adoption, write };
}
