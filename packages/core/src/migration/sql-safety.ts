import type { DialectName } from '../dialect/dialect.js';
import { MfmigError } from '../errors/index.js';
import { splitSqlStatements } from '../adapter/sql-splitter.js';
import { type SqlToken, tokenName, tokenizeSql } from '../adapter/sql-tokens.js';

/** SQLite's: on PostgreSQL, ATTACH and DETACH are not statements, and VACUUM runs in a `transaction: none` file (the dialect's parser says when a file needs that). */
const FORBIDDEN_VERBS: Record<string, string> = {
  ATTACH: 'ATTACH reaches outside the database being migrated',
  DETACH: 'DETACH changes the connection, not the schema',
  VACUUM: 'VACUUM cannot run inside a migration transaction',
};
const WRITABLE_SCHEMA = 'PRAGMA writable_schema can corrupt the database';
const OWN_OBJECTS = "tables prefixed mfmig_ are mfmig's own history and must not be changed by a migration";
/** Words that may stand before a statement's verb without changing what it is. */
const PREFIXES = new Set(['EXPLAIN', 'QUERY', 'PLAN']);
/** A string SQLite would take for the name of an mfmig_ object where a name belongs (`DELETE FROM 'mfmig_history'`). */
const OWN_NAME_STRING = /^mfmig_[\w$\u0080-\uffff]*$/i;
/**
 * SQL that holds none of the words refused below, in any case, and nothing but printable ASCII,
 * tabs and line breaks: no token of it can be refused, so it needs no tokenizing. SQLite has no
 * escapes that would make one of these words out of other characters (a doubled quote stays a
 * quote); any other character, whose case rules differ, gets the full check.
 */
const MAY_BE_REFUSED = /attach|detach|vacuum|writable_schema|mfmig_|[^\t\n\r -~]/i;

/**
 * Rejects SQL that a migration must never run: reaching other files (`ATTACH`, `DETACH`,
 * `VACUUM` as a statement), editing SQLite's schema table (`PRAGMA writable_schema`), or naming
 * mfmig's own `mfmig_*` objects, bare or quoted. The SQL is read with {@link tokenizeSql}, as
 * SQLite reads it, so string literals and quoted names may mention these words (`'please vacuum'`,
 * a column `"vacuum"`), and no quote or comment can hide a statement from the check. For a
 * PostgreSQL migration only the `mfmig_*` names are refused: the rest are SQLite's.
 *
 * @example
 * assertSafeMigrationSql("INSERT INTO notes VALUES ('please vacuum')", 'mvp1/0002_notes.sql'); // passes
 * assertSafeMigrationSql('CREATE TABLE [b--](a); VACUUM;', 'mvp1/0003_b.sql'); // throws MIGRATION_FORBIDDEN
 */
export function assertSafeMigrationSql(sql: string, file: string, dialect: DialectName = 'sqlite'): void {
  if (!MAY_BE_REFUSED.test(sql)) return;
  // statement by statement, as the runner runs them: a whole file's tokens at once cost more to keep
  for (const statement of splitSqlStatements(sql)) {
    const tokens = tokenizeSql(statement);
    let atVerb = true;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.kind === 'punct' && token.value === ';') {
        // a trigger body holds statements of its own
        atVerb = true;
        continue;
      }
      if (atVerb && !(token.kind === 'word' && PREFIXES.has(token.value))) {
        atVerb = false;
        if (dialect === 'sqlite') refuseVerb(tokens, i, file);
      }
      if (namesOwnObject(token)) refuse(file, tokenName(token), OWN_OBJECTS);
    }
  }
}

function refuseVerb(tokens: SqlToken[], i: number, file: string): void {
  const verb = tokens[i]!;
  if (verb.kind !== 'word') return;
  const why = FORBIDDEN_VERBS[verb.value];
  if (why) refuse(file, verb.text, why);
  if (verb.value === 'PRAGMA') {
    const name = tokens[i + 2]?.kind === 'punct' && tokens[i + 2]?.value === '.' ? tokens[i + 3] : tokens[i + 1];
    if (name && name.kind !== 'punct' && tokenName(name).toLowerCase() === 'writable_schema') refuse(file, `${verb.text} ${tokenName(name)}`, WRITABLE_SCHEMA);
  }
}

function namesOwnObject(token: SqlToken): boolean {
  if (token.kind === 'word' || token.kind === 'identifier') return token.value.toLowerCase().startsWith('mfmig_');
  return token.kind === 'string' && OWN_NAME_STRING.test(token.value);
}

function refuse(file: string, what: string, why: string): never {
  throw new MfmigError('MIGRATION_FORBIDDEN', `Migration ${file} is refused: it uses "${what}", and ${why}`, { context: { file } });
}
