import { type DialectConnection, MfmigError, formatCount, isPostgresUrl } from '@mfmig/core';
import { type DiscardTarget, archivesToDiscard, discardArchiveRows } from '@mfmig/rollback';
import { open } from '../postgres/postgres-commands.js';
import type { CliRuntime } from '../runtime.js';

/** The question asked before rows are deleted for good: how many, of which tables, and what the next migrate will no longer do. */
function question(targets: readonly DiscardTarget[]): string {
  const rows = targets.reduce((n, t) => n + t.rows, 0);
  const which = targets.map((t) => `${t.archiveId} (${formatCount(t.rows)} row(s) of ${t.table}, ${t.status})`).join(', ');
  const waiting = targets.filter((t) => t.status === 'waiting').map((t) => t.archiveId);
  const lost = waiting.length > 0 ? ` The next migrate will not put back the rows of ${waiting.join(', ')}.` : '';
  return `Delete for good the ${formatCount(rows)} row(s) archive(s) ${which} hold?${lost}`;
}

/**
 * `mfmig archives --discard <id...>`: deletes for good the rows of archives that are waiting, held
 * or another database's, after a question that names them (`--yes` without a terminal; refused
 * with `RISK_NOT_ACCEPTED`, exit 3, nothing deleted). One transaction under the run lock.
 *
 * @example
 * if (options.discard !== undefined) return discard(cli, options.discard, options.lockTimeout);
 */
export async function discard(cli: CliRuntime, ids: number[], lockTimeoutMs: number): Promise<void> {
  const run = async (conn: DialectConnection) => {
    const targets = await archivesToDiscard(conn, ids);
    if (!(await cli.out.confirm(question(targets)))) {
      throw new MfmigError('RISK_NOT_ACCEPTED', 'Discarding deletes the archived rows for good, so nothing was deleted; rerun with --yes to discard them');
    }
    return discardArchiveRows(conn, ids, { lockTimeoutMs });
  };
  let discarded: DiscardTarget[];
  if (isPostgresUrl(cli.globals.db)) {
    const conn = await open(cli, { createSchema: false });
    try {
      discarded = await run(conn);
    } finally {
      await conn.close();
    }
  } else {
    const framework = cli.openFramework({ loadModules: false });
    discarded = await run(framework.context.connection);
  }
  cli.out.result({ discarded }, () => {
    for (const d of discarded)
      cli.out.line(`Archive ${d.archiveId}: deleted ${formatCount(d.rows)} archived row(s) of ${d.table}; its table ${d.location} is dropped.`);
  });
}
