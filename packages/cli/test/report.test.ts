import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_MIGRATIONS, mfmig, tempDir } from './helpers.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Bar {
  label: string;
  kind: string;
  durationMs: number;
  rows: number;
  width: number;
  /** Where the label's text starts, from the chart's left edge: below 0 it is cut off. */
  labelLeft: number;
}

/** Opens a report in headless chromium and reads what it shows; fails on console errors and failed requests. */
async function render(browser: Browser, file: string) {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const shown = await page.evaluate(() => {
    // runs in the page; the test's tsconfig has no DOM types
    const document = (globalThis as any).document;
    const all = (sel: string): any[] => [...document.querySelectorAll(sel)];
    return {
      bars: all('[data-testid="bar"]').map((g) => ({
        label: g.getAttribute('data-label')!,
        kind: g.getAttribute('data-kind')!,
        durationMs: Number(g.getAttribute('data-duration-ms')),
        rows: Number(g.getAttribute('data-rows')),
        width: g.querySelector('rect').getBoundingClientRect().width,
        labelLeft: g.querySelector('text').getBoundingClientRect().left - g.ownerSVGElement.getBoundingClientRect().left,
      })),
      stepRows: all('[data-testid="step-row"]').map((tr) => [...tr.querySelectorAll('td')].map((td: any) => String(td.textContent).trim())),
      reached: all('[data-testid^="milestone-"]')
        .filter((li) => li.classList.contains('done'))
        .map((li) => li.getAttribute('data-testid')),
      version: document.querySelector('[data-testid="current-version"]')!.textContent,
      planSteps: all('[data-testid="plan-step"]').length,
      diffLines: all('[data-testid="diff-line"]').length,
      health: document.querySelector('[data-testid="health"]')?.textContent ?? null,
      backups: all('[data-testid="backup"]').length,
      rollbacks: all('[data-testid="rollback"]').map((tr) => ({
        from: Number(tr.getAttribute('data-from')),
        to: Number(tr.getAttribute('data-to')),
        rows: Number(tr.getAttribute('data-rows')),
      })),
    };
  });
  await page.close();
  return { problems, requests, shown };
}

function query<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('mfmig report in a real browser', () => {
  let browser: Browser;
  let dir: string;
  const args = (...rest: string[]) => ['--migrations', REAL_MIGRATIONS, ...rest];
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: process.env.MFMIG_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
    dir = tempDir();
    expect(mfmig(dir, args('seed', '--rows', '300')).code).toBe(0);
    expect(mfmig(dir, args('migrate'), { ENABLE_METRICS: 'true' }).code).toBe(0);
  });
  afterAll(async () => browser?.close());

  it('shows the run: bars and tables hold the numbers of mfmig_metrics and mfmig_history, with no network and no errors', async () => {
    const run = mfmig(dir, args('--json', 'report', '--out', 'out/report.html'));
    expect(run.code).toBe(0);
    const file = join(dir, 'out/report.html');
    expect(run.json.path).toBe(file);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/(https?:)?\/\/[a-z0-9]/i);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);

    const { problems, requests, shown } = await render(browser, file);
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);

    const metrics = query<{ step: string; duration_ms: number; rows: number }>(
      join(dir, 'knowledge.db'),
      'SELECT step, duration_ms, rows FROM mfmig_metrics WHERE run_id = (SELECT run_id FROM mfmig_metrics ORDER BY id DESC LIMIT 1) ORDER BY id',
    );
    expect(metrics.length).toBe(15 + 9);
    expect(shown.bars.map((b: Bar) => [b.label, b.rows])).toEqual(metrics.map((m) => [m.step, m.rows]));
    shown.bars.forEach((b: Bar, i: number) => expect(b.durationMs).toBeCloseTo(metrics[i]!.duration_ms, 2));
    expect(shown.bars.filter((b: Bar) => b.kind === 'transformation').map((b: Bar) => b.label.split('#')[1])).toContain('kb_to_incident_mapping');
    const widest = shown.bars.reduce((a: Bar, b: Bar) => (b.durationMs > a.durationMs ? b : a));
    expect(shown.bars.every((b: Bar) => b.width <= widest.width + 0.5)).toBe(true);
    expect(shown.bars.filter((b: Bar) => b.labelLeft < 0).map((b: Bar) => b.label)).toEqual([]);
    expect(shown.stepRows.map((r: string[]) => [r[0], Number(r[3]!.replace(/,/g, ''))])).toEqual(metrics.map((m) => [m.step, m.rows]));
    expect(metrics.find((m) => m.step.endsWith('#kb_to_incident_mapping'))!.rows).toBe(300);

    const history = query<{ version: number }>(join(dir, 'knowledge.db'), 'SELECT version FROM mfmig_history');
    expect(shown.version).toBe(String(Math.max(...history.map((h) => h.version))));
    expect(shown.reached).toEqual(['milestone-1', 'milestone-2', 'milestone-3', 'milestone-4', 'milestone-5']);
    expect(shown.planSteps).toBe(4);
    expect(shown.diffLines).toBeGreaterThan(0);
    expect(shown.health).toBe(String(run.json.data.validation.overallHealth));
    expect(shown.backups).toBe(run.json.data.backups.length);
    expect(shown.backups).toBeGreaterThanOrEqual(2);
    expect(shown.rollbacks).toEqual([]);
  });

  it('shows a rollback with the rows it preserved', async () => {
    expect(mfmig(dir, args('--yes', 'rollback', '--to-mvp', '4'), { ENABLE_METRICS: 'true' }).code).toBe(0);
    expect(mfmig(dir, args('report')).code).toBe(0);
    const { problems, shown } = await render(browser, join(dir, 'report.html'));
    expect(problems).toEqual([]);
    const archived = query<{ rows: number }>(join(dir, 'knowledge.db'), 'SELECT sum(rows) AS rows FROM mfmig_archives')[0]!.rows;
    expect(archived).toBeGreaterThan(0);
    expect(shown.rollbacks).toEqual([{ from: 17, to: 13, rows: archived }]);
    expect(shown.reached).toEqual(['milestone-1', 'milestone-2', 'milestone-3', 'milestone-4']);
    expect(shown.bars.every((b: Bar) => b.label.length > 0)).toBe(true);
    expect(shown.planSteps).toBe(4);
  });
});
