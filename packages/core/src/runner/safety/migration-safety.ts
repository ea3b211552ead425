import type { DatabaseAdapter } from '../../adapter/index.js';
import { abbreviate } from '../../adapter/sqlite-adapter.js';
import { splitSqlStatements } from '../../adapter/sql-splitter.js';
import { statementTarget } from '../../adapter/statement-target.js';
import { type SqliteIntrospector } from '../../adapter/sqlite-introspector.js';
import { MfmigError } from '../../errors/index.js';
import type { Direction, Migration } from '../../migration/index.js';
import { type CascadeLoss, CascadeGuard } from './cascade-guard.js';
import {
  type ForeignKeyFact,
  type ViolationCounts,
  danglingForeignKeys,
  describeForeignKey,
  foreignKeyViolationCounts,
  newViolations,
  readForeignKeys,
} from './foreign-key-facts.js';
import type { StatementObserver } from '../../adapter/observed-connection.js';

export type { StatementObserver };

/** Options of {@link MigrationSafety.begin}. */
export interface SafetyOptions {
  /** The migration runs in mfmig's transaction: losses are counted and the transaction is rolled back. Otherwise they are stopped as they happen. */
  transactional: boolean;
  /** Refuse a migration that leaves a foreign key pointing at a table that no longer exists (default true). */
  checkForeignKeyTargets: boolean;
  /** With foreign keys off, compare whole-database `foreign_key_check` counts before and after (default true). */
  scanViolations?: boolean;
}

/** Statements that can delete rows of a parent table themselves. */
const DELETING = new Set(['DELETE', 'REPLACE', 'WITH', 'DROP TABLE']);
/** Statements that fire triggers, which can delete anything. */
const DML = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'WITH']);

/**
 * The checks that keep a migration from destroying data it never names, run inside its
 * transaction so that a failure rolls it back: rows removed or unlinked by foreign-key actions
 * (see {@link CascadeGuard}); with foreign keys off, new violations (those that existed before
 * the migration are not its fault); and foreign keys left pointing at a table that no longer
 * exists. Each check is only prepared when the migration can cause what it looks for.
 *
 * @example
 * const safety = MigrationSafety.begin(adapter, m, 'up', { transactional: true, checkForeignKeyTargets: true });
 * safety.arm(); await m.up(db, ctx); safety.disarm();
 * safety.verify(); // throws MIGRATION_FAILED, before COMMIT
 */
export class MigrationSafety implements StatementObserver {
  readonly #adapter: DatabaseAdapter;
  readonly #catalog: SqliteIntrospector;
  readonly #recorded: string[] = [];
  readonly #guard: CascadeGuard | undefined;
  readonly #violationsBefore: ViolationCounts | undefined;
  readonly #danglingBefore: Set<string> | undefined;
  readonly #schemaVersion: number;
  readonly #direction: Direction;
  #losses: CascadeLoss[] = [];

  private constructor(
    adapter: DatabaseAdapter,
    catalog: SqliteIntrospector,
    direction: Direction,
    parts: { guard?: CascadeGuard; violations?: ViolationCounts; dangling?: Set<string> },
  ) {
    this.#adapter = adapter;
    this.#catalog = catalog;
    this.#direction = direction;
    this.#guard = parts.guard;
    this.#violationsBefore = parts.violations;
    this.#danglingBefore = parts.dangling;
    this.#schemaVersion = catalog.schemaVersionSync();
  }

  /** Reads what the checks compare against. Call with the migration's connection settings applied, before its statements. */
  static begin(adapter: DatabaseAdapter, m: Migration, direction: Direction, options: SafetyOptions): MigrationSafety {
    const sql = m.kind === 'sql' ? (direction === 'up' ? m.upSql : m.downSql) : undefined;
    const verbs = sql === undefined ? undefined : splitSqlStatements(sql).map(statementTarget);
    const catalog = adapter.introspector;
    const mayDelete =
      verbs === undefined ||
      verbs.some((t) => DELETING.has(t.verb) || t.conflict === 'REPLACE') ||
      (verbs.some((t) => DML.has(t.verb)) && catalog.catalogCountSync({ type: 'trigger' }) > 0);
    const mayDetach = verbs === undefined || verbs.some((t) => t.verb === 'DROP TABLE' || t.renamedTo !== undefined);
    const fkOn = adapter.foreignKeysEnabled();
    let facts: ForeignKeyFact[] | undefined;
    const fks = () => (facts ??= readForeignKeys(adapter));
    const guard = fkOn && mayDelete ? CascadeGuard.watch(adapter, fks(), options.transactional ? 'count' : 'abort') : undefined;
    const dangling = options.checkForeignKeyTargets && mayDetach ? new Set(danglingForeignKeys(adapter, fks()).map(describeForeignKey)) : undefined;
    const violations = fkOn || options.scanViolations === false ? undefined : foreignKeyViolationCounts(adapter);
    return new MigrationSafety(adapter, catalog, direction, { guard, violations, dangling });
  }

  /** Starts watching (TEMP triggers); call right before the migration's own code runs. */
  arm(): void {
    this.#guard?.arm();
  }

  /** Stops watching; call right after the migration's own code, also when it threw. */
  disarm(): void {
    if (!this.#guard) return;
    try {
      this.#losses = this.#guard.finish(this.#recorded);
    } catch (error) {
      this.#guard.disarm();
      throw error;
    }
  }

  /** Stops watching after the migration's code threw (its own error is what matters). */
  abandon(): void {
    try {
      this.#guard?.disarm();
    } catch {
      // the TEMP triggers vanish with the rolled-back transaction or the connection anyway
    }
  }

  after(sql: string): void {
    this.#recorded.push(sql);
    this.#guard?.after(sql);
  }

  prepared(sql: string): void {
    this.#recorded.push(sql);
  }

  /**
   * Throws MIGRATION_FAILED when a check fails; the caller rolls the transaction back. Rows of
   * `accounted` tables (archived by data preservation before a down; `'*'`: a loss the user
   * accepted) are not counted as lost.
   */
  verify(accounted: readonly string[] | '*' = []): void {
    const keep = new Set(accounted === '*' ? [] : accounted.map((t) => t.toLowerCase()));
    const losses = accounted === '*' ? [] : this.#losses.filter((loss) => !keep.has(loss.table.toLowerCase()));
    if (losses.length > 0) {
      const first = losses[0]!;
      throw new MfmigError('MIGRATION_FAILED', cascadeMessage(first, losses.length - 1, this.#direction), {
        context: { check: 'cascade', losses, ...(first.statement ? { statement: first.statement } : {}) },
      });
    }
    if (this.#danglingBefore && this.#catalog.schemaVersionSync() !== this.#schemaVersion) {
      const added = danglingForeignKeys(this.#adapter).filter((fk) => !this.#danglingBefore!.has(describeForeignKey(fk)));
      if (added.length > 0) throw this.#danglingError(added);
    }
    if (this.#violationsBefore) {
      const added = newViolations(this.#violationsBefore, foreignKeyViolationCounts(this.#adapter));
      if (added.length > 0) {
        const list = added
          .slice(0, 3)
          .map((v) => `${v.rows} row(s) of ${v.table} referencing missing ${v.parent} rows`)
          .join(', ');
        throw new MfmigError(
          'MIGRATION_FAILED',
          `it would leave ${list} (it runs with foreign keys off; violations that existed before it are not counted); rolled back`,
          { context: { check: 'foreign-key-violation', violations: added } },
        );
      }
    }
  }

  #danglingError(added: ForeignKeyFact[]): MfmigError {
    const first = added[0]!;
    const rename = this.#recorded.map(statementTarget).find((t) => t.renamedTo?.toLowerCase() === first.parent.toLowerCase());
    const what = `would leave the foreign key ${describeForeignKey(first)} pointing at table ${first.parent}, which no longer exists${added.length > 1 ? ` (and ${added.length - 1} more)` : ''}; rolled back`;
    const trap = rename?.table
      ? `. This is the rename-first rebuild trap: ALTER TABLE ${rename.table} RENAME TO ${first.parent} also rewrote the REFERENCES of ${first.table} to ${first.parent} (SQLite 3.26 and later do), and ${first.parent} was dropped afterwards. Rebuild create-first instead (CREATE TABLE ${rename.table}_new ...; copy the rows; DROP TABLE ${rename.table}; ALTER TABLE ${rename.table}_new RENAME TO ${rename.table}), or add PRAGMA legacy_alter_table = ON to the file, or use ctx.rebuildTable`
      : '';
    return new MfmigError('MIGRATION_FAILED', `it ${what}${trap}`, { context: { check: 'dangling-foreign-key', dangling: added.map(describeForeignKey) } });
  }
}

function cascadeMessage(loss: CascadeLoss, more: number, direction: Direction): string {
  const how =
    loss.kind === 'deleted'
      ? `delete ${loss.rows} row(s) of ${loss.table} through ON DELETE CASCADE`
      : `clear the foreign key of ${loss.rows} row(s) of ${loss.table} through ON DELETE SET NULL/SET DEFAULT`;
  const during = loss.statement ? ` (during ${abbreviate(loss.statement, 80)})` : '';
  const fix =
    direction === 'down'
      ? 'keep data preservation on, so that the rows a down drops are archived first, or delete them explicitly in the down'
      : "for a table rebuild, declare -- foreign-keys: off in the file's header (or put PRAGMA foreign_keys = off in it) or use ctx.rebuildTable; if those rows must go, delete them explicitly";
  return (
    `it would ${how} from ${loss.parents.join(', ')}${during}, though it never deletes from, drops or rebuilds ${loss.table} itself${more > 0 ? ` (and ${more} more table(s))` : ''}; rolled back. ` +
    `Foreign keys are ON while migrations run (better-sqlite3's default; the sqlite3 shell's is OFF): ${fix}`
  );
}
