import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Options of {@link startAppWriter}. */
export interface AppWriterOptions {
  db: string;
  /** One or more statements, run in one transaction per tick. */
  sql: string | string[];
  /** Named parameters bound to every statement; the value `'$tick'` becomes the tick number. */
  params?: Record<string, unknown>;
  intervalMs: number;
  busyTimeoutMs?: number;
  foreignKeys?: boolean;
}

/** One write of the application. */
export interface AppWrite {
  tick: number;
  at: number;
  waitMs: number;
  error: string | null;
}

/** What the application saw. */
export interface AppWriterReport {
  due: number;
  writes: AppWrite[];
  failed: AppWrite[];
  maxWaitMs: number;
}

/**
 * Starts an application beside the test: a real child process that writes to `db` every
 * `intervalMs` with a `busy_timeout`, until `stop()`, which returns every write and its wait.
 *
 * @example
 * const app = await startAppWriter({ db, sql: "INSERT INTO notes (body) VALUES ('x')", intervalMs: 10 });
 * const report = await app.stop(); // report.failed is empty when the app was never locked out
 */
export async function startAppWriter(options: AppWriterOptions): Promise<{ stop(): Promise<AppWriterReport> }> {
  const script = fileURLToPath(new URL('../children/app-writer.mjs', import.meta.url));
  const child = fork(script, [JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`app writer exited early (${code})`)));
  });
  return {
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      const parsed = JSON.parse(out.trim()) as { due: number; writes: AppWrite[] };
      return {
        ...parsed,
        failed: parsed.writes.filter((w) => w.error !== null),
        maxWaitMs: parsed.writes.reduce((max, w) => Math.max(max, w.waitMs), 0),
      };
    },
  };
}
