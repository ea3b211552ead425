// The application writer of the PostgreSQL bench suites, run as a child process (fork) so that a
// run's JavaScript never delays it: one INSERT into kb_entries every INTERVAL ms, on its own session,
// with a 30 s lock_timeout, on the cadence of write-cadence.mjs. On 'stop' it sends {records} to
// the parent and exits.
import pg from 'pg';
import { writeOnCadence } from './write-cadence.mjs';

const [url, intervalArg = '10'] = process.argv.slice(2);

const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query("SET lock_timeout = '30s'");
const records = await writeOnCadence(Number(intervalArg), () =>
  client.query("INSERT INTO kb_entries (title, problem, solution, category) VALUES ('app', 'written by the application', 'none', 'app')"),
);
await client.end();
process.send({ records }, () => process.exit(0));
