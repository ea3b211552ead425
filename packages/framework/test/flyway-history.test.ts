import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MigrationSet, type RepeatableMigration, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { TOOL_TABLE_DDL } from '@mfmig/test-support';
import { flywayChecksum, matchToolHistory, readToolHistory } from '@mfmig/framework';
import { crc32 } from 'node:zlib';
import { tempDir } from './helpers.js';

/** CRC-32 (IEEE) computed bit by bit, independently of zlib. */
function referenceCrc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const VIEWS = '\uFEFFDROP VIEW IF EXISTS v;\r\nCREATE VIEW v AS\r\n  SELECT 1 AS one;\r\n';

/** Versions 1 and 2 of a folder, the second labelled `1.1` (Flyway's V1_1__), and two repeatables. */
async function flywaySet(dir: string): Promise<MigrationSet> {
  const root = join(dir, 'migrations');
  mkdirSync(join(root, 'mvp1'), { recursive: true });
  writeFileSync(join(root, 'mvp1', '0001_init.sql'), '-- migrate:up\nCREATE TABLE a (id INTEGER);\n-- migrate:down\n');
  writeFileSync(join(root, 'mvp1', '0002_add_b.sql'), '-- migrate:up\nCREATE TABLE b (id INTEGER);\n-- migrate:down\n');
  const set = await loadMigrations(root);
  set.byVersion.get(2)!.versionLabel = '1.1';
  const repeatable = (name: string, sql: string): RepeatableMigration => {
    const file = join(root, `R__${name}.sql`);
    writeFileSync(file, sql);
    return {
      name,
      description: name,
      file,
      checksum: name,
      transaction: 'immediate',
      connection: { foreignKeys: 'on', legacyAlterTable: false },
      sql,
      up: () => {},
    };
  };
  return { ...set, repeatables: [repeatable('views', VIEWS), repeatable('stale', 'SELECT 2;\n')] };
}

function flywayDatabase(dir: string, rows: string[]) {
  const adapter = openDatabase(join(dir, `f${Math.random().toString(36).slice(2)}.db`), { create: true });
  adapter.raw.exec(TOOL_TABLE_DDL.flyway);
  const insert = adapter.raw.prepare(
    'INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  rows.forEach((row, i) => {
    const [version, type, script, checksum, success] = row.split('|');
    insert.run(i + 1, version === '' ? null : version, script, type, script, checksum === '' ? null : Number(checksum), 'app', 3, Number(success ?? 1));
  });
  return new SqliteConnection(adapter);
}

describe('Flyway history', () => {
  it('computes the checksum Flyway stores: the CRC32 of the lines, BOM and line breaks left out, signed', () => {
    const expected = referenceCrc32(Buffer.from('DROP VIEW IF EXISTS v;CREATE VIEW v AS  SELECT 1 AS one;', 'utf8')) | 0;
    expect(flywayChecksum(VIEWS, crc32)).toBe(expected);
    expect(flywayChecksum(VIEWS.replace(/\r\n/g, '\n'), crc32)).toBe(expected);
    expect(expected).toBeLessThan(2 ** 31);
  });

  it('matches versions by label, records the repeatables whose content Flyway applied, and skips the schema marker', async () => {
    const dir = tempDir();
    const set = await flywaySet(dir);
    const views = flywayChecksum(VIEWS, crc32);
    const conn = flywayDatabase(dir, [
      '0|SCHEMA|<< Flyway Schema Creation >>||1',
      '1|SQL|V1__init.sql|11',
      '1.1|SQL|V1_1__add_b.sql|12',
      `|SQL|R__views.sql|${views}`,
      '|SQL|R__stale.sql|999',
    ]);
    const history = (await readToolHistory(conn))!;
    expect(history).toMatchObject({ tool: 'flyway', applied: [{ version: '1' }, { version: '1.1' }] });
    const matched = matchToolHistory(history, set);
    expect(matched.version).toBe(2);
    expect(matched.migrations.map((m) => m.version)).toEqual([1, 2]);
    expect(matched.repeatables.map((r) => r.name)).toEqual(['views']);
  });

  it('a baseline row adopts every version up to it; an undo row takes its version back out', async () => {
    const dir = tempDir();
    const set = await flywaySet(dir);
    expect(
      matchToolHistory((await readToolHistory(flywayDatabase(dir, ['1.1|BASELINE|<< Flyway Baseline >>|'])))!, set).migrations.map((m) => m.version),
    ).toEqual([1, 2]);
    expect(
      matchToolHistory(
        (await readToolHistory(flywayDatabase(dir, ['1|SQL|V1__init.sql|1', '1.1|SQL|V1_1__add_b.sql|2', '1.1|UNDO_SQL|U1_1__add_b.sql|3'])))!,
        set,
      ).version,
    ).toBe(1);
  });

  it('refuses a failed row and a version the folder does not hold', async () => {
    const dir = tempDir();
    const set = await flywaySet(dir);
    await expect(readToolHistory(flywayDatabase(dir, ['1|SQL|V1__init.sql|1', '1.1|SQL|V1_1__add_b.sql|2|0']))).rejects.toThrow(/failed/);
    const unknown = (await readToolHistory(flywayDatabase(dir, ['1|SQL|V1__init.sql|1', '1.2|SQL|V1_2__x.sql|2'])))!;
    expect(() => matchToolHistory(unknown, set)).toThrow(/holds no migration 1.2/);
  });
});
