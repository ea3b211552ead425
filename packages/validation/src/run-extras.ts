import type { ValidationReport } from './report/types.js';

declare module '@mfmig/core' {
  interface RunExtras {
    /** The report of the validation plugin (`createValidationPlugin`) after the run. */
    validation?: ValidationReport;
  }
}

export {};
