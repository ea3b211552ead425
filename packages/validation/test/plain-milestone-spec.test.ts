import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { orderedShape } from '@mfmig/test-support';
import { describe, expect, it } from 'vitest';
import { milestoneSpecSchema } from '../src/milestone/milestone-spec.js';
import { plainMilestoneSpec } from '../src/milestone/plain-milestone-spec.js';
import { MIGRATIONS } from './helpers.js';

const wild = fc.oneof(fc.constantFrom('', 'x', 0, -1, 1.5, true, null, undefined), fc.constant([]), fc.constant({}), fc.string({ maxLength: 3 }));
/** Mostly a valid value, sometimes anything. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 40 }, { arbitrary: wild, weight: 1 });
const word = mostly(fc.constantFrom('id', 'name', 'kb_entries', 'created_at'));
const words = (min = 0) => mostly(fc.array(word, { minLength: min, maxLength: 3 }));
const keyed = <T>(value: fc.Arbitrary<T>) =>
  mostly(fc.dictionary(fc.constantFrom('a', 'b', 'kb_tags', 'id', ''), value, { maxKeys: 3, noNullPrototype: true }));
const partial = <T>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }, required: (keyof T)[] = []) =>
  mostly(fc.record(shape, { requiredKeys: required as never[], noNullPrototype: true }));

const index = partial({ name: word, columns: words(1), unique: mostly(fc.boolean()), where: word }, ['columns']);
const reference = partial({ columns: words(1), table: word, parentColumns: words(1) }, ['columns', 'table']);
const table = partial({
  columns: words(),
  required: words(),
  unique: mostly(fc.array(words(1), { maxLength: 2 })),
  domains: keyed(mostly(fc.array(mostly(fc.oneof(fc.string({ maxLength: 2 }), fc.integer())), { minLength: 1, maxLength: 3 }))),
  indexes: mostly(fc.array(index, { maxLength: 2 })),
  references: mostly(fc.array(reference, { maxLength: 2 })),
});
const scalar = mostly(fc.oneof(fc.string({ maxLength: 2 }), fc.integer(), fc.constant(null)));
const query = partial(
  {
    name: word,
    sql: mostly(fc.constant('SELECT 1')),
    params: mostly(fc.oneof(fc.array(scalar, { maxLength: 2 }), fc.dictionary(fc.constantFrom('p', 'q', ''), scalar, { maxKeys: 2, noNullPrototype: true }))),
    description: mostly(fc.string({ maxLength: 3 })),
  },
  ['name', 'sql'],
);
const retires = partial({ tables: words(), columns: keyed(words()), indexes: words(), views: words(), criticalQueries: words() });
const spec = fc
  .tuple(
    partial(
      {
        $schema: mostly(fc.constant('../milestone.schema.json')),
        $comment: mostly(fc.string({ maxLength: 3 })),
        milestone: mostly(fc.integer({ min: 1, max: 9 })),
        title: mostly(fc.string({ maxLength: 3 })),
        description: mostly(fc.string({ maxLength: 3 })),
        tables: keyed(table),
        views: words(),
        criticalQueries: mostly(fc.array(query, { maxLength: 2 })),
        retires,
      },
      ['milestone'],
    ),
    fc.option(wild, { freq: 20 }),
  )
  .map(([s, extra]) => (extra === null || typeof s !== 'object' || s === null ? s : { ...s, unexpected: extra }));

describe('milestone specs taken without zod', () => {
  it('are only ever ones zod accepts, and come out exactly as zod gives them', () => {
    let plainlyValid = 0;
    fc.assert(
      fc.property(spec, (input) => {
        const plain = plainMilestoneSpec(input);
        if (plain === undefined) return;
        plainlyValid++;
        const zod = milestoneSpecSchema().safeParse(input);
        expect(zod.success, JSON.stringify(zod.error?.issues)).toBe(true);
        expect(orderedShape(plain)).toEqual(orderedShape(zod.data));
      }),
      { numRuns: 10_000 },
    );
    expect(plainlyValid).toBeGreaterThan(100);
  });

  it('include every milestone.json that ships (reading them loads no zod)', () => {
    const files = readdirSync(MIGRATIONS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('milestone.json'));
    expect(files.length).toBe(5);
    for (const file of files) {
      const value: unknown = JSON.parse(readFileSync(join(MIGRATIONS, file), 'utf8'));
      const plain = plainMilestoneSpec(value);
      expect(plain, file).toBeDefined();
      expect(orderedShape(plain)).toEqual(orderedShape(milestoneSpecSchema().parse(value)));
    }
  });
});
