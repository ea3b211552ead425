import { type PostgresConnection, catalogRowEstimates } from '@mfmig/core';
import { maxRisk } from '../plan/plan-types.js';
import { NON_TRANSACTIONAL_FACT, type PgMigrationPlan, type PgRuleFinding, planPostgresMigration } from '../rules/postgres-risk-rules.js';
import { type CodeFinding, type PostgresPlan, type PostgresPlanStep, codeNote, stepsSummary } from './postgres-plan.js';
import type { FailedRehearsal, RehearsalEstimate } from './postgres-rehearsal-estimate.js';
import type { RehearsedStatements } from './statement-capture.js';
import { parseRehearsed } from './rehearsed-statements.js';

/** A finding's explanation says where the statement ran, since the module has no lines to point at. */
function rehearsedFinding(f: PgRuleFinding, where: string): PgRuleFinding {
  return { ...f, explanation: f.explanation.replace(/^line \d+: /, `statement ${f.line} it ran ${where}: `) };
}

/**
 * The plan with each module migration the rehearsal ran analysed from the statements it sent there
 * (see `statementCapture`), where it said "not analyzed (code)": the statements of its transaction
 * go through the same rules as a SQL file's (locks, rewrites, scans, risk), against the live
 * tables' row estimates; the statements of its continued transformations are described apart
 * (`continued`), since their batches each hold their locks for one batch only and the final
 * transaction for its catch-up. The step's risk is that of its findings, with a low
 * `pg-code-rehearsed` finding that says what this analysis cannot see: a branch the sample did not
 * take. A plan without a rehearsal (or whose rehearsal failed) is returned unchanged.
 *
 * @example
 * const plan = await withRehearsedModules(conn, await planPostgresMigrations(conn, migrations, target), rehearsal);
 * plan.steps.find((s) => s.version === 8)?.analyzedFrom; // 'rehearsal'
 */
export async function withRehearsedModules(
  conn: PostgresConnection,
  plan: PostgresPlan,
  rehearsal: RehearsalEstimate | FailedRehearsal | undefined,
): Promise<PostgresPlan> {
  if (rehearsal === undefined || 'failed' in rehearsal) return plan;
  const ran = new Map(rehearsal.steps.flatMap((s) => (s.ran ? [[s.version, s.ran] as const] : [])));
  if (![...ran.keys()].some((version) => plan.steps.some((s) => s.version === version && !s.analyzed))) return plan;
  const created = new Set<string>();
  const steps: PostgresPlanStep[] = [];
  for (const step of plan.steps) {
    const statements = step.analyzed ? undefined : ran.get(step.version);
    const analysed = statements ? await rehearsedStep(conn, step, statements, created) : step;
    for (const lock of analysed.locks) if (lock.created) created.add(lock.table);
    steps.push(analysed);
  }
  const before = codeNote(plan.steps)?.[0];
  const notes = [...(codeNote(steps) ?? []), ...plan.notes.filter((n) => n !== before)];
  return { ...plan, ...stepsSummary(steps), notes };
}

async function rehearsedStep(
  conn: PostgresConnection,
  step: PostgresPlanStep,
  ran: RehearsedStatements,
  createdEarlier: ReadonlySet<string>,
): Promise<PostgresPlanStep> {
  const phases = await parseRehearsed(ran);
  const tables = new Set(Object.values(phases).flatMap((list) => list.flatMap((s) => s.locks.map((l) => l.table))));
  const tableRows = await catalogRowEstimates(conn, [...tables]);
  const body = planPostgresMigration(phases.transaction, { transactional: step.transactional, tableRows, createdEarlier });
  const made = new Set([...createdEarlier, ...body.created]);
  const batches = planPostgresMigration(phases.batches, { transactional: false, tableRows, createdEarlier: made });
  const final = planPostgresMigration(phases.final, { transactional: true, tableRows, createdEarlier: made });
  const continued = ran.batches.length > 0 || ran.final.length > 0;
  const findings = [
    ...body.findings.map((f) => rehearsedFinding(f, 'in its transaction')),
    ...batchFindings(batches).map((f) => rehearsedFinding(f, 'in a continued batch')),
    ...final.findings.map((f) => rehearsedFinding(f, 'in its final transaction')),
  ];
  const note: CodeFinding = {
    rule: 'pg-code-rehearsed',
    severity: 'low',
    explanation:
      `analyzed from the ${phases.transaction.length + phases.batches.length + phases.final.length} statement(s) it ran in the rehearsal on a sample of the live rows` +
      `${ran.truncated ? ' (only the first kept: it ran many distinct ones)' : ''}: a branch the sample did not take is not seen`,
  };
  return {
    ...step,
    analyzed: true,
    analyzedFrom: 'rehearsal',
    statements: phases.transaction.length,
    riskLevel: maxRisk('low', ...findings.map((f) => f.severity)),
    locks: body.locks,
    blocksWrites: body.blocksWrites,
    blocksReads: body.blocksReads,
    rules: [...findings, note],
    ...(continued
      ? {
          continued: {
            statements: phases.batches.length,
            batchLocks: batches.locks,
            finalLocks: final.locks,
            finalBlocksWrites: final.blocksWrites,
          },
        }
      : {}),
  };
}

/**
 * A batch runs outside the migration's transaction and commits on its own: the rule that flags a
 * statement of a `transaction: none` file for running alone says nothing about it.
 */
function batchFindings(plan: PgMigrationPlan): PgRuleFinding[] {
  return plan.findings.filter((f) => f.fact !== NON_TRANSACTIONAL_FACT);
}
