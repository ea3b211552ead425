import type { CriticalQuery } from '../milestone/merge-requirements.js';
import { finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';
import { findTable } from '../schema/schema-model.js';
import type { CheckEnv } from './check-env.js';

const NOT_ALIASES = new Set([
  'where',
  'join',
  'left',
  'right',
  'inner',
  'outer',
  'cross',
  'natural',
  'full',
  'on',
  'using',
  'group',
  'order',
  'limit',
  'having',
  'window',
  'union',
  'except',
  'intersect',
  'as',
  'indexed',
  'not',
  'set',
  'values',
  'returning',
]);
const SOURCE = /\b(?:from|join|update|into)\s+("(?:[^"]|"")+"|[\w$]+)(?:\s+(?:as\s+)?("(?:[^"]|"")+"|[\w$]+))?/gi;

const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name);

/** Maps every alias used in `sql` (and in the views it may expand) to its table name. */
export function aliasMap(sql: string, viewSql: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  for (const text of [sql, ...viewSql]) {
    for (const m of text.matchAll(SOURCE)) {
      const table = unquote(m[1]!);
      out.set(table.toLowerCase(), table);
      if (m[2] && !NOT_ALIASES.has(m[2].toLowerCase())) out.set(unquote(m[2]).toLowerCase(), table);
    }
  }
  return out;
}

/**
 * Checks each declared critical query with `EXPLAIN QUERY PLAN` (the query itself never
 * runs): a full `SCAN` of a table means no index serves it (`PERF_QUERY_SCAN`, medium for a
 * table of at least `largeTableRows` rows, low below); a query that does not compile against
 * the schema is `PERF_QUERY_INVALID`.
 *
 * @example
 * await checkCriticalQuery(env, { name: 'entries by tag', sql: 'SELECT ...', params: ['S0C7'], milestone: 1 });
 */
export async function checkCriticalQuery(env: CheckEnv, query: CriticalQuery): Promise<ValidationFinding[]> {
  let plan: { detail: string }[];
  try {
    // named parameters bind from one object
    plan = await env.db.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${query.sql}`, Array.isArray(query.params) ? query.params : [query.params]);
  } catch (error) {
    return [
      finding(
        'PERF_QUERY_INVALID',
        `Critical query "${query.name}" of MVP${query.milestone} does not run against this schema: ${(error as Error).message}`,
        `Restore what the query needs (see mvp${query.milestone}/milestone.json), or update the declaration if the schema changed on purpose`,
        { milestone: query.milestone, object: query.name },
      ),
    ];
  }
  const views = [...env.schema.views.values()].map((v) => v.sql);
  const aliases = aliasMap(query.sql, views);
  const out: ValidationFinding[] = [];
  const seen = new Set<string>();
  for (const { detail } of plan) {
    const m = /^SCAN ("(?:[^"]|"")+"|\S+)$/.exec(detail.trim());
    if (!m) continue;
    const name = unquote(m[1]!);
    const table = findTable(env.schema, aliases.get(name.toLowerCase()) ?? name);
    if (!table || seen.has(table.name)) continue;
    seen.add(table.name);
    const rows = await env.rowCount(table.name);
    out.push(
      finding(
        'PERF_QUERY_SCAN',
        `Critical query "${query.name}" of MVP${query.milestone} reads all ${rows} rows of ${table.name} (EXPLAIN QUERY PLAN: ${detail}): no index serves it`,
        `Add an index on the ${table.name} columns the query filters or joins on; check with EXPLAIN QUERY PLAN ${query.sql.replace(/\s+/g, ' ').trim()}`,
        { table: table.name, milestone: query.milestone, object: query.name },
        { count: rows, severity: rows >= env.largeTableRows ? 'medium' : 'low' },
      ),
    );
  }
  return out;
}

/**
 * Reads page size, page count and free pages (the file's header: constant time) and
 * reports a large free list (`PERF_FREELIST`: at least 25 % of the file and 1 MiB).
 *
 * @example
 * const { statistics, findings } = await readStatistics(env);
 */
export async function readStatistics(env: CheckEnv): Promise<{
  statistics: { pageSize: number; pageCount: number; freelistCount: number; sizeBytes: number };
  findings: ValidationFinding[];
}> {
  const { pageSize, pageCount, freelistCount } = await env.db.introspector.storage();
  const statistics = { pageSize, pageCount, freelistCount, sizeBytes: pageSize * pageCount };
  const findings: ValidationFinding[] = [];
  const freeBytes = freelistCount * pageSize;
  if (pageCount > 0 && freelistCount / pageCount >= 0.25 && freeBytes >= 1024 * 1024) {
    const pct = Math.round((freelistCount / pageCount) * 100);
    findings.push(
      finding(
        'PERF_FREELIST',
        `${pct}% of the database file (${(freeBytes / 1048576).toFixed(1)} MiB, ${freelistCount} pages) is free pages`,
        'Run VACUUM (or VACUUM INTO a new file) in a maintenance window to give the space back and defragment the file',
        {},
        { count: freelistCount },
      ),
    );
  }
  return { statistics, findings };
}
