import { basename, join } from 'node:path';
import { MfmigError } from '../../errors/index.js';
import type { MigrationSet } from '../migration.js';

/** A file `mfmig new` writes. */
export interface NewMigrationFile {
  path: string;
  text: string;
}

/** What {@link planNewMigration} decided: the files, and the version as the folder writes it. */
export interface NewMigrationPlan {
  version: string;
  files: NewMigrationFile[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** SQL that loads and applies as it is; the author replaces it. */
const placeholder = (what: string) => `-- ${what}\nSELECT 1;\n`;
const MARKED = (name: string) => `-- migrate:up\n${placeholder(`${name}: write the change here`)}\n-- migrate:down\n${placeholder('undo the change here')}`;

/**
 * The files of a new migration named `name`, in the folder's own convention: `mvpN/` folders get
 * the next version in the last (or a new, `mvp` + 1) milestone; flat mfmig the next number with
 * the same zero padding; dbmate, sqlx and Prisma a UTC timestamp `YYYYMMDDHHMMSS`; golang-migrate
 * the next 6-digit number (a timestamp when the folder uses them), up and down; Flyway the next
 * `V` major (and a `U` file when the folder has undo files). An empty folder gets `0001_name.sql`.
 * Templates hold both sections where the format has downs, and a placeholder statement so that
 * the folder still loads.
 *
 * @example
 * planNewMigration(set, 'add_notes').files[0].path; // '/m/mvp3/0012_add_notes.sql'
 */
export function planNewMigration(set: MigrationSet, name: string, options: { mvp?: number; now?: Date } = {}): NewMigrationPlan {
  if (!NAME.test(name)) throw usage(`Migration name "${name}" must be letters, digits, "_" and "-" (starting with a letter or digit), at most 100 characters`);
  const last = set.migrations.at(-1);
  const max = last?.version ?? 0;
  const stamp = timestamp(options.now ?? new Date(), max);
  const digits = last ? (/^\d+/.exec(basename(last.file))?.[0] ?? String(last.version)) : '0001';
  const hasMilestoneDirs = set.milestoneSource === 'folders';
  if (options.mvp !== undefined && set.migrations.length > 0 && !hasMilestoneDirs) {
    throw usage(`--mvp is for folders of mvpN/ milestone folders; ${set.root} is a flat ${set.format} folder`);
  }
  switch (set.format) {
    case 'mfmig': {
      const version = String(max + 1).padStart(digits.length, '0');
      if (!hasMilestoneDirs && options.mvp === undefined) return single(join(set.root, `${version}_${name}.sql`), version, MARKED(name));
      const lastMvp = set.milestones.at(-1) ?? 0;
      const mvp = options.mvp ?? Math.max(lastMvp, 1);
      if (!Number.isSafeInteger(mvp) || mvp < Math.max(lastMvp, 1) || mvp > lastMvp + 1) {
        throw usage(
          `--mvp ${mvp}: versions grow with milestones, so a new migration goes in mvp${Math.max(lastMvp, 1)}${lastMvp > 0 ? ` or mvp${lastMvp + 1}` : ''}`,
        );
      }
      return single(join(set.root, `mvp${mvp}`, `${version}_${name}.sql`), version, MARKED(name));
    }
    case 'dbmate':
      return single(join(set.root, `${stamp}_${name}.sql`), stamp, MARKED(name));
    case 'golang-migrate': {
      const version = digits.length >= 14 ? stamp : String(max + 1).padStart(6, '0');
      return pair(set.root, version, name);
    }
    case 'sqlx':
      if (set.migrations.some((m) => m.file.endsWith('.up.sql'))) return pair(set.root, stamp, name);
      return single(join(set.root, `${stamp}_${name}.sql`), stamp, placeholder(`${name}: write the change here (sqlx: the whole file is the migration)`));
    case 'flyway': {
      const major = String(Math.floor(max / 1e6) + 1);
      const files = [{ path: join(set.root, `V${major}__${name}.sql`), text: placeholder(`${name}: write the change here`) }];
      if (set.migrations.some((m) => m.downSql !== undefined))
        files.push({ path: join(set.root, `U${major}__${name}.sql`), text: placeholder('undo the change here') });
      return { version: major, files };
    }
    case 'prisma':
      return single(join(set.root, `${stamp}_${name}`, 'migration.sql'), stamp, placeholder(`${name}: write the change here`));
  }
}

function single(path: string, version: string, text: string): NewMigrationPlan {
  return { version, files: [{ path, text }] };
}

function pair(root: string, version: string, name: string): NewMigrationPlan {
  return {
    version,
    files: [
      { path: join(root, `${version}_${name}.up.sql`), text: placeholder(`${name}: write the change here`) },
      { path: join(root, `${version}_${name}.down.sql`), text: placeholder('undo the change here') },
    ],
  };
}

/** `YYYYMMDDHHMMSS` in UTC, or the next number after `max` when the clock is not past it. */
function timestamp(now: Date, max: number): string {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  return Number(stamp) > max ? stamp : String(max + 1);
}

function usage(message: string): MfmigError {
  return new MfmigError('USAGE', message);
}
