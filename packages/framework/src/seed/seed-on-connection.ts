import { type DialectConnection, MfmigError } from '@mfmig/core';
import { KB_ENTRY_COLUMNS, KB_FEEDBACK_COLUMNS, KB_TAG_COLUMNS, type KbRow, generateKbRows } from './kb-rows.js';
import type { SeedOptions } from './seed-options.js';
import { assertSeedRows, kbEntriesNotEmptyError, noKbEntriesError } from './seed-refusals.js';

/** Rows of one multi-row INSERT: 1,000 entries of 13 values stay far under PostgreSQL's 65,535 parameters. */
const ROWS_PER_STATEMENT = 1_000;
const MAX_PARAMETERS = 65_535;

/** Tables whose identity sequence the seed moves past max(id). */
const SEQUENCE_TABLES = ['kb_entries', 'kb_feedback'] as const;

/** Buffers rows of one table and writes them with multi-row parameterised INSERTs. */
class RowBuffer {
  readonly #rows: unknown[][] = [];
  readonly #perStatement: number;
  readonly #insert: string;

  constructor(
    private readonly conn: DialectConnection,
    table: string,
    columns: readonly string[],
    /** Words between the column list and VALUES (`OVERRIDING SYSTEM VALUE`). */
    overriding = '',
  ) {
    this.#perStatement = Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / columns.length));
    this.#insert = `INSERT INTO ${table} (${columns.join(', ')})${overriding ? ` ${overriding}` : ''} VALUES `;
  }

  /** True when the buffer holds a statement's worth of rows. */
  get full(): boolean {
    return this.#rows.length >= this.#perStatement;
  }

  add(values: readonly unknown[]): void {
    this.#rows.push([...values]);
  }

  async flush(): Promise<void> {
    const mark = placeholder(this.conn);
    while (this.#rows.length > 0) {
      const rows = this.#rows.splice(0, this.#perStatement);
      const params: unknown[] = [];
      const tuples = rows.map((row) => `(${row.map((value) => (params.push(value), mark(params.length))).join(', ')})`);
      await this.conn.execute(this.#insert + tuples.join(', '), params);
    }
  }
}

/** The n-th (1-based) positional parameter of the connection's dialect. */
function placeholder(conn: DialectConnection): (n: number) => string {
  // better-sqlite3 binds positional `?` only (not SQLite's numbered `?NNN`); values are pushed in order
  return conn.dialect === 'postgres' ? (n) => `$${n}` : () => '?';
}

/**
 * Fills `kb_entries`, `kb_tags` and `kb_feedback` (when that table exists) of an MVP1 database
 * with `rows` deterministic, realistic-looking entries ({@link generateKbRows}: the same rows and
 * seed give the same data on every dialect) through a dialect connection (PostgreSQL, or SQLite's
 * `SqliteConnection`, `ctx.connection`), one transaction per `batchSize` entries, and then moves
 * the identity sequences of kb_entries and kb_feedback past max(id) on PostgreSQL, so that the
 * application's next insert does not collide. Refuses (USAGE) a database without kb_entries or
 * with rows in it.
 *
 * @example
 * const conn = await openPostgres(url); // or await openSqlite('./kb.db'), or framework.context.connection
 * await seedKnowledgeBaseOn(conn, { rows: 10_000 });
 */
export async function seedKnowledgeBaseOn(conn: DialectConnection, options: SeedOptions): Promise<{ entries: number; tags: number; feedback: number }> {
  assertSeedRows(options.rows);
  const batchSize = options.batchSize ?? 50_000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new MfmigError('USAGE', `Seed batch size must be a whole number >= 1, not ${String(batchSize)}`);
  }
  if (!(await conn.introspector.table('kb_entries'))) throw noKbEntriesError();
  const [count] = await conn.query<{ n: unknown }>('SELECT count(*) AS n FROM kb_entries');
  const existing = Number(count?.n ?? 0);
  if (existing > 0) throw kbEntriesNotEmptyError(existing);
  const hasFeedback = (await conn.introspector.table('kb_feedback')) !== undefined;

  // explicit ids: a GENERATED ALWAYS identity takes them only when told to
  const entries = new RowBuffer(conn, 'kb_entries', KB_ENTRY_COLUMNS, conn.dialect === 'postgres' ? 'OVERRIDING SYSTEM VALUE' : '');
  const tagRows = new RowBuffer(conn, 'kb_tags', KB_TAG_COLUMNS);
  const feedbackRows = new RowBuffer(conn, 'kb_feedback', KB_FEEDBACK_COLUMNS);
  // entries first: tags and feedback reference them
  const flushAll = async () => {
    await entries.flush();
    await tagRows.flush();
    await feedbackRows.flush();
  };
  const generated = generateKbRows({ rows: options.rows, seed: options.seed ?? 1, withFeedback: hasFeedback });
  // inside a caller's transaction the batches join it; otherwise each batch commits on its own
  const inTransaction = <T>(fn: () => Promise<T>): Promise<T> => (conn.inTransaction ? fn() : conn.transaction(fn));
  let tags = 0;
  let feedback = 0;
  for (let start = 1; start <= options.rows; start += batchSize) {
    const end = Math.min(options.rows, start + batchSize - 1);
    await inTransaction(async () => {
      for (let id = start; id <= end; id++) {
        const next = generated.next();
        if (next.done) break;
        const row: KbRow = next.value;
        entries.add(row.entry);
        for (const tag of row.tags) {
          tagRows.add(tag);
          tags++;
        }
        if (row.feedback) {
          feedbackRows.add(row.feedback);
          feedback++;
        }
        if (entries.full || tagRows.full || feedbackRows.full) await flushAll();
      }
      await flushAll();
    });
    options.onProgress?.(end, options.rows);
  }
  if (conn.dialect === 'postgres') {
    for (const table of SEQUENCE_TABLES) {
      if (table === 'kb_feedback' && !hasFeedback) continue;
      await advanceSequence(conn, table);
    }
  }
  return { entries: options.rows, tags, feedback };
}

/** Moves the serial/identity sequence of `table`.id to max(id) (nextval gives max(id) + 1), when the column has one and the table has rows. */
async function advanceSequence(conn: DialectConnection, table: string): Promise<void> {
  const [row] = await conn.query<{ seq: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS seq', [table, 'id']);
  if (!row?.seq) return;
  await conn.query(`SELECT setval($1::regclass, max(id)) FROM ${table}`, [row.seq]);
}
