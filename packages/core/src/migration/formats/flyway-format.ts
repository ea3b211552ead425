import { MfmigError } from '../../errors/index.js';
import { checksumMigration } from '../checksum.js';
import { prepareSqlSection } from '../connection-settings.js';
import { type Migration, type RepeatableMigration, sqlBody } from '../migration.js';
import { assertSafeMigrationSql } from '../sql-safety.js';
import { canonicalChecksum } from './canonical-sql.js';
import type { FolderLayout } from './detect-format.js';
import type { FolderEntry } from './folder-entry.js';
import { type LoadContext, humanise, invalidMigration, readMigrationText } from './load-context.js';
import { sqlMigration, wholeFileSql } from './sql-migration.js';

/** Flyway's inline script setting, or mfmig's header line, that keeps a script out of a transaction. */
const NO_TRANSACTION = /^--\s*(flyway:executeInTransaction\s*=\s*false|transaction:\s*none)\s*$/im;

/** Largest part 2 and part 3 of a Flyway version (exclusive): `1.999.999` is the last of major 1. */
const PART_LIMIT = 1000;

/**
 * The ordering key of a Flyway version: `p1 * 1e6 + p2 * 1e3 + p3`. It depends only on the
 * version string itself, so adding a file never changes another file's key (keys are recorded
 * in the history). At most three parts, parts 2 and 3 below 1000, a safe integer; anything else
 * is an error naming the file and the limit.
 *
 * @example
 * flywayVersionKey('1.1'); // 1001000
 * flywayVersionKey('2_0_3'); // 2000003
 */
export function flywayVersionKey(version: string, file = version): number {
  const parts = version.split(/[._]/);
  const numbers = parts.map(Number);
  const bad = (why: string) =>
    new MfmigError(
      'MIGRATION_INVALID',
      `Flyway version ${version} of ${file} ${why}: mfmig reads versions of at most 3 parts (1, 1.2, 1.2.3), parts 2 and 3 below ${PART_LIMIT}`,
      {
        context: { file },
      },
    );
  if (parts.length > 3) throw bad('has more than 3 parts');
  if (parts.some((p) => !/^\d+$/.test(p))) throw bad('is not numbers separated by "." or "_"');
  if (numbers.slice(1).some((n) => n >= PART_LIMIT)) throw bad(`has a part of ${PART_LIMIT} or more`);
  const key = numbers[0]! * 1e6 + (numbers[1] ?? 0) * 1e3 + (numbers[2] ?? 0);
  if (!Number.isSafeInteger(key)) throw bad('is too large');
  return key;
}

/**
 * The label of a Flyway version as users read it: `1_1` → `1.1`, leading zeros dropped.
 *
 * @example
 * flywayVersionLabel('01_1'); // '1.1'
 */
export function flywayVersionLabel(version: string): string {
  return version
    .split(/[._]/)
    .map((p) => String(Number(p)))
    .join('.');
}

/**
 * Reads a Flyway folder: `V<version>__<description>.sql` (the up), `U<version>__...sql` (its
 * down; an undo without its versioned migration is an error) and `R__<description>.sql`
 * repeatables, returned apart. Versions are ordered by {@link flywayVersionKey}; `versionLabel`
 * keeps `1.1`. A script with a `-- flyway:executeInTransaction=false` (or `-- transaction: none`)
 * line runs outside a transaction.
 *
 * @example
 * const { migrations, repeatables } = readFlywayFolder(detectLayout(ctx, 'flyway'), ctx);
 */
export function readFlywayFolder(layout: FolderLayout, ctx: LoadContext): { migrations: Migration[]; repeatables: RepeatableMigration[] } {
  const versioned = new Map<number, FolderEntry>();
  const undos = new Map<number, FolderEntry>();
  const repeatables: RepeatableMigration[] = [];
  for (const entry of layout.entries) {
    if (entry.kind === 'flyway-repeatable') {
      repeatables.push(readRepeatable(entry, ctx));
      continue;
    }
    const key = flywayVersionKey(entry.version, entry.entry);
    const into = entry.kind === 'flyway-undo' ? undos : versioned;
    const twin = into.get(key);
    if (twin) {
      throw new MfmigError('MIGRATION_DUPLICATE', `Duplicate migration version ${flywayVersionLabel(entry.version)} twice: ${twin.entry} and ${entry.entry}`, {
        context: { file: entry.path, version: key },
      });
    }
    into.set(key, entry);
  }
  for (const [key, undo] of undos) {
    if (!versioned.has(key))
      throw invalidMigration(
        `Migration ${undo.entry} undoes version ${flywayVersionLabel(undo.version)}, which has no V${undo.version}__*.sql file`,
        undo.path,
      );
  }
  const migrations = [...versioned].map(([version, entry]) => {
    const upText = readMigrationText(entry.path, ctx);
    const upSql = wholeFileSql(upText.text, upText.shown, entry.path);
    if (upSql === undefined) throw invalidMigration(`Malformed migration ${upText.shown}: it holds no SQL statement`, entry.path);
    const undo = undos.get(version);
    const downText = undo ? readMigrationText(undo.path, ctx) : undefined;
    const downSql = undo && downText ? wholeFileSql(downText.text, downText.shown, undo.path) : undefined;
    const versionLabel = flywayVersionLabel(entry.version);
    const transactions = {
      up: NO_TRANSACTION.test(upSql) ? 'none' : 'immediate',
      down: downSql && NO_TRANSACTION.test(downSql) ? 'none' : 'immediate',
    } as const;
    const checksum = canonicalChecksum({ upSql, downSql, versionLabel, transactions });
    return sqlMigration(
      { version, name: entry.name, mvp: 0, file: entry.path, checksum, versionLabel },
      { upSql, downSql, transactions },
      upText.shown,
      ctx.dialect,
    );
  });
  return { migrations, repeatables };
}

function readRepeatable(entry: FolderEntry, ctx: LoadContext): RepeatableMigration {
  const { text, shown } = readMigrationText(entry.path, ctx);
  const sql = wholeFileSql(text, shown, entry.path);
  if (sql === undefined) throw invalidMigration(`Malformed migration ${shown}: it holds no SQL statement`, entry.path);
  assertSafeMigrationSql(sql, shown, ctx.dialect);
  const transaction = NO_TRANSACTION.test(sql) ? 'none' : 'immediate';
  const prepared = prepareSqlSection(sql, { transactional: transaction === 'immediate', foreignKeys: undefined, where: shown });
  return {
    name: entry.name,
    description: humanise(entry.name),
    file: entry.path,
    checksum: checksumMigration(sql),
    transaction,
    connection: prepared.settings,
    sql,
    up: sqlBody((_db, migrationCtx) => migrationCtx.exec(prepared.statements.join('\n'))),
  };
}
