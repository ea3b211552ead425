import type { HistoryEntry } from '../history/index.js';
import type { Migration, MigrationSet } from './migration.js';

/** What {@link withSchemaReplayStandIns} returns. */
export interface SchemaReplaySet {
  /** The set, with every applied module that provably left the schema alone replaced by a no-op. */
  set: MigrationSet;
  /** Applied modules read for their metadata only whose effect on the schema is unknown: a replay cannot pass them. */
  unknown: Migration[];
}

/**
 * Prepares a set loaded for metadata only (see `LoadMigrationsOptions.modules`) for a
 * schema-only replay of the applied migrations, without running any module code. An applied
 * module whose history row records the same schema hash as the migration applied just before it
 * (it moved data only, like the knowledge base's 0005, 0008 and 0017) is replaced by a stand-in
 * whose `up` and `down` do nothing; every other applied module read for its metadata only is
 * listed in `unknown`. Migrations whose code is loaded are left as they are.
 *
 * @example
 * const { set: replayable, unknown } = withSchemaReplayStandIns(set, history.list());
 * if (unknown.length === 0) await replaySchema(replayable, replayable.migrations);
 */
export function withSchemaReplayStandIns(set: MigrationSet, history: readonly HistoryEntry[]): SchemaReplaySet {
  if (!set.migrations.some((m) => m.metadataOnly === true)) return { set, unknown: [] };
  const inOrder = [...history].sort((a, b) => a.appliedAt.localeCompare(b.appliedAt) || a.version - b.version);
  const neutral = new Set<number>();
  for (const [i, h] of inOrder.entries()) {
    const before = inOrder[i - 1];
    if (before && h.schemaHash !== null && h.schemaHash === before.schemaHash) neutral.add(h.version);
  }
  const applied = new Set(history.map((h) => h.version));
  const unknown: Migration[] = [];
  const migrations = set.migrations.map((m): Migration => {
    if (m.metadataOnly !== true || !applied.has(m.version)) return m;
    if (!neutral.has(m.version)) {
      unknown.push(m);
      return m;
    }
    return { ...m, metadataOnly: false, up: () => {}, down: () => {} };
  });
  return { set: { ...set, migrations, byVersion: new Map(migrations.map((m) => [m.version, m])) }, unknown };
}

/**
 * The set with only the migrations whose version is in `versions` (the applied ones), so that a
 * replay or rehearsal builds what the history says was applied: a migration still pending below
 * the current version (merged out of order) is left out, not taken for drift.
 *
 * @example
 * const applied = appliedSubset(set, history.map((h) => h.version));
 * applied.migrations.length; // the applied migrations the folder has
 */
export function appliedSubset(set: MigrationSet, versions: Iterable<number>): MigrationSet {
  const wanted = new Set(versions);
  const migrations = set.migrations.filter((m) => wanted.has(m.version));
  return { ...set, migrations, byVersion: new Map(migrations.map((m) => [m.version, m])) };
}
