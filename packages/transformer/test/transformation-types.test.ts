import { join } from 'node:path';
import type { DatabaseAdapter } from '@mfmig/core';
import { isMfmigError } from '@mfmig/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataTransformation, DataTransformer, type Row } from '../src/index.js';
import { seededMvp1, tableChecksum, tempDir } from './helpers.js';

// Batches of exactly the declared size (no time-based sizing, no pauses): these tests count batches.
const FIXED_SIZES = { targetMs: Number.POSITIVE_INFINITY, pauseMs: 0 };

const ROWS = 2000;

/** The seed documentation's example, as written there. */
const kbToIncidents: DataTransformation = {
  id: 'kb_to_incident_mapping',
  name: 'Map KB entries to incident structure',
  sourceTable: 'kb_entries',
  targetTable: 'incidents',
  transformationType: 'convert',
  sql: `INSERT INTO incidents (ticket_id, timestamp, title, description, component, severity)
        SELECT 'KB-' || id, created_at, title, problem, category, 'medium'
        FROM kb_entries WHERE created_at IS NOT NULL`,
  reversible: true,
  estimatedRows: 100,
  estimatedDuration: 30,
  dependencies: [],
  validationQueries: ['SELECT COUNT(*) FROM incidents WHERE ticket_id LIKE "KB-%"'],
};

describe('the six transformation types on seeded KB data', () => {
  let adapter: DatabaseAdapter;
  let transformer: DataTransformer;
  let cleanup: () => void;
  const count = (sql: string) => Number(adapter.raw.prepare(sql).pluck().get());

  beforeAll(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    adapter = await seededMvp1(join(t.dir, 'kb.db'), ROWS);
    adapter.exec(`
      CREATE TABLE incidents (id INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL UNIQUE, timestamp TEXT NOT NULL, title TEXT NOT NULL,
        description TEXT, component TEXT, severity TEXT, kb_entry_id INTEGER REFERENCES kb_entries (id));
      CREATE TABLE kb_archive (id INTEGER PRIMARY KEY, title TEXT, category TEXT, severity TEXT, created_at TEXT, archived_at TEXT);
      CREATE TABLE kb_scores (entry_id INTEGER PRIMARY KEY, category TEXT, usage_count INTEGER, note TEXT);
      CREATE TABLE kb_text_parts (entry_id INTEGER NOT NULL, part TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE kb_categories (name TEXT PRIMARY KEY);
      CREATE TABLE kb_category_counts (name TEXT PRIMARY KEY REFERENCES kb_categories (name), entries INTEGER NOT NULL);
    `);
    transformer = new DataTransformer({ database: adapter.raw }, { pacing: FIXED_SIZES });
  });
  afterAll(() => {
    adapter.close();
    cleanup();
  });

  it('copy: moves the shared columns unchanged, with no SQL written', async () => {
    const report = await transformer.execute({
      id: 'archive_kb',
      name: 'Archive KB',
      sourceTable: 'kb_entries',
      targetTable: 'kb_archive',
      transformationType: 'copy',
      reversible: true,
      reverse: 'DELETE FROM kb_archive',
      validationQueries: [{ sql: 'SELECT count(*) FROM kb_archive', expect: 'sourceCount' }],
    });
    expect(report.results[0]).toMatchObject({ rowsRead: ROWS, rowsWritten: ROWS, mode: 'inline' });
    const columns = 'id, title, category, severity, created_at';
    expect(count('SELECT count(*) FROM kb_archive WHERE archived_at IS NULL')).toBe(ROWS);
    expect(count(`SELECT count(*) FROM (SELECT ${columns} FROM kb_entries EXCEPT SELECT ${columns} FROM kb_archive)`)).toBe(0);
  });

  it('convert: the seed example maps every KB entry to one incident and its validation runs', async () => {
    const report = await transformer.execute(kbToIncidents);
    expect(report.results[0]).toMatchObject({ id: 'kb_to_incident_mapping', rowsWritten: ROWS });
    expect(report.validations).toMatchObject([{ passed: true, value: ROWS }]);
    expect(
      count(
        "SELECT count(*) FROM incidents i JOIN kb_entries e ON i.ticket_id = 'KB-' || e.id AND i.title = e.title AND i.description = e.problem AND i.component = e.category",
      ),
    ).toBe(ROWS);
  });

  it('merge: upserts by key, updating rows that exist and never duplicating', async () => {
    adapter.exec("INSERT INTO kb_scores (entry_id, category, usage_count, note) SELECT id, 'stale', -1, 'kept' FROM kb_entries WHERE id <= 10");
    const report = await transformer.execute({
      id: 'scores',
      name: 'Usage scores',
      sourceTable: 'kb_entries',
      targetTable: 'kb_scores',
      transformationType: 'merge',
      columns: ['category', 'usage_count'],
      transform: (row: Row) => ({ entry_id: row.id, category: row.category, usage_count: row.usage_count }),
      reversible: false,
      batch: 'always',
      batchSize: 300,
    });
    expect(report.results[0]).toMatchObject({ rowsRead: ROWS, rowsWritten: ROWS, mode: 'batched', batches: 7 });
    expect(count('SELECT count(*) FROM kb_scores')).toBe(ROWS);
    expect(count('SELECT count(*) FROM kb_scores s JOIN kb_entries e ON e.id = s.entry_id AND e.usage_count = s.usage_count AND e.category = s.category')).toBe(
      ROWS,
    );
    expect(count("SELECT count(*) FROM kb_scores WHERE note = 'kept'")).toBe(10);
  });

  it('split: one entry becomes several rows, null drops an entry', async () => {
    const report = await transformer.execute({
      id: 'split_text',
      name: 'Split KB text',
      sourceTable: 'kb_entries',
      targetTable: 'kb_text_parts',
      transformationType: 'split',
      transform: (row: Row) =>
        row.category === 'Other' ? null : (['title', 'problem', 'solution'] as const).map((part) => ({ entry_id: row.id, part, body: row[part] })),
      reversible: true,
      reverse: 'DELETE FROM kb_text_parts',
      validationQueries: [{ sql: 'SELECT count(*) FROM kb_text_parts', expect: { query: "SELECT 3 * count(*) FROM kb_entries WHERE category <> 'Other'" } }],
    });
    const kept = count("SELECT count(*) FROM kb_entries WHERE category <> 'Other'");
    expect(kept).toBeLessThan(ROWS);
    expect(report.results[0]!.rowsWritten).toBe(3 * kept);
    expect(count("SELECT count(*) FROM kb_text_parts p JOIN kb_entries e ON e.id = p.entry_id AND p.part = 'solution' AND p.body = e.solution")).toBe(kept);
  });

  it('enrich: existing target rows gain derived values, by key', async () => {
    const report = await transformer.execute({
      id: 'link_incidents',
      name: 'Link incidents to KB',
      sourceTable: 'incidents',
      targetTable: 'incidents',
      transformationType: 'enrich',
      transform: (row: Row) => ({ id: row.id, kb_entry_id: Number(String(row.ticket_id).slice(3)) }),
      columns: ['ticket_id'],
      reversible: true,
      reverse: 'UPDATE incidents SET kb_entry_id = NULL',
      batch: 'always',
      batchSize: 450,
      validationQueries: [{ sql: 'SELECT count(*) FROM incidents WHERE kb_entry_id IS NULL', expect: 'zero' }],
    });
    expect(report.results[0]).toMatchObject({ rowsWritten: ROWS, batches: 5 });
    expect(count("SELECT count(*) FROM incidents i JOIN kb_entries e ON e.id = i.kb_entry_id AND i.ticket_id = 'KB-' || e.id")).toBe(ROWS);
    expect(adapter.foreignKeyCheck()).toEqual([]);
  });

  it('migrate: runs its steps in dependency order, declared backwards', async () => {
    const report = await transformer.execute({
      id: 'categories',
      name: 'Category tables',
      sourceTable: 'kb_entries',
      targetTable: 'kb_category_counts',
      transformationType: 'migrate',
      reversible: false,
      steps: [
        {
          id: 'counts',
          name: 'Count entries',
          sourceTable: 'kb_entries',
          targetTable: 'kb_category_counts',
          transformationType: 'convert',
          sql: 'INSERT INTO kb_category_counts (name, entries) SELECT category, count(*) FROM kb_entries GROUP BY category',
          reversible: false,
          dependencies: ['names'],
        },
        {
          id: 'names',
          name: 'Category names',
          sourceTable: 'kb_entries',
          targetTable: 'kb_categories',
          transformationType: 'convert',
          sql: 'INSERT INTO kb_categories (name) SELECT DISTINCT category FROM kb_entries',
          reversible: false,
        },
      ],
      validationQueries: [{ sql: 'SELECT sum(entries) FROM kb_category_counts', expect: 'sourceCount' }],
    });
    expect(report.results.map((r) => r.id)).toEqual(['categories.names', 'categories.counts']);
    expect(report.validations).toMatchObject([{ transformationId: 'categories', passed: true, value: ROWS }]);
    expect(count('SELECT count(*) FROM kb_categories')).toBe(count('SELECT count(DISTINCT category) FROM kb_entries'));
  });

  it('reverse: the declared reverses undo copy, convert and enrich; the KB is untouched throughout', async () => {
    const kb = tableChecksum(adapter, ['kb_entries']);
    const reversed = await transformer.reverse([
      { ...kbToIncidents, reverse: "DELETE FROM incidents WHERE ticket_id LIKE 'KB-%'" },
      {
        id: 'archive_kb',
        name: 'Archive KB',
        sourceTable: 'kb_entries',
        targetTable: 'kb_archive',
        transformationType: 'copy',
        reversible: true,
        reverse: 'DELETE FROM kb_archive',
      },
    ]);
    expect(reversed.results.map((r) => [r.id, r.rowsWritten])).toEqual([
      ['archive_kb', ROWS],
      ['kb_to_incident_mapping', ROWS],
    ]);
    expect(count('SELECT count(*) FROM incidents') + count('SELECT count(*) FROM kb_archive')).toBe(0);
    expect(tableChecksum(adapter, ['kb_entries'])).toBe(kb);
  });

  it('a failing statement is a TRANSFORMATION_FAILED error naming the transformation, and writes nothing', async () => {
    const before = count('SELECT count(*) FROM kb_archive');
    let code = '';
    try {
      await transformer.execute({ ...kbToIncidents, id: 'broken', sql: 'INSERT INTO kb_archive (id, nope) SELECT id, title FROM kb_entries' });
    } catch (error) {
      code = isMfmigError(error) ? `${error.code}:${String(error.context.transformation)}` : 'other';
    }
    expect(code).toBe('TRANSFORMATION_FAILED:broken');
    expect(count('SELECT count(*) FROM kb_archive')).toBe(before);
  });
});
