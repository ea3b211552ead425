import { formatCount } from '@mfmig/core';
import cliProgress from 'cli-progress';
import type { MigrationEventEmitter, MigrationEvents, OperationProgress } from '@mfmig/core';
import type { Output } from './output.js';
import { inert } from './printable.js';

const PLAIN_INTERVAL_MS = 1000;

/**
 * Shows a run's progress: bars on a terminal, plain lines otherwise, always on stderr so that
 * stdout stays the command's result (and `--json` stays one document).
 */
export class ProgressReporter {
  readonly #out: Output;
  #bar: cliProgress.SingleBar | undefined;
  #opBar: cliProgress.SingleBar | undefined;
  #multi: cliProgress.MultiBar | undefined;
  /** Per operation: when its last plain line was printed, and at which count (a repeated final report prints nothing). */
  #lastPlain = new Map<string, { at: number; done: number }>();

  constructor(out: Output) {
    this.#out = out;
  }

  attach(events: MigrationEventEmitter<MigrationEvents>): () => void {
    const onStart = (d: MigrationEvents['runStarted']) => this.#start(d.totalSteps, d.dryRun);
    const onMigration = (d: MigrationEvents['migrationStarted']) =>
      this.#stepStarted(`${String(d.version).padStart(4, '0')}_${d.name}`, d.step, d.totalSteps, d.direction);
    const onStep = (d: MigrationEvents['migrationStepCompleted']) => this.#stepDone(d.step, d.totalSteps, d.duration);
    const onOperation = (d: OperationProgress) => this.#operation(d);
    const onEnd = () => this.stop();
    events.on('runStarted', onStart);
    events.on('migrationStarted', onMigration);
    events.on('migrationStepCompleted', onStep);
    events.on('operationProgress', onOperation);
    events.on('runCompleted', onEnd);
    events.on('runFailed', onEnd);
    return () => {
      events.off('runStarted', onStart);
      events.off('migrationStarted', onMigration);
      events.off('migrationStepCompleted', onStep);
      events.off('operationProgress', onOperation);
      events.off('runCompleted', onEnd);
      events.off('runFailed', onEnd);
      this.stop();
    };
  }

  /** Progress of a standalone long operation (backup, validation, seeding). */
  operation(progress: OperationProgress): void {
    this.#operation(progress);
    if (progress.done >= progress.total) this.#finishOperation();
  }

  stop(): void {
    this.#multi?.stop();
    this.#multi = undefined;
    this.#bar = undefined;
    this.#opBar = undefined;
  }

  #start(total: number, dryRun: boolean): void {
    if (total === 0) return;
    if (!this.#out.interactive) {
      this.#out.note(`${dryRun ? 'Dry run: ' : ''}${total} migration(s) to run`);
      return;
    }
    // an operation's bars (a backup before the run) must not outlive the run's: their redraw timer keeps the process alive
    this.stop();
    this.#multi = new cliProgress.MultiBar(
      { stream: this.#out.stderr, hideCursor: true, clearOnComplete: false, format: ' {bar} {value}/{total} {label}', barsize: 30 },
      cliProgress.Presets.shades_classic,
    );
    this.#bar = this.#multi.create(total, 0, { label: 'migrations' });
  }

  #stepStarted(label: string, step: number, total: number, direction: string): void {
    // a migration's name comes from a file: shown inert on the bar too
    if (this.#bar) this.#bar.update(step - 1, { label: inert(`${direction} ${label}`) });
    else if (!this.#out.interactive) this.#out.note(`[${step}/${total}] ${direction} ${label}`);
  }

  #stepDone(step: number, total: number, duration: number): void {
    this.#finishOperation();
    if (this.#bar) this.#bar.update(step);
    else if (!this.#out.interactive) this.#out.note(`[${step}/${total}] done in ${formatMs(duration)}`);
  }

  #operation(p: OperationProgress): void {
    const rate = `${formatCount(Math.round(p.ratePerSecond))} ${p.unit}/s`;
    const eta = p.etaMs === null ? '' : `, ETA ${formatMs(p.etaMs)}`;
    if (this.#out.interactive) {
      if (!this.#multi) {
        this.#multi = new cliProgress.MultiBar(
          { stream: this.#out.stderr, hideCursor: true, format: ' {bar} {value}/{total} {label}', barsize: 30 },
          cliProgress.Presets.shades_classic,
        );
      }
      if (!this.#opBar) this.#opBar = this.#multi.create(Math.max(1, p.total), 0, { label: p.operation });
      this.#opBar.setTotal(Math.max(1, p.total));
      this.#opBar.update(p.done, { label: `${p.operation} (${rate}${eta})` });
      return;
    }
    const now = Date.now();
    const last = this.#lastPlain.get(p.operation);
    if (last !== undefined && last.done === p.done) return;
    if (last !== undefined && now - last.at < PLAIN_INTERVAL_MS && p.done < p.total) return;
    this.#lastPlain.set(p.operation, { at: now, done: p.done });
    this.#out.note(`  ${p.operation}: ${formatCount(p.done)}/${formatCount(p.total)} ${p.unit} (${rate}${eta})`);
  }

  #finishOperation(): void {
    if (this.#opBar && this.#multi) {
      this.#multi.remove(this.#opBar);
      this.#opBar = undefined;
    }
    if (!this.#bar) this.stop();
  }
}

/** 1234 -> "1.2s", 12 -> "12ms". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/**
 * A `(done, total)` callback that shows a row count on `reporter` with its rate since `start`
 * (a `performance.now()` reading): what the seeds report.
 *
 * @example
 * await seedKnowledgeBaseOn(conn, { rows, onProgress: rowProgress(reporter, 'seed kb_entries', performance.now()) });
 */
export function rowProgress(reporter: ProgressReporter, operation: string, start: number): (done: number, total: number) => void {
  return (done, total) => {
    const rate = (done * 1000) / Math.max(1, performance.now() - start);
    reporter.operation({ operation, done, total, unit: 'rows', ratePerSecond: rate, etaMs: rate > 0 ? ((total - done) * 1000) / rate : null });
  };
}
