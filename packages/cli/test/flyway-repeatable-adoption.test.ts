import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TOOL_TABLE_DDL, readSqlite } from '@mfmig/test-support';
import { flywayChecksum } from '@mfmig/framework';
import { mfmig, tempDir, writeMigrations } from './helpers.js';

const FILES = {
  'V1__Create_person_table.sql': 'create table PERSON (\n    ID int not null,\n    NAME varchar(100) not null\n);\n',
  'V2__Add_person_index.sql': 'create index PERSON_NAME on PERSON (NAME);\n',
  'V3__Add_city.sql': 'alter table PERSON add column CITY varchar(100);\n',
  'R__person_views.sql': 'drop view if exists PERSON_NAMES;\ncreate view PERSON_NAMES as select NAME from PERSON;\n',
};

/** A database Flyway migrated to V2 and then ran `R__person_views.sql` on, as `flyway migrate` does, with its history table. */
function flywayDatabase(path: string): void {
  const db = new Database(path);
  db.exec(FILES['V1__Create_person_table.sql'] + FILES['V2__Add_person_index.sql'] + FILES['R__person_views.sql']);
  db.exec("insert into PERSON (ID, NAME) values (1, 'Axel'), (2, 'Mr. Foo');");
  db.exec(TOOL_TABLE_DDL.flyway);
  const insert = db.prepare(
    "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (?, ?, ?, 'SQL', ?, ?, 'app', 3, 1)",
  );
  insert.run(1, '1', 'Create person table', 'V1__Create_person_table.sql', flywayChecksum(FILES['V1__Create_person_table.sql'], crc32));
  insert.run(2, '2', 'Add person index', 'V2__Add_person_index.sql', flywayChecksum(FILES['V2__Add_person_index.sql'], crc32));
  insert.run(3, null, 'person views', 'R__person_views.sql', flywayChecksum(FILES['R__person_views.sql'], crc32));
  db.close();
}

const read = readSqlite;

describe('adopting a Flyway database whose R__ scripts made views', () => {
  it('the first migrate adopts it with its view, records the repeatable as applied, and runs only V3', () => {
    const dir = tempDir();
    writeMigrations(dir, FILES);
    const db = join(dir, 'knowledge.db');
    flywayDatabase(db);
    const run = mfmig(dir, ['--json', 'migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.migrations.map((m: { version: number }) => m.version)).toEqual([3_000_000]);
    expect(run.json.repeatables).toEqual([]);
    expect(read(db, 'SELECT NAME FROM PERSON_NAMES ORDER BY NAME')).toEqual([{ NAME: 'Axel' }, { NAME: 'Mr. Foo' }]);
    expect(read(db, 'SELECT name FROM mfmig_repeatable')).toEqual([{ name: 'person_views' }]);
    const status = mfmig(dir, ['--json', 'status']);
    expect([status.json.pending, status.json.pendingRepeatables]).toEqual([[], []]);
  });

  it('baseline adopts a database made from the folder with its views at the latest version', () => {
    const dir = tempDir();
    writeMigrations(dir, FILES);
    const db = join(dir, 'knowledge.db');
    const made = new Database(db);
    made.exec(FILES['V1__Create_person_table.sql'] + FILES['V2__Add_person_index.sql'] + FILES['V3__Add_city.sql'] + FILES['R__person_views.sql']);
    made.close();
    const adopted = mfmig(dir, ['--json', 'baseline']);
    expect([adopted.code, adopted.json.version, adopted.json.matched], adopted.stderr).toEqual([0, 3_000_000, 'exact']);
    const again = mfmig(dir, ['--json', 'migrate']);
    expect([again.code, again.json.migrations, again.json.repeatables]).toEqual([0, [], []]);
  });
});
