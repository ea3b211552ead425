import type { IntegrityCheckLevel } from '@mfmig/core';
import { RECORDER_CODES, VALIDATION_CHECKS } from './checks/registry.js';
import { type CatalogCheck, EVERY_LEVEL, type ValidationCheck, isCatalogCheck, isRunnerStep } from './checks/validation-check.js';
import { POSTGRES_CHECKS, type PostgresCheck } from './postgres/postgres-checks.js';
import type { Operation } from './run/run-operation.js';

/** The marker lines around the generated level section of the README. */
export const LEVELS_DOC_START = '<!-- validation-levels:start -->';
export const LEVELS_DOC_END = '<!-- validation-levels:end -->';

/** The marker lines around the generated PostgreSQL check table of the README. */
export const POSTGRES_DOC_MARKERS = { start: '<!-- postgres-checks:start -->', end: '<!-- postgres-checks:end -->' };

const LEVEL_MARKERS = { start: LEVELS_DOC_START, end: LEVELS_DOC_END };

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
 * The README's PostgreSQL check table, between its markers, generated from {@link POSTGRES_CHECKS}.
 *
 * @example
 * renderPostgresChecksDoc().split('\n')[2]; // '| check | kind | what it checks | findings |'
 */
export function renderPostgresChecksDoc(checks: readonly PostgresCheck[] = POSTGRES_CHECKS): string {
  return [
    '<!-- Generated from src/postgres/postgres-checks.ts by tools/generate-validation-levels.mjs: edit the list, then run the script. -->',
    '',
    row(['check', 'kind', 'what it checks', 'findings']),
    '| --- | --- | --- | --- |',
    ...checks.map((c) => row([code(c.id), c.kind, c.description, c.codes.map((k) => code(k.code)).join(', ')])),
  ].join('\n');
}

/**
 * `readme` with the text between its level markers (or `markers`) replaced by `section`.
 *
 * @example
 * writeFileSync(file, replaceLevelsDoc(readFileSync(file, 'utf8'), renderLevelsDoc()));
 */
export function replaceLevelsDoc(readme: string, section: string, markers: { start: string; end: string } = LEVEL_MARKERS): string {
  const start = readme.indexOf(markers.start);
  const end = readme.indexOf(markers.end);
  if (start < 0 || end < start) throw new Error(`the README has no ${markers.start} ... ${markers.end} section`);
  return `${readme.slice(0, start + markers.start.length)}\n${section}\n${readme.slice(end)}`;
}

/**
 * The text between the level markers (or `markers`) of `readme`, or null when it has none.
 *
 * @example
 * levelsDocOf(readFileSync('README.md', 'utf8')) === renderLevelsDoc(); // true when in sync
 */
export function levelsDocOf(readme: string, markers: { start: string; end: string } = LEVEL_MARKERS): string | null {
  const start = readme.indexOf(markers.start);
  const end = readme.indexOf(markers.end);
  if (start < 0 || end < start) return null;
  return readme
    .slice(start + markers.start.length, end)
    .replace(/^\n/, '')
    .replace(/\n$/, '');
}
