import { isMfmigError } from '@mfmig/core';
import { describe, expect, it } from 'vitest';
import { type DataTransformation, orderTransformations, parseTransformation, parseTransformations, planUnits } from '../src/index.js';

/** The seed documentation's example, exactly as written there. */
const seedExample: DataTransformation = {
  id: 'kb_to_incident_mapping',
  name: 'Map KB entries to incident structure',
  description: 'Transform existing KB entries to work with incident patterns',
  sourceTable: 'kb_entries',
  targetTable: 'incidents',
  transformationType: 'convert',
  sql: `
    INSERT INTO incidents (ticket_id, timestamp, title, description, component, severity)
    SELECT
      'KB-' || id as ticket_id,
      created_at as timestamp,
      title,
      problem as description,
      category as component,
      'medium' as severity
    FROM kb_entries
    WHERE created_at IS NOT NULL
  `,
  reversible: true,
  estimatedRows: 100,
  estimatedDuration: 30,
  dependencies: [],
  validationQueries: ['SELECT COUNT(*) FROM incidents WHERE ticket_id LIKE "KB-%"'],
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isMfmigError(error) ? error.code : 'not an MfmigError';
  }
  return undefined;
}

const step = (id: string, dependencies: string[] = []): DataTransformation => ({
  id,
  name: id,
  sourceTable: 'a',
  targetTable: 'b',
  transformationType: 'copy',
  reversible: false,
  dependencies,
});

describe('the DataTransformation declaration', () => {
  it('accepts the seed example as it is and normalises its validation query', () => {
    const t = parseTransformation(seedExample);
    expect(t.id).toBe('kb_to_incident_mapping');
    expect(t.batch).toBe('auto');
    expect(t.validationQueries).toEqual([{ sql: 'SELECT COUNT(*) FROM incidents WHERE ticket_id LIKE "KB-%"' }]);
  });

  it('accepts a reverse, a row function, expectations and migrate steps', () => {
    const transform = (row: Record<string, unknown>) => [row, row];
    const reverse = () => {};
    const t = parseTransformation({
      ...seedExample,
      sql: undefined,
      transformationType: 'split',
      transform,
      reverse,
      validationQueries: [
        { sql: 'SELECT 1', expect: 'sourceCount' },
        { sql: 'SELECT 2', expect: { min: 1 } },
        { sql: 'SELECT 3', expect: { query: 'SELECT 3' } },
      ],
    });
    expect(t.transform).toBe(transform);
    expect(t.reverse).toBe(reverse);
    const m = parseTransformation({ ...step('m'), transformationType: 'migrate', steps: [step('b', ['a']), step('a')] });
    expect(m.steps!.map((s) => s.id)).toEqual(['b', 'a']);
  });

  it.each([
    ['a missing id', { ...seedExample, id: undefined }],
    ['an unknown type', { ...seedExample, transformationType: 'transmogrify' }],
    ['sql and a row function together', { ...seedExample, transform: () => null }],
    ['a convert with no body', { ...seedExample, sql: undefined }],
    ['a reverse on an irreversible transformation', { ...seedExample, reversible: false, reverse: 'DELETE FROM incidents' }],
    ['a bad expectation', { ...seedExample, validationQueries: [{ sql: 'SELECT 1', expect: 'roughly' }] }],
    ['steps on a convert', { ...seedExample, steps: [step('x')] }],
    ['a self dependency', { ...seedExample, dependencies: ['kb_to_incident_mapping'] }],
    ['an unknown field', { ...seedExample, sqll: 'SELECT 1' }],
  ])('rejects %s with TRANSFORMATION_INVALID', (_label, input) => {
    expect(codeOf(() => parseTransformation(input))).toBe('TRANSFORMATION_INVALID');
  });

  it('rejects two transformations with one id', () => {
    expect(codeOf(() => parseTransformations([step('a'), step('a')]))).toBe('TRANSFORMATION_INVALID');
  });
});

describe('ordering by dependencies', () => {
  it('runs dependencies first and keeps declaration order otherwise', () => {
    const ordered = orderTransformations(parseTransformations([step('d', ['c']), step('a'), step('c', ['a', 'b']), step('b')]));
    expect(ordered.map((t) => t.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports a cycle, naming it', () => {
    let message = '';
    try {
      orderTransformations(parseTransformations([step('a', ['c']), step('b', ['a']), step('c', ['b'])]));
    } catch (error) {
      expect(isMfmigError(error) && error.code).toBe('TRANSFORMATION_INVALID');
      message = (error as Error).message;
    }
    expect(message).toContain('a -> c -> b -> a');
  });

  it('reports an unknown dependency', () => {
    expect(codeOf(() => orderTransformations(parseTransformations([step('a', ['nope'])])))).toBe('TRANSFORMATION_INVALID');
  });

  it('expands migrate steps in their own dependency order, and finds cycles among steps', () => {
    const m = { ...step('m', ['pre']), transformationType: 'migrate' as const, steps: [step('second', ['first']), step('first')] };
    expect(planUnits(parseTransformations([m, step('pre')])).map((u) => u.id)).toEqual(['pre', 'm.first', 'm.second']);
    const cyclic = { ...m, dependencies: [], steps: [step('x', ['y']), step('y', ['x'])] };
    expect(codeOf(() => planUnits(parseTransformations([cyclic])))).toBe('TRANSFORMATION_INVALID');
  });
});
