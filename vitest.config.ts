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
    // Each worker keeps the modules it imported from one test file to the next: re-importing the
    // packages' sources in every file cost about 130 s of the 2-core machine's CPU per run (the
    // suite went from about 700 to 605 s). So a test file that swaps module state (vi.resetModules,
    // vi.doMock, module loaders) resets the module registry again when it ends.
    isolate: false,
    // vitest's default on a 2-core machine is one file at a time; most CLI test files wait on the
    // child processes they spawn, so two at once bring the suite from about 13.5 to 9.5 minutes
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
  },
});
