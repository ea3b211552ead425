import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SQL_MARKER } from '../sql-file-parser.js';
import type { FolderEntry } from './folder-entry.js';
import { type LoadContext, assertInside, invalidMigration, readMigrationText } from './load-context.js';

const MILESTONE_DIR = /^mvp(\d{1,6})$/;
const PRISMA_DIR = /^(\d+)_(.+)$/;
const FLYWAY = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const FLYWAY_REPEATABLE = /^R__(.+)\.sql$/;
const UP_DOWN = /^(\d+)_(.+)\.(up|down)\.sql$/;
const MODULE = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.(ts|mts|cts|js|mjs|cjs)$/;
const SQL_FILE = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.sql$/;
/** Extensions a migration could have: such a file that fits no format is an error, never skipped. */
export const MIGRATION_EXT = /\.(sql|ts|mts|cts|js|mjs|cjs)$/;

/**
 * True for what sits beside migrations without being one: dotfiles, READMEs and docs, Prisma's
 * `migration_lock.toml`, TypeScript declarations.
 *
 * @example
 * isIgnoredEntry('README.md'); // true
 */
export function isIgnoredEntry(name: string): boolean {
  return (
    name.startsWith('.') ||
    /^readme/i.test(name) ||
    /^(license|changelog)/i.test(name) ||
    /\.(md|markdown|txt|rst|adoc)$/i.test(name) ||
    name === 'migration_lock.toml' ||
    name.endsWith('.d.ts')
  );
}

/**
 * Classifies one entry of a migrations folder by its name: undefined when it fits no format
 * (the caller decides whether that is an error). A name that looks like a migration of some
 * format but breaks its rules is an error naming the file and the reason.
 *
 * @example
 * classifyEntry('V1_1__add_index.sql', ctx)?.kind; // 'flyway-versioned'
 */
export function classifyEntry(entry: string, ctx: LoadContext): FolderEntry | undefined {
  const path = join(ctx.root, entry);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw invalidMigration(`${entry} is a link to nothing (its target does not exist); remove it or restore the target`, path);
  if (stat.isDirectory()) {
    const milestone = MILESTONE_DIR.exec(entry);
    if (milestone) {
      assertInside(ctx, path);
      return { kind: 'milestone-dir', entry, path, version: milestone[1]!, name: entry };
    }
    const prisma = PRISMA_DIR.exec(entry);
    if (prisma) {
      assertInside(ctx, path);
      const file = join(path, 'migration.sql');
      if (!existsSync(file))
        throw invalidMigration(`Migration folder ${entry} has no migration.sql (Prisma Migrate keeps each migration in <timestamp>_name/migration.sql)`, path);
      return { kind: 'prisma-dir', entry, path: file, version: prisma[1]!, name: prisma[2]! };
    }
    return undefined;
  }
  const flyway = FLYWAY.exec(entry);
  if (flyway) return { kind: flyway[1] === 'V' ? 'flyway-versioned' : 'flyway-undo', entry, path, version: flyway[2]!, name: flyway[3]! };
  const repeatable = FLYWAY_REPEATABLE.exec(entry);
  if (repeatable) return { kind: 'flyway-repeatable', entry, path, version: '', name: repeatable[1]! };
  const upDown = UP_DOWN.exec(entry);
  if (upDown) return { kind: upDown[3] === 'up' ? 'up' : 'down', entry, path, version: upDown[1]!, name: upDown[2]! };
  const module = MODULE.exec(entry);
  if (module) return { kind: 'module', entry, path, version: module[1]!, name: module[2]! };
  const sql = SQL_FILE.exec(entry);
  if (sql) {
    const { text } = readMigrationText(path, ctx);
    const marked = text.split(/\r\n|\r|\n/).some((line) => SQL_MARKER.test(line.trim()));
    return { kind: marked ? 'marked' : 'plain', entry, path, version: sql[1]!, name: sql[2]!, text };
  }
  assertNotNearMiss(entry, path);
  return undefined;
}

/** Names that are almost a migration of some format: say what is wrong rather than skip them. */
function assertNotNearMiss(entry: string, path: string): void {
  if (!MIGRATION_EXT.test(entry)) return;
  const reason = nearMissReason(entry);
  if (reason) throw invalidMigration(`Malformed migration file name ${entry}: ${reason}`, path);
}

function nearMissReason(entry: string): string | undefined {
  if (/^[VU]\d[\d._]*__/.test(entry)) return 'a Flyway version is numbers separated by "." or "_" (at most V1.2.3), e.g. V1_1__add_index.sql';
  if (/^[VU]\d/.test(entry)) return 'Flyway names need two underscores between version and description, e.g. V1__create_users.sql';
  if (/^R_[^_]/.test(entry)) return 'Flyway repeatable names start with R and two underscores, e.g. R__refresh_views.sql';
  if (/^\d+__/.test(entry)) return "one underscore after the version, e.g. 0007_add_notes.sql (two underscores are Flyway's V1__name.sql)";
  if (/^\d+\.[a-z]+$/.test(entry)) return 'no name after the version, e.g. 0007_add_notes.sql';
  if (/^\d/.test(entry)) return 'expected <version>_<name>.sql (letters, digits, "_", "-", "." in the name), e.g. 0007_add_notes.sql';
  return undefined;
}
