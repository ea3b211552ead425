import { quoteIdentifier } from '@mfmig/core';
import { finding } from '../report/finding-codes.js';
import type { FindingLocation, ValidationFinding } from '../report/types.js';
import type { SchemaModel } from '../schema/schema-model.js';
import { type CheckEnv, type ProbeTask, levelAtLeast } from './check-env.js';

/** Most messages `quick_check` / `integrity_check` return (SQLite's own default). */
export const INTEGRITY_MAX_ERRORS = 100;

/**
 * The integrity probe of a level: `PRAGMA quick_check` at quick and standard (O(N): pages,
 * records, NOT NULL), `PRAGMA integrity_check` at comprehensive (adds index-vs-table
 * consistency and UNIQUE, O(N log N)). On a read-only connection SQLite does not load CHECK
 * constraints, so neither pragma sees them there; see rowRuleProbes. `pragma` defaults to the
 * one of the level.
 *
 * @example
 * const task = integrityProbe(env);
 * task.probe.sql; // 'PRAGMA quick_check(100)'
 */
export function integrityProbe(
  env: CheckEnv,
  pragma: 'quick_check' | 'integrity_check' = levelAtLeast(env.level, 'comprehensive') ? 'integrity_check' : 'quick_check',
): ProbeTask {
  return {
    probe: {
      id: `integrity.${pragma}`,
      sql: `PRAGMA ${pragma}(${INTEGRITY_MAX_ERRORS})`,
      keep: INTEGRITY_MAX_ERRORS,
      weight: pragma === 'integrity_check' ? 100 : 30,
    },
    check: { id: `integrity.${pragma}`, kind: 'integrity' },
    interpret: (result) => {
      const messages = result.rows.map((r) => String(Object.values(r)[0] ?? ''));
      // From standard up, each CHECK constraint is evaluated by its own probe, which names the
      // constraint and the row; SQLite's one-line message would only repeat it.
      const own = levelAtLeast(env.level, 'standard') ? messages.filter((m) => !m.includes('CHECK constraint failed')) : messages;
      return interpretIntegrityMessages(own, env.schema, pragma);
    },
  };
}

/**
 * Turns `quick_check` / `integrity_check` messages into findings, one per problem and object:
 * NULLs and CHECK failures are data findings, index mismatches are `INDEX_CORRUPT`, anything
 * else (bad pages, bad cells, free-list damage) is `DATABASE_CORRUPT`, located on its b-tree.
 *
 * @example
 * interpretIntegrityMessages(['NULL value in kb_entries.title'], schema, 'quick_check')[0].code; // 'DATA_NULL_REQUIRED'
 */
export function interpretIntegrityMessages(messages: string[], schema: SchemaModel, pragma: string): ValidationFinding[] {
  const groups = new Map<
    string,
    { code: 'DATA_NULL_REQUIRED' | 'DATA_CHECK_VIOLATION' | 'INDEX_CORRUPT' | 'DATABASE_CORRUPT'; location: FindingLocation; messages: string[] }
  >();
  const add = (code: 'DATA_NULL_REQUIRED' | 'DATA_CHECK_VIOLATION' | 'INDEX_CORRUPT' | 'DATABASE_CORRUPT', location: FindingLocation, message: string) => {
    const key = `${code}\u0000${JSON.stringify(location)}`;
    const group = groups.get(key) ?? { code, location, messages: [] };
    group.messages.push(message);
    groups.set(key, group);
  };
  for (const raw of messages) {
    const message = raw.replace(/^\*\*\* in database \w+ \*\*\*\s*/, '').trim();
    if (message === 'ok' || message === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^NULL value in (.+)\.([^.]+)$/.exec(message))) add('DATA_NULL_REQUIRED', { table: m[1]!, column: m[2]! }, message);
    else if ((m = /^CHECK constraint failed in (.+)$/.exec(message))) add('DATA_CHECK_VIOLATION', { table: m[1]! }, message);
    else if ((m = /(?:missing from index|wrong # of entries in index|non-unique entry in index) (\S+)/.exec(message))) {
      add('INDEX_CORRUPT', { index: m[1]!, table: tableOfIndex(schema, m[1]!) }, message);
    } else {
      const tree = /Tree (\d+) page (\d+)/.exec(message) ?? /Page (\d+)/.exec(message);
      const location: FindingLocation = {};
      if (tree?.[2]) {
        location.object = schema.rootPages.get(Number(tree[1])) ?? `b-tree at page ${tree[1]}`;
        location.page = Number(tree[2]);
      } else if (tree?.[1]) location.page = Number(tree[1]);
      add('DATABASE_CORRUPT', location.object ? { object: location.object } : {}, message);
    }
  }
  const capped = messages.length >= INTEGRITY_MAX_ERRORS ? ' (the check stops at 100 messages: there may be more)' : '';
  return [...groups.values()].map((g) => {
    const first = g.messages[0]!;
    const n = g.messages.length;
    const where = g.location.table
      ? `${g.location.table}${g.location.column ? `.${g.location.column}` : ''}`
      : (g.location.index ?? g.location.object ?? 'the file');
    switch (g.code) {
      case 'DATA_NULL_REQUIRED':
        return finding(
          'DATA_NULL_REQUIRED',
          `${pragma} found ${n} row(s) with NULL in ${where}, which is declared NOT NULL${capped}`,
          `Find them with SELECT rowid FROM "${g.location.table}" WHERE "${g.location.column}" IS NULL and fill in a value`,
          g.location,
          { count: n },
        );
      case 'DATA_CHECK_VIOLATION':
        return finding(
          'DATA_CHECK_VIOLATION',
          `${pragma} found ${n} row(s) of ${where} that break a CHECK constraint${capped}`,
          `Find the rows that break the CHECK constraints of ${where} (see its CREATE TABLE) and correct them`,
          g.location,
          { count: n },
        );
      case 'INDEX_CORRUPT':
        return finding(
          'INDEX_CORRUPT',
          `Index ${g.location.index} does not match its table: ${first}${n > 1 ? ` (+${n - 1} more)` : ''}`,
          `Rebuild it with REINDEX "${g.location.index}", then run integrity_check again`,
          g.location,
          { count: n },
        );
      default:
        return finding(
          'DATABASE_CORRUPT',
          `The database file is damaged in ${where}: ${first}${n > 1 ? ` (+${n - 1} more)` : ''}${capped}`,
          'Stop writing to it; restore the latest backup (mfmig restore), or recover what is readable with the sqlite3 .recover command',
          g.location,
          { count: n },
        );
    }
  });
}

/**
 * Follow-up when `quick_check` of the whole file fails outright (SQLite answers "database disk
 * image is malformed" instead of a list): one `quick_check(<table>)` per table, so that the
 * report names the damaged tables. A table whose check fails again is `DATABASE_CORRUPT` on
 * that table; one whose check lists problems is interpreted as usual.
 *
 * @example
 * locateCorruptionProbes(env).map((t) => t.probe.sql); // ['PRAGMA quick_check("kb_entries")', ...]
 */
export function locateCorruptionProbes(env: CheckEnv): ProbeTask[] {
  return [...env.schema.tables.keys()].map((table) => ({
    probe: { id: `locate:${table}`, sql: `PRAGMA quick_check(${quoteIdentifier(table)})`, keep: INTEGRITY_MAX_ERRORS, weight: 1 },
    check: { id: 'integrity.locate', kind: 'integrity' as const, target: table },
    interpret: (result) =>
      interpretIntegrityMessages(
        result.rows.map((r) => String(Object.values(r)[0] ?? '')),
        env.schema,
        'quick_check',
      ).map((f) => (f.code === 'DATABASE_CORRUPT' && !f.location.object ? { ...f, location: { ...f.location, table } } : f)),
  }));
}

function tableOfIndex(schema: SchemaModel, index: string): string | undefined {
  for (const table of schema.tables.values()) if (table.indexes.some((i) => i.name === index)) return table.name;
  return undefined;
}
