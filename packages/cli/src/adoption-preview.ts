import { type MigrationFramework, type MigrationFrameworkConfig, type ToolAdoption, isMfmigError } from '@mfmig/framework';
import type { Output } from './output.js';

/**
 * For a read-only look (a dry run, a plan) at a database another tool has been migrating: an
 * in-memory copy of it with that tool's history adopted, so that what follows the adoption can
 * be shown without writing the file. The database itself is returned untouched when there is
 * nothing to adopt.
 *
 * @example
 * const { framework, adoption } = await adoptedCopy(framework, (db) => cli.openFramework({ database: db, loadModules: true }));
 */
export async function adoptedCopy(
  framework: MigrationFramework,
  open: (database: MigrationFrameworkConfig['database']) => MigrationFramework,
): Promise<{ framework: MigrationFramework; adoption: ToolAdoption | null }> {
  const pending = await framework.migrationService.analyzeToolAdoption();
  if (!pending) return { framework, adoption: null };
  const copy = open(await framework.context.connection.memoryCopy());
  const adoption = await copy.migrationService.adoptToolHistory();
  return { framework: copy, adoption: adoption && { ...adoption, recorded: false, runId: null } };
}

/** One line saying what an adoption recorded (or would record). */
export function renderAdoption(out: Output, adoption: ToolAdoption): void {
  const span = adoption.versions.length > 1 ? `versions ${adoption.versions[0]}..${adoption.versions.at(-1)}` : `version ${adoption.versions[0]}`;
  const repeatables = adoption.repeatables.length > 0 ? ` and ${adoption.repeatables.length} repeatable migration(s)` : '';
  const verb = adoption.recorded ? 'recorded' : 'would be recorded';
  out.line(
    `Adoption:  ${adoption.tool} migrated this database (${adoption.table}): ${span}${repeatables} ${verb} as applied, none run; ${adoption.table} is left as it is.`,
  );
}

/**
 * What the next migrate would adopt from another tool's history (`analyze`: an analysis that
 * writes nothing), or why it would refuse (an error problem), for `status`.
 */
export async function adoptionPreview(analyze: () => Promise<ToolAdoption | null>): Promise<{ adoption?: ToolAdoption; problem?: StatusLine } | null> {
  try {
    const adoption = await analyze();
    return adoption ? { adoption } : null;
  } catch (error) {
    if (!isMfmigError(error)) throw error;
    const version = typeof error.context.version === 'number' ? error.context.version : 0;
    if (error.code === 'ADOPTION_REFUSED') return { problem: { code: 'ADOPTION_REFUSED', version, severity: 'error', message: error.message } };
    return {
      problem: {
        code: 'ADOPTION_NOT_CHECKED',
        version,
        severity: 'warning',
        message: `What another tool's history would adopt could not be checked: ${error.message}`,
      },
    };
  }
}

export interface StatusLine {
  code: 'ADOPTION_REFUSED' | 'ADOPTION_NOT_CHECKED';
  version: number;
  severity: 'error' | 'warning';
  message: string;
}
