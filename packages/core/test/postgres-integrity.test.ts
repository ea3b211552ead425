import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { PostgresIntegrity, type PostgresIntegrityOptions } from '../src/dialect/postgres/postgres-integrity.js';
import type { PgQueryable } from '../src/dialect/postgres/postgres-introspector.js';

afterAll(dropScratchDatabases);

/** Runs `fn` on a fresh database, with the query interface the checks take. */
async function inScratch<T>(fn: (client: pg.Client, db: PgQueryable) => Promise<T>): Promise<T> {
  return withClient(await scratchDatabase(), (client) =>
    fn(client, { query: async (sql: string, params?: readonly unknown[]) => (await client.query(sql, params as any[])).rows }),
  );
}

/** The findings as `code severity object`, sorted, for comparing without message text. */
async function findings(db: PgQueryable, schema = 'public', options?: PostgresIntegrityOptions): Promise<string[]> {
  const found = await new PostgresIntegrity(db, schema, options).run();
  for (const finding of found) expect(finding.message).toMatch(/^[A-Z].*\S$/);
  return found.map(({ code, severity, object }) => `${code} ${severity} ${object}`).sort();
}

/** Inserts rows the foreign keys would refuse, by turning off the triggers that enforce them for this session. */
async function bypassingForeignKeys(client: pg.Client, sql: string): Promise<void> {
  await client.query('SET session_replication_role = replica');
  try {
    await client.query(sql);
  } finally {
    await client.query('SET session_replication_role = DEFAULT');
  }
}

describe('PostgresIntegrity', () => {
  it('finds nothing in a healthy schema, fresh tables included (no TABLE_BLOAT)', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE)');
      await client.query('CREATE TABLE posts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int NOT NULL REFERENCES users)');
      await client.query('CREATE INDEX posts_user_idx ON posts (user_id)');
      await client.query("INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 50) g");
      await client.query('INSERT INTO posts (user_id) SELECT 1 + g % 50 FROM generate_series(1, 200) g');
      await client.query('DELETE FROM posts WHERE id % 2 = 0');
      await client.query('ANALYZE');
      expect(await findings(db)).toEqual([]);
    });
  });

  it('reports an index left invalid by a failed CREATE INDEX CONCURRENTLY', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE users (email text)');
      await client.query("INSERT INTO users VALUES ('a@x'), ('a@x')");
      await expect(client.query('CREATE UNIQUE INDEX CONCURRENTLY app_users_email_idx ON users (email)')).rejects.toThrow();
      expect(await findings(db)).toEqual(['INVALID_INDEX error app_users_email_idx']);
    });
  });

  it('reports NOT VALID foreign keys and CHECKs, and the orphans they let in', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE users (id int PRIMARY KEY)');
      await client.query('CREATE TABLE orders (id int PRIMARY KEY, user_id int, qty int)');
      await client.query('CREATE INDEX orders_user_idx ON orders (user_id)');
      await client.query('INSERT INTO users VALUES (1)');
      await client.query('INSERT INTO orders VALUES (1, 1, 1), (2, 7, -1), (3, NULL, 1)');
      await client.query('ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users NOT VALID');
      await client.query('ALTER TABLE orders ADD CONSTRAINT orders_qty_positive CHECK (qty > 0) NOT VALID');
      expect(await findings(db)).toEqual([
        'CONSTRAINT_NOT_VALIDATED warning orders',
        'CONSTRAINT_NOT_VALIDATED warning orders',
        'FOREIGN_KEY_ORPHANS error orders',
      ]);
      await client.query('DELETE FROM orders WHERE id = 2');
      await client.query('ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk');
      await client.query('ALTER TABLE orders VALIDATE CONSTRAINT orders_qty_positive');
      expect(await findings(db)).toEqual([]);
    });
  });

  it('finds orphans of a validated key, and of multi-column keys as MATCH SIMPLE and MATCH FULL read them', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE parents (a int, b int, PRIMARY KEY (a, b))');
      await client.query('INSERT INTO parents VALUES (1, 1)');
      await client.query('CREATE TABLE simple_ok (a int, b int, FOREIGN KEY (a, b) REFERENCES parents)');
      await client.query('CREATE TABLE simple_bad (a int, b int, FOREIGN KEY (a, b) REFERENCES parents)');
      await client.query('CREATE TABLE full_bad (a int, b int)');
      for (const table of ['simple_ok', 'simple_bad', 'full_bad']) await client.query(`CREATE INDEX ON ${table} (a, b)`);
      await client.query('INSERT INTO simple_ok VALUES (1, 1), (1, NULL), (NULL, 9), (NULL, NULL)');
      await bypassingForeignKeys(client, 'INSERT INTO simple_bad VALUES (1, 1), (2, 2)');
      await client.query('INSERT INTO full_bad VALUES (1, NULL), (NULL, NULL), (1, 1)');
      await client.query('ALTER TABLE full_bad ADD FOREIGN KEY (a, b) REFERENCES parents MATCH FULL NOT VALID');
      expect(await findings(db)).toEqual([
        'CONSTRAINT_NOT_VALIDATED warning full_bad',
        'FOREIGN_KEY_ORPHANS error full_bad',
        'FOREIGN_KEY_ORPHANS error simple_bad',
      ]);
    });
  });

  it('scans a partitioned child and a partitioned parent through all their partitions', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE accounts (id int PRIMARY KEY) PARTITION BY RANGE (id)');
      await client.query('CREATE TABLE accounts_low PARTITION OF accounts FOR VALUES FROM (0) TO (100)');
      await client.query('CREATE TABLE events (id int, account_id int REFERENCES accounts) PARTITION BY RANGE (id)');
      await client.query('CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (0) TO (100)');
      await client.query('CREATE INDEX ON events (account_id)');
      await client.query('INSERT INTO accounts VALUES (5)');
      await client.query('INSERT INTO events VALUES (1, 5)');
      expect(await findings(db)).toEqual([]);
      await bypassingForeignKeys(client, 'INSERT INTO events VALUES (2, 6)');
      expect(await findings(db)).toEqual(['FOREIGN_KEY_ORPHANS error events']);
    });
  });

  it('skips the orphan scan of a table estimated above orphanScanMaxRows', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE users (id int PRIMARY KEY)');
      await client.query('CREATE TABLE big (user_id int REFERENCES users)');
      await client.query('CREATE INDEX big_user_idx ON big (user_id)');
      await bypassingForeignKeys(client, 'INSERT INTO big SELECT g FROM generate_series(1, 50) g');
      await client.query('ANALYZE big');
      expect(await findings(db, 'public', { orphanScanMaxRows: 10 })).toEqual(['ORPHAN_SCAN_SKIPPED info big']);
      expect(await findings(db, 'public', { orphanScanMaxRows: 50 })).toEqual(['FOREIGN_KEY_ORPHANS error big']);
    });
  });

  it('reports serial and identity sequences behind their column, and not once set right', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE serials (id serial PRIMARY KEY)');
      await client.query('CREATE TABLE identities (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)');
      await client.query('CREATE TABLE fine (id serial PRIMARY KEY)');
      await client.query('INSERT INTO serials SELECT generate_series(1, 10)');
      await client.query('INSERT INTO identities VALUES (DEFAULT), (DEFAULT), (3)');
      await client.query('INSERT INTO fine VALUES (DEFAULT), (DEFAULT)');
      expect(await findings(db)).toEqual(['SEQUENCE_BEHIND error identities', 'SEQUENCE_BEHIND error serials']);
      await client.query("SELECT setval(pg_get_serial_sequence('serials', 'id'), 10)");
      await client.query("SELECT setval(pg_get_serial_sequence('identities', 'id'), 3)");
      expect(await findings(db)).toEqual([]);
    });
  });

  it('warns of a foreign key no index starts with', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE TABLE parents (a int, b int, PRIMARY KEY (a, b))');
      await client.query('CREATE TABLE bare (a int, b int, FOREIGN KEY (a, b) REFERENCES parents)');
      await client.query('CREATE TABLE reversed (a int, b int, c int, FOREIGN KEY (a, b) REFERENCES parents)');
      await client.query('CREATE INDEX ON reversed (b, a, c)');
      await client.query('CREATE TABLE partial (a int, b int, FOREIGN KEY (a, b) REFERENCES parents)');
      await client.query('CREATE INDEX ON partial (a, b) WHERE a > 0');
      await client.query('CREATE TABLE second (c int, a int, b int, FOREIGN KEY (a, b) REFERENCES parents)');
      await client.query('CREATE INDEX ON second (c, a, b)');
      await client.query('CREATE TABLE included (a int, b int, FOREIGN KEY (a, b) REFERENCES parents)');
      await client.query('CREATE INDEX ON included (a) INCLUDE (b)');
      expect(await findings(db)).toEqual([
        'FOREIGN_KEY_WITHOUT_INDEX warning bare',
        'FOREIGN_KEY_WITHOUT_INDEX warning included',
        'FOREIGN_KEY_WITHOUT_INDEX warning partial',
        'FOREIGN_KEY_WITHOUT_INDEX warning second',
      ]);
    });
  });

  it('reports dead rows the statistics count, as info above 20% and as a warning above 50%', async () => {
    await inScratch(async (client, db) => {
      // pg_stat_force_next_flush() is PostgreSQL 15's: the test server is 15
      for (const [table, deleted] of [
        ['half_dead', 30_000],
        ['some_dead', 15_000],
        ['few_dead', 5_000],
      ] as const) {
        await client.query(`CREATE TABLE ${table} (id int) WITH (autovacuum_enabled = false)`);
        await client.query(`INSERT INTO ${table} SELECT generate_series(1, 50000)`);
        await client.query(`DELETE FROM ${table} WHERE id <= ${deleted}`);
      }
      await client.query('SELECT pg_stat_force_next_flush()');
      expect(await findings(db)).toEqual(['TABLE_BLOAT info some_dead', 'TABLE_BLOAT warning half_dead']);
    });
  });

  it('leaves out mfmig tables and other schemas', async () => {
    await inScratch(async (client, db) => {
      await client.query('CREATE SCHEMA other');
      for (const prefix of ['mfmig_', 'other.']) {
        await client.query(`CREATE TABLE ${prefix}parent (id int PRIMARY KEY)`);
        await client.query(`CREATE TABLE ${prefix}history (id serial, parent_id int)`);
        await client.query(`INSERT INTO ${prefix}history VALUES (5, 5)`);
        await client.query(`ALTER TABLE ${prefix}history ADD FOREIGN KEY (parent_id) REFERENCES ${prefix}parent NOT VALID`);
      }
      expect(await findings(db)).toEqual([]);
    });
  });

  it('quotes a schema, tables and columns whose names need it', async () => {
    await inScratch(async (client, db) => {
      const schema = `"My ""Odd"" Schema"`;
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`CREATE TABLE ${schema}."Orders" ("Order ""Id""" serial PRIMARY KEY, "it's" text)`);
      await client.query(`CREATE TABLE ${schema}."Order Items" ("Order ""Id""" int, "Qty" int)`);
      await client.query(`INSERT INTO ${schema}."Orders" VALUES (1, 'a'), (2, 'a')`);
      await client.query(`INSERT INTO ${schema}."Order Items" VALUES (1, 1), (3, 0)`);
      await client.query(
        `ALTER TABLE ${schema}."Order Items" ADD CONSTRAINT "Items' Order" FOREIGN KEY ("Order ""Id""") REFERENCES ${schema}."Orders" NOT VALID`,
      );
      await client.query(`ALTER TABLE ${schema}."Order Items" ADD CONSTRAINT "Qty > 0" CHECK ("Qty" > 0) NOT VALID`);
      await expect(client.query(`CREATE UNIQUE INDEX CONCURRENTLY "Orders By ""it's""" ON ${schema}."Orders" ("it's")`)).rejects.toThrow();
      expect(await findings(db, 'My "Odd" Schema')).toEqual([
        'CONSTRAINT_NOT_VALIDATED warning Order Items',
        'CONSTRAINT_NOT_VALIDATED warning Order Items',
        'FOREIGN_KEY_ORPHANS error Order Items',
        'FOREIGN_KEY_WITHOUT_INDEX warning Order Items',
        'INVALID_INDEX error Orders By "it\'s"',
        'SEQUENCE_BEHIND error Orders',
      ]);
      expect(await findings(db)).toEqual([]);
    });
  });
});
