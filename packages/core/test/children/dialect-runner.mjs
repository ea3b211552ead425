// Runs `DialectMigrator` over a SQLite file through the real core, as a separate process would.
// Args: core's built entry (dist/index.js: the package as users get it), the database file, the migrations folder.
// Prints the run's steps as JSON lines: {"version":1,"status":"Success"}, then {"error":...} or {"done":true}.
import { pathToFileURL } from 'node:url';

const [coreEntry, file, folder] = process.argv.slice(2);
const { DialectMigrator, SqliteConnection, loadMigrations, openDatabase } = await import(pathToFileURL(coreEntry).href);

const connection = new SqliteConnection(openDatabase(file, { create: true }));
const migrator = new DialectMigrator({ connection, migrations: await loadMigrations(folder), lockTimeout: 60_000 });
migrator.events.on('migrationStarted', (e) => process.stdout.write(`${JSON.stringify({ started: e.version })}\n`));
const result = await migrator.migrate();
for (const r of result.results) process.stdout.write(`${JSON.stringify({ version: r.version, status: r.status })}\n`);
process.stdout.write(`${JSON.stringify(result.error ? { error: result.error.code } : { done: true })}\n`);
await connection.close();
