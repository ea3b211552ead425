export { buildProgram, runCli } from './run-cli.js';
export { EXIT, exitCodeFor } from './exit-codes.js';
export { Output } from './output.js';
export { ProgressReporter, formatMs } from './progress-reporter.js';
export { CliRuntime, type GlobalOptions } from './runtime.js';
export { defineConfig, type MfmigConfig } from './settings/mfmig-config.js';
