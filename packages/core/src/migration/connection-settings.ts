import { MfmigError } from '../errors/index.js';
import { splitSqlStatements } from '../adapter/sql-splitter.js';
import { isSqlKeyword, tokenizeSql } from '../adapter/sql-tokens.js';
import { statementTarget } from '../adapter/statement-target.js';

/**
 * The connection settings a migration runs under in one direction. SQLite ignores both inside a
 * transaction for foreign keys, so the runner applies them before `BEGIN` and restores the
 * previous values after `COMMIT`.
 */
export interface ConnectionSettings {
  /** `off`: foreign keys are not enforced while the migration runs; new violations are refused before commit. */
  foreignKeys: 'on' | 'off';
  /** `PRAGMA legacy_alter_table = ON`: `ALTER TABLE ... RENAME` leaves other tables' references alone. */
  legacyAlterTable: boolean;
}

/** A SQL section ready to run: its statements, and the settings its PRAGMA lines ask for. */
export interface PreparedSqlSection {
  /** The statements to run, in order (transaction control removed when mfmig owns the transaction). */
  statements: string[];
  settings: ConnectionSettings;
}

const OFF = new Set(['off', 'false', 'no', '0']);
const ON = new Set(['on', 'true', 'yes', '1']);
/**
 * SQL in which no statement can start with a verb read below: none of these words stands alone
 * in it, in any case, and it holds nothing but printable ASCII, tabs and line breaks (a word of
 * SQLite's is then delimited as `\b` delimits it, and upper-cases as ASCII does).
 */
const MAY_CONTROL_CONNECTION = /\b(?:pragma|begin|commit|end|rollback)\b|[^\t\n\r -~]/i;

/**
 * Reads a SQL section the way its author ran it: a `PRAGMA foreign_keys = off` anywhere in it
 * means the whole section runs with foreign keys off (SQLite would silently ignore the line
 * inside mfmig's transaction), and `PRAGMA legacy_alter_table = on` is honoured the same way
 * (with foreign keys off too, unless the header says otherwise: only then does SQLite leave
 * other tables' references alone, as the sqlite3 shell did).
 * In a transactional section, the author's own `BEGIN` / `COMMIT` / `END` lines are dropped: mfmig's
 * transaction already makes the section all-or-nothing. A `ROLLBACK` there is refused.
 *
 * @example
 * prepareSqlSection('PRAGMA foreign_keys=off; BEGIN; DROP TABLE a; COMMIT;', { transactional: true, foreignKeys: 'on', where: 'x.sql' });
 * // { statements: ['PRAGMA foreign_keys=off;', 'DROP TABLE a;'], settings: { foreignKeys: 'off', legacyAlterTable: false } }
 */
export function prepareSqlSection(sql: string, options: { transactional: boolean; foreignKeys: 'on' | 'off' | undefined; where: string }): PreparedSqlSection {
  const settings: ConnectionSettings = { foreignKeys: options.foreignKeys ?? 'on', legacyAlterTable: false };
  if (!MAY_CONTROL_CONNECTION.test(sql)) {
    // nothing to read from the statements: split them when they first run, not at every load
    let split: string[] | undefined;
    return {
      get statements() {
        split ??= splitSqlStatements(sql);
        return split;
      },
      settings,
    };
  }
  const statements: string[] = [];
  for (const statement of splitSqlStatements(sql)) {
    const target = statementTarget(statement);
    if (target.verb === 'PRAGMA' && target.pragma) {
      const { name, value = '' } = target.pragma;
      if (name === 'foreign_keys' && OFF.has(value)) {
        if (options.foreignKeys === 'on') {
          throw new MfmigError(
            'MIGRATION_INVALID',
            `Malformed migration ${options.where}: its header says foreign-keys: on, but it sets PRAGMA foreign_keys = ${value}`,
            {
              context: { file: options.where },
            },
          );
        }
        settings.foreignKeys = 'off';
      }
      if (name === 'legacy_alter_table' && ON.has(value)) settings.legacyAlterTable = true;
    }
    if (options.transactional && ['BEGIN', 'COMMIT'].includes(target.verb)) continue;
    if (options.transactional && target.verb === 'ROLLBACK' && !tokenizeSql(statement).some((t) => isSqlKeyword(t, 'TO'))) {
      throw new MfmigError(
        'MIGRATION_INVALID',
        `Malformed migration ${options.where}: it runs ROLLBACK; a migration cannot roll back mfmig's transaction (use -- transaction: none to manage transactions yourself)`,
        {
          context: { file: options.where, statement },
        },
      );
    }
    statements.push(statement);
  }
  // legacy_alter_table only keeps references as they are with foreign keys off (SQLite rewrites
  // them otherwise), which is how the sqlite3 shell ran the file
  if (settings.legacyAlterTable && options.foreignKeys === undefined) settings.foreignKeys = 'off';
  return { statements, settings };
}
