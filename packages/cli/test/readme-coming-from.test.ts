// The commands of the root README's "Coming from dbmate / golang-migrate / Flyway / sqlx /
// Prisma" section, run as printed against each tool's folder laid out where the command looks.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

  it.each(blocks)('$tool: every command runs as printed', ({ tool, commands }) => {
    const dir = tempDir();
    const first = commands[0]!;
    const folder = first[first.indexOf('--migrations') + 1]!;
    for (const [path, text] of Object.entries(FOLDERS[tool]!)) {
      mkdirSync(dirname(join(dir, folder, path)), { recursive: true });
      writeFileSync(join(dir, folder, path), text);
    }
    for (const argv of commands) {
      const run = mfmig(dir, argv);
      expect(run.code, `${argv.join(' ')}: ${run.stderr}`).toBe(0);
    }
  });
});
