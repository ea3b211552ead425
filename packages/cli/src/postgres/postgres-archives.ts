import type { PostgresConnection } from '@mfmig/core';
import { ARCHIVE_SCHEMA, archiveHistory } from '@mfmig/rollback';
import { type ArchiveListing, archiveListing } from '../archive-listing.js';
import type { CliRuntime } from '../runtime.js';
import { open } from './postgres-commands.js';

/**
 * `mfmig --db postgres://... archives`: the archives of the schema (by its identity: those of
 * another schema, or of an earlier schema of the same name, are not its own), read in a
 * read-only session.
 *
 * @example
 * const waiting = (await postgresArchives(cli)).filter((a) => a.status === 'waiting');
 */
export async function postgresArchives(cli: CliRuntime): Promise<ArchiveListing[]> {
  const conn = await open(cli, { createSchema: false });
  try {
    await conn.execute('SET default_transaction_read_only = on');
    return await connectionArchives(conn);
  } finally {
    await conn.close();
  }
}

/** The archives of the connection's schema (see {@link postgresArchives}), on a connection already open. */
export async function connectionArchives(conn: PostgresConnection): Promise<ArchiveListing[]> {
  return (await archiveHistory(conn, conn.schema)).map((a) =>
    archiveListing(a, `${ARCHIVE_SCHEMA}.${a.archiveTable}`, a.discarded ? 'discarded' : a.restored ? 'restored' : a.held ? 'held' : 'waiting'),
  );
}
