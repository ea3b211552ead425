import fc from 'fast-check';
import { orderedShape } from '@mfmig/test-support';
import { describe, expect, it } from 'vitest';
import { BACKUP_FORMAT } from '@mfmig/rollback';
import { PLAIN_FAIL } from '@mfmig/core';
import { manifestSchema, parseManifest, plainManifest } from '../src/backup/backup-manifest.js';

const wild = fc.oneof(fc.constantFrom('', 'x', '..', 'a/b', 0, -1, 1.5, true, null, undefined), fc.constant([]), fc.constant({}), fc.string({ maxLength: 3 }));
/** Mostly a valid value, sometimes anything. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 40 }, { arbitrary: wild, weight: 1 });
const rec = <T>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }, optional: (keyof T)[] = []) =>
  mostly(fc.record(shape, { requiredKeys: (Object.keys(shape) as (keyof T)[]).filter((k) => !optional.includes(k)) as never[], noNullPrototype: true }));
const nullable = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.constant(null));
const manifest = fc
  .tuple(
    rec(
      {
        format: mostly(fc.constant(BACKUP_FORMAT)),
        id: mostly(fc.constantFrom('2026-12-03T10-00-00-000Z_v2_manual_ab12', 'x')),
        file: mostly(fc.constantFrom('x.db', 'backup.db')),
        kind: mostly(fc.constantFrom('manual', 'pre-run', 'pre-rollback', 'checkpoint', 'saved-aside')),
        createdAt: mostly(fc.constantFrom('2026-12-03T10:00:00.000Z', '2026-12-03')),
        version: mostly(fc.nat(20)),
        milestone: mostly(fc.nat(5)),
        appliedVersions: mostly(fc.array(fc.integer({ min: -1000, max: 20 }), { maxLength: 3 })),
        sizeBytes: mostly(fc.nat()),
        sha256: mostly(fc.constantFrom('a'.repeat(64), '0123456789abcdef'.repeat(4))),
        integrity: rec({
          verified: mostly(fc.boolean()),
          checked: mostly(fc.boolean()),
          level: mostly(nullable(fc.constantFrom('quick', 'full'))),
          result: mostly(nullable(fc.constant('ok'))),
          checkedAt: mostly(nullable(fc.constant('2026-12-03T10:00:00.000Z'))),
        }),
        source: rec({
          path: mostly(fc.constant('/data/kb.db')),
          journalMode: mostly(fc.constant('wal')),
          pageSize: mostly(fc.constant(4096)),
          pageCount: mostly(fc.nat()),
        }),
        database: rec({ id: mostly(nullable(fc.constantFrom('id-1', 'id-2'))), path: mostly(fc.constantFrom('/data/kb.db', 'kb.db')) }),
        run: mostly(
          nullable(
            rec({
              runId: mostly(fc.constant('r1')),
              direction: mostly(fc.constantFrom('up', 'down')),
              fromVersion: mostly(fc.nat(9)),
              targetVersion: mostly(fc.nat(9)),
            }),
          ),
        ),
        label: mostly(nullable(fc.string({ maxLength: 3 }))),
        timings: rec({ copyMs: mostly(fc.double({ min: 0, max: 1e5, noNaN: true })), hashMs: mostly(fc.nat()), verifyMs: mostly(nullable(fc.nat())) }),
      },
      ['database'],
    ),
    fc.option(wild, { freq: 20 }),
  )
  .map(([m, extra]) => (extra === null || typeof m !== 'object' || m === null ? m : { ...m, unexpected: extra }));

describe('backup manifests read without zod', () => {
  it('are only ever ones zod accepts, come out as zod gives them, and fail where zod fails', () => {
    let plainlyValid = 0;
    fc.assert(
      fc.property(manifest, (input) => {
        const zod = manifestSchema().safeParse(input);
        const quick = plainManifest(input);
        if (quick !== PLAIN_FAIL) {
          plainlyValid++;
          expect(zod.success, JSON.stringify(zod.error?.issues)).toBe(true);
          expect(orderedShape(quick)).toEqual(orderedShape(zod.data));
        }
        const got = parseManifest(input);
        expect(got.success).toBe(zod.success);
        if (got.success && zod.success) expect(orderedShape(got.data)).toEqual(orderedShape(zod.data));
      }),
      { numRuns: 10_000 },
    );
    expect(plainlyValid).toBeGreaterThan(200);
  });
});
