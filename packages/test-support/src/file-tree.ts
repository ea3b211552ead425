import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * What a folder holds, entry by entry: each file by its sha256, each symbolic link by its target
 * (never followed), each folder, FIFO or other node by its kind. Two snapshots are equal when
 * every entry is byte for byte the same, so a test can prove that nothing outside the place it
 * meant to change was touched.
 *
 * @example
 * const before = snapshotTree(dir);
 * runTheCommand();
 * expect(withoutEntries(snapshotTree(dir), ['report.html'])).toEqual(before);
 */
export function snapshotTree(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const key = relative(root, path);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) entries[key] = `link -> ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        entries[key] = 'dir';
        walk(path);
      } else if (stat.isFile()) entries[key] = `file ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
      else if (stat.isFIFO()) entries[key] = 'fifo';
      else entries[key] = 'other';
    }
  };
  walk(root);
  return entries;
}

/**
 * A snapshot without the given entries (and what lies below them), for comparing everything but
 * the places a command was meant to change.
 *
 * @example
 * withoutEntries(snapshotTree(dir), ['backups']);
 */
export function withoutEntries(snapshot: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot).filter(([key]) => !keys.some((k) => key === k || key.startsWith(`${k}/`))));
}
