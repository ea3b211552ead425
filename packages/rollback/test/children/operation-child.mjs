// Runs one rollback-package operation in a child process so that a test can SIGKILL it at a
// chosen point. argv[2] is the bundle of the sources (see bundle.ts), argv[3] a JSON job:
// { op, db, migrations, backups, backupId?, target?, holdAt? }. The child prints `ready` before the
// operation and `<holdAt>` when it reaches that point, then blocks so that the kill lands exactly
// there; it prints `done` when the operation finished.
import { pathToFileURL } from 'node:url';

const { RollbackManager, createBackup, openSqlite } = await import(pathToFileURL(process.argv[2]).href);
const job = JSON.parse(process.argv[3]);

/** Blocks the process for `ms` (the parent kills it meanwhile). */
function hold(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Tells the parent where the child is. */
function mark(name) {
  process.stdout.write(`${name}\n`);
}

const stopAt = (name) => {
  if (job.holdAt === name) {
    mark(name);
    hold(20_000);
  }
};

if (job.op === 'backup') {
  const conn = await openSqlite(job.db);
  mark('ready');
  await createBackup(conn, {
    backupPath: job.backups,
    pagesPerStep: 8,
    onProgress: (p) => p.done > 0 && p.done < p.total && stopAt('copying'),
  });
} else {
  const manager = new RollbackManager({ database: job.db, migrationsPath: job.migrations, backupPath: job.backups }, { backupBeforeRun: false });
  const events = manager.context.events;
  events.on('operationProgress', (p) => stopAt(p.operation));
  events.on('migrationStepCompleted', (e) => stopAt(`step-${e.step}`));
  if (job.op === 'restore') {
    mark('ready');
    await manager.restoreBackup(job.backupId);
  } else {
    const plan = await manager.createRollbackPlan(job.target);
    mark('ready');
    const result = await manager.executeRollbackPlan(plan, { preserveUserData: true, backup: false });
    if (!result.success) throw result.error;
  }
  manager.close();
}
mark('done');
