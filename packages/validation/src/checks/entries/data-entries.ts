import { dataProbes } from '../data-check.js';
import { rowRuleProbes } from '../row-rules-check.js';
import { FROM_STANDARD, type ProbeCheck, type ProbeSource } from '../validation-check.js';

/** One scan per table for every rule a row can break on its own. */
const ROW_RULES: ProbeSource = { stage: 'milestone', tasks: ({ env }) => rowRuleProbes(env) };

/** The declarations that need more than one row at a time. */
const DECLARED_SETS: ProbeSource = { stage: 'milestone', tasks: ({ env }) => dataProbes(env) };

/** Below standard, one line says that none of the data checks ran. */
const LEVEL_SKIP = {
  id: 'data.declarations',
  message: 'CHECK constraints and the declared NULL, domain, uniqueness and reference checks run at the standard level and above',
};

/** The data: CHECK constraints and what the milestones declare where the schema does not enforce it. */
export const DATA_CHECKS: ProbeCheck[] = [
  {
    id: 'data.check_constraints',
    kind: 'data',
    levels: FROM_STANDARD,
    codes: ['DATA_CHECK_VIOLATION'],
    where: 'probe',
    description:
      'CHECK constraints, evaluated by the validator (SQLite does not load them on a read-only connection), in one scan per table with the domain and required-column rules',
    levelSkip: LEVEL_SKIP,
    probes: ROW_RULES,
  },
  {
    id: 'data.domain',
    kind: 'data',
    levels: FROM_STANDARD,
    codes: ['DATA_DOMAIN_VIOLATION'],
    where: 'probe',
    description: 'values outside the declared domains',
    levelSkip: LEVEL_SKIP,
    probes: ROW_RULES,
  },
  {
    id: 'data.required',
    kind: 'data',
    levels: FROM_STANDARD,
    codes: ['DATA_NULL_REQUIRED'],
    where: 'probe',
    description: 'NULLs in declared required columns that the schema leaves nullable',
    levelSkip: LEVEL_SKIP,
    probes: ROW_RULES,
  },
  {
    id: 'data.unique',
    kind: 'data',
    levels: FROM_STANDARD,
    codes: ['DATA_DUPLICATE'],
    where: 'probe',
    description: 'duplicates where uniqueness is declared but no UNIQUE index enforces it (a GROUP BY)',
    levelSkip: LEVEL_SKIP,
    probes: DECLARED_SETS,
  },
  {
    id: 'data.references',
    kind: 'data',
    levels: FROM_STANDARD,
    codes: ['DATA_ORPHAN'],
    where: 'probe',
    description: 'orphans of declared references that have no FOREIGN KEY',
    levelSkip: LEVEL_SKIP,
    probes: DECLARED_SETS,
  },
];
