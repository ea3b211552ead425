import { integrityProbe, locateCorruptionProbes } from '../integrity-check.js';
import { EVERY_LEVEL, type ProbeCheck, type RunnerStep } from '../validation-check.js';

const INTEGRITY_CODES = ['DATABASE_CORRUPT', 'INDEX_CORRUPT', 'DATA_NULL_REQUIRED', 'DATA_CHECK_VIOLATION'] as const;

/** The file opens as a database: recorded by the service, as skipped, only when it does not. */
export const DATABASE_OPEN: RunnerStep = {
  id: 'database.open',
  kind: 'integrity',
  levels: EVERY_LEVEL,
  codes: ['DATABASE_CORRUPT'],
  where: 'catalog',
  step: 'open',
  description: 'the file opens as a SQLite database; listed (as skipped, reason `corrupt`) only when it does not, and then nothing else runs',
};

/** The integrity checks: SQLite's own pragmas, one of them per level, and the per-table follow-up. */
export const INTEGRITY_CHECKS: (ProbeCheck | RunnerStep)[] = [
  DATABASE_OPEN,
  {
    id: 'integrity.quick_check',
    kind: 'integrity',
    levels: ['quick', 'standard'],
    codes: INTEGRITY_CODES,
    where: 'probe',
    description: '`PRAGMA quick_check`: pages, records and NOT NULL constraints, O(N)',
    probes: { stage: 'schema', tasks: ({ env }) => [integrityProbe(env, 'quick_check')] },
  },
  {
    id: 'integrity.integrity_check',
    kind: 'integrity',
    levels: ['comprehensive'],
    codes: INTEGRITY_CODES,
    where: 'probe',
    description: '`PRAGMA integrity_check` instead of `quick_check`: also every index against its table, and UNIQUE constraints, O(N log N)',
    levelSkip: { message: 'index-vs-table and UNIQUE verification (integrity_check) runs at the comprehensive level; quick_check ran instead' },
    probes: { stage: 'schema', tasks: ({ env }) => [integrityProbe(env, 'integrity_check')] },
  },
  {
    id: 'integrity.locate',
    kind: 'integrity',
    levels: EVERY_LEVEL,
    codes: INTEGRITY_CODES,
    where: 'probe',
    description: 'only when the whole-file check cannot read the file: `PRAGMA quick_check` of each table, to name the damaged ones',
    probes: { stage: 'unreadable', tasks: ({ env }) => locateCorruptionProbes(env) },
  },
];
