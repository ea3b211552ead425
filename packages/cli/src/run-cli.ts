import { Command, CommanderError, Option } from 'commander';
import { MIGRATION_FORMATS } from '@mfmig/core';
import { cliVersion } from './cli-version.js';
import { exitCodeFor, EXIT } from './exit-codes.js';
import { Output } from './output.js';
import { CliRuntime } from './runtime.js';
import { COMMANDS } from './commands/index.js';
import { loadDotEnv } from './settings/dot-env.js';
import { assertPostgresCommand } from './postgres/postgres-commands.js';

/** Commands that read no settings (no config file, no database): `init` writes the config. */
const COMMANDS_WITHOUT_SETTINGS = ['init'];

/** Builds the `mfmig` program with its global options and every command. */
export function buildProgram(): { program: Command; runtime: CliRuntime } {
  const program = new Command('mfmig');
  const runtime = new CliRuntime(program);
  program
    .description('Safe SQLite migrations for the Mainframe knowledge base: plan, migrate, validate, roll back.')
    .version(cliVersion(), '-V, --version', 'print the version of mfmig and exit')
    .addOption(
      new Option(
        '--db <file or URL>',
        "database: a SQLite file, sqlite:./app.db, file:///abs/app.db, or postgres://user@host/db (env DATABASE_PATH or DATABASE_URL; no default but the demo's ./knowledge.db for seed and demo)",
      ),
    )
    .addOption(
      new Option('--migrations <dir>', 'migrations folder (mvp1/, mvp2/, ..., or a dbmate, golang-migrate, Flyway, sqlx or Prisma folder)')
        .env('MIGRATION_PATH')
        .default('./migrations'),
    )
    .addOption(
      new Option('--format <name>', 'read the migrations folder as this format instead of detecting it')
        .env('MIGRATION_FORMAT')
        .choices([...MIGRATION_FORMATS]),
    )
    .addOption(new Option('--backups <dir>', 'folder for backups and checkpoints').env('BACKUP_PATH').default('./backups'))
    .addOption(
      new Option('--schema-file <path>', 'where to write the schema after a run that changes it (config schemaFile)')
        .env('SCHEMA_FILE')
        .default('./schema.sql'),
    )
    .addOption(
      new Option('--schema <name>', "PostgreSQL: the schema to migrate, first on the search_path (default: the login's current schema)").env('DATABASE_SCHEMA'),
    )
    .option('--no-advisory-lock', 'PostgreSQL: guard runs by the lock row alone, as on servers without advisory locks (CockroachDB)')
    .option('--no-dump', 'do not write the schema file (env NO_SCHEMA_DUMP=1)')
    .option('--config <file>', 'config file to read instead of mfmig.config.{ts,mjs,js,json} in the current directory')
    .option('--json', 'print one JSON document on stdout and nothing else there', false)
    .option('--yes', 'accept prompts (needed for high-risk plans without a terminal)', false)
    .showHelpAfterError('(run mfmig --help for usage)')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      writeOut: (text) => process.stdout.write(text),
    });
  for (const register of COMMANDS) register(program, runtime);
  program.hook('preAction', async (_program, action) => {
    if (COMMANDS_WITHOUT_SETTINGS.includes(action.name())) return;
    await runtime.loadSettings(action.name());
    assertPostgresCommand(action.name(), runtime.settings.database);
  });
  for (const command of program.commands) {
    command.exitOverride().showSuggestionAfterError(true);
  }
  return { program, runtime };
}

/**
 * Runs the command line and returns the exit code: 0 done, 1 failed, 2 bad input or usage,
 * 3 refused for safety. Expected errors print one line on stderr, never a stack trace.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: string[]): Promise<number> {
  const { program, runtime } = buildProgram();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\nmfmig: stopping at the next safe point (press Ctrl+C again to quit at once; the database stays consistent)\n');
      runtime.interrupt();
    } else {
      process.stderr.write('mfmig: quitting now; the current transaction is rolled back by SQLite when the database is next opened\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    // before parsing, so that commander's environment-backed options see .env's variables
    runtime.setDotEnv(loadDotEnvOrError());
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.BAD_INPUT;
    }
    await program.parseAsync(argv, { from: 'user' });
    return runtime.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT.OK;
      // commander already explained on stderr; with --json, stdout still gets its one document
      if (argv.includes('--json')) {
        process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message.replace(/^error: /, '') } }, null, 2)}\n`);
      }
      return EXIT.BAD_INPUT;
    }
    const out = safeOutput(runtime, argv);
    out.error(error);
    if (process.env.MFMIG_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', onSigint);
    runtime.closeAll();
  }
}

function loadDotEnvOrError(): Record<string, string> | Error {
  try {
    return loadDotEnv(process.cwd());
  } catch (error) {
    return error as Error;
  }
}

function safeOutput(runtime: CliRuntime, argv: string[]): Output {
  try {
    return runtime.out;
  } catch {
    return new Output({ json: argv.includes('--json'), yes: false });
  }
}
