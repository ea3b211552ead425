import { MfmigError } from '@mfmig/core';
import type { RiskLevel } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';

/**
 * Asks before a high or critical risk plan runs: `question` on a terminal, accepted by `--yes`
 * otherwise. A refusal throws `RISK_NOT_ACCEPTED` (exit 3) with `refusal` as its message, before
 * anything was changed. Lower risks pass without a question.
 *
 * @example
 * await confirmRisk(cli, plan.riskLevel, 'This plan is high risk. Migrate?', 'The plan is high risk; rerun with --yes to accept it');
 */
export async function confirmRisk(cli: CliRuntime, riskLevel: RiskLevel, question: string, refusal: string): Promise<void> {
  if (riskLevel !== 'high' && riskLevel !== 'critical') return;
  if (await cli.out.confirm(question)) return;
  throw new MfmigError('RISK_NOT_ACCEPTED', refusal);
}
