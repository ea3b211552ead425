import type { AlterTableCmd, Node } from 'libpg-query';
import { dottedName, nodeAs, relationName } from './postgres-lock-levels.js';

/**
 * What a statement does to the proofs that a column holds no NULL, the proofs that let PostgreSQL
 * 12+ skip the full scan of `SET NOT NULL`. A proof is a validated CHECK (col IS NOT NULL) or the
 * column's own NOT NULL; a planner follows these changes from step to step. Tables and columns
 * are as written; a rename forgets what it renames (the planner may then warn needlessly, never
 * wrongly skip a scan).
 *
 * @example
 * // ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID
 * { kind: 'check', table: 't', column: 'a', constraint: 't_a_nn', validated: false }
 * // ALTER TABLE t VALIDATE CONSTRAINT t_a_nn
 * { kind: 'validate', table: 't', constraint: 't_a_nn' }
 */
export type PgNotNullChange =
  /** A CHECK (col IS NOT NULL) added: validated at once, or `NOT VALID`. `constraint` is PostgreSQL's own name when none was given. */
  | { kind: 'check'; table: string; column: string; constraint: string; validated: boolean }
  | { kind: 'validate'; table: string; constraint: string }
  | { kind: 'drop-constraint'; table: string; constraint: string }
  | { kind: 'rename-constraint'; table: string; constraint: string; to: string }
  | { kind: 'drop-not-null'; table: string; column: string }
  /** The column is gone or renamed: none of its proofs hold for a column of that name. */
  | { kind: 'forget-column'; table: string; column: string }
  /** The table is gone or renamed. */
  | { kind: 'forget-table'; table: string };

/** The column a CHECK's expression proves not null: exactly `col IS NOT NULL`, or undefined. */
function provenColumn(expression: Node | undefined): string | undefined {
  const test = nodeAs(expression, 'NullTest');
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = nodeAs(test.arg, 'ColumnRef')?.fields ?? [];
  return fields.length === 1 ? nodeAs(fields[0], 'String')?.sval : undefined;
}

/** The name PostgreSQL gives a column's CHECK constraint added without one (`t_a_check`). */
const defaultCheckName = (table: string, column: string): string => `${table.split('.').pop()}_${column}_check`;

function alterChanges(table: string, cmd: AlterTableCmd): PgNotNullChange[] {
  const name = cmd.name;
  switch (cmd.subtype) {
    case 'AT_ValidateConstraint':
      return name === undefined ? [] : [{ kind: 'validate', table, constraint: name }];
    case 'AT_DropConstraint':
      return name === undefined ? [] : [{ kind: 'drop-constraint', table, constraint: name }];
    case 'AT_DropNotNull':
      return name === undefined ? [] : [{ kind: 'drop-not-null', table, column: name }];
    case 'AT_DropColumn':
      return name === undefined ? [] : [{ kind: 'forget-column', table, column: name }];
    case 'AT_AddConstraint': {
      const check = nodeAs(cmd.def, 'Constraint');
      const column = check?.contype === 'CONSTR_CHECK' && check.is_enforced !== false ? provenColumn(check.raw_expr) : undefined;
      if (column === undefined) return [];
      return [{ kind: 'check', table, column, constraint: check?.conname ?? defaultCheckName(table, column), validated: check?.skip_validation !== true }];
    }
    default:
      return [];
  }
}

/**
 * The {@link PgNotNullChange}s of one parsed statement, in the order its commands run.
 *
 * @example
 * notNullChangesOf(stmt); // [{ kind: 'check', table: 't', column: 'a', constraint: 't_a_nn', validated: false }]
 */
export function notNullChangesOf(stmt: Node): PgNotNullChange[] {
  const alter = nodeAs(stmt, 'AlterTableStmt');
  const altered = relationName(alter?.relation);
  if (altered !== undefined) return (alter?.cmds ?? []).flatMap((node) => alterChanges(altered, nodeAs(node, 'AlterTableCmd') ?? {}));
  const rename = nodeAs(stmt, 'RenameStmt');
  const renamed = relationName(rename?.relation);
  if (rename && renamed !== undefined) {
    if (rename.renameType === 'OBJECT_TABCONSTRAINT' && rename.subname && rename.newname) {
      return [{ kind: 'rename-constraint', table: renamed, constraint: rename.subname, to: rename.newname }];
    }
    if (rename.renameType === 'OBJECT_COLUMN' && rename.subname) return [{ kind: 'forget-column', table: renamed, column: rename.subname }];
    if (rename.renameType === 'OBJECT_TABLE') return [{ kind: 'forget-table', table: renamed }];
    return [];
  }
  const drop = nodeAs(stmt, 'DropStmt');
  if (drop?.removeType !== 'OBJECT_TABLE') return [];
  return (drop.objects ?? []).map((object) => ({ kind: 'forget-table' as const, table: dottedName(nodeAs(object, 'List')?.items) }));
}
