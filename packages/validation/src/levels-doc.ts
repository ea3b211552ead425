import type { IntegrityCheckLevel } from '@mfmig/core';
import { RECORDER_CODES, VALIDATION_CHECKS } from './checks/registry.js';
import { type CatalogCheck, EVERY_LEVEL, type ValidationCheck, isCatalogCheck, isRunnerStep } from './checks/validation-check.js';
import type { Operation } from './run/run-operation.js';

/** The marker lines around the generated level section of the README. */
export const LEVELS_DOC_START = '<!-- validation-levels:start -->';
export const LEVELS_DOC_END = '<!-- validation-levels:end -->';

const METHOD: Record<Operation, string> = {
  comprehensive: 'performComprehensiveValidation',
  'pre-migration': 'validatePreMigrationState',
  'post-migration': 'validatePostMigration',
  rollback: 'validateRollbackResult',
  plan: 'validateMigrationPlan',
};

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|');
const codes = (check: ValidationCheck) => check.codes.map(code).join(', ');
const row = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
const list = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/**
 * The README's level section, between its markers (exclusive), generated from the check
 * registry: one table of the checks every method that checks the database runs, with the
 * levels that run each, one of the checks a single method adds, and the codes any check can
 * end in.
 *
 * @example
 * renderLevelsDoc().split('\n')[2]; // '| check | where | quick | standard | comprehensive | what it checks | findings |'
 */
export function renderLevelsDoc(checks: readonly ValidationCheck[] = VALIDATION_CHECKS): string {
  const ofLevel = checks.filter((c) => !isCatalogCheck(c) || c.operation === undefined);
  const ofMethod = checks.filter((c): c is CatalogCheck & Required<Pick<CatalogCheck, 'operation'>> => isCatalogCheck(c) && c.operation !== undefined);
  const inPlan = checks.filter((c) => isRunnerStep(c) || (isCatalogCheck(c) && c.operation === undefined && c.inPlan)).map((c) => code(c.id));
  const mark = (check: ValidationCheck, level: IntegrityCheckLevel) => (check.levels.includes(level) ? '✓' : '');
  const lines = [
    '<!-- Generated from src/checks/registry.ts by tools/generate-validation-levels.mjs: edit the registry, then run the script. -->',
    '',
    row(['check', 'where', ...EVERY_LEVEL, 'what it checks', 'findings']),
    `| --- | --- | ${EVERY_LEVEL.map(() => ':-:').join(' | ')} | --- | --- |`,
    ...ofLevel.map((c) => row([code(c.id), c.where, ...EVERY_LEVEL.map((level) => mark(c, level)), c.description, codes(c)])),
    '',
    `Each method adds its own checks, at every level, after those above; \`${METHOD.plan}\` runs no probe, and of the catalog checks only ${list(inPlan)}:`,
    '',
    row(['method', 'check', 'what it checks', 'findings']),
    '| --- | --- | --- | --- |',
    ...ofMethod.map((c) => row([code(METHOD[c.operation]), code(c.id), c.description, codes(c)])),
    '',
    `Besides, the run adds ${list(RECORDER_CODES.map((r) => `${code(r.code)} when ${r.description}`))}.`,
  ];
  return lines.join('\n');
}

/**
 * `readme` with the text between its level markers replaced by `section`.
 *
 * @example
 * writeFileSync(file, replaceLevelsDoc(readFileSync(file, 'utf8'), renderLevelsDoc()));
 */
export function replaceLevelsDoc(readme: string, section: string): string {
  const start = readme.indexOf(LEVELS_DOC_START);
  const end = readme.indexOf(LEVELS_DOC_END);
  if (start < 0 || end < start) throw new Error(`the README has no ${LEVELS_DOC_START} ... ${LEVELS_DOC_END} section`);
  return `${readme.slice(0, start + LEVELS_DOC_START.length)}\n${section}\n${readme.slice(end)}`;
}

/**
 * The text between the level markers of `readme`, or null when it has none.
 *
 * @example
 * levelsDocOf(readFileSync('README.md', 'utf8')) === renderLevelsDoc(); // true when in sync
 */
export function levelsDocOf(readme: string): string | null {
  const start = readme.indexOf(LEVELS_DOC_START);
  const end = readme.indexOf(LEVELS_DOC_END);
  if (start < 0 || end < start) return null;
  return readme
    .slice(start + LEVELS_DOC_START.length, end)
    .replace(/^\n/, '')
    .replace(/\n$/, '');
}
