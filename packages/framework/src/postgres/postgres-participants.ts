import type { DialectParticipant } from '@mfmig/core';
import { createConnectionPreservation } from '@mfmig/rollback';
import { createConnectionTransformer } from '@mfmig/transformer';

/**
 * The participants of a PostgreSQL run, in order: the data transformations declared by the
 * migrations, then rollback preservation (its restore must come after the transformations, so
 * archived rows win over regenerated ones). The command line and `createPostgresFramework` run
 * with these.
 *
 * @example
 * new DialectMigrator({ connection, migrations, participants: postgresParticipants({ preserve: true }) });
 */
export function postgresParticipants(options: { preserve: boolean }): DialectParticipant[] {
  return [createConnectionTransformer(), createConnectionPreservation({ enabled: options.preserve })];
}
