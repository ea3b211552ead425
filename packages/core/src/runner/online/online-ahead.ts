import type { DatabaseAdapter } from '../../adapter/index.js';
import type { AheadOptions, OnlineRebuildSettings } from '../../dialect/dialect.js';
import { HistoryStore } from '../../history/history-store.js';
import type { Migration } from '../../migration/index.js';
import { applyConnectionSettings } from '../apply-connection-settings.js';
import { DEFAULT_PACING } from '../batch-pacer.js';
import type { RebuildPattern } from './rebuild-pattern.js';
import { mayRebuildOnline, onlineRebuildOf, runOnlineCopy } from './online-rebuild.js';

/** Both SQLite runners' default: rebuilds over at least 10,000 rows run online, in batches of about 100 ms with 25 ms pauses. */
export const DEFAULT_ONLINE_REBUILD: OnlineRebuildSettings = { minRows: 10_000, pacing: DEFAULT_PACING };

/**
 * The online part of an up table rebuild over a large table, for either SQLite runner: when `m`
 * is one mfmig can run online (see `onlineRebuildOf`) and is not applied yet, its copy runs now,
 * under the migration's connection settings, and the swap that finishes it is returned; otherwise
 * `m` itself. `onStart` hears of a rebuild before its copy begins.
 *
 * @example
 * const step = await rebuildAhead(adapter, m, { online: { minRows: 10_000, pacing: DEFAULT_PACING }, onProgress });
 */
export async function rebuildAhead(
  adapter: DatabaseAdapter,
  m: Migration,
  options: AheadOptions & { onStart?: (pattern: RebuildPattern) => void },
): Promise<Migration> {
  if (!mayRebuildOnline(m) || new HistoryStore(adapter).has(m.version)) return m;
  const restore = applyConnectionSettings(adapter, m.connection.up);
  try {
    const pattern = onlineRebuildOf(adapter, m, options.online.minRows);
    if (!pattern) return m;
    options.onStart?.(pattern);
    return await runOnlineCopy(adapter, m, pattern, { pacing: options.online.pacing, signal: options.signal, onProgress: options.onProgress });
  } finally {
    restore();
  }
}
