// Objects beside the tables on PostgreSQL (triggers, CHECKs, views, functions, enum types, domains,
// sequences, partitions, materialized views' indexes), created by migrations written the way an
// application's own dbmate folder writes them, in a schema whose name needs quoting: `diff` names
// them between versions, and a hotfix made by hand on the live schema is named by `diff --to live`,
// `validate` and `health` alike, and seen by `status`, none of which changes anything. A history
// written before sequences and domains counted keeps comparing with what it recorded.
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres } from '@mfmig/core';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const SCHEMA = 'Help Desk';
const [V1, V2] = ['20240101000000', '20240102000000'];

const FILES = {
  'mvp1/20240101000000_tickets.sql': sqlMigration(
    `CREATE TYPE ticket_state AS ENUM ('open', 'closed');
CREATE TABLE tickets (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title text NOT NULL,
  state ticket_state NOT NULL DEFAULT 'open',
  priority integer NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  updated_at timestamptz
);`,
    'DROP TABLE tickets;\nDROP TYPE ticket_state;',
  ),
  'mvp1/20240102000000_ticket_upkeep.sql': sqlMigration(
    `CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
CREATE TRIGGER tickets_updated BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE VIEW open_tickets AS SELECT id, title FROM tickets WHERE state = 'open';`,
    'DROP VIEW open_tickets;\nDROP TRIGGER tickets_updated ON tickets;\nDROP FUNCTION set_updated_at();',
  ),
};

const [B1, B2] = ['20240301000000', '20240302000000'];

// a billing schema: domains, a composite type, a sequence of its own, and a materialized view
// with the unique index REFRESH ... CONCURRENTLY needs
const BILLING = {
  'mvp1/20240301000000_lines.sql': sqlMigration(
    `CREATE DOMAIN qty AS integer NOT NULL CHECK (VALUE > 0);
CREATE TYPE money_pair AS (amount numeric(12,2), currency char(3));
CREATE SEQUENCE invoice_no START 1000;
CREATE TABLE lines (id serial PRIMARY KEY, n qty, c text, price money_pair, invoice bigint NOT NULL DEFAULT nextval('invoice_no'));
CREATE TABLE ledger (id bigint NOT NULL, booked date NOT NULL) PARTITION BY RANGE (booked);
CREATE TABLE ledger_2024 PARTITION OF ledger FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');`,
    'DROP TABLE ledger;\nDROP TABLE lines;\nDROP SEQUENCE invoice_no;\nDROP TYPE money_pair;\nDROP DOMAIN qty;',
  ),
  'mvp1/20240302000000_line_totals.sql': sqlMigration(
    `CREATE MATERIALIZED VIEW line_totals AS SELECT c, sum(n) AS total FROM lines GROUP BY c;
CREATE UNIQUE INDEX line_totals_c ON line_totals (c);`,
    'DROP MATERIALIZED VIEW line_totals;',
  ),
};

/** The codes of the drift problems `status --json` lists. */
const driftProblems = (result: { json: { problems: { code: string }[] } }) => result.json.problems.map((p) => p.code).filter((c) => c === 'SCHEMA_DRIFT');

/** The billing schema's domains, sequences' settings and values, indexes and rows. */
const everythingBilling = (url: string) =>
  withClient(url, async (c) => {
    const q = async (sql: string) => (await c.query(sql, [SCHEMA])).rows;
    return {
      relations: await q(`SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY 1`),
      constraints: await q(
        `SELECT pg_get_constraintdef(k.oid) AS d FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = $1 ORDER BY 1`,
      ),
      sequences: await q(`SELECT sequencename, max_value, last_value FROM pg_sequences WHERE schemaname = $1 ORDER BY 1`),
      partitions: await q(
        `SELECT c.relname, c.relispartition, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`,
      ),
      schemas: (await c.query(`SELECT nspname FROM pg_namespace ORDER BY 1`)).rows,
      lines: (await c.query(`SELECT * FROM "Help Desk".lines ORDER BY id`)).rows,
    };
  });

interface Change {
  kind: string;
  object: string;
  compatibility: string;
}

const summary = (changes: Change[]) => changes.map((c) => [c.kind, c.object, c.compatibility]);

/** Every object of the schema, with its definition, and the rows: what a read-only command must leave as it was. */
const everything = (url: string) =>
  withClient(url, async (c) => {
    const q = async (sql: string) => (await c.query(sql, [SCHEMA])).rows;
    return {
      relations: await q(`SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY 1`),
      schemas: (await c.query(`SELECT nspname FROM pg_namespace ORDER BY 1`)).rows,
      triggers: await q(
        `SELECT pg_get_triggerdef(t.oid) AS d FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND NOT t.tgisinternal ORDER BY 1`,
      ),
      constraints: await q(
        `SELECT pg_get_constraintdef(k.oid) AS d FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = $1 ORDER BY 1`,
      ),
      routines: await q(`SELECT pg_get_functiondef(p.oid) AS d FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 ORDER BY 1`),
      labels: await q(
        `SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 ORDER BY 1`,
      ),
      tickets: (await c.query(`SELECT * FROM "Help Desk".tickets ORDER BY id`)).rows,
    };
  });

describe('objects beside the tables on PostgreSQL', () => {
  it('are named by diff between versions, and a hotfix made by hand by diff --to live, validate and health, none of which writes anything', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, FILES);
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    await withClient(url, (c) => c.query(`INSERT INTO "Help Desk".tickets (title, priority) VALUES ('printer on fire', 5), ('coffee', 1)`));

    const grew = cli('diff', '--from', V1, '--to', V2);
    expect(grew.code, grew.stderr).toBe(0);
    expect([grew.json.views.added, grew.json.triggers.added, grew.json.functions.added]).toEqual([
      ['open_tickets'],
      ['tickets_updated on tickets'],
      ['set_updated_at()'],
    ]);
    const clean = cli('diff', '--from', V2, '--to', 'live');
    expect([clean.code, clean.json.identical, clean.json.changes]).toEqual([0, true, []]);
    expect(cli('validate').json.drift).toMatchObject({ hasDrift: false });

    // the hotfix a DBA makes at 3 a.m.: the trigger goes, the CHECK goes, the enum grows, the view widens
    await withClient(url, (c) =>
      c.query(`SET search_path TO "Help Desk";
        DROP TRIGGER tickets_updated ON tickets;
        ALTER TABLE tickets DROP CONSTRAINT tickets_priority_check;
        ALTER TYPE ticket_state ADD VALUE 'held';
        CREATE OR REPLACE VIEW open_tickets AS SELECT id, title, priority FROM tickets WHERE state = 'open';`),
    );
    const before = await everything(url);
    const expected = [
      ['check-removed', 'tickets', 'compatible'],
      ['view-changed', 'open_tickets', 'compatible'],
      ['trigger-removed', 'tickets_updated on tickets', 'compatible'],
      ['type-changed', 'ticket_state', 'compatible'],
    ];

    const live = cli('diff', '--from', V2, '--to', 'live');
    expect(live.code, live.stderr).toBe(0);
    expect([live.json.identical, summary(live.json.changes)]).toEqual([false, expected]);

    const validated = cli('validate');
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.json.drift.hasDrift).toBe(true);
    expect(summary(validated.json.drift.changes)).toEqual(expected);

    const health = cli('health');
    expect([health.code, health.json.checks.drift.status, health.json.checks.drift.changes]).toEqual([0, 'warning', 4]);

    expect(await everything(url)).toEqual(before);
    // the hotfix is undone by hand: nothing drifts any more
    await withClient(url, (c) =>
      c.query(`SET search_path TO "Help Desk";
        CREATE TRIGGER tickets_updated BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION set_updated_at();
        ALTER TABLE tickets ADD CONSTRAINT tickets_priority_check CHECK (priority BETWEEN 1 AND 5);
        DROP VIEW open_tickets;
        CREATE VIEW open_tickets AS SELECT id, title FROM tickets WHERE state = 'open';`),
    );
    expect(summary(cli('diff', '--from', V2, '--to', 'live').json.changes)).toEqual([['type-changed', 'ticket_state', 'compatible']]);
  });

  it("names a domain, a sequence, a partition and a materialized view's index changed by hand, in status, diff, validate and health alike", async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, BILLING);
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    await withClient(url, (c) =>
      c.query(`SET search_path TO "Help Desk"; INSERT INTO lines (n, c) VALUES (2, 'a'), (5, 'b'); REFRESH MATERIALIZED VIEW line_totals;`),
    );
    expect(driftProblems(cli('status'))).toEqual([]);
    expect(cli('validate').json.drift).toMatchObject({ hasDrift: false });

    await withClient(url, (c) =>
      c.query(`SET search_path TO "Help Desk";
        ALTER DOMAIN qty ADD CONSTRAINT qty_small CHECK (VALUE < 100);
        ALTER SEQUENCE invoice_no MAXVALUE 5000;
        DROP INDEX line_totals_c;
        ALTER TABLE ledger DETACH PARTITION ledger_2024;`),
    );
    const before = await everythingBilling(url);
    const expected = [
      ['partitioning-changed', 'ledger_2024', 'breaking'],
      ['index-removed', 'line_totals_c', 'breaking'],
      ['type-changed', 'qty', 'breaking'],
      ['sequence-changed', 'invoice_no', 'breaking'],
    ];
    expect(driftProblems(cli('status'))).toEqual(['SCHEMA_DRIFT']);
    const live = cli('diff', '--from', B2, '--to', 'live');
    expect([live.code, live.json.identical, summary(live.json.changes)]).toEqual([0, false, expected]);
    expect([live.json.sequences.changed, live.json.types.changed, live.json.indexes.removed]).toEqual([['invoice_no'], ['qty'], ['line_totals_c']]);
    const validated = cli('validate');
    expect([validated.code, validated.json.drift.hasDrift, summary(validated.json.drift.changes)]).toEqual([0, true, expected]);
    const health = cli('health');
    expect([health.code, health.json.checks.drift.status, health.json.checks.drift.changes]).toEqual([0, 'warning', 4]);
    expect(await everythingBilling(url)).toEqual(before);
  });

  it('compares a history written before domains and sequences counted with what it recorded: no false drift, and the next migrate records the new form', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, BILLING);
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', ...args]);
    expect(cli('migrate', '--to', B1).code).toBe(0);
    // what an earlier mfmig recorded: the first form of the fingerprint, which counts neither
    const conn = await openPostgres(url, { schema: SCHEMA });
    try {
      const old = await conn.introspector.schemaFingerprint([], 1);
      expect(old).toMatch(/^[0-9a-f]{16}$/);
      await withClient(url, (c) => c.query(`UPDATE "Help Desk".mfmig_history SET schema_hash = $1`, [old]));
    } finally {
      await conn.close();
    }
    expect(driftProblems(cli('status'))).toEqual([]);
    expect(cli('validate').json.drift).toMatchObject({ hasDrift: false });

    // what the first form sees (a table's CHECK) is still drift
    await withClient(url, (c) => c.query(`ALTER TABLE "Help Desk".lines ADD CONSTRAINT lines_n_small CHECK (n < 50)`));
    expect(driftProblems(cli('status'))).toEqual(['SCHEMA_DRIFT']);
    expect(summary(cli('validate').json.drift.changes)).toEqual([['check-added', 'lines', 'breaking']]);
    await withClient(url, (c) => c.query(`ALTER TABLE "Help Desk".lines DROP CONSTRAINT lines_n_small`));

    expect(cli('migrate').code).toBe(0);
    const rows = await withClient(url, async (c) => (await c.query(`SELECT version, schema_hash FROM "Help Desk".mfmig_history ORDER BY version`)).rows);
    expect(rows.at(-1)!.schema_hash).toMatch(/^2:[0-9a-f]{16}$/);
    expect(driftProblems(cli('status'))).toEqual([]);
  });

  it('says what the comparison leaves out when drift names nothing: an extension installed into the schema by hand', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    writeMigrations(dir, FILES);
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', ...args]);
    expect(cli('migrate').code).toBe(0);
    await withClient(url, (c) => c.query(`CREATE EXTENSION hstore SCHEMA "Help Desk"`));
    const before = await everything(url);
    expect(driftProblems(cli('status'))).toEqual(['SCHEMA_DRIFT']);
    const validated = cli('validate');
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.json.drift).toMatchObject({ hasDrift: true, changes: [], extensions: [{ name: 'hstore' }] });
    expect(await everything(url)).toEqual(before);
  });
});
