/** Overall risk of a step or a plan. */
export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

/** What a planned operation does. */
export type OperationKind =
  | 'create-table'
  | 'drop-table'
  | 'rename-table'
  | 'add-column'
  | 'drop-column'
  | 'rename-column'
  | 'table-rebuild'
  | 'create-index'
  | 'drop-index'
  | 'create-view'
  | 'drop-view'
  | 'create-trigger'
  | 'drop-trigger'
  | 'insert-select'
  | 'insert-values'
  | 'update'
  | 'delete'
  | 'transformation'
  | 'other';

/** One operation of a step, with the rows it touches and its estimated cost. */
export interface PlannedOperation {
  kind: OperationKind;
  /** The table written (created, dropped, altered, indexed, filled). */
  table?: string;
  /** The table read, for copies, rebuilds and transformations. */
  source?: string;
  /** Rows the operation reads or writes (from live counts, carried through earlier steps). */
  rows: number;
  /** Rows it adds to `table` (inserts, copies, transformations). */
  rowsWritten: number;
  /** The statement (abbreviated), or the transformation id. */
  statement: string;
  description: string;
  estimatedSeconds: number;
  /** Runs inside the migration's transaction (writers wait) rather than in batches of its own. */
  blocksWrites: boolean;
  /** For batched transformations: the longest single batch, in seconds (writers wait that long at most). */
  longestBatchSeconds?: number;
  /** Details a rule may need (NOT NULL without default, row function, WHERE clause present, ...). */
  flags: Record<string, unknown>;
}

/** A rule of the risk analysis that fired on a step. */
export interface RuleFinding {
  /** Rule id, e.g. `drop-table`. */
  rule: string;
  severity: RiskLevel;
  /** What happens, why it matters, and the fix. */
  explanation: string;
  /** Machine-readable facts of the finding (tables, row counts, the statement), when the rule has them. */
  details?: Record<string, unknown>;
}

/**
 * A migration that failed when the plan was rehearsed on a copy of (a sample of) the data:
 * the same run on the real database would fail too, so the plan must not be run.
 */
export interface RehearsalFailure {
  failed: true;
  version: number;
  name: string;
  direction: 'up' | 'down';
  /** The statement that failed, when known. */
  statement: string | null;
  /** The runner's error. */
  message: string;
  /** Fraction of the live data the failing rehearsal ran on (0: the schema alone). */
  fraction: number;
}

/** How a step's duration was estimated. */
export type EstimateSource = 'metrics' | 'rehearsal' | 'model';

/** What a run means for the application's writers, by journal mode (see `writersNote`). */
export interface WritersNote {
  /** `wal`, `delete`, `truncate`, `persist`, `memory` or `off`. */
  journalMode: string;
  /** How long the pre-run backup stops the application's commits (0 in WAL mode). */
  backupBlocksSeconds: number;
  note: string;
}

/** One migration of a plan. */
export interface PlanStep {
  version: number;
  name: string;
  mvp: number;
  direction: 'up' | 'down';
  operations: PlannedOperation[];
  rules: RuleFinding[];
  riskLevel: RiskLevel;
  estimatedSeconds: number;
  /** How long writers are blocked at most during this step. */
  blocksWritesSeconds: number;
  estimateSource: EstimateSource;
}

/** A complete plan from the current state to a target milestone (up or down). */
export interface MigrationPlan {
  currentMVP: number;
  targetMVP: number;
  currentVersion: number;
  targetVersion: number;
  direction: 'up' | 'down' | 'none';
  steps: PlanStep[];
  riskLevel: RiskLevel;
  riskReasons: string[];
  /** Minutes. */
  estimatedDuration: number;
  estimatedSeconds: number;
  requiresDowntime: boolean;
  downtimeReasons: string[];
  /** Writers blocked longer than this (seconds) means downtime. */
  downtimeThresholdSeconds: number;
  /** Database facts the plan was made from. */
  database: { path: string; sizeBytes: number; rows: Record<string, number> };
  /** What the run means for the application's writers in the database's journal mode. */
  writers?: WritersNote;
  /** How durations were obtained. */
  estimation: { method: 'rehearsal' | 'model'; sampleRows: number[]; calibrationFile: string | null; notes: string[] };
  /** Present when a migration failed in the rehearsal: the plan is critical, and runs refuse it. */
  rehearsal?: RehearsalFailure;
  /** Present when a down plan cannot reach its target: its steps end above this migration. */
  stop?: PlanStop;
  createdAt: string;
}

/** Where a down plan has to stop: an applied migration with no down (or whose file is gone). */
export interface PlanStop {
  version: number;
  /** `0007_name`, or `version 7` when the file is gone. */
  name: string;
  /** What stops it and the way further down (restoring a backup taken before it). */
  message: string;
}

const ORDER: RiskLevel[] = ['low', 'medium', 'high', 'critical'];

/**
 * The higher of risk levels.
 *
 * @example
 * maxRisk('low', 'high', 'medium'); // 'high'
 */
export function maxRisk(...levels: RiskLevel[]): RiskLevel {
  return levels.reduce<RiskLevel>((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'low');
}

/**
 * True when `level` is at least `floor`.
 *
 * @example
 * riskAtLeast('high', 'medium'); // true
 */
export function riskAtLeast(level: RiskLevel, floor: RiskLevel): boolean {
  return ORDER.indexOf(level) >= ORDER.indexOf(floor);
}
