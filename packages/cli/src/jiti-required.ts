import { createRequire } from 'node:module';
import type * as JitiModule from 'jiti';

/**
 * jiti through its CommonJS entry. Its ES module entry imports the same 190 KB CommonJS build,
 * which Node then scans for export names on every run that loads a TypeScript migration or
 * config file; requiring it skips that scan. The command's bundle maps `jiti` here.
 */
export const createJiti: typeof JitiModule.createJiti = (createRequire(import.meta.url)('jiti') as typeof JitiModule).createJiti;
