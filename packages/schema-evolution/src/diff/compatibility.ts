import type { ColumnSnapshot, IndexSnapshot, TableSnapshot, ViewSnapshot } from '../snapshot/schema-snapshot.js';
import { viewColumns } from '../sql/view-columns.js';
import type { Compatibility, SchemaChange, SchemaChangeKind } from './schema-change.js';

type Verdict = { compatibility: Compatibility; reason: string };

const breaking = (reason: string): Verdict => ({ compatibility: 'breaking', reason });
const compatible = (reason: string): Verdict => ({ compatibility: 'compatible', reason });

function declaredLength(type: string): number {
  const match = /\(\s*(\d+)/.exec(type);
  return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
}

/**
 * Whether changing a column's declared type keeps what the old application stores and reads:
 * same affinity with the same or a larger declared length, INTEGER to REAL/NUMERIC, or no
 * type at all on a non-STRICT table. Everything else narrows the type.
 *
 * @example
 * isTypeWidening('VARCHAR(100)', 'VARCHAR(255)'); // true
 * isTypeWidening('TEXT', 'INTEGER'); // false
 */
export function isTypeWidening(from: string, to: string, strict = false): boolean {
  const a = affinityOf(from);
  const b = affinityOf(to);
  if (a === b) return declaredLength(to) >= declaredLength(from);
  if (a === 'INTEGER' && (b === 'REAL' || b === 'NUMERIC')) return true;
  return to === '' && !strict;
}

function affinityOf(type: string): string {
  const t = type.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t === '' || t.includes('BLOB')) return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/**
 * Classifies a column change.
 *
 * @example
 * classifyColumnChange('column-removed', oldColumn, undefined, table).compatibility; // 'breaking'
 */
export function classifyColumnChange(kind: SchemaChangeKind, from: ColumnSnapshot | undefined, to: ColumnSnapshot | undefined, table: TableSnapshot): Verdict {
  switch (kind) {
    case 'column-added':
      if (to!.notNull && to!.defaultValue === null && !to!.generated && to!.primaryKey === 0) {
        return breaking('NOT NULL column without a default: inserts written for the old schema fail');
      }
      return compatible('new column the old application does not need to know about');
    case 'column-removed':
      return breaking('dropped column: the old application still reads or writes it');
    case 'column-renamed':
      return breaking('renamed column: the old name no longer exists');
    case 'column-type-changed':
      return isTypeWidening(from!.type, to!.type, table.strict)
        ? compatible('widened type')
        : breaking(`narrowed type (${from!.type || 'none'} -> ${to!.type || 'none'})`);
    case 'column-nullability-changed':
      if (!to!.notNull) return compatible('column now accepts NULL');
      return to!.defaultValue === null ? breaking('NOT NULL without a default: inserts that omit the column fail') : compatible('NOT NULL with a default');
    case 'column-default-changed':
      return to!.notNull && to!.defaultValue === null ? breaking('default removed from a NOT NULL column') : compatible('default changed');
    case 'column-generated-changed':
      return to!.generated ? breaking('column became generated: writes to it fail') : compatible('column is no longer generated');
    default:
      return compatible('collation changed: comparisons and sorting of this column may differ');
  }
}

/**
 * Classifies a table-level or object-level change.
 *
 * @example
 * classifyChange('table-removed').compatibility; // 'breaking'
 */
export function classifyChange(kind: SchemaChangeKind, from?: unknown, to?: unknown): Verdict {
  switch (kind) {
    case 'table-added':
      return compatible('new table');
    case 'table-removed':
      return breaking('dropped table');
    case 'table-renamed':
      return breaking('renamed table: the old name no longer exists');
    case 'table-options-changed': {
      const a = from as Pick<TableSnapshot, 'strict' | 'withoutRowid'>;
      const b = to as Pick<TableSnapshot, 'strict' | 'withoutRowid'>;
      if (a.withoutRowid !== b.withoutRowid) return breaking('WITHOUT ROWID changed: rowid access changes');
      return b.strict && !a.strict ? breaking('table became STRICT: values of other types are rejected') : compatible('table is no longer STRICT');
    }
    case 'primary-key-changed':
      return breaking('primary key changed');
    case 'unique-added':
      return breaking('new UNIQUE constraint: writes the old schema accepted can fail');
    case 'check-added':
      return breaking('new CHECK constraint: writes the old schema accepted can fail');
    case 'check-changed':
      return isWiderInList(from as string, to as string)
        ? compatible('CHECK widened: every value allowed before is still allowed')
        : breaking('CHECK constraint changed: writes the old schema accepted can fail');
    case 'foreign-key-added':
      return breaking('new foreign key: writes the old schema accepted can fail');
    case 'foreign-key-action-changed':
      return breaking('changed foreign key action: deletes and updates behave differently');
    case 'unique-removed':
    case 'check-removed':
    case 'foreign-key-removed':
      return compatible('constraint relaxed');
    case 'index-added':
      return (to as IndexSnapshot).unique ? breaking('new UNIQUE index: writes the old schema accepted can fail') : compatible('new index');
    case 'index-removed':
      return compatible('index removed (queries may be slower)');
    case 'index-changed':
      return (to as IndexSnapshot).unique ? breaking('UNIQUE index changed: writes the old schema accepted can fail') : compatible('index changed');
    case 'view-added':
      return compatible('new view');
    case 'view-removed':
      return breaking('dropped view');
    case 'view-changed':
      return classifyViewChange(from as ViewSnapshot, to as ViewSnapshot);
    default:
      return compatible('trigger behaviour changed');
  }
}

function isWiderInList(from: string, to: string): boolean {
  const values = (check: string) => {
    const match = /^[a-z_][a-z0-9_]* in \( (.*) \)$/.exec(check);
    return match ? match[1]!.split(' , ') : undefined;
  };
  const before = values(from);
  const after = values(to);
  return before !== undefined && after !== undefined && before.every((v) => after.includes(v));
}

function classifyViewChange(from: ViewSnapshot, to: ViewSnapshot): Verdict {
  const before = viewColumns(from.definition, from.columns);
  const after = viewColumns(to.definition, to.columns);
  if (before && after) {
    const missing = before.filter((c) => !after.includes(c));
    if (missing.length > 0) return breaking(`view no longer has column(s) ${missing.join(', ')}`);
  }
  return compatible('view definition changed, its columns are kept');
}

/**
 * Adds the verdict to a change.
 *
 * @example
 * classified({ kind: 'table-added', objectType: 'table', object: 't', description: 'table t added' }, classifyChange('table-added'));
 */
export function classified(change: Omit<SchemaChange, 'compatibility' | 'reason'>, verdict: Verdict): SchemaChange {
  return { ...change, ...verdict };
}
