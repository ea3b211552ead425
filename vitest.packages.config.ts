import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// `pnpm test:packages`: the packed tarballs installed into projects outside the workspace. Kept
// out of `pnpm test` because it installs from the registry (about a minute). mergeConfig
// concatenates arrays, so the lists are set here whole.
const merged = mergeConfig(base, defineConfig({}));
merged.test = { ...merged.test, include: ['tools/**/*.packages.test.ts'], exclude: ['**/node_modules/**'] };

export default merged;
