import { withClient } from '@mfmig/test-support';

/**
 * Everything a PostgreSQL command could change in a database, for "nothing was touched" checks:
 * the relations, columns, constraints and indexes (with their validity) of every user schema,
 * and every row of every table in them, in a stable order.
 */
export async function pgFingerprint(url: string): Promise<unknown> {
  return withClient(url, async (c) => {
    const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`;
    const relations = await c.query(
      `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${userSchemas} ORDER BY 1, 2`,
    );
    const columns = await c.query(
      `SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3`,
    );
    const constraints = await c.query(
      `SELECT conrelid::regclass::text AS rel, conname, convalidated, pg_get_constraintdef(k.oid) AS def FROM pg_constraint k
        JOIN pg_namespace n ON n.oid = k.connamespace WHERE ${userSchemas} ORDER BY 1, 2`,
    );
    const indexes = await c.query(
      `SELECT i.indexrelid::regclass::text AS name, i.indisvalid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${userSchemas} ORDER BY 1`,
    );
    const tables = await c.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND ${userSchemas} ORDER BY 1`,
    );
    const rows: Record<string, unknown> = {};
    for (const { name } of tables.rows) {
      const data = await c.query(`SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') AS rows FROM ${name} t`);
      rows[name] = data.rows[0]?.rows;
    }
    return { relations: relations.rows, columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows, rows };
  });
}
