import { type DialectParticipant, DialectMigrator, type MigrationSet, type TableRebuilder, migrationLabel, openSqlite } from '@mfmig/core';
import { type SchemaModel, readSchemaModel } from './schema-model.js';

/** The schema the applied migrations produce, and which migration created each object. */
export interface ExpectedSchema {
  schema: SchemaModel;
  /** Object name to the label of the migration that created it (`0002_add_usage_feedback`). */
  createdBy: Map<string, string>;
}

/**
 * Builds the schema the applied migrations should have produced: their `up` SQL or modules
 * run by the core {@link DialectMigrator} on a fresh in-memory database. Declared data
 * transformations are skipped (there is no data to move), so only the schema is compared.
 * Migrations calling `ctx.rebuildTable` need `rebuildTable` (the framework's, from
 * @mfmig/schema-evolution); without it, or when a migration cannot run there, this throws.
 *
 * @example
 * const { schema } = await buildExpectedSchema(set, [1, 2]);
 * schema.tables.has('kb_feedback'); // true
 */
export async function buildExpectedSchema(
  set: MigrationSet,
  appliedVersions: Iterable<number>,
  options: { rebuildTable?: TableRebuilder } = {},
): Promise<ExpectedSchema> {
  const wanted = new Set(appliedVersions);
  const migrations = set.migrations.filter((m) => wanted.has(m.version));
  const subset: MigrationSet = { ...set, migrations, byVersion: new Map(migrations.map((m) => [m.version, m])) };
  const conn = await openSqlite(':memory:');
  try {
    const createdBy = new Map<string, string>();
    const recorder: DialectParticipant = {
      name: 'validation-expected-schema',
      // declared data transformations have no data to move here: they are left out
      runsTransformations: true,
      async afterUp(step) {
        for (const { name } of await conn.introspector.catalog()) if (!createdBy.has(name)) createdBy.set(name, migrationLabel(step.migration));
      },
    };
    const migrator = new DialectMigrator({
      connection: conn,
      migrations: subset,
      participants: [recorder],
      allowUnadopted: true,
      ...(options.rebuildTable ? { rebuildTable: options.rebuildTable } : {}),
    });
    const result = await migrator.migrate({ latest: true });
    if (result.error) throw result.error;
    return { schema: await readSchemaModel(conn), createdBy };
  } finally {
    await conn.close();
  }
}
