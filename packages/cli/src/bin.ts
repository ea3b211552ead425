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

// The command is bundled with its own kysely and zod (see tsup.config.ts): literal requires let
// the bundler keep those copies, still loaded only when a code path needs them, instead of core
// loading second copies from node_modules.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle's own copies, loaded on first use
useModuleLoaders({ kysely: () => require('kysely'), zod: () => require('zod') });

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mfmig: unexpected failure: ${printable((error as Error)?.message ?? String(error))}\n`);
    process.exitCode = 1;
  },
);
