import {
  type LockWaitPolicy,
  type MigrationEventEmitter,
  type MigrationEvents,
  MfmigError,
  type PostgresConnection,
  inRetriedTransaction,
  quoteIdentifier,
  retryableWithin,
} from '@mfmig/core';
import {
  type BatchPolicy,
  type ConnectionProgress,
  type ConnectionReverseResult,
  type DataTransformation,
  type RanUnit,
  type TransformationMode,
  type TransformationResult,
  type TransformationUnit,
  type ValidationResult,
  parseTransformations,
  planUnits,
  toResult,
} from '@mfmig/transformer';

/** One transformation, or several: what every `PostgresTransformer` method takes, as `DataTransformer`'s do. */
export type Transformations = DataTransformation | readonly DataTransformation[];

/** One unit that ran, with the source rows it read (counted when it started, in its transaction). */
export interface CountedUnit {
  ran: RanUnit;
  rowsRead: number;
}

/**
 * The units transformations run as (validated, dependencies ordered, `migrate` steps expanded),
 * with `batch` in place of each one's own policy when given. A malformed declaration is
 * `TRANSFORMATION_INVALID`, before anything connects.
 *
 * @example
 * plannedUnits(kbToIncidents).map((u) => u.id); // ['kb_to_incident_mapping']
 */
export function plannedUnits(transformations: Transformations, batch?: BatchPolicy): TransformationUnit[] {
  const list: readonly unknown[] = Array.isArray(transformations) ? transformations : [transformations];
  const units = planUnits(parseTransformations(list));
  return batch === undefined ? units : units.map((u) => ({ ...u, transformation: { ...u.transformation, batch } }));
}

/**
 * Refuses, with `TRANSFORMATION_INVALID` naming it, a unit whose source (a table or view) does not exist
 * (unless an earlier unit writes it), before any statement runs.
 *
 * @example
 * await requireSources(conn, units); // throws: Transformation copy_lines: its source table lines_old does not exist
 */
export async function requireSources(conn: PostgresConnection, units: readonly TransformationUnit[]): Promise<void> {
  const written = new Set<string>();
  for (const { id, transformation: t } of units) {
    if (!written.has(t.sourceTable) && !(await relationExists(conn, t.sourceTable))) {
      throw new MfmigError('TRANSFORMATION_INVALID', `Transformation ${id}: its source table ${t.sourceTable} does not exist in ${conn.target}`, {
        context: { transformation: id, table: t.sourceTable },
      });
    }
    written.add(t.targetTable);
  }
}

/** A table, view or other relation of this name on the session's search_path (where the transformation's SQL finds it). */
async function relationExists(conn: PostgresConnection, name: string): Promise<boolean> {
  return (await conn.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [quoteIdentifier(name)]))[0]?.ok === true;
}

/**
 * Emits a connection function's progress as `operationProgress`, with the rate and ETA SQLite's
 * meter gives, measured from now.
 *
 * @example
 * await runUnitsOn(conn, [unit], { onProgress: progressEmitter(context.events) });
 */
export function progressEmitter(events: MigrationEventEmitter<MigrationEvents>): (p: ConnectionProgress) => void {
  const start = performance.now();
  return (p) => {
    const elapsed = performance.now() - start;
    const rate = elapsed > 0 ? (p.done * 1000) / elapsed : 0;
    const left = Math.max(0, p.total - p.done);
    events.emit('operationProgress', { ...p, ratePerSecond: rate, etaMs: left === 0 ? 0 : rate > 0 ? Math.round((left * 1000) / rate) : null });
  };
}

/**
 * The `TransformationResult`s of units that ran, each with its validations (and its `migrate`
 * parent's), as SQLite's `StandaloneRun` builds them.
 *
 * @example
 * ranResults(counted, validations, 'inline')[0].rowsWritten; // 3000
 */
export function ranResults(counted: readonly CountedUnit[], validations: readonly ValidationResult[], mode: TransformationMode): TransformationResult[] {
  return counted.map(({ ran: { unit, counts, durationMs }, rowsRead }) =>
    toResult(
      unit,
      mode,
      { rowsRead, rowsWritten: counts.rows, batches: counts.batches, durationMs },
      validations.filter((v) => v.transformationId === unit.id || v.transformationId === unit.parent?.id),
    ),
  );
}

/**
 * The `TransformationResult`s (mode `reverse`) of the reverses that ran; a `migrate`
 * transformation reversed as one is described by its own declaration.
 *
 * @example
 * reverseResults(units, await reverseTransformationsOn(conn, list))[0].rowsWritten; // 3000
 */
export function reverseResults(units: readonly TransformationUnit[], reversed: readonly ConnectionReverseResult[]): TransformationResult[] {
  const byId = new Map<string, TransformationUnit>();
  for (const u of units) {
    byId.set(u.id, u);
    if (u.parent && !byId.has(u.parent.id)) byId.set(u.parent.id, { id: u.parent.id, transformation: u.parent });
  }
  return reversed.map((r) => toResult(byId.get(r.id)!, 'reverse', { rowsRead: 0, rowsWritten: r.rows, batches: 1, durationMs: r.durationMs }, []));
}

/**
 * `work` in one transaction under `lockWait`'s `lock_timeout`, then committed (`commit`) or rolled
 * back; retried whole, as a migration is (core's `inRetriedTransaction`), when a table lock was not
 * had in time or the server aborted it over a conflict. An aborted `signal` (checked before each
 * attempt and before commit) is `INTERRUPTED`.
 *
 * @example
 * await inOneTransaction(conn, { ...DEFAULT_LOCK_WAIT }, { commit: true, signal }, () => runUnitsOn(conn, units, {}));
 */
export function inOneTransaction<T>(
  conn: PostgresConnection,
  lockWait: LockWaitPolicy,
  how: { commit: boolean; signal?: AbortSignal | undefined },
  work: () => Promise<T>,
): Promise<T> {
  return inRetriedTransaction(
    conn,
    {
      lockWait,
      beforeAttempt: () => interrupted(how.signal),
      // a statement's server error comes wrapped in TRANSFORMATION_FAILED, the server's as its cause
      retryable: (error) => retryableWithin(conn, error),
      exhausted: (error, attempt) =>
        new MfmigError(
          'TRANSFORMATION_FAILED',
          `The transformation waited more than ${lockWait.lockTimeoutMs} ms for a table lock held by another transaction, ${attempt + 1} time(s); nothing changed. Find the long transaction in pg_stat_activity, or raise lockWait`,
          { cause: error, context: { attempts: attempt + 1 } },
        ),
    },
    async () => {
      const value = await work();
      interrupted(how.signal);
      if (!how.commit) await conn.rollback();
      return value;
    },
  );
}

function interrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MfmigError('INTERRUPTED', 'The transformation was interrupted; its transaction rolled back, nothing changed');
}
