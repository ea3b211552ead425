// A process that stops in the middle of a write: it begins a transaction on the database, runs
// the statement until its changes spill from the page cache into the file, and kills itself with
// SIGKILL before it commits, leaving a hot rollback journal beside the file.
// Arguments: the database path, then one statement run `repeat` times: JSON { sql, repeat }.
import Database from 'better-sqlite3';

const [path, spec] = process.argv.slice(2);
const { sql, repeat } = JSON.parse(spec);
const db = new Database(path);
// a small cache: the uncommitted pages are written into the file, their old content into the journal
db.pragma('cache_size = 10');
db.exec('BEGIN IMMEDIATE');
const statement = db.prepare(sql);
for (let i = 0; i < repeat; i++) statement.run();
process.kill(process.pid, 'SIGKILL');
