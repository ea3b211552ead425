import { KB_CATEGORIES, KB_SEVERITIES, KB_TEMPLATES } from './kb-templates.js';
import { seededRandom } from './seeded-random.js';

/** The columns of a seeded `kb_entries` row, in the order of {@link KbRow.entry}. */
export const KB_ENTRY_COLUMNS = [
  'id',
  'title',
  'problem',
  'solution',
  'category',
  'severity',
  'created_at',
  'updated_at',
  'created_by',
  'usage_count',
  'success_count',
  'failure_count',
  'last_used',
] as const;

/** The columns of a seeded `kb_tags` row, in the order of {@link KbRow.tags}' items. */
export const KB_TAG_COLUMNS = ['entry_id', 'tag'] as const;

/** The columns of a seeded `kb_feedback` row (its id is left to the database), in the order of {@link KbRow.feedback}. */
export const KB_FEEDBACK_COLUMNS = ['entry_id', 'rating', 'comment', 'created_at'] as const;

/** Values of one `kb_entries` row, in the order of {@link KB_ENTRY_COLUMNS}. */
export type KbEntryValues = [
  id: number,
  title: string,
  problem: string,
  solution: string,
  category: string,
  severity: string,
  createdAt: string,
  updatedAt: string,
  createdBy: string,
  usageCount: number,
  successCount: number,
  failureCount: number,
  lastUsed: string | null,
];

/** Values of one `kb_tags` row, in the order of {@link KB_TAG_COLUMNS}. */
export type KbTagValues = [entryId: number, tag: string];

/** Values of one `kb_feedback` row, in the order of {@link KB_FEEDBACK_COLUMNS}. */
export type KbFeedbackValues = [entryId: number, rating: string, comment: string | null, createdAt: string];

/** One generated knowledge-base entry with its tags and, every fourth entry, a feedback row. */
export interface KbRow {
  entry: KbEntryValues;
  tags: KbTagValues[];
  /** Undefined when the entry has no feedback row (or feedback is not generated). */
  feedback: KbFeedbackValues | undefined;
}

/** Options of {@link generateKbRows}. */
export interface KbRowOptions {
  /** Number of entries, with ids 1..rows. */
  rows: number;
  /** PRNG seed. Default 1. */
  seed?: number;
  /**
   * Whether to generate kb_feedback rows. It changes the data that follows (a feedback row
   * draws from the same random sequence), so a writer passes whether the table exists.
   */
  withFeedback: boolean;
}

const BASE_TIME = Date.UTC(2023, 0, 1);

const JOBS = ['PAYRL01', 'GLPOST', 'ARBILL', 'INVUPD', 'CLMPRC', 'EODBAT', 'STMTGEN', 'CUSTSYNC'];
const PROGS = ['PAYCALC', 'GLUPD01', 'ARSTMT', 'INVMAST', 'CLMEDIT', 'ACCTVAL', 'RPTGEN', 'CUSTMNT'];
const TABLES = ['ACCOUNT', 'CUSTOMER', 'CLAIM', 'INVOICE', 'LEDGER', 'POLICY'];
const TRANS = ['PAY1', 'INQ2', 'UPD3', 'CLM4', 'ACC5'];

/**
 * The deterministic knowledge-base rows of the seed, entry by entry, with no database: every
 * writer (SQLite, PostgreSQL) takes its rows from here, so the same rows and seed give the same
 * data on each.
 *
 * @example
 * for (const { entry, tags, feedback } of generateKbRows({ rows: 100, seed: 1, withFeedback: true })) write(entry, tags, feedback);
 */
export function* generateKbRows(options: KbRowOptions): Generator<KbRow, void, undefined> {
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  for (let id = 1; id <= options.rows; id++) {
    // the order of the random() calls below is the data: keep it
    const category = pick(KB_CATEGORIES);
    const template = pick(KB_TEMPLATES[category]!);
    const vars: Record<string, string> = {
      job: pick(JOBS),
      prog: pick(PROGS),
      step: `STEP${String(1 + Math.floor(random() * 40)).padStart(2, '0')}`,
      dsn: `PROD.${pick(JOBS)}.${pick(['MASTER', 'DAILY', 'EXTRACT', 'INPUT'])}.G${String(Math.floor(random() * 9999)).padStart(4, '0')}V00`,
      table: `PRD.${pick(TABLES)}`,
      plan: `PLN${Math.floor(random() * 90 + 10)}`,
      tran: pick(TRANS),
      n: String(Math.floor(random() * 5000)),
    };
    const fill = (text: string) => text.replace(/\{(\w+)\}/g, (_, key: string) => vars[key] ?? key);
    const created = BASE_TIME + id * 37_000 + Math.floor(random() * 30_000);
    const updated = created + Math.floor(random() * 86_400_000 * 30);
    const usage = Math.floor(random() * 200);
    const success = Math.floor(usage * (0.4 + random() * 0.6));
    const entry: KbEntryValues = [
      id,
      `${fill(template.title)} #${id}`,
      fill(template.problem),
      fill(template.solution),
      category,
      pick(KB_SEVERITIES),
      new Date(created).toISOString(),
      new Date(updated).toISOString(),
      pick(['system', 'jsmith', 'mgarcia', 'akumar', 'lchen']),
      usage,
      success,
      usage - success,
      usage > 0 ? new Date(updated).toISOString() : null,
    ];
    const tags = template.tags.map((tag): KbTagValues => [id, tag]);
    const feedback: KbFeedbackValues | undefined =
      options.withFeedback && id % 4 === 0
        ? [id, random() < 0.8 ? 'success' : 'failure', random() < 0.3 ? 'Worked after rebind' : null, new Date(updated).toISOString()]
        : undefined;
    yield { entry, tags, feedback };
  }
}
