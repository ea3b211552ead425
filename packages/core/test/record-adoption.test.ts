// recordAdoption: the rows an adoption (baseline, or another tool's history) writes, the same on
// both dialects, through the connection only: refused over a history, and all or nothing.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunnableConnection, isAdoptedEntry, isMfmigError, openPostgres, openSqlite, recordAdoption } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempDir } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const migrations = [
  { version: 1, name: 'a', mvp: 1, checksum: 'c1', schemaHash: 'h1' },
  { version: 2, name: 'b', mvp: 1, checksum: 'c2', schemaHash: 'h2' },
];
const adoption = { source: 'dbmate', version: 2, migrations, repeatables: [{ name: 'views', checksum: 'r1' }], detail: 'source=dbmate; match=exact' };

const dialects: [string, () => Promise<RunnableConnection>][] = [
  ['SQLite', () => openSqlite(join(tempDir(), 'kb.db'), { create: true })],
  ['PostgreSQL', async () => openPostgres(await scratchDatabase())],
];

async function recorded(conn: RunnableConnection) {
  return {
    history: (await conn.history.list()).map((h) => [h.version, h.checksum, h.status, h.schemaHash, h.durationMs, isAdoptedEntry(h), h.runId]),
    repeatables: (await conn.history.repeatables()).map((r) => [r.name, r.checksum]),
    audit: (await conn.history.auditLog()).map((a) => [a.action, a.version, a.detail]),
  };
}

async function refusal(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    return isMfmigError(error) ? error.code : String(error);
  }
  return undefined;
}

describe.each(dialects)('recordAdoption on %s', (_name, open) => {
  it('records every migration as applied without running it, the repeatables and one audit row, under one adopted run id', async () => {
    const conn = await open();
    try {
      const runId = await conn.transaction(() => recordAdoption(conn, adoption));
      expect(runId).toMatch(/^adopted:dbmate:/);
      expect(await recorded(conn)).toEqual({
        history: [
          [1, 'c1', 'applied', 'h1', 0, true, runId],
          [2, 'c2', 'applied', 'h2', 0, true, runId],
        ],
        repeatables: [['views', 'r1']],
        audit: [['dbmate', 2, 'source=dbmate; match=exact']],
      });
    } finally {
      await conn.close();
    }
  });

  it('refuses a database with a history, and leaves it as it was', async () => {
    const conn = await open();
    try {
      await conn.transaction(() => recordAdoption(conn, adoption));
      const before = await recorded(conn);
      const again = conn.transaction(() => recordAdoption(conn, { ...adoption, source: 'baseline', version: 1, migrations: migrations.slice(0, 1) }));
      expect(await refusal(again)).toBe('ADOPTION_REFUSED');
      expect(await recorded(conn)).toEqual(before);
    } finally {
      await conn.close();
    }
  });

  it('writes nothing when the transaction it is part of fails afterwards', async () => {
    const conn = await open();
    try {
      const failing = conn.transaction(async () => {
        await recordAdoption(conn, adoption);
        throw new Error('the snapshot write failed');
      });
      expect(await refusal(failing)).toBe('Error: the snapshot write failed');
      expect((await conn.history.list()).length).toBe(0);
      // and a later adoption is not refused by what the failed one began
      await conn.transaction(() => recordAdoption(conn, adoption));
      expect((await recorded(conn)).history).toHaveLength(2);
    } finally {
      await conn.close();
    }
  });
});
