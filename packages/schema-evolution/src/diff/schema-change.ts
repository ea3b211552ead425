/** What kind of change a diff entry describes. */
export type SchemaChangeKind =
  | 'table-added'
  | 'table-removed'
  | 'table-renamed'
  | 'table-options-changed'
  | 'column-added'
  | 'column-removed'
  | 'column-renamed'
  | 'column-type-changed'
  | 'column-nullability-changed'
  | 'column-default-changed'
  | 'column-generated-changed'
  | 'column-collation-changed'
  | 'primary-key-changed'
  | 'unique-added'
  | 'unique-removed'
  | 'check-added'
  | 'check-removed'
  | 'check-changed'
  | 'foreign-key-added'
  | 'foreign-key-removed'
  | 'foreign-key-action-changed'
  | 'index-added'
  | 'index-removed'
  | 'index-changed'
  | 'view-added'
  | 'view-removed'
  | 'view-changed'
  | 'trigger-added'
  | 'trigger-removed'
  | 'trigger-changed'
  | 'column-identity-changed'
  | 'function-added'
  | 'function-removed'
  | 'function-changed'
  | 'type-added'
  | 'type-removed'
  | 'type-changed';

/** Whether an application written for the old schema keeps working on the new one. */
export type Compatibility = 'compatible' | 'breaking';

/** One change between two schemas, classified. */
export interface SchemaChange {
  kind: SchemaChangeKind;
  /** `table`, `index`, `view` or `trigger`; on PostgreSQL also `function` (a function or procedure, named `name(arguments)`) and `type` (an enum type). */
  objectType: 'table' | 'index' | 'view' | 'trigger' | 'function' | 'type';
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
