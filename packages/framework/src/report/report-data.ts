/** Everything the HTML report shows, gathered from the database and the services. */
export interface ReportData {
  database: string;
  generatedAt: string;
  currentVersion: number;
  currentMvp: number;
  latestMvp: number;
  /** When each milestone was reached (its last migration applied). */
  timeline: { mvp: number; reachedAt: string | null; migrations: number }[];
  /** One entry per measured step (metrics when recorded, else the history's durations). */
  steps: { label: string; version: number | null; direction: string; durationMs: number; rows: number; rowsPerSecond: number }[];
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
  backups: { file: string; version: number | null; mvp: number | null; createdAt: string; sizeBytes: number; verified: boolean }[];
  rollbacks: { at: string; from: number; to: number; preservedRows: number; detail: string }[];
}
