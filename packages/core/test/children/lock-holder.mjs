// Takes the run lock of a database through the real core and keeps it until killed.
// Args: jiti's path, core's src/index.ts, the database file. Prints `locked` once it holds it.
import { pathToFileURL } from 'node:url';

const [jitiPath, coreSource, file] = process.argv.slice(2);
const { createJiti } = await import(pathToFileURL(jitiPath).href);
const { RunLock, openDatabase } = await createJiti(import.meta.url).import(coreSource);

const adapter = openDatabase(file, { create: true });
await new RunLock(adapter).acquire({ timeoutMs: 0, command: 'test holder' });
process.stdout.write('locked\n');
setInterval(() => {}, 60_000);
