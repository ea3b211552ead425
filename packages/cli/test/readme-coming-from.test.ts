// The commands of the root README's "Coming from dbmate / golang-migrate / Flyway / sqlx /
// Prisma" section, run as printed against each tool's folder laid out where the command looks.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { writeToolHistory } from '@mfmig/test-support';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLANG_MIGRATE, TOOLS } from './harness/tool-folders.js';
import { REPO, mfmig, tempDir } from './helpers.js';

const FOLDERS: Record<string, Record<string, string>> = {
  dbmate: TOOLS.find((t) => t.tool === 'dbmate')!.files,
  'golang-migrate': GOLANG_MIGRATE,
  Flyway: TOOLS.find((t) => t.tool === 'Flyway')!.files,
  sqlx: TOOLS.find((t) => t.tool === 'sqlx')!.files,
  'Prisma Migrate': TOOLS.find((t) => t.tool === 'Prisma')!.files,
};

/** `{ tool, commands }` for each `**Tool.**` paragraph of the section and the sh block after it. */
function sectionCommands(): { tool: string; commands: string[][] }[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.split('\n## Coming from dbmate')[1]!.split('\n## ')[0]!;
  return [...section.matchAll(/\*\*([^*]+)\.\*\*[\s\S]*?```sh\n([\s\S]*?)```/g)].map((m) => ({
    tool: m[1]!,
    commands: m[2]!
      .split('\n')
      .filter((line) => line.startsWith('mfmig '))
      .map((line) => line.split(/\s+/).slice(1)),
  }));
}

describe('README: coming from other tools', () => {
  const blocks = sectionCommands();

  it('has one block per tool', () => {
    expect(blocks.map((b) => b.tool)).toEqual(Object.keys(FOLDERS));
  });

  const layOut = (tool: string, commands: string[][]) => {
    const dir = tempDir();
    const first = commands[0]!;
    const folder = first[first.indexOf('--migrations') + 1]!;
    for (const [path, text] of Object.entries(FOLDERS[tool]!)) {
      mkdirSync(dirname(join(dir, folder, path)), { recursive: true });
      writeFileSync(join(dir, folder, path), text);
    }
    return dir;
  };
  const runAll = (dir: string, commands: string[][]) => {
    for (const argv of commands) {
      const run = mfmig(dir, argv);
      expect(run.code, `${argv.join(' ')}: ${run.stderr}`).toBe(0);
    }
  };

  it.each(blocks)('$tool: every command runs as printed', ({ tool, commands }) => {
    runAll(layOut(tool, commands), commands);
  });

  // the tool applied its first migration and the application wrote a row: the same commands adopt
  // that database, never run the first migration again, keep the row and the tool's table
  it.each([
    ['dbmate', 'dbmate', '20151129054053', 'create_users_table', "INSERT INTO users (id, name, email) VALUES (1, 'ann', 'ann@example.com')"],
    [
      'golang-migrate',
      'golang-migrate',
      '1',
      'create_users_table',
      "INSERT INTO users (user_id, username, password, email) VALUES (1, 'ann', 'x', 'ann@example.com')",
    ],
  ] as const)('%s: the commands as printed adopt a database the tool migrated', (tool, fixture, version, name, insert) => {
    const block = blocks.find((b) => b.tool === tool)!;
    const dir = layOut(tool, block.commands);
    const first = Object.entries(FOLDERS[tool]!)
      .sort(([a], [b]) => a.localeCompare(b))
      .find(([path]) => !path.endsWith('.down.sql'))![1];
    const db = new Database(join(dir, 'app.db'));
    db.exec(first.split('-- migrate:down')[0]!.replace('-- migrate:up', ''));
    writeToolHistory(db, fixture, [{ version, name }]);
    db.exec(insert);
    const toolRows = db.prepare('SELECT * FROM schema_migrations').all();
    db.close();
    runAll(dir, block.commands);
    const after = new Database(join(dir, 'app.db'), { readonly: true });
    expect(after.prepare('SELECT email FROM users').all()).toEqual([{ email: 'ann@example.com' }]);
    expect(after.prepare('SELECT * FROM schema_migrations').all()).toEqual(toolRows);
    expect(after.prepare("SELECT count(*) AS n FROM mfmig_audit WHERE detail LIKE '%schema_migrations%'").get()).toEqual({ n: 1 });
    after.close();
  });
});
