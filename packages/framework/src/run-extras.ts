import type { CheckpointRecord, FailedRunRecovery } from '@mfmig/rollback';
import type { MigrationPlan } from '@mfmig/planner';
import type { ValidationReport } from '@mfmig/validation';
import type { ToolAdoption } from './adoption/tool-adoption.js';

declare module '@mfmig/core' {
  interface RunExtras {
    /** Pre-migration validation, when `validateIntegrity` was on (run-sequence plugin). */
    preValidation?: ValidationReport;
    /** Post-migration validation of the run's last applied version. */
    postValidation?: ValidationReport;
    /** The plan the run was given or made. */
    plan?: MigrationPlan;
    /** The checkpoint taken before the first step (`createCheckpoints`); on PostgreSQL, its id and dump. */
    checkpoint?: CheckpointRecord | { id: string; backupId: string };
    /** Another tool's history adopted before the run. */
    adoption?: ToolAdoption;
    /** How a failed run was taken back (`enableRollback`, or a failed post-migration validation). */
    recovery?: FailedRunRecovery;
    /** Why taking a failed run back failed too. */
    recoveryError?: string;
  }
}

export {};
