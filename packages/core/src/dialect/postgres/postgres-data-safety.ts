import type { Node } from 'libpg-query';
import { nodeAs } from './postgres-lock-levels.js';

/**
 * Statements that never delete, change or drop stored rows, columns or tables, whatever they
 * name: index builds and drops, maintenance, statistics, comments, session settings, a new enum
 * value, a constraint validated. A down made only of these has nothing for rollback preservation
 * to archive.
 */
const KEEPS_DATA: Record<string, (stmt: Node) => boolean> = {
  IndexStmt: () => true,
  ReindexStmt: () => true,
  VacuumStmt: () => true,
  ClusterStmt: () => true,
  CommentStmt: () => true,
  VariableSetStmt: () => true,
  RefreshMatViewStmt: () => true,
  DropStmt: (stmt) => nodeAs(stmt, 'DropStmt')?.removeType === 'OBJECT_INDEX',
  // ADD VALUE only: RENAME VALUE changes what stored values read as
  AlterEnumStmt: (stmt) => nodeAs(stmt, 'AlterEnumStmt')?.oldVal === undefined,
  AlterTableStmt: (stmt) => (nodeAs(stmt, 'AlterTableStmt')?.cmds ?? []).every((cmd) => nodeAs(cmd, 'AlterTableCmd')?.subtype === 'AT_ValidateConstraint'),
};

/**
 * True when a parsed statement cannot delete, change or drop stored data (see {@link KEEPS_DATA});
 * false for anything else, including every statement it does not know.
 *
 * @example
 * keepsData(parse('DROP INDEX CONCURRENTLY users_email')); // true
 * keepsData(parse('DROP TABLE users')); // false
 */
export function keepsData(stmt: Node): boolean {
  const kind = Object.keys(stmt)[0] ?? '';
  return KEEPS_DATA[kind]?.(stmt) === true;
}
