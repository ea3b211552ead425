import { formatCount } from '@mfmig/core';
import type { MigrationExecutionResult } from '@mfmig/framework';
import type { Output } from './output.js';
import { formatMs } from './progress-reporter.js';
import { renderRemovedByRetention } from './render-backups.js';

/** Prints what a run did (or, for a dry run, would do) as a table, with statements for a dry run. */
export function renderRun(out: Output, result: MigrationExecutionResult): void {
  const c = out.colors;
  // a folder without milestones gives every migration milestone 0: say nothing about milestones then
  const milestones = result.fromMVP > 0 || result.toMVP > 0 || result.migrations.some((m) => m.mvp > 0);
  const at = (mvp: number) => (milestones ? ` (MVP${mvp})` : '');
  if (result.migrations.length === 0) {
    if (result.repeatables.length === 0) out.line(`Nothing to do: the database is at version ${result.fromVersion}${at(result.fromMVP)}.`);
    renderRepeatables(out, result);
    return;
  }
  out.table(
    result.migrations.map((m) => ({
      version: m.version,
      name: m.name,
      mvp: `MVP${m.mvp}`,
      direction: m.direction,
      status: m.status,
      took: formatMs(m.durationMs),
      rows: formatCount(m.rows),
    })),
    [
      { key: 'version', label: 'Version', align: 'right' },
      { key: 'name', label: 'Name' },
      ...(milestones ? [{ key: 'mvp' as const, label: 'Milestone' }] : []),
      { key: 'direction', label: 'Dir' },
      { key: 'status', label: 'Status' },
      { key: 'took', label: 'Took', align: 'right' },
      { key: 'rows', label: 'Rows', align: 'right' },
    ],
  );
  if (result.dryRun) {
    out.line();
    out.line(c.bold('Statements that would run (nothing was written):'));
    for (const m of result.migrations) {
      out.line(c.cyan(`-- ${String(m.version).padStart(4, '0')}_${m.name} (${m.direction})`));
      for (const s of m.statements) out.block(s.endsWith(';') ? s : `${s};`);
    }
    renderRepeatables(out, result);
    return;
  }
  renderRepeatables(out, result);
  const moved = result.extras.transformations ?? [];
  if (moved.length > 0) {
    out.line();
    out.line(c.bold('Rows moved per transformation:'));
    out.table(
      moved.map((t) => ({
        id: t.id,
        mode: t.mode,
        read: formatCount(t.rowsRead),
        written: t.rowsWritten === null ? 'not counted' : formatCount(t.rowsWritten),
        batches: t.batches,
        took: formatMs(t.durationMs),
        rate: formatCount(Math.round(t.rowsPerSecond)),
      })),
      [
        { key: 'id', label: 'Transformation' },
        { key: 'mode', label: 'Mode' },
        { key: 'read', label: 'Rows read', align: 'right' },
        { key: 'written', label: 'Rows written', align: 'right' },
        { key: 'batches', label: 'Batches', align: 'right' },
        { key: 'took', label: 'Took', align: 'right' },
        { key: 'rate', label: 'Rows/s', align: 'right' },
      ],
    );
  }
  const backup = result.extras.backup;
  if (backup) {
    out.line();
    out.line(`Backup taken first: ${backup.id}`);
    renderRemovedByRetention(out, backup.removedByRetention ?? []);
  }
  out.line();
  out.line(
    `${c.green('Done:')} version ${result.fromVersion}${at(result.fromMVP)} -> ${result.toVersion}${at(result.toMVP)} in ${formatMs(result.durationMs)}`,
  );
}

/** The repeatable migrations of the run: run after the versioned ones, or (dry run) pending. */
function renderRepeatables(out: Output, result: MigrationExecutionResult): void {
  if (result.repeatables.length === 0) return;
  out.line();
  out.line(out.colors.bold(result.dryRun ? 'Repeatable migrations that would run after them (changed or never applied):' : 'Repeatable migrations:'));
  out.table(
    result.repeatables.map((r) => ({ name: r.name, status: r.status, took: formatMs(r.durationMs) })),
    [
      { key: 'name', label: 'Repeatable' },
      { key: 'status', label: 'Status' },
      { key: 'took', label: 'Took', align: 'right' },
    ],
  );
}
