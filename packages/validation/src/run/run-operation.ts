import type { ValidationReport } from '../report/types.js';

/** A validation method, as `report.operation` names it. */
export type Operation = ValidationReport['operation'];

/**
 * What distinguishes the validation methods: the operation, whether the database checks of
 * the level run, and what the operation's own checks are given (a version, a plan).
 */
export type RunOperation = { databaseChecks: boolean } & (
  | { operation: 'comprehensive' | 'pre-migration' }
  | { operation: 'post-migration'; version: number }
  | { operation: 'rollback'; targetVersion: number }
  | { operation: 'plan'; plan: unknown }
);
