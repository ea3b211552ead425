// A team moving to PostgreSQL hands the framework its DATABASE_URL, as it would to any ORM. The
// SQLite services must say plainly that the URL is not theirs and what opens it, instead of
// reading it as a file name (it was refused as a missing directory), and write nothing.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMfmigError } from '@mfmig/core';
import { RollbackManager, createMigrationFramework } from '@mfmig/framework';
import { ValidationService } from '@mfmig/validation';
import { snapshotTree, tempDir } from '@mfmig/test-support';

const URL = 'postgresql://app:s3cret@db.internal:5432/kb';

async function refusal(open: () => unknown): Promise<{ code: string; message: string }> {
  try {
    await open();
  } catch (error) {
    if (isMfmigError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('a PostgreSQL URL given to the SQLite services', () => {
  it('is refused with USAGE, naming the database (never the password) and openPostgres, and creates nothing', async () => {
    const dir = tempDir();
    const before = snapshotTree(dir);
    for (const open of [
      () => createMigrationFramework({ database: URL, migrationsPath: join(dir, 'migrations'), backupPath: join(dir, 'backups') }),
      () => new RollbackManager({ database: URL, migrationsPath: join(dir, 'migrations'), backupPath: join(dir, 'backups') }).createBackup(),
      () => new ValidationService({ database: URL, migrationsPath: join(dir, 'migrations') }).performComprehensiveValidation(),
    ]) {
      const { code, message } = await refusal(open);
      expect(code).toBe('USAGE');
      expect(message).toContain('db.internal:5432/kb');
      expect(message).toContain('openPostgres');
      expect(message).not.toContain('s3cret');
    }
    expect(snapshotTree(dir)).toEqual(before);
    expect(existsSync(resolve('postgresql:'))).toBe(false);
  });
});
