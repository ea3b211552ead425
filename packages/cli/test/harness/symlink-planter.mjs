// A hostile neighbour in a shared folder: it plants symlinks (and directories) under every name
// mfmig's planner ever used for its scratch files, for the pids the test writes into a file,
// pointing outside the folder, until a stop file appears or its time is up. With --inside it
// also tries to get into every `mfmig-` directory it did not make itself (it runs as another
// user then, so a private directory must keep it out).
// Args: a JSON object { dirs, outside, pidFile, stopFile, untilMs, inside }.
// Prints one JSON report: { loops, planted, privateDirsSeen, insideRefused, insideEntered }.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, watch } from 'node:fs';
import { join } from 'node:path';

const { dirs, outside, pidFile, stopFile, untilMs, inside } = JSON.parse(process.argv[2]);
const report = { loops: 0, planted: 0, privateDirsSeen: 0, insideRefused: 0, insideEntered: 0 };
/** Planted names by folder, with the millisecond they stand for (0: no time in the name). */
const planted = new Map(dirs.map((dir) => [dir, new Map()]));
const seenInside = new Set();
const FRACTIONS = [0, 1_000_000];

/** The mfmig processes to plant for: those of the pid file still running. */
function pids() {
  let all;
  try {
    all = readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return all.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: alive, but another user's
      return error.code === 'EPERM';
    }
  });
}

/** Names the old planner gave its files for `pid` at millisecond `ms`. */
function namesAt(pid, ms) {
  return [`mfmig-rehearsal-${pid}-${ms}.db`, ...FRACTIONS.map((f) => `mfmig-sample-${pid}-${ms}-${f}.db`)];
}

function plant(dir, name, ms, asDirectory, target) {
  const mine = planted.get(dir);
  if (mine.has(name)) return;
  try {
    if (asDirectory) mkdirSync(join(dir, name));
    else symlinkSync(target, join(dir, name));
    mine.set(name, ms);
    report.planted++;
  } catch {
    // the name exists already (mfmig won the race for it): nothing to plant
  }
}

function tryInside(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith('mfmig-') || planted.get(dir).has(name)) continue;
    const path = join(dir, name);
    try {
      if (!lstatSync(path).isDirectory()) continue;
    } catch {
      continue;
    }
    if (!seenInside.has(path)) {
      seenInside.add(path);
      report.privateDirsSeen++;
    }
    try {
      const entries = readdirSync(path);
      for (const entry of [...entries, 'calibration.db', 'sample-1.db', 'rehearsal-2.db']) {
        for (const suffix of ['', '-journal', '-wal']) symlinkSync(join(outside, 'precious.db'), join(path, `${entry}${suffix}`));
      }
      report.insideEntered++;
    } catch (error) {
      if (error.code === 'EACCES' || error.code === 'EPERM') report.insideRefused++;
    }
  }
}

/** (pid, ms) of scratch files mfmig created itself: the names of its next files follow from them. */
const sightings = [];
const seen = new Set();
const MFMIG_FILE = /^mfmig-(?:sample|rehearsal)-(\d+)-(\d+)[-.]/;
for (const dir of dirs) {
  watch(dir, (_event, name) => {
    const match = name ? MFMIG_FILE.exec(name) : null;
    if (!match || planted.get(dir).has(name) || seen.has(`${match[1]}-${match[2]}`)) return;
    seen.add(`${match[1]}-${match[2]}`);
    sightings.push([dir, Number(match[1]), Number(match[2])]);
  });
}

while (Date.now() < untilMs && !existsSync(stopFile)) {
  report.loops++;
  const now = Date.now();
  const live = pids();
  for (const dir of dirs) {
    for (const pid of live) {
      plant(dir, `mfmig-calibration-${pid}.db`, 0, false, join(outside, `calibration-${pid}.db`));
      // the first sample: its millisecond cannot be known, only guessed
      for (let ms = now; ms <= now + 20; ms++) plant(dir, namesAt(pid, ms)[2], ms, false, join(outside, 'precious.db'));
    }
  }
  // every later file of a run is named after a millisecond shortly after its first one
  for (const [dir, pid, first] of sightings.splice(0)) {
    for (let ms = Math.max(first, now); ms <= Math.max(first, now) + 1500; ms++) {
      for (const name of namesAt(pid, ms)) plant(dir, name, ms, ms % 5 === 0, ms % 2 === 0 ? join(outside, 'precious.db') : join(outside, `missing-${name}`));
    }
  }
  if (inside) for (const dir of dirs) tryInside(dir);
  await new Promise((resolve) => setTimeout(resolve, 2));
}
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
