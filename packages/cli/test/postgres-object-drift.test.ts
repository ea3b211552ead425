// Objects beside the tables on PostgreSQL (triggers, CHECKs, views, functions, enum types),
// created by migrations written the way an application's own dbmate folder writes them, in a schema
// whose name needs quoting: `diff` names them between versions, and a hotfix made by hand on the
// live schema is named by `diff --to live`, `validate` and `health` alike, which change nothing.
import { afterAll, describe, expect, it } from 'vitest';
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
});
