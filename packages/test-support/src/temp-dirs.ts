import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/**
 * A new, empty folder under the system temp directory, removed by {@link removeTempDirs} (call
 * it in `afterAll`; vitest ends its workers without an `exit` event, so nothing else would).
 *
 * @example
 * const file = join(tempDir(), 'kb.db');
 */
export function tempDir(prefix = 'mfmig-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * Removes every folder {@link tempDir} made in this process so far.
 *
 * @example
 * afterAll(removeTempDirs);
 */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A new temp folder with its own cleanup, for a test that removes what it made itself.
 *
 * @example
 * const { dir, cleanup } = scopedTempDir();
 * try { ... } finally { cleanup(); }
 */
export function scopedTempDir(prefix = 'mfmig-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A new temporary folder holding `files` (relative path -> text), removed by {@link removeTempDirs}.
 *
 * @example
 * const dir = tempTree({ 'mvp1/0001_init.sql': '-- migrate:up\nCREATE TABLE t (id integer);\n' });
 */
export function tempTree(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
