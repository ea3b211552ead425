import type { HistoryEntry } from './history-store.js';

/**
 * A hash-like summary of a whole history (every version with its checksum and status), to tell
 * that the history changed between two reads: a rollback plan keeps it, and its execution refuses
 * when the database's history no longer gives the same one. Empty for an empty history.
 *
 * @example
 * historyFingerprintOf([{ version: 1, checksum: 'ab12', status: 'applied', ... }]); // '1:1/ab12/applied'
 */
export function historyFingerprintOf(entries: readonly Pick<HistoryEntry, 'version' | 'checksum' | 'status'>[]): string {
  if (entries.length === 0) return '';
  const ordered = [...entries].sort((a, b) => a.version - b.version);
  return `${ordered.length}:${ordered.map((e) => `${e.version}/${e.checksum}/${e.status}`).join(',')}`;
}

/**
 * {@link historyFingerprintOf} of the history a dialect connection holds.
 *
 * @example
 * const fingerprint = await historyFingerprint(conn.history);
 */
export async function historyFingerprint(history: { list(): Promise<HistoryEntry[]> }): Promise<string> {
  return historyFingerprintOf(await history.list());
}
