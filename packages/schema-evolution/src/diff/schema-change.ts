import type { SchemaChange as CatalogChange, SchemaChangeKind as CatalogChangeKind } from '@mfmig/core';

/**
 * What kind of change a diff entry describes: every kind core's catalog comparison finds (on
 * PostgreSQL), and those only SQLite's snapshot diff tells apart.
 */
export type SchemaChangeKind = CatalogChangeKind | 'table-renamed' | 'table-options-changed' | 'column-collation-changed' | 'unique-added' | 'unique-removed';

/** Whether an application written for the old schema keeps working on the new one. */
export type Compatibility = 'compatible' | 'breaking';

/** One change between two schemas, classified. */
export interface SchemaChange {
  kind: SchemaChangeKind;
  /** `table`, `index`, `view` or `trigger`; on PostgreSQL also `function` (a function or procedure, named `name(arguments)`) and `type` (an enum type). */
  objectType: CatalogChange['objectType'];
  /** The object the change is on (the table, for column and constraint changes). */
  object: string;
  /** The column, for column changes. */
  column?: string;
  /** A readable one-line description: `column kb_entries.title: TEXT -> VARCHAR(100)`. */
  description: string;
  /** Values before and after, when it helps (types, actions, definitions). */
  from?: unknown;
  to?: unknown;
  compatibility: Compatibility;
  /** Why it is breaking or compatible, in words. */
  reason: string;
}
