import { basename } from 'node:path';
import type { DialectName } from '../../dialect/dialect.js';

/** The dialects a migration file may be written for, as the infix of its name (`0001_init.postgres.sql`). */
export const DIALECT_VARIANTS: readonly DialectName[] = ['sqlite', 'postgres'];

const VARIANT = /^\d+_.+\.(sqlite|postgres)\.[a-z]+$/;
const VERSION = /^(\d+)_/;

/**
 * The dialect a migration file is written for, from its name: `0001_init.postgres.sql` is
 * PostgreSQL's variant of version 1; `0001_init.sql` is for every dialect (undefined).
 *
 * @example
 * dialectVariantOf('0005_map.postgres.ts'); // 'postgres'
 */
export function dialectVariantOf(file: string): DialectName | undefined {
  return VARIANT.exec(file)?.[1] as DialectName | undefined;
}

/**
 * The files of one dialect: a variant written for `dialect` replaces the plain file of the same
 * version, and variants written for another dialect are left out. So one folder holds the
 * migration set of every dialect, and each version keeps one name and one history row.
 *
 * @example
 * pickDialectVariants([{ path: 'mvp1/0001_init.sql' }, { path: 'mvp1/0001_init.postgres.sql' }], 'postgres');
 * // [{ path: 'mvp1/0001_init.postgres.sql' }]
 */
export function pickDialectVariants<T extends { path: string }>(files: readonly T[], dialect: DialectName): T[] {
  const versionOf = (f: T) => Number(VERSION.exec(basename(f.path))?.[1] ?? Number.NaN);
  const ownVariants = new Set(files.filter((f) => dialectVariantOf(basename(f.path)) === dialect).map(versionOf));
  return files.filter((f) => {
    const variant = dialectVariantOf(basename(f.path));
    if (variant !== undefined) return variant === dialect;
    return !ownVariants.has(versionOf(f));
  });
}
