// What importing a package costs a team that takes it alone: `import('@mfmig/validation')` (and
// rollback, core) against `import('better-sqlite3')`, which every user loads anyway, in the same
// run. Each import is timed inside a fresh node process (startup excluded, nothing cached in
// memory), in alternating rounds after one warm-up round (the file cache); each figure is the
// median. Target: validation under 100 ms more than better-sqlite3 alone. `rows` is not used.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ROUNDS = 15;
const TARGET_EXTRA_MS = 100;

/** What each measurement imports; packages from their built dist, as the tarball holds it. */
const IMPORTS = {
  'better-sqlite3': 'better-sqlite3',
  '@mfmig/validation': pathToFileURL(join(repo, 'packages/validation/dist/index.js')).href,
  '@mfmig/rollback': pathToFileURL(join(repo, 'packages/rollback/dist/index.js')).href,
  '@mfmig/core': pathToFileURL(join(repo, 'packages/core/dist/index.js')).href,
};

export async function run({ log }) {
  const names = Object.keys(IMPORTS);
  for (const name of names) timeImport(name);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) times[name].push(timeImport(name));
  }
  const m = Object.fromEntries(names.map((n) => [n, median(times[n])]));
  log(names.map((n) => `${n} ${m[n].toFixed(1)} ms`).join(' | '));
  const base = m['better-sqlite3'];
  const extra = (name) => ({
    label: `import('${name}') vs import('better-sqlite3')`,
    value: Math.round(m[name]),
    unit: 'ms',
    baseline: Math.round(base),
    ratio: m[name] / base,
    ...(name === '@mfmig/validation' ? { target: `< +${TARGET_EXTRA_MS} ms`, met: m[name] - base < TARGET_EXTRA_MS } : {}),
  });
  return {
    suite: 'imports',
    figures: ['@mfmig/validation', '@mfmig/rollback', '@mfmig/core'].map(extra),
    notes: [
      `medians of ${ROUNDS} alternating rounds, one fresh node process per import, timed around the import() inside it`,
      "kysely and zod load on first use (a migration module's db, a configuration or a manifest read), jiti when a .ts/.js migration is imported: not at import",
    ],
  };
}

/** Milliseconds one import takes in a new node process, measured inside it. */
function timeImport(name) {
  const script = `const t = performance.now(); await import(${JSON.stringify(IMPORTS[name])}); process.stdout.write(String(performance.now() - t));`;
  // run from the validation package, where better-sqlite3 resolves as it does for the packages
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(repo, 'packages/validation'), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`import of ${name} failed: ${result.stderr}`);
  return Number(result.stdout);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
