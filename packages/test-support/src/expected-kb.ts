import { KB_ENTRY_COLUMNS, KB_FEEDBACK_COLUMNS, KB_TAG_COLUMNS, generateKbRows } from '@mfmig/framework';

/** What a knowledge-base seed leaves in MVP1's tables, worked out from the row generator alone. */
export interface ExpectedKb {
  /** What the seed returns. */
  counts: { entries: number; tags: number; feedback: number };
  /** The rows of `SELECT * FROM kb_entries ORDER BY id`: the generated values and MVP1's `archived` (its default, 0). */
  kb_entries: Record<string, unknown>[];
  /** The rows of `SELECT * FROM kb_tags ORDER BY entry_id, tag`. */
  kb_tags: Record<string, unknown>[];
  /** The rows of `SELECT * FROM kb_feedback ORDER BY id`: the ids are the database's, 1, 2, ... in the order written. */
  kb_feedback: Record<string, unknown>[];
}

const named = (columns: readonly string[], values: readonly unknown[]) => Object.fromEntries(columns.map((c, i) => [c, values[i]]));

/**
 * The rows a seed of `rows` entries with `seed` writes into a fresh MVP1 database, with no
 * database and no writer: a test compares what a writer left against it. `withFeedback: false`
 * is a database without kb_feedback (its rows are then generated differently).
 *
 * @example
 * expect(await conn.query('SELECT * FROM kb_tags ORDER BY entry_id, tag')).toEqual(expectedKb({ rows: 250, seed: 3 }).kb_tags);
 */
export function expectedKb(options: { rows: number; seed?: number; withFeedback?: boolean }): ExpectedKb {
  const expected: ExpectedKb = { counts: { entries: 0, tags: 0, feedback: 0 }, kb_entries: [], kb_tags: [], kb_feedback: [] };
  const generated = generateKbRows({ rows: options.rows, seed: options.seed ?? 1, withFeedback: options.withFeedback ?? true });
  for (const { entry, tags, feedback } of generated) {
    expected.kb_entries.push({ ...named(KB_ENTRY_COLUMNS, entry), archived: 0 });
    expected.kb_tags.push(...tags.map((tag) => named(KB_TAG_COLUMNS, tag)));
    if (feedback) expected.kb_feedback.push({ id: expected.kb_feedback.length + 1, ...named(KB_FEEDBACK_COLUMNS, feedback) });
  }
  // SQLite's BINARY order: by code unit, not by locale
  const byTag = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
  expected.kb_tags.sort((a, b) => (a.entry_id as number) - (b.entry_id as number) || byTag(a.tag, b.tag));
  expected.counts = { entries: expected.kb_entries.length, tags: expected.kb_tags.length, feedback: expected.kb_feedback.length };
  return expected;
}
