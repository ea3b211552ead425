import { type SqliteIntrospector, splitSqlStatements, statementTarget, stripSqlComments } from '@mfmig/core';

const WRITES = new Set(['DELETE', 'UPDATE', 'INSERT', 'REPLACE']);

/**
 * The tables a script writes with DML (`DELETE`, `UPDATE`, `INSERT`, `REPLACE`), and the ones it
 * drops: where its triggers and foreign-key actions start.
 *
 * @example
 * scriptTouchedTables('DELETE FROM tags WHERE id = 1; DROP TABLE notes;'); // ['tags', 'notes']
 */
export function scriptTouchedTables(sql: string): string[] {
  const out = new Set<string>();
  for (const statement of splitSqlStatements(sql)) {
    const target = statementTarget(stripSqlComments(statement));
    if (target.table && (WRITES.has(target.verb) || target.verb === 'DROP TABLE')) out.add(target.table);
  }
  return [...out];
}

/**
 * The tables SQLite's triggers write when `touched` are written: the tables each trigger on a
 * touched table writes in its body, followed through the triggers those writes fire in turn, and
 * through foreign keys (a cascade's delete or update fires the child's triggers). A trigger's
 * change to another table's rows does not change its row count, so a down's probe compares these
 * tables row by row too. Empty when the schema has no trigger. The catalog (a connection's
 * introspector) is read once, when the function is made: ask the one function for as many
 * starting sets as the same schema needs.
 *
 * @example
 * triggerWrites(conn.introspector)(['tags']); // ['notes'] for a trigger on tags that updates notes
 */
export function triggerWrites(catalog: SqliteIntrospector): (touched: readonly string[]) => string[] {
  const triggers = catalog.catalogSync().filter((o) => o.type === 'trigger' && o.sql);
  if (triggers.length === 0) return () => [];
  const children = new Map<string, string[]>();
  for (const fk of catalog.foreignKeysSync()) {
    const parent = fk.referencedTable.toLowerCase();
    children.set(parent, [...(children.get(parent) ?? []), fk.table]);
  }
  const bodies = triggers.map((t) => ({ on: t.tbl_name.toLowerCase(), writes: scriptTouchedTables(triggerBody(t.sql!)) }));
  return (touched) => {
    const written = new Map<string, string>();
    const seen = new Set<string>();
    const queue = [...touched];
    for (let table = queue.shift(); table !== undefined; table = queue.shift()) {
      const key = table.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push(...(children.get(key) ?? []));
      for (const target of bodies.filter((b) => b.on === key).flatMap((b) => b.writes)) {
        if (!written.has(target.toLowerCase())) written.set(target.toLowerCase(), target);
        queue.push(target);
      }
    }
    return [...written.values()];
  };
}

/** The statements between a trigger's `BEGIN` and its last `END`. */
function triggerBody(sql: string): string {
  const text = stripSqlComments(sql);
  const begin = /\bBEGIN\b/i.exec(text);
  if (!begin) return '';
  return text.slice(begin.index + begin[0].length).replace(/\bEND\b\s*;?\s*$/i, '');
}
