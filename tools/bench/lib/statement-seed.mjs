// The seed benchmark's baseline: the knowledge base written with one prepared INSERT per row on a
// plain better-sqlite3 connection, the rows taken from the framework's generator, so that the
// writer through the connection is measured against the least the driver needs for the same rows.
import { KB_ENTRY_COLUMNS, KB_FEEDBACK_COLUMNS, KB_TAG_COLUMNS, generateKbRows } from '../../../packages/framework/dist/index.js';

/** Entries per transaction, as the connection writer's default batch. */
const BATCH = 50_000;

const insert = (db, table, columns) => db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);

/**
 * Fills the empty MVP1 tables (kb_entries, kb_tags, kb_feedback) of `db`, a better-sqlite3
 * Database, with `rows` entries of `seed`: the rows `seedKnowledgeBaseOn` writes, one statement
 * per row and one transaction per 50,000 entries.
 */
export function seedWithStatements(db, { rows, seed = 1 }) {
  const entry = insert(db, 'kb_entries', KB_ENTRY_COLUMNS);
  const tag = insert(db, 'kb_tags', KB_TAG_COLUMNS);
  const feedback = insert(db, 'kb_feedback', KB_FEEDBACK_COLUMNS);
  const generated = generateKbRows({ rows, seed, withFeedback: true });
  const writeBatch = db.transaction((count) => {
    for (let i = 0; i < count; i++) {
      const row = generated.next().value;
      entry.run(...row.entry);
      for (const values of row.tags) tag.run(...values);
      if (row.feedback) feedback.run(...row.feedback);
    }
  });
  for (let start = 0; start < rows; start += BATCH) writeBatch(Math.min(BATCH, rows - start));
}
