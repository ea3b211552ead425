import type { SchemaChange } from './schema-change.js';
import type { SchemaDiff } from './schema-diff.js';

const MARK: Record<string, string> = { added: '+', removed: '-', renamed: '>', changed: '~' };

function mark(change: SchemaChange): string {
  if (change.kind.endsWith('-added')) return MARK.added!;
  if (change.kind.endsWith('-removed')) return MARK.removed!;
  if (change.kind.endsWith('-renamed')) return MARK.renamed!;
  return MARK.changed!;
}

/**
 * Renders a diff as plain text, one change per line, grouped by object, breaking changes
 * flagged with their reason.
 *
 * @example
 * console.log(renderDiff(diff, { from: 'version 2', to: 'version 5' }));
 * // Schema diff version 2 -> version 5: 1 breaking, 3 compatible
 * //   + table incidents added (12 columns)
 * //   - column kb_entries.legacy dropped (legacy TEXT)   [BREAKING: dropped column: ...]
 */
export function renderDiff(diff: SchemaDiff, labels: { from?: string; to?: string } = {}): string {
  const from = labels.from ?? diff.fromHash;
  const to = labels.to ?? diff.toHash;
  if (diff.changes.length === 0) return `Schema diff ${from} -> ${to}: no changes (schema hash ${diff.toHash})`;
  const compatibleCount = diff.changes.length - diff.breaking.length;
  const lines = [`Schema diff ${from} -> ${to}: ${diff.breaking.length} breaking, ${compatibleCount} compatible`];
  const width = Math.min(72, Math.max(...diff.changes.map((c) => c.description.length)));
  for (const change of diff.changes) {
    const flag = change.compatibility === 'breaking' ? `   [BREAKING: ${change.reason}]` : '';
    lines.push(`  ${mark(change)} ${change.description.padEnd(flag ? width : 0)}${flag}`);
  }
  return lines.join('\n');
}
