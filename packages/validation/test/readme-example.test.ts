import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createKnowledgeBase, tempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const PACKAGE = resolve(import.meta.dirname, '..');

/** The code block right after the standalone-example marker of the README, as printed. */
function readmeExample(): string {
  const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
  const marker = readme.indexOf('<!-- standalone-example');
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (marker < 0 || !match) throw new Error('README has no standalone example');
  return match[1]!;
}

/** Runs the example in a folder holding knowledge.db and no migrations folder, the way a user would. */
async function runExample(prepare?: (file: string) => void): Promise<unknown[][]> {
  const dir = tempDir();
  await createKnowledgeBase(join(dir, 'knowledge.db'), { rows: 500 });
  prepare?.(join(dir, 'knowledge.db'));
  symlinkSync(join(PACKAGE, 'node_modules'), join(dir, 'node_modules'));
  const script = join(dir, 'example.mjs');
  writeFileSync(script, readmeExample());
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await import(pathToFileURL(script).href);
    return log.mock.calls;
  } finally {
    process.chdir(cwd);
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the README standalone example', () => {
  it('imports only @mfmig/validation and better-sqlite3', () => {
    const imports = [...readmeExample().matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports).toEqual(['better-sqlite3', '@mfmig/validation']);
  });

  it('runs as printed on a healthy knowledge base', async () => {
    const calls = await runExample();
    expect(calls).toEqual([
      ['Overall Health:', 100],
      ['Critical Issues:', 0],
      ['Migration Safety:', 'safe'],
    ]);
  });

  it('runs as printed on one with a planted orphan row, and prints the finding with its suggestion', async () => {
    const calls = await runExample((file) => {
      const db = new Database(file);
      db.pragma('foreign_keys = OFF');
      db.prepare("INSERT INTO kb_feedback (entry_id, rating, created_at) VALUES (999999, 'success', '2024-01-01')").run();
      db.close();
    });
    expect(calls.slice(0, 3)).toEqual([
      ['Overall Health:', 90],
      ['Critical Issues:', 0],
      ['Migration Safety:', 'caution'],
    ]);
    const lines = calls.slice(3).map((c) => String(c[0]));
    expect(lines.filter((l) => l.startsWith('- '))).toEqual([expect.stringMatching(/^- high FK_VIOLATION: /)]);
    expect(lines.some((l) => l.startsWith('  Suggestion: '))).toBe(true);
  });
});
