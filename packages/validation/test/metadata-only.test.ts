import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchemaHistoryPlugin } from '@mfmig/schema-evolution';
import { ValidationService } from '@mfmig/validation';
import { MIGRATIONS, SCHEMA_ONLY, createKnowledgeBase, removeTempDirs, sha256, tempDir } from './helpers.js';

afterAll(removeTempDirs);

let withHashes: string;
let withoutHashes: string;

beforeAll(async () => {
  // the schema history plugin records the schema hash after every migration, as the framework does
  withHashes = join(tempDir(), 'mvp5-hashes.db');
  await createKnowledgeBase(withHashes, { rows: 0, mvp: 5, plugins: [SCHEMA_ONLY, createSchemaHistoryPlugin()] });
  // history rows without a schema fingerprint, as an older release or another tool's adoption left them
  withoutHashes = join(tempDir(), 'mvp5-bare.db');
  await createKnowledgeBase(withoutHashes, { rows: 0, mvp: 5 });
  const db = new Database(withoutHashes);
  db.prepare('UPDATE mfmig_history SET schema_hash = NULL').run();
  db.close();
});

const validate = async (database: string, loadModules: boolean) => {
  const validation = new ValidationService({ database, migrationsPath: MIGRATIONS, loadModules });
  try {
    return await validation.performComprehensiveValidation();
  } finally {
    validation.close();
  }
};

describe('validation with the migration modules read for their metadata only', () => {
  it('rebuilds the expected schema without running a module, and finds what importing them finds', async () => {
    const before = sha256(withHashes);
    const metadata = await validate(withHashes, false);
    const imported = await validate(withHashes, true);
    expect(metadata.checksRun.map((c) => c.id)).toContain('schema.expected');
    expect(metadata.checksSkipped).toEqual(imported.checksSkipped);
    expect([...metadata.errors, ...metadata.warnings]).toEqual([...imported.errors, ...imported.warnings]);
    expect(metadata.summary).toEqual(imported.summary);
    expect(sha256(withHashes)).toBe(before);
  });

  it('skips the expected schema, naming the module, when no history row proves the module moved data only', async () => {
    const report = await validate(withoutHashes, false);
    expect(report.checksRun.map((c) => c.id)).not.toContain('schema.expected');
    expect(report.checksSkipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'schema.expected', reason: 'not-applicable', message: expect.stringContaining('0005_map_kb_entries_to_incidents') }),
      ]),
    );
    expect(report.isValid).toBe(true);
    expect((await validate(withoutHashes, true)).checksRun.map((c) => c.id)).toContain('schema.expected');
  });
});
