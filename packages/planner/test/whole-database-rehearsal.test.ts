import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createServiceContext } from '@mfmig/core';
import { MigrationPlanner } from '@mfmig/planner';
import { SchemaEvolution } from '@mfmig/schema-evolution';
import { createTransformerPlugin } from '@mfmig/transformer';
import { REAL_MIGRATIONS, TEST_CALIBRATION, migrationsWith, open, seededMvp1, tempDir } from './helpers.js';

function plannerOn(file: string, migrationsPath: string, sampleRows?: number) {
  const context = createServiceContext({ database: file, migrationsPath, backupPath: tempDir() });
  context.plugins.push(createTransformerPlugin());
  new SchemaEvolution(context);
  const planner = new MigrationPlanner(context, { calibration: TEST_CALIBRATION, ...(sampleRows ? { rehearsal: { sampleRows } } : {}) });
  return { context, planner };
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function userRows(file: string): number {
  const db = open(file);
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'mfmig\\_%' ESCAPE '\\'")
    .pluck()
    .all() as string[];
  const rows = tables.reduce((sum, t) => sum + Number(db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get()), 0);
  db.close();
  return rows;
}

describe('the rehearsal of a database that fits in the sample', () => {
  it('rehearses all of it once, on a copy, despite a run lock held on the live file, which stays as it was', async () => {
    const file = await seededMvp1(300, REAL_MIGRATIONS);
    const db = open(file);
    db.exec(
      'CREATE TABLE IF NOT EXISTS mfmig_lock (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL, process_start TEXT, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, command TEXT NOT NULL, boot_id TEXT, pid_namespace TEXT)',
    );
    const now = new Date().toISOString();
    db.prepare('INSERT OR REPLACE INTO mfmig_lock (id, owner, pid, host, acquired_at, heartbeat_at, command) VALUES (1, ?, ?, ?, ?, ?, ?)').run(
      'someone-else',
      process.pid,
      hostname(),
      now,
      now,
      'migrate',
    );
    db.close();
    const before = sha(file);
    const { context, planner } = plannerOn(file, REAL_MIGRATIONS);
    const plan = await planner.createComprehensiveMigrationPlan(5);
    expect(plan.estimation.method).toBe('rehearsal');
    expect(plan.estimation.sampleRows).toEqual([userRows(file)]);
    expect(plan.rehearsal).toBeUndefined();
    expect(plan.steps.every((s) => s.estimateSource === 'rehearsal' && s.estimatedSeconds > 0)).toBe(true);
    // the rows each step leaves come from the rehearsal on the real data
    const links = plan.steps.find((s) => s.name === 'init_code_references')!;
    expect(links.operations.some((o) => o.kind === 'transformation' && o.rowsWritten > 0)).toBe(true);
    context.close();
    expect(sha(file)).toBe(before);
  });

  it('finds a migration that fails on the real data, as a failure on all of it', async () => {
    const migrations = migrationsWith({
      mvp2: {
        '0003_unique_category.sql':
          '-- migrate:up\nCREATE UNIQUE INDEX kb_one_per_category ON kb_entries (category);\n-- migrate:down\nDROP INDEX kb_one_per_category;\n',
      },
    });
    const file = await seededMvp1(200, migrations);
    const { context, planner } = plannerOn(file, migrations);
    const plan = await planner.createPlan({ latest: true });
    expect(plan.rehearsal).toMatchObject({ failed: true, version: 3, fraction: 1 });
    context.close();
  });

  it('samples a database larger than the sample, as before', async () => {
    const file = await seededMvp1(400, REAL_MIGRATIONS);
    const { context, planner } = plannerOn(file, REAL_MIGRATIONS, 200);
    const plan = await planner.createComprehensiveMigrationPlan(2);
    expect(plan.estimation.method).toBe('rehearsal');
    expect(plan.estimation.sampleRows).toHaveLength(2);
    expect(plan.estimation.sampleRows[0]).toBe(0);
    expect(plan.estimation.sampleRows[1]).toBeLessThan(userRows(file));
    context.close();
  });
});
