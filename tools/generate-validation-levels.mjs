#!/usr/bin/env node
// Rewrites the level section of packages/validation/README.md (between
// <!-- validation-levels:start --> and <!-- validation-levels:end -->) from the check registry
// (packages/validation/src/checks/registry.ts), and its PostgreSQL check table (between
// <!-- postgres-checks:start --> and <!-- postgres-checks:end -->) from
// packages/validation/src/postgres/postgres-checks.ts: `node tools/generate-validation-levels.mjs`.
// `--check` only compares, and exits 1 when the README is out of date.
// packages/validation/test/levels-doc.test.ts fails while they differ.
//
// The registry is TypeScript; esbuild (a devDependency of the repository) bundles the package's
// sources, with @mfmig/* taken from their sources too, so that nothing needs to be built first.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const readmePath = join(root, 'packages/validation/README.md');
const check = process.argv.includes('--check');

/** @mfmig/<name> from its sources; every other package stays external, at the file it resolves to. */
const sources = {
  name: 'mfmig-sources',
  setup(b) {
    b.onResolve({ filter: /^@mfmig\/[a-z-]+$/ }, (args) => ({ path: join(root, 'packages', args.path.slice('@mfmig/'.length), 'src/index.ts') }));
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.inner || args.path.startsWith('node:')) return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { inner: true } });
      // a driver loaded lazily by a dialect this script never uses may not be installed
      return { path: found.errors.length === 0 ? pathToFileURL(found.path).href : args.path, external: true };
    });
  },
};

const dir = mkdtempSync(join(tmpdir(), 'mfmig-levels-'));
try {
  const outfile = join(dir, 'levels-doc.mjs');
  await build({
    entryPoints: [join(root, 'packages/validation/src/levels-doc.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    plugins: [sources],
  });
  const { renderLevelsDoc, renderPostgresChecksDoc, replaceLevelsDoc, POSTGRES_DOC_MARKERS } = await import(pathToFileURL(outfile).href);
  const readme = readFileSync(readmePath, 'utf8');
  const updated = replaceLevelsDoc(replaceLevelsDoc(readme, renderLevelsDoc()), renderPostgresChecksDoc(), POSTGRES_DOC_MARKERS);
  if (updated === readme) console.log('packages/validation/README.md: the level section is up to date');
  else if (check) {
    console.error('packages/validation/README.md: the level section differs from the check registry; run node tools/generate-validation-levels.mjs');
    process.exitCode = 1;
  } else {
    writeFileSync(readmePath, updated);
    console.log('packages/validation/README.md: level section rewritten from the check registry');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
