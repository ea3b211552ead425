// The application writer of the `online` bench suite, run as a child process (fork) beside
// `mfmig migrate`: one small INSERT into kb_feedback every INTERVAL ms, busy_timeout 5 s,
// foreign keys on. Writes run one at a time on a fixed cadence; a write that is late because the
// previous one waited runs at once, then the cadence resumes (missed slots are not piled up).
// Each write is recorded with its absolute start time, its wait (the statement's wall time) and
// its error, if any. On the message 'stop' it sends {records} to the parent and exits.
import Database from 'better-sqlite3';

const [file, maxIdArg, intervalArg = '20'] = process.argv.slice(2);
const maxId = Number(maxIdArg);
const interval = Number(intervalArg);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const db = new Database(file);
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
const insert = db.prepare("INSERT INTO kb_feedback (entry_id, rating, comment, created_at) VALUES (?, 'success', 'bench', ?)");

let stopping = false;
process.on('message', (message) => {
  if (message === 'stop') stopping = true;
});

const records = [];
const t0 = now();
process.send({ ready: t0 });
for (let slot = 0, n = 0; !stopping; n++) {
  const start = now();
  let error;
  try {
    insert.run(1 + (n % maxId), new Date().toISOString());
  } catch (e) {
    error = e?.code ?? String(e?.message ?? e);
  }
  const end = now();
  records.push(error ? { start, wait: end - start, error } : { start, wait: end - start });
  slot = Math.max(slot + 1, Math.floor((end - t0) / interval));
  await sleep(t0 + slot * interval - now());
}
db.close();
process.send({ records }, () => process.exit(0));
