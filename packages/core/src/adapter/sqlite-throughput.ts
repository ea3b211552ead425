import type { DatabaseAdapter } from './database-adapter.js';
import { openDatabaseFile } from './open-database.js';

/** Throughput of representative SQLite operations on this machine, through the driver as the runner's statements run (seconds per row, seconds per statement). */
export interface SqliteThroughput {
  /** Rows of the measured table and their average size in bytes. */
  rows: number;
  rowBytes: number;
  secondsPerRow: {
    /** `INSERT INTO ... SELECT` of every column (reading included). */
    copy: number;
    /** The same copy on narrow rows (about 40 bytes), to scale by row size. */
    copyNarrow: number;
    narrowRowBytes: number;
    /** `CREATE INDEX` on two text columns. */
    indexBuild: number;
    /** Keyset pages read, a trivial JavaScript function, rows inserted: the frame every row function runs in. */
    rowFunction: number;
    update: number;
    delete: number;
    /** Copy into a new table, drop the old one, rename: the table part of a rebuild. */
    rebuild: number;
    /** A full scan with a predicate. */
    scan: number;
    dropTable: number;
  };
  fixedSeconds: {
    /** One migration: IMMEDIATE transaction, one DDL statement, a history row, commit (with its fsync). */
    migration: number;
    /** One more DDL statement. */
    ddl: number;
    /** One more commit (a batch of a batched transformation). */
    commit: number;
  };
  /** How much slower indexed inserts get per row when the tables are much larger than SQLite's page cache. */
  cacheSpillFactor: number;
}

let libraryVersion: string | undefined;

/**
 * The version of the SQLite library the driver runs (`sqlite_version()`), read once.
 *
 * @example
 * sqliteLibraryVersion(); // '3.53.2'
 */
export function sqliteLibraryVersion(): string {
  if (libraryVersion === undefined) {
    const db = openDatabaseFile(':memory:', { create: true });
    try {
      libraryVersion = String(db.value('SELECT sqlite_version()') ?? '?');
    } finally {
      db.close();
    }
  }
  return libraryVersion;
}

const CATEGORIES = ['JCL', 'VSAM', 'DB2', 'CICS', 'IMS', 'Batch', 'COBOL'];

function timed(fn: () => void): number {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Measures the throughput of representative SQLite operations in a new database file at `path`
 * (the caller's scratch file, which it removes afterwards): a copy by `INSERT ... SELECT` (wide and
 * narrow rows), an index build, a row function in keyset pages, an UPDATE, a DELETE, a table
 * rebuild, a scan, a DROP TABLE, a migration's fixed cost, and how much a copy slows down when the
 * table outgrows the page cache. The statements run synchronously through the driver with
 * prepared statements reused, as the runner's do, so that what is timed is SQLite on this
 * machine. Takes about a second for 30,000 rows.
 *
 * @example
 * measureSqliteThroughput(scratch.createFile('calibration', '.db'), 30_000).secondsPerRow.copy; // 2.1e-6
 */
export function measureSqliteThroughput(path: string, rows: number): SqliteThroughput {
  const db: DatabaseAdapter = openDatabaseFile(path, { create: true });
  try {
    db.exec(
      'CREATE TABLE src (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, category TEXT NOT NULL, n INTEGER NOT NULL, created_at TEXT NOT NULL)',
    );
    const insert = db.prepare('INSERT INTO src VALUES (?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= rows; i++) {
        const text = `Job PAYRL${i % 97} abends S0C${i % 9} in step STEP${i % 40}; check dataset PROD.DATA.G${i % 9999}V00 and rerun`;
        insert.run(
          i,
          `Entry ${i} ${text.slice(0, 40)}`,
          `${text} ${text} ${text}`,
          CATEGORIES[i % CATEGORIES.length],
          i % 200,
          new Date(1_672_531_200_000 + i * 37_000).toISOString(),
        );
      }
    });
    const rowBytes = Number(db.prepare('SELECT avg(length(title) + length(body) + length(category) + length(created_at) + 16) FROM src').pluck().get());
    const tx = (fn: () => void) => timed(() => db.transaction(fn));
    const columns = 'id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, category TEXT NOT NULL, n INTEGER NOT NULL, created_at TEXT NOT NULL';
    db.exec(`CREATE TABLE dst (${columns})`);
    const copy = tx(() => db.exec('INSERT INTO dst SELECT * FROM src')) / rows;
    db.exec('CREATE TABLE narrow (id INTEGER PRIMARY KEY, category TEXT NOT NULL, n INTEGER NOT NULL)');
    const copyNarrow = tx(() => db.exec('INSERT INTO narrow SELECT id, category, n FROM src')) / rows;
    const narrowRowBytes = Number(db.prepare('SELECT avg(length(category) + 16) FROM narrow').pluck().get());
    const indexBuild = tx(() => db.exec('CREATE INDEX dst_category ON dst (category, created_at)')) / rows;
    const update = tx(() => db.exec('UPDATE dst SET n = n + 1')) / rows;
    const scan = timed(() => db.prepare("SELECT count(*) FROM dst WHERE body LIKE '%S0C4%'").get()) / rows;
    db.exec(`CREATE TABLE fn_out (${columns})`);
    const page = db.prepare('SELECT * FROM src WHERE id > ? ORDER BY id LIMIT 10000');
    const write = db.prepare('INSERT INTO fn_out VALUES (?, ?, ?, ?, ?, ?)');
    const rowFunction =
      tx(() => {
        for (let after = 0; ;) {
          const batch = page.all(after) as Record<string, unknown>[];
          if (batch.length === 0) break;
          for (const r of batch) write.run(r.id, String(r.title).toUpperCase(), r.body, r.category, Number(r.n) + 1, r.created_at);
          after = Number(batch.at(-1)!.id);
        }
      }) / rows;
    const rebuild =
      tx(() => {
        db.exec(`CREATE TABLE dst_new (${columns})`);
        db.exec('INSERT INTO dst_new SELECT * FROM dst');
        db.exec('DROP TABLE dst');
        db.exec('ALTER TABLE dst_new RENAME TO dst');
      }) / rows;
    const del = tx(() => db.exec('DELETE FROM fn_out')) / rows;
    const dropTable = tx(() => db.exec('DROP TABLE dst')) / rows;
    const migration = median(
      Array.from({ length: 9 }, (_, i) =>
        tx(() => {
          db.exec(`CREATE TABLE m${i} (id INTEGER PRIMARY KEY, v TEXT)`);
          db.prepare('INSERT INTO narrow (category, n) VALUES (?, ?)').run('history', i);
        }),
      ),
    );
    const ddl =
      tx(() => {
        for (let i = 0; i < 20; i++) db.exec(`CREATE TABLE d${i} (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX d${i}_v ON d${i} (v)`);
      }) / 40;
    const commit = median(Array.from({ length: 9 }, (_, i) => tx(() => db.prepare('UPDATE narrow SET n = ? WHERE id = 1').run(i))));
    const spill = (cacheKiB: number, name: string) => {
      db.run(`PRAGMA cache_size = -${cacheKiB}`);
      db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, src_id INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL)`);
      db.exec(`CREATE INDEX ${name}_ref ON ${name} (kind, ref); CREATE INDEX ${name}_src ON ${name} (src_id, ref)`);
      const add = db.prepare(`INSERT INTO ${name} (src_id, kind, ref) VALUES (?, ?, ?)`);
      let seconds = 0;
      for (let round = 0; round < 2; round++) {
        seconds += tx(() => {
          for (let i = 0; i < rows; i++)
            add.run((i * 7919 + round) % rows, CATEGORIES[i % CATEGORIES.length], `REF${((i * 104_729 + round * 31) % 1_000_003).toString(36)}`);
        });
      }
      return seconds;
    };
    const spillFits = spill(262_144, 'spill_fits');
    const spillOut = spill(256, 'spill_out');
    return {
      rows,
      rowBytes,
      secondsPerRow: { copy, copyNarrow, narrowRowBytes, indexBuild, rowFunction, update, delete: del, rebuild, scan, dropTable },
      fixedSeconds: { migration, ddl, commit },
      cacheSpillFactor: Math.max(1, spillOut / spillFits),
    };
  } finally {
    db.close();
  }
}
