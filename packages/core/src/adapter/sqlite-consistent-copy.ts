import { open } from 'node:fs/promises';
import type { OperationProgress } from '../events/events.js';
import type { DatabaseAdapter } from './database-adapter.js';
import { reconcileCopy, underReadLock } from './read-snapshot.js';

/** How {@link consistentCopy} took the copy. */
export type CopyMethod = 'file-under-read-lock' | 'backup-api';

/** Options of {@link consistentCopy}. */
export interface ConsistentCopyOptions {
  onProgress?: (progress: OperationProgress) => void;
  /** Pages per step: of the online backup while no other connection writes (WAL), of the file copy otherwise. Default 8192. */
  pagesPerStep?: number;
}

const ALL_PAGES = 0x7fffffff;

/**
 * Copies a live database as one consistent snapshot that finishes however often the
 * application writes, and tells how.
 *
 * SQLite's online backup copies a few pages per step and starts over whenever another
 * connection writes between steps: under an application that writes every 20 ms it never
 * finishes. So the copy never spans more than one read transaction once a write is seen:
 * - WAL databases: the backup API in steps while nobody writes; at the first restart the rest
 *   is taken in one step, inside one read transaction. WAL readers do not block writers, so the
 *   application keeps writing throughout.
 * - Rollback-journal databases: the file is copied with no lock, then made one
 *   consistent database inside one read transaction (a SHARED lock, so no commit can change the
 *   file meanwhile) by copying again what changed (`reconcileCopy`). Writers wait only for that
 *   comparison, a fraction of a plain copy.
 */
export async function consistentCopy(adapter: DatabaseAdapter, target: string, options: ConsistentCopyOptions = {}): Promise<CopyMethod> {
  const journalMode = adapter.journalMode();
  if (journalMode === 'wal' || journalMode === 'memory' || adapter.inTransaction || !adapter.filePath) {
    await backupApiCopy(adapter, target, options);
    return 'backup-api';
  }
  await fileCopyReconciled(adapter, target, options);
  return 'file-under-read-lock';
}

function progressReporter(options: ConsistentCopyOptions) {
  const started = performance.now();
  return (total: number, done: number) => {
    if (!options.onProgress) return;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const remaining = total - done;
    options.onProgress({
      operation: 'backup',
      done,
      total,
      unit: 'pages',
      ratePerSecond: rate,
      etaMs: rate > 0 ? (remaining / rate) * 1000 : remaining === 0 ? 0 : null,
    });
  };
}

async function backupApiCopy(adapter: DatabaseAdapter, target: string, options: ConsistentCopyOptions): Promise<void> {
  const step = options.pagesPerStep ?? 8192;
  const report = progressReporter(options);
  let lastRemaining = Number.POSITIVE_INFINITY;
  let oneStep = false;
  const result = await adapter.backupTo(target, ({ totalPages, remainingPages }) => {
    report(totalPages, totalPages - remainingPages);
    // A step that left as much to do as before was a restart: another connection wrote.
    if (remainingPages >= lastRemaining) oneStep = true;
    lastRemaining = remainingPages;
    return oneStep ? ALL_PAGES : step;
  });
  // better-sqlite3 calls `progress` only between steps, never after the last one.
  report(result.totalPages, result.totalPages);
}

async function fileCopyReconciled(adapter: DatabaseAdapter, target: string, options: ConsistentCopyOptions): Promise<void> {
  const progress = progressReporter(options);
  const { pageSize } = adapter.introspector.storageSync();
  const report = (size: number, done: number) => progress(Math.ceil(size / pageSize), Math.ceil(Math.min(done, size) / pageSize));
  // The bytes are copied while the application keeps committing, in steps that report progress;
  // then, under one read lock, the chunks that changed meanwhile are copied again
  // (`reconcileCopy`). The application waits only for that comparison: 535 MB copied under the
  // lock kept it waiting 1.3 s, compared 0.2 s.
  const source = await open(adapter.filePath, 'r');
  const copy = await open(target, 'wx');
  try {
    const { size } = await source.stat();
    const chunk = (options.pagesPerStep ?? 8192) * pageSize;
    const buffer = Buffer.allocUnsafe(chunk);
    report(size, 0);
    for (let offset = 0; offset < size;) {
      const { bytesRead } = await source.read(buffer, 0, Math.min(chunk, size - offset), offset);
      if (bytesRead === 0) break;
      await copy.write(buffer, 0, bytesRead, offset);
      offset += bytesRead;
      report(size, offset);
    }
  } finally {
    await copy.close();
    await source.close();
  }
  underReadLock(adapter, () => reconcileCopy(adapter.filePath, target));
}
