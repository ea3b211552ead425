import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// mergeConfig concatenates arrays: the base's include and its exclude of *.soak.test.ts would
// survive a merge, so the soak run sets both lists itself.
const merged = mergeConfig(base, defineConfig({ test: { testTimeout: 7_200_000, hookTimeout: 7_200_000 } }));
merged.test = { ...merged.test, include: ['packages/*/test/**/*.soak.test.ts'], exclude: ['**/node_modules/**'] };

export default merged;
