import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { orderedShape } from '@mfmig/test-support';
import { describe, expect, it } from 'vitest';
import { schemaParse } from '../src/declaration/parse-transformation.js';
import { plainTransformation } from '../src/declaration/plain-transformation.js';
import { MIGRATIONS } from './helpers.js';

const fn = () => 1;
const text = fc.oneof(fc.constantFrom('', 'kb_entries', 'a\0b', 'x'.repeat(257), 'id-1.x:y', 'bad id', 'SELECT 1'), fc.string({ maxLength: 6 }));
const anyValue = fc.oneof(
  text,
  fc.integer({ min: -2, max: 2_000_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(fn),
  fc.array(text, { maxLength: 3 }),
);
const expectation = fc.oneof(
  anyValue,
  fc.constantFrom('zero', 'nonZero', 'any', 'sourceCount', 'targetCount', 'other'),
  fc.record({ query: text }),
  fc.record({ min: fc.integer(), max: fc.integer() }, { requiredKeys: [] }),
  fc.record({ query: text, extra: anyValue }),
);
const query = fc.oneof(
  text,
  fc.record({ sql: text, expect: expectation, message: fc.oneof(fc.string({ maxLength: 3 }), anyValue) }, { requiredKeys: ['sql'] }),
  anyValue,
);
/** Mostly a valid value, sometimes anything. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 20 }, { arbitrary: anyValue, weight: 1 });
const validQuery = fc.oneof(
  fc.constantFrom('SELECT 1', 'SELECT count(*) FROM t'),
  fc.record(
    {
      sql: fc.constant('SELECT 0'),
      expect: mostly(fc.oneof(fc.constantFrom('zero', 'any', 'sourceCount'), fc.integer(), fc.record({ query: fc.constant('SELECT 0') }))),
      message: mostly(fc.string({ maxLength: 3 })),
    },
    { requiredKeys: ['sql'] },
  ),
  query,
);
const declaration = fc
  .tuple(
    fc.record({
      id: mostly(fc.constantFrom('copy_kb', 'a', 'x.y:z-1')),
      name: mostly(fc.constantFrom('Copy KB', 'n')),
      sourceTable: mostly(fc.constantFrom('kb_entries', 't')),
      targetTable: mostly(fc.constantFrom('kb_copy', 'u')),
      transformationType: mostly(fc.constantFrom('copy', 'convert', 'merge', 'split', 'enrich', 'migrate')),
      reversible: mostly(fc.boolean()),
    }),
    fc.record(
      {
        description: mostly(fc.string({ maxLength: 4 })),
        columns: mostly(fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 2 })),
        writeMode: mostly(fc.constantFrom('insert', 'upsert', 'update')),
        key: mostly(fc.array(fc.constantFrom('id', 'k'), { minLength: 1, maxLength: 2 })),
        sourceKey: mostly(fc.constantFrom('id', 'rowid')),
        reverse: mostly(fc.oneof(fc.constant('DELETE FROM t'), fc.constant(fn))),
        estimatedRows: mostly(fc.nat()),
        estimatedDuration: mostly(fc.double({ min: 0, max: 1e6, noNaN: true })),
        dependencies: mostly(fc.array(fc.constantFrom('a', 'other'), { maxLength: 2 })),
        validationQueries: mostly(fc.array(mostly(validQuery), { maxLength: 3 })),
        batch: mostly(fc.constantFrom('auto', 'always', 'never')),
        batchSize: mostly(fc.integer({ min: 1, max: 1_000_000 })),
      },
      { requiredKeys: [], noNullPrototype: true },
    ),
    // the body: sql, a row function, none, or (rarely) both
    fc.oneof(
      { arbitrary: fc.record({ sql: mostly(fc.constantFrom('INSERT INTO t SELECT 1', 'UPDATE t SET x = 1')) }), weight: 4 },
      { arbitrary: fc.record({ transform: mostly(fc.constant(fn)) }), weight: 4 },
      { arbitrary: fc.constant({}), weight: 1 },
      { arbitrary: fc.record({ sql: fc.constant('SELECT 1'), transform: fc.constant(fn) }), weight: 1 },
    ),
    fc.option(anyValue, { freq: 20 }),
  )
  .map(([base, extra, body, unknown]) => (unknown === null ? { ...base, ...extra, ...body } : { ...base, ...extra, ...body, unknownKey: unknown }));

describe('declarations taken without zod', () => {
  it('are only ever ones zod accepts, and come out exactly as zod gives them', () => {
    let plainlyValid = 0;
    fc.assert(
      fc.property(declaration, (input) => {
        const plain = plainTransformation(input);
        if (plain === undefined) return;
        plainlyValid++;
        const zod = schemaParse(input);
        expect(zod.success, JSON.stringify(zod.error?.issues)).toBe(true);
        expect(orderedShape(plain)).toEqual(orderedShape(zod.data));
      }),
      { numRuns: 20_000 },
    );
    expect(plainlyValid).toBeGreaterThan(200);
  });

  it('include every declaration of the shipped migrations (a run of them loads no zod)', async () => {
    const files = readdirSync(MIGRATIONS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const declared = [];
    for (const file of files) declared.push(...(((await import(join(MIGRATIONS, file))) as { transformations?: unknown[] }).transformations ?? []));
    expect(declared.length).toBeGreaterThan(5);
    for (const input of declared) {
      const plain = plainTransformation(input);
      expect(plain, JSON.stringify(input)).toBeDefined();
      expect(orderedShape(plain)).toEqual(orderedShape(schemaParse(input).data));
    }
  });
});
