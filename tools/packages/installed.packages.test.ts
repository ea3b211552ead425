// What a team that takes only @mfmig/validation or @mfmig/rollback gets: the packed tarballs
// installed from files into a blank npm project and a blank pnpm project outside the workspace,
// the READMEs' examples run as printed against plain SQLite databases mfmig never made, strict
// TypeScript on a consumer file, and CommonJS require(); on the live PostgreSQL server, the
// rollback README's PostgreSQL example with @mfmig/core, pg and libpg-query added. Run by `pnpm test:packages` (about a
// minute: two installs), not by `pnpm test`.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DialectMigrator, loadMigrations, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempDir, withClient } from '@mfmig/test-support';
import {
  type CommandResult,
  type PackageManager,
  NATIVE,
  ROOT,
  installConsumer,
  packPackages,
  readmeBlock,
  run,
  runAsync,
  runNode,
} from './consumer-project.js';

const PACKED = ['core', 'validation', 'rollback'];
const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
let tarballs: Record<string, string>;

beforeAll(() => {
  tarballs = packPackages(PACKED, tempDir('mfmig-packed-'));
});
afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A database another application made: authors and books, one book pointing at no author. */
function libraryDatabase(file: string): void {
  const db = new Database(file);
  db.pragma('foreign_keys = OFF');
  db.exec(`CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id), title TEXT NOT NULL);
CREATE INDEX books_author ON books (author_id);
INSERT INTO authors (id, name) VALUES (1, 'Le Guin'), (2, 'Lem');
INSERT INTO books (author_id, title) VALUES (1, 'The Dispossessed'), (2, 'Solaris'), (99, 'Nobody wrote this');`);
  db.close();
}

/** A database with an `orders` table, as the rollback README's example expects. */
function ordersDatabase(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL NOT NULL)');
  db.prepare('INSERT INTO orders (total) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) SELECT i * 2.5 FROM n').run();
  db.close();
}

// no import of better-sqlite3 of its own (that would need the project's own @types): only what our declarations bring
const CONSUMER_TS = `import { ValidationService, type ValidationReport } from '@mfmig/validation';
import { RollbackManager, type BackupRecord } from '@mfmig/rollback';

const validation = new ValidationService({ database: './knowledge.db' });
const report: ValidationReport = await validation.performComprehensiveValidation({ level: 'quick' });
const rollback = new RollbackManager({ database: './app.db', backupPath: './backups' });
const backups: BackupRecord[] = rollback.listBackups();
const health: number = report.summary.overallHealth;
console.log(health, backups.length);
`;

/** Migrations the PostgreSQL example reverts: notes (2) and tags (3) come in a second run. */
const PG_MIGRATIONS = {
  'mvp1/0001_teams.sql': '-- migrate:up\nCREATE TABLE teams (id integer PRIMARY KEY);\n-- migrate:down\nDROP TABLE teams;\n',
  'mvp2/0002_notes.sql': '-- migrate:up\nCREATE TABLE notes (id integer PRIMARY KEY, body text);\n-- migrate:down\nDROP TABLE notes;\n',
  'mvp2/0003_tags.sql': '-- migrate:up\nCREATE TABLE tags (id integer PRIMARY KEY);\n-- migrate:down\nDROP TABLE tags;\n',
};

const TSCONFIGS = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

const KYSELY_MIGRATION = `export async function up(db) {
  await db.schema.createTable('items').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text').execute();
  await db.insertInto('items').values([{ name: 'x' }, { name: 'y' }]).execute();
}
export async function down(db) {
  await db.schema.dropTable('items').execute();
}
`;

const KYSELY_RUN = `import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { RollbackManager } from '@mfmig/rollback';

const rollback = new RollbackManager({ database: new Database('./items.db'), migrationsPath: './migrations', backupPath: './backups' }, { backupBeforeRun: false });
const result = await (await rollback.context.migrator()).migrate();
if (result.error) throw result.error;
console.log('items', rollback.database.prepare('SELECT count(*) FROM items').pluck().get());
console.log('kysely', JSON.parse(readFileSync('./node_modules/kysely/package.json', 'utf8')).version);
rollback.close();
`;

/**
 * npm picks kysely itself from our peer range (on Node 20, the newest release whose engines
 * accept it: 0.28.x), then takes 0.28.9, the range's lowest; the pnpm project asks for 0.29, the
 * other end of the range.
 */
const PROJECTS: { manager: PackageManager; kysely?: string; expectKysely: RegExp; thenKysely: string[] }[] = [
  { manager: 'npm', expectKysely: /^0\.28\.\d+$/, thenKysely: ['0.28.9'] },
  { manager: 'pnpm', kysely: '^0.29.0', expectKysely: /^0\.29\.\d+$/, thenKysely: [] },
];

describe.each(PROJECTS)('the packed packages in a blank $manager project', ({ manager, kysely, expectKysely, thenKysely }) => {
  let dir: string;
  let install: CommandResult;

  beforeAll(() => {
    dir = tempDir(`mfmig-consumer-${manager}-`);
    install = installConsumer({
      manager,
      dir,
      dependencies: {
        '@mfmig/validation': tarballs['@mfmig/validation']!,
        '@mfmig/rollback': tarballs['@mfmig/rollback']!,
        'better-sqlite3': NATIVE.version,
        // what the PostgreSQL example needs besides @mfmig/rollback (its README's Install says so)
        '@mfmig/core': tarballs['@mfmig/core']!,
        pg: '^8.11.0',
        'libpg-query': '^18.1.5',
        ...(kysely ? { kysely } : {}),
      },
      overrides: { '@mfmig/core': tarballs['@mfmig/core']! },
    });
  });

  it('installs without an engine warning on this Node, with our packages only from the tarballs', () => {
    expect(`${install.stdout}\n${install.stderr}`).not.toMatch(/EBADENGINE|Unsupported engine/i);
    const lock = JSON.stringify(readFileSync(join(dir, manager === 'npm' ? 'package-lock.json' : 'pnpm-lock.yaml'), 'utf8'));
    expect(lock).not.toMatch(/registry\.npmjs\.org\/@mfmig/);
  });

  it("runs validation's README example as printed: it finds the planted orphan and leaves the file as it was", () => {
    libraryDatabase(join(dir, 'knowledge.db'));
    const before = sha256(join(dir, 'knowledge.db'));
    writeFileSync(join(dir, 'validate.mjs'), readmeBlock('validation', '## Standalone example'));
    const result = runNode(dir, ['validate.mjs']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Migration Safety: caution$/m);
    expect(result.stdout.split('\n').filter((line) => line.startsWith('- '))).toEqual([expect.stringMatching(/^- high FK_VIOLATION: .*books/)]);
    expect(sha256(join(dir, 'knowledge.db'))).toBe(before);
  });

  it("runs rollback's README example as printed: backs up, verifies and restores a database with no migrations folder", () => {
    ordersDatabase(join(dir, 'app.db'));
    writeFileSync(join(dir, 'rollback.mjs'), readmeBlock('rollback', '## Example: back up, verify and restore'));
    const result = runNode(dir, ['rollback.mjs']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^backup \S+ verified: true$/m);
    expect(result.stdout).toMatch(/^backup ok: true$/m);
    expect(result.stdout).toMatch(/^orders 40$/m);
  });

  it("runs rollback's PostgreSQL README example as printed: the last run is reverted and the rows its downs drop are archived", async () => {
    const url = await scratchDatabase();
    const project = join(dir, 'postgres');
    for (const [file, sql] of Object.entries(PG_MIGRATIONS)) {
      mkdirSync(dirname(join(project, 'migrations', file)), { recursive: true });
      writeFileSync(join(project, 'migrations', file), sql);
    }
    // the first run applies 1, the second 2 and 3, then the application writes
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(join(project, 'migrations'), { dialect: 'postgres' });
      expect((await new DialectMigrator({ connection: conn, migrations }).migrate({ version: 1 })).error).toBeUndefined();
      expect((await new DialectMigrator({ connection: conn, migrations }).migrate()).error).toBeUndefined();
      await conn.execute("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 12) g");
    } finally {
      await conn.close();
    }
    writeFileSync(join(project, 'emergency.mjs'), readmeBlock('rollback', '## Example: PostgreSQL, an emergency'));
    const result = runNode(project, ['emergency.mjs'], { DATABASE_URL: url });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^back at version 1$/m);
    const archived = await withClient(url, async (c) => (await c.query('SELECT source_table, rows::int AS rows FROM mfmig_archive.archives ORDER BY id')).rows);
    expect(archived).toEqual([{ source_table: 'notes', rows: 12 }]);
  });

  it('type-checks a consumer file strictly, without skipLibCheck, under nodenext and under bundler resolution', async () => {
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER_TS);
    // both at once: each takes many seconds, most of it checking zod's, kysely's and node's declarations
    const checks = Object.entries(TSCONFIGS).map(([resolution, options]) => {
      const compilerOptions = { ...options, target: 'es2022', strict: true, noEmit: true, skipLibCheck: false };
      writeFileSync(join(dir, `tsconfig.${resolution}.json`), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
      return runAsync(tsc, ['-p', `tsconfig.${resolution}.json`], dir).then((result) => ({
        resolution,
        status: result.status,
        output: result.stdout + result.stderr,
      }));
    });
    expect(await Promise.all(checks)).toEqual(Object.keys(TSCONFIGS).map((resolution) => ({ resolution, status: 0, output: '' })));
  });

  it('loads both packages with CommonJS require()', () => {
    const script =
      "const v = require('@mfmig/validation'); const r = require('@mfmig/rollback'); console.log(typeof v.ValidationService, typeof r.RollbackManager);";
    const result = runNode(dir, ['--input-type=commonjs', '-e', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function function');
  });

  it("runs a migration module with the project's own kysely, at each end of the peer range", () => {
    mkdirSync(join(dir, 'migrations', 'mvp1'), { recursive: true });
    writeFileSync(join(dir, 'migrations', 'mvp1', '0001_items.js'), KYSELY_MIGRATION);
    writeFileSync(join(dir, 'kysely.mjs'), KYSELY_RUN);
    const result = runNode(dir, ['kysely.mjs']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^items 2$/m);
    expect(/^kysely (\S+)$/m.exec(result.stdout)?.[1]).toMatch(expectKysely);
    for (const pinned of thenKysely) {
      // only the npm project lists versions here
      run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', `kysely@${pinned}`], dir);
      rmSync(join(dir, 'items.db'), { force: true });
      const again = runNode(dir, ['kysely.mjs']);
      expect(again.stderr).toBe('');
      expect(again.stdout).toMatch(/^items 2$/m);
      expect(/^kysely (\S+)$/m.exec(again.stdout)?.[1]).toBe(pinned);
    }
  });
});
