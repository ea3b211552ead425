// An application beside mfmig: writes to a live database on a fixed cadence, the way an app
// with a `busy_timeout` does, and reports every write's wait when told to stop (SIGTERM).
// Argument: one JSON object { db, sql, params?, intervalMs, busyTimeoutMs, foreignKeys? }.
// `sql` may hold several statements; each tick runs them in one transaction. `params` are bound
// to every statement, with `$tick` replaced by the tick number. Prints one JSON line on stop.
import Database from 'better-sqlite3';

const options = JSON.parse(process.argv[2]);
const db = new Database(options.db, { timeout: options.busyTimeoutMs ?? 5000 });
if (options.foreignKeys !== false) db.pragma('foreign_keys = ON');
const statements = [].concat(options.sql);
const writes = [];
let tick = 0;
let stopping = false;

function writeOnce() {
  const params = Object.fromEntries(Object.entries(options.params ?? {}).map(([k, v]) => [k, v === '$tick' ? BigInt(tick) : v]));
  const started = Date.now();
  const t0 = performance.now();
  let error = null;
  try {
    db.transaction(() => {
      for (const sql of statements) db.prepare(sql).run(params);
    }).immediate();
  } catch (e) {
    error = e.code ?? String(e.message);
  }
  writes.push({ tick, at: started, waitMs: performance.now() - t0, error });
  tick++;
}

const begin = performance.now();
function schedule() {
  if (stopping) return;
  writeOnce();
  const next = begin + tick * options.intervalMs - performance.now();
  setTimeout(schedule, Math.max(0, next));
}

process.on('SIGTERM', () => {
  stopping = true;
  const elapsed = performance.now() - begin;
  db.close();
  process.stdout.write(`${JSON.stringify({ due: Math.floor(elapsed / options.intervalMs), writes })}\n`, () => process.exit(0));
});
process.send?.('ready');
schedule();
