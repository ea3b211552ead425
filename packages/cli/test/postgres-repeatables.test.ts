// A Flyway folder with repeatable migrations (R__ files), as teams that come from Flyway have
// them, on PostgreSQL through the real CLI: migrate runs them after the versioned ones, status
// and plan list the edited ones, validate counts their views as expected, and a broken one changes nothing
// of what it would replace.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { mfmig, pgRows, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const FOLDER = {
  'V1__accounts.sql': "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);\nINSERT INTO accounts (email) VALUES ('a@x'), ('b@y');",
  'V2__active.sql': 'ALTER TABLE accounts ADD COLUMN active boolean NOT NULL DEFAULT true;',
  'R__account_emails.sql': 'CREATE OR REPLACE VIEW account_emails AS SELECT email FROM accounts WHERE active;',
};

const query = pgRows;
const viewDefinition = (url: string) => query(url, "SELECT pg_get_viewdef('account_emails'::regclass) AS def");

describe('repeatable migrations on PostgreSQL through mfmig', () => {
  it('migrate runs them after the versioned ones, status lists an edited one, validate is clean', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const folder = writeMigrations(dir, FOLDER);
    const before = mfmig(dir, ['--db', url, '--json', 'status']);
    expect(before.json.pendingRepeatables).toEqual([{ name: 'account_emails', applied: false }]);
    const plan = mfmig(dir, ['--db', url, '--json', 'plan', '--no-rehearse']);
    expect([plan.code, plan.json.repeatables]).toEqual([0, [{ name: 'account_emails', applied: false }]]);

    const run = mfmig(dir, ['--db', url, '--json', 'migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.repeatables.map((r: { name: string; status: string }) => [r.name, r.status])).toEqual([['account_emails', 'Success']]);
    expect(await query(url, 'SELECT email FROM account_emails ORDER BY email')).toEqual([{ email: 'a@x' }, { email: 'b@y' }]);
    expect(await query(url, 'SELECT name FROM mfmig_repeatable')).toEqual([{ name: 'account_emails' }]);
    const status = mfmig(dir, ['--db', url, '--json', 'status', '--exit-code']);
    expect([status.code, status.json.pendingRepeatables]).toEqual([0, []]);
    const validate = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect(validate.code, validate.stdout).toBe(0);
    expect([validate.json.errors, validate.json.warnings]).toEqual([[], []]);

    writeFileSync(join(folder, 'R__account_emails.sql'), 'CREATE OR REPLACE VIEW account_emails AS SELECT email FROM accounts;');
    const edited = mfmig(dir, ['--db', url, '--json', 'status', '--exit-code']);
    expect([edited.code, edited.json.pendingRepeatables]).toEqual([1, [{ name: 'account_emails', applied: true }]]);
    const replan = mfmig(dir, ['--db', url, '--json', 'plan']);
    expect([replan.code, replan.json.direction, replan.json.repeatables]).toEqual([0, 'none', [{ name: 'account_emails', applied: true }]]);
    expect(mfmig(dir, ['--db', url, '--json', 'migrate']).code).toBe(0);
    expect((await viewDefinition(url))[0].def).not.toMatch(/active/);
  });

  it('a broken repeatable exits non-zero, names itself, and leaves the view it would replace and the versioned steps as they were', async () => {
    const url = await scratchDatabase();
    const dir = tempDir();
    const folder = writeMigrations(dir, FOLDER);
    expect(mfmig(dir, ['--db', url, '--json', 'migrate']).code).toBe(0);
    const view = await viewDefinition(url);
    const recorded = await query(url, 'SELECT name, checksum FROM mfmig_repeatable');

    writeFileSync(join(folder, 'R__account_emails.sql'), 'DROP VIEW account_emails;\nCREATE VIEW account_emails AS SELECT mail FROM accounts;');
    const run = mfmig(dir, ['--db', url, '--json', 'migrate']);
    expect(run.code).not.toBe(0);
    expect(run.json.error.message).toMatch(/account_emails/);
    expect(await viewDefinition(url)).toEqual(view);
    expect(await query(url, 'SELECT name, checksum FROM mfmig_repeatable')).toEqual(recorded);
    expect(await query(url, 'SELECT count(*)::int AS n FROM mfmig_history')).toEqual([{ n: 2 }]);
  });
});
