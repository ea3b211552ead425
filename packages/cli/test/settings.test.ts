import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMfmigError } from '@mfmig/core';
import { findConfigFile, loadConfigFile } from '../src/settings/config-file.js';
import { resolveDatabaseFile } from '../src/settings/database-setting.js';
import { databaseFileFrom } from '../src/settings/database-url.js';
import { tempDir } from './helpers.js';

/** The coded error a call throws (fails the test when it does not throw one). */
async function thrown(call: () => unknown): Promise<{ code: string; message: string }> {
  try {
    await call();
  } catch (error) {
    if (isMfmigError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('database URLs', () => {
  it('reads sqlite: and file: URLs as paths, percent-decoded; plain paths stay as they are', () => {
    expect(databaseFileFrom('sqlite:./a.db', '--db')).toBe('./a.db');
    expect(databaseFileFrom('sqlite:a.db', '--db')).toBe('a.db');
    expect(databaseFileFrom('sqlite:///abs/a.db', '--db')).toBe('/abs/a.db');
    expect(databaseFileFrom('SQLite:///abs/a.db', '--db')).toBe('/abs/a.db');
    expect(databaseFileFrom('file:a.db', '--db')).toBe('a.db');
    expect(databaseFileFrom('file:///abs/my%20kb%3F.db', '--db')).toBe('/abs/my kb?.db');
    expect(databaseFileFrom('file://localhost/abs/a.db', '--db')).toBe('/abs/a.db');
    expect(databaseFileFrom('./plain.db', '--db')).toBe('./plain.db');
    expect(databaseFileFrom('C:\\data\\kb.db', '--db')).toBe('C:\\data\\kb.db');
  });

  it('keeps PostgreSQL URLs whole, and refuses other schemes, queries, hosts and broken escapes, never repeating a password', async () => {
    for (const url of ['postgres://ana:s3cret@db/app', 'postgresql://ana:s3cret@db/app']) expect(databaseFileFrom(url, 'DATABASE_URL')).toBe(url);
    const error = await thrown(() => databaseFileFrom('mysql://ana:s3cret@db/app', 'DATABASE_URL'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).not.toContain('s3cret');
    for (const url of ['sqlite:./a.db?mode=ro', 'file:a.db#x', 'sqlite://host/a.db', 'file:%zz.db', 'sqlite:', 'file:a%00b.db', 'sqlite::memory:']) {
      expect((await thrown(() => databaseFileFrom(url, '--db'))).code, url).toBe('CONFIG_INVALID');
    }
  });
});

describe('the database layers', () => {
  const config = { file: '/srv/app/mfmig.config.json', config: { database: 'sqlite:./config.db' } };

  it('takes the flag, then the environment, then .env, then the config, then the fallback', () => {
    const all = {
      flag: 'flag.db',
      environment: { DATABASE_URL: 'file:env.db' },
      dotEnv: { DATABASE_URL: 'sqlite:dotenv.db' },
      config,
      fallback: './knowledge.db',
    };
    expect(resolveDatabaseFile(all)).toBe('flag.db');
    expect(resolveDatabaseFile({ ...all, flag: undefined })).toBe('env.db');
    expect(resolveDatabaseFile({ ...all, flag: undefined, environment: {} })).toBe('dotenv.db');
    expect(resolveDatabaseFile({ ...all, flag: undefined, environment: {}, dotEnv: {} })).toBe('/srv/app/config.db');
    expect(resolveDatabaseFile({ ...all, flag: undefined, environment: {}, dotEnv: {}, config: undefined })).toBe('./knowledge.db');
    expect(resolveDatabaseFile({ environment: {}, dotEnv: {} })).toBeUndefined();
  });

  it('lets the environment beat .env whatever the variable, and DATABASE_PATH beat DATABASE_URL within a layer', () => {
    expect(resolveDatabaseFile({ environment: { DATABASE_PATH: 'env.db' }, dotEnv: { DATABASE_URL: 'sqlite:dotenv.db' } })).toBe('env.db');
    expect(resolveDatabaseFile({ environment: { DATABASE_URL: 'sqlite:env.db' }, dotEnv: { DATABASE_PATH: 'dotenv.db' } })).toBe('env.db');
    expect(resolveDatabaseFile({ environment: { DATABASE_PATH: 'path.db', DATABASE_URL: 'postgres://db/app' }, dotEnv: {} })).toBe('path.db');
    expect(resolveDatabaseFile({ environment: { DATABASE_PATH: '' }, dotEnv: { DATABASE_PATH: 'dotenv.db' } })).toBe('dotenv.db');
  });
});

describe('config files', () => {
  const folder = (files: Record<string, string>) => {
    const dir = tempDir();
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('loads a JSON, an .mjs and a typed .ts config, relative paths kept for the caller', async () => {
    const json = folder({ 'mfmig.config.json': '{ "database": "a.db", "milestones": [{ "mvp": 1, "through": 2 }, { "mvp": 2 }], "format": "dbmate" }' });
    expect((await loadConfigFile(findConfigFile(json)!)).config).toEqual({
      database: 'a.db',
      milestones: [{ mvp: 1, through: 2 }, { mvp: 2 }],
      format: 'dbmate',
    });
    const mjs = folder({ 'mfmig.config.mjs': 'export default { migrations: "db/migrations", backupRetention: 3 };' });
    expect((await loadConfigFile(findConfigFile(mjs)!)).config).toEqual({ migrations: 'db/migrations', backupRetention: 3 });
    const ts = folder({ 'mfmig.config.ts': 'const schemaFile: string = "schema.sql";\nexport default { schemaFile, enableMetrics: true as boolean };\n' });
    expect((await loadConfigFile(findConfigFile(ts)!)).config).toEqual({ schemaFile: 'schema.sql', enableMetrics: true });
  });

  it('refuses unknown keys, wrong types, a config that throws, two configs and a missing --config, naming the file', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'mfmig.config.json': '{ "databse": "a.db" }' }, /mfmig\.config\.json: unknown key "databse"/],
      [{ 'mfmig.config.json': '{ "migrations": 7 }' }, /mfmig\.config\.json: migrations: /],
      [{ 'mfmig.config.json': '{ "milestones": [{ "mvp": 0, "through": 3 }] }' }, /milestones/],
      [{ 'mfmig.config.json': '{ "format": "liquibase" }' }, /format/],
      [{ 'mfmig.config.json': '{ "database": ' }, /mfmig\.config\.json cannot be loaded/],
      [{ 'mfmig.config.mjs': 'throw new Error("no config today");' }, /mfmig\.config\.mjs cannot be loaded: no config today/],
      [{ 'mfmig.config.js': 'export const database = "a.db";' }, /mfmig\.config\.js cannot be loaded: it has no default export/],
      [{ 'mfmig.config.ts': 'export default 42;' }, /mfmig\.config\.ts must export an object/],
    ];
    for (const [files, message] of cases) {
      const error = await thrown(async () => loadConfigFile(findConfigFile(folder(files))!));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    }
    const two = await thrown(() => findConfigFile(folder({ 'mfmig.config.ts': 'export default {};', 'mfmig.config.json': '{}' })));
    expect(two.message).toMatch(/mfmig\.config\.ts and mfmig\.config\.json/);
    const dir = tempDir();
    mkdirSync(join(dir, 'conf'));
    expect((await thrown(() => findConfigFile(dir, 'missing.json'))).code).toBe('CONFIG_INVALID');
    expect((await thrown(() => findConfigFile(dir, 'conf'))).code).toBe('CONFIG_INVALID');
  });
});
