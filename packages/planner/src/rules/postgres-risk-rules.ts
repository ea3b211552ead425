import { PG_LOCK_MODES, type PgLockMode, type PgRiskFact, type PgStatement } from '@mfmig/core';
import { type RiskLevel, type RuleFinding, maxRisk } from '../plan/plan-types.js';
import { DEFAULT_RISK_THRESHOLDS, type RiskThresholds } from './risk-rules.js';
import { NotNullTracker, type PgNotNullState } from './postgres-not-null-state.js';

// The planner reads what @mfmig/core's PostgreSQL analyser (analyzePostgresSql) found in a script:
// it never parses SQL nor touches the server itself, so it imports neither pg nor libpg-query.

/** The modes that conflict with ROW EXCLUSIVE, the lock of INSERT, UPDATE, DELETE and MERGE. */
const WRITE_BLOCKING: ReadonlySet<PgLockMode> = new Set(['SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE']);

/**
 * What a table lock held by a migration makes the application wait for: ACCESS EXCLUSIVE is the
 * only mode that conflicts with ACCESS SHARE (plain SELECT), so it alone blocks reads; SHARE,
 * SHARE ROW EXCLUSIVE and EXCLUSIVE conflict with ROW EXCLUSIVE, so they block writes. Weaker
 * modes (SHARE UPDATE EXCLUSIVE of CREATE INDEX CONCURRENTLY or VALIDATE CONSTRAINT, the row
 * locks of DML) block only other DDL and VACUUM.
 *
 * @example
 * pgLockBlocks('SHARE'); // { reads: false, writes: true }
 * pgLockBlocks('ACCESS EXCLUSIVE'); // { reads: true, writes: true }
 */
export function pgLockBlocks(mode: PgLockMode): { reads: boolean; writes: boolean } {
  return { reads: mode === 'ACCESS EXCLUSIVE', writes: WRITE_BLOCKING.has(mode) };
}

/**
 * The stronger of two lock modes.
 *
 * @example
 * strongerLock('SHARE', 'ACCESS EXCLUSIVE'); // 'ACCESS EXCLUSIVE'
 */
export function strongerLock(a: PgLockMode, b: PgLockMode): PgLockMode {
  return PG_LOCK_MODES.indexOf(b) > PG_LOCK_MODES.indexOf(a) ? b : a;
}

/** The fact code the planner adds for a statement of a `transaction: none` file (the analyser does not know a file's mode). */
export const NON_TRANSACTIONAL_FACT = 'NON_TRANSACTIONAL';
/** The fact code the planner adds for a statement PostgreSQL refuses inside a transaction block, in a transactional file. */
export const REFUSED_IN_TRANSACTION_FACT = 'REFUSED_IN_TRANSACTION';

/** What a rule's reason is written from. */
export interface PgReasonInput {
  /** The table, as written: `big`. */
  table: string;
  /** The table with its rows when the catalog knows them: `big (about 1,000,000 rows)`. */
  subject: string;
  /** `until the migration commits` or `until the statement ends` (a `transaction: none` file). */
  until: string;
  fact: PgRiskFact;
  statement: PgStatement;
}

/** A rule of the PostgreSQL plan: what one fact of the analyser means for a live database, and how to avoid it. */
export interface PostgresRiskRule {
  /** Stable id, shown in plans: `pg-column-type-rewrite`. */
  id: string;
  /** The fact code of `analyzePostgresSql` it reads, or {@link NON_TRANSACTIONAL_FACT}. */
  fact: string;
  /** The level of a finding (see {@link POSTGRES_RISK_RULES} for when it moves). */
  level: RiskLevel;
  /** The lock the statement typically takes on the table concerned; undefined when it locks no table. */
  lock?: PgLockMode;
  /** What that lock blocks for the application, derived from {@link lock} by {@link pgLockBlocks}. */
  blocks: { reads: boolean; writes: boolean };
  /** One line: what the rule looks for. */
  description: string;
  /** The safer way to write it. */
  saferWay: string;
  /** True when the rows of the table make the work last longer (a rewrite, a scan, an index build). */
  growsWithRows: boolean;
  /** The finding's explanation. */
  reason(input: PgReasonInput): string;
}

const rule = (r: Omit<PostgresRiskRule, 'blocks'>): PostgresRiskRule => ({
  ...r,
  blocks: r.lock === undefined ? { reads: false, writes: false } : pgLockBlocks(r.lock),
});

/**
 * The rules of a PostgreSQL plan, one per fact of `analyzePostgresSql`, in the order their
 * findings are listed. The levels, and why:
 *
 * - **critical**: a statement PostgreSQL refuses in a transaction block (`CREATE INDEX
 *   CONCURRENTLY`, `VACUUM`) in a transactional file: `migrate` refuses the file, so the plan cannot run.
 * - **high**: a table rewrite under ACCESS EXCLUSIVE (`ALTER COLUMN ... TYPE`, `ADD COLUMN` with a
 *   volatile default): reads and writes of the table stop for as long as copying every row and
 *   rebuilding every index takes, which grows with the table and cannot be bounded by
 *   `lock_timeout`. Transaction control in a transactional file (`COMMIT` half-way) is high too:
 *   the migration is no longer all-or-nothing and its history row no longer commits with it.
 * - **medium**: a full scan or an index build under a lock that blocks writes (or, for SET NOT
 *   NULL and CHECK, reads too), but no rewrite: `SET NOT NULL`, a CHECK or foreign key validated at
 *   once, `CREATE INDEX` without CONCURRENTLY. Any other ACCESS EXCLUSIVE lock is medium as well:
 *   it is short on its own (metadata only), but queued behind a long transaction it stops every
 *   reader of the table; mfmig bounds that wait (`--ddl-lock-timeout`), so the outage is bounded.
 * - **low**: `ALTER TYPE ... ADD VALUE` (locks no table; a use of the value in the same
 *   transaction fails, and rolls the migration back), and a statement of a `transaction: none`
 *   file when the file has one statement. With several, a failure leaves the earlier ones
 *   applied: medium.
 *
 * A rule that grows with rows rises one level (rewrites to critical, scans and builds to high)
 * when the catalog counts at least `criticalRows` rows (1,000,000 by default) in the table; it
 * never falls on a small count, since `pg_class.reltuples` is an estimate that may be stale.
 * Statements on tables the same script created find nothing: nobody else can see those tables.
 *
 * @example
 * POSTGRES_RISK_RULES.find((r) => r.fact === 'COLUMN_TYPE_REWRITE')?.level; // 'high'
 */
export const POSTGRES_RISK_RULES: PostgresRiskRule[] = [
  rule({
    id: 'pg-column-type-rewrite',
    fact: 'COLUMN_TYPE_REWRITE',
    level: 'high',
    lock: 'ACCESS EXCLUSIVE',
    growsWithRows: true,
    description: 'ALTER COLUMN ... TYPE rewrites the table and rebuilds its indexes under ACCESS EXCLUSIVE',
    saferWay:
      'add a new column of the new type, backfill it in batches, switch the application over, then drop the old column in a later migration (or keep the type binary-compatible, e.g. varchar(n) to text)',
    reason: ({ subject, until }) =>
      `rewrites ${subject} and rebuilds its indexes under an ACCESS EXCLUSIVE lock (unless the new type is binary-compatible): every read and write of it waits ${until}`,
  }),
  rule({
    id: 'pg-volatile-default-rewrite',
    fact: 'VOLATILE_DEFAULT_REWRITE',
    level: 'high',
    lock: 'ACCESS EXCLUSIVE',
    growsWithRows: true,
    description: 'ADD COLUMN with a volatile default (random(), gen_random_uuid(), a serial) rewrites the table under ACCESS EXCLUSIVE',
    saferWay: 'add the column without default (or with a constant one), set the default in a separate ALTER, then backfill the existing rows in batches',
    reason: ({ subject, until }) =>
      `rewrites ${subject} to compute a volatile default row by row, under an ACCESS EXCLUSIVE lock: every read and write of it waits ${until}`,
  }),
  rule({
    id: 'pg-set-not-null-scan',
    fact: 'SET_NOT_NULL_SCAN',
    level: 'medium',
    lock: 'ACCESS EXCLUSIVE',
    growsWithRows: true,
    description: 'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE',
    saferWay:
      'add a CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the CHECK',
    reason: ({ subject, until }) => `scans ${subject} for NULLs under an ACCESS EXCLUSIVE lock: every read and write of it waits ${until}`,
  }),
  rule({
    id: 'pg-index-without-concurrently',
    fact: 'INDEX_WITHOUT_CONCURRENTLY',
    level: 'medium',
    lock: 'SHARE',
    growsWithRows: true,
    description: 'CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build',
    saferWay:
      'CREATE INDEX CONCURRENTLY in a migration of its own that starts with "-- transaction: none" (drop and retry an INVALID index a failed build leaves)',
    reason: ({ subject, until }) => `builds an index on ${subject} under a SHARE lock: writes to it wait ${until} (reads go on)`,
  }),
  rule({
    id: 'pg-foreign-key-validates',
    fact: 'FOREIGN_KEY_VALIDATES',
    level: 'medium',
    lock: 'SHARE ROW EXCLUSIVE',
    growsWithRows: true,
    description: 'A foreign key added without NOT VALID is checked against every row at once, blocking writes to both tables',
    saferWay: 'ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration (it takes only SHARE UPDATE EXCLUSIVE: reads and writes go on)',
    reason: ({ table, subject, until, statement }) => {
      const others = statement.locks.map((l) => l.table).filter((t) => t !== table);
      const both = others.length > 0 ? ` and to ${others.join(', ')}` : '';
      return `checks every row of ${subject} for the new foreign key under SHARE ROW EXCLUSIVE locks: writes to it${both} wait ${until} (reads go on)`;
    },
  }),
  rule({
    id: 'pg-check-validates',
    fact: 'CHECK_VALIDATES',
    level: 'medium',
    lock: 'ACCESS EXCLUSIVE',
    growsWithRows: true,
    description: 'A CHECK constraint added without NOT VALID scans the table under ACCESS EXCLUSIVE',
    saferWay: 'ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration (reads and writes go on while it validates)',
    reason: ({ subject, until }) =>
      `checks every row of ${subject} for the new CHECK under an ACCESS EXCLUSIVE lock: every read and write of it waits ${until}`,
  }),
  rule({
    id: 'pg-access-exclusive',
    fact: 'ACCESS_EXCLUSIVE',
    level: 'medium',
    lock: 'ACCESS EXCLUSIVE',
    growsWithRows: false,
    description: 'A statement takes ACCESS EXCLUSIVE on an existing table: short on its own, but every query of the table waits behind it',
    saferWay:
      'keep the migration short (no slow statement after it in the same file), and run it when no long transaction holds the table; mfmig gives up a lock wait after --ddl-lock-timeout and retries',
    reason: ({ subject, until }) =>
      `takes an ACCESS EXCLUSIVE lock on ${subject}: every read and write of it waits ${until}, and queries queue behind it while it waits for a long transaction`,
  }),
  rule({
    id: 'pg-enum-value-in-transaction',
    fact: 'ENUM_VALUE_UNUSABLE_IN_TRANSACTION',
    level: 'low',
    growsWithRows: false,
    description: 'ALTER TYPE ... ADD VALUE: the new value cannot be used before the transaction commits',
    saferWay: 'add the value in a migration of its own, and use it (defaults, updates, inserts) in a later one',
    reason: ({ fact }) => `${fact.message}: a use of it later in this migration fails and rolls the migration back`,
  }),
  rule({
    id: 'pg-transaction-control',
    fact: 'TRANSACTION_CONTROL',
    level: 'high',
    growsWithRows: false,
    description: 'BEGIN, COMMIT, ROLLBACK or SAVEPOINT in a transactional migration: the runner owns the transaction',
    saferWay:
      'remove the statement and let mfmig run the file in one transaction; put statements that need their own transaction in a file that starts with "-- transaction: none"',
    reason: ({ fact }) => `${fact.message}: the migration is no longer all-or-nothing, and its history row no longer commits with it`,
  }),
  rule({
    id: 'pg-refused-in-transaction',
    fact: REFUSED_IN_TRANSACTION_FACT,
    level: 'critical',
    growsWithRows: false,
    description: 'A statement PostgreSQL refuses inside a transaction block, in a transactional file: migrate refuses the file before anything runs',
    saferWay: 'move the statement to a migration of its own that starts with "-- transaction: none"',
    reason: ({ fact }) => `${fact.message}, and this file runs in one: mfmig migrate refuses it before anything runs`,
  }),
  rule({
    id: 'pg-non-transactional',
    fact: NON_TRANSACTIONAL_FACT,
    level: 'low',
    growsWithRows: false,
    description: 'runs outside a transaction: a failure leaves earlier statements applied',
    saferWay: 'one statement per "-- transaction: none" file, written so that it can run again (IF NOT EXISTS; drop an INVALID index before a retry)',
    reason: ({ fact }) => `runs outside a transaction: a failure leaves earlier statements applied (${fact.message})`,
  }),
];

/** A finding of the PostgreSQL plan: a {@link RuleFinding} with where it is and the safer way. */
export interface PgRuleFinding extends RuleFinding {
  /** The fact code of the analyser behind it. */
  fact: string;
  /** 1-based line of the script where the statement starts. */
  line: number;
  /** The statement, as written. */
  statement: string;
  /** The table concerned, as written. */
  table?: string;
  /** The table's rows as the catalog estimates them, when known. */
  rows?: number;
  /** What the statement's lock on the table blocks for the application (nothing for a table the script created). */
  blocksReads: boolean;
  blocksWrites: boolean;
  saferWay: string;
}

/** The strongest lock a migration takes on one table. */
export interface PgTableLock {
  table: string;
  mode: PgLockMode;
  /** True when ACCESS EXCLUSIVE: plain SELECTs wait. False for a table the migration creates (nobody else sees it). */
  blocksReads: boolean;
  /** True for SHARE and stronger: INSERT, UPDATE and DELETE wait. False for a table the migration creates. */
  blocksWrites: boolean;
  /** The table is created by the same migration. */
  created?: true;
  /** The table's rows as the catalog estimates them, when known. */
  rows?: number;
}

/** What a PostgreSQL migration's statements mean on a live database: see {@link planPostgresMigration}. */
export interface PgMigrationPlan {
  /** The highest level of its findings; low when it has none. */
  riskLevel: RiskLevel;
  findings: PgRuleFinding[];
  /** The strongest lock per table, in the order the tables are first locked. */
  locks: PgTableLock[];
  /** Existing tables whose writes wait while the migration (a `transaction: none` file: a statement) runs. */
  blocksWrites: string[];
  /** Existing tables whose reads wait. */
  blocksReads: string[];
  /** The tables (and materialized views) the script creates, `public.` left out: pass them on as the next step's `createdEarlier`. */
  created: string[];
  /** The not-null proofs after the script: pass them on as the next step's `notNull` (null when given null). */
  notNull: PgNotNullState | null;
}

/** What {@link planPostgresMigration} needs beyond the statements. */
export interface PgPlanInfo {
  /** False for a `transaction: none` file: each statement commits on its own. */
  transactional: boolean;
  /** Rows per table as written in the statements (from `pg_class.reltuples`); tables left out are unknown. */
  tableRows?: ReadonlyMap<string, number>;
  /** Tables earlier steps of the same plan create (as the analyser names them): new and empty, like those the script creates. */
  createdEarlier?: ReadonlySet<string>;
  /** Where rules that grow with rows rise a level: `criticalRows`. Default {@link DEFAULT_RISK_THRESHOLDS}. */
  thresholds?: Pick<RiskThresholds, 'criticalRows'>;
  /**
   * The columns proven not null before the script (`liveNotNullState`, then each step's `notNull`);
   * default none. Null: the server never skips the scan of `SET NOT NULL` (before PostgreSQL 12).
   */
  notNull?: PgNotNullState | null;
  /** The schema the statements' unqualified names are in (for `notNull`); default `public`. */
  schema?: string;
}

/** Facts that already say the statement holds ACCESS EXCLUSIVE on their table: the generic finding would repeat them. */
const ACCESS_EXCLUSIVE_FACTS = new Set(['COLUMN_TYPE_REWRITE', 'VOLATILE_DEFAULT_REWRITE', 'SET_NOT_NULL_SCAN', 'CHECK_VALIDATES']);

const count = (n: number): string => {
  const digits = String(Math.round(Math.abs(n)));
  let out = '';
  for (let end = digits.length; end > 0; end -= 3) out = (end > 3 ? ',' : '') + digits.slice(Math.max(0, end - 3), end) + out;
  return out;
};

const IDENTIFIER = String.raw`(?:"(?:[^"]|"")*"|[^\s."(;]+)`;
const CREATED = new RegExp(
  String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?(?:TABLE|MATERIALIZED\s+VIEW)\s+(?!IF\s+NOT\s+EXISTS\b)(${IDENTIFIER}(?:\s*\.\s*${IDENTIFIER})?)`,
  'i',
);

/** A table name as the analyser reports it, `public.` left out. */
const unqualified = (table: string): string => table.replace(/^public\./, '');

/** A name written in SQL as the parser reports it: quoted parts as written, unquoted parts in lower case, `public.` left out. */
function normalName(written: string): string {
  const parts = written.match(new RegExp(IDENTIFIER, 'g')) ?? [];
  return unqualified(parts.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase())).join('.'));
}

/** The tables (and materialized views) a statement creates, new and empty: CREATE TABLE without IF NOT EXISTS. */
function createdBy(statement: PgStatement): string | undefined {
  if (statement.kind !== 'CreateStmt' && statement.kind !== 'CreateTableAsStmt') return undefined;
  const match = CREATED.exec(statement.sql);
  return match?.[1] === undefined ? undefined : normalName(match[1]);
}

const bump = (level: RiskLevel): RiskLevel => (level === 'low' ? 'medium' : level === 'medium' ? 'high' : 'critical');

/**
 * What a PostgreSQL migration's statements (from `analyzePostgresSql`) mean on a live database:
 * one finding per risky statement and table, by {@link POSTGRES_RISK_RULES} (with the safer way to
 * write it), the strongest lock per table, the highest risk level, and which existing tables'
 * reads and writes wait. Tables the script creates are locked too, but block nobody.
 *
 * @example
 * const statements = await analyzePostgresSql('ALTER TABLE big ALTER COLUMN v TYPE bigint;');
 * const plan = planPostgresMigration(statements, { transactional: true, tableRows: new Map([['big', 1_000_000]]) });
 * plan.riskLevel; // 'critical'
 * plan.findings[0]?.explanation; // 'line 1: rewrites big (about 1,000,000 rows) and rebuilds its indexes under an ACCESS EXCLUSIVE lock ...'
 * plan.blocksReads; // ['big']
 */
export function planPostgresMigration(statements: readonly PgStatement[], info: PgPlanInfo): PgMigrationPlan {
  const created = new Set<string>([...(info.createdEarlier ?? [])].map(unqualified));
  const createdHere: string[] = [];
  const notNull = new NotNullTracker(info.schema, info.notNull ?? undefined);
  // a SET NOT NULL on a column a validated CHECK already proves skips its scan: only its short ACCESS EXCLUSIVE lock is left
  const scans = (f: PgRiskFact) => info.notNull === null || !(f.code === 'SET_NOT_NULL_SCAN' && f.table && f.column && notNull.proves(f.table, f.column));
  const criticalRows = info.thresholds?.criticalRows ?? DEFAULT_RISK_THRESHOLDS.criticalRows;
  const rowsOf = (table: string): number | undefined => {
    const rows = info.tableRows?.get(table) ?? info.tableRows?.get(unqualified(table)) ?? info.tableRows?.get(`public.${table}`);
    return rows !== undefined && Number.isFinite(rows) && rows >= 0 ? Math.round(rows) : undefined;
  };
  const until = info.transactional ? 'until the migration commits' : 'until the statement ends';
  const locks = new Map<string, PgTableLock>();
  const findings: PgRuleFinding[] = [];
  const nonTransactional = info.transactional ? [] : statements.filter((s) => s.nonTransactional !== undefined);
  for (const statement of statements) {
    for (const { table, mode } of statement.locks) {
      const isNew = created.has(unqualified(table));
      const held = locks.get(table);
      const strongest = held === undefined ? mode : strongerLock(held.mode, mode);
      const blocks = isNew ? { reads: false, writes: false } : pgLockBlocks(strongest);
      const rows = rowsOf(table);
      locks.set(table, {
        table,
        mode: strongest,
        blocksReads: blocks.reads || (held?.blocksReads ?? false),
        blocksWrites: blocks.writes || (held?.blocksWrites ?? false),
        ...(isNew || held?.created ? { created: true as const } : {}),
        ...(rows === undefined ? {} : { rows }),
      });
    }
    const facts = statement.facts.filter(scans);
    if (info.transactional && statement.nonTransactional !== undefined) facts.push({ code: REFUSED_IN_TRANSACTION_FACT, message: statement.nonTransactional });
    if (!info.transactional && (statement.nonTransactional !== undefined || (nonTransactional.length === 0 && statement === statements[0]))) {
      const why = statement.nonTransactional ?? 'the file says transaction: none though no statement in it needs it';
      facts.push({ code: NON_TRANSACTIONAL_FACT, message: why });
    }
    const specific = new Set(facts.filter((f) => ACCESS_EXCLUSIVE_FACTS.has(f.code)).map((f) => f.table));
    for (const fact of facts) {
      if (fact.code === 'ACCESS_EXCLUSIVE' && specific.has(fact.table)) continue;
      // the analyser knows the tables its own script creates; those of earlier steps are new and empty as well
      if (fact.table !== undefined && created.has(unqualified(fact.table))) continue;
      if (!info.transactional && fact.code === 'ENUM_VALUE_UNUSABLE_IN_TRANSACTION') continue;
      const r = POSTGRES_RISK_RULES.find((candidate) => candidate.fact === fact.code);
      if (r === undefined) continue;
      const rows = fact.table === undefined ? undefined : rowsOf(fact.table);
      findings.push(finding(r, fact, statement, { transactional: info.transactional, statements: statements.length, until, criticalRows, rows }));
    }
    const made = createdBy(statement);
    if (made !== undefined) {
      created.add(made);
      createdHere.push(made);
    }
    notNull.apply(statement);
  }
  const all = [...locks.values()];
  return {
    riskLevel: maxRisk(...findings.map((f) => f.severity)),
    findings,
    locks: all,
    blocksWrites: all.filter((l) => l.blocksWrites).map((l) => l.table),
    blocksReads: all.filter((l) => l.blocksReads).map((l) => l.table),
    created: createdHere,
    notNull: info.notNull === null ? null : notNull.state,
  };
}

function finding(
  r: PostgresRiskRule,
  fact: PgRiskFact,
  statement: PgStatement,
  at: { transactional: boolean; statements: number; rows: number | undefined; until: string; criticalRows: number },
): PgRuleFinding {
  let severity = r.level;
  if (r.growsWithRows && at.rows !== undefined && at.rows >= at.criticalRows) severity = bump(severity);
  if (r.fact === NON_TRANSACTIONAL_FACT && at.statements > 1) severity = 'medium';
  if (r.fact === 'TRANSACTION_CONTROL' && !at.transactional) severity = 'low';
  const table = fact.table ?? '';
  const subject = at.rows === undefined ? table : `${table} (about ${count(at.rows)} rows)`;
  const lock = fact.table === undefined ? undefined : statement.locks.find((l) => l.table === fact.table)?.mode;
  const blocks = lock === undefined ? { reads: false, writes: false } : pgLockBlocks(lock);
  return {
    rule: r.id,
    severity,
    explanation: `line ${statement.line}: ${r.reason({ table, subject, until: at.until, fact, statement })}`,
    fact: fact.code,
    line: statement.line,
    statement: statement.sql,
    ...(fact.table === undefined ? {} : { table: fact.table }),
    ...(at.rows === undefined ? {} : { rows: at.rows }),
    blocksReads: blocks.reads,
    blocksWrites: blocks.writes,
    saferWay: r.saferWay,
  };
}
