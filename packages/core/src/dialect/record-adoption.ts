import { randomUUID } from 'node:crypto';
import { MfmigError } from '../errors/index.js';
import { ADOPTED_RUN_PREFIX, type Adoption } from '../history/history-store.js';
import type { RunnableConnection } from './dialect.js';

/** What {@link recordAdoption} writes: an adoption, and the repeatable migrations whose current content the schema has already. */
export interface RecordedAdoption extends Adoption {
  repeatables?: readonly { name: string; checksum: string }[];
}

/**
 * Records an adopted database (or schema) through its connection, in the caller's transaction:
 * every migration of `adoption` as applied without running (run id `adopted:<source>:<uuid>`,
 * duration 0), the repeatable migrations as run, and one audit row whose action is the source.
 * Refuses (ADOPTION_REFUSED) when the history has rows already: a runner beside this one adopted
 * or migrated first. Returns the run id the rows carry. The same rows on either dialect.
 *
 * @example
 * await conn.transaction(() => recordAdoption(conn, { source: 'baseline', version: 3, migrations, detail: 'source=baseline; match=exact' }));
 */
export async function recordAdoption(conn: RunnableConnection, adoption: RecordedAdoption): Promise<string> {
  const repeatables = adoption.repeatables ?? [];
  await conn.history.ensure();
  if (repeatables.length > 0) await conn.history.ensureRepeatables();
  if ((await conn.history.list()).length > 0) {
    const place = conn.dialect === 'sqlite' ? `Database ${conn.target}` : conn.target;
    throw new MfmigError('ADOPTION_REFUSED', `${place} already has a migration history; it cannot be adopted again`, {
      context: { reason: 'has-history' },
    });
  }
  const runId = `${ADOPTED_RUN_PREFIX}${adoption.source}:${randomUUID()}`;
  for (const m of adoption.migrations) {
    await conn.history.record({ ...m, status: 'applied', durationMs: 0, runId, rows: null });
  }
  for (const r of repeatables) await conn.history.recordRepeatable(r.name, r.checksum, runId);
  await conn.history.audit(adoption.source, adoption.version, adoption.detail);
  return runId;
}
