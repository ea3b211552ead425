/** Options of {@link seedKnowledgeBaseOn}. */
export interface SeedOptions {
  /** Number of KB entries. */
  rows: number;
  /** PRNG seed; the same rows and seed give the same data. Default 1. */
  seed?: number;
  /** Rows per transaction. Default 50 000. */
  batchSize?: number;
  /** Called after each batch with rows written so far. */
  onProgress?: (done: number, total: number) => void;
}
