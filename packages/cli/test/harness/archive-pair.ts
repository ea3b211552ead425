// Two databases of one project side by side, on either dialect: two SQLite files in one folder,
// or two schemas of one PostgreSQL database; and an archive as `mfmig archives --json` lists it.
import { join } from 'node:path';
import { scratchDatabase, withClient } from '@mfmig/test-support';

/** One archive of `mfmig archives --json`. */
export interface Listed {
  id: number;
  version: number;
  table: string;
  kind: string;
  rows: number;
  location: string | null;
  status: string;
}

/** Two databases of one project: `--db` arguments and a query on each. */
export interface Pair {
  args: [string[], string[]];
  query(which: 0 | 1, sql: string): Promise<Record<string, unknown>[]>;
}

export async function sqlitePair(dir: string): Promise<Pair> {
  const files = [join(dir, 'one.db'), join(dir, 'two.db')] as const;
  const Database = (await import('better-sqlite3')).default;
  return {
    args: [
      ['--db', files[0]],
      ['--db', files[1]],
    ],
    query: async (which, sql) => {
      const db = new Database(files[which]);
      try {
        const s = db.prepare(sql);
        return s.reader ? (s.all() as Record<string, unknown>[]) : (s.run(), []);
      } finally {
        db.close();
      }
    },
  };
}

export async function postgresPair(): Promise<Pair> {
  const url = await scratchDatabase();
  const schemas = ['one', 'two'] as const;
  return {
    args: [
      ['--db', url, '--schema', schemas[0]],
      ['--db', url, '--schema', schemas[1]],
    ],
    query: (which, sql) =>
      withClient(url, async (c) => {
        await c.query(`SET search_path TO ${schemas[which]}`);
        return (await c.query(sql)).rows as Record<string, unknown>[];
      }),
  };
}
