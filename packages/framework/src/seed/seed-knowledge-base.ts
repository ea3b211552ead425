import type { DatabaseAdapter } from '@mfmig/core';
import { MfmigError } from '@mfmig/core';
import { KB_CATEGORIES, KB_SEVERITIES, KB_TEMPLATES } from './kb-templates.js';
import { seededRandom } from './seeded-random.js';

/** Options of {@link seedKnowledgeBase}. */
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

const BASE_TIME = Date.UTC(2023, 0, 1);

const JOBS = ['PAYRL01', 'GLPOST', 'ARBILL', 'INVUPD', 'CLMPRC', 'EODBAT', 'STMTGEN', 'CUSTSYNC'];
const PROGS = ['PAYCALC', 'GLUPD01', 'ARSTMT', 'INVMAST', 'CLMEDIT', 'ACCTVAL', 'RPTGEN', 'CUSTMNT'];
const TABLES = ['ACCOUNT', 'CUSTOMER', 'CLAIM', 'INVOICE', 'LEDGER', 'POLICY'];
const TRANS = ['PAY1', 'INQ2', 'UPD3', 'CLM4', 'ACC5'];

/**
 * Fills `kb_entries`, `kb_tags` and `kb_feedback` of an MVP1 database with `rows`
 * deterministic, realistic-looking entries (same rows and seed, same bytes of data).
 *
 * @example
 * seedKnowledgeBase(adapter, { rows: 10_000 });
 */
export function seedKnowledgeBase(adapter: DatabaseAdapter, options: SeedOptions): { entries: number; tags: number; feedback: number } {
  if (!Number.isSafeInteger(options.rows) || options.rows < 0) {
    throw new MfmigError('USAGE', `Seed rows must be a whole number >= 0, not ${String(options.rows)}`);
  }
  if (!adapter.tableExists('kb_entries')) {
    throw new MfmigError('USAGE', 'The database has no kb_entries table; migrate it to MVP1 first');
  }
  const existing = adapter.rowCount('kb_entries');
  if (existing > 0) {
    throw new MfmigError('USAGE', `kb_entries already holds ${existing} rows; seed a new database file instead`);
  }
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const raw = adapter.raw;
  const insertEntry = raw.prepare(
    `INSERT INTO kb_entries (id, title, problem, solution, category, severity, created_at, updated_at, created_by, usage_count, success_count, failure_count, last_used)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertTag = raw.prepare('INSERT INTO kb_tags (entry_id, tag) VALUES (?, ?)');
  const insertFeedback = raw.prepare('INSERT INTO kb_feedback (entry_id, rating, comment, created_at) VALUES (?, ?, ?, ?)');
  const hasFeedback = adapter.tableExists('kb_feedback');
  const batchSize = options.batchSize ?? 50_000;
  let tags = 0;
  let feedback = 0;
  for (let start = 1; start <= options.rows; start += batchSize) {
    const end = Math.min(options.rows, start + batchSize - 1);
    adapter.transaction(() => {
      for (let id = start; id <= end; id++) {
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
        insertEntry.run(
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
        );
        for (const tag of template.tags) {
          insertTag.run(id, tag);
          tags++;
        }
        if (hasFeedback && id % 4 === 0) {
          insertFeedback.run(id, random() < 0.8 ? 'success' : 'failure', random() < 0.3 ? 'Worked after rebind' : null, new Date(updated).toISOString());
          feedback++;
        }
      }
    });
    options.onProgress?.(end, options.rows);
  }
  return { entries: options.rows, tags, feedback };
}
