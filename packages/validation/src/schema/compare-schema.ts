import { finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';
import type { ExpectedSchema } from './expected-schema.js';
import { type IndexInfo, type SchemaModel, type TableInfo, normaliseSql } from './schema-model.js';

/**
 * Compares the actual schema with the one the applied migrations produce: missing and unknown
 * tables, columns, indexes, views and triggers, and objects whose definition differs.
 *
 * @example
 * const findings = compareSchema(await readSchemaModel(conn), await buildExpectedSchema(set, applied));
 */
export function compareSchema(actual: SchemaModel, expected: ExpectedSchema): ValidationFinding[] {
  const out: ValidationFinding[] = [];
  const by = (name: string) => {
    const label = expected.createdBy.get(name);
    return label ? ` (created by migration ${label})` : '';
  };
  const reapply = (name: string) =>
    expected.createdBy.has(name)
      ? `Restore it: roll back below migration ${expected.createdBy.get(name)} and migrate again, or restore a backup`
      : 'Restore it from a backup';
  for (const [name, table] of expected.schema.tables) {
    const real = actual.tables.get(name);
    if (!real) out.push(finding('SCHEMA_TABLE_MISSING', `Table ${name}${by(name)} is missing`, reapply(name), { table: name }));
    else out.push(...compareTable(real, table));
  }
  for (const name of actual.tables.keys()) {
    if (!expected.schema.tables.has(name)) {
      out.push(
        finding(
          'SCHEMA_TABLE_UNEXPECTED',
          `Table ${name} is not created by any applied migration`,
          'Drop it if it is a leftover, or add a migration that creates it so that the schema can be reproduced',
          { table: name },
        ),
      );
    }
  }
  const expectedIndexes = namedIndexes(expected.schema);
  const actualIndexes = namedIndexes(actual);
  for (const [name, index] of expectedIndexes) {
    const real = actualIndexes.get(name);
    if (!real) {
      if (actual.tables.has(index.table))
        out.push(
          finding('SCHEMA_INDEX_MISSING', `Index ${name} on ${index.table}${by(name)} is missing`, `Recreate it: ${index.sql ?? `CREATE INDEX ${name}`}`, {
            table: index.table,
            index: name,
          }),
        );
    } else if (indexShape(real) !== indexShape(index)) {
      out.push(
        finding(
          'SCHEMA_INDEX_MISMATCH',
          `Index ${name} is ${indexShape(real)}, but migrations define ${indexShape(index)}`,
          `Drop and recreate it: ${index.sql ?? ''}`,
          { table: index.table, index: name },
        ),
      );
    }
  }
  for (const [name, index] of actualIndexes) {
    if (!expectedIndexes.has(name))
      out.push(
        finding(
          'SCHEMA_INDEX_UNEXPECTED',
          `Index ${name} on ${index.table} is not created by any applied migration`,
          'Add it to a migration if it is needed, otherwise drop it',
          { table: index.table, index: name },
        ),
      );
  }
  compareObjects(out, actual.views, expected.schema.views, 'VIEW', by, reapply);
  compareObjects(out, actual.triggers, expected.schema.triggers, 'TRIGGER', by, reapply);
  return out;
}

function compareTable(real: TableInfo, want: TableInfo): ValidationFinding[] {
  const out: ValidationFinding[] = [];
  const t = want.name;
  for (const col of want.columns) {
    const have = real.columns.find((c) => c.name === col.name);
    if (!have) {
      out.push(
        finding('SCHEMA_COLUMN_MISSING', `Column ${t}.${col.name} is missing`, 'Restore the column with the migration that defines it, or restore a backup', {
          table: t,
          column: col.name,
        }),
      );
      continue;
    }
    const diffs: string[] = [];
    if (have.type.toUpperCase() !== col.type.toUpperCase()) diffs.push(`type ${have.type || '(none)'} instead of ${col.type || '(none)'}`);
    if (have.notNull !== col.notNull) diffs.push(col.notNull ? 'nullable instead of NOT NULL' : 'NOT NULL where migrations allow NULL');
    if (have.defaultValue !== col.defaultValue) diffs.push(`default ${have.defaultValue ?? 'none'} instead of ${col.defaultValue ?? 'none'}`);
    if (have.pk !== col.pk) diffs.push('a different primary key position');
    if (diffs.length > 0) {
      out.push(
        finding(
          'SCHEMA_COLUMN_MISMATCH',
          `Column ${t}.${col.name} has ${diffs.join(', ')}`,
          'Rebuild the table with the definition the migrations give (12-step rebuild)',
          { table: t, column: col.name },
        ),
      );
    }
  }
  for (const col of real.columns) {
    if (!want.columns.some((c) => c.name === col.name)) {
      out.push(
        finding('SCHEMA_COLUMN_UNEXPECTED', `Column ${t}.${col.name} is not defined by any applied migration`, 'Add it through a migration, or drop it', {
          table: t,
          column: col.name,
        }),
      );
    }
  }
  const fk = (x: TableInfo) =>
    x.foreignKeys
      .map((f) => `${f.from.join(',')}->${f.parent}(${f.to.join(',')}) ${f.onDelete}/${f.onUpdate}`)
      .sort()
      .join(';');
  const body = (sql: string) => normaliseSql(sql.slice(sql.indexOf('(')));
  if (fk(real) !== fk(want)) {
    out.push(
      finding(
        'SCHEMA_CONSTRAINT_MISMATCH',
        `Foreign keys of ${t} differ from the migrations: ${fk(real) || 'none'} instead of ${fk(want) || 'none'}`,
        'Rebuild the table with the definition the migrations give',
        { table: t },
      ),
    );
  } else if (out.length === 0 && body(real.sql) !== body(want.sql)) {
    out.push(
      finding(
        'SCHEMA_CONSTRAINT_MISMATCH',
        `The definition of ${t} (its CHECK, UNIQUE or other constraints) differs from the one the migrations produce`,
        'Compare `SELECT sql FROM sqlite_schema` with the migration and rebuild the table',
        { table: t },
      ),
    );
  }
  return out;
}

function namedIndexes(schema: SchemaModel): Map<string, IndexInfo> {
  const out = new Map<string, IndexInfo>();
  for (const table of schema.tables.values()) for (const index of table.indexes) if (index.origin === 'c') out.set(index.name, index);
  return out;
}

function indexShape(index: IndexInfo): string {
  return `${index.unique ? 'UNIQUE ' : ''}on ${index.table}(${index.keys.join(', ')})${index.where ? ` WHERE ${index.where}` : ''}`;
}

function compareObjects(
  out: ValidationFinding[],
  actual: Map<string, { sql: string }>,
  expected: Map<string, { sql: string }>,
  type: 'VIEW' | 'TRIGGER',
  by: (name: string) => string,
  reapply: (name: string) => string,
): void {
  const word = type.toLowerCase();
  for (const [name, want] of expected) {
    const real = actual.get(name);
    if (!real) out.push(finding(`SCHEMA_${type}_MISSING`, `The ${word} ${name}${by(name)} is missing`, reapply(name), { object: name }));
    else if (normaliseSql(real.sql) !== normaliseSql(want.sql)) {
      out.push(
        finding(`SCHEMA_${type}_MISMATCH`, `The ${word} ${name} differs from the one the migrations define`, `Drop it and recreate it as the migration does`, {
          object: name,
        }),
      );
    }
  }
  for (const name of actual.keys()) {
    if (!expected.has(name))
      out.push(
        finding(`SCHEMA_${type}_UNEXPECTED`, `The ${word} ${name} is not created by any applied migration`, `Add it through a migration, or drop it`, {
          object: name,
        }),
      );
  }
}
