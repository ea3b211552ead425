// A PostgreSQL schema another migration tool has been migrating, as teams arrive with them: the
// first `mfmig migrate` records what that tool applied as applied (none of it run), runs only the
// rest, and leaves the tool's tables as they were. A history that tool must settle first, or a
// schema that differs from the version the tool reached, is refused with nothing written.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropScratchDatabases,
  type FixtureTool,
  NOTES_MIGRATIONS,
  postgresContents,
  postgresToolHistorySql,
  scratchDatabase,
  withClient,
} from '@mfmig/test-support';
import { flywayChecksum } from '@mfmig/framework';
import { mfmig, mfmigAsync, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const MIGRATIONS = NOTES_MIGRATIONS;
const [V1, V2, V3] = MIGRATIONS.map((m) => Number(m.version)) as [number, number, number];
const TOOLS: FixtureTool[] = ['dbmate', 'golang-migrate', 'flyway', 'sqlx', 'prisma', 'kysely', 'knex'];
const APP_ROWS = "INSERT INTO notes VALUES (1, 'groceries'), (2, 'ideas'); INSERT INTO tags VALUES (1, 1, 'home'), (2, 2, 'work');";

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
const script = (url: string, sql: string) => withClient(url, async (c) => void (await c.query(sql)));
const versions = (items: { version: number }[]) => items.map((m) => m.version);

function folder(): string {
  const dir = tempDir();
  writeMigrations(dir, Object.fromEntries(MIGRATIONS.map((m) => [`mvp${m.mvp}/${m.version}_${m.name}.sql`, sqlMigration(m.up)])));
  return dir;
}

/** A notes schema `tool` migrated to the first two migrations, with rows, in `schema`. */
async function toolSchema(url: string, tool: FixtureTool, schema = 'public'): Promise<void> {
  const applied = MIGRATIONS.slice(0, 2);
  const made = `CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}";`;
  await script(url, [made, ...applied.map((m) => m.up), APP_ROWS, postgresToolHistorySql(tool, applied)].join('\n'));
}

/** The tables of the tool, with their rows (everything but the application's and mfmig's). */
async function toolTables(url: string) {
  const { tables } = await postgresContents(url);
  return tables.filter((entry) => !/^(notes|tags|mfmig_.*)$/.test((entry as string[])[1]!));
}

describe('mfmig migrate adopts a PostgreSQL schema another tool migrated, and runs nothing that tool applied', () => {
  for (const tool of TOOLS) {
    it(`${tool}: the first migrate records what ${tool} applied, runs only the third migration and leaves ${tool}'s tables as they were`, async () => {
      const url = await scratchDatabase();
      await toolSchema(url, tool);
      const before = await toolTables(url);
      expect(before.length).toBeGreaterThan(0);
      const cli = (...args: string[]) => mfmig(folder(), ['--db', url, '--json', ...args]);

      const up = cli('migrate');
      expect(up.code, up.stderr).toBe(0);
      expect(versions(up.json.migrations)).toEqual([V3]);
      expect(up.json.extras.adoption).toMatchObject({ tool, version: V2, versions: [V1, V2], recorded: true });
      expect(await rows(url, 'SELECT id, title, pinned FROM notes ORDER BY id')).toEqual([
        { id: 1, title: 'groceries', pinned: 0 },
        { id: 2, title: 'ideas', pinned: 0 },
      ]);
      expect(await rows(url, 'SELECT note_id, name FROM tags ORDER BY id')).toEqual([
        { note_id: 1, name: 'home' },
        { note_id: 2, name: 'work' },
      ]);
      expect(await rows(url, 'SELECT version::text AS v FROM mfmig_history ORDER BY version')).toEqual([V1, V2, V3].map((v) => ({ v: String(v) })));
      expect(await rows(url, "SELECT action, version::text AS v FROM mfmig_audit WHERE action NOT IN ('migrate', 'run')")).toEqual([
        { action: tool, v: String(V2) },
      ]);
      expect(await toolTables(url)).toEqual(before);
      const status = cli('status');
      expect([status.code, status.json.currentVersion, status.json.pending, status.json.problems, status.json.drift.hasDrift]).toEqual([0, V3, [], [], false]);
    });
  }

  it("Flyway with a repeatable view: status, plan and a dry run show the adoption and write nothing; migrate records the view's script as applied", async () => {
    const files = {
      'V1__Create_person_table.sql': 'create table PERSON (\n    ID int not null,\n    NAME varchar(100) not null\n);\n',
      'V2__Add_person_index.sql': 'create index PERSON_NAME on PERSON (NAME);\n',
      'V3__Add_city.sql': 'alter table PERSON add column CITY varchar(100);\n',
      'R__person_views.sql': 'drop view if exists PERSON_NAMES;\ncreate view PERSON_NAMES as select NAME from PERSON;\n',
    };
    const dir = tempDir();
    writeMigrations(dir, files);
    const url = await scratchDatabase();
    const history = [
      ['1', 'Create person table', 'V1__Create_person_table.sql'],
      ['2', 'Add person index', 'V2__Add_person_index.sql'],
      [null, 'person views', 'R__person_views.sql'],
    ] as const;
    const inserts = history.map(
      ([version, description, file], i) =>
        `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
          VALUES (${i + 1}, ${version === null ? 'NULL' : `'${version}'`}, '${description}', 'SQL', '${file}', ${flywayChecksum(files[file], crc32)}, 'app', 3, true);`,
    );
    await script(
      url,
      [
        files['V1__Create_person_table.sql'],
        files['V2__Add_person_index.sql'],
        files['R__person_views.sql'],
        "insert into PERSON (ID, NAME) values (1, 'Axel'), (2, 'Mr. Foo');",
        postgresToolHistorySql('flyway', []),
        ...inserts,
      ].join('\n'),
    );
    const cli = (...args: string[]) => mfmig(dir, ['--db', url, '--json', ...args]);
    const untouched = await postgresContents(url);

    const status = cli('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.json.adoption).toMatchObject({
      tool: 'flyway',
      table: 'flyway_schema_history',
      version: 2_000_000,
      repeatables: ['person_views'],
      recorded: false,
    });
    expect([versions(status.json.pending), status.json.problems]).toEqual([[3_000_000], []]);
    const plan = cli('plan');
    expect(plan.code, plan.stderr).toBe(0);
    expect([plan.json.adoption?.version, plan.json.currentVersion, versions(plan.json.steps)]).toEqual([2_000_000, 2_000_000, [3_000_000]]);
    const dry = cli('migrate', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(versions(dry.json.migrations)).toEqual([3_000_000]);
    expect(dry.json.repeatables).toEqual([]);
    expect(dry.json.extras.adoption).toMatchObject({ tool: 'flyway', recorded: false, runId: null });
    expect(await postgresContents(url)).toEqual(untouched);

    const up = cli('migrate');
    expect(up.code, up.stderr).toBe(0);
    expect([versions(up.json.migrations), up.json.repeatables]).toEqual([[3_000_000], []]);
    expect(await rows(url, 'SELECT name FROM person_names ORDER BY name')).toEqual([{ name: 'Axel' }, { name: 'Mr. Foo' }]);
    expect(await rows(url, 'SELECT name FROM mfmig_repeatable')).toEqual([{ name: 'person_views' }]);
    const after = cli('status');
    expect([after.json.pending, after.json.pendingRepeatables, after.json.problems, after.json.drift.hasDrift]).toEqual([[], [], [], false]);
  });

  it('status runs no module code: with a TypeScript migration among what the tool applied, it says the adoption is not checked; migrate checks it', async () => {
    const dir = tempDir();
    const marker = join(dir, 'imported');
    // importing the module leaves a file behind: status must not
    const touch = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\n`;
    writeMigrations(dir, {
      'mvp1/20240101120000_create_notes.sql': sqlMigration(MIGRATIONS[0].up),
      'mvp1/20240102120000_title_case.ts': `${touch}export async function up(db) { await db.updateTable('notes').set({ title: 'X' }).execute(); }`,
      'mvp2/20240103120000_notes_pinned.sql': sqlMigration(MIGRATIONS[2].up),
    });
    const url = await scratchDatabase();
    const applied = [
      { version: '20240101120000', name: 'create_notes' },
      { version: '20240102120000', name: 'title_case' },
    ];
    await script(url, [MIGRATIONS[0].up, "INSERT INTO notes VALUES (1, 'groceries');", postgresToolHistorySql('dbmate', applied)].join('\n'));
    const before = await postgresContents(url);

    const status = mfmig(dir, ['--db', url, '--json', 'status']);
    expect([status.code, existsSync(marker), status.json.adoption]).toEqual([0, false, undefined]);
    expect(status.json.problems).toContainEqual(expect.objectContaining({ code: 'ADOPTION_NOT_CHECKED', severity: 'warning' }));
    expect(await postgresContents(url)).toEqual(before);

    const up = mfmig(dir, ['--db', url, '--json', 'migrate']);
    expect(up.code, up.stderr).toBe(0);
    expect([versions(up.json.migrations), up.json.extras.adoption.version]).toEqual([[V3], V2]);
    expect(await rows(url, 'SELECT id, title, pinned FROM notes')).toEqual([{ id: 1, title: 'groceries', pinned: 0 }]);
  });

  const REFUSALS: { what: string; tool: FixtureTool; change: string; reason: string }[] = [
    { what: 'a dirty golang-migrate version', tool: 'golang-migrate', change: 'UPDATE schema_migrations SET dirty = true', reason: 'dirty' },
    {
      what: 'a failed Flyway migration',
      tool: 'flyway',
      change: 'UPDATE flyway_schema_history SET success = false WHERE installed_rank = 2',
      reason: 'failed',
    },
    { what: 'a held knex lock', tool: 'knex', change: 'UPDATE knex_migrations_lock SET is_locked = 1', reason: 'locked' },
    {
      what: 'a Prisma migration never finished',
      tool: 'prisma',
      change: "UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name LIKE '20240102%'",
      reason: 'unfinished',
    },
    {
      what: 'a migration the folder does not hold',
      tool: 'sqlx',
      change: "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (20231231000000, 'old', true, '\\x00', 1)",
      reason: 'not-in-folder',
    },
    {
      what: 'a schema that differs from the version the tool reached',
      tool: 'dbmate',
      change: 'ALTER TABLE tags ADD COLUMN colour text',
      reason: 'differences',
    },
  ];
  for (const { what, tool, change, reason } of REFUSALS) {
    it(`refuses ${what} (exit 3) with every schema, table and row as it was: migrate, a dry run and status alike`, async () => {
      const url = await scratchDatabase();
      await toolSchema(url, tool);
      await script(url, change);
      const dir = folder();
      const before = await postgresContents(url);
      for (const args of [['migrate'], ['migrate', '--dry-run']]) {
        const refused = mfmig(dir, ['--db', url, '--json', ...args]);
        expect(refused.code, `${args.join(' ')}: ${refused.stderr}`).toBe(3);
        expect(refused.json.error).toMatchObject({ code: 'ADOPTION_REFUSED', reason });
        expect(await postgresContents(url)).toEqual(before);
      }
      const status = mfmig(dir, ['--db', url, '--json', 'status']);
      expect(status.json.problems).toContainEqual(expect.objectContaining({ code: 'ADOPTION_REFUSED', severity: 'error' }));
      expect(await postgresContents(url)).toEqual(before);
    });
  }

  it('two runners started at once on a schema whose name needs quoting adopt it once and apply the third migration once', async () => {
    const url = await scratchDatabase();
    const schema = 'Team "Notes"';
    await script(url, `CREATE SCHEMA "Team ""Notes""";`);
    await toolSchema(url, 'kysely', schema.replace(/"/g, '""'));
    const dir = folder();
    const runs = await Promise.all([0, 1].map(() => mfmigAsync(dir, ['--db', url, '--schema', schema, '--json', 'migrate']).done));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(await withClient(url, async (c) => (await c.query(`SELECT version::text AS v FROM "Team ""Notes""".mfmig_history ORDER BY version`)).rows)).toEqual(
      [V1, V2, V3].map((v) => ({ v: String(v) })),
    );
    expect(await withClient(url, async (c) => (await c.query(`SELECT action FROM "Team ""Notes""".mfmig_audit WHERE action = 'kysely'`)).rows)).toEqual([
      { action: 'kysely' },
    ]);
    expect(await withClient(url, async (c) => (await c.query(`SELECT id, pinned FROM "Team ""Notes""".notes ORDER BY id`)).rows)).toEqual([
      { id: 1, pinned: 0 },
      { id: 2, pinned: 0 },
    ]);
  });
});
