import { MfmigError } from '@mfmig/core';

/** Throws USAGE unless `rows` is a whole number >= 0: the first check of every seed writer. */
export function assertSeedRows(rows: number): void {
  if (!Number.isSafeInteger(rows) || rows < 0) {
    throw new MfmigError('USAGE', `Seed rows must be a whole number >= 0, not ${String(rows)}`);
  }
}

/** The refusal of a seed into a database without kb_entries. */
export function noKbEntriesError(): MfmigError {
  return new MfmigError('USAGE', 'The database has no kb_entries table; migrate it to MVP1 first');
}

/** The refusal of a seed into a kb_entries table that already holds `existing` rows. */
export function kbEntriesNotEmptyError(existing: number): MfmigError {
  return new MfmigError('USAGE', `kb_entries already holds ${existing} rows; seed a new database file instead`);
}
