import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { type PgQueryable, PostgresIntrospector } from '../src/dialect/postgres/postgres-introspector.js';

afterAll(dropScratchDatabases);

/** Runs `fn` on a fresh database, with the query interface the introspector takes. */
async function inScratch<T>(fn: (client: pg.Client, db: PgQueryable) => Promise<T>): Promise<T> {
  return withClient(await scratchDatabase(), (client) =>
    fn(client, { query: async (sql: string, params?: readonly unknown[]) => (await client.query(sql, params as any[])).rows }),
  );
}

/** The same objects, created in two different orders. */
const FINGERPRINT_PARTS = [
  `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`,
  `CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL CHECK (name <> ''), feeling mood)`,
  `CREATE TABLE pets (id int PRIMARY KEY, owner_id int REFERENCES people ON DELETE CASCADE, kind text)`,
  `CREATE INDEX pets_owner_idx ON pets (owner_id)`,
  `CREATE VIEW happy_people AS SELECT id, name FROM people WHERE feeling = 'happy'`,
  `CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
  `CREATE TRIGGER pets_touch BEFORE UPDATE ON pets FOR EACH ROW EXECUTE FUNCTION touch()`,
];
const REORDERED = [0, 5, 1, 4, 2, 6, 3].map((i) => FINGERPRINT_PARTS[i] as string);

async function fingerprintOf(statements: string[]): Promise<string> {
  return inScratch(async (client, db) => {
    for (const sql of statements) await client.query(sql);
    return new PostgresIntrospector(db, 'public').schemaFingerprint();
  });
}

describe('PostgresIntrospector', () => {
  it('reads columns with their types, defaults and nullability, in column order', async () => {
    await inScratch(async (client, db) => {
      await client.query(`CREATE TABLE users (id serial PRIMARY KEY, email varchar(200) NOT NULL, name text DEFAULT 'anon',
        created_at timestamptz NOT NULL DEFAULT now(), score numeric(10, 2), dropped int, tags text[])`);
      await client.query('ALTER TABLE users DROP COLUMN dropped');
      const users = await new PostgresIntrospector(db, 'public').table('users');
      expect(users?.columns).toEqual([
        { name: 'id', type: 'integer', nullable: false, defaultSql: "nextval('users_id_seq'::regclass)" },
        { name: 'email', type: 'character varying(200)', nullable: false, defaultSql: null },
        { name: 'name', type: 'text', nullable: true, defaultSql: "'anon'::text" },
        { name: 'created_at', type: 'timestamp with time zone', nullable: false, defaultSql: 'now()' },
        { name: 'score', type: 'numeric(10,2)', nullable: true, defaultSql: null },
        { name: 'tags', type: 'text[]', nullable: true, defaultSql: null },
      ]);
      expect(users?.primaryKey).toEqual(['id']);
    });
  });

  it('reads a composite primary key in key order, and unique, expression and INCLUDE indexes', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE memberships (user_id int NOT NULL, group_id int NOT NULL, email text, role text, PRIMARY KEY (group_id, user_id))');
      await client.query('CREATE UNIQUE INDEX memberships_email_idx ON memberships (lower(email))');
      await client.query('CREATE INDEX memberships_role_idx ON memberships (role, email) INCLUDE (user_id)');
      const table = await new PostgresIntrospector(db, 'public').table('memberships');
      expect(table?.primaryKey).toEqual(['group_id', 'user_id']);
      expect(table?.indexes.map(({ name, table, columns, unique, valid }) => ({ name, table, columns, unique, valid }))).toEqual([
        { name: 'memberships_email_idx', table: 'memberships', columns: ['lower(email)'], unique: true, valid: true },
        { name: 'memberships_pkey', table: 'memberships', columns: ['group_id', 'user_id'], unique: true, valid: true },
        { name: 'memberships_role_idx', table: 'memberships', columns: ['role', 'email'], unique: false, valid: true },
      ]);
      expect(table?.indexes[0]?.definition).toBe('CREATE UNIQUE INDEX memberships_email_idx ON memberships USING btree (lower(email))');
    });
  });

  it('reads foreign keys: column order, other schemas, ON DELETE actions and NOT VALID', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE SCHEMA billing');
      await client.query('CREATE TABLE billing.accounts (id int PRIMARY KEY)');
      await client.query('CREATE TABLE groups (a int, b int, PRIMARY KEY (a, b))');
      await client.query('CREATE TABLE users (id int PRIMARY KEY)');
      await client.query('INSERT INTO users VALUES (1)');
      await client.query('CREATE TABLE orders (id int, account_id int, user_id int DEFAULT 1, owner_id int, ga int, gb int, legacy_id int)');
      await client.query('INSERT INTO orders (id, legacy_id) VALUES (1, 99)');
      await client.query(`ALTER TABLE orders
        ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES billing.accounts ON DELETE CASCADE,
        ADD CONSTRAINT orders_group_fk FOREIGN KEY (gb, ga) REFERENCES groups (b, a) ON DELETE RESTRICT,
        ADD CONSTRAINT orders_owner_fk FOREIGN KEY (owner_id) REFERENCES users ON DELETE SET NULL,
        ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users ON DELETE SET DEFAULT`);
      await client.query('ALTER TABLE orders ADD CONSTRAINT orders_legacy_fk FOREIGN KEY (legacy_id) REFERENCES users NOT VALID');
      const orders = await new PostgresIntrospector(db, 'public').table('orders');
      const fk = (name: string, columns: string[], referencedTable: string, referencedColumns: string[], onDelete: string, validated = true) => ({
        name,
        table: 'orders',
        columns,
        referencedTable,
        referencedColumns,
        onDelete,
        validated,
      });
      expect(orders?.foreignKeys).toEqual([
        fk('orders_account_fk', ['account_id'], 'billing.accounts', ['id'], 'CASCADE'),
        fk('orders_group_fk', ['gb', 'ga'], 'groups', ['b', 'a'], 'RESTRICT'),
        fk('orders_legacy_fk', ['legacy_id'], 'users', ['id'], 'NO ACTION', false),
        fk('orders_owner_fk', ['owner_id'], 'users', ['id'], 'SET NULL'),
        fk('orders_user_fk', ['user_id'], 'users', ['id'], 'SET DEFAULT'),
      ]);
      expect(orders?.primaryKey).toEqual([]);
    });
  });

  it('marks an index left by a failed CREATE INDEX CONCURRENTLY as invalid', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE users (email text)');
      await client.query("INSERT INTO users VALUES ('a@x'), ('a@x')");
      await expect(client.query('CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email)')).rejects.toThrow(/could not create unique index/);
      const users = await new PostgresIntrospector(db, 'public').table('users');
      expect(users?.indexes.map(({ name, valid, unique }) => ({ name, valid, unique }))).toEqual([{ name: 'users_email_idx', valid: false, unique: true }]);
    });
  });

  it('lists tables and partitioned tables of the schema only: no views, sequences, mfmig tables or other schemas', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE b_items (id int)');
      await client.query('CREATE TABLE a_events (at date NOT NULL) PARTITION BY RANGE (at)');
      await client.query("CREATE TABLE a_events_2024 PARTITION OF a_events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
      await client.query('CREATE VIEW c_view AS SELECT 1 AS one');
      await client.query('CREATE MATERIALIZED VIEW d_mview AS SELECT 1 AS one');
      await client.query('CREATE SEQUENCE e_seq');
      await client.query('CREATE TABLE mfmig_history (id int PRIMARY KEY)');
      await client.query('CREATE TABLE mfmigration (id int)');
      await client.query('CREATE SCHEMA other');
      await client.query('CREATE TABLE other.f_table (id int)');
      const introspector = new PostgresIntrospector(db, 'public');
      expect((await introspector.tables()).map((table) => table.name)).toEqual(['a_events', 'a_events_2024', 'b_items', 'mfmigration']);
      expect(await introspector.table('mfmig_history')).toBeUndefined();
      expect(await introspector.table('c_view')).toBeUndefined();
      expect(await introspector.table('f_table')).toBeUndefined();
      expect(await introspector.table('nothing')).toBeUndefined();
      expect((await new PostgresIntrospector(db, 'other').tables()).map((table) => table.name)).toEqual(['f_table']);
    });
  });

  it('reads a schema, tables and columns whose names need quoting', async () => {
    await inScratch(async (client, db) => {
      await client.query(`CREATE SCHEMA "My ""Odd"" Schema"`);
      await client.query(`CREATE TABLE "My ""Odd"" Schema"."Orders" ("Id" int PRIMARY KEY)`);
      await client.query(`CREATE TABLE "My ""Odd"" Schema"."Order Items" ("Order Id" int REFERENCES "My ""Odd"" Schema"."Orders" ON DELETE CASCADE,
        "Item ""Qty""" int NOT NULL DEFAULT 1, "it's" text, PRIMARY KEY ("Order Id", "Item ""Qty"""))`);
      await client.query(`CREATE INDEX "Items By Name" ON "My ""Odd"" Schema"."Order Items" (upper("it's"))`);
      const introspector = new PostgresIntrospector(db, 'My "Odd" Schema');
      const items = await introspector.table('Order Items');
      expect(items?.columns.map((column) => column.name)).toEqual(['Order Id', 'Item "Qty"', "it's"]);
      expect(items?.primaryKey).toEqual(['Order Id', 'Item "Qty"']);
      expect(items?.foreignKeys.map((fk) => [fk.columns, fk.referencedTable, fk.referencedColumns, fk.onDelete])).toEqual([
        [['Order Id'], 'Orders', ['Id'], 'CASCADE'],
      ]);
      expect(items?.indexes.find((index) => index.name === 'Items By Name')?.columns).toEqual([`upper("it's")`]);
      expect((await introspector.tables()).map((table) => table.name)).toEqual(['Order Items', 'Orders']);
      expect(await introspector.schemaFingerprint()).toMatch(/^2:[0-9a-f]{16}$/);
      await client.query(`CREATE TABLE refs (order_id int REFERENCES "My ""Odd"" Schema"."Orders")`);
      const [refs] = await new PostgresIntrospector(db, 'public').tables();
      expect(refs?.foreignKeys[0]?.referencedTable).toBe('"My ""Odd"" Schema"."Orders"');
    });
  });

  it('fingerprints a schema and its copy under another name equally (baseline compares a rehearsal with the live schema)', async () => {
    await inScratch(async (client, db) => {
      const parts = [
        'CREATE TABLE t (id int PRIMARY KEY, name text)',
        'CREATE INDEX t_name ON t (lower(name))',
        'CREATE TABLE p (id int) PARTITION BY RANGE (id)',
        'CREATE INDEX p_id ON p (id)',
      ];
      await client.query('CREATE SCHEMA "Other ""One"""');
      for (const sql of parts) await client.query(sql);
      await client.query('SET search_path TO "Other ""One"""');
      for (const sql of parts) await client.query(sql);
      await client.query('SET search_path TO public');
      const other = new PostgresIntrospector(db, 'Other "One"');
      expect((await other.table('t'))?.indexes.map((i) => i.definition)).toContain('CREATE INDEX t_name ON t USING btree (lower(name))');
      expect(await other.schemaFingerprint()).toBe(await new PostgresIntrospector(db, 'public').schemaFingerprint());
    });
  });

  it('fingerprints equal schemas equally, whatever the order they were created in', async () => {
    const first = await fingerprintOf(FINGERPRINT_PARTS);
    expect(first).toMatch(/^2:[0-9a-f]{16}$/);
    expect(await fingerprintOf(REORDERED)).toBe(first);
    expect(await fingerprintOf([...FINGERPRINT_PARTS, 'CREATE TABLE mfmig_history (id int)'])).toBe(first);
  });

  it('fingerprints a changed schema differently', async () => {
    const base = await fingerprintOf(FINGERPRINT_PARTS);
    const changes = [
      'ALTER TABLE pets ADD COLUMN age int',
      "ALTER TYPE mood ADD VALUE 'thrilled'",
      `CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.kind := 'x'; RETURN NEW; END $$`,
      'DROP TRIGGER pets_touch ON pets',
      'CREATE OR REPLACE VIEW happy_people AS SELECT id, name FROM people',
      'ALTER TABLE people ADD CONSTRAINT people_id_positive CHECK (id > 0)',
      'ALTER TABLE pets ALTER COLUMN kind SET DEFAULT 0',
      'CREATE TABLE log (id int GENERATED ALWAYS AS IDENTITY)',
    ];
    const fingerprints = new Set([base]);
    for (const change of changes) fingerprints.add(await fingerprintOf([...FINGERPRINT_PARTS, change]));
    expect(fingerprints.size).toBe(changes.length + 1);
  });
});
