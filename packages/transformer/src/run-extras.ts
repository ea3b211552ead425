import type { TransformationResult } from './run/transformation-result.js';

declare module '@mfmig/core' {
  interface RunExtras {
    /** What each declared transformation of the run did (`TRANSFORMATION_RESULTS_KEY`). */
    transformations?: TransformationResult[];
  }
}

export {};
