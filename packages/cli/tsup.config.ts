import { dirname } from 'node:path';
import { defineConfig, type Options } from 'tsup';

/**
 * zod's locales but English, left out of the command's copy: zod registers English itself and
 * the command sets no other locale, so the other 50-odd (half of zod's code) would only be read
 * and compiled on every run that validates something.
 */
const englishOnlyZod: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'english-only-zod',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: args.importer, namespace: 'zod-english-only' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * commander requires node:child_process when it loads, for executable subcommands (mfmig has
 * none): it gets a `spawn` that loads the module when called, so a start does not load it (and
 * node:net, node:dgram behind it).
 */
const commanderSpawnOnUse: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'commander-spawn-on-use',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'commander-spawn-on-use' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'commander-spawn-on-use' }, () => ({
      contents: "module.exports = { spawn: (...args) => process.getBuiltinModule('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

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
    noExternal: [/^@mfmig\//, 'commander', 'picocolors', 'cli-progress', 'jiti'],
    // kysely and zod are the files built below, required on first use (see src/bin.ts)
    external: ['better-sqlite3', 'kysely', 'zod'],
    esbuildPlugins: [commanderSpawnOnUse],
    // keep `node:` on built-in modules, so that the plugin above sees commander's node:child_process
    removeNodeProtocol: false,
    esbuildOptions(options) {
      options.alias = { jiti: './src/jiti-required.ts' };
    },
    splitting: true,
    // bundled CommonJS dependencies (commander, cli-progress) require Node's built-in modules
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __mfmigCreateRequire } from 'node:module';\nconst require = __mfmigCreateRequire(import.meta.url);",
    },
    target: 'node20',
  },
  {
    // kysely and zod for the command, each one file, minified: they are read only by the runs
    // that need them, and their stack frames are not the command's
    entry: { 'vendor/kysely': 'src/vendor/kysely.ts', 'vendor/zod': 'src/vendor/zod.ts' },
    format: ['cjs'],
    noExternal: ['kysely', 'zod'],
    esbuildPlugins: [englishOnlyZod],
    minify: true,
    target: 'node20',
  },
]);
