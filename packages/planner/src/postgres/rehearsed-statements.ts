import { type PgStatement, analyzePostgresSql } from '@mfmig/core';
import type { RehearsedStatements } from './statement-capture.js';

type Phase = 'transaction' | 'batches' | 'final';

/** mfmig's own tables, the catalogs, and the rehearsal's scratch schema's name before a table. */
const OWN_TABLE = /^(?:mfmig_|pg_|information_schema\.)/;
const SCRATCH_QUALIFIER = /^"?mfmig_rehearsal_[0-9a-z_]+"?\./;

const bare = (table: string) => table.replace(SCRATCH_QUALIFIER, '');

/**
 * True for what the runner, the transformer's bookkeeping or the rehearsal sent rather than the
 * migration: statements that touch only mfmig's tables or the catalogs, catalog lookups, the
 * runner's lock timeouts and savepoints, and, after the migration's transaction, the batches' and
 * the final transaction's BEGIN and COMMIT. A module's own `COMMIT` in its body is kept: the plan
 * must see it.
 */
function notTheMigrations(s: PgStatement, phase: Phase): boolean {
  if (s.kind === 'TransactionStmt') return phase !== 'transaction' || /\bmfmig_/i.test(s.sql);
  if (s.kind === 'VariableSetStmt') return phase !== 'transaction' || /\b(?:lock_timeout|statement_timeout)\b/i.test(s.sql);
  if (s.locks.length === 0) return s.kind === 'SelectStmt' && s.facts.length === 0;
  return s.facts.length === 0 && s.locks.every((l) => OWN_TABLE.test(bare(l.table)));
}

/** One phase's statements, parsed one by one (a statement the parser cannot read is left out), numbered in the order they ran. */
async function phaseStatements(texts: readonly string[], phase: Phase): Promise<PgStatement[]> {
  const out: PgStatement[] = [];
  for (const text of texts) {
    let parsed: PgStatement[];
    try {
      parsed = await analyzePostgresSql(text);
    } catch {
      continue;
    }
    for (const s of parsed) {
      if (notTheMigrations(s, phase)) continue;
      out.push({ ...s, line: out.length + 1, locks: s.locks.map((l) => ({ ...l, table: bare(l.table) })) });
    }
  }
  return out;
}

const parsed = new WeakMap<RehearsedStatements, Promise<Record<Phase, PgStatement[]>>>();

/**
 * A module step's rehearsed statements, parsed by phase, without what the runner, the
 * transformer's bookkeeping or the rehearsal sent; table names lose the scratch schema's name.
 * Parsed once per record: the estimate's scaling and the plan's analysis read the same one.
 *
 * @example
 * const { transaction, batches, final } = await parseRehearsed(step.ran!);
 * transaction.flatMap((s) => s.locks); // [{ table: 'orders', mode: 'ACCESS EXCLUSIVE' }]
 */
export function parseRehearsed(ran: RehearsedStatements): Promise<Record<Phase, PgStatement[]>> {
  let phases = parsed.get(ran);
  if (!phases) {
    phases = (async () => ({
      transaction: await phaseStatements(ran.transaction, 'transaction'),
      batches: await phaseStatements(ran.batches, 'batches'),
      final: await phaseStatements(ran.final, 'final'),
    }))();
    parsed.set(ran, phases);
  }
  return phases;
}
