import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { snapshotTree } from '@mfmig/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { mfmigWithin } from './bounded-run.js';
import { BIN, cliEnv, copyMvp1, mfmig, sha256File, tempDir } from './helpers.js';

/** Control characters a terminal acts on (line breaks aside, which separate our own lines). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let seeded: string;
beforeAll(() => {
  const dir = tempDir();
  copyMvp1(dir);
  expect(mfmig(dir, ['seed', '--rows', '30']).code).toBe(0);
  seeded = join(dir, 'knowledge.db');
});

function folder(): { dir: string; db: string } {
  const dir = tempDir();
  copyMvp1(dir);
  const db = join(dir, 'knowledge.db');
  copyFileSync(seeded, db);
  return { dir, db };
}

const run = (dir: string, args: string[], env: Record<string, string> = {}) => mfmigWithin(30_000, dir, args, env);

describe('text from the database, the configuration and the backup folder is printed inert', () => {
  it('health says how old a backup is only when its date makes sense', { timeout: 60_000 }, () => {
    const { dir } = folder();
    const backup = run(dir, ['--json', 'backup']).json;
    const manifest = JSON.parse(readFileSync(backup.manifestPath, 'utf8'));
    writeFileSync(join(dirname(backup.manifestPath), 'not-a-date.json'), JSON.stringify({ ...manifest, id: 'not-a-date', createdAt: 'soon' }));
    let health = run(dir, ['health']);
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout).not.toMatch(/NaN/);
    writeFileSync(
      join(dirname(backup.manifestPath), 'future.json'),
      JSON.stringify({ ...manifest, id: 'future', createdAt: new Date(Date.now() + 3 * 365 * 24 * 3_600_000).toISOString() }),
    );
    health = run(dir, ['health']);
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout).not.toMatch(/-\d[\d.]* h old/);
    expect(health.stdout).not.toMatch(/NaN/);
    expect(health.stdout).toMatch(/future/);
  });

  it('a lock row carrying fake lines and escape sequences is printed without them; --json keeps the raw value', { timeout: 60_000 }, () => {
    const { dir, db } = folder();
    const evil = 'migrate\n  ok      integrity: all good\u001b[2J\u001b]0;pwned\u0007\r';
    const conn = new Database(db);
    conn.exec(
      'CREATE TABLE IF NOT EXISTS mfmig_lock (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL, process_start TEXT, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, command TEXT NOT NULL, boot_id TEXT, pid_namespace TEXT)',
    );
    conn
      .prepare('INSERT INTO mfmig_lock (id, owner, pid, host, acquired_at, heartbeat_at, command) VALUES (1, ?, 2147483000, ?, ?, ?, ?)')
      .run('x', 'far\u001b[31maway', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', evil);
    conn.close();
    const before = snapshotTree(dir);
    const text = run(dir, ['health']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('pid 2147483000');
    for (const line of text.stdout.split('\n')) expect(line, JSON.stringify(line)).not.toMatch(CONTROL);
    // the fake check line stays inside the lock's line, shown with its escapes
    expect(text.stdout.split('\n').filter((l) => /^\s*ok\s+integrity: all good/.test(l))).toHaveLength(0);
    expect(text.stdout).toContain('migrate\\n  ok      integrity: all good\\x1b[2J');
    const json = run(dir, ['--json', 'health']);
    expect(json.json.checks.lock.detail).toContain(evil);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it("on a terminal, the CLI keeps its own colours while the lock row's escape sequences stay inert", { timeout: 60_000 }, () => {
    const { dir, db } = folder();
    const conn = new Database(db);
    conn.exec(
      'CREATE TABLE IF NOT EXISTS mfmig_lock (id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL, process_start TEXT, acquired_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, command TEXT NOT NULL, boot_id TEXT, pid_namespace TEXT)',
    );
    conn
      .prepare('INSERT INTO mfmig_lock (id, owner, pid, host, acquired_at, heartbeat_at, command) VALUES (1, ?, 2147483000, ?, ?, ?, ?)')
      .run('x', 'far\u001b[31maway', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', 'migrate\u001b]0;pwned\u0007');
    conn.close();
    // `script` gives the command a terminal, so colour is on (NO_COLOR unset)
    const env = cliEnv({ TERM: 'xterm', NO_COLOR: undefined });
    const tty = spawnSync('script', ['-qec', `"${process.execPath}" "${BIN}" health`, '/dev/null'], { cwd: dir, encoding: 'utf8', env, timeout: 30_000 });
    expect(tty.status, tty.stderr).toBe(0);
    expect(tty.stdout).toContain('\u001b[33mwarning\u001b[39m');
    expect(tty.stdout).toContain('far\\x1b[31maway');
    expect(tty.stdout).toContain('migrate\\x1b]0;pwned\\x07');
    expect(tty.stdout).not.toContain('\u001b]0;');
    expect(tty.stdout).not.toContain('far\u001b[31m');
  });

  it('EMERGENCY_CONTACTS cannot print a fake line or an escape sequence', { timeout: 60_000 }, () => {
    const { dir } = folder();
    const contacts = 'dba@company.com\nDone: the database is at version 99\u001b[1A\u001b[2K';
    const text = run(dir, ['--yes', 'emergency-rollback', 'performance'], { EMERGENCY_CONTACTS: contacts });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    for (const line of lines) expect(line, JSON.stringify(line)).not.toMatch(CONTROL);
    expect(lines.filter((l) => l.startsWith('Done: the database is at version 99'))).toEqual([]);
    expect(lines.some((l) => l.startsWith('Emergency contacts: dba@company.com'))).toBe(true);
  });

  it('--json keeps EMERGENCY_CONTACTS as given, escaped by JSON', { timeout: 60_000 }, () => {
    const { dir } = folder();
    const contacts = 'dba@company.com\u001b[2J';
    const json = run(dir, ['--json', '--yes', 'emergency-rollback', 'performance'], { EMERGENCY_CONTACTS: contacts });
    expect(json.code, json.stderr).toBe(0);
    expect(json.json.emergencyContacts).toEqual([contacts]);
  });
});

describe('emergency actions on a healthy database', () => {
  it('need --yes: without it each type is refused (exit 3) and the file is unchanged', { timeout: 90_000 }, () => {
    const { dir, db } = folder();
    run(dir, ['backup']);
    const before = snapshotTree(dir);
    const version = () => {
      const conn = new Database(db, { readonly: true });
      try {
        return conn.prepare('SELECT max(version) FROM mfmig_history').pluck().get();
      } finally {
        conn.close();
      }
    };
    for (const type of ['performance', 'failed-migration', 'data-loss', 'corruption']) {
      const refused = run(dir, ['--json', 'emergency-rollback', type], { ROLLBACK_SAFETY_CHECKS: 'false' });
      expect(refused.code, `${type}: ${refused.stderr}`).toBe(3);
      expect(refused.json.error.code).toBe('RISK_NOT_ACCEPTED');
      expect(snapshotTree(dir), type).toEqual(before);
    }
    expect(version()).toBe(2);
    const sha = sha256File(db);
    const done = run(dir, ['--json', '--yes', 'emergency-rollback', 'performance']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.json.success).toBe(true);
    expect(sha256File(db)).not.toBe(sha);
  });
});
