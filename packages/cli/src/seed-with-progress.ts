import type { DialectConnection } from '@mfmig/core';
import { seedKnowledgeBaseOn } from '@mfmig/framework';
import type { CliRuntime } from './runtime.js';
import { ProgressReporter, rowProgress } from './progress-reporter.js';

/**
 * Seeds an MVP1 database through its connection with a progress bar (plain lines off a
 * terminal): the one writer of both dialects, multi-row INSERTs in one transaction per 50,000
 * entries. `start` is when the command began, for the rate and the duration.
 *
 * @example
 * const seeded = await seedWithProgress(cli, framework.context.connection, 2000, 1, performance.now());
 */
export async function seedWithProgress(
  cli: CliRuntime,
  conn: DialectConnection,
  rows: number,
  seed: number,
  start: number,
): Promise<{ entries: number; tags: number; feedback: number; durationMs: number }> {
  const reporter = new ProgressReporter(cli.out);
  try {
    const result = await seedKnowledgeBaseOn(conn, { rows, seed, onProgress: rowProgress(reporter, 'seed kb_entries', start) });
    return { ...result, durationMs: performance.now() - start };
  } finally {
    reporter.stop();
  }
}
