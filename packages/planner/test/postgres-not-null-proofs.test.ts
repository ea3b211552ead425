// The safe way to add NOT NULL to a big PostgreSQL table, as the planner itself advises it: a CHECK
// (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later migration, then SET NOT NULL, which
// PostgreSQL 12+ runs without a scan. The plan must not flag that last step as a full scan; it
// still takes a short ACCESS EXCLUSIVE lock.
import { afterAll, describe, expect, it } from 'vitest';
import { analyzePostgresSql, loadMigrations, openPostgres } from '@mfmig/core';
import { type PgNotNullState, type PgPlanInfo, planPostgresMigration, planPostgresMigrations } from '@mfmig/planner';
import { dropScratchDatabases, postgresContents, scratchDatabase, tempTree } from '@mfmig/test-support';

afterAll(dropScratchDatabases);

const BIG = { tableRows: new Map([['big', 2_000_000]]) };

/** The rule ids of each script's plan, the scripts planned one after another as the steps of one plan. */
async function chained(scripts: string[], info: Partial<PgPlanInfo> = {}): Promise<string[][]> {
  let notNull: PgNotNullState | null | undefined = info.notNull;
  const out: string[][] = [];
  for (const sql of scripts) {
    const step = planPostgresMigration(await analyzePostgresSql(sql), { transactional: true, ...BIG, ...info, ...(notNull === undefined ? {} : { notNull }) });
    notNull = step.notNull;
    out.push(step.findings.map((f) => `${f.rule}:${f.severity}`));
  }
  return out;
}

describe('SET NOT NULL after a validated CHECK (col IS NOT NULL)', () => {
  it('is a short ACCESS EXCLUSIVE lock, not a scan, when earlier steps added the CHECK NOT VALID and validated it', async () => {
    expect(
      await chained([
        'ALTER TABLE big ADD CONSTRAINT big_v_nn CHECK (v IS NOT NULL) NOT VALID',
        'ALTER TABLE big VALIDATE CONSTRAINT big_v_nn',
        'ALTER TABLE big ALTER COLUMN v SET NOT NULL',
      ]),
    ).toEqual([['pg-access-exclusive:medium'], [], ['pg-access-exclusive:medium']]);
  });

  it('is still a scan when the CHECK was never validated, proves another column, or proves something weaker', async () => {
    const last = async (scripts: string[]) => (await chained(scripts)).at(-1);
    const scan = ['pg-set-not-null-scan:high'];
    expect(await last(['ALTER TABLE big ADD CONSTRAINT big_v_nn CHECK (v IS NOT NULL) NOT VALID', 'ALTER TABLE big ALTER COLUMN v SET NOT NULL'])).toEqual(
      scan,
    );
    expect(await last(['ALTER TABLE big ADD CONSTRAINT big_w_nn CHECK (w IS NOT NULL)', 'ALTER TABLE big ALTER COLUMN v SET NOT NULL'])).toEqual(scan);
    expect(await last(['ALTER TABLE big ADD CONSTRAINT big_v_pos CHECK (v > 0 OR v IS NOT NULL)', 'ALTER TABLE big ALTER COLUMN v SET NOT NULL'])).toEqual(
      scan,
    );
    // a constraint of the same name on another table validates nothing here
    expect(
      await last([
        'ALTER TABLE big ADD CONSTRAINT nn CHECK (v IS NOT NULL) NOT VALID',
        'ALTER TABLE other VALIDATE CONSTRAINT nn',
        'ALTER TABLE big ALTER COLUMN v SET NOT NULL',
      ]),
    ).toEqual(scan);
  });

  it('is a scan again once the proof is gone: the CHECK dropped, the column dropped and added back, the table renamed', async () => {
    const last = async (scripts: string[]) => (await chained(scripts)).at(-1);
    const scan = ['pg-set-not-null-scan:high'];
    const check = 'ALTER TABLE big ADD CONSTRAINT big_v_nn CHECK (v IS NOT NULL)';
    const setNotNull = 'ALTER TABLE big ALTER COLUMN v SET NOT NULL';
    expect(await last([check, 'ALTER TABLE big DROP CONSTRAINT big_v_nn', setNotNull])).toEqual(scan);
    expect(await last([check, 'ALTER TABLE big DROP COLUMN v', 'ALTER TABLE big ADD COLUMN v integer', setNotNull])).toEqual(scan);
    expect(await last([check, 'ALTER TABLE big RENAME TO old_big', 'ALTER TABLE new_big RENAME TO big', setNotNull])).toEqual(scan);
    // a second proof keeps it proven when one goes; DROP NOT NULL takes only the column's own
    expect(await last([check, 'ALTER TABLE big ADD CHECK (v IS NOT NULL)', 'ALTER TABLE big DROP CONSTRAINT big_v_nn', setNotNull])).toEqual([
      'pg-access-exclusive:medium',
    ]);
    expect(await last([check, setNotNull, 'ALTER TABLE big ALTER COLUMN v DROP NOT NULL', setNotNull])).toEqual(['pg-access-exclusive:medium']);
    expect(await last([setNotNull, 'ALTER TABLE big ALTER COLUMN v DROP NOT NULL', setNotNull])).toEqual(scan);
  });

  it('follows a renamed NOT VALID check to its VALIDATE, names in the plan schema, and never skips the scan before PostgreSQL 12', async () => {
    const last = async (scripts: string[], info: Partial<PgPlanInfo> = {}) => (await chained(scripts, info)).at(-1);
    expect(
      await last([
        'ALTER TABLE big ADD CONSTRAINT c CHECK (v IS NOT NULL) NOT VALID',
        'ALTER TABLE big RENAME CONSTRAINT c TO d',
        'ALTER TABLE big VALIDATE CONSTRAINT d',
        'ALTER TABLE big ALTER COLUMN v SET NOT NULL',
      ]),
    ).toEqual(['pg-access-exclusive:medium']);
    const inApp = {
      schema: 'app',
      tableRows: new Map([
        ['big', 2_000_000],
        ['app.big', 2_000_000],
        ['public.big', 2_000_000],
      ]),
    };
    expect(await last(['ALTER TABLE app.big ADD CHECK (v IS NOT NULL)', 'ALTER TABLE big ALTER COLUMN v SET NOT NULL'], inApp)).toEqual([
      'pg-access-exclusive:medium',
    ]);
    expect(await last(['ALTER TABLE public.big ADD CHECK (v IS NOT NULL)', 'ALTER TABLE big ALTER COLUMN v SET NOT NULL'], inApp)).toEqual([
      'pg-set-not-null-scan:high',
    ]);
    expect(await last(['ALTER TABLE big ADD CHECK (v IS NOT NULL)', 'ALTER TABLE big ALTER COLUMN v SET NOT NULL'], { notNull: null })).toEqual([
      'pg-set-not-null-scan:high',
    ]);
  });

  it('reads a validated CHECK earlier in the same script, quoted names, and schema-qualified tables', async () => {
    const [findings] = await chained([
      `ALTER TABLE public.big ADD CONSTRAINT "Big nn" CHECK ("Odd col" IS NOT NULL);
       ALTER TABLE big ALTER COLUMN "Odd col" SET NOT NULL;`,
    ]);
    expect(findings).toEqual(['pg-check-validates:high', 'pg-access-exclusive:medium']);
  });
});

describe('the live catalog in the plan', () => {
  it('knows the validated and the NOT VALID checks of the database, and a pending VALIDATE CONSTRAINT', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url);
    try {
      await conn.executeScript(`
        CREATE TABLE accounts (id bigint PRIMARY KEY, email text, "Nick name" text, phone text, code text NOT NULL);
        ALTER TABLE accounts ADD CONSTRAINT accounts_email_nn CHECK (email IS NOT NULL);
        ALTER TABLE accounts ADD CONSTRAINT "accounts nick nn" CHECK ("Nick name" IS NOT NULL);
        ALTER TABLE accounts ADD CONSTRAINT accounts_phone_nn CHECK (phone IS NOT NULL) NOT VALID;
      `);
      const before = await postgresContents(url);
      const root = tempTree({
        'mvp1/0001_email.sql':
          '-- migrate:up\nALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n-- migrate:down\nALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;\n',
        'mvp1/0002_nick.sql': '-- migrate:up\nALTER TABLE accounts ALTER COLUMN "Nick name" SET NOT NULL;\n-- migrate:down\nSELECT 1;\n',
        'mvp1/0003_phone_early.sql': '-- migrate:up\nALTER TABLE accounts ALTER COLUMN phone SET NOT NULL;\n-- migrate:down\nSELECT 1;\n',
        'mvp1/0004_validate_phone.sql': '-- migrate:up\nALTER TABLE accounts VALIDATE CONSTRAINT accounts_phone_nn;\n-- migrate:down\nSELECT 1;\n',
        'mvp1/0005_phone.sql': '-- migrate:up\nALTER TABLE accounts ALTER COLUMN phone SET NOT NULL;\n-- migrate:down\nSELECT 1;\n',
        'mvp1/0006_code.sql': '-- migrate:up\nALTER TABLE accounts ALTER COLUMN code SET NOT NULL;\n-- migrate:down\nSELECT 1;\n',
        'mvp1/0007_code_nullable.sql': '-- migrate:up\nALTER TABLE accounts ALTER COLUMN code DROP NOT NULL;\n-- migrate:down\nSELECT 1;\n',
        'mvp1/0008_code.sql': '-- migrate:up\nALTER TABLE accounts ALTER COLUMN code SET NOT NULL;\n-- migrate:down\nSELECT 1;\n',
        'mvp1/0009_code.ts': 'export async function up(db) {}\nexport async function down(db) {}\n',
        'mvp1/0010_email.sql': '-- migrate:up\nALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\n-- migrate:down\nSELECT 1;\n',
      });
      const migrations = await loadMigrations(root, { dialect: 'postgres' });
      const plan = await planPostgresMigrations(conn, migrations, { latest: true });
      const scans = plan.steps.map((s) => [s.version, s.rules.some((r) => r.rule === 'pg-set-not-null-scan')]);
      expect(scans).toEqual([
        [1, false],
        [2, false],
        [3, true],
        [4, false],
        [5, false],
        [6, false],
        [7, false],
        [8, true],
        [9, false],
        // after code it cannot read, the plan trusts no proof
        [10, true],
      ]);
      expect(await postgresContents(url)).toEqual(before);
    } finally {
      await conn.close();
    }
  });
});
