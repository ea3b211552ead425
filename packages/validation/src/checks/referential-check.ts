import { quoteIdentifier } from '@mfmig/core';
import { finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';
import { type ForeignKeyInfo, type TableInfo, findTable } from '../schema/schema-model.js';
import { type CheckEnv, type ProbeTask, ridOf } from './check-env.js';

/**
 * Catalog check of every foreign key: its parent table must exist (`FK_PARENT_MISSING`) and
 * the parent columns must be its primary key or carry a UNIQUE index (`FK_PARENT_KEY_INVALID`;
 * SQLite then refuses every write to the child with "foreign key mismatch").
 *
 * @example
 * (await checkForeignKeyDefinitions(env)).map((f) => f.code);
 */
export async function checkForeignKeyDefinitions(env: CheckEnv): Promise<ValidationFinding[]> {
  const out: ValidationFinding[] = [];
  let catalogTables: Set<string> | undefined;
  // a virtual or internal table is no entry of the schema model, yet a parent all the same
  const inCatalog = async (name: string) =>
    (catalogTables ??= new Set((await env.db.introspector.catalog({ type: 'table' })).map((r) => foldCase(r.name)))).has(foldCase(name));
  for (const table of env.schema.tables.values()) {
    for (const fk of table.foreignKeys) {
      const parent = findTable(env.schema, fk.parent);
      const what = `${table.name}(${fk.from.join(', ')}) -> ${fk.parent}`;
      if (!parent) {
        if (await inCatalog(fk.parent)) continue;
        out.push(
          finding(
            'FK_PARENT_MISSING',
            `Foreign key ${what} references table ${fk.parent}, which does not exist`,
            `Restore table ${fk.parent}, or rebuild ${table.name} without this foreign key`,
            { table: table.name, column: fk.from[0] },
          ),
        );
      } else if (!parentKeyValid(parent, fk)) {
        out.push(
          finding(
            'FK_PARENT_KEY_INVALID',
            `Foreign key ${what}(${fk.to.map((c) => c ?? '?').join(', ')}) does not reference a primary key or UNIQUE columns; SQLite rejects every change to ${table.name} ("foreign key mismatch")`,
            `Add a UNIQUE index on ${fk.parent}(${fk.to.join(', ')}), or point the foreign key at the primary key`,
            { table: table.name, column: fk.from[0] },
          ),
        );
      }
    }
  }
  return out;
}

/**
 * One `PRAGMA foreign_key_check(<table>)` per child table whose foreign keys are all well
 * defined (one malformed key makes SQLite refuse the check of the whole table). Violations
 * become one `FK_VIOLATION` per foreign key, with the count and the first rowid.
 *
 * @example
 * foreignKeyProbes(env).map((t) => t.check.target); // ['kb_feedback', 'kb_tags']
 */
export function foreignKeyProbes(env: CheckEnv): { tasks: ProbeTask[]; notCheckable: string[] } {
  const tasks: ProbeTask[] = [];
  const notCheckable: string[] = [];
  for (const table of env.schema.tables.values()) {
    if (table.foreignKeys.length === 0) continue;
    const malformed = table.foreignKeys.some((fk) => {
      const parent = findTable(env.schema, fk.parent);
      return parent !== undefined && !parentKeyValid(parent, fk);
    });
    if (malformed) {
      notCheckable.push(table.name);
      continue;
    }
    tasks.push({
      probe: { id: `fk:${table.name}`, sql: `PRAGMA foreign_key_check(${quoteIdentifier(table.name)})`, keep: 200, weight: 10 },
      check: { id: 'referential.foreign_key_check', kind: 'referential', target: table.name },
      interpret: (result) => interpretViolations(table, result.rows, result.total, env),
    });
  }
  return { tasks, notCheckable };
}

function interpretViolations(table: TableInfo, rows: Record<string, unknown>[], total: number, env: CheckEnv): ValidationFinding[] {
  const byFk = new Map<number, { count: number; rowid?: number }>();
  for (const row of rows) {
    const fkid = Number(row.fkid);
    const entry = byFk.get(fkid) ?? { count: 0, rowid: ridOf({ rid: row.rowid }) };
    entry.count++;
    byFk.set(fkid, entry);
  }
  const out: ValidationFinding[] = [];
  for (const [fkid, entry] of byFk) {
    const fk = table.foreignKeys.find((f) => f.id === fkid);
    if (!fk || !findTable(env.schema, fk.parent)) continue;
    const sampled = total > rows.length ? ` (at least ${entry.count}; ${total} violations in ${table.name} in all)` : '';
    const where = entry.rowid !== undefined ? `, first at rowid ${entry.rowid}` : '';
    out.push(
      finding(
        'FK_VIOLATION',
        `${entry.count} row(s) of ${table.name} reference ${fk.parent} rows that do not exist (${fk.from.join(', ')} -> ${fk.parent})${sampled}${where}`,
        `List them with PRAGMA foreign_key_check(${table.name}); delete them, or re-create the missing ${fk.parent} rows`,
        { table: table.name, column: fk.from[0], ...(entry.rowid !== undefined ? { rowid: entry.rowid } : {}) },
        { count: total > rows.length ? total : entry.count },
      ),
    );
  }
  return out;
}

/** A name as SQLite's NOCASE compares it: ASCII letters folded, nothing else. */
function foldCase(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** True when the parent columns of `fk` are the parent's primary key or a UNIQUE index. */
export function parentKeyValid(parent: TableInfo, fk: ForeignKeyInfo): boolean {
  const pk = parent.columns
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
  if (fk.to.every((c) => c === null)) return pk.length === fk.from.length;
  const wanted = new Set(fk.to.map((c) => c!.toLowerCase()));
  const same = (cols: string[]) => cols.length === wanted.size && cols.every((c) => wanted.has(c.toLowerCase()));
  return same(pk) || parent.indexes.some((i) => i.unique && !i.partial && same(i.columns));
}
