import type { FailedModel, ModelEstimates } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';

/**
 * The costs the model priced the plan with, under the plan.
 *
 * @example
 * renderModel(cli, model);
 */
export function renderModel(cli: CliRuntime, model: ModelEstimates | FailedModel): void {
  if ('failed' in model) return; // the plan's notes say why
  const p = model.probe;
  const micro = (seconds: number) => `${(seconds * 1e6).toFixed(2)} µs`;
  const s = p.secondsPerRow;
  cli.out.line();
  cli.out.line(
    `Model:     table sizes from the catalog, priced by a ${Math.round(p.probeMs)} ms probe on this server (${p.rows.toLocaleString('en-US')} rows, ${p.place === 'temp' ? 'TEMP tables' : 'in the schema'}, rolled back)`,
  );
  cli.out.line(
    `           per row: copy ${micro(s.copyWide)}, scan ${micro(s.scan)}, index build ${micro(s.index)}, update ${micro(s.update)}, delete ${micro(s.delete)}; per statement ${(p.statementSeconds * 1000).toFixed(2)} ms`,
  );
}
