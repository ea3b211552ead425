import type { DialectParticipant, DialectStep, PostgresConnection } from '@mfmig/core';

/**
 * The statements a module migration ran in a rehearsal, by where they ran: distinct texts, in
 * the order they first ran. A module builds its statements when it runs, so this is what the
 * plan can know of it: what it ran on the sample.
 */
export interface RehearsedStatements {
  /** In the migration's transaction (each on its own for a `transaction: none` module): its body's and its transformations'. */
  transaction: string[];
  /** After that transaction committed: the continued move's batches, each committed on its own. */
  batches: string[];
  /** In the final transaction that catches up with the application's writes and marks the step applied. */
  final: string[];
  /** Statements sent in all, repeats included. */
  sent: number;
  /** True when a phase ran more distinct statements than are kept ({@link MAX_KEPT}); the first ones are kept. */
  truncated: boolean;
}

/** Distinct statements kept per phase: a module that builds one statement per row is not kept whole. */
export const MAX_KEPT = 2_000;

type Phase = 'transaction' | 'batches' | 'final';

/** A VALUES list of two rows or more whose rows hold no parentheses (parameters, literals). */
const MANY_ROWS = /(\bVALUES\s*\([^()]*\))(?:\s*,\s*\([^()]*\))+/i;

/**
 * A statement as it is kept: a multi-row INSERT's VALUES list cut to its first row, since a batch
 * of 1,000 rows and one of 10 take the same locks, and are then one statement.
 *
 * @example
 * keptText('INSERT INTO t (a) VALUES ($1), ($2), ($3)'); // 'INSERT INTO t (a) VALUES ($1)'
 */
export function keptText(sql: string): string {
  return /^\s*INSERT\b/i.test(sql) ? sql.replace(MANY_ROWS, '$1') : sql;
}

/**
 * Records, per module step of a rehearsal, what the scratch session sent while the step ran (see
 * {@link RehearsedStatements}). Its `participant` must come first, so that its hooks mark where
 * each phase starts before the other participants' work of that phase, and its `closer` last, so
 * that the transaction's phase ends after every participant's `afterUp` (before the runner's
 * history row, and, for a `transaction: none` module, before the runner's lock timeout reset and
 * the BEGIN of its history row's transaction); `quiet` hides the rehearsal's own reads (its size
 * measurements); the runner's statements of the final transaction are told apart later by the
 * tables they touch (`mfmig_`) and their kind.
 *
 * @example
 * const capture = statementCapture();
 * const stop = capture.watch(scratch);
 * await new DialectMigrator({ connection: scratch, migrations, participants: [capture.participant, transformer, capture.closer] }).migrate(target);
 * stop();
 * capture.ran(8)?.transaction; // ['CREATE TABLE kb_code_references (...)', 'LOCK TABLE kb_entries IN SHARE MODE', ...]
 */
export function statementCapture(): {
  participant: DialectParticipant;
  closer: DialectParticipant;
  watch(conn: PostgresConnection): () => void;
  quiet<T>(work: () => Promise<T>): Promise<T>;
  /** The step ended (its `migrationCompleted` event): what the session sends next is not its own. */
  end(): void;
  ran(version: number): RehearsedStatements | undefined;
} {
  const steps = new Map<number, RehearsedStatements>();
  const seen = new Map<number, Record<Phase, Set<string>>>();
  let current: { version: number; phase: Phase } | null = null;
  let quiet = 0;
  const enter = (step: DialectStep, phase: Phase | null) => {
    if (step.migration.kind !== 'module' || step.direction !== 'up') return;
    current = phase === null ? null : { version: step.migration.version, phase };
  };
  const record = (sent: string) => {
    if (current === null || quiet > 0) return;
    const sql = keptText(sent);
    const ran = steps.get(current.version)!;
    const texts = seen.get(current.version)![current.phase];
    ran.sent++;
    if (texts.has(sql)) return;
    if (texts.size >= MAX_KEPT) {
      ran.truncated = true;
      return;
    }
    texts.add(sql);
    ran[current.phase].push(sql);
  };
  const participant: DialectParticipant = {
    name: 'rehearsal-statements',
    async beforeUp(step) {
      current = null;
      if (step.migration.kind !== 'module') return;
      // a step retried after a lock timeout starts its record again
      steps.set(step.migration.version, { transaction: [], batches: [], final: [], sent: 0, truncated: false });
      seen.set(step.migration.version, { transaction: new Set(), batches: new Set(), final: new Set() });
      enter(step, 'transaction');
    },
    async continueUp(step) {
      enter(step, 'batches');
    },
    async finalizeUp(step) {
      enter(step, 'final');
    },
  };
  return {
    participant,
    closer: { name: 'rehearsal-statements-end', afterUp: async (step) => enter(step, null) },
    watch(conn) {
      const stop = conn.watchStatements(record);
      return () => {
        stop();
        current = null;
      };
    },
    async quiet(work) {
      quiet++;
      try {
        return await work();
      } finally {
        quiet--;
      }
    },
    end() {
      current = null;
    },
    ran: (version) => steps.get(version),
  };
}
