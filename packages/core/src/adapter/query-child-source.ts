import { createRequire } from 'node:module';

/**
 * The path of the SQLite driver module, for a child process to load: the children below read the
 * database with the same driver as the parent, from the dialect folder that owns it.
 *
 * @example
 * spawn(process.execPath, ['-e', QUERY_CHILD_SOURCE, String(process.pid)]).stdin.write(JSON.stringify({ driver: sqliteDriverPath(), file }));
 */
export function sqliteDriverPath(): string {
  return createRequire(import.meta.url).resolve('better-sqlite3');
}

/** How often the watchdog of a probe child looks for its parent, in ms. */
export const WATCHDOG_INTERVAL_MS = 100;

/**
 * The watchdog thread of a probe child (CommonJS source for a `worker_thread`). Node has no
 * parent-death signal, and a main thread inside a synchronous SQLite call runs no JavaScript,
 * so a thread of its own watches the parent: the parent is gone when the child was reparented
 * (`process.ppid` is no longer the parent's pid, POSIX) or when the pid no longer exists
 * (platforms that keep the original ppid). It then kills its own process with SIGKILL, which
 * no blocked query can delay. The thread is unref'd: it never keeps the child alive.
 */
export const QUERY_WATCHDOG_SOURCE = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
const { parentPid, intervalMs } = workerData;
const parentGone = () => {
  if (process.ppid !== parentPid) return true;
  try {
    process.kill(parentPid, 0);
    return false;
  } catch (e) {
    return e.code === 'ESRCH';
  }
};
const check = () => {
  if (parentGone()) process.kill(process.pid, 'SIGKILL');
};
check();
setInterval(check, intervalMs);
`;

/**
 * The program a probe child process runs (`node -e`), as CommonJS source text. It is kept as
 * text so that the same code runs from the TypeScript sources (tests) and from the ESM and
 * CJS bundles, without a separate entry file to locate at run time.
 *
 * Protocol, one JSON document per line: the parent writes `{type:'open', driver, file,
 * busyTimeout}`, then one `{type:'probe', probe}` at a time, and closes stdin when it has no
 * more; the child answers `{type:'ready'}` (or `{type:'open-failed', error}` and exits), then
 * one `{type:'result', result}` per probe (as `runProbe` of @mfmig/validation runs one in process),
 * and exits when stdin ends. It opens the database read-only, so it cannot write to it.
 *
 * The parent passes its pid as the first argument. A watchdog thread ({@link
 * QUERY_WATCHDOG_SOURCE}) then ends the child with SIGKILL as soon as the parent is gone, even
 * while the main thread is blocked inside one long SQLite call: a child left behind by a
 * killed parent would otherwise keep the file open until its query ends.
 */
export const QUERY_CHILD_SOURCE = String.raw`
'use strict';
const parentPid = Number(process.argv[1]);
if (parentPid > 0) {
  const { Worker } = require('node:worker_threads');
  new Worker(${JSON.stringify(QUERY_WATCHDOG_SOURCE)}, { eval: true, workerData: { parentPid, intervalMs: ${WATCHDOG_INTERVAL_MS} } }).unref();
}
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
