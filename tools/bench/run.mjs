#!/usr/bin/env node
// The mfmig benchmark harness: `pnpm bench [--only a,b] [--rows N]`.
// Each suite in ./suites measures mfmig against a raw baseline in the same run and reports ratios.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
if (!Number.isSafeInteger(rows) || rows <= 0) {
  console.error(`bench: --rows must be a positive whole number, not ${values.rows}`);
  process.exit(2);
}
const available = readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4))
  .sort();
const only = values.only ? values.only.split(',') : available;
const unknown = only.filter((s) => !available.includes(s));
if (unknown.length) {
  console.error(`bench: unknown suite(s) ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

const log = (line) => process.stderr.write(`${line}\n`);
const results = [];
for (const name of only) {
  const tmpDir = mkdtempSync(join(tmpdir(), `mfmig-bench-${name}-`));
  log(`\n== ${name} (rows ${rows.toLocaleString('en-US')}) ==`);
  try {
    const suite = await import(pathToFileURL(join(here, 'suites', `${name}.mjs`)).href);
    const result = await suite.run({ rows, tmpDir, log });
    results.push(result);
    printSuite(result);
  } catch (error) {
    results.push({ suite: name, error: String(error?.stack ?? error) });
    log(`suite ${name} failed: ${error?.stack ?? error}`);
  } finally {
    if (!values.keep) rmSync(tmpDir, { recursive: true, force: true });
  }
}
if (values.out) writeFileSync(values.out, `${JSON.stringify({ rows, date: new Date().toISOString(), results }, null, 2)}\n`);
const missed = results.flatMap((r) => (r.figures ?? []).filter((f) => f.met === false).map((f) => `${r.suite}: ${f.label}`));
console.log(`\n${results.length} suite(s); targets missed: ${missed.length ? missed.join('; ') : 'none'}`);
process.exitCode = results.some((r) => r.error) ? 1 : 0;

function printSuite(result) {
  console.log(`\n${result.suite}`);
  for (const f of result.figures) {
    const base = f.baseline === undefined ? '' : ` | baseline ${fmt(f.baseline)} ${f.unit}`;
    const ratio = f.ratio === undefined ? '' : ` | ratio ${f.ratio.toFixed(2)}x`;
    const target = f.target ? ` | target ${f.target}: ${f.met ? 'met' : 'MISSED'}` : '';
    console.log(`  ${f.label}: ${fmt(f.value)} ${f.unit}${base}${ratio}${target}`);
  }
  for (const note of result.notes ?? []) console.log(`  note: ${note}`);
}

function fmt(v) {
  return typeof v === 'number' ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(3)) : String(v);
}
