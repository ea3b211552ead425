import { createRequire } from 'node:module';
import { useModuleLoaders } from '@mfmig/core';
import { printable } from './printable.js';
import { runCli } from './run-cli.js';

// `mfmig history | head -1`: a reader that closed the pipe gets no more output, and the
// command finishes what it was doing instead of dying with a stack trace half-way
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

// The command carries its own kysely and zod, each built into a file of its own next to this one
// (see tsup.config.ts) and required the first time a code path needs it: a start compiles
// neither, and the bundle holds one copy of each.
const vendored = createRequire(import.meta.url);
useModuleLoaders({ kysely: () => vendored('./vendor/kysely.cjs'), zod: () => vendored('./vendor/zod.cjs') });

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mfmig: unexpected failure: ${printable((error as Error)?.message ?? String(error))}\n`);
    process.exitCode = 1;
  },
);
