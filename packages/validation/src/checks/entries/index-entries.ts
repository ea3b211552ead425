import { checkForeignKeyIndexes, checkRedundantIndexes } from '../index-check.js';
import { type CatalogCheck, EVERY_LEVEL } from '../validation-check.js';

/** Indexes that are missing or redundant, from the catalog. */
export const INDEX_CHECKS: CatalogCheck[] = [
  {
    id: 'index.foreign_key_coverage',
    kind: 'index',
    levels: EVERY_LEVEL,
    codes: ['INDEX_FK_UNINDEXED'],
    where: 'catalog',
    description: 'foreign key columns without an index, in child tables of `largeTableRows` rows or more',
    run: async ({ check, env, rec }) => {
      await rec.guard(check, () => checkForeignKeyIndexes(env));
    },
  },
  {
    id: 'index.redundant',
    kind: 'index',
    levels: EVERY_LEVEL,
    codes: ['INDEX_REDUNDANT'],
    where: 'catalog',
    description: 'indexes that another index of the same table makes redundant',
    run: async ({ check, env, rec }) => {
      await rec.guard(check, () => checkRedundantIndexes(env));
    },
  },
];
