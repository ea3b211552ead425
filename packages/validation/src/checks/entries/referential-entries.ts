import { checkForeignKeyDefinitions, foreignKeyProbes } from '../referential-check.js';
import { type CatalogCheck, EVERY_LEVEL, type ProbeCheck } from '../validation-check.js';

/** Foreign keys: their definitions (catalog), and the rows that break them (probes). */
export const REFERENTIAL_CHECKS: (CatalogCheck | ProbeCheck)[] = [
  {
    id: 'referential.parents',
    kind: 'referential',
    levels: EVERY_LEVEL,
    codes: ['FK_PARENT_MISSING', 'FK_PARENT_KEY_INVALID'],
    where: 'catalog',
    description: 'foreign keys whose parent table is missing, or whose parent columns are not a key',
    run: async ({ check, env, rec }) => {
      await rec.guard(check, () => checkForeignKeyDefinitions(env));
    },
  },
  {
    id: 'referential.foreign_key_check',
    kind: 'referential',
    levels: EVERY_LEVEL,
    codes: ['FK_VIOLATION'],
    where: 'probe',
    description: '`PRAGMA foreign_key_check`, one per child table: rows whose parent does not exist',
    probes: {
      stage: 'schema',
      tasks: ({ env, rec }) => {
        const fk = foreignKeyProbes(env);
        for (const table of fk.notCheckable) {
          rec.skip(
            { id: 'referential.foreign_key_check', kind: 'referential', target: table },
            'not-applicable',
            'a foreign key of this table does not reference a key (FK_PARENT_KEY_INVALID), so SQLite refuses to check it',
          );
        }
        return fk.tasks;
      },
    },
  },
];
