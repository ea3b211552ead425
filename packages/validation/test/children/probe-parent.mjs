// A parent for the probe-child lifetime test: starts a probe pool on one query that runs for
// minutes, prints `running`, and waits (the test then kills this process with SIGKILL).
// Args: jiti's path, probe-pool.ts, the database file.
import { pathToFileURL } from 'node:url';

const [jitiPath, poolSource, file] = process.argv.slice(2);
const { createJiti } = await import(pathToFileURL(jitiPath).href);
const { ChildProbePool } = await createJiti(import.meta.url).import(poolSource);

const pool = new ChildProbePool({ file, parallelism: 1, deadline: performance.now() + 600_000 });
pool.submit([{ id: 'endless', sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000000) SELECT count(*) AS n FROM c' }]);
void pool.finish();
process.stdout.write('running\n');
setInterval(() => {}, 60_000);
