import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { MfmigError } from '../../errors/index.js';
import { type MigrationSet, transactionModeOf } from '../migration.js';
import { renderMfmigSql } from './canonical-sql.js';

/** One file of an imported folder: its name in the flat mfmig folder, and its text. */
export interface ImportedFile {
  name: string;
  text: string;
  version: number;
  /** The checksum the migration has in the source folder (and keeps in the written file). */
  checksum: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The flat mfmig folder `mfmig import` writes for a loaded folder: one `NNNN_name.sql` per
 * migration with `-- migrate:up` / `-- migrate:down`, its version as the file's number (Flyway's
 * ordering key, with a `-- version-label: 1.1` header). mfmig and dbmate files are copied as they
 * are, other formats rendered by {@link renderMfmigSql}: either way each migration keeps its
 * checksum. Refused: `.ts`/`.js` modules, and Flyway repeatables (mfmig has none of its own).
 *
 * @example
 * importFiles(await loadMigrations('./db/migrations', { format: 'golang-migrate' }))[0].name; // '0001_create_users.sql'
 */
export function importFiles(set: MigrationSet): ImportedFile[] {
  const repeatable = set.repeatables[0];
  if (repeatable) {
    throw refused(
      `${relative(set.root, repeatable.file)} is a repeatable migration; mfmig has none of its own, so import does not carry them: keep the folder in Flyway format (mfmig reads it as it is), or turn it into a versioned migration first`,
      repeatable.file,
    );
  }
  return set.migrations.map((m) => {
    const shown = relative(set.root, m.file);
    if (m.kind !== 'sql') throw refused(`${shown} is a .ts/.js module; import converts SQL migrations only (copy modules over as they are)`, m.file);
    if (!NAME.test(m.name))
      throw refused(`${shown}: its name "${m.name}" cannot be an mfmig file name (letters, digits, "_", "-", "."); rename it first`, m.file);
    const text =
      set.format === 'mfmig' || set.format === 'dbmate'
        ? readFileSync(m.file, 'utf8')
        : renderMfmigSql({
            upSql: m.upSql ?? '',
            downSql: m.downSql,
            versionLabel: m.versionLabel,
            transactions: { up: transactionModeOf(m, 'up'), down: transactionModeOf(m, 'down') },
          });
    return { name: `${String(m.version).padStart(4, '0')}_${m.name}.sql`, text, version: m.version, checksum: m.checksum };
  });
}

function refused(message: string, file: string): MfmigError {
  return new MfmigError('USAGE', `Cannot import: ${message}`, { context: { file } });
}
