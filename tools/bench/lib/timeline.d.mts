// Types for timeline.mjs, so that its test type-checks.
export interface StampedLine {
  at: number;
  line: string;
}
export interface Phase {
  name: string;
  start: number;
  end: number;
  version: number | undefined;
}
export interface WriteRecord {
  start: number;
  wait: number;
  error?: string;
}
export interface PhaseStall {
  phase: string;
  version: number | undefined;
  start: number;
  ms: number;
  writes: number;
  failed: number;
  longestWait: number;
  longestStall: number;
}
export function phasesOf(lines: StampedLine[], spawnAt: number, exitAt: number): Phase[];
export function attribute<R extends WriteRecord>(records: R[], phases: Phase[]): (R & { phase: string })[];
export function stallsByPhase(attributed: (WriteRecord & { phase: string })[], phases: Phase[]): PhaseStall[];
export function summarize(
  records: WriteRecord[],
  from: number,
  to: number,
  interval: number,
): { attempted: number; due: number; failed: number; errors: string[]; longestWait: number; p99Wait: number };
