import type * as PgQueryModule from 'libpg-query';
import type { AlterTableCmd, ColumnDef, Constraint, Node, RawStmt } from 'libpg-query';
import { MfmigError, messageOf } from '../../errors/index.js';
import { keepsData } from './postgres-data-safety.js';
import { type PgRowWork, rowWork } from './postgres-row-work.js';
import { type PgNotNullChange, notNullChangesOf } from './postgres-not-null-changes.js';
import { type PgLock, type PgLockMode, dottedName, nodeAs, refusedInTransaction, relationName, statementLocks, walkNodes } from './postgres-lock-levels.js';

export type { PgLockMode, PgRowWork };

/** A risk of a statement worth telling before it runs on a live database. */
export interface PgRiskFact {
  /** `COLUMN_TYPE_REWRITE`, `VOLATILE_DEFAULT_REWRITE`, `SET_NOT_NULL_SCAN`, `INDEX_WITHOUT_CONCURRENTLY`, `FOREIGN_KEY_VALIDATES`, `CHECK_VALIDATES`, `ACCESS_EXCLUSIVE`, `ENUM_VALUE_UNUSABLE_IN_TRANSACTION` or `TRANSACTION_CONTROL`. */
  code: string;
  message: string;
  /** The table concerned, as written. */
  table?: string;
  /** The column concerned, for `SET_NOT_NULL_SCAN`. */
  column?: string;
}

/** One statement of a PostgreSQL script, as the real PostgreSQL parser reads it. */
export interface PgStatement {
  /** The statement's own text, trimmed, without comments around it nor the trailing `;`. */
  sql: string;
  /** 1-based line of the script where the statement's first token is. */
  line: number;
  /** The parse node type: `IndexStmt`, `AlterTableStmt`, `VacuumStmt`, ... */
  kind: string;
  /** Set when PostgreSQL refuses the statement inside a transaction block: why. */
  nonTransactional?: string;
  /** True when it cannot delete, change or drop stored data (an index build or drop, VACUUM, a comment, ...). */
  keepsData: boolean;
  /** The table-level locks it takes, strongest per table (indexes and views count as tables). */
  locks: { table: string; mode: PgLockMode }[];
  facts: PgRiskFact[];
  /** What it does to stored rows beyond the catalog (rewrites, index builds, validating scans, copies, updates, deletes): what the plan's model costs. */
  rowWork: PgRowWork[];
  /** What it does to the proofs that a column holds no NULL (CHECKs added, validated, dropped; columns and tables gone): what lets a later `SET NOT NULL` skip its scan. */
  notNullChanges: PgNotNullChange[];
}

type PgQuery = typeof PgQueryModule;
let parser: Promise<PgQuery> | undefined;

/** libpg-query, imported and its WASM module loaded once, on first use. */
async function loadParser(): Promise<PgQuery> {
  parser ??= import('libpg-query').then(async (pg) => {
    await pg.loadModule();
    return pg;
  });
  try {
    return await parser;
  } catch (cause) {
    parser = undefined;
    const message = 'PostgreSQL migrations need the libpg-query package; install it next to @mfmig/core (npm install libpg-query)';
    throw new MfmigError('CONFIG_INVALID', message, { cause });
  }
}

const WORD = /[\w$\u0080-\uffff]+/y;
const DOLLAR_QUOTE = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;
const BLANK = /^[ \t\n\r\f\v]/;

/** The end of what a sticky pattern matches at a position, or -1. */
function matchEnd(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex : -1;
}

/**
 * Visits the tokens of PostgreSQL text: string and dollar-quoted constants, quoted identifiers,
 * (nested) comments, words and single characters; white space is skipped. An unterminated token
 * runs to the end.
 */
function scanTokens(text: string, visit: (start: number, end: number, comment: boolean) => void): void {
  for (let i = 0; i < text.length;) {
    const two = text.slice(i, i + 2);
    const dollar = matchEnd(DOLLAR_QUOTE, text, i);
    let end = Math.max(i + 1, matchEnd(WORD, text, i));
    if (two === '--') end = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (two === '/*') end = blockCommentEnd(text, i);
    else if (two[0] === "'" || two[0] === '"') end = quotedEnd(text, i, false);
    else if (two === "E'" || two === "e'") end = quotedEnd(text, i + 1, true);
    else if (dollar > 0) {
      const close = text.indexOf(text.slice(i, dollar), dollar);
      end = close < 0 ? text.length : close + dollar - i;
    }
    if (!BLANK.test(two)) visit(i, end, two === '--' || two === '/*');
    i = end;
  }
}

function blockCommentEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length - 1; i++) {
    if (text.startsWith('/*', i)) depth++;
    else if (text.startsWith('*/', i)) depth--;
    else continue;
    i++;
    if (depth === 0) return i + 1;
  }
  return text.length;
}

function quotedEnd(text: string, open: number, backslashEscapes: boolean): number {
  const quote = text.charAt(open);
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charAt(i);
    if ((backslashEscapes && c === '\\') || (c === quote && text.charAt(i + 1) === quote)) i++;
    else if (c === quote) return i + 1;
  }
  return text.length;
}

/** Where the code of a statement's text starts and ends, comments and white space around it left out. */
function codeBounds(text: string): { from: number; to: number } {
  let from = -1;
  let to = 0;
  scanTokens(text, (start, end, comment) => {
    if (comment) return;
    if (from < 0) from = start;
    to = end;
  });
  return { from: Math.max(from, 0), to };
}

const countNewlines = (text: string): number => text.split('\n').length - 1;

/** The line of a byte offset, counted on from the previous (not smaller) offset asked. */
function lineCounter(bytes: Buffer): (offset: number) => number {
  let at = 0;
  let line = 1;
  return (offset) => {
    for (; at < offset; at++) if (bytes[at] === 0x0a) line++;
    return line;
  };
}

type ParsedStatement = Pick<PgStatement, 'sql' | 'line'> & { stmt: Node };

/** The statements of a script, cut where the parser says (its locations are UTF-8 byte offsets). */
async function parseStatements(script: string): Promise<ParsedStatement[]> {
  const text = script.replace(/^\uFEFF/, '');
  if (text === '') return [];
  const pg = await loadParser();
  let raws: RawStmt[];
  try {
    raws = pg.parseSync(text).stmts ?? [];
  } catch (error) {
    throw syntaxError(text, error);
  }
  const bytes = Buffer.from(text, 'utf8');
  const lineAt = lineCounter(bytes);
  return raws.flatMap((raw) => {
    const start = raw.stmt_location ?? 0;
    const own = bytes.subarray(start, raw.stmt_len ? start + raw.stmt_len : bytes.length).toString('utf8');
    const { from, to } = codeBounds(own);
    if (raw.stmt === undefined || from >= to) return [];
    return [{ sql: own.slice(from, to), line: lineAt(start) + countNewlines(own.slice(0, from)), stmt: raw.stmt }];
  });
}

/** The string index of the code point at a count of code points. */
function codePointIndex(text: string, codePoints: number): number {
  let index = 0;
  for (let n = 0; n < codePoints && index < text.length; n++) index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  return index;
}

/** The MIGRATION_INVALID error for what the parser refused; its cursor counts characters (code points) from 0. */
function syntaxError(text: string, error: unknown): MfmigError {
  const details = (error as { sqlDetails?: { message?: string; cursorPosition?: number } } | undefined)?.sqlDetails;
  const cursor = details?.cursorPosition === undefined ? undefined : codePointIndex(text, details.cursorPosition);
  const line = cursor === undefined ? 1 : countNewlines(text.slice(0, cursor)) + 1;
  const message = `SQL syntax error at line ${line}: ${details?.message ?? messageOf(error)}`;
  return new MfmigError('MIGRATION_INVALID', message, { cause: error, context: { statement: statementAround(text, cursor) } });
}

/** The text between the semicolons around a position: the statement a syntax error is in. */
function statementAround(text: string, at: number | undefined): string {
  if (at === undefined) return text.trim();
  let start = 0;
  let end = text.length;
  scanTokens(text, (from) => {
    if (text.charAt(from) !== ';') return;
    if (from < at) start = from + 1;
    else end = Math.min(end, from);
  });
  return text.slice(start, end).trim();
}

/** What a script has done so far that changes how later statements read. */
interface ScriptState {
  /** Relations created earlier in the script (new and empty), `public.` left out. */
  created: Set<string>;
  /** Subscriptions detached from their replication slot (`slot_name = NONE`). */
  slotless: Set<string>;
}

const unqualified = (name: string): string => name.replace(/^public\./, '');
const isNew = (state: ScriptState, table: string | undefined): boolean => table !== undefined && state.created.has(unqualified(table));

// Functions PostgreSQL marks volatile that column defaults commonly call: such a default is evaluated per row.
const VOLATILE_FUNCTIONS = new Set(['random', 'random_normal', 'clock_timestamp', 'timeofday', 'gen_random_uuid', 'uuidv4', 'uuidv7', 'nextval']);
const SERIAL_TYPES = new Set(['smallserial', 'serial', 'bigserial', 'serial2', 'serial4', 'serial8']);

/** Why a new column's default is computed row by row (rewriting the table), if it is. */
function volatileDefault(column: ColumnDef): string | undefined {
  if (SERIAL_TYPES.has(dottedName(column.typeName?.names))) return `${dottedName(column.typeName?.names)} (nextval)`;
  let found: string | undefined;
  for (const constraint of column.constraints ?? []) {
    const c = nodeAs(constraint, 'Constraint');
    if (c?.contype === 'CONSTR_IDENTITY') found ??= 'an identity sequence';
    walkNodes(c?.contype === 'CONSTR_DEFAULT' ? c.raw_expr : undefined, (type, body) => {
      const name = type === 'FuncCall' ? ((body.funcname as Node[]).map((part) => nodeAs(part, 'String')?.sval ?? '').pop() ?? '') : '';
      if (VOLATILE_FUNCTIONS.has(name) || /^uuid_generate_v/.test(name)) found ??= `${name}()`;
    });
  }
  return found;
}

type AddFact = (code: string, message: string, table?: string, column?: string) => void;

function constraintFacts(table: string, constraint: Constraint | undefined, add: AddFact): void {
  if (constraint === undefined || constraint.skip_validation === true) return;
  const later = 'add it NOT VALID, then VALIDATE CONSTRAINT in a later migration';
  if (constraint.contype === 'CONSTR_FOREIGN') {
    const locked = `${table} and ${relationName(constraint.pktable) ?? 'the referenced table'}`;
    add('FOREIGN_KEY_VALIDATES', `The foreign key is validated at once: ${table} is scanned under SHARE ROW EXCLUSIVE locks on ${locked}; ${later}`, table);
  } else if (constraint.contype === 'CONSTR_CHECK') {
    add('CHECK_VALIDATES', `The CHECK constraint is validated at once: ${table} is scanned under an ACCESS EXCLUSIVE lock; ${later}`, table);
  }
}

function alterTableFacts(table: string, cmd: AlterTableCmd, add: AddFact): void {
  const column = nodeAs(cmd.def, 'ColumnDef');
  if (cmd.subtype === 'AT_AlterColumnType') {
    const message = `ALTER COLUMN ${cmd.name} TYPE may rewrite ${table} and rebuild its indexes under an ACCESS EXCLUSIVE lock (not when the old type is binary-coercible to the new one)`;
    add('COLUMN_TYPE_REWRITE', message, table);
  } else if (cmd.subtype === 'AT_SetNotNull') {
    const message = `SET NOT NULL on ${cmd.name} scans the whole of ${table} under an ACCESS EXCLUSIVE lock, unless a validated CHECK (${cmd.name} IS NOT NULL) exists`;
    add('SET_NOT_NULL_SCAN', message, table, cmd.name);
  } else if (cmd.subtype === 'AT_AddConstraint') constraintFacts(table, nodeAs(cmd.def, 'Constraint'), add);
  else if (cmd.subtype === 'AT_AddColumn' && column) {
    const volatile = volatileDefault(column);
    const rewrite = `ADD COLUMN ${column.colname} with a volatile default (${volatile}) rewrites the whole of ${table} under an ACCESS EXCLUSIVE lock`;
    if (volatile) add('VOLATILE_DEFAULT_REWRITE', rewrite, table);
    for (const constraint of column.constraints ?? []) constraintFacts(table, nodeAs(constraint, 'Constraint'), add);
  }
}

/** The risks of one statement, given what the script created before it. */
function riskFacts(stmt: Node, sql: string, locks: PgLock[], state: ScriptState): PgRiskFact[] {
  const facts: PgRiskFact[] = [];
  const add: AddFact = (code, message, table, column) =>
    facts.push({ code, message, ...(table === undefined ? {} : { table }), ...(column === undefined ? {} : { column }) });
  const index = nodeAs(stmt, 'IndexStmt');
  const alter = nodeAs(stmt, 'AlterTableStmt');
  const enumValue = nodeAs(stmt, 'AlterEnumStmt');
  const indexed = relationName(index?.relation);
  if (nodeAs(stmt, 'TransactionStmt')) {
    const command = sql.split(/\s+/, 1)[0]?.toUpperCase();
    add('TRANSACTION_CONTROL', `${command} in a migration: the runner owns the transaction (use transaction: none for statements that need their own)`);
  }
  if (enumValue?.newVal !== undefined && enumValue.oldVal === undefined) {
    const message = `ALTER TYPE ${dottedName(enumValue.typeName)} ADD VALUE: the new value cannot be used in the same transaction, only after it commits`;
    add('ENUM_VALUE_UNUSABLE_IN_TRANSACTION', message);
  }
  if (index && index.concurrent !== true && indexed !== undefined && !isNew(state, indexed)) {
    add('INDEX_WITHOUT_CONCURRENTLY', `CREATE INDEX without CONCURRENTLY blocks writes to ${indexed} (SHARE lock) for the whole build`, indexed);
  }
  const altered = relationName(alter?.relation);
  if (altered !== undefined && !isNew(state, altered)) for (const cmd of alter?.cmds ?? []) alterTableFacts(altered, nodeAs(cmd, 'AlterTableCmd') ?? {}, add);
  for (const { table, mode } of locks) {
    if (mode !== 'ACCESS EXCLUSIVE' || isNew(state, table)) continue;
    add('ACCESS_EXCLUSIVE', `The statement takes an ACCESS EXCLUSIVE lock on ${table}: every read and write of it waits until the transaction ends`, table);
  }
  return facts;
}

/** Notes what the statement creates (new, empty relations) and which subscriptions lose their slot. */
function remember(stmt: Node, state: ScriptState): void {
  const [table, query] = [nodeAs(stmt, 'CreateStmt'), nodeAs(stmt, 'CreateTableAsStmt')];
  const created = relationName(table?.relation ?? query?.into?.rel);
  if (created !== undefined && (table ?? query)?.if_not_exists !== true) state.created.add(unqualified(created));
  const index = nodeAs(stmt, 'IndexStmt');
  if (index?.idxname !== undefined) state.created.add(unqualified(relationName({ ...index.relation, relname: index.idxname }) ?? ''));
  const rename = nodeAs(stmt, 'RenameStmt');
  if (rename?.newname !== undefined && rename.subname === undefined && isNew(state, relationName(rename.relation))) {
    state.created.add(unqualified(relationName({ ...rename.relation, relname: rename.newname }) ?? ''));
  }
  const subscription = nodeAs(stmt, 'AlterSubscriptionStmt') ?? nodeAs(stmt, 'CreateSubscriptionStmt');
  const slot = subscription?.options?.map((o) => nodeAs(o, 'DefElem')).find((o) => o?.defname === 'slot_name');
  if (subscription?.subname !== undefined && nodeAs(slot?.arg, 'String')?.sval?.toLowerCase() === 'none') state.slotless.add(subscription.subname);
}

/**
 * Reads a PostgreSQL migration script with the real PostgreSQL parser (libpg-query, loaded on
 * first use): each statement with its line, the table locks it takes, whether PostgreSQL refuses
 * it inside a transaction block, the risks it carries on a live database, and what it does to
 * stored rows. Throws
 * MIGRATION_INVALID on a syntax error, CONFIG_INVALID when libpg-query is not installed.
 *
 * @example
 * const [statement] = await analyzePostgresSql('CREATE INDEX CONCURRENTLY users_email ON app.users (email);');
 * statement.nonTransactional; // 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block'
 * statement.locks; // [{ table: 'app.users', mode: 'SHARE UPDATE EXCLUSIVE' }]
 * statement.rowWork; // [{ kind: 'index', table: 'app.users', concurrent: true }]
 */
export async function analyzePostgresSql(sql: string): Promise<PgStatement[]> {
  const state: ScriptState = { created: new Set(), slotless: new Set() };
  return (await parseStatements(sql)).map(({ sql: text, line, stmt }) => {
    const locks = statementLocks(stmt);
    const refused = refusedInTransaction(stmt, state.slotless);
    const facts = riskFacts(stmt, text, locks, state);
    const statement: PgStatement = {
      sql: text,
      line,
      kind: Object.keys(stmt)[0] ?? 'Unknown',
      keepsData: keepsData(stmt),
      locks,
      facts,
      rowWork: rowWork(stmt, facts),
      notNullChanges: notNullChangesOf(stmt),
    };
    if (refused !== undefined) statement.nonTransactional = `${refused} cannot run inside a transaction block`;
    remember(stmt, state);
    return statement;
  });
}

/**
 * Splits a PostgreSQL script into its statements, as the PostgreSQL parser does (semicolons in
 * strings, dollar-quoted bodies and comments do not split), without analysing them.
 *
 * @example
 * await splitPostgresSql("INSERT INTO notes VALUES ('a;b');\nSELECT 1;"); // ["INSERT INTO notes VALUES ('a;b')", 'SELECT 1']
 */
export async function splitPostgresSql(sql: string): Promise<string[]> {
  return (await parseStatements(sql)).map((statement) => statement.sql);
}
