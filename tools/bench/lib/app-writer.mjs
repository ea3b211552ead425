// The application writer of the `online` bench suite, run as a child process (fork) beside
// `mfmig migrate`: one small INSERT into kb_feedback every INTERVAL ms, busy_timeout 5 s,
// foreign keys on, on the cadence of write-cadence.mjs. On the message 'stop' it sends {records}
// to the parent and exits.
import Database from 'better-sqlite3';
import { writeOnCadence } from './write-cadence.mjs';

const [file, maxIdArg, intervalArg = '20'] = process.argv.slice(2);
const maxId = Number(maxIdArg);

const db = new Database(file);
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
const insert = db.prepare("INSERT INTO kb_feedback (entry_id, rating, comment, created_at) VALUES (?, 'success', 'bench', ?)");

const records = await writeOnCadence(Number(intervalArg), (n) => insert.run(1 + (n % maxId), new Date().toISOString()));
db.close();
process.send({ records }, () => process.exit(0));
