import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const report = process.env.MFMIG_TEST_REPORT;

export default defineConfig({
  resolve: {
    alias: [{ find: /^@mfmig\/([a-z-]+)$/, replacement: resolve(import.meta.dirname, 'packages/$1/src/index.ts') }],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/*.soak.test.ts', '**/*.packages.test.ts'],
    pool: 'forks',
    // vitest's default on a 2-core machine is one file at a time; most CLI test files wait on the
    // child processes they spawn, so two at once bring the suite from about 13.5 to 9.5 minutes
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
  },
});
