import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    shims: true,
    target: 'node20',
  },
  {
    // The command is one self-contained program: mfmig's packages and the pure-JavaScript
    // dependencies are bundled into it, so that a start reads a few files instead of resolving
    // and compiling some 400 modules one by one. better-sqlite3 (native) stays outside, and so
    // does jiti (loaded only for TypeScript migrations and config files), through its CommonJS entry.
    entry: { bin: 'src/bin.ts' },
    format: ['esm'],
    noExternal: [/^@mfmig\//, 'kysely', 'zod', 'commander', 'picocolors', 'cli-progress', 'jiti'],
    external: ['better-sqlite3'],
    esbuildOptions(options) {
      options.alias = { jiti: './src/jiti-required.ts' };
    },
    splitting: true,
    // bundled CommonJS dependencies (commander, cli-progress) require Node's built-in modules
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __mfmigCreateRequire } from 'node:module';\nconst require = __mfmigCreateRequire(import.meta.url);" },
    target: 'node20',
  },
]);
