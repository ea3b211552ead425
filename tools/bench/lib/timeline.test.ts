// The online bench suite's timeline: phases read from migrate's progress lines, and each write's
// wait placed in the phase it overlapped most. Synthetic timestamps; nothing is timed here.
import { describe, expect, it } from 'vitest';
import { attribute, phasesOf, stallsByPhase, summarize } from './timeline.mjs';

const lines = [
  { at: 100, line: '2 migration(s) to run' },
  { at: 150, line: '  backup: 0/10 pages (0 pages/s)' },
  { at: 180, line: '  backup: 10/10 pages (500 pages/s, ETA 0ms)' },
  { at: 200, line: '[1/2] up 0003_add_incident_tracking' },
  { at: 210, line: '[1/2] done in 10ms' },
  { at: 212, line: '[2/2] up 0005_map_kb_entries_to_incidents' },
  { at: 230, line: '  transform kb_to_incident_mapping: 5/5 rows (10 rows/s, ETA 0ms)' },
  { at: 600, line: '[2/2] done in 388ms' },
];

describe('phasesOf', () => {
  it('splits the run at the plan, backup, step and done lines, ignoring other progress', () => {
    const phases = phasesOf(lines, 0, 700);
    expect(phases.map((p) => [p.name, p.start, p.end, p.version])).toEqual([
      ['startup (load, plan)', 0, 100, undefined],
      ['before the backup (lock, checks)', 100, 150, undefined],
      ['backup (copy, verify)', 150, 200, undefined],
      ['0003 add_incident_tracking', 200, 210, 3],
      ['between steps', 210, 212, undefined],
      ['0005 map_kb_entries_to_incidents', 212, 600, 5],
      ['after the steps (validation, history)', 600, 700, undefined],
    ]);
  });
});

describe('attribute and stallsByPhase', () => {
  const phases = phasesOf(lines, 0, 700);
  const writes = [
    { start: 20, wait: 1 },
    { start: 205, wait: 395 }, // starts in 0003, waits through 0005 to its end
    { start: 640, wait: 5000, error: 'SQLITE_BUSY' },
  ];

  it('gives each write the phase its wait overlapped most', () => {
    expect(attribute(writes, phases).map((w) => w.phase)).toEqual([
      'startup (load, plan)',
      '0005 map_kb_entries_to_incidents',
      'after the steps (validation, history)',
    ]);
  });

  it('clips each stall to the phase, so a wait that spans two steps shows in both', () => {
    const stalls = stallsByPhase(attribute(writes, phases), phases);
    const of = (name: string) => stalls.find((s) => s.phase === name);
    expect(of('0005 map_kb_entries_to_incidents')).toMatchObject({ writes: 1, longestWait: 395, longestStall: 388 });
    expect(of('0003 add_incident_tracking')).toMatchObject({ writes: 0, longestWait: 0, longestStall: 5 });
    expect(of('after the steps (validation, history)')).toMatchObject({ writes: 1, failed: 1, longestStall: 60 });
  });
});

describe('summarize', () => {
  it('counts the writes that started in the window, the due ones, failures, longest and p99 wait', () => {
    const records: { start: number; wait: number; error?: string }[] = Array.from({ length: 100 }, (_, i) => ({ start: i * 20, wait: i === 50 ? 900 : i }));
    records.push({ start: 2500, wait: 3, error: 'SQLITE_BUSY' }, { start: 5000, wait: 9999 });
    expect(summarize(records, 0, 4000, 20)).toEqual({ attempted: 101, due: 200, failed: 1, errors: ['SQLITE_BUSY'], longestWait: 900, p99Wait: 99 });
  });
});
