import {
  MfmigError,
  type RebuildTableResult,
  type RebuildTableSpec,
  type SqliteColumnEntry,
  type SqliteProgram,
  quoteIdentifier,
  sqliteStep,
} from '@mfmig/core';
import { isKeyword, tokenizeSql } from '../sql/sql-tokenizer.js';
import { saveDependents, recreateDependents } from './rebuild-dependents.js';

/** What a rebuild reports besides its statements. */
export interface RebuildStepOptions {
  /** Told of an index that was not recreated because a column it uses is gone. */
  warn?(message: string): void;
}

/**
 * Steps 3 to 10 of SQLite's table rebuild (sqlite.org/lang_altertable.html), to be run inside
 * a transaction with foreign keys already off: save the indexes, triggers and views, create
 * the new table under a temporary name, copy the rows (rowids kept), drop the old table, rename
 * the new one, recreate what was saved, and check the foreign keys of the table and of its
 * children. The old table is never renamed first (that would rewrite references to it).
 *
 * A {@link SqliteProgram}: run it on a connection with `runSqliteProgram`, or inside a migration
 * body with `runSqliteProgramInMigration` (what `ctx.rebuildTable` does).
 *
 * @example
 * await conn.transaction(() => runSqliteProgram(conn, rebuildSteps({ table: 'kb_entries', createSql: 'CREATE TABLE kb_entries (...)' })));
 */
export function* rebuildSteps(spec: RebuildTableSpec, options: RebuildStepOptions = {}): SqliteProgram<RebuildTableResult> {
  const started = performance.now();
  if (yield* sqliteStep.foreignKeysEnabled()) {
    throw new MfmigError(
      'INTERNAL',
      `Table rebuild of ${spec.table} needs foreign keys off (outside the transaction); a rebuild with them on deletes child rows through ON DELETE CASCADE`,
    );
  }
  const table = yield* existingTable(spec.table);
  const temporary = `mfmig_rebuild_${table}`;
  if ((yield* sqliteStep.catalog({ name: temporary })).length > 0) {
    throw new MfmigError('MIGRATION_FAILED', `Cannot rebuild ${table}: a table named ${temporary} already exists (left by an earlier failure?)`);
  }
  const saved = yield* saveDependents(table);
  yield* sqliteStep.exec(renameCreateStatement(spec.createSql, table, temporary));
  const rowsCopied = yield* copyRows(table, temporary, spec.columnMap);
  for (const trigger of saved.otherTriggers) if (!trigger.onView) yield* sqliteStep.exec(`DROP TRIGGER ${quoteIdentifier(trigger.name)}`);
  for (const view of saved.views) yield* sqliteStep.exec(`DROP VIEW ${quoteIdentifier(view.name)}`);
  yield* sqliteStep.exec(`DROP TABLE ${quoteIdentifier(table)}`);
  yield* sqliteStep.exec(`ALTER TABLE ${quoteIdentifier(temporary)} RENAME TO ${quoteIdentifier(table)}`);
  const counts = yield* recreateDependents(table, saved, spec.indexes, options);
  yield* assertForeignKeys(table);
  return { table, rowsCopied, ...counts, durationMs: performance.now() - started };
}

function* existingTable(name: string): SqliteProgram<string> {
  const row = (yield* sqliteStep.catalog({ type: 'table', name }))[0];
  if (!row) throw new MfmigError('MIGRATION_FAILED', `Cannot rebuild table ${name}: it does not exist`);
  if (/^\s*CREATE\s+VIRTUAL\s/i.test(row.sql ?? '') || row.name.startsWith('mfmig_') || row.name.toLowerCase().startsWith('sqlite_')) {
    throw new MfmigError('MIGRATION_INVALID', `Table ${row.name} cannot be rebuilt (virtual, internal or mfmig table)`);
  }
  return row.name;
}

/**
 * `CREATE TABLE x (...)` with x replaced by `name` (checks that the statement creates `table`).
 *
 * @example
 * renameCreateStatement('CREATE TABLE t (a)', 't', 'mfmig_rebuild_t'); // 'CREATE TABLE "mfmig_rebuild_t" (a)'
 */
export function renameCreateStatement(createSql: string, table: string, name: string): string {
  const tokens = tokenizeSql(createSql);
  let i = 0;
  const expect = (...words: string[]) => {
    if (!isKeyword(tokens[i], ...words)) throw new MfmigError('MIGRATION_INVALID', `Rebuild of ${table}: createSql must be a CREATE TABLE statement`);
    i++;
  };
  expect('CREATE');
  if (isKeyword(tokens[i], 'TEMP', 'TEMPORARY')) i++;
  expect('TABLE');
  if (isKeyword(tokens[i], 'IF')) i += 3;
  const nameStart = tokens[i];
  if (tokens[i + 1]?.kind === 'punct' && tokens[i + 1]?.value === '.') i += 2;
  const nameToken = tokens[i];
  if (!nameStart || !nameToken || nameToken.value.toLowerCase() !== table.toLowerCase()) {
    throw new MfmigError('MIGRATION_INVALID', `Rebuild of ${table}: createSql creates ${nameToken?.value ?? 'nothing'}, not ${table}`);
  }
  return `${createSql.slice(0, nameStart.start)}${quoteIdentifier(name)}${createSql.slice(nameToken.start! + nameToken.text.length)}`;
}

function* copyRows(table: string, temporary: string, columnMap: Record<string, string> | undefined): SqliteProgram<number> {
  const oldColumns = new Map((yield* sqliteStep.columns(table)).filter((c) => c.hidden === 0).map((c) => [c.name.toLowerCase(), c.name]));
  const newColumns = (yield* sqliteStep.columns(temporary)).filter((c) => c.hidden === 0);
  const targets: string[] = [];
  const sources: string[] = [];
  for (const column of newColumns) {
    const mapped = columnMap && Object.entries(columnMap).find(([k]) => k.toLowerCase() === column.name.toLowerCase())?.[1];
    const source = mapped ?? (oldColumns.has(column.name.toLowerCase()) ? quoteIdentifier(oldColumns.get(column.name.toLowerCase())!) : undefined);
    if (source === undefined) continue;
    targets.push(quoteIdentifier(column.name));
    sources.push(source);
  }
  if (yield* keepsRowid(table, temporary, newColumns)) {
    targets.unshift('rowid');
    sources.unshift('rowid');
  }
  if (targets.length === 0) return 0;
  return yield* sqliteStep.run(`INSERT INTO ${quoteIdentifier(temporary)} (${targets.join(', ')}) SELECT ${sources.join(', ')} FROM ${quoteIdentifier(table)}`);
}

/** Both tables are rowid tables and the new one has no INTEGER PRIMARY KEY alias: copy rowids too. */
function* keepsRowid(table: string, temporary: string, newColumns: SqliteColumnEntry[]): SqliteProgram<boolean> {
  // these two spellings of the names only, as `name IN (?, ?)` matched them
  const list = (yield* sqliteStep.tableList()).filter((t) => t.name === table || t.name === temporary);
  if (list.length !== 2 || list.some((t) => t.withoutRowid)) return false;
  const pk = newColumns.filter((c) => c.pk > 0);
  return !(pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER');
}

function* assertForeignKeys(table: string): SqliteProgram<void> {
  const children = yield* sqliteStep.referencingTables(table);
  const violations: { table: string; parent: string }[] = [];
  for (const name of new Set([table, ...children])) {
    violations.push(...(yield* sqliteStep.foreignKeyCheck(name)));
  }
  if (violations.length > 0) {
    const pairs = [...new Set(violations.map((v) => `${v.table} -> ${v.parent}`))].slice(0, 3).join(', ');
    throw new MfmigError('MIGRATION_FAILED', `Rebuild of ${table} would leave ${violations.length} foreign key violation(s) (${pairs}); nothing was changed`, {
      context: { table, violations: violations.slice(0, 20) },
    });
  }
}
