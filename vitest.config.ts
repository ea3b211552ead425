import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const report = process.env.MFMIG_TEST_REPORT;

export default defineConfig({
  resolve: {
    alias: [{ find: /^@mfmig\/([a-z-]+)$/, replacement: resolve(import.meta.dirname, 'packages/$1/src/index.ts') }],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.soak.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
  },
});
