// The README's API table says which calls each service has. A team that moves from a SQLite file
// to a server keeps those calls: every one must exist on both frameworks. Nothing connects here
// (both frameworks connect on their first call).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMigrationFramework, createPostgresFramework } from '@mfmig/framework';
import { REAL_MIGRATIONS, tempDir } from './helpers.js';

const README = join(__dirname, '..', '..', '..', 'README.md');

/** Each service of the README's API table with the calls it lists (`name(`). */
function apiTable(): Map<string, string[]> {
  const table = new Map<string, string[]>();
  for (const line of readFileSync(README, 'utf8').split('\n')) {
    const row = /^\| `(\w+)` \| (.+) \|$/.exec(line);
    if (!row || !/\w\(/.test(row[2]!)) continue;
    const calls = [...row[2]!.matchAll(/`(\w+)\(/g)].map((m) => m[1]!);
    if (calls.length > 0) table.set(row[1]!, calls);
  }
  return table;
}

describe("the README's API table", () => {
  it('lists the six services, and every call it names exists on the SQLite and the PostgreSQL framework', async () => {
    const table = apiTable();
    expect([...table.keys()].sort()).toEqual(['migrationService', 'planner', 'rollbackManager', 'schemaEvolution', 'transformer', 'validation']);
    expect(table.get('rollbackManager')).toContain('validateRollbackCapability');
    expect([...table.values()].flat().length).toBeGreaterThanOrEqual(35);
    const sqlite = createMigrationFramework({ database: join(tempDir(), 'api.db'), migrationsPath: REAL_MIGRATIONS });
    const postgres = createPostgresFramework({ database: 'postgres://nobody@127.0.0.1:1/none', migrationsPath: REAL_MIGRATIONS });
    try {
      const missing: string[] = [];
      for (const [service, calls] of table) {
        for (const call of calls) {
          for (const [name, fw] of [
            ['sqlite', sqlite],
            ['postgres', postgres],
          ] as const) {
            const target = (fw as unknown as Record<string, Record<string, unknown>>)[service];
            if (typeof target?.[call] !== 'function') missing.push(`${name}: ${service}.${call}`);
          }
        }
      }
      expect(missing).toEqual([]);
    } finally {
      sqlite.close();
      await postgres.close();
    }
  });
});
