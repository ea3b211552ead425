// How the binary behaves at the ends of a pipe and in a real terminal (a pty from `script`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, REAL_MIGRATIONS, cliEnv, mfmig, tempDir } from './helpers.js';

const node = process.execPath;

describe('the mfmig binary at the ends of pipes and terminals', () => {
  it('ends quietly when the reader of its output closes the pipe (history | head -1, diff | head -1)', () => {
    const dir = tempDir();
    expect(mfmig(dir, ['--migrations', REAL_MIGRATIONS, 'migrate', '--yes']).code).toBe(0);
    for (const command of ['history', 'diff --from 1 --to 17', '--json status']) {
      const run = spawnSync('bash', ['-c', `"${node}" "${BIN}" --migrations "${REAL_MIGRATIONS}" ${command} | head -1; echo "status:\${PIPESTATUS[0]}" >&2`], {
        cwd: dir,
        encoding: 'utf8',
        env: cliEnv(),
      });
      expect(run.stdout.split('\n').filter(Boolean)).toHaveLength(1);
      expect(run.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
      expect(run.stderr).toMatch(/status:0/);
    }
  });

  it('runs the demo in a pseudo-terminal, progress bars and all, and exits by itself', () => {
    expect(existsSync('/usr/bin/script'), 'the pty test needs script(1) from util-linux (apt-get install -y bsdutils)').toBe(true);
    const dir = tempDir();
    const run = spawnSync('/usr/bin/script', ['-qfec', `"${node}" "${BIN}" --migrations "${REAL_MIGRATIONS}" demo --yes --rows 300`, '/dev/null'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, TERM: 'xterm' },
      timeout: 100_000,
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });
});
