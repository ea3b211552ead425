/**
 * The program a probe child process runs (`node -e`), as CommonJS source text. It is kept as
 * text so that the same code runs from the TypeScript sources (tests) and from the ESM and
 * CJS bundles, without a separate entry file to locate at run time.
 *
 * Protocol, one JSON document per line: the parent writes `{type:'open', driver, file,
 * busyTimeout}`, then one `{type:'probe', probe}` at a time, and closes stdin when it has no
 * more; the child answers `{type:'ready'}` (or `{type:'open-failed', error}` and exits), then
 * one `{type:'result', result}` per probe (see `runProbe` in probe.ts, which this mirrors),
 * and exits when stdin ends. It opens the database read-only, so it cannot write to it.
 */
export const PROBE_CHILD_SOURCE = String.raw`
'use strict';
const readline = require('node:readline');
let db = null;
let failed = false;
const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');
const errorInfo = (e) => ({ code: typeof (e && e.code) === 'string' ? e.code : 'ERROR', message: e instanceof Error ? e.message : String(e) });
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (failed || line.trim() === '') return;
  const message = JSON.parse(line);
  if (message.type === 'open') {
    try {
      const Database = require(message.driver);
      db = new Database(message.file, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = ' + Number(message.busyTimeout));
      send({ type: 'ready' });
    } catch (e) {
      failed = true;
      send({ type: 'open-failed', error: errorInfo(e) });
      lines.close();
      process.stdin.destroy();
    }
    return;
  }
  const probe = message.probe;
  const start = performance.now();
  const keep = probe.keep === undefined ? 20 : probe.keep;
  const rows = [];
  let total = 0;
  try {
    for (const row of db.prepare(probe.sql).iterate(...(probe.params || []))) {
      total++;
      if (rows.length < keep) rows.push(row);
    }
    send({ type: 'result', result: { id: probe.id, rows, total, durationMs: performance.now() - start } });
  } catch (e) {
    send({ type: 'result', result: { id: probe.id, rows, total, durationMs: performance.now() - start, error: errorInfo(e) } });
  }
});
lines.on('close', () => {
  if (db) db.close();
});
`;
