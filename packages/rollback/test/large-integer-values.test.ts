// Integers beyond 2^53 in the rows a down migration changes. better-sqlite3 reads them as JS
// numbers, which round (2^53 + 1 reads as 2^53): a down that rounds them itself, through a REAL,
// left digests that looked the same before and after, so the rows it changed were not archived, and
// going up again could not put the exact values back.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { RollbackManager } from '@mfmig/rollback';
import { tempDir } from './helpers.js';

const AMOUNTS = ['9007199254740993', '9007199254740995', '42'];

const CREATE = `-- migrate:up
CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);
INSERT INTO ledger (amount) VALUES ${AMOUNTS.map((a) => `(${a})`).join(', ')};
-- migrate:down
DROP TABLE ledger;
`;

// going down, amounts pass through a REAL (as a down that restores a floating-point column would): beyond 2^53 they round
const EXACT = `-- migrate:up
CREATE INDEX ledger_amount ON ledger (amount);
-- migrate:down
DROP INDEX ledger_amount;
UPDATE ledger SET amount = CAST(amount AS REAL);
`;

let manager: RollbackManager | undefined;
afterEach(() => manager?.close());

describe('preservation of integers beyond 2^53', () => {
  it('archives the rows a down rounds, and going up puts the exact values back', async () => {
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    mkdirSync(join(migrations, 'mvp1'), { recursive: true });
    writeFileSync(join(migrations, 'mvp1', '0001_ledger.sql'), CREATE);
    writeFileSync(join(migrations, 'mvp1', '0002_exact_amounts.sql'), EXACT);
    const dbPath = join(dir, 'ledger.db');
    const adapter = openDatabase(dbPath, { create: true });
    expect((await new Migrator({ adapter, migrations: await loadMigrations(migrations) }).migrate()).error).toBeUndefined();
    adapter.close();
    const amounts = () => manager!.database.prepare('SELECT CAST(amount AS TEXT) FROM ledger ORDER BY id').pluck().all();

    manager = new RollbackManager({ database: dbPath, migrationsPath: migrations, backupPath: join(dir, 'backups') });
    const result = await manager.rollbackTo(1, { preserveUserData: true });
    expect(result.error).toBeUndefined();
    expect(amounts()).toEqual(['9007199254740992', '9007199254740996', '42']);
    expect(result.preserved.find((p) => p.kind === 'rows' && p.table === 'ledger')?.rows).toBe(2);

    const again = await (await manager.context.migrator()).migrate();
    expect(again.error).toBeUndefined();
    expect(amounts()).toEqual(AMOUNTS);
  });
});
