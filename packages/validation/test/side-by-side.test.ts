import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationService } from '@mfmig/validation';
import { MIGRATIONS, allFindings, copyOf, createKnowledgeBase, findingsOf, removeTempDirs, sha256, tempDir } from './helpers.js';

afterAll(removeTempDirs);

let base: string;
beforeAll(async () => {
  base = join(tempDir(), 'kb.db');
  await createKnowledgeBase(base, { rows: 1500 });
});

/** A copy of the knowledge base with `orphans` kb_tags rows whose entry does not exist, written with foreign keys off. */
function withOrphans(name: string, orphans: number): string {
  const file = copyOf(base, name);
  const db = new Database(file);
  db.pragma('foreign_keys = OFF');
  const insert = db.prepare('INSERT INTO kb_tags (entry_id, tag) VALUES (?, ?)');
  for (let i = 0; i < orphans; i++) insert.run(900_000 + i, `ORPHAN${i}`);
  db.close();
  return file;
}

describe('validation of several databases side by side', () => {
  it('reports each database on its own connection, in-process and in child processes at once, and writes to none', async () => {
    const damaged = withOrphans('damaged.db', 3);
    const clean = copyOf(base, 'clean.db');
    const alsoDamaged = withOrphans('also-damaged.db', 7);
    const before = [damaged, clean, alsoDamaged].map(sha256);
    // in-process for the first two, a read snapshot checked by child processes for the third
    const services = [
      new ValidationService({ database: damaged, migrationsPath: MIGRATIONS }),
      new ValidationService({ database: clean, migrationsPath: MIGRATIONS }),
      new ValidationService({ database: alsoDamaged, migrationsPath: MIGRATIONS, inProcessMaxBytes: 0 }),
    ];
    try {
      const reports = await Promise.all(services.map((v) => v.performComprehensiveValidation({ level: 'quick' })));
      expect(reports.map((r) => r.database)).toEqual([damaged, clean, alsoDamaged]);
      expect(reports.map((r) => findingsOf(r, 'FK_VIOLATION').map((f) => f.count))).toEqual([[3], [], [7]]);
      expect(allFindings(reports[1]!)).toEqual([]);
      expect(reports.map((r) => r.milestone.current)).toEqual([1, 1, 1]);
    } finally {
      for (const v of services) v.close();
    }
    expect([damaged, clean, alsoDamaged].map(sha256)).toEqual(before);
  });
});
