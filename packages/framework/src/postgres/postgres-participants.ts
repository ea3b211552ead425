import type { DialectParticipant } from '@mfmig/core';
import { createConnectionPreservation } from '@mfmig/rollback';
import { type ConnectionTransformerOptions, createConnectionTransformer } from '@mfmig/transformer';

/**
 * The participants of a PostgreSQL run, in order: the data transformations declared by the
 * migrations, then rollback preservation (its restore must come after the transformations, so
 * archived rows win over regenerated ones). The command line and `createPostgresFramework` run
 * with these. `rowsOf` gives the transformer the sizes of its sources (a rehearsal: the live ones).
 *
 * @example
 * new DialectMigrator({ connection, migrations, participants: postgresParticipants({ preserve: true }) });
 */
export function postgresParticipants(options: { preserve: boolean; rowsOf?: ConnectionTransformerOptions['rowsOf'] }): DialectParticipant[] {
  const transformer = createConnectionTransformer(options.rowsOf ? { rowsOf: options.rowsOf } : {});
  return [transformer, createConnectionPreservation({ enabled: options.preserve })];
}
