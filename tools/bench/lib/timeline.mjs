// The timeline of one `mfmig migrate` run, read from its stderr progress lines (each stamped on
// arrival), and the attribution of the application writer's waits to the run's phases.

/** Phases from timestamped stderr lines [{at, line}], between the spawn and the exit. */
export function phasesOf(lines, spawnAt, exitAt) {
  const phases = [{ name: 'startup (load, plan)', start: spawnAt }];
  const open = (name, at) => {
    if (phases.at(-1).name === name) return;
    phases.at(-1).end = at;
    phases.push({ name, start: at });
  };
  for (const { at, line } of lines) {
    let m;
    if (/migration\(s\) to run/.test(line)) open('before the backup (lock, checks)', at);
    else if (/^\s*backup:/.test(line)) open('backup (copy, verify)', at);
    else if ((m = /^\[\d+\/\d+\] up (\d+)_(\S+)/.exec(line))) open(`${m[1]} ${m[2]}`, at);
    else if ((m = /^\[(\d+)\/(\d+)\] done/.exec(line))) open(m[1] === m[2] ? 'after the steps (validation, history)' : 'between steps', at);
  }
  phases.at(-1).end = exitAt;
  for (const p of phases) p.version = /^\d+ /.test(p.name) ? Number(p.name.split(' ')[0]) : undefined;
  return phases;
}

/** Each record gets the phase its wait overlapped most (a zero-length wait: the phase it started in). */
export function attribute(records, phases) {
  return records.map((r) => {
    const end = r.start + r.wait;
    let best;
    let bestOverlap = -1;
    for (const p of phases) {
      const overlap = Math.min(end, p.end) - Math.max(r.start, p.start);
      const inside = r.start >= p.start && r.start < p.end;
      if (overlap > bestOverlap || (overlap === bestOverlap && inside)) [best, bestOverlap] = [p, overlap];
    }
    return { ...r, phase: bestOverlap >= 0 ? best.name : 'outside the run' };
  });
}

/**
 * Per phase name (in order of first appearance): time spent, writes attributed, failures, their
 * longest wait, and the longest stall inside the phase (the longest part of any write's wait that
 * falls within it, so a wait that spans two steps counts in both, clipped to each).
 */
export function stallsByPhase(attributed, phases) {
  const byName = new Map();
  for (const p of phases) {
    const entry = byName.get(p.name) ?? { phase: p.name, version: p.version, start: p.start, ms: 0, writes: 0, failed: 0, longestWait: 0, longestStall: 0 };
    entry.ms += p.end - p.start;
    for (const r of attributed) entry.longestStall = Math.max(entry.longestStall, Math.min(r.start + r.wait, p.end) - Math.max(r.start, p.start));
    byName.set(p.name, entry);
  }
  for (const r of attributed) {
    const entry = byName.get(r.phase);
    if (!entry) continue;
    entry.writes++;
    if (r.error) entry.failed++;
    entry.longestWait = Math.max(entry.longestWait, r.wait);
  }
  return [...byName.values()];
}

/** Writes in [from, to): attempted, due on the cadence, failed, longest and p99 wait. */
export function summarize(records, from, to, interval) {
  const inside = records.filter((r) => r.start >= from && r.start < to);
  const waits = inside.map((r) => r.wait).sort((a, b) => a - b);
  const p99 = waits.length ? waits[Math.min(waits.length - 1, Math.ceil(waits.length * 0.99) - 1)] : 0;
  return {
    attempted: inside.length,
    due: Math.floor((to - from) / interval),
    failed: inside.filter((r) => r.error).length,
    errors: [...new Set(inside.filter((r) => r.error).map((r) => r.error))],
    longestWait: waits.at(-1) ?? 0,
    p99Wait: p99,
  };
}
