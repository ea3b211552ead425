import { REPORT_MARKER_BYTES, isMfmigReport } from '@mfmig/framework';
import { type OutputFileOptions, assertOutputPath, writeOutputFile } from './output-file.js';

/** Options of {@link writeReportFile}. */
export interface ReportFileOptions {
  /** The database the report is about (`--db`): it and its side files are never written. */
  database: string;
  /** Replace an existing regular file that is not a report (`--force`). */
  force: boolean;
}

function outputOptions(options: ReportFileOptions): OutputFileOptions {
  return { ...options, forceFlag: '--force', what: 'report', flag: '--out', isOurs: isMfmigReport, markerBytes: REPORT_MARKER_BYTES };
}

/**
 * Writes a report where `--out` says, and nowhere else (see `writeOutputFile`): an existing file
 * is replaced only when it is a report mfmig wrote (its generator marker) or with `force`.
 * Returns the path written.
 *
 * @example
 * writeReportFile('./report.html', html, { database: './knowledge.db', force: false });
 */
export function writeReportFile(out: string, html: string, options: ReportFileOptions): string {
  return writeOutputFile(out, html, outputOptions(options));
}

/**
 * Throws `OUTPUT_REFUSED` when `out` is the database or a side file of it, or something that must
 * not be replaced (see {@link writeReportFile}); a command checks before it does the work.
 *
 * @example
 * assertReportPath('./knowledge.db', { database: './knowledge.db', force: true }); // throws OUTPUT_REFUSED
 */
export function assertReportPath(out: string, options: ReportFileOptions): void {
  assertOutputPath(out, outputOptions(options));
}
