import { basename, dirname, join } from 'node:path';
import { MfmigError, PLAIN_FAIL, messageOf, plain, zodModule, writeFileAtomic, readRegularFile } from '@mfmig/core';

/** The largest manifest read; a real one is about 2 KB. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * True for a name that stays in its folder: not empty, `.` or `..`, without a path separator or
 * a NUL.
 *
 * @example
 * isPlainFileName('x.db'); // true
 * isPlainFileName('..'); // false
 */
export function isPlainFileName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** True for a time `Date.parse` understands. */
const isTimestamp = (value: string): boolean => Number.isFinite(Date.parse(value));

/**
 * Format tag written into every backup manifest.
 *
 * @example
 * JSON.parse(readFileSync(manifestPath, 'utf8')).format === BACKUP_FORMAT;
 */
export const BACKUP_FORMAT = 'mfmig-backup/1';

/** Why a backup was taken. Retention only removes `manual`, `pre-run` and `pre-rollback` backups. */
export type BackupKind = 'manual' | 'pre-run' | 'pre-rollback' | 'checkpoint' | 'saved-aside';

/** The database a backup belongs to: its id (null when it had none) and its real path. */
export interface BackupOwner {
  id: string | null;
  path: string;
}

/** The JSON manifest written beside each backup file (`<id>.db` + `<id>.json`). */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  id: string;
  /** File name of the copy, in the same folder as the manifest. */
  file: string;
  kind: BackupKind;
  createdAt: string;
  /** Highest applied migration version when the copy was taken (0: none). */
  version: number;
  /** Milestone (MVP) the database was at, when known (0: none or unknown). */
  milestone: number;
  appliedVersions: number[];
  sizeBytes: number;
  sha256: string;
  integrity: {
    /** True when the integrity check ran on the copy and found it sound. */
    verified: boolean;
    checked: boolean;
    level: 'quick' | 'full' | null;
    result: string | null;
    checkedAt: string | null;
  };
  source: { path: string; journalMode: string; pageSize: number; pageCount: number };
  /**
   * The database the copy belongs to. Written by every backup since identities exist; an older
   * manifest without it belongs to the database at `source.path`.
   */
  database?: BackupOwner;
  /** The run the backup was taken for (pre-run backups). */
  run: { runId: string; direction: 'up' | 'down'; fromVersion: number; targetVersion: number } | null;
  label: string | null;
  timings: { copyMs: number; hashMs: number; verifyMs: number | null };
}

/** A manifest as found on disk, with the absolute paths of the copy and of the manifest. */
export interface BackupRecord extends BackupManifest {
  path: string;
  manifestPath: string;
}

// built, and zod loaded, the first time a manifest is read, not when the package is imported
let schema: ReturnType<typeof buildSchema> | undefined;
function buildSchema() {
  const { z } = zodModule();
  return z.object({
    format: z.literal(BACKUP_FORMAT),
    id: z.string().min(1),
    file: z.string().refine(isPlainFileName, "must be a plain file name in the manifest's folder"),
    kind: z.enum(['manual', 'pre-run', 'pre-rollback', 'checkpoint', 'saved-aside']),
    createdAt: z.string().refine(isTimestamp, 'must be a date and time'),
    version: z.number().int().nonnegative(),
    milestone: z.number().int().nonnegative(),
    appliedVersions: z.array(z.number().int()),
    sizeBytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    integrity: z.object({
      verified: z.boolean(),
      checked: z.boolean(),
      level: z.enum(['quick', 'full']).nullable(),
      result: z.string().nullable(),
      checkedAt: z.string().nullable(),
    }),
    source: z.object({ path: z.string(), journalMode: z.string(), pageSize: z.number(), pageCount: z.number() }),
    database: z.object({ id: z.string().min(1).nullable(), path: z.string().min(1) }).optional(),
    run: z.object({ runId: z.string(), direction: z.enum(['up', 'down']), fromVersion: z.number(), targetVersion: z.number() }).nullable(),
    label: z.string().nullable(),
    timings: z.object({ copyMs: z.number(), hashMs: z.number(), verifyMs: z.number().nullable() }),
  });
}
/** The zod schema of a manifest (built on first use): the authority {@link plainManifest} is held to. */
export function manifestSchema(): ReturnType<typeof buildSchema> {
  schema ??= buildSchema();
  return schema;
}

// A manifest mfmig wrote plainly passes the schema: taken without loading zod (core's
// plain-shape.ts), as zod would give it. Anything else (an unknown key, a bad value) goes
// through zod, which keeps or drops it, or says why not.
const { text, name, flag, number, integer, nullable, oneOf, where, list, object, required, optional } = plain;
const whole = where(integer, (v: number) => v >= 0);
export const plainManifest = object({
  format: required(oneOf([BACKUP_FORMAT])),
  id: required(name),
  file: required(where(text, isPlainFileName)),
  kind: required(oneOf(['manual', 'pre-run', 'pre-rollback', 'checkpoint', 'saved-aside'])),
  createdAt: required(where(text, isTimestamp)),
  version: required(whole),
  milestone: required(whole),
  appliedVersions: required(list(integer)),
  sizeBytes: required(whole),
  sha256: required(where(text, (v: string) => /^[0-9a-f]{64}$/.test(v))),
  integrity: required(
    object({
      verified: required(flag),
      checked: required(flag),
      level: required(nullable(oneOf(['quick', 'full']))),
      result: required(nullable(text)),
      checkedAt: required(nullable(text)),
    }),
  ),
  source: required(object({ path: required(text), journalMode: required(text), pageSize: required(number), pageCount: required(number) })),
  database: optional(object({ id: required(nullable(name)), path: required(name) })),
  run: required(
    nullable(object({ runId: required(text), direction: required(oneOf(['up', 'down'])), fromVersion: required(number), targetVersion: required(number) })),
  ),
  label: required(nullable(text)),
  timings: required(object({ copyMs: required(number), hashMs: required(number), verifyMs: required(nullable(number)) })),
});

/** The manifest as the schema would give it, or the schema's verdict. */
export function parseManifest(
  value: unknown,
): { success: true; data: unknown } | { success: false; issue: { path: PropertyKey[]; message: string } | undefined } {
  const quick = plainManifest(value);
  if (quick !== PLAIN_FAIL) return { success: true, data: quick };
  const result = manifestSchema().safeParse(value);
  return result.success ? { success: true, data: result.data } : { success: false, issue: result.error.issues[0] };
}

/** Path of the manifest that describes the backup file `dbPath` (`x.db` -> `x.json`). */
export function manifestPathFor(dbPath: string): string {
  return join(dirname(dbPath), `${basename(dbPath).replace(/\.db$/, '')}.json`);
}

/**
 * Reads and validates a backup manifest. A missing or malformed one is a `BACKUP_INVALID` error,
 * and so is one that is not a regular file (a symbolic link, a FIFO: never read, never waited on)
 * or is larger than {@link MAX_MANIFEST_BYTES}.
 *
 * @example
 * const backup = readBackupManifest('./backups/2025-01-01T10-00-00-000Z_v2_manual_ab12.json');
 */
export function readBackupManifest(manifestPath: string): BackupRecord {
  const file = readRegularFile(manifestPath, { maxSize: MAX_MANIFEST_BYTES });
  if (file.problem !== null) {
    throw new MfmigError('BACKUP_INVALID', `Backup manifest ${manifestPath} ${file.problem}`, { context: { file: manifestPath } });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.text);
  } catch (error) {
    throw new MfmigError('BACKUP_INVALID', `Backup manifest ${manifestPath} cannot be read: ${messageOf(error)}`, {
      context: { file: manifestPath },
    });
  }
  const result = parseManifest(parsed);
  if (!result.success) {
    const issue = result.issue;
    const id = typeof (parsed as { id?: unknown } | null)?.id === 'string' ? (parsed as { id: string }).id : undefined;
    throw new MfmigError(
      'BACKUP_INVALID',
      `Backup manifest ${manifestPath} is malformed: ${issue?.path.join('.') || 'manifest'} ${issue?.message ?? ''}`.trim(),
      {
        context: { file: manifestPath, id },
      },
    );
  }
  const manifest = result.data as BackupManifest;
  return { ...manifest, path: join(dirname(manifestPath), manifest.file), manifestPath };
}

/** Writes a manifest atomically beside its backup file. */
export function writeBackupManifest(manifestPath: string, manifest: BackupManifest): BackupRecord {
  writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...manifest, path: join(dirname(manifestPath), manifest.file), manifestPath };
}

/** The manifest fields alone (drops the absolute paths of a record). */
export function toManifest(record: BackupManifest): BackupManifest {
  const { path: _path, manifestPath: _manifestPath, ...manifest } = record as BackupRecord;
  return manifest;
}
