import type { DatabaseAdapter } from '@mfmig/core';
import { KB_ENTRY_COLUMNS, KB_FEEDBACK_COLUMNS, KB_TAG_COLUMNS, generateKbRows } from './kb-rows.js';
import { assertSeedRows, kbEntriesNotEmptyError, noKbEntriesError } from './seed-refusals.js';

/** Options of {@link seedKnowledgeBase} and {@link seedKnowledgeBaseOn}. */
export interface SeedOptions {
  /** Number of KB entries. */
  rows: number;
  /** PRNG seed; the same rows and seed give the same data. Default 1. */
  seed?: number;
  /** Rows per transaction. Default 50 000. */
  batchSize?: number;
  /** Called after each batch with rows written so far. */
  onProgress?: (done: number, total: number) => void;
}

const insertSql = (table: string, columns: readonly string[]) => `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;

/**
 * Fills `kb_entries`, `kb_tags` and `kb_feedback` of an MVP1 database with `rows`
 * deterministic, realistic-looking entries (same rows and seed, same bytes of data).
 * {@link seedKnowledgeBaseOn} writes the same rows through a dialect connection (PostgreSQL).
 *
 * @example
 * seedKnowledgeBase(adapter, { rows: 10_000 });
 */
export function seedKnowledgeBase(adapter: DatabaseAdapter, options: SeedOptions): { entries: number; tags: number; feedback: number } {
  assertSeedRows(options.rows);
  if (!adapter.tableExists('kb_entries')) throw noKbEntriesError();
  const existing = adapter.rowCount('kb_entries');
  if (existing > 0) throw kbEntriesNotEmptyError(existing);
  const insertEntry = adapter.prepare(insertSql('kb_entries', KB_ENTRY_COLUMNS));
  const insertTag = adapter.prepare(insertSql('kb_tags', KB_TAG_COLUMNS));
  const insertFeedback = adapter.prepare(insertSql('kb_feedback', KB_FEEDBACK_COLUMNS));
  const hasFeedback = adapter.tableExists('kb_feedback');
  const generated = generateKbRows({ rows: options.rows, seed: options.seed ?? 1, withFeedback: hasFeedback });
  const batchSize = options.batchSize ?? 50_000;
  let tags = 0;
  let feedback = 0;
  for (let start = 1; start <= options.rows; start += batchSize) {
    const end = Math.min(options.rows, start + batchSize - 1);
    adapter.transaction(() => {
      for (let id = start; id <= end; id++) {
        const next = generated.next();
        if (next.done) break;
        const row = next.value;
        insertEntry.run(...row.entry);
        for (const tag of row.tags) {
          insertTag.run(...tag);
          tags++;
        }
        if (row.feedback) {
          insertFeedback.run(...row.feedback);
          feedback++;
        }
      }
    });
    options.onProgress?.(end, options.rows);
  }
  return { entries: options.rows, tags, feedback };
}
