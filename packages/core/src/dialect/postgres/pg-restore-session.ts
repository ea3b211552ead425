import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { MfmigError } from '../../errors/mfmig-error.js';
import { DEFAULT_LOCK_WAIT, type LockWaitPolicy, retryDelay } from '../lock-wait-policy.js';
import { firstErrorLine, toolConnection } from './pg-tools.js';

/**
 * Run first in the restore's transaction: names the schema for the statements that follow, and
 * takes a SHARE lock on each of its tables (`mfmig_lock` aside, which mfmig's own lock writes to).
 * SHARE lets readers and pg_dump in and holds every writer: from here until the restore commits,
 * no row can be committed to a table that is about to be replaced. The marker line tells the
 * caller the locks are held. Every lock of the transaction, these and the drops', waits at most
 * `lock_timeout`: a restore never queues for long in front of the application's queries.
 */
const HOLD_WRITERS = `SET client_min_messages = warning;
BEGIN;
SELECT set_config('mfmig.restore_schema', :'mfmig_schema', true) AS mfmig_restore_schema;
SELECT set_config('lock_timeout', :'mfmig_lock_timeout', true) AS mfmig_lock_timeout;
DO $mfmig_hold$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_setting('mfmig.restore_schema') AND c.relkind IN ('r', 'p') AND c.relname <> 'mfmig_lock'
            ORDER BY c.oid LOOP
    EXECUTE format('LOCK TABLE %s IN SHARE MODE', r.rel);
  END LOOP;
EXCEPTION WHEN lock_not_available THEN
  RAISE EXCEPTION 'mfmig_lock_timeout: %', SQLERRM USING ERRCODE = 'lock_not_available';
END
$mfmig_hold$;
\\echo mfmig_restore_writers_held
`;
const HELD = 'mfmig_restore_writers_held';
/** How the two blocks re-raise SQLSTATE 55P03 (`lock_timeout` ran out): the server's own text is in the server's language. */
const LOCK_TIMEOUT = /mfmig_lock_timeout: /;

/**
 * Then, in the same transaction: drops every object of the schema (it keeps the schema, its owner
 * and grants, `mfmig_lock` and extensions), foreign keys first, then the rest without CASCADE until
 * nothing is left; an object another schema depends on stops the restore.
 */
const CLEAR_SCHEMA = `DO $mfmig_restore$
DECLARE
  s text := current_setting('mfmig.restore_schema');
  ns oid;
  r record;
  progress boolean;
  blocker text;
BEGIN
  EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', s);
  SELECT oid INTO ns FROM pg_namespace WHERE nspname = s;
  FOR r IN SELECT conrelid::regclass AS rel, conname FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 AND connamespace = ns LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', r.rel, r.conname);
  END LOOP;
  LOOP
    progress := false;
    blocker := NULL;
    FOR r IN SELECT CASE WHEN o.type = 'statistics object' THEN 'STATISTICS' WHEN t.typtype = 'd' THEN 'DOMAIN' ELSE upper(o.type) END AS kind, o.identity
               FROM pg_depend d
               CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, 0) o
               LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
              WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = ns AND d.deptype = 'n'
                AND d.classid <> 'pg_extension'::regclass
                AND NOT (d.classid = 'pg_class'::regclass AND d.objid IS NOT DISTINCT FROM to_regclass(format('%I.mfmig_lock', s)))
                AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.classid AND e.objid = d.objid AND e.deptype = 'e') LOOP
      BEGIN
        EXECUTE format('DROP %s IF EXISTS %s RESTRICT', r.kind, r.identity);
        progress := true;
      EXCEPTION WHEN dependent_objects_still_exist THEN
        blocker := coalesce(blocker, SQLERRM);
      END;
    END LOOP;
    EXIT WHEN blocker IS NULL;
    IF NOT progress THEN
      RAISE EXCEPTION '%; nothing was restored', blocker USING ERRCODE = 'dependent_objects_still_exist';
    END IF;
  END LOOP;
EXCEPTION WHEN lock_not_available THEN
  RAISE EXCEPTION 'mfmig_lock_timeout: %', SQLERRM USING ERRCODE = 'lock_not_available';
END
$mfmig_restore$;
`;

/** One `psql` transaction that replaces a schema with a pg_dump backup; see {@link openRestoreSession}. */
export interface RestoreSession {
  /** Empties the schema, runs pg_restore's script of `file`, and commits only when all of it succeeded (`RESTORE_FAILED` otherwise, rolled back). */
  restore(pgRestore: string, file: string): Promise<void>;
  /** Ends the transaction without committing: the schema is as it was and the writers go on. */
  abort(): Promise<void>;
}

/**
 * Opens the restore's `psql` transaction and returns once it holds the schema's writers
 * ({@link HOLD_WRITERS}): a dump of the schema taken from then on (the copy a restore keeps aside)
 * holds every row the application committed, and none can be committed after it and be lost with
 * the replaced tables. A writer waits until the restore commits or aborts; its write then fails on
 * the replaced table or goes through. Every lock waits at most `lockWait.lockTimeoutMs`; holding
 * the writers is tried again `lockWait.retries` times, with growing waits, then `RESTORE_FAILED`
 * (nothing changed): a transaction that holds a table open never queues the application's
 * queries behind the restore for long.
 *
 * @example
 * const session = await openRestoreSession(psql.path, 'public', url);
 * await session.restore(tools.pgRestore.path, backup.path);
 */
export async function openRestoreSession(psql: string, schema: string, url: string, lockWait: LockWaitPolicy = DEFAULT_LOCK_WAIT): Promise<RestoreSession> {
  for (let attempt = 0; ; attempt++) {
    const started = await startSession(psql, schema, url, lockWait);
    if (!('lockTimeout' in started)) return started;
    if (attempt >= lockWait.retries) {
      throw new MfmigError(
        'RESTORE_FAILED',
        `The restore waited more than ${lockWait.lockTimeoutMs} ms for the tables of schema ${schema}, ${attempt + 1} time(s): a transaction holds one of them open. Nothing was restored, and the application's queries were not left waiting; find the transaction in pg_stat_activity`,
        { context: { sqlState: '55P03', attempts: attempt + 1 } },
      );
    }
    await sleep(retryDelay(lockWait, attempt));
  }
}

/** One attempt of {@link openRestoreSession}: the session, or `lockTimeout` when a table lock was not granted in time (the session has ended). */
async function startSession(psql: string, schema: string, url: string, lockWait: LockWaitPolicy): Promise<RestoreSession | { lockTimeout: true }> {
  const { dbname, env } = toolConnection(url);
  const vars = [`--set=mfmig_schema=${schema}`, `--set=mfmig_lock_timeout=${Math.max(0, Math.round(lockWait.lockTimeoutMs))}`];
  const client = spawn(psql, ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', ...vars, `--dbname=${dbname}`, '--file=-'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const done = exited(client);
  client.stdin.on('error', () => {}); // psql stopped at an error: its exit code and stderr say which
  client.stdin.write(HOLD_WRITERS);
  const ended = await held(client, done);
  if (ended) {
    if (LOCK_TIMEOUT.test(ended.stderr)) return { lockTimeout: true };
    throw new MfmigError('RESTORE_FAILED', `The schema's writers could not be held for the restore, nothing was restored: ${firstErrorLine(ended.stderr)}`);
  }
  let finished = false;
  return {
    async restore(pgRestore, file) {
      finished = true;
      await runScript(client, done, pgRestore, file, schema, env);
    },
    async abort() {
      if (finished) return;
      finished = true;
      // without COMMIT, psql ends at end of input and the server rolls the transaction back
      client.stdin.end('');
      await done;
    },
  };
}

/** Resolves with null when psql printed the marker, or with how psql ended when it ended first. */
function held(client: ChildProcessWithoutNullStreams, done: Promise<{ code: number; stderr: string }>): Promise<{ code: number; stderr: string } | null> {
  return new Promise((resolve) => {
    let out = '';
    const onData = (d: Buffer) => {
      out = (out + d.toString('utf8')).slice(-4096);
      if (!out.includes(HELD)) return;
      client.stdout.off('data', onData);
      client.stdout.resume();
      resolve(null);
    };
    client.stdout.on('data', onData);
    void done.then(resolve);
  });
}

async function runScript(
  client: ChildProcessWithoutNullStreams,
  clientDone: Promise<{ code: number; stderr: string }>,
  pgRestore: string,
  file: string,
  schema: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const script = spawn(pgRestore, ['--no-owner', `--schema=${schema}`, '--file=-', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const scriptDone = exited(script);
  // psql stopped early: pg_restore must not block on a pipe nobody reads
  void clientDone.then(() => script.exitCode === null && script.kill());
  client.stdin.write(CLEAR_SCHEMA);
  script.stdout.pipe(client.stdin, { end: false });
  const made = await scriptDone;
  // without COMMIT, psql ends at end of input and the server rolls the transaction back
  client.stdin.end(made.code === 0 ? '\nCOMMIT;\n' : '');
  const ran = await clientDone;
  if (ran.code !== 0 && LOCK_TIMEOUT.test(ran.stderr)) {
    throw new MfmigError(
      'RESTORE_FAILED',
      "The restore was rolled back: replacing the schema waited too long for a table a transaction was reading (lock_timeout), so the application's queries were not left waiting. Run it again when that transaction has ended (pg_stat_activity names it)",
      { context: { sqlState: '55P03' } },
    );
  }
  if (ran.code !== 0) throw new MfmigError('RESTORE_FAILED', `The restore was rolled back: ${firstErrorLine(ran.stderr)}`);
  if (made.code !== 0) throw new MfmigError('RESTORE_FAILED', `pg_restore failed, the restore was rolled back: ${firstErrorLine(made.stderr)}`);
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-64 * 1024)));
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ code: -1, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
