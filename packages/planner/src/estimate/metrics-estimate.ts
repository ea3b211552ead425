// a step's duration from its recorded runs: core's, since rollback plans read it too
export { type MeasuredStep, metricsSeconds } from '@mfmig/core';
