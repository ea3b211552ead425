// The application writer of the PostgreSQL bench suites, run as a child process (fork) so that a
// run's JavaScript never delays it: one INSERT into kb_entries every INTERVAL ms, on its own session,
// with a 30 s lock_timeout. Writes run one at a time on a fixed cadence; a write late because the
// previous one waited runs at once. Each write is recorded with its start and its wait (the
// statement's wall time). On 'stop' it sends {records} to the parent and exits.
import pg from 'pg';

const [url, intervalArg = '10'] = process.argv.slice(2);
const interval = Number(intervalArg);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query("SET lock_timeout = '30s'");
let stopping = false;
process.on('message', (message) => {
  if (message === 'stop') stopping = true;
});

const records = [];
const t0 = now();
process.send({ ready: t0 });
for (let slot = 0; !stopping;) {
  const start = now();
  let error;
  try {
    await client.query("INSERT INTO kb_entries (title, problem, solution, category) VALUES ('app', 'written by the application', 'none', 'app')");
  } catch (e) {
    error = e?.code ?? String(e?.message ?? e);
  }
  const end = now();
  records.push(error ? { start, wait: end - start, error } : { start, wait: end - start });
  slot = Math.max(slot + 1, Math.floor((end - t0) / interval));
  await sleep(t0 + slot * interval - now());
}
await client.end();
process.send({ records }, () => process.exit(0));
