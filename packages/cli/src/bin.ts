import { printable } from './printable.js';
import { runCli } from './run-cli.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mfmig: unexpected failure: ${printable((error as Error)?.message ?? String(error))}\n`);
    process.exitCode = 1;
  },
);
