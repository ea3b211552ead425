import type { DataTransformationInput } from '@mfmig/transformer';
import type { MigrationContext, MigrationMeta } from '@mfmig/core';
import type { Kysely } from 'kysely';

// PostgreSQL variant. security_users.username is unique case-insensitively through a unique index
// on lower(username) (SQLite: COLLATE NOCASE), so authors are matched on lower() and a name that
// differs from an existing user only in case is skipped by ON CONFLICT DO NOTHING (no target: the
// index on lower(username) is not the arbiter of ON CONFLICT (username)).

export const meta: MigrationMeta = {
  description: 'Initialise enterprise data: KB authors become users with the kb_author role, and the most successful fix of each category becomes an auto-resolution rule',
};

export const transformations: DataTransformationInput[] = [
  {
    id: 'kb_authors_to_users',
    name: 'Create a user for every KB author',
    description: 'One security_users row per distinct kb_entries.created_by; users that already exist are kept',
    sourceTable: 'kb_entries',
    targetTable: 'security_users',
    transformationType: 'merge',
    sql: `INSERT INTO security_users (username, display_name, status, origin, created_at)
          SELECT created_by, created_by, 'active', 'kb_author', min(created_at)
          FROM kb_entries
          WHERE true
          GROUP BY created_by
          ON CONFLICT DO NOTHING`,
    reversible: true,
    reverse: `DELETE FROM security_users WHERE origin = 'kb_author'`,
    dependencies: [],
    validationQueries: [
      {
        sql: `SELECT COUNT(DISTINCT e.created_by) FROM kb_entries e WHERE NOT EXISTS (SELECT 1 FROM security_users u WHERE lower(u.username) = lower(e.created_by))`,
        expect: 'zero',
        message: 'every KB author has a user',
      },
    ],
  },
  {
    id: 'grant_kb_author_role',
    name: 'Grant the kb_author role to KB authors',
    sourceTable: 'security_users',
    targetTable: 'security_user_roles',
    transformationType: 'convert',
    sql: `INSERT INTO security_user_roles (user_id, role_id, granted_by, granted_at)
          SELECT u.id, r.id, 'kb_migration', u.created_at
          FROM security_users u JOIN security_roles r ON r.name = 'kb_author'
          WHERE u.origin = 'kb_author'
          ON CONFLICT DO NOTHING`,
    reversible: true,
    reverse: `DELETE FROM security_user_roles WHERE granted_by = 'kb_migration'`,
    dependencies: ['kb_authors_to_users'],
    validationQueries: [
      {
        sql: `SELECT COUNT(*) FROM security_user_roles WHERE granted_by = 'kb_migration'`,
        expect: { query: `SELECT COUNT(*) FROM security_users WHERE origin = 'kb_author'` },
      },
    ],
  },
  {
    id: 'rules_from_successful_kb_entries',
    name: 'Auto-resolution rules from the best KB fix per category',
    description: 'For each category, the entry used at least 20 times with the best success rate becomes a rule matching that component',
    sourceTable: 'kb_entries',
    targetTable: 'auto_resolution_rules',
    transformationType: 'convert',
    batch: 'never',
    sql: `INSERT INTO auto_resolution_rules (name, description, match_component, kb_entry_id, min_confidence, priority, enabled, origin, created_at)
          SELECT 'kb-best-' || lower(category), 'Suggest the most successful ' || category || ' fix', category, id, 0.8, 100, 1, 'kb_success', updated_at
          FROM (
            SELECT id, category, updated_at,
                   row_number() OVER (PARTITION BY category ORDER BY success_count * 1.0 / usage_count DESC, usage_count DESC, id) AS rank
            FROM kb_entries
            WHERE usage_count >= 20 AND archived = 0
          ) AS ranked
          WHERE rank = 1`,
    reversible: true,
    reverse: `DELETE FROM auto_resolution_rules WHERE origin = 'kb_success'`,
    dependencies: [],
    validationQueries: [
      {
        sql: `SELECT COUNT(*) FROM auto_resolution_rules WHERE origin = 'kb_success'`,
        expect: { query: `SELECT COUNT(DISTINCT category) FROM kb_entries WHERE usage_count >= 20 AND archived = 0` },
      },
    ],
  },
];

/**
 * Records that enterprise security was initialised (the rows come from the transformations).
 * PostgreSQL has no `ctx.raw`: the row goes in through the Kysely instance of the migration.
 */
export async function up(db: Kysely<any>, ctx: MigrationContext): Promise<void> {
  await db
    .insertInto('security_audit_log')
    .values({
      at: new Date().toISOString(),
      action: 'initialise',
      resource: 'security',
      outcome: 'allowed',
      detail: JSON.stringify({ migration: ctx.migration.version, source: 'kb_entries' }),
    })
    .execute();
}

export async function down(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.deleteFrom('security_audit_log').where('action', '=', 'initialise').where('resource', '=', 'security').execute();
}
