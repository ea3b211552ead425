import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type HistoryEntry,
  type MfmigError,
  DialectMigrator,
  Migrator,
  SqliteConnection,
  createServiceContext,
  loadMigrations,
  openDatabase,
  withSchemaReplayStandIns,
} from '@mfmig/core';

const REAL_MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../migrations');

/** A migrations folder whose `.ts` and `.js` modules append to `marker` when they are imported. */
function markedFolder(): { dir: string; folder: string; marker: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mfmig-meta-'));
  const marker = join(dir, 'marker');
  const files: Record<string, string> = {
    'mvp1/0001_notes.sql': '-- migrate:up\nCREATE TABLE notes (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE notes;\n',
    'mvp1/0002_tag_notes.ts': `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(marker)}, 'ts\\n');
export const meta: { description: string; foreignKeys: 'off' } = { description: 'Tag every note', foreignKeys: 'off' };
export async function up(_db: unknown, ctx: { exec(sql: string): void }) { ctx.exec('CREATE TABLE tags (id INTEGER PRIMARY KEY)'); }
export async function down(_db: unknown, ctx: { exec(sql: string): void }) { ctx.exec('DROP TABLE tags'); }
`,
    'mvp2/0003_count_notes.js': `const { appendFileSync } = require('node:fs');
appendFileSync(${JSON.stringify(marker)}, 'js\\n');
exports.meta = { description: DESCRIPTION_FROM_ELSEWHERE };
exports.up = async () => {};
`,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, 'migrations', path)), { recursive: true });
    writeFileSync(join(dir, 'migrations', path), text);
  }
  return { dir, folder: join(dir, 'migrations'), marker };
}

const shape = (m: {
  version: number;
  name: string;
  mvp: number;
  checksum: string;
  description: string;
  transaction: string;
  irreversible: boolean;
  kind: string;
}) => ({
  version: m.version,
  name: m.name,
  mvp: m.mvp,
  kind: m.kind,
  checksum: m.checksum,
  description: m.description,
  transaction: m.transaction,
  irreversible: m.irreversible,
});

describe("loadMigrations(folder, { modules: 'metadata' })", () => {
  it('reads the knowledge-base migrations exactly as importing them does, checksums included', async () => {
    const imported = await loadMigrations(REAL_MIGRATIONS);
    const metadata = await loadMigrations(REAL_MIGRATIONS, { modules: 'metadata' });
    expect(metadata.milestones).toEqual(imported.milestones);
    expect(metadata.migrations.map(shape)).toEqual(imported.migrations.map(shape));
    const modules = metadata.migrations.filter((m) => m.kind === 'module');
    expect(modules.map((m) => m.version)).toEqual([5, 8, 17]);
    expect(modules.every((m) => m.metadataOnly === true && m.transformations.length === 0)).toBe(true);
    // the descriptions come from the static `meta` literals, not from the file names
    expect(modules[0]!.description).toMatch(/^Map every KB entry into the incident structure/);
    expect(imported.migrations.some((m) => m.metadataOnly)).toBe(false);
    expect(imported.byVersion.get(5)!.transformations.length).toBeGreaterThan(0);
  });

  it('never imports a module: its top-level code does not run, and what it declares statically is read', async () => {
    const { folder, marker } = markedFolder();
    const set = await loadMigrations(folder, { modules: 'metadata' });
    expect(existsSync(marker)).toBe(false);
    const ts = set.byVersion.get(2)!;
    expect(ts).toMatchObject({ name: 'tag_notes', mvp: 1, kind: 'module', description: 'Tag every note', foreignKeys: 'off', metadataOnly: true });
    const sha = (file: string) => createHash('sha256').update(readFileSync(file, 'utf8').replace(/\n+$/, '')).digest('hex');
    expect(ts.checksum).toBe(sha(ts.file));
    // a meta that is not a literal falls back to the humanised name
    expect(set.byVersion.get(3)).toMatchObject({ name: 'count_notes', mvp: 2, description: 'Count notes', foreignKeys: 'on', metadataOnly: true });

    let thrown: unknown;
    try {
      await ts.up(undefined as never, undefined as never);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as MfmigError).code).toBe('INTERNAL');
    expect((thrown as MfmigError).message).toMatch(/0002_tag_notes was read for its metadata only/);

    // the same files imported: the marker proves the loader above did not import them
    const imported = await loadMigrations(folder, { modules: 'import' }).catch((error: unknown) => error as MfmigError);
    expect(readFileSync(marker, 'utf8')).toContain('ts\n');
    expect((imported as MfmigError).code).toBe('MIGRATION_INVALID'); // DESCRIPTION_FROM_ELSEWHERE is undefined at import
  });

  it('refuses a literal meta with a bad value, as importing does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-meta-bad-'));
    mkdirSync(join(dir, 'mvp1'));
    writeFileSync(join(dir, 'mvp1', '0001_bad.ts'), `export const meta = { foreignKeys: 'sometimes' };\nexport async function up() {}\n`);
    for (const modules of ['metadata', 'import'] as const) {
      const error = (await loadMigrations(dir, { modules }).catch((e: unknown) => e)) as MfmigError;
      expect(error.code).toBe('MIGRATION_INVALID');
      expect(error.message).toMatch(/meta.foreignKeys must be "on" or "off"/);
    }
  });

  it('refuses to run a metadata-only module before anything of the run is written', async () => {
    const { dir, folder, marker } = markedFolder();
    const adapter = openDatabase(join(dir, 'app.db'), { create: true });
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(folder, { modules: 'metadata' }) });
    const result = await migrator.migrate();
    expect((result.error as MfmigError | undefined)?.code).toBe('INTERNAL');
    expect(adapter.tableExists('notes')).toBe(false);
    expect(adapter.tableExists('mfmig_history')).toBe(false);
    adapter.close();
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses to revert a metadata-only module before any down runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfmig-meta-down-'));
    const folder = join(dir, 'migrations');
    mkdirSync(join(folder, 'mvp1'), { recursive: true });
    writeFileSync(
      join(folder, 'mvp1/0001_tags.ts'),
      "export async function up(_db: unknown, ctx: { exec(sql: string): void }) { ctx.exec('CREATE TABLE tags (id INTEGER PRIMARY KEY)'); }\n" +
        "export async function down(_db: unknown, ctx: { exec(sql: string): void }) { ctx.exec('DROP TABLE tags'); }\n",
    );
    writeFileSync(join(folder, 'mvp1/0002_notes.sql'), '-- migrate:up\nCREATE TABLE notes (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE notes;\n');
    const adapter = openDatabase(join(dir, 'app.db'), { create: true });
    expect((await new Migrator({ adapter, migrations: await loadMigrations(folder) }).migrate()).error).toBeUndefined();
    // the SQL file's down would run first; the module's cannot run at all, so neither does
    const metadataOnly = await loadMigrations(folder, { modules: 'metadata' });
    const result = await new DialectMigrator({ connection: new SqliteConnection(adapter), migrations: metadataOnly }).rollback({ version: 0 });
    expect((result.error as MfmigError | undefined)?.code).toBe('INTERNAL');
    expect([adapter.tableExists('tags'), adapter.tableExists('notes')]).toEqual([true, true]);
    expect(adapter.column('SELECT version FROM mfmig_history ORDER BY version')).toEqual([1, 2]);
    adapter.close();
  });

  it('is what a service context opened with loadModules: false loads', async () => {
    const { dir, folder, marker } = markedFolder();
    const ctx = createServiceContext({ database: join(dir, 'app.db'), migrationsPath: folder }, { create: true, loadModules: false });
    expect(ctx.loadModules).toBe(false);
    const status = (await ctx.migrator()).status();
    expect(status.pending.map((p) => p.name)).toEqual(['notes', 'tag_notes', 'count_notes']);
    expect(existsSync(marker)).toBe(false);
    ctx.close();
  });
});

describe('withSchemaReplayStandIns', () => {
  const entry = (version: number, at: number, schemaHash: string | null): HistoryEntry => ({
    version,
    name: `v${version}`,
    mvp: 1,
    checksum: '',
    status: 'applied',
    appliedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, at)).toISOString(),
    durationMs: 0,
    appliedBy: 'test',
    schemaHash,
    runId: null,
  });

  it('replaces a module the history shows to have left the schema alone by a no-op, and lists the others', async () => {
    const { folder, marker } = markedFolder();
    const set = await loadMigrations(folder, { modules: 'metadata' });
    // 0003 was applied right after 0002 and left the hash as it was; 0002 changed it
    const history = [entry(1, 1, 'a'), entry(2, 2, 'b'), entry(3, 3, 'b')];
    const { set: replayable, unknown } = withSchemaReplayStandIns(set, history);
    expect(unknown.map((m) => m.version)).toEqual([2]);
    expect(replayable.byVersion.get(3)!.metadataOnly).toBe(false);
    await replayable.byVersion.get(3)!.up(undefined as never, undefined as never);
    expect(replayable.byVersion.get(2)!.metadataOnly).toBe(true);
    expect(replayable.byVersion.get(1)).toBe(set.byVersion.get(1));

    // the predecessor is the migration applied just before, not the next lower version
    const outOfOrder = withSchemaReplayStandIns(set, [entry(1, 1, 'a'), entry(3, 2, 'c'), entry(2, 3, 'c')]);
    expect(outOfOrder.unknown.map((m) => m.version)).toEqual([3]);
    // no recorded hash proves nothing; a module that is not applied is not replayed at all
    expect(withSchemaReplayStandIns(set, [entry(1, 1, null), entry(2, 2, null)]).unknown.map((m) => m.version)).toEqual([2]);
    expect(existsSync(marker)).toBe(false);
  });

  it('leaves a set whose modules were imported as it is', async () => {
    const imported = await loadMigrations(REAL_MIGRATIONS);
    expect(withSchemaReplayStandIns(imported, []).set).toBe(imported);
  });
});
