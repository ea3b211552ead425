import { hasCode } from '../../adapter/sql-splitter.js';
import type { DialectName } from '../../dialect/dialect.js';
import { prepareSqlSection } from '../connection-settings.js';
import { type Direction, type Migration, type MigrationMeta, type TransactionMode, sqlBody } from '../migration.js';
import { SQL_MARKER } from '../sql-file-parser.js';
import { assertSafeMigrationSql } from '../sql-safety.js';
import { humanise, invalidMigration } from './load-context.js';

/** The SQL of a migration in any format, with what its file declares. */
export interface SqlSections {
  upSql: string;
  downSql?: string;
  meta?: MigrationMeta;
  /** Per-section transaction modes (marker options); they win over `meta.transaction`. */
  transactions?: Partial<Record<Direction, TransactionMode>>;
  /** The file line each section starts on (files with sections); whole-file SQL starts on line 1. */
  lines?: Partial<Record<Direction, number>>;
}

/**
 * Builds a SQL migration: checks both sections (SQL safety for the dialect it is loaded for,
 * connection settings) and runs each direction in its own transaction mode.
 *
 * @example
 * sqlMigration({ version: 1, name: 'init', mvp: 0, file: '/m/1_init.up.sql', checksum }, { upSql: 'CREATE TABLE t (id INTEGER);' }, '1_init.up.sql');
 */
export function sqlMigration(
  base: Pick<Migration, 'version' | 'name' | 'mvp' | 'file' | 'checksum' | 'versionLabel' | 'dialectVariant'>,
  sections: SqlSections,
  shown: string,
  dialect: DialectName = 'sqlite',
): Migration {
  const meta = sections.meta ?? {};
  const { upSql, downSql } = sections;
  assertSafeMigrationSql(upSql, shown, dialect);
  if (downSql) assertSafeMigrationSql(downSql, shown, dialect);
  const mode = (direction: Direction): TransactionMode => sections.transactions?.[direction] ?? meta.transaction ?? 'immediate';
  const prepare = (sql: string, direction: Direction) =>
    prepareSqlSection(sql, { transactional: mode(direction) === 'immediate', foreignKeys: meta.foreignKeys, where: shown });
  const up = prepare(upSql, 'up');
  const down = downSql === undefined ? undefined : prepare(downSql, 'down');
  const transactions = { up: mode('up'), down: mode('down') };
  const { versionLabel, ...rest } = base;
  return {
    ...rest,
    ...(versionLabel === undefined ? {} : { versionLabel }),
    kind: 'sql',
    description: meta.description ?? humanise(base.name),
    transaction: transactions.up,
    ...(transactions.up === transactions.down ? {} : { transactions }),
    foreignKeys: up.settings.foreignKeys,
    connection: { up: up.settings, down: down?.settings ?? { foreignKeys: meta.foreignKeys ?? 'on', legacyAlterTable: false } },
    irreversible: meta.irreversible ?? false,
    up: sqlBody((_db, ctx) => ctx.exec(up.statements.join('\n'))),
    down: down === undefined ? undefined : sqlBody((_db, ctx) => ctx.exec(down.statements.join('\n'))),
    upSql,
    downSql,
    ...(sections.lines ? { sqlLines: sections.lines } : {}),
    transformations: [],
  };
}

/**
 * The SQL of a file that is one section as a whole (golang-migrate, sqlx, Flyway, Prisma): trimmed,
 * without a byte-order mark; undefined when it holds no statement. A `-- migrate:` line is refused:
 * mfmig's own format gives it a meaning, so the file would not convert faithfully.
 *
 * @example
 * wholeFileSql('CREATE TABLE t (id INTEGER);\n', 'x.up.sql', '/m/x.up.sql'); // 'CREATE TABLE t (id INTEGER);'
 */
export function wholeFileSql(text: string, shown: string, file: string): string | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const marker = lines.findIndex((line) => SQL_MARKER.test(line.trim()));
  if (marker >= 0) {
    throw invalidMigration(
      `Malformed migration ${shown}:${marker + 1}: a "-- migrate:" marker line in a file of a format without markers (dbmate's has them); remove it, or read the folder as dbmate`,
      file,
    );
  }
  const sql = lines.join('\n').trim();
  return hasCode(sql) ? sql : undefined;
}
