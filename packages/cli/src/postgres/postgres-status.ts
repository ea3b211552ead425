import { type HistoryEntry, type MigrationStatus, type PostgresConnection } from '@mfmig/core';
import { lastApplied } from '@mfmig/validation';
import { adoptionPreview, renderAdoption } from '../adoption-preview.js';
import type { CliRuntime } from '../runtime.js';
import { describePosition, renderPending, renderPendingRepeatables } from '../render-status.js';
import { migrator, open } from './postgres-commands.js';
import { pendingToolAdoption } from './postgres-tool-adoption.js';
import { connectionArchives } from './postgres-archives.js';
import { archiveCounts, renderArchiveCounts } from '../archive-listing.js';

/** `mfmig --db postgres://... status`: the same document as on SQLite, read from the catalogs. */
export async function statusPostgres(cli: CliRuntime, options: { exitCode: boolean }): Promise<void> {
  const conn = await open(cli, { createSchema: false });
  try {
    const m = await migrator(cli, conn, { loadModules: false });
    const status = await m.status();
    const exists = await conn.history.exists();
    const history = exists ? await conn.history.list() : [];
    // what the next migrate would adopt from another tool's history, or why it would refuse; status runs no module code
    const adoption = history.length === 0 ? await adoptionPreview(async () => (await pendingToolAdoption(cli, conn, 'metadata'))?.adoption ?? null) : null;
    if (adoption?.adoption) status.pending = status.pending.filter((p) => !adoption.adoption!.versions.includes(p.version));
    const drift = await schemaDrift(conn, history);
    const archives = archiveCounts(await connectionArchives(conn));
    const problems: { code: string; version: number; severity: 'error' | 'warning'; message: string }[] = [
      ...status.problems,
      ...(drift.hasDrift
        ? [
            {
              code: 'SCHEMA_DRIFT',
              version: drift.version!,
              severity: 'warning' as const,
              message: `the schema changed outside mfmig since version ${drift.version} (\`mfmig validate\` names what changed)`,
            },
          ]
        : []),
      ...(adoption?.problem ? [adoption.problem] : []),
      ...(history.length === 0 && !adoption ? await unadoptedSchema(conn, status) : []),
    ];
    const { out } = cli;
    const shown = { dialect: 'postgres', database: conn.target, exists, ...status, ...(adoption?.adoption ? { adoption: adoption.adoption } : {}) };
    out.result({ ...shown, problems, archives, drift }, () => {
      out.line(`Database:  ${conn.target}${exists ? '' : ' (no mfmig history yet: nothing applied)'}`);
      out.line(`Version:   ${describePosition(status)}; latest ${status.latestVersion}${status.hasMilestones ? ` (MVP${status.latestMvp})` : ''}`);
      out.line(`Applied:   ${status.applied.length}   Pending: ${status.pending.length}`);
      if (adoption?.adoption) renderAdoption(out, adoption.adoption);
      renderPending(out, status);
      renderPendingRepeatables(out, status);
      renderArchiveCounts(out, archives);
      for (const p of problems) out.line(`${p.severity === 'error' ? out.colors.red('error') : out.colors.yellow('warning')}: ${p.message}`);
    });
    if (options.exitCode && (status.pending.length > 0 || status.pendingRepeatables.length > 0 || problems.length > 0)) cli.exitCode = 1;
  } finally {
    await conn.close();
  }
}

async function unadoptedSchema(conn: PostgresConnection, status: MigrationStatus) {
  if (status.pending.length === 0) return [];
  const tables = (await conn.introspector.tables()).map((t) => t.name);
  if (tables.length === 0) return [];
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ` and ${tables.length - 5} more` : '');
  return [
    {
      code: 'UNADOPTED_SCHEMA',
      version: 0,
      severity: 'warning' as const,
      message: `${conn.target} holds ${tables.length} table(s) (${shown}) and no migration history: \`migrate\` refuses to run version 1 over tables the migrations create; \`mfmig baseline --dry-run\` shows the version the schema matches`,
    },
  ];
}

/**
 * The live schema's fingerprint against the one the history recorded after the version applied
 * last, as SQLite's `status` reports drift: read from the catalogs, no rehearsal.
 */
async function schemaDrift(
  conn: PostgresConnection,
  history: HistoryEntry[],
): Promise<{ hasDrift: boolean; version: number | null; expectedHash: string | null; actualHash: string | null }> {
  const last = history.length > 0 ? lastApplied(history) : undefined;
  if (!last?.schemaHash) return { hasDrift: false, version: last?.version ?? null, expectedHash: null, actualHash: null };
  const actual = await conn.introspector.schemaFingerprintLike(last.schemaHash);
  return { hasDrift: actual !== last.schemaHash, version: last.version, expectedHash: last.schemaHash, actualHash: actual };
}
