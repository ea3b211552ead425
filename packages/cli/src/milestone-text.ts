/**
 * A milestone as the CLI prints it: `MVP3`, or `-` for milestone 0, which is how a folder
 * without milestones reports every migration.
 *
 * @example
 * milestoneText(3); // 'MVP3'
 * milestoneText(0); // '-'
 */
export function milestoneText(mvp: number): string {
  return mvp > 0 ? `MVP${mvp}` : '-';
}

/**
 * A milestone to put after a version: ` (MVP3)`, or nothing for milestone 0.
 *
 * @example
 * `version 7${milestoneSuffix(2)}`; // 'version 7 (MVP2)'
 */
export function milestoneSuffix(mvp: number): string {
  return mvp > 0 ? ` (MVP${mvp})` : '';
}
