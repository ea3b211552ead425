import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationService } from '@mfmig/validation';
import { MIGRATIONS, allFindings, copyOf, createKnowledgeBase, findingsOf, tempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

let base: string;

beforeAll(async () => {
  base = join(tempDir(), 'kb.db');
  await createKnowledgeBase(base, { rows: 2000 });
});

/** Copies the seeded MVP1 base, lets `plant` damage it, validates the copy at `level`. */
async function validatePlanted(plant: (db: Database.Database) => void, level: 'quick' | 'standard' | 'comprehensive' = 'standard') {
  const file = copyOf(base);
  const db = new Database(file);
  plant(db);
  db.close();
  const validation = new ValidationService({ database: file, migrationsPath: MIGRATIONS, largeTableRows: 100 });
  try {
    return await validation.performComprehensiveValidation({ level });
  } finally {
    validation.close();
  }
}

describe('planted defects are found with the right code and severity', () => {
  it('an FK orphan inserted with foreign keys off', async () => {
    let rowid = 0;
    const report = await validatePlanted((db) => {
      db.pragma('foreign_keys = OFF');
      rowid = Number(db.prepare("INSERT INTO kb_feedback (entry_id, rating, created_at) VALUES (999999, 'success', '2024-01-01')").run().lastInsertRowid);
    }, 'quick');
    const [orphan] = findingsOf(report, 'FK_VIOLATION');
    expect(orphan).toMatchObject({ severity: 'high', kind: 'referential', location: { table: 'kb_feedback', column: 'entry_id', rowid }, count: 1 });
    expect(report.isValid).toBe(false);
    expect(report.summary.migrationSafety).toBe('caution');
  });

  it('a duplicate where uniqueness is intended', async () => {
    const report = await validatePlanted((db) => {
      db.prepare(
        "INSERT INTO kb_entries (title, problem, solution, category, severity, created_at, updated_at) SELECT title, 'p', 's', category, severity, created_at, updated_at FROM kb_entries WHERE id = 42",
      ).run();
    });
    expect(findingsOf(report, 'DATA_DUPLICATE')).toEqual([
      expect.objectContaining({ severity: 'high', location: { table: 'kb_entries', column: 'title', milestone: 1, rowid: 42 }, count: 1 }),
    ]);
  });

  it('a NULL in a column the milestone requires (made nullable)', async () => {
    const report = await validatePlanted((db) => {
      db.exec('ALTER TABLE kb_entries ALTER COLUMN problem DROP NOT NULL');
      db.exec('UPDATE kb_entries SET problem = NULL WHERE id IN (5, 9)');
    });
    expect(findingsOf(report, 'DATA_NULL_REQUIRED')).toEqual([
      expect.objectContaining({ severity: 'high', location: { table: 'kb_entries', column: 'problem', milestone: 1, rowid: 5 }, count: 2 }),
    ]);
    expect(findingsOf(report, 'SCHEMA_COLUMN_MISMATCH')[0]).toMatchObject({ severity: 'medium', location: { table: 'kb_entries', column: 'problem' } });
  });

  it('a NULL in a NOT NULL column (found by quick_check)', async () => {
    const report = await validatePlanted((db) => {
      db.unsafeMode(true);
      db.pragma('writable_schema = ON');
      db.prepare("UPDATE sqlite_schema SET sql = replace(sql, 'solution TEXT NOT NULL', 'solution TEXT') WHERE name = 'kb_entries'").run();
      db.pragma('writable_schema = OFF');
      db.close();
      const again = new Database(db.name);
      again.exec('UPDATE kb_entries SET solution = NULL WHERE id = 3');
      again.unsafeMode(true);
      again.pragma('writable_schema = ON');
      again.prepare("UPDATE sqlite_schema SET sql = replace(sql, 'solution TEXT,', 'solution TEXT NOT NULL,') WHERE name = 'kb_entries'").run();
      again.pragma('writable_schema = OFF');
      again.close();
    }, 'quick');
    expect(findingsOf(report, 'DATA_NULL_REQUIRED')).toEqual([
      expect.objectContaining({ severity: 'high', kind: 'data', location: { table: 'kb_entries', column: 'solution' }, count: 1 }),
    ]);
  });

  it('a missing index', async () => {
    const report = await validatePlanted((db) => db.exec('DROP INDEX idx_kb_feedback_entry'));
    expect(findingsOf(report, 'MILESTONE_INDEX_MISSING')).toEqual([
      expect.objectContaining({ severity: 'medium', location: { table: 'kb_feedback', milestone: 1, index: 'idx_kb_feedback_entry' } }),
    ]);
    expect(findingsOf(report, 'INDEX_FK_UNINDEXED')).toEqual([
      expect.objectContaining({ severity: 'medium', location: { table: 'kb_feedback', column: 'entry_id' } }),
    ]);
    expect(findingsOf(report, 'SCHEMA_INDEX_MISSING')[0]).toMatchObject({ severity: 'medium', location: { index: 'idx_kb_feedback_entry' } });
    expect(report.isValid).toBe(true);
  });

  it('a dropped table that a milestone requires', async () => {
    const report = await validatePlanted((db) => db.exec('DROP TABLE kb_feedback'));
    expect(findingsOf(report, 'MILESTONE_TABLE_MISSING')).toEqual([
      expect.objectContaining({ severity: 'critical', kind: 'milestone', location: { table: 'kb_feedback', milestone: 1 } }),
    ]);
    expect(findingsOf(report, 'SCHEMA_TABLE_MISSING')[0]).toMatchObject({ severity: 'high', location: { table: 'kb_feedback' } });
    expect(report.milestone.compliance).toEqual([{ milestone: 1, complete: false, missing: ['kb_feedback'] }]);
    expect(report.summary).toMatchObject({ migrationSafety: 'unsafe', criticalIssues: 1 });
    expect(report.summary.overallHealth).toBeLessThanOrEqual(40);
  });

  it('a critical query that scans', async () => {
    const report = await validatePlanted((db) => db.exec('DROP INDEX idx_kb_tags_tag'));
    expect(findingsOf(report, 'PERF_QUERY_SCAN')).toEqual([
      expect.objectContaining({ severity: 'medium', kind: 'performance', location: { table: 'kb_tags', milestone: 1, object: 'entries by tag' } }),
    ]);
  });

  it('a bad domain value', async () => {
    const report = await validatePlanted((db) => {
      db.pragma('ignore_check_constraints = ON');
      db.exec("UPDATE kb_entries SET severity = 'urgent' WHERE id = 7");
    });
    const [domain] = findingsOf(report, 'DATA_DOMAIN_VIOLATION');
    expect(domain).toMatchObject({ severity: 'high', location: { table: 'kb_entries', column: 'severity', milestone: 1, rowid: 7 }, count: 1 });
    expect(domain!.message).toContain("'urgent'");
    expect(findingsOf(report, 'DATA_CHECK_VIOLATION')).toEqual([
      expect.objectContaining({ severity: 'high', location: { table: 'kb_entries', column: 'severity', rowid: 7 }, count: 1 }),
    ]);
  });

  it('a table and a column no migration creates', async () => {
    const report = await validatePlanted((db) => db.exec('CREATE TABLE scratch (x); ALTER TABLE kb_tags ADD COLUMN note TEXT'), 'quick');
    expect(findingsOf(report, 'SCHEMA_TABLE_UNEXPECTED')[0]).toMatchObject({ severity: 'low', location: { table: 'scratch' } });
    expect(findingsOf(report, 'SCHEMA_COLUMN_UNEXPECTED')[0]).toMatchObject({ severity: 'low', location: { table: 'kb_tags', column: 'note' } });
    expect(report.isValid).toBe(true);
  });

  it('an edited migration file (checksum mismatch in the history)', async () => {
    const report = await validatePlanted((db) => db.prepare("UPDATE mfmig_history SET checksum = 'edited' WHERE version = 2").run(), 'quick');
    expect(findingsOf(report, 'HISTORY_CHECKSUM_MISMATCH')[0]).toMatchObject({ severity: 'high', location: { version: 2 } });
  });

  it('reports each defect once and nothing else on the planted table', async () => {
    const report = await validatePlanted((db) => {
      db.pragma('foreign_keys = OFF');
      db.exec("INSERT INTO kb_tags (entry_id, tag) VALUES (424242, 'ORPHAN')");
    });
    expect(allFindings(report).map((f) => f.code)).toEqual(['FK_VIOLATION']);
    expect(findingsOf(report, 'FK_VIOLATION')[0]!.location).toEqual({ table: 'kb_tags', column: 'entry_id' });
  });
});
