import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MfmigError, isMfmigError, loadMigrations } from '@mfmig/core';
import { findBackup } from '@mfmig/rollback';
import { hintFor } from '../src/error-hints.js';
import { tempDir } from './helpers.js';

/** The error `run` throws or rejects with. */
async function caught(run: () => unknown): Promise<MfmigError> {
  try {
    await run();
  } catch (error) {
    if (isMfmigError(error)) return error;
    throw error;
  }
  throw new Error('expected an mfmig error');
}

// A library message says what is wrong; flags and commands to type belong to the CLI's hint.
const CLI_ADVICE = /--[a-z]|`mfmig /;

describe('command-line advice lives in the CLI, keyed by error code', () => {
  it('a missing migrations folder: a factual library message, the flag in the hint', async () => {
    const error = await caught(() => loadMigrations(join(tempDir(), 'nope')));
    expect(error.code).toBe('MIGRATIONS_NOT_FOUND');
    expect(error.message).not.toMatch(CLI_ADVICE);
    expect(hintFor(error)).toContain('--migrations');
  });

  it('an unknown backup: a factual library message, `mfmig backup --list` in the hint', async () => {
    const error = await caught(() => findBackup(tempDir(), 'no-such-backup'));
    expect(error).toMatchObject({ code: 'BACKUP_INVALID', context: { reason: 'not-found' } });
    expect(error.message).not.toMatch(CLI_ADVICE);
    expect(hintFor(error)).toContain('mfmig backup --list');
  });
});
