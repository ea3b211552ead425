/** Everything the HTML report shows, gathered from the database and the services. */
export interface ReportData {
  database: string;
  generatedAt: string;
  currentVersion: number;
  currentMvp: number;
  latestMvp: number;
  /** When each milestone was reached (its last migration applied). */
  timeline: { mvp: number; reachedAt: string | null; migrations: number }[];
  /** Where `steps` comes from: the `mfmig_metrics` rows of the last measured run, the history's durations, or nothing yet. */
  stepsSource: 'metrics' | 'history' | 'none';
  /** The run the metrics belong to (null for history durations). */
  stepsRun: { runId: string; recordedAt: string } | null;
  /** One entry per measured step (metrics when recorded, else the history's durations); transformations are their own steps. */
  steps: {
    label: string;
    version: number | null;
    kind: 'migration' | 'transformation';
    direction: string;
    durationMs: number;
    rows: number;
    rowsPerSecond: number;
  }[];
  plan: {
    title: string;
    riskLevel: string;
    estimatedMinutes: number;
    requiresDowntime: boolean;
    reasons: string[];
    steps: { label: string; riskLevel: string; rules: { rule: string; severity: string; explanation: string }[] }[];
  } | null;
  diff: { from: number; to: number; lines: { kind: 'added' | 'removed' | 'changed'; object: string; detail: string; breaking: boolean }[] } | null;
  validation: {
    isValid: boolean;
    overallHealth: number | string;
    migrationSafety: string;
    findings: { severity: string; code: string; message: string; suggestion: string }[];
  } | null;
  /** The database's own backups and checkpoint copies (not those of other databases in the folder). */
  backups: { file: string; kind: string; version: number | null; mvp: number | null; createdAt: string; sizeBytes: number; verified: boolean }[];
  /** Rollback runs, from the archives of dropped rows and the `down` metrics, grouped by run. */
  rollbacks: { runId: string; at: string; from: number; to: number; preservedRows: number; detail: string }[];
}
