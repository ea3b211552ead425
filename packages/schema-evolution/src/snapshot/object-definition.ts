import { createHash } from 'node:crypto';
import type { SqliteSchemaRow } from '@mfmig/core';
import { canonicalSql } from '../sql/canonical-sql.js';
import { parseCreateIndex, parseCreateTrigger, parseCreateView } from '../sql/parse-create-object.js';
import { parseCreateTable } from '../sql/parse-create-table.js';
import type { SchemaObject } from './schema-snapshot.js';

/** The fields of a catalog row (core's `SqliteIntrospector.catalogSync`) an object is made from. */
export type CatalogRow = Pick<SqliteSchemaRow, 'type' | 'name' | 'tbl_name' | 'sql'>;

/** An object with its semantic hash (same definition, same hash, whatever the spelling). */
export interface DefinedObject {
  object: SchemaObject;
  /** Semantic hash of the definition. */
  hash: string;
  /** The exact `sqlite_schema` row it was made from (spelling included). */
  source: string;
}

const CACHE_LIMIT = 20_000;
const cache = new Map<string, DefinedObject>();

/**
 * The hash input of an object: its JSON without the `sql` field. Objects are always built
 * with their fields in the same order (by the parsers here, or by `JSON.parse` of what they
 * built), so the text is stable.
 *
 * @example
 * definitionJson({ type: 'view', name: 'v', columns: [], definition: 'select 1', sql: 'SELECT 1' }); // no "sql" in it
 */
export function definitionJson(object: SchemaObject): string {
  const { sql: _sql, ...definition } = object;
  return JSON.stringify(definition);
}

/**
 * A short sha256 of a string (16 hex digits).
 *
 * @example
 * shortHash('abc'); // 'ba7816bf8f01cfea'
 */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Turns a `sqlite_schema` row into a normalised object and its hash. Pure (the result depends
 * only on the row), so results are cached by the row's text. SQL that does not parse still
 * gets an object whose hash follows its canonical text.
 *
 * @example
 * defineObject({ type: 'index', name: 'i', tbl_name: 't', sql: 'CREATE INDEX i ON t(a)' }).object.type; // 'index'
 */
export function defineObject(row: CatalogRow): DefinedObject {
  const key = `${row.type}\u0000${row.name}\u0000${row.tbl_name}\u0000${row.sql ?? ''}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const object = parseRow(row);
  const defined = { object, hash: shortHash(definitionJson(object)), source: key };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, defined);
  return defined;
}

function parseRow(row: CatalogRow): SchemaObject {
  const sql = row.sql ?? '';
  try {
    switch (row.type) {
      case 'table':
        return { ...parseCreateTable(sql), name: row.name };
      case 'index':
        return { ...parseCreateIndex(sql), name: row.name };
      case 'view':
        return { ...parseCreateView(sql), name: row.name };
      case 'trigger':
        return { ...parseCreateTrigger(sql), name: row.name };
      default:
        throw new SyntaxError(`unknown object type ${row.type}`);
    }
  } catch {
    return opaqueObject(row, sql);
  }
}

function opaqueObject(row: CatalogRow, sql: string): SchemaObject {
  const definition = `unparsed: ${canonicalSql(sql)}`;
  if (row.type === 'index') return { type: 'index', name: row.name, table: row.tbl_name.toLowerCase(), unique: false, columns: [], where: definition, sql };
  if (row.type === 'view') return { type: 'view', name: row.name, columns: [], definition, sql };
  if (row.type === 'trigger') return { type: 'trigger', name: row.name, table: row.tbl_name.toLowerCase(), timing: 'BEFORE', event: 'INSERT', definition, sql };
  return {
    type: 'table',
    name: row.name,
    virtual: false,
    module: null,
    withoutRowid: false,
    strict: false,
    columns: [],
    primaryKey: [],
    uniqueConstraints: [],
    checks: [definition],
    foreignKeys: [],
    sql,
  };
}
