import {
  type Migration,
  type SqliteConnection,
  type TableRebuilder,
  bodyDb,
  createMigrationContext,
  messageOf,
  migrationLabel,
  splitSqlStatements,
  transactionModeOf,
  watchSqliteStatements,
} from '@mfmig/core';
import { classifyStatement } from './classify-statement.js';
import { type ForeignKeyEdge, childTables, danglingForeignKeys, foreignKeyEdges } from './foreign-key-graph.js';
import { copySchema } from './schema-copy.js';

/** A statement that removes parent rows while foreign keys are on, and a child table whose ON DELETE action it fires. */
export interface ParentRowRemoval {
  /** The statement (abbreviated). */
  statement: string;
  kind: 'drop-table' | 'delete' | 'replace';
  /** Every row of the parent goes (DROP TABLE, DELETE without WHERE), not only some. */
  allRows: boolean;
  parent: string;
  /** The child's foreign key, as it is when the statement runs: `CASCADE`, `SET NULL` or `SET DEFAULT`. */
  child: ForeignKeyEdge;
}

/** What the schema simulation saw during one step. */
export interface SimulatedStep {
  /** Foreign key enforcement when the step's statements ran (the migration's mode on the connection's default). */
  foreignKeys: 'on' | 'off';
  /** Child tables by lower-case parent name, as the step starts. */
  children: Map<string, ForeignKeyEdge[]>;
  removals: ParentRowRemoval[];
  /** Foreign keys whose parent table no longer exists after the step (new ones only). */
  dangling: ForeignKeyEdge[];
}

/** The schema as it will be at each step of a plan. */
export interface SchemaSimulation {
  /** By version; a step the simulation did not reach has no entry. */
  steps: Map<number, SimulatedStep>;
  notes: string[];
}

/** Options of {@link simulateSchema}. */
export interface SimulationOptions {
  direction: 'up' | 'down';
  /** Foreign keys on the connection the runner will use (better-sqlite3: on). */
  foreignKeys: boolean;
  rebuildTable: TableRebuilder | undefined;
}

const ACTIONS = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT']);
const quiet = { log() {} };

function abbreviate(sql: string, max = 160): string {
  const one = sql.replace(/\s+/g, ' ').trim().replace(/;$/, '');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function removalOf(statement: string): { kind: ParentRowRemoval['kind']; allRows: boolean; table: string } | undefined {
  const info = classifyStatement(statement);
  if (!info.table || info.table.toLowerCase().startsWith('mfmig_')) return undefined;
  if (info.kind === 'drop-table') return { kind: 'drop-table', allRows: true, table: info.table };
  if (info.kind === 'delete') return { kind: 'delete', allRows: !info.flags.hasWhere, table: info.table };
  if (info.flags.replace) return { kind: 'replace', allRows: false, table: info.table };
  return undefined;
}

/**
 * Runs the steps of a plan, one after the other, on an in-memory copy of the live schema (no
 * data; the live database is only read), each with its foreign-key mode the way the runner
 * applies it (`foreignKeys: 'off'` switched outside the transaction, `legacyAlterTable`), and
 * watches every statement: before one that removes rows of a table (DROP TABLE, DELETE,
 * REPLACE), the child tables whose ON DELETE action it would fire, as the schema is at that
 * moment; after each step, the foreign keys left pointing at a table that no longer exists.
 *
 * @example
 * const simulation = await simulateSchema(conn, steps, { direction: 'up', foreignKeys: true, rebuildTable });
 * simulation.steps.get(2)?.removals; // [{ statement: 'DROP TABLE author', parent: 'author', child: { table: 'book', ... } }]
 */
export async function simulateSchema(live: SqliteConnection, steps: Migration[], options: SimulationOptions): Promise<SchemaSimulation> {
  const simulation: SchemaSimulation = { steps: new Map(), notes: [] };
  if (steps.length === 0) return simulation;
  const copy = await copySchema(live);
  const catalog = copy.introspector;
  const initial = options.foreignKeys ? 'ON' : 'OFF';
  let current: { step: SimulatedStep; seen: Set<string> } | undefined;
  // a migration body runs its statements synchronously: the copy's catalog is read synchronously, between two of them
  const watched = watchSqliteStatements(copy, (sql, moment) => {
    if (!current || !moment.foreignKeysEnabled()) return;
    for (const statement of splitSqlStatements(sql)) {
      const removal = removalOf(statement);
      if (!removal || catalog.tableListSync(removal.table).length === 0) continue;
      for (const child of childTables(foreignKeyEdges(copy)).get(removal.table.toLowerCase()) ?? []) {
        const key = `${statement}\u0000${child.table}\u0000${child.columns.join(',')}`;
        if (!ACTIONS.has(child.onDelete) || current.seen.has(key)) continue;
        current.seen.add(key);
        current.step.removals.push({ statement: abbreviate(statement), kind: removal.kind, allRows: removal.allRows, parent: removal.table, child });
      }
    }
  });
  try {
    await copy.execute(`PRAGMA foreign_keys = ${initial}`);
    for (const m of steps) {
      const run = options.direction === 'up' ? m.up : m.down;
      if (!run) break;
      const edges = foreignKeyEdges(copy);
      const before = new Set(danglingForeignKeys(copy, edges).map(edgeKey));
      if (m.foreignKeys === 'off') await copy.execute('PRAGMA foreign_keys = OFF');
      if ((m as { legacyAlterTable?: boolean }).legacyAlterTable === true) await copy.execute('PRAGMA legacy_alter_table = ON');
      const step: SimulatedStep = {
        foreignKeys: (await copy.foreignKeysEnabled()) ? 'on' : 'off',
        children: childTables(edges),
        removals: [],
        dangling: [],
      };
      simulation.steps.set(m.version, step);
      const ctx = createMigrationContext({
        connection: watched,
        migration: m,
        direction: options.direction,
        dryRun: false,
        logger: quiet,
        rebuildTable: options.rebuildTable,
        onProgress: () => {},
        runId: 'planner-schema-simulation',
      });
      current = { step, seen: new Set() };
      try {
        if (transactionModeOf(m, options.direction) === 'immediate') await watched.begin();
        await run(bodyDb(run, ctx), ctx);
        step.dangling = danglingForeignKeys(copy).filter((edge) => !before.has(edgeKey(edge)));
        if (copy.inTransaction) await watched.commit();
      } catch (error) {
        await watched.rollback();
        simulation.notes.push(
          `The schema simulation stopped at ${migrationLabel(m)} (${messageOf(error).split('\n')[0]}); later steps are not checked for cascades or dangling foreign keys`,
        );
        break;
      } finally {
        current = undefined;
        await copy.execute(`PRAGMA foreign_keys = ${initial}`);
        await copy.execute('PRAGMA legacy_alter_table = OFF');
      }
    }
  } finally {
    await copy.close();
  }
  return simulation;
}

function edgeKey(edge: ForeignKeyEdge): string {
  return `${edge.table.toLowerCase()}\u0000${edge.columns.join(',').toLowerCase()}\u0000${edge.parent.toLowerCase()}`;
}
