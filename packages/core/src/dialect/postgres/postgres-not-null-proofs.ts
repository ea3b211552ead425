import type { AlterTableCmd, Node } from 'libpg-query';
import { nodeAs, relationName } from './postgres-lock-levels.js';

/**
 * What a statement does to the proof that a column holds no NULL, the proof that lets PostgreSQL
 * 12+ skip the full scan of `SET NOT NULL`: a CHECK (col IS NOT NULL) added (validated at once, or
 * `NOT VALID` until a later `VALIDATE CONSTRAINT`), or a constraint validated by name.
 *
 * @example
 * // ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID
 * { table: 't', column: 'a', constraint: 't_a_nn', validated: false }
 * // ALTER TABLE t VALIDATE CONSTRAINT t_a_nn
 * { table: 't', constraint: 't_a_nn', validated: true }
 */
export interface PgNotNullProof {
  /** The table, as written. */
  table: string;
  /** The column the CHECK proves; absent for `VALIDATE CONSTRAINT`, which names the constraint only. */
  column?: string;
  /** The constraint's name, when the statement gives one. */
  constraint?: string;
  /** True once the constraint is validated (added without `NOT VALID`, or `VALIDATE CONSTRAINT`). */
  validated: boolean;
}

/** The column a CHECK's expression proves not null: exactly `col IS NOT NULL`, or undefined. */
function provenColumn(expression: Node | undefined): string | undefined {
  const test = nodeAs(expression, 'NullTest');
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = nodeAs(test.arg, 'ColumnRef')?.fields ?? [];
  return fields.length === 1 ? nodeAs(fields[0], 'String')?.sval : undefined;
}

/**
 * The {@link PgNotNullProof}s of one parsed statement, in the order its commands run.
 *
 * @example
 * notNullProofsOf(stmt); // [{ table: 't', column: 'a', constraint: 't_a_nn', validated: false }]
 */
export function notNullProofsOf(stmt: Node): PgNotNullProof[] {
  const alter = nodeAs(stmt, 'AlterTableStmt');
  const table = relationName(alter?.relation);
  if (table === undefined) return [];
  const proofs: PgNotNullProof[] = [];
  for (const node of alter?.cmds ?? []) {
    const cmd: AlterTableCmd = nodeAs(node, 'AlterTableCmd') ?? {};
    if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name !== undefined) proofs.push({ table, constraint: cmd.name, validated: true });
    const check = cmd.subtype === 'AT_AddConstraint' ? nodeAs(cmd.def, 'Constraint') : undefined;
    const column = check?.contype === 'CONSTR_CHECK' ? provenColumn(check.raw_expr) : undefined;
    if (column === undefined) continue;
    proofs.push({ table, column, ...(check?.conname ? { constraint: check.conname } : {}), validated: check?.skip_validation !== true });
  }
  return proofs;
}
