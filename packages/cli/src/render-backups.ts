import type { RemovedBackup, SkippedBackupEntry } from '@mfmig/rollback';
import type { Output } from './output.js';

/**
 * Prints what retention removed after a backup was taken (one line per backup), so that no
 * deletion goes unsaid. Nothing when it removed nothing.
 */
export function renderRemovedByRetention(out: Output, removed: readonly RemovedBackup[]): void {
  if (removed.length === 0) return;
  out.line(`Retention removed ${removed.length} older backup(s) (BACKUP_RETENTION; labelled backups are kept):`);
  for (const r of removed) out.line(`  - ${r.id} (${r.kind}, version ${r.version}, ${r.createdAt})`);
}

/** Says, on stderr, which entries of the backup folder were skipped and why: they are never offered or opened. */
export function noteSkippedEntries(out: Output, skipped: readonly SkippedBackupEntry[]): void {
  for (const s of skipped) out.note(`mfmig: skipped ${s.manifestPath}: it ${s.problem}`);
}
