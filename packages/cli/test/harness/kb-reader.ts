import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../helpers.js';

/** What the reader saw while migrations ran. */
export interface ReaderReport {
  reads: number;
  versionsSeen: number[];
  violations: string[];
}

/**
 * The reader: one read transaction per loop over the KB and the history. In each it checks that
 * the schema is the one the history names for its top version, that the incidents table exists
 * exactly when version 3 is recorded, that once version 5 is recorded every dated KB entry has
 * its one linked KB incident, that the history has no gap and no partial row below its top, and
 * that no KB entry is missing.
 */
const READER = (file: string, rows: number) => `
  import { createRequire } from 'node:module';
  const require = createRequire(${JSON.stringify(join(REPO, 'package.json'))});
  const Database = require('better-sqlite3');
  const { schemaHash } = await import(${JSON.stringify(join(REPO, 'packages/schema-evolution/dist/index.js'))});
  const db = new Database(${JSON.stringify(file)}, { readonly: true, timeout: 30000 });
  const report = { reads: 0, versionsSeen: [], violations: [] };
  const seen = new Set();
  const bad = (m) => { if (report.violations.length < 20) report.violations.push(m); };
  const readOnce = db.transaction(() => {
    const history = db.prepare('SELECT version, status, schema_hash FROM mfmig_history ORDER BY version').all();
    const top = history.at(-1);
    seen.add(top.version);
    const at = 'read ' + report.reads + ' at version ' + top.version + ': ';
    if (history.some((h, i) => h.version !== i + 1)) bad(at + 'history has a gap');
    if (history.some((h) => h.status !== 'applied' && h !== top)) bad(at + 'partial row below the top');
    const live = schemaHash(db);
    if (live !== top.schema_hash) bad(at + 'live schema ' + live + ' is not the recorded ' + top.schema_hash);
    const hasIncidents = db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'incidents'").pluck().get() === 1;
    const v3 = history.some((h) => h.version === 3);
    if (hasIncidents !== v3) bad(at + 'incidents table ' + (hasIncidents ? 'exists' : 'missing') + ' with version 3 ' + (v3 ? 'recorded' : 'not recorded'));
    const v5 = history.some((h) => h.version === 5 && h.status === 'applied');
    if (hasIncidents && v5) {
      const incidents = db.prepare("SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%' AND kb_entry_id IS NOT NULL").pluck().get();
      const dated = db.prepare('SELECT count(*) FROM kb_entries WHERE created_at IS NOT NULL').pluck().get();
      if (incidents !== dated) bad(at + incidents + ' linked KB incidents for ' + dated + ' dated KB entries');
    }
    const entries = db.prepare('SELECT count(*) FROM kb_entries').pluck().get();
    if (entries !== ${rows}) bad(at + entries + ' KB entries');
  });
  let stop = false;
  process.stdin.on('data', () => (stop = true));
  readOnce(); report.reads++;
  process.stdout.write('ready\\n');
  while (!stop) {
    readOnce(); report.reads++;
    await new Promise((r) => setTimeout(r, 2));
  }
  readOnce(); report.reads++;
  report.versionsSeen = [...seen].sort((a, b) => a - b);
  process.stdout.write(JSON.stringify(report) + '\\n');
  db.close();
`;

/** Starts the reader on `file`; `ready` resolves after its first read, `stop()` ends it and resolves its report. */
export function startKbReader(file: string, rows: number) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', READER(file, rows)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.startsWith('ready\n')) resolve();
    });
    child.on('close', (code) => reject(new Error(`reader exited with ${code}: ${stderr}`)));
  });
  const done = new Promise<ReaderReport>((resolve, reject) =>
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`reader exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(last) as ReaderReport);
    }),
  );
  return {
    ready,
    stop: () => {
      child.stdin.end('stop\n');
      return done;
    },
  };
}
