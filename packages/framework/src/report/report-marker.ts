/**
 * The `content` of the `<meta name="generator">` tag every report carries: what tells a file
 * mfmig wrote (and may write again) from any other file at the same path.
 *
 * @example
 * renderReport(data).includes(`<meta name="generator" content="${REPORT_GENERATOR}">`); // true
 */
export const REPORT_GENERATOR = 'mfmig report';

/** How far into a file the marker is looked for: it sits in the page's `<head>`. */
export const REPORT_MARKER_BYTES = 4096;

/** The start every report had before it carried the marker. */
const EARLIER_REPORT = /^<!doctype html>\n<html lang="en"><head><meta charset="utf-8">[^]*?<title>mfmig report: /;

/**
 * True when `head` (the first {@link REPORT_MARKER_BYTES} bytes of a file, as text) is the start
 * of a report mfmig wrote: it carries the generator marker, or it has the exact start reports
 * had before the marker existed.
 *
 * @example
 * isMfmigReport(readFileSync('report.html', 'utf8').slice(0, REPORT_MARKER_BYTES)); // true
 */
export function isMfmigReport(head: string): boolean {
  const start = head.slice(0, REPORT_MARKER_BYTES);
  return start.includes(`<meta name="generator" content="${REPORT_GENERATOR}`) || EARLIER_REPORT.test(start);
}
