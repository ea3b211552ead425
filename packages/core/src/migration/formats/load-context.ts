import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { relative, sep } from 'node:path';
import type { DialectName } from '../../dialect/dialect.js';
import { MfmigError } from '../../errors/index.js';

/** What every format's reader needs: where the folder is, and the limits a file must keep. */
export interface LoadContext {
  /** The folder as given, resolved. */
  root: string;
  /** The folder with its links resolved: nothing may point outside it. */
  realRoot: string;
  maxBytes: number;
  modules: 'import' | 'metadata';
  /** The dialect whose file variants are read (`0001_init.postgres.sql`); default sqlite. */
  dialect: DialectName;
}

/** A migration file read under the limits: its text and the path shown to users. */
export interface MigrationText {
  text: string;
  /** The path relative to the migrations folder, for messages. */
  shown: string;
}

/**
 * Reads one migration file: a link must stay inside the folder, the file must be regular, within
 * the size limit, and valid UTF-8.
 *
 * @example
 * const { text } = readMigrationText('/m/0001_init.sql', ctx);
 */
export function readMigrationText(path: string, ctx: LoadContext): MigrationText {
  const shown = relative(ctx.root, path);
  const lstat = lstatSync(path);
  if (lstat.isSymbolicLink()) assertInside(ctx, path);
  const stat = statSync(path);
  if (!stat.isFile()) throw invalidMigration(`Migration ${shown} is not a regular file`, path);
  if (stat.size > ctx.maxBytes) {
    throw invalidMigration(`Migration ${shown} is ${stat.size} bytes, over the ${ctx.maxBytes}-byte limit for one migration`, path);
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path)), shown };
  } catch {
    throw invalidMigration(`Migration ${shown} is not valid UTF-8 text`, path);
  }
}

/**
 * Refuses a path (a link, or a folder reached through one) that resolves outside the migrations folder.
 *
 * @example
 * assertInside(ctx, '/m/mvp1'); // throws MIGRATION_FORBIDDEN when mvp1 links elsewhere
 */
export function assertInside(ctx: Pick<LoadContext, 'root' | 'realRoot'>, path: string): void {
  const real = realpathSync(path);
  if (real !== ctx.realRoot && !real.startsWith(ctx.realRoot + sep)) {
    throw new MfmigError('MIGRATION_FORBIDDEN', `${relative(ctx.root, path)} is a link pointing outside the migrations folder; refused`, {
      context: { file: path },
    });
  }
}

/**
 * A migration's version number from its digits: at most 15 of them, a safe integer.
 *
 * @example
 * parseVersion('20240101120000', 'db/20240101120000_init.sql', file); // 20240101120000
 */
export function parseVersion(digits: string, shown: string, file: string): number {
  const version = Number(digits);
  if (digits.length > 15 || !Number.isSafeInteger(version)) {
    throw invalidMigration(`Migration ${shown}: version ${digits} is too large (at most ${Number.MAX_SAFE_INTEGER})`, file);
  }
  return version;
}

/**
 * `add_incident_tracking` → `Add incident tracking`.
 *
 * @example
 * humanise('add-notes_table'); // 'Add notes table'
 */
export function humanise(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A `MIGRATION_INVALID` error naming the file.
 *
 * @example
 * throw invalidMigration('Migration x.sql is empty', '/m/x.sql');
 */
export function invalidMigration(message: string, file: string, cause?: unknown): MfmigError {
  return new MfmigError('MIGRATION_INVALID', message, { context: { file }, cause });
}
