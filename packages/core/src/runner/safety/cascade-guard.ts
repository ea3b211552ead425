import type { DatabaseAdapter } from '../../adapter/index.js';
import { quoteIdentifier } from '../../adapter/quote.js';
import { type StatementTarget, statementTarget } from '../../adapter/statement-target.js';
import type { ForeignKeyFact } from './foreign-key-facts.js';

/** Rows of a child table that a migration removed (or unlinked) without naming the table. */
export interface CascadeLoss {
  table: string;
  /** `deleted`: ON DELETE CASCADE removed rows; `unlinked`: ON DELETE SET NULL / SET DEFAULT overwrote their keys. */
  kind: 'deleted' | 'unlinked';
  rows: number;
  /** The parents whose foreign keys can do this. */
  parents: string[];
  /** The statement during which it happened, when known. */
  statement?: string;
}

interface Watched {
  table: string;
  kind: 'deleted' | 'unlinked';
  parents: string[];
  /** For `unlinked`: the child's columns that ON DELETE SET NULL / SET DEFAULT overwrite, each once, in key order. */
  columns: string[];
}

const COUNTER = 'mfmig_guard_rows';
const ACTIONS = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT']);
/** Verbs that act on their target table's rows or definition directly. */
const DIRECT = new Set(['DELETE', 'UPDATE', 'INSERT', 'REPLACE', 'DROP TABLE', 'ALTER TABLE', 'CREATE TABLE']);
/** Verbs by which a migration drops or rebuilds a table as a whole (with `ALTER TABLE ... RENAME TO`). */
const REBUILDING = new Set(['DROP TABLE', 'CREATE TABLE']);

/**
 * Watches the child tables that foreign-key actions can empty (ON DELETE CASCADE) or unlink
 * (ON DELETE SET NULL / SET DEFAULT) while a migration runs with foreign keys on, with TEMP
 * triggers that SQLite fires for cascaded changes too. In `count` mode the triggers count the
 * rows, and each statement's changes are attributed to it: changes to the table the statement
 * names are its own; changes to any other watched table are a cascade. In `abort` mode (work
 * outside a transaction, which cannot be rolled back) the first such row stops the statement.
 * TEMP objects never reach the database file.
 *
 * @example
 * const guard = CascadeGuard.watch(adapter, readForeignKeys(adapter), 'count');
 * guard?.arm(); // ... run statements, calling guard.after(sql) for each
 * const losses = guard?.finish(recordedStatements) ?? [];
 */
export class CascadeGuard {
  readonly #adapter: DatabaseAdapter;
  readonly #watched: Watched[];
  readonly #mode: 'count' | 'abort';
  #last = new Map<number, number>();
  #unattributed = new Map<number, number>();
  #losses: CascadeLoss[] = [];
  #armed = false;

  private constructor(adapter: DatabaseAdapter, watched: Watched[], mode: 'count' | 'abort') {
    this.#adapter = adapter;
    this.#watched = watched;
    this.#mode = mode;
  }

  /**
   * A guard over the children at risk among `facts` (every foreign key of the user tables, as
   * `readForeignKeys` reads them through the introspector), or undefined when nothing is at risk.
   */
  static watch(adapter: DatabaseAdapter, facts: ForeignKeyFact[], mode: 'count' | 'abort'): CascadeGuard | undefined {
    const watched = new Map<string, Watched>();
    for (const fk of facts.filter((f) => ACTIONS.has(f.onDelete))) {
      const kind = fk.onDelete === 'CASCADE' ? 'deleted' : 'unlinked';
      const key = `${fk.table.toLowerCase()}\u0000${kind}`;
      const entry = watched.get(key) ?? { table: fk.table, kind, parents: [], columns: [] };
      if (!entry.parents.includes(fk.parent)) entry.parents.push(fk.parent);
      if (kind === 'unlinked') for (const column of fk.from) if (!entry.columns.includes(column)) entry.columns.push(column);
      watched.set(key, entry);
    }
    return watched.size === 0 ? undefined : new CascadeGuard(adapter, [...watched.values()], mode);
  }

  /** Creates the TEMP triggers (inside the migration's transaction when it has one). */
  arm(): void {
    const sql: string[] = [];
    if (this.#mode === 'count') sql.push(`CREATE TEMP TABLE IF NOT EXISTS ${COUNTER} (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`);
    this.#watched.forEach((w, i) => {
      const action =
        this.#mode === 'count'
          ? `INSERT INTO ${COUNTER} (id, n) VALUES (${i}, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1;`
          : `SELECT RAISE(ABORT, ${quoteString(`mfmig: this statement would ${w.kind === 'deleted' ? 'delete rows of' : 'unlink rows of'} ${w.table} through a foreign key of ${w.parents.join(', ')}`)});`;
      const on = `main.${quoteIdentifier(w.table)}`;
      if (w.kind === 'deleted') {
        sql.push(`CREATE TEMP TRIGGER ${quoteIdentifier(`mfmig_guard_${i}`)} AFTER DELETE ON ${on} BEGIN ${action} END`);
      } else {
        const cols = w.columns;
        if (cols.length === 0) return;
        const when = cols.map((c) => `(OLD.${quoteIdentifier(c)} IS NOT NULL AND NEW.${quoteIdentifier(c)} IS NOT OLD.${quoteIdentifier(c)})`).join(' OR ');
        sql.push(
          `CREATE TEMP TRIGGER ${quoteIdentifier(`mfmig_guard_${i}`)} AFTER UPDATE OF ${cols.map(quoteIdentifier).join(', ')} ON ${on} WHEN ${when} BEGIN ${action} END`,
        );
      }
    });
    for (const statement of sql) this.#adapter.runScript(statement);
    this.#armed = true;
  }

  /** Attributes the rows changed since the last call to `statement` (undefined: not known). */
  after(statement: string | undefined): void {
    if (!this.#armed || this.#mode !== 'count') return;
    const now = this.#read();
    const target = statement === undefined ? undefined : statementTarget(statement);
    for (const [i, n] of now) {
      const delta = n - (this.#last.get(i) ?? 0);
      if (delta <= 0) continue;
      const w = this.#watched[i]!;
      if (target === undefined) this.#unattributed.set(i, (this.#unattributed.get(i) ?? 0) + delta);
      else if (!actsOn(target, w.table)) this.#losses.push({ ...lossOf(w), rows: delta, statement });
    }
    this.#last = now;
  }

  /**
   * Drops the triggers and returns the losses. A table the migration drops or rebuilds is its
   * own business. Rows whose statement is unknown (raw handle, plugins) count as the
   * migration's own when any statement it ran names the table.
   */
  finish(statements: string[]): CascadeLoss[] {
    if (!this.#armed) return [];
    this.after(undefined);
    this.disarm();
    const named = statements.map(statementTarget);
    const rebuilt = new Set(
      named
        .filter((t) => REBUILDING.has(t.verb) || t.renamedTo !== undefined)
        .flatMap((t) => [t.table, t.renamedTo])
        .filter((t): t is string => t !== undefined)
        .map((t) => t.toLowerCase()),
    );
    const losses = [...this.#losses];
    for (const [i, rows] of this.#unattributed) {
      const w = this.#watched[i]!;
      if (!named.some((t) => actsOn(t, w.table))) losses.push({ ...lossOf(w), rows });
    }
    return mergeLosses(losses.filter((loss) => !rebuilt.has(loss.table.toLowerCase())));
  }

  /** Removes the TEMP triggers and counter (also after a failed statement). */
  disarm(): void {
    if (!this.#armed) return;
    this.#armed = false;
    if (!this.#adapter.isOpen) return;
    for (let i = 0; i < this.#watched.length; i++) this.#adapter.runScript(`DROP TRIGGER IF EXISTS temp.${quoteIdentifier(`mfmig_guard_${i}`)}`);
    if (this.#mode === 'count') this.#adapter.runScript(`DROP TABLE IF EXISTS temp.${COUNTER}`);
  }

  #read(): Map<number, number> {
    return new Map(this.#adapter.all<{ id: number; n: number }>(`SELECT id, n FROM temp.${COUNTER}`).map((r) => [r.id, r.n]));
  }
}

/** What a loss says of the table it happened to (not the columns the guard watches). */
function lossOf({ table, kind, parents }: Watched): Pick<CascadeLoss, 'table' | 'kind' | 'parents'> {
  return { table, kind, parents };
}

function actsOn(target: StatementTarget, table: string): boolean {
  if (!DIRECT.has(target.verb)) return false;
  const lower = table.toLowerCase();
  return target.table?.toLowerCase() === lower || target.renamedTo?.toLowerCase() === lower;
}

function mergeLosses(losses: CascadeLoss[]): CascadeLoss[] {
  const merged = new Map<string, CascadeLoss>();
  for (const loss of losses) {
    const key = `${loss.table.toLowerCase()}\u0000${loss.kind}`;
    const entry = merged.get(key);
    if (entry) entry.rows += loss.rows;
    else merged.set(key, { ...loss });
  }
  return [...merged.values()];
}

function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
