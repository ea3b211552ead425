import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type MfmigError,
  type MigrationPlugin,
  Migrator,
  checksumMigration,
  flywayVersionKey,
  loadMigrations,
  openDatabase,
  importFiles,
  resolveTargetVersion,
  planNewMigration,
  transactionModeOf,
  type LoadMigrationsOptions,
} from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

function folder(files: Record<string, string>): string {
  const dir = join(tempDir('mfmig-formats-'), 'migrations');
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function loadError(files: Record<string, string>, options: LoadMigrationsOptions = {}): Promise<MfmigError> {
  return (await loadMigrations(folder(files), options).then(
    () => expect.unreachable('the folder loaded'),
    (error: unknown) => error,
  )) as MfmigError;
}

const create = (table: string) => `CREATE TABLE ${table} (id INTEGER PRIMARY KEY);`;

describe('loadMigrations: formats', () => {
  it('reads a flat mfmig folder (no milestones) and a dbmate folder, with whole-file checksums', async () => {
    const dbmateText = `-- migrate:up\n${create('a')}\n-- migrate:down\nDROP TABLE a;\n`;
    const dbmate = await loadMigrations(
      folder({ '20240101120000_create_a.sql': dbmateText, '20240102120000_create_b.sql': `-- migrate:up\n${create('b')}\n`, 'README.md': '# docs' }),
    );
    expect(dbmate.format).toBe('dbmate');
    expect(dbmate.migrations.map((m) => [m.version, m.name, m.mvp])).toEqual([
      [20240101120000, 'create_a', 0],
      [20240102120000, 'create_b', 0],
    ]);
    expect(dbmate.migrations[0]!.checksum).toBe(checksumMigration(dbmateText));
    expect(dbmate.milestones).toEqual([]);
    const flat = await loadMigrations(folder({ '0001_a.sql': dbmateText, '0002_b.js': 'exports.up = () => {};', '.gitkeep': '' }));
    expect(flat.format).toBe('mfmig');
    expect(flat.migrations.map((m) => [m.version, m.kind, m.mvp])).toEqual([
      [1, 'sql', 0],
      [2, 'module', 0],
    ]);
  });

  it('reads golang-migrate pairs; checksums are those of the converted mfmig file; a down without up is refused', async () => {
    const set = await loadMigrations(
      folder({ '000001_create_a.up.sql': `${create('a')}\n`, '000001_create_a.down.sql': 'DROP TABLE a;\n', '000002_create_b.up.sql': create('b') }),
    );
    expect(set.format).toBe('golang-migrate');
    expect(set.migrations.map((m) => [m.version, m.name, m.downSql])).toEqual([
      [1, 'create_a', 'DROP TABLE a;'],
      [2, 'create_b', undefined],
    ]);
    expect(set.migrations[0]!.checksum).toBe(checksumMigration(`-- migrate:up\n${create('a')}\n\n-- migrate:down\nDROP TABLE a;\n`));
    expect(set.migrations[1]!.checksum).toBe(checksumMigration(`-- migrate:up\n${create('b')}\n\n-- migrate:down\n`));
    const error = await loadError({ '000001_a.up.sql': create('a'), '000002_b.down.sql': 'DROP TABLE b;' });
    expect([error.code, error.context.file]).toEqual(['MIGRATION_INVALID', expect.stringMatching(/000002_b\.down\.sql$/)]);
  });

  it('reads sqlx folders of both shapes; up/down pairs alone are golang-migrate unless forced', async () => {
    const files = { '1_create_a.sql': create('a'), '2_create_b.up.sql': create('b'), '2_create_b.down.sql': 'DROP TABLE b;' };
    const set = await loadMigrations(folder(files));
    expect(set.format).toBe('sqlx');
    expect(set.migrations.map((m) => [m.version, m.upSql, m.downSql])).toEqual([
      [1, create('a'), undefined],
      [2, create('b'), 'DROP TABLE b;'],
    ]);
    const pairs = folder({ '20240101120000_a.up.sql': create('a'), '20240101120000_a.down.sql': 'DROP TABLE a;' });
    expect((await loadMigrations(pairs)).format).toBe('golang-migrate');
    expect((await loadMigrations(pairs, { format: 'sqlx' })).format).toBe('sqlx');
  });

  it('reads Flyway V, U and R files with a fixed version key and labels', async () => {
    const set = await loadMigrations(
      folder({
        'V1__create_a.sql': create('a'),
        'U1__create_a.sql': 'DROP TABLE a;',
        'V1_1__create_b.sql': create('b'),
        'V2__create_c.sql': create('c'),
        'R__refresh_view.sql': 'DROP VIEW IF EXISTS v; CREATE VIEW v AS SELECT 1;',
      }),
    );
    expect(set.format).toBe('flyway');
    expect(set.migrations.map((m) => [m.version, m.versionLabel, m.downSql !== undefined])).toEqual([
      [1_000_000, '1', true],
      [1_001_000, '1.1', false],
      [2_000_000, '2', false],
    ]);
    expect(set.repeatables.map((r) => [r.name, r.transaction])).toEqual([['refresh_view', 'immediate']]);
    const outside = await loadMigrations(
      folder({
        'V1__a.sql': `-- flyway:executeInTransaction=false\n${create('a')}`,
        'R__v.sql': '-- transaction: none\nCREATE VIEW IF NOT EXISTS v AS SELECT 1;',
      }),
    );
    expect([transactionModeOf(outside.migrations[0]!, 'up'), outside.repeatables[0]!.transaction]).toEqual(['none', 'none']);
    expect(set.migrations[1]!.checksum).toBe(checksumMigration(`-- version-label: 1.1\n\n-- migrate:up\n${create('b')}\n\n-- migrate:down\n`));
    expect(flywayVersionKey('1.2.3')).toBe(1_002_003);
    for (const bad of ['1.2.3.4', '1.1000', '9007199255']) expect(() => flywayVersionKey(bad, 'V.sql')).toThrow(/V\.sql.*at most 3 parts/);
    // a target names a Flyway file by its label too: 2 is V2__ (key 2000000), 1001000 stays itself
    expect([2, 1, 1_001_000, 0].map((version) => resolveTargetVersion(set, { version }))).toEqual([2_000_000, 1_000_000, 1_001_000, 0]);
    expect(() => resolveTargetVersion(set, { version: 3 })).toThrow(/Unknown target version 3/);
    const undo = await loadError({ 'V1__a.sql': create('a'), 'U2__b.sql': 'DROP TABLE b;' });
    expect(undo.context.file).toMatch(/U2__b\.sql$/);
  });

  it('reads Prisma migration folders and ignores migration_lock.toml', async () => {
    const set = await loadMigrations(folder({ '20240101000000_init/migration.sql': create('a'), 'migration_lock.toml': 'provider = "sqlite"' }));
    expect(set.format).toBe('prisma');
    expect(set.migrations.map((m) => [m.version, m.name, m.downSql])).toEqual([[20240101000000, 'init', undefined]]);
  });

  it.each([
    ['a folder of no known format', { 'notes.json': '{}', 'schema.dump': 'x' }, 'MIGRATION_FORMAT', /notes\.json/],
    [
      'files without markers beside marker files',
      { '0001_a.sql': `-- migrate:up\n${create('a')}`, '0002_b.sql': create('b') },
      'MIGRATION_FORMAT',
      /0001_a\.sql.*0002_b\.sql/,
    ],
    ['Flyway beside golang-migrate', { 'V1__a.sql': create('a'), '2_b.up.sql': create('b') }, 'MIGRATION_FORMAT', /V1__a\.sql/],
    [
      'milestone folders beside flat files',
      { 'mvp1/0001_a.sql': `-- migrate:up\n${create('a')}`, '0002_b.sql': `-- migrate:up\n${create('b')}` },
      'MIGRATION_FORMAT',
      /0002_b\.sql/,
    ],
    ['a double underscore after the version', { '0001__a.sql': create('a') }, 'MIGRATION_INVALID', /0001__a\.sql: one underscore/],
    ['a single underscore in a Flyway name', { 'V1_a.sql': create('a') }, 'MIGRATION_INVALID', /V1_a\.sql: Flyway names need two underscores/],
    ['a marker line in a whole-file format', { '1_a.up.sql': `-- migrate:up\n${create('a')}` }, 'MIGRATION_INVALID', /1_a\.up\.sql:1/],
  ])('refuses %s, naming the files', async (_what, files, code, message) => {
    const error = await loadError(files);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('refuses a forced format the files do not fit', async () => {
    const error = await loadError({ 'V1__a.sql': create('a') }, { format: 'golang-migrate' });
    expect([error.code, error.message]).toEqual(['MIGRATION_FORMAT', expect.stringMatching(/V1__a\.sql/)]);
  });
});

describe('loadMigrations: milestones of a flat folder', () => {
  const five = Object.fromEntries([1, 2, 3, 4, 5].map((v) => [`${v}_t${v}.up.sql`, create(`t${v}`)]));

  it('assigns milestones from version ranges, the last one open', async () => {
    const set = await loadMigrations(folder(five), { milestones: [{ mvp: 1, through: 2 }, { mvp: 2, through: 4 }, { mvp: 3 }] });
    expect(set.migrations.map((m) => m.mvp)).toEqual([1, 1, 2, 2, 3]);
    expect(set.milestones).toEqual([1, 2, 3]);
  });

  it.each([
    [
      'overlapping ranges',
      [
        { mvp: 1, through: 3 },
        { mvp: 2, through: 3 },
      ],
      /overlap/,
    ],
    ['a gap in milestone numbers', [{ mvp: 1, through: 3 }, { mvp: 3 }], /without gaps/],
    ['a migration after the last range', [{ mvp: 1, through: 4 }], /5_t5\.up\.sql.*after the last milestone/],
  ])('refuses %s', async (_what, milestones, message) => {
    const error = await loadError(five, { milestones });
    expect([error.code, error.message]).toEqual(['CONFIG_INVALID', expect.stringMatching(message)]);
  });

  it('refuses ranges for a folder of mvpN/ folders', async () => {
    const error = await loadError({ 'mvp1/0001_a.sql': `-- migrate:up\n${create('a')}` }, { milestones: [{ mvp: 1 }] });
    expect(error.code).toBe('CONFIG_INVALID');
  });
});

describe('per-direction transactions', () => {
  it('runs each section in the transaction mode its own marker asks for, up and down', async () => {
    const dir = folder({
      '0001_a.sql': `-- migrate:up\n${create('a')}\n-- migrate:down transaction:false\nDROP TABLE a;\n`,
      '0002_b.sql': `-- migrate:up transaction:false\n${create('b')}\n-- migrate:down\nDROP TABLE b;\n`,
    });
    const set = await loadMigrations(dir);
    expect(set.migrations.map((m) => [transactionModeOf(m, 'up'), transactionModeOf(m, 'down')])).toEqual([
      ['immediate', 'none'],
      ['none', 'immediate'],
    ]);
    const seen: [number, string, boolean][] = [];
    const watch: MigrationPlugin = { name: 'watch', beforeMigration: (ctx) => void seen.push([ctx.migration.version, ctx.direction, ctx.raw.inTransaction]) };
    const adapter = openDatabase(join(dirname(dir), 'kb.db'), { create: true });
    const migrator = new Migrator({ adapter, migrations: set, plugins: [watch] });
    expect((await migrator.migrate()).error).toBeUndefined();
    expect((await migrator.rollback({ version: 0 })).error).toBeUndefined();
    expect(seen).toEqual([
      [1, 'up', true],
      [2, 'up', false],
      [2, 'down', true],
      [1, 'down', false],
    ]);
    expect(adapter.tableExists('a') || adapter.tableExists('b')).toBe(false);
    adapter.close();
  });
});

describe('planNewMigration', () => {
  const now = new Date('2026-03-04T05:06:07Z');
  const names = async (files: Record<string, string>, options: { mvp?: number; format?: LoadMigrationsOptions['format'] } = {}) => {
    const dir = folder(files);
    const plan = planNewMigration(await loadMigrations(dir, { format: options.format }), 'add_notes', { mvp: options.mvp, now });
    return plan.files.map((f) => relative(dir, f.path));
  };
  const marked = `-- migrate:up\n${create('a')}\n`;

  it("follows each folder's own convention", async () => {
    expect(await names({})).toEqual(['0001_add_notes.sql']);
    expect(await names({ '001_a.sql': marked })).toEqual(['002_add_notes.sql']);
    expect(await names({ 'mvp1/0001_a.sql': marked, 'mvp2/0002_b.sql': marked.replace(/\ba\b/, 'b') })).toEqual([join('mvp2', '0003_add_notes.sql')]);
    expect(await names({ 'mvp1/0001_a.sql': marked }, { mvp: 2 })).toEqual([join('mvp2', '0002_add_notes.sql')]);
    expect(await names({ '20240101120000_a.sql': marked })).toEqual(['20260304050607_add_notes.sql']);
    expect(await names({ '000003_a.up.sql': create('a') })).toEqual(['000004_add_notes.up.sql', '000004_add_notes.down.sql']);
    expect(await names({ '1_a.sql': create('a') })).toEqual(['20260304050607_add_notes.sql']);
    expect(await names({ 'V1_2__a.sql': create('a') })).toEqual(['V2__add_notes.sql']);
    expect(await names({ '20240101000000_init/migration.sql': create('a') })).toEqual([join('20260304050607_add_notes', 'migration.sql')]);
    expect(await names({}, { format: 'golang-migrate' })).toEqual(['000001_add_notes.up.sql', '000001_add_notes.down.sql']);
  });

  it('refuses a milestone versions could not grow into, and a bad name', async () => {
    const dir = folder({ 'mvp1/0001_a.sql': marked, 'mvp2/0002_b.sql': marked.replace(/\ba\b/, 'b') });
    const set = await loadMigrations(dir);
    expect(() => planNewMigration(set, 'x', { mvp: 1 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => planNewMigration(set, 'bad name')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('importFiles', () => {
  it.each([
    ['dbmate', { '20240101120000_a.sql': `-- migrate:up\n${create('a')}\n\n-- migrate:down transaction:false\nDROP TABLE a;\n` }],
    ['golang-migrate', { '000001_a.up.sql': `${create('a')}\r\n`, '000001_a.down.sql': 'DROP TABLE a;  \n', '000002_b.up.sql': create('b') }],
    ['flyway', { 'V1__a.sql': create('a'), 'U1__a.sql': '-- flyway:executeInTransaction=false\nDROP TABLE a;', 'V1_1__b.sql': create('b') }],
    ['sqlx', { '1_a.sql': create('a'), '2_b.up.sql': create('b'), '2_b.down.sql': 'DROP TABLE b;' }],
    ['prisma', { '20240101000000_init/migration.sql': `\uFEFF${create('a')}` }],
  ] as const)('%s: the written mfmig folder keeps every checksum and label', async (format, files) => {
    const source = await loadMigrations(folder(files), { format });
    const target = folder({});
    for (const file of importFiles(source)) writeFileSync(join(target, file.name), file.text);
    const imported = await loadMigrations(target);
    const shape = (set: typeof source) =>
      set.migrations.map((m) => [m.version, m.checksum, m.versionLabel, m.downSql !== undefined, transactionModeOf(m, 'up'), transactionModeOf(m, 'down')]);
    expect(shape(imported)).toEqual(shape(source));
  });

  it('refuses Flyway repeatables', async () => {
    const source = await loadMigrations(folder({ 'V1__a.sql': create('a'), 'R__v.sql': 'CREATE VIEW IF NOT EXISTS v AS SELECT 1;' }));
    expect(() => importFiles(source)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('R__v.sql') }));
  });
});

describe('limits every format keeps', () => {
  it('refuses a link outside the folder, a broken link, an oversized file and non-UTF-8 text in a golang-migrate folder', async () => {
    const outside = join(tempDir('mfmig-outside-'), 'secret.sql');
    writeFileSync(outside, create('s'));
    const linked = folder({ '000001_a.up.sql': create('a') });
    symlinkSync(outside, join(linked, '000002_b.up.sql'));
    await expect(loadMigrations(linked)).rejects.toMatchObject({ code: 'MIGRATION_FORBIDDEN' });
    const broken = folder({ '000001_a.up.sql': create('a') });
    symlinkSync(join(broken, 'missing.sql'), join(broken, '000002_b.up.sql'));
    await expect(loadMigrations(broken)).rejects.toMatchObject({ code: 'MIGRATION_INVALID', message: expect.stringContaining('000002_b.up.sql') });
    await expect(loadMigrations(folder({ 'V1__a.sql': create('a') }), { maxFileBytes: 10 })).rejects.toMatchObject({
      code: 'MIGRATION_INVALID',
      message: expect.stringContaining('limit'),
    });
    const latin1 = folder({});
    writeFileSync(join(latin1, '20240101000000_a.sql'), Buffer.from([0x2d, 0x2d, 0x20, 0xe9, 0xff, 0x0a]));
    await expect(loadMigrations(latin1)).rejects.toMatchObject({ code: 'MIGRATION_INVALID', message: expect.stringContaining('UTF-8') });
  });
});
