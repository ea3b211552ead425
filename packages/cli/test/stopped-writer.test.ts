import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leaveHotJournal } from '@mfmig/test-support';
import { kbChecksums, withDb } from './harness/db-state.js';
import { copyMvp1, mfmig, tempDir } from './helpers.js';

describe('the reading commands after an application was killed in the middle of a write', () => {
  it('status, history and validate read the last committed state (the hot journal rolled back), and report it as before', async () => {
    const dir = tempDir();
    copyMvp1(dir);
    const file = join(dir, 'knowledge.db');
    expect(mfmig(dir, ['seed', '--rows', '300']).code).toBe(0);
    const before = mfmig(dir, ['--db', file, '--json', 'status']);
    expect(before.code).toBe(0);
    const committed = withDb(file, kbChecksums);

    // the application dies with SIGKILL halfway through a large transaction of its own
    await leaveHotJournal(file, 'INSERT INTO kb_tags (entry_id, tag) VALUES (1 + abs(random()) % 300, hex(randomblob(40)))', 20_000);

    const status = mfmig(dir, ['--db', file, '--json', 'status']);
    expect(status.code).toBe(0);
    expect(status.json.currentVersion).toBe(before.json.currentVersion);
    expect(mfmig(dir, ['--db', file, '--json', 'history']).code).toBe(0);
    const validate = mfmig(dir, ['--db', file, '--json', 'validate', '--level', 'comprehensive']);
    expect(validate.code).toBe(0);
    // none of the killed transaction's rows, every committed one
    expect(withDb(file, kbChecksums)).toEqual(committed);
  });
});
