import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Each database driver is imported by its dialect's folder only: the SQLite adapter
 * (`packages/core/src/adapter`) and the PostgreSQL dialect (`packages/core/src/dialect/postgres`).
 * Outside them no file reaches the driver's raw handle (`adapter.raw`) either: the adapter's
 * methods say what SQLite is asked. The public API that hands users' own code their better-sqlite3
 * connection (the `database` option, a migration's `ctx.raw`, a reverse function's `raw`,
 * `RollbackManager.database`, the `databaseReopened` event) names it `SqliteDatabase` and gets it
 * from `connectionForUserCode(adapter)`, both in the adapter's folder. Tests, benchmarks and the
 * test support may use the drivers: they build databases the way users' other programs do.
 */
const EXPORT_DEFAULT = { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' };
/** `adapter.raw` (a property read, not a call such as Kysely's `sql.raw(...)` nor `String.raw`): the driver's own handle. */
const RAW_HANDLE = {
  selector: 'MemberExpression[property.name="raw"]:not(CallExpression > MemberExpression.callee):not(TaggedTemplateExpression > MemberExpression.tag)',
  message: "Only a dialect's folder reaches the driver's raw handle; use the adapter's methods (packages/core/src/adapter/database-adapter.ts).",
};

const driverImports = (names) => ({
  paths: names.map((name) => ({ name, message: `Only a dialect's folder imports ${name}; go through the dialect boundary (packages/core/src/dialect).` })),
});

/**
 * Outside core, every source file reads SQLite through the async dialect boundary (a
 * `SqliteConnection`, `ctx.connection`): it uses neither the synchronous adapter nor the classes
 * built on it. Work that must also run inside a synchronous SQLite migration body (the table
 * rebuild) is written as a `SqliteProgram`, which core runs on either side.
 */
const SYNC_ADAPTER_API = [
  'DatabaseAdapter',
  'SqliteAdapter',
  'openDatabase',
  'openDatabaseFile',
  'adapterOf',
  'takeReadSnapshot',
  'Migrator',
  'HistoryStore',
  'MetricsStore',
  'RepeatableStore',
  'RunLock',
];
const syncAdapterImports = {
  name: '@mfmig/core',
  importNames: SYNC_ADAPTER_API,
  message: 'This package reads through the async dialect boundary: use ctx.connection (a SqliteConnection) and its introspector, history and lock.',
};
/** `ctx.adapter`, `conn.adapter`: the synchronous adapter behind a context or a connection. */
const ADAPTER_HANDLE = {
  // a property read (`ctx.adapter`) or a destructured one (`const { adapter } = lookup`)
  selector: ':matches(MemberExpression[property.name="adapter"], ObjectPattern > Property[key.name="adapter"])',
  message: 'This package reads through the async dialect boundary: use ctx.connection, not the synchronous adapter.',
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        NodeJS: 'readonly',
        globalThis: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', EXPORT_DEFAULT],
    },
  },
  {
    files: ['**/*.config.ts', 'eslint.config.js', 'packages/*/tsup.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/core/src/adapter/**', 'packages/core/src/dialect/postgres/**', 'packages/test-support/**'],
    rules: {
      'no-restricted-imports': ['error', driverImports(['better-sqlite3', 'pg', 'libpg-query'])],
      'no-restricted-syntax': ['error', EXPORT_DEFAULT, RAW_HANDLE],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/core/src/**', 'packages/test-support/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [...driverImports(['better-sqlite3', 'pg', 'libpg-query']).paths, syncAdapterImports] }],
      'no-restricted-syntax': ['error', EXPORT_DEFAULT, RAW_HANDLE, ADAPTER_HANDLE],
    },
  },
);
