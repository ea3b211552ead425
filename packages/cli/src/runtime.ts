import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { MigrationFormat, MilestoneRange } from '@mfmig/core';
import { type FrameworkOptions, type MigrationFramework, type MigrationFrameworkConfig, createMigrationFramework } from '@mfmig/framework';
import { Output } from './output.js';
import { noDatabaseError } from './settings/database-setting.js';
import { type CliSettings, resolveSettings } from './settings/cli-settings.js';
import { attachStepMarkers } from './step-markers.js';

/** Options every command accepts (ARCHITECTURE.md, "The command line"). */
export interface GlobalOptions {
  /** The database file. Reading it throws a one-line usage error when no layer gives one. */
  db: string;
  migrations: string;
  /** `--format`: the migrations folder's format when detection must not guess. */
  format?: MigrationFormat;
  /** The config file's milestones of a flat folder, as version ranges. */
  milestones?: MilestoneRange[];
  backups: string;
  json: boolean;
  yes: boolean;
  /** Where the schema file goes after a run that changed the schema: `--schema-file`, env `SCHEMA_FILE`, the config's `schemaFile`, `./schema.sql`. */
  schemaFile: string;
  /** False with `--no-dump` or env `NO_SCHEMA_DUMP` set to anything but `0`/`false`/empty. */
  dump: boolean;
}

/** How a command opens the framework: see {@link CliRuntime.openFramework}. */
export interface OpenFrameworkOptions {
  loadModules: boolean;
  mode?: 'readonly' | 'readwrite';
  create?: boolean;
  /** A path, `':memory:'`, or an open connection; default `--db`. */
  database?: MigrationFrameworkConfig['database'];
  config?: Partial<MigrationFrameworkConfig>;
  planner?: FrameworkOptions['planner'];
  /** A database file that does not exist reads as an empty database (nothing is created). */
  absentAsEmpty?: boolean;
}

/** What a command needs from the CLI: options, output, the framework, interruption. */
export class CliRuntime {
  readonly program: Command;
  readonly #abort = new AbortController();
  #out: Output | undefined;
  #frameworks: MigrationFramework[] = [];
  readonly #absent = new WeakSet<MigrationFramework>();
  #settings: CliSettings | undefined;
  /** What `.env` added to the environment, or why it could not be read (said when a command runs). */
  #dotEnv: Record<string, string> | Error = {};
  /** The exit code a command chose (errors set theirs in runCli). */
  exitCode = 0;

  constructor(program: Command) {
    this.program = program;
  }

  /** Records what `.env` added (loaded before parsing, so that commander sees its variables). */
  setDotEnv(loaded: Record<string, string> | Error): void {
    this.#dotEnv = loaded;
  }

  /**
   * Resolves the settings for `command` from flags, environment, `.env`, the config file and
   * defaults. Called before each command's action (`mfmig init` reads no settings).
   */
  async loadSettings(command: string): Promise<void> {
    if (this.#dotEnv instanceof Error) throw this.#dotEnv;
    this.#settings = await resolveSettings(this.program, { command, cwd: process.cwd(), dotEnv: this.#dotEnv });
  }

  /** The settings beyond the global options: config file, format, milestones, schema file, framework settings. */
  get settings(): CliSettings {
    if (!this.#settings) throw new Error('settings are read before a command runs');
    return this.#settings;
  }

  get globals(): GlobalOptions {
    const o = this.program.opts<{
      db?: string;
      json?: boolean;
      yes?: boolean;
      migrations: string;
      backups: string;
      format?: MigrationFormat;
      schemaFile: string;
      dump?: boolean;
    }>();
    const schemaFileGiven = ['cli', 'env'].includes(this.program.getOptionValueSource('schemaFile') ?? '');
    const skipDump = !['', '0', 'false', 'no', 'off'].includes((process.env.NO_SCHEMA_DUMP ?? '').trim().toLowerCase());
    const settings = this.#settings;
    // on a program that never ran `loadSettings` (one embedded without it), the options are all there is
    const database = settings ? settings.database : o.db;
    return {
      get db(): string {
        if (database === undefined) throw noDatabaseError();
        return database;
      },
      migrations: settings?.migrations ?? o.migrations,
      backups: settings?.backups ?? o.backups,
      format: settings ? settings.format : o.format,
      milestones: settings?.milestones,
      json: o.json === true,
      yes: o.yes === true,
      schemaFile: schemaFileGiven ? o.schemaFile : (settings?.schemaFile ?? o.schemaFile),
      dump: o.dump !== false && !skipDump,
    };
  }

  get out(): Output {
    this.#out ??= new Output({ json: this.globals.json, yes: this.globals.yes });
    return this.#out;
  }

  /** Aborted on the first Ctrl+C: long work stops at its next safe point. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  interrupt(): void {
    this.#abort.abort();
  }

  /**
   * Opens the framework on `--db` with `--migrations` and `--backups`. `readonly` never writes
   * (and refuses a missing file); `create` makes a new database file when there is none.
   * `loadModules` is every command's own decision (README, "Which commands run migration code"):
   * true only where the user asked for a run or a rehearsal, since importing a `.ts`/`.js`
   * migration runs its code; false reads those modules for their metadata only.
   */
  openFramework(options: OpenFrameworkOptions): MigrationFramework {
    const g = this.globals;
    const memory = options.database === ':memory:';
    const path = resolve(typeof options.database === 'string' && !memory ? options.database : g.db);
    const absent = memory || (options.absentAsEmpty === true && options.database === undefined && !existsSync(path));
    const framework = createMigrationFramework(
      {
        ...this.#settings?.framework,
        ...options.config,
        database: absent ? ':memory:' : typeof options.database === 'object' ? options.database : path,
        migrationsPath: resolve(g.migrations),
        ...(g.format === undefined ? {} : { format: g.format }),
        ...(g.milestones === undefined ? {} : { milestones: g.milestones }),
        backupPath: resolve(g.backups),
      },
      { mode: options.mode ?? 'readwrite', create: options.create ?? false, planner: options.planner, loadModules: options.loadModules },
    );
    attachStepMarkers(framework.context.events);
    this.#frameworks.push(framework);
    if (absent) this.#absent.add(framework);
    return framework;
  }

  /** True when `framework` stands in (in memory) for a database file that does not exist yet. */
  isAbsent(framework: MigrationFramework): boolean {
    return this.#absent.has(framework);
  }

  /**
   * Opens the framework as {@link openFramework} does, runs `work` with it, and closes it
   * whether `work` returns or throws; resolves to what `work` returns.
   *
   * @example
   * const status = await cli.withFramework({ mode: 'readonly', loadModules: false }, (framework) => framework.migrationService.status());
   */
  async withFramework<T>(options: OpenFrameworkOptions, work: (framework: MigrationFramework) => Promise<T> | T): Promise<T> {
    const framework = this.openFramework(options);
    try {
      return await work(framework);
    } finally {
      const at = this.#frameworks.indexOf(framework);
      if (at >= 0) this.#close(this.#frameworks.splice(at, 1));
    }
  }

  /** Closes every framework a command opened. */
  closeAll(): void {
    this.#close(this.#frameworks.splice(0));
  }

  #close(frameworks: MigrationFramework[]): void {
    for (const f of frameworks) {
      try {
        f.close();
      } catch {
        // closing is best effort at exit; SQLite's journal keeps the file consistent regardless
      }
    }
  }
}
