import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MigrationPlugin, Migrator, RunValues, loadMigrations, openDatabase, runKey } from '@mfmig/core';

const TICKET = runKey<{ ticket: string }>('test-ticket');
const OTHER = runKey<{ ticket: string }>('test-ticket');

describe('RunValues', () => {
  it("hands a run's plugins what its caller gave that run, by key, and nothing to the next run", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-values-'));
    mkdirSync(join(dir, 'migrations', 'mvp1'), { recursive: true });
    for (const n of [1, 2])
      writeFileSync(
        join(dir, 'migrations', 'mvp1', `000${n}_t${n}.sql`),
        `-- migrate:up\nCREATE TABLE t${n} (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE t${n};\n`,
      );
    const seen: unknown[] = [];
    const plugin: MigrationPlugin = {
      name: 'values-reader',
      beforeRun: (run) => void seen.push(['before', run.values.get(TICKET)?.ticket, run.values.get(OTHER)]),
      afterRun: (run) => void seen.push(['after', run.values.get(TICKET)?.ticket]),
    };
    const adapter = openDatabase(join(dir, 'kb.db'), { create: true });
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(join(dir, 'migrations')), plugins: [plugin] });
    expect((await migrator.migrate({ version: 1 }, { values: new RunValues().set(TICKET, { ticket: 'CHG-1' }) })).error).toBeUndefined();
    expect((await migrator.migrate({ version: 2 })).error).toBeUndefined();
    // a key with the same name is another key
    expect(seen).toEqual([
      ['before', 'CHG-1', undefined],
      ['after', 'CHG-1'],
      ['before', undefined, undefined],
      ['after', undefined],
    ]);
    adapter.close();
  });
});
