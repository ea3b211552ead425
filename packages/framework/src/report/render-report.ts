import { formatCount } from '@mfmig/core';
import type { ReportData } from './report-data.js';
import { REPORT_GENERATOR } from './report-marker.js';

const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fmtMs = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);
const fmtInt = (n: number): string => formatCount(Math.round(n));

/**
 * Renders the report as one self-contained HTML page: inline CSS and SVG, no script, no
 * network access. Its `<head>` carries `<meta name="generator" content="mfmig report">`
 * (`isMfmigReport`), so that a later report may replace it and nothing else.
 *
 * @example
 * writeFileSync('report.html', renderReport(await collectReportData(framework)));
 */
export function renderReport(data: ReportData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${REPORT_GENERATOR}">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>mfmig report: ${esc(data.database)}</title>
<style>${CSS}</style></head>
<body>
<header><h1>mfmig migration report</h1>
<p><code>${esc(data.database)}</code> is at version <strong data-testid="current-version">${data.currentVersion}</strong>
(<strong data-testid="current-mvp">MVP${data.currentMvp}</strong> of MVP${data.latestMvp}); generated ${esc(data.generatedAt)}</p></header>
${section('Milestone timeline', 'timeline', timeline(data))}
${section('Step durations and rows', 'steps', stepsChart(data) + stepsTable(data))}
${section('Latest plan', 'plan', plan(data))}
${section('Schema diff', 'diff', diff(data))}
${section('Validation', 'validation', validation(data))}
${section('Backups and rollbacks', 'backups', backups(data))}
</body></html>
`;
}

function section(title: string, id: string, body: string): string {
  return `<section id="${id}" data-testid="section-${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function timeline(data: ReportData): string {
  const items = data.timeline
    .map(
      (t) =>
        `<li class="${t.reachedAt ? 'done' : 'pending'}" data-testid="milestone-${t.mvp}"><span class="dot"></span><strong>MVP${t.mvp}</strong>
<span>${t.reachedAt ? `reached ${esc(t.reachedAt)}` : 'not reached'}</span><span class="muted">${t.migrations} migration(s)</span></li>`,
    )
    .join('');
  return `<ol class="timeline">${items}</ol>`;
}

/** Longest label the chart shows in full; longer ones keep their end (the step's own name) after an ellipsis. */
const LABEL_MAX_CHARS = 72;

function shortLabel(label: string): string {
  return label.length <= LABEL_MAX_CHARS ? label : `…${label.slice(label.length - LABEL_MAX_CHARS + 1)}`;
}

function stepsChart(data: ReportData): string {
  if (data.steps.length === 0) return '<p class="muted">No steps recorded yet.</p>';
  const max = Math.max(...data.steps.map((s) => s.durationMs), 1);
  const barH = 18;
  const labels = data.steps.map((s) => shortLabel(s.label));
  // 12px text: about 7px a character at most, so no label runs off the left edge
  const labelW = Math.min(LABEL_MAX_CHARS * 7 + 12, Math.max(160, Math.ceil(Math.max(...labels.map((l) => l.length)) * 7) + 12));
  const chartW = 420;
  const height = data.steps.length * (barH + 6) + 10;
  const bars = data.steps
    .map((s, i) => {
      const y = 5 + i * (barH + 6);
      const w = Math.max(1, (s.durationMs / max) * chartW);
      return `<g data-testid="bar" data-label="${esc(s.label)}" data-kind="${s.kind}" data-duration-ms="${s.durationMs.toFixed(3)}" data-rows="${s.rows}">
<text x="${labelW - 6}" y="${y + 13}" text-anchor="end"><title>${esc(s.label)}</title>${esc(labels[i]!)}</text>
<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" class="${s.direction === 'down' ? 'down' : 'up'} ${s.kind}"><title>${esc(s.label)}: ${esc(fmtMs(s.durationMs))}</title></rect>
<text x="${labelW + w + 6}" y="${y + 13}">${esc(fmtMs(s.durationMs))}${s.rows ? `, ${fmtInt(s.rows)} rows` : ''}</text></g>`;
    })
    .join('');
  const source =
    data.stepsSource === 'metrics'
      ? `<p class="muted">Measured by ENABLE_METRICS for run <code>${esc(data.stepsRun?.runId ?? '')}</code> (${esc(data.stepsRun?.recordedAt ?? '')}). <span class="key up">migration up</span> <span class="key down">migration down</span> <span class="key transformation">transformation</span></p>`
      : '<p class="muted">Durations from the history (set ENABLE_METRICS=true when migrating to record rows and transformations).</p>';
  return `${source}<svg role="img" aria-label="Duration per step" data-testid="chart" width="${labelW + chartW + 170}" height="${height}" viewBox="0 0 ${labelW + chartW + 170} ${height}">${bars}</svg>`;
}

function stepsTable(data: ReportData): string {
  if (data.steps.length === 0) return '';
  const rows = data.steps
    .map(
      (s) =>
        `<tr data-testid="step-row" data-label="${esc(s.label)}" data-rows="${s.rows}"><td>${esc(s.label)}</td><td>${esc(s.direction)}</td><td class="num" data-ms="${s.durationMs.toFixed(3)}">${esc(fmtMs(s.durationMs))}</td><td class="num" data-rows="${s.rows}">${fmtInt(s.rows)}</td><td class="num">${fmtInt(s.rowsPerSecond)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Step</th><th>Dir</th><th>Duration</th><th>Rows</th><th>Rows/s</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function plan(data: ReportData): string {
  const p = data.plan;
  if (!p) return '<p class="muted">No plan available.</p>';
  const steps = p.steps
    .map(
      (s) =>
        `<tr data-testid="plan-step"><td>${esc(s.label)}</td><td><span class="risk ${esc(s.riskLevel)}">${esc(s.riskLevel)}</span></td><td>${
          s.rules.map((r) => `<div><strong>${esc(r.rule)}</strong> (${esc(r.severity)}): ${esc(r.explanation)}</div>`).join('') ||
          '<span class="muted">no rule triggered</span>'
        }</td></tr>`,
    )
    .join('');
  return `<p>${esc(p.title)}: risk <span class="risk ${esc(p.riskLevel)}" data-testid="plan-risk">${esc(p.riskLevel)}</span>,
estimated <strong data-testid="plan-minutes">${p.estimatedMinutes.toFixed(2)}</strong> min, downtime ${p.requiresDowntime ? 'required' : 'not required'}</p>
<ul>${p.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>
<table><thead><tr><th>Step</th><th>Risk</th><th>Rules triggered</th></tr></thead><tbody>${steps}</tbody></table>`;
}

function diff(data: ReportData): string {
  const d = data.diff;
  if (!d) return '<p class="muted">No schema snapshots to compare.</p>';
  if (d.lines.length === 0) return `<p>No schema change between version ${d.from} and ${d.to}.</p>`;
  return `<p>From version ${d.from} to ${d.to}:</p><ul class="diff">${d.lines
    .map(
      (l) =>
        `<li class="${l.kind}" data-testid="diff-line"><code>${l.kind === 'added' ? '+' : l.kind === 'removed' ? '-' : '~'} ${esc(l.object)}</code> ${esc(l.detail)}${l.breaking ? ' <span class="risk high">breaking</span>' : ''}</li>`,
    )
    .join('')}</ul>`;
}

function validation(data: ReportData): string {
  const v = data.validation;
  if (!v) return '<p class="muted">Validation not run.</p>';
  const rows = v.findings
    .map(
      (f) =>
        `<tr data-testid="finding"><td><span class="risk ${esc(f.severity)}">${esc(f.severity)}</span></td><td><code>${esc(f.code)}</code></td><td>${esc(f.message)}</td><td>${esc(f.suggestion)}</td></tr>`,
    )
    .join('');
  return `<p>${v.isValid ? 'Valid' : 'Invalid'}; health <strong data-testid="health">${esc(v.overallHealth)}</strong>; migration safety <strong>${esc(v.migrationSafety)}</strong>; ${v.findings.length} finding(s).</p>
${v.findings.length ? `<table><thead><tr><th>Severity</th><th>Code</th><th>Finding</th><th>Suggestion</th></tr></thead><tbody>${rows}</tbody></table>` : ''}`;
}

function backups(data: ReportData): string {
  const b = data.backups
    .map(
      (x) =>
        `<tr data-testid="backup"><td><code>${esc(x.file)}</code></td><td>${esc(x.kind)}</td><td>${x.version ?? ''}</td><td>${x.mvp === null ? '' : `MVP${x.mvp}`}</td><td>${esc(x.createdAt)}</td><td class="num">${fmtInt(x.sizeBytes)}</td><td>${x.verified ? 'yes' : 'no'}</td></tr>`,
    )
    .join('');
  const r = data.rollbacks
    .map(
      (x) =>
        `<tr data-testid="rollback" data-from="${x.from}" data-to="${x.to}" data-rows="${x.preservedRows}"><td>${esc(x.at)}</td><td>${x.from} → ${x.to}</td><td class="num">${fmtInt(x.preservedRows)}</td><td>${esc(x.detail)}</td></tr>`,
    )
    .join('');
  return `${b ? `<table><thead><tr><th>Backup</th><th>Kind</th><th>Version</th><th>Milestone</th><th>Taken</th><th>Bytes</th><th>Verified</th></tr></thead><tbody>${b}</tbody></table>` : '<p class="muted">No backups.</p>'}
${r ? `<table><thead><tr><th>Rolled back at</th><th>Versions</th><th>Rows preserved</th><th>Detail</th></tr></thead><tbody>${r}</tbody></table>` : '<p class="muted">No rollbacks.</p>'}`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:1px solid #d8dde6;padding-bottom:4px;margin-top:28px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid #e3e7ee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6}td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#6b7385}
.timeline{list-style:none;padding:0;display:flex;gap:18px;flex-wrap:wrap}.timeline li{display:flex;flex-direction:column;min-width:120px}
.timeline .dot{width:14px;height:14px;border-radius:50%;background:#c5cbd6;margin-bottom:4px}.timeline .done .dot{background:#009e73}
svg text{font-size:12px;fill:#1d2330}rect.up{fill:#0072b2}rect.down{fill:#e69f00}rect.transformation{fill:#56b4e9}
.key{display:inline-block;padding:0 6px;border-radius:3px;color:#fff}.key.up{background:#0072b2}.key.down{background:#e69f00;color:#1d2330}.key.transformation{background:#56b4e9;color:#1d2330}
.risk{padding:1px 6px;border-radius:8px;font-size:12px;background:#e3e7ee}.risk.low{background:#cce8f4}.risk.medium{background:#fbe3a8}
.risk.high{background:#f5c08a}.risk.critical{background:#e8a3c4;font-weight:bold}.diff .added code{color:#006b4f}.diff .removed code{color:#a3400f}`;
