import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryStore, isAdoptedEntry, isMfmigError, openDatabase } from '@mfmig/core';

const migrations = [
  { version: 1, name: 'a', mvp: 1, checksum: 'c1', schemaHash: 'h1' },
  { version: 2, name: 'b', mvp: 1, checksum: 'c2', schemaHash: 'h2' },
];

describe('HistoryStore.adopt', () => {
  it('records the adopted migrations and one audit row together, and refuses a second adoption', () => {
    const adapter = openDatabase(join(mkdtempSync(join(tmpdir(), 'mfmig-core-')), 'kb.db'), { create: true });
    const history = new HistoryStore(adapter);
    expect(history.hasEntries()).toBe(false);
    const runId = history.adopt({ source: 'baseline', version: 2, migrations, detail: 'source=baseline; match=exact' });
    expect(runId).toMatch(/^adopted:baseline:/);
    expect(history.list().map((h) => [h.version, h.checksum, h.status, h.schemaHash, isAdoptedEntry(h)])).toEqual([
      [1, 'c1', 'applied', 'h1', true],
      [2, 'c2', 'applied', 'h2', true],
    ]);
    expect(history.auditLog()).toEqual([expect.objectContaining({ action: 'baseline', version: 2, detail: 'source=baseline; match=exact' })]);

    const fingerprint = history.fingerprint();
    let error: unknown;
    try {
      history.adopt({ source: 'baseline', version: 1, migrations: migrations.slice(0, 1), detail: 'again' });
    } catch (e) {
      error = e;
    }
    expect(isMfmigError(error) && error.code).toBe('ADOPTION_REFUSED');
    expect(history.fingerprint()).toBe(fingerprint);
    expect(history.auditLog()).toHaveLength(1);
    adapter.close();
  });
});
