import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationService } from '@mfmig/validation';
import { createKnowledgeBase, tempDir, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

async function knowledgeBase(): Promise<string> {
  const file = join(tempDir(), 'kb.db');
  await createKnowledgeBase(file, { rows: 50 });
  return file;
}

describe('migrationsPath', () => {
  it('named and missing: the call fails with MIGRATIONS_NOT_FOUND instead of a valid report', async () => {
    const file = await knowledgeBase();
    const validation = new ValidationService({ database: file, migrationsPath: join(tempDir(), 'no-such-folder') });
    try {
      await expect(validation.performComprehensiveValidation()).rejects.toMatchObject({ code: 'MIGRATIONS_NOT_FOUND' });
    } finally {
      validation.close();
    }
  });

  it('absent: the checks that need migrations are skipped as no-migrations, the rest run', async () => {
    const file = await knowledgeBase();
    const validation = new ValidationService({ database: file });
    try {
      const report = await validation.performComprehensiveValidation();
      expect(report.isValid).toBe(true);
      expect(report.checksSkipped.filter((s) => s.reason === 'no-migrations').map((s) => s.id)).toContain('schema.expected');
      expect(report.checksRun.map((c) => c.id)).toContain('referential.foreign_key_check');
    } finally {
      validation.close();
    }
  });
});
