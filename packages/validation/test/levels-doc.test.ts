import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEVEL_CHECKS } from '@mfmig/validation';
import { VALIDATION_CHECKS } from '../src/checks/registry.js';
import {
  LEVELS_DOC_END,
  LEVELS_DOC_START,
  POSTGRES_DOC_MARKERS,
  levelsDocOf,
  renderLevelsDoc,
  renderPostgresChecksDoc,
  replaceLevelsDoc,
} from '../src/levels-doc.js';
import { POSTGRES_CHECKS } from '../src/postgres/postgres-checks.js';

const README = resolve(import.meta.dirname, '../README.md');

describe('the level documentation is generated from the check registry', () => {
  it('the README level section is what the registry generates (run node tools/generate-validation-levels.mjs)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme.split(LEVELS_DOC_START)).toHaveLength(2);
    expect(readme.split(LEVELS_DOC_END)).toHaveLength(2);
    expect(levelsDocOf(readme)).toBe(renderLevelsDoc());
  });

  it('the README PostgreSQL table is what POSTGRES_CHECKS generates, each check listed once', () => {
    const readme = readFileSync(README, 'utf8');
    expect(levelsDocOf(readme, POSTGRES_DOC_MARKERS)).toBe(renderPostgresChecksDoc());
    for (const check of POSTGRES_CHECKS) expect(renderPostgresChecksDoc().split(`| \`${check.id}\` |`)).toHaveLength(2);
  });

  it('lists every check of the registry once', () => {
    const section = renderLevelsDoc();
    for (const check of VALIDATION_CHECKS) expect(section.split(`| \`${check.id}\` |`)).toHaveLength(2);
  });

  it('replaces only the text between the markers', () => {
    const readme = `# x\n\nbefore\n\n${LEVELS_DOC_START}\nold table\n${LEVELS_DOC_END}\n\nafter\n`;
    const updated = replaceLevelsDoc(readme, 'new table');
    expect(updated).toBe(`# x\n\nbefore\n\n${LEVELS_DOC_START}\nnew table\n${LEVELS_DOC_END}\n\nafter\n`);
    expect(levelsDocOf(updated)).toBe('new table');
    expect(replaceLevelsDoc(updated, 'new table')).toBe(updated);
    expect(() => replaceLevelsDoc('# no markers\n', 'x')).toThrow(/validation-levels/);
  });

  it('LEVEL_CHECKS describes the levels from the registry', () => {
    expect(Object.keys(LEVEL_CHECKS)).toEqual(['quick', 'standard', 'comprehensive']);
    for (const [level, description] of Object.entries(LEVEL_CHECKS)) {
      expect(description.level).toBe(level);
      expect(description.catalogWork).toEqual(LEVEL_CHECKS.quick.catalogWork);
      for (const line of [...description.dataWork, ...description.catalogWork]) expect(line).not.toContain('`');
    }
    expect(LEVEL_CHECKS.quick.dataWork[0]).toMatch(/^PRAGMA quick_check/);
    expect(LEVEL_CHECKS.comprehensive.dataWork[0]).toMatch(/^PRAGMA integrity_check/);
    expect(LEVEL_CHECKS.quick.dataWork.length).toBeLessThan(LEVEL_CHECKS.standard.dataWork.length);
    expect(LEVEL_CHECKS.comprehensive.dataWork.some((w) => w.includes('dbstat'))).toBe(true);
    expect(LEVEL_CHECKS.standard.dataWork.some((w) => w.includes('dbstat'))).toBe(false);
    expect(LEVEL_CHECKS.quick.catalogWork.some((w) => w.includes('EXPLAIN QUERY PLAN'))).toBe(true);
  });
});
