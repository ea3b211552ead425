import { describe, expect, it } from 'vitest';
import { readStaticModuleMeta } from '@mfmig/core';

describe('readStaticModuleMeta', () => {
  it('reads the literal of the forms modules are written in', () => {
    expect(readStaticModuleMeta(`export const meta = { description: 'Add notes' };`)).toEqual({ description: 'Add notes' });
    expect(
      readStaticModuleMeta(`import type { MigrationMeta } from '@mfmig/core';
export const meta: MigrationMeta = {
  // why it exists
  description: "Rebuild \\"notes\\"", /* rebuilt */
  foreignKeys: 'off',
  'transaction': \`immediate\`,
  irreversible: true,
  legacyAlterTable: false,
  owner: { team: 'kb', reviewers: ['ana', 'bo'], weight: -1.5e2, since: null },
};
export async function up() {}`),
    ).toEqual({
      description: 'Rebuild "notes"',
      foreignKeys: 'off',
      transaction: 'immediate',
      irreversible: true,
      legacyAlterTable: false,
      owner: { team: 'kb', reviewers: ['ana', 'bo'], weight: -150, since: null },
    });
    expect(readStaticModuleMeta(`export const meta: { description: string; check?: (a: 'x=y') => boolean } = { description: 'inline' };`)).toEqual({
      description: 'inline',
    });
    expect(readStaticModuleMeta(`export const meta = { description: 'x' } satisfies MigrationMeta;`)).toEqual({ description: 'x' });
    expect(readStaticModuleMeta(`export const meta = { description: 'x' } as const;`)).toEqual({ description: 'x' });
    expect(readStaticModuleMeta(`exports.meta = { description: 'cjs' };\nexports.up = async () => {};`)).toEqual({ description: 'cjs' });
    expect(readStaticModuleMeta(`module.exports.meta = { description: 'cjs' };`)).toEqual({ description: 'cjs' });
    expect(readStaticModuleMeta(`export const meta = { description: 'caf\\u00e9 \\u{1F600} \\x41\\n' };`)).toEqual({ description: 'café 😀 A\n' });
  });

  it('gives up, evaluating nothing, on anything that is not a plain literal', () => {
    const unreadable = [
      `export const meta = { description: DESCRIPTION };`,
      `export const meta = { description: \`made \${new Date()}\` };`,
      `export const meta = { ...base, description: 'x' };`,
      `export const meta = { [key]: 'x' };`,
      `export const meta = { description };`,
      `export const meta = { description: 'x'.toUpperCase() };`,
      `export const meta = makeMeta();`,
      `export const meta = { description: 'unterminated };`,
      `export const meta = { description: 'x' /* unterminated comment`,
      `export const meta = { description: '\\u{110000}' };`,
      `export const meta = ['not', 'an', 'object'];`,
      `export async function up() {}`,
      `export const meta = { description: 'one' };\nexport const meta = { description: 'two' };`,
      `const meta = { description: 'x' };\nexport { meta };`,
      `// export const meta = { description: 'commented out' };`,
      `export const meta = ${'['.repeat(5000)}`,
    ];
    for (const source of unreadable) expect(readStaticModuleMeta(source), source.slice(0, 60)).toBeUndefined();
  });

  it('reads a large source in linear time', () => {
    const source = `${'// filler line\n'.repeat(200_000)}export const meta = { description: '${'d'.repeat(100_000)}' };`;
    const started = performance.now();
    expect(readStaticModuleMeta(source)?.description).toHaveLength(100_000);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
