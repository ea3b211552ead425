import type { DataTransformationInput } from '@mfmig/transformer';
import type { MigrationContext, MigrationMeta } from '@mfmig/core';

/**
 * PostgreSQL variant of 0005_map_kb_entries_to_incidents.ts: the same transformations, in
 * PostgreSQL (`timestamp` is quoted; the legacy double-quoted `"KB-%"` check is left out: the
 * object query below already requires one KB incident per dated entry).
 */
export const meta: MigrationMeta = {
  description: 'Map every KB entry into the incident structure (KB-<id> tickets) and link each one back to its entry',
};

/**
 * The data moves of MVP2. `kb_to_incident_mapping` is the seed declaration as written, plus a
 * reverse; `link_incidents_to_kb` fills the FK that makes the incident a child of its entry.
 */
export const transformations: DataTransformationInput[] = [
  {
    id: 'kb_to_incident_mapping',
    name: 'Map KB entries to incident structure',
    description: 'Transform existing KB entries to work with incident patterns',
    sourceTable: 'kb_entries',
    targetTable: 'incidents',
    transformationType: 'convert',
    sql: `
    INSERT INTO incidents (ticket_id, "timestamp", title, description, component, severity)
    SELECT
      'KB-' || id AS ticket_id,
      created_at AS "timestamp",
      title,
      problem AS description,
      category AS component,
      'medium' AS severity
    FROM kb_entries
    WHERE created_at IS NOT NULL
  `,
    reversible: true,
    reverse: `DELETE FROM incidents WHERE ticket_id LIKE 'KB-%'`,
    estimatedRows: 100,
    estimatedDuration: 30,
    dependencies: [],
    validationQueries: [
      {
        sql: `SELECT COUNT(*) FROM incidents WHERE ticket_id LIKE 'KB-%'`,
        expect: { query: 'SELECT COUNT(*) FROM kb_entries WHERE created_at IS NOT NULL' },
        message: 'every dated KB entry has exactly one KB incident',
      },
    ],
  },
  {
    id: 'link_incidents_to_kb',
    name: 'Link KB incidents to their KB entry',
    description: 'Set incidents.kb_entry_id from the KB-<id> ticket number',
    sourceTable: 'incidents',
    targetTable: 'incidents',
    transformationType: 'enrich',
    sql: `UPDATE incidents SET kb_entry_id = CAST(substr(ticket_id, 4) AS integer)
          WHERE ticket_id LIKE 'KB-%' AND id > @batchStart AND id <= @batchEnd`,
    reversible: true,
    reverse: `UPDATE incidents SET kb_entry_id = NULL WHERE ticket_id LIKE 'KB-%'`,
    estimatedRows: 100,
    estimatedDuration: 10,
    dependencies: ['kb_to_incident_mapping'],
    validationQueries: [
      {
        sql: `SELECT COUNT(*) FROM incidents i LEFT JOIN kb_entries e ON e.id = i.kb_entry_id WHERE i.ticket_id LIKE 'KB-%' AND e.id IS NULL`,
        expect: 'zero',
        message: 'every KB incident points at an existing KB entry',
      },
    ],
  },
];

/** The tables exist (0003); the rows are moved by the transformations above. */
export async function up(_db: unknown, _ctx: MigrationContext): Promise<void> {}

/** The declared reverses take the KB incidents out; the tables stay (0003 drops them). */
export async function down(_db: unknown, _ctx: MigrationContext): Promise<void> {}
