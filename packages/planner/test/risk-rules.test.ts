import { beforeAll, describe, expect, it } from 'vitest';
import { MigrationPlanner, type PlanStep, RISK_RULES } from '@mfmig/planner';
import { TEST_CALIBRATION, migrationsWith, open, seededMvp1 } from './helpers.js';

const ROWS = 12_000;
let database: string;

beforeAll(async () => {
  database = await seededMvp1(ROWS, migrationsWith({}));
});

/** Plans MVP1 -> MVP2 where MVP2 is the given migration files; returns the single step. */
async function stepOf(files: Record<string, string>): Promise<PlanStep> {
  const planner = new MigrationPlanner({ database, migrationsPath: migrationsWith({ mvp2: files }) }, { rehearsal: false, calibration: TEST_CALIBRATION });
  try {
    const plan = await planner.createComprehensiveMigrationPlan(2);
    expect(plan.steps).toHaveLength(Object.keys(files).length);
    return plan.steps[0]!;
  } finally {
    planner.context.close();
  }
}

const sql = (up: string, down = 'SELECT 1;', header = '') => `${header}-- migrate:up\n${up}\n-- migrate:down\n${down}\n`;

function finding(step: PlanStep, rule: string) {
  return step.rules.filter((r) => r.rule === rule).map((r) => r.severity);
}

describe('risk rules', () => {
  it('has a rule for drops, rebuilds, NOT NULL, transformations, irreversible steps and missing downs', () => {
    expect(RISK_RULES.map((r) => r.id)).toEqual([
      'drop-table',
      'drop-column',
      'delete-rows',
      'table-rebuild',
      'cascade-delete',
      'cascade-set-null',
      'dangling-foreign-key',
      'rehearsal-failed',
      'not-null-addition',
      'data-transformation',
      'irreversible',
      'missing-down',
      'rename',
      'index-build',
    ]);
  });

  it('drop-table: dropping a table with rows is high risk, an empty one low', async () => {
    const step = await stepOf({ '0003_drop.sql': sql('CREATE TABLE scratch (id INTEGER PRIMARY KEY);\nDROP TABLE scratch;\nDROP TABLE kb_feedback;') });
    expect(finding(step, 'drop-table')).toEqual(['low', 'high']);
    expect(step.rules.find((r) => r.severity === 'high')?.explanation).toContain(`${(ROWS / 4).toLocaleString('en-US')} rows`);
    expect(step.riskLevel).toBe('high');
  });

  it('drop-column: the values are lost', async () => {
    const step = await stepOf({ '0003_drop_column.sql': sql('ALTER TABLE kb_entries DROP COLUMN last_used;') });
    expect(finding(step, 'drop-column')).toEqual(['high']);
  });

  it('delete-rows: all rows is high, a filtered delete follows the table size', async () => {
    const step = await stepOf({ '0003_delete.sql': sql("DELETE FROM kb_feedback;\nDELETE FROM kb_entries WHERE category = 'Other';") });
    expect(finding(step, 'delete-rows')).toEqual(['high', 'medium']);
  });

  it('table-rebuild: weighted by rows; with foreign keys on, cascade-delete names each ON DELETE CASCADE child and its rows', async () => {
    const rebuild = [
      'CREATE TABLE kb_feedback_new (id INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL REFERENCES kb_entries (id), rating TEXT NOT NULL, comment TEXT, created_at TEXT NOT NULL);',
      'INSERT INTO kb_feedback_new SELECT * FROM kb_feedback;',
      'DROP TABLE kb_feedback;',
      'ALTER TABLE kb_feedback_new RENAME TO kb_feedback;',
    ].join('\n');
    const safe = await stepOf({ '0003_rebuild.sql': sql(rebuild, 'SELECT 1;', '-- foreign-keys: off\n') });
    expect(finding(safe, 'table-rebuild')).toEqual(['low']);
    const entries = rebuild
      .replaceAll('kb_feedback', 'kb_entries')
      .replace('entry_id INTEGER NOT NULL REFERENCES kb_entries (id), rating TEXT NOT NULL, comment TEXT, created_at TEXT NOT NULL', 'title TEXT NOT NULL');
    const big = await stepOf({ '0003_rebuild.sql': sql(entries.replace('SELECT *', 'SELECT id, title'), 'SELECT 1;', '-- foreign-keys: off\n') });
    expect(finding(big, 'table-rebuild')).toEqual(['medium']);
    expect(finding(big, 'cascade-delete')).toEqual([]);
    const unsafe = await stepOf({ '0003_rebuild.sql': sql(entries.replace('SELECT *', 'SELECT id, title')) });
    expect(finding(unsafe, 'table-rebuild')).toEqual(['medium']);
    expect(finding(unsafe, 'cascade-delete')).toEqual(['critical', 'critical']);
    const live = open(database);
    const count = (table: string) => live.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
    expect(unsafe.rules.filter((r) => r.rule === 'cascade-delete').map((r) => [r.details?.child, r.details?.rows, r.details?.parent])).toEqual([
      ['kb_feedback', count('kb_feedback'), 'kb_entries'],
      ['kb_tags', count('kb_tags'), 'kb_entries'],
    ]);
    live.close();
    expect(unsafe.riskLevel).toBe('critical');
  });

  it('table-rebuild: names each child table once, however many keys it has to the rebuilt parent', async () => {
    const files = {
      '0003_links.sql': sql(
        'CREATE TABLE entry_links (id INTEGER PRIMARY KEY, from_id INTEGER REFERENCES kb_entries (id), to_id INTEGER REFERENCES kb_entries (id));',
      ),
      '0004_rebuild.sql': sql(
        [
          'CREATE TABLE kb_entries_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL);',
          'INSERT INTO kb_entries_new SELECT id, title FROM kb_entries;',
          'DROP TABLE kb_entries;',
          'ALTER TABLE kb_entries_new RENAME TO kb_entries;',
        ].join('\n'),
        'SELECT 1;',
        '-- foreign-keys: off\n',
      ),
    };
    const planner = new MigrationPlanner({ database, migrationsPath: migrationsWith({ mvp2: files }) }, { rehearsal: false, calibration: TEST_CALIBRATION });
    try {
      const plan = await planner.createComprehensiveMigrationPlan(2);
      const rebuild = plan.steps[1]!.rules.find((r) => r.rule === 'table-rebuild');
      // entry_links has two keys to kb_entries; MVP1's kb_feedback and kb_tags one each
      expect(rebuild?.details?.children).toEqual(['entry_links', 'kb_feedback', 'kb_tags']);
      expect(rebuild?.details?.foreignKeys).toBe('off');
    } finally {
      planner.context.close();
    }
  });

  it('not-null-addition: without a default on a table with rows the migration fails; a rebuild over NULLs fails too', async () => {
    const add = await stepOf({
      '0003_not_null.sql': sql("ALTER TABLE kb_entries ADD COLUMN owner TEXT NOT NULL;\nALTER TABLE kb_entries ADD COLUMN team TEXT NOT NULL DEFAULT 'ops';"),
    });
    expect(finding(add, 'not-null-addition')).toEqual(['critical', 'low']);
    const tighten = await stepOf({
      '0003_tighten.sql': sql(
        [
          'CREATE TABLE kb_feedback_new (id INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL, rating TEXT NOT NULL, comment TEXT NOT NULL, created_at TEXT NOT NULL);',
          'INSERT INTO kb_feedback_new SELECT * FROM kb_feedback;',
          'DROP TABLE kb_feedback;',
          'ALTER TABLE kb_feedback_new RENAME TO kb_feedback;',
        ].join('\n'),
        'SELECT 1;',
        '-- foreign-keys: off\n',
      ),
    });
    expect(finding(tighten, 'not-null-addition')).toEqual(['critical']);
    expect(tighten.rules.find((r) => r.rule === 'not-null-addition')!.explanation).toMatch(/kb_feedback\.comment NOT NULL but [\d,]+ rows hold NULL/);
  });

  it('data-transformation: declared transformations and UPDATEs over N rows, worse when not reversible', async () => {
    const module = `export const transformations = [
  { id: 'titles', name: 'Upper titles', sourceTable: 'kb_entries', targetTable: 'kb_entries', transformationType: 'enrich', transform: (r) => ({ id: r.id, title: String(r.title).toUpperCase() }), reversible: false },
];
export async function up() {}
export async function down() {}
`;
    const step = await stepOf({ '0003_titles.ts': module });
    expect(finding(step, 'data-transformation')).toEqual(['high']);
    expect(step.rules.find((r) => r.rule === 'data-transformation')!.explanation).toContain(`${ROWS.toLocaleString('en-US')} rows, a JavaScript row function`);
    const update = await stepOf({ '0003_update.sql': sql("UPDATE kb_entries SET severity = 'low' WHERE severity = 'medium';") });
    expect(finding(update, 'data-transformation')).toEqual(['medium']);
  });

  it('irreversible: declared irreversible steps are high going up', async () => {
    const step = await stepOf({ '0003_irreversible.sql': sql('CREATE TABLE t (id INTEGER PRIMARY KEY);', 'DROP TABLE t;', '-- irreversible: true\n') });
    expect(finding(step, 'irreversible')).toEqual(['high']);
  });

  it('missing-down: medium for schema-only steps, high when data changes', async () => {
    const schemaOnly = await stepOf({ '0003_no_down.sql': '-- migrate:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n' });
    expect(finding(schemaOnly, 'missing-down')).toEqual(['medium']);
    const destructive = await stepOf({ '0003_no_down.sql': "-- migrate:up\nUPDATE kb_entries SET archived = 1 WHERE category = 'Other';\n" });
    expect(finding(destructive, 'missing-down')).toEqual(['high']);
  });

  it('rename: renamed tables and columns break the running application', async () => {
    const step = await stepOf({ '0003_rename.sql': sql('ALTER TABLE kb_feedback RENAME COLUMN comment TO remark;\nALTER TABLE kb_tags RENAME TO kb_labels;') });
    expect(finding(step, 'rename')).toEqual(['medium', 'medium']);
  });

  it('index-build: building indexes on populated tables', async () => {
    const step = await stepOf({
      '0003_index.sql': sql(
        'CREATE INDEX idx_title ON kb_entries (title);\nCREATE UNIQUE INDEX idx_title_u ON kb_entries (title, id);\nCREATE INDEX idx_feedback_rating ON kb_feedback (rating);',
      ),
    });
    expect(finding(step, 'index-build')).toEqual(['low', 'medium']);
  });

  it('captures the statements of module migrations by a dry run on a copy of the schema', async () => {
    const module = `export async function up(db) {
  await db.schema.createTable('audit').addColumn('id', 'integer', (c) => c.primaryKey()).execute();
  await db.schema.alterTable('kb_entries').dropColumn('last_used').execute();
}
export async function down() {}
`;
    const step = await stepOf({ '0003_module.ts': module });
    expect(step.operations.map((o) => [o.kind, o.table])).toEqual([
      ['create-table', 'audit'],
      ['drop-column', 'kb_entries'],
    ]);
    expect(finding(step, 'drop-column')).toEqual(['high']);
  });
});
