import type { MigrationEventEmitter, MigrationEvents } from '@mfmig/core';

/**
 * Test-only switch for crash testing. With `MFMIG_TEST_STEP_MARKERS=1` every event of a run is a
 * numbered step marker printed on stderr (`@@mfmig-step 12 migrationCompleted`); with
 * `MFMIG_TEST_KILL_AT_STEP=n` the process kills itself with SIGKILL right after marker n, so a
 * harness can crash a run at exactly that point.
 */
export function attachStepMarkers(events: MigrationEventEmitter<MigrationEvents>, env: NodeJS.ProcessEnv = process.env): void {
  const print = env.MFMIG_TEST_STEP_MARKERS === '1';
  const killAt = env.MFMIG_TEST_KILL_AT_STEP ? Number(env.MFMIG_TEST_KILL_AT_STEP) : undefined;
  if (!print && killAt === undefined) return;
  let step = 0;
  events.on('*', (name, data) => {
    if (name === 'log') return;
    step++;
    if (print) process.stderr.write(`@@mfmig-step ${step} ${name}${detailOf(data)}\n`);
    if (step === killAt) process.kill(process.pid, 'SIGKILL');
  });
}

/** `:transform kb_to_incident_mapping` for operations, `:7` for migration events. */
function detailOf(data: unknown): string {
  const d = data as { operation?: unknown; version?: unknown } | null;
  if (typeof d?.operation === 'string') return `:${d.operation}`;
  if (typeof d?.version === 'number') return `:${d.version}`;
  return '';
}
