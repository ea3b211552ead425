import type { MigrationStatus } from '@mfmig/core';
import { milestoneText } from './milestone-text.js';
import type { Output } from './output.js';

/** `none`, `7 (MVP3)`, `4 (in mvp2; MVP1 complete)` when the database is part-way through a milestone, or `7` without milestones. */
export function describePosition(
  status: Pick<MigrationStatus, 'applied' | 'currentVersion' | 'currentMvp' | 'currentVersionMvp'> & { hasMilestones?: boolean },
): string {
  if (status.applied.length === 0) return 'none';
  if (status.hasMilestones === false) return String(status.currentVersion);
  if (status.currentVersionMvp === status.currentMvp) return `${status.currentVersion} (MVP${status.currentMvp})`;
  return `${status.currentVersion} (in mvp${status.currentVersionMvp}; ${status.currentMvp > 0 ? `MVP${status.currentMvp} complete` : 'no milestone complete'})`;
}

/**
 * The pending migrations as a table (nothing when none is pending), the same on every database.
 *
 * @example
 * renderPending(cli.out, status);
 */
export function renderPending(out: Output, status: Pick<MigrationStatus, 'pending' | 'hasMilestones'>): void {
  if (status.pending.length === 0) return;
  out.line();
  out.table(
    status.pending.map((p) => ({ version: p.versionLabel ?? p.version, name: p.name, mvp: milestoneText(p.mvp) })),
    [
      { key: 'version', label: 'Pending', align: 'right' },
      { key: 'name', label: 'Name' },
      ...(status.hasMilestones ? [{ key: 'mvp' as const, label: 'Milestone' }] : []),
    ],
  );
}

/**
 * The repeatable migrations the next `migrate` runs after the versioned ones (nothing when none is
 * pending), the same on every database.
 *
 * @example
 * renderPendingRepeatables(cli.out, status);
 */
export function renderPendingRepeatables(out: Output, status: Pick<MigrationStatus, 'pendingRepeatables'>): void {
  if (status.pendingRepeatables.length === 0) return;
  out.line();
  out.line(
    `Repeatable (run after the versioned ones by the next migrate): ${status.pendingRepeatables.map((r) => `${r.name}${r.applied ? ' (changed)' : ''}`).join(', ')}`,
  );
}
