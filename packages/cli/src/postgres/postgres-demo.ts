import { MfmigError, formatCount, openPostgres, quoteIdentifier } from '@mfmig/core';
import { discardArchives } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { ProgressReporter, formatMs } from '../progress-reporter.js';
import { postgresParticipants } from '@mfmig/framework';
import { type PostgresCliOptions, migrator } from './postgres-commands.js';
import { estimatePostgresPlan, planPostgresMigrations, withRehearsedModules } from '@mfmig/framework';
import { DEFAULT_SAMPLE_ROWS, rehearsed, renderRehearsal } from './postgres-plan-rehearsal.js';
import { renderPostgresPlan } from './postgres-plan.js';
import { seedOn } from './postgres-seed.js';
import { validatePostgresDatabase } from '@mfmig/validation';
import { renderPostgresValidation } from './postgres-validate.js';
import { renderReports } from './render-reports.js';

/** The schema the demo builds its knowledge base in when `--schema` names none. */
export const DEMO_SCHEMA = 'mfmig_demo';

/**
 * `mfmig --db postgres://... demo`: the SQLite demo on a server. In its own schema (`mfmig_demo`,
 * or `--schema`), it seeds MVP1, prints the plan, migrates to the highest milestone with progress,
 * validates, rolls back to MVP3 with preservation and forward again. A schema holding tables it
 * did not make is refused; an earlier demo's schema is replaced only with `--yes`.
 */
export async function demoPostgres(cli: CliRuntime, options: { rows: number }): Promise<void> {
  const { out } = cli;
  const c = out.colors;
  const pg = cli.program.opts<PostgresCliOptions>();
  const schema = pg.schema ?? DEMO_SCHEMA;
  const conn = await openPostgres(cli.globals.db, { schema, createSchema: true, advisoryLocks: pg.advisoryLock });
  try {
    const used = (await conn.introspector.tables()).length > 0;
    const earlierDemo = await conn.history.exists();
    if (used || earlierDemo) {
      if (!earlierDemo)
        throw new MfmigError('USAGE', `Schema ${schema} holds tables mfmig did not make; the demo needs a schema of its own: name an empty one with --schema`);
      if (!cli.globals.yes) throw new MfmigError('USAGE', `Schema ${schema} holds an earlier demo; rerun with --yes to replace it`);
      await conn.execute(`DROP SCHEMA ${quoteIdentifier(schema)} CASCADE`);
      await conn.execute(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
      // rows an earlier demo's rollbacks archived belong to the schema just dropped
      const discarded = await discardArchives(conn, schema);
      out.line(`Replaced the earlier demo in schema ${schema}${discarded > 0 ? ` (and the ${formatCount(discarded)} row(s) its rollbacks had archived)` : ''}`);
    }
    const m = await migrator(cli, conn, { loadModules: true });
    out.line(c.bold(`1. Seeding ${formatCount(options.rows)} knowledge-base entries at MVP1 in ${conn.target}`));
    const seeded = await seedOn(cli, conn, m, options.rows, 1);
    out.line(`   ${formatCount(seeded.entries)} entries, ${formatCount(seeded.tags)} tags in ${formatMs(seeded.durationMs)}`);

    const latest = (await m.status()).latestMvp;
    out.line();
    out.line(c.bold(`2. The plan to MVP${latest}`));
    // rehearsed on a sample, as `plan` does: the estimates, and what the module migrations run
    const target = { mvp: latest };
    const rehearsal = await rehearsed(cli, conn, target, DEFAULT_SAMPLE_ROWS, { migrations: m.migrations });
    const analysed = await withRehearsedModules(conn, await planPostgresMigrations(conn, m.migrations, target), rehearsal);
    const { plan } = await estimatePostgresPlan(cli.globals.db, conn, m.migrations, analysed, rehearsal);
    renderPostgresPlan(cli, plan);
    renderRehearsal(cli, rehearsal);

    out.line();
    out.line(c.bold(`3. Migrating to MVP${latest}`));
    const detach = new ProgressReporter(out).attach(m.events);
    try {
      const run = await m.migrate({ mvp: latest }, { signal: cli.signal, command: 'mfmig demo' });
      if (run.error) throw run.error;
      out.line(`   version ${run.fromVersion} -> ${run.toVersion}: ${run.results.length} migration(s) in ${formatMs(run.durationMs)}`);
      renderReports(out, run.reports);

      out.line();
      out.line(c.bold('4. Validation report'));
      const report = await validatePostgresDatabase(conn, {
        migrations: m.migrations,
        rehearsalUrl: cli.globals.db,
        participants: postgresParticipants({ preserve: false }),
      });
      renderPostgresValidation(out, report);

      const back = Math.min(3, latest);
      out.line();
      out.line(c.bold(`5. Rolling back to MVP${back} with data preservation, then forward to MVP${latest}`));
      const down = await m.rollback({ mvp: back }, { signal: cli.signal, command: 'mfmig demo' });
      if (down.error) throw down.error;
      const kept = down.reports.filter((r) => r.kind === 'preserved');
      out.line(
        `   rolled back ${down.results.length} migration(s); ${formatCount(kept.reduce((n, r) => n + r.rows, 0))} row(s) archived in ${kept.length} archive(s)`,
      );
      const forward = await m.migrate({ mvp: latest }, { signal: cli.signal, command: 'mfmig demo' });
      if (forward.error) throw forward.error;
      const restored = forward.reports.filter((r) => r.kind === 'restored');
      out.line(
        `   forward again: version ${forward.fromVersion} -> ${forward.toVersion}; ${formatCount(restored.reduce((n, r) => n + r.rows, 0))} archived row(s) restored`,
      );

      const status = await m.status();
      out.result({ dialect: 'postgres', database: conn.target, seeded, plan, run, validation: report, rollback: down, forward, status }, () => {
        out.line();
        out.line(c.bold('6. Summary'));
        out.line(`   ${conn.target}: version ${status.currentVersion} (MVP${status.currentMvp}), ${formatCount(seeded.entries)} KB entries`);
        out.line(
          `   the run took ${formatMs(run.durationMs)}; validation: ${report.valid ? 'valid' : 'invalid'}, ${report.errors.length} error(s), ${report.warnings.length} warning(s)`,
        );
        out.line(`   try: mfmig --db <url> --schema ${schema} status (or history)`);
      });
    } finally {
      detach();
    }
  } finally {
    await conn.close();
  }
}
