import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusMigrations, dataScript, referenceDump } from './harness/corpus-history.js';
import { type LogicalDump, logicalDump } from './harness/logical-dump.js';
import { assertSqliteShell, runSqliteShell } from './harness/sqlite-shell.js';
import { REPO, mfmig, sha256File, tempDir } from './helpers.js';

/*
 * Migration histories written the way other projects write them (fixtures/corpus/README.md
 * lists them and their styles), applied by mfmig and by the sqlite3 shell. mfmig must either
 * end with the shell's schema and every row the shell keeps, or refuse a migration and leave the
 * file as it was before the command.
 */

const CORPUS = join(REPO, 'packages/cli/test/fixtures/corpus');

/** All of the history applies; or version `refusedAt` is refused with exit code `exit`, leaving the file as it was. */
type Outcome = 'applies' | { refusedAt: number; exit: 1 | 3 };

interface CorpusCase {
  history: string;
  /** From an empty file. */
  empty: Outcome;
  /** Migrated to `at`, filled by data/at-<at>.sql, then migrated to the latest version. */
  populated: { at: number; outcome: Outcome }[];
}

/**
 * The pinned outcomes: a change either way (a refusal that starts applying, or the reverse)
 * fails. Refusals happen before the run (exit 3): the plan's rehearsal on a copy of the data
 * fails the same checks the real run would, so the file is never touched.
 */
const CASES: CorpusCase[] = [
  // 0006 rebuilds notebooks rename-first without PRAGMAs: notes.notebook_id is left pointing at
  // "_notebooks_old", a table that no longer exists (the shell's result; 0007 repairs it). With
  // data, dropping "_notebooks_old" with foreign keys on would cascade into notes and note_tags.
  { history: 'notes', empty: { refusedAt: 6, exit: 3 }, populated: [{ at: 4, outcome: { refusedAt: 6, exit: 3 } }] },
  { history: 'bookmarks', empty: 'applies', populated: [{ at: 20230215100000, outcome: 'applies' }] },
  { history: 'shellhist', empty: 'applies', populated: [{ at: 4, outcome: 'applies' }] },
  // 0004 deletes spam accounts written for foreign keys off: with data, their watcher rows would
  // cascade away. Populated after it, the orphans it left must be carried by 0005-0009.
  {
    history: 'issues',
    empty: 'applies',
    populated: [
      { at: 3, outcome: { refusedAt: 4, exit: 3 } },
      { at: 5, outcome: 'applies' },
    ],
  },
  // 0006 rebuilds orders (new table first) without PRAGMAs: with data, dropping orders would
  // cascade into order_items. 0008 is the SQLite documentation's rebuild with its own
  // BEGIN TRANSACTION ... COMMIT and PRAGMA foreign_keys=OFF: honoured, it applies as in the shell.
  { history: 'shop', empty: 'applies', populated: [{ at: 4, outcome: { refusedAt: 6, exit: 3 } }] },
  // 0007 renames categories away with only PRAGMA legacy_alter_table = ON: honoured with foreign
  // keys off, as the shell ran it, feeds.category_id keeps pointing at the new categories.
  { history: 'feeds', empty: 'applies', populated: [{ at: 3, outcome: 'applies' }] },
];

/** A copy of one history's migrations and a database file for mfmig, plus a file for the shell's reference. */
function workspace(history: string) {
  const dir = tempDir('mfmig-corpus-');
  const source = join(CORPUS, history);
  const migrations = join(dir, 'migrations');
  cpSync(join(source, 'migrations'), migrations, { recursive: true });
  const db = join(dir, 'app.db');
  const cli = (...args: string[]) => mfmig(dir, ['--db', db, '--migrations', migrations, '--backups', join(dir, 'backups'), ...args]);
  const reference = (through: number, populatedAt?: number) => referenceDump(source, through, join(dir, 'reference.db'), populatedAt);
  const versions = corpusMigrations(source).map((m) => m.version);
  return { source, db, cli, reference, versions, through: (v: number) => versions.filter((x) => x <= v) };
}

/** The mfmig file holds what the shell made, row for row, and no foreign key violation the shell's file lacks. */
function expectSameAsReference(file: string, reference: LogicalDump, applied: number[]): void {
  const got = logicalDump(file);
  expect.soft(got.schema, 'schema').toEqual(reference.schema);
  expect.soft(Object.keys(got.tables), 'user tables').toEqual(Object.keys(reference.tables));
  for (const [table, rows] of Object.entries(reference.tables)) expect.soft(got.tables[table], `rows of ${table}`).toEqual(rows);
  expect.soft(got.sequence, 'sqlite_sequence').toEqual(reference.sequence);
  expect.soft(got.userVersion, 'user_version').toBe(reference.userVersion);
  expect.soft(got.integrity, 'integrity_check').toBe('ok');
  expect
    .soft(
      got.foreignKeyViolations.filter((v) => !reference.foreignKeyViolations.includes(v)),
      'foreign key violations the shell has not',
    )
    .toEqual([]);
  expect(got.appliedVersions, 'mfmig_history').toEqual(applied);
}

function runCase(history: string, populatedAt: number | undefined, outcome: Outcome): void {
  // In every test rather than a hook, so that a missing shell fails each one instead of skipping it.
  assertSqliteShell();
  const w = workspace(history);
  const latest = w.versions.at(-1)!;
  let at = 0;
  if (populatedAt !== undefined) {
    const first = w.cli('migrate', '--to', String(populatedAt), '--yes');
    expect(first.code, lastLine(first.stderr)).toBe(0);
    expectSameAsReference(w.db, w.reference(populatedAt), w.through(populatedAt));
    const empty = logicalDump(w.db).tables;
    runSqliteShell(w.db, dataScript(w.source, populatedAt), `data/at-${populatedAt}.sql`);
    expect(logicalDump(w.db).tables, 'the data script fills the file').not.toEqual(empty);
    at = populatedAt;
  }
  if (outcome === 'applies') {
    const run = w.cli('migrate', '--yes');
    expect.soft(run.code, lastLine(run.stderr)).toBe(0);
    expectSameAsReference(w.db, w.reference(latest, populatedAt), w.versions);
    return;
  }
  const before = w.versions.filter((v) => v < outcome.refusedAt).at(-1) ?? 0;
  if (before > at) {
    const prefix = w.cli('migrate', '--to', String(before), '--yes');
    expect(prefix.code, lastLine(prefix.stderr)).toBe(0);
    expectSameAsReference(w.db, w.reference(before, populatedAt), w.through(before));
  }
  const state = logicalDump(w.db);
  const bytes = sha256File(w.db);
  const refused = w.cli('migrate', '--yes');
  const after = logicalDump(w.db);
  expect.soft(refused.code, `exit code of the run that must refuse version ${outcome.refusedAt} (${lastLine(refused.stderr)})`).toBe(outcome.exit);
  expect.soft(after.appliedVersions, `mfmig_history after the run that must refuse version ${outcome.refusedAt}`).toEqual(state.appliedVersions);
  expect(after, 'the file after the refused run').toEqual(state);
  if (refused.code === 3) expect(sha256File(w.db)).toBe(bytes);
}

describe('migration histories written the way other projects write them', () => {
  for (const c of CASES) {
    describe(c.history, () => {
      it(`from an empty file: ${describeOutcome(c.empty)}`, () => runCase(c.history, undefined, c.empty));
      for (const p of c.populated) {
        it(`from version ${p.at} with data: ${describeOutcome(p.outcome)}`, () => runCase(c.history, p.at, p.outcome));
      }
    });
  }
});

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

function describeOutcome(outcome: Outcome): string {
  return outcome === 'applies' ? 'applies, equal to the sqlite3 shell' : `refuses version ${outcome.refusedAt} (exit ${outcome.exit}), file unchanged`;
}
