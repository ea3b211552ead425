// The cadence the bench's application writers keep, in the child process they run in: one write
// every `interval` ms, one at a time; a write late because the previous one waited runs at once,
// then the cadence resumes (missed slots are not piled up). Each write is recorded with its
// absolute start time, its wait (its wall time) and its error code, if any; a failed write does
// not stop the writer. It tells the parent it is ready, and on the message 'stop' it finishes.

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Runs `write(n)` (n = 0, 1, ...) on the cadence until the parent says 'stop'; resolves to the records. */
export async function writeOnCadence(interval, write) {
  let stopping = false;
  process.on('message', (message) => {
    if (message === 'stop') stopping = true;
  });
  const records = [];
  const t0 = now();
  process.send({ ready: t0 });
  for (let slot = 0, n = 0; !stopping; n++) {
    const start = now();
    let error;
    try {
      await write(n);
    } catch (e) {
      error = e?.code ?? String(e?.message ?? e);
    }
    const end = now();
    records.push(error ? { start, wait: end - start, error } : { start, wait: end - start });
    slot = Math.max(slot + 1, Math.floor((end - t0) / interval));
    await sleep(t0 + slot * interval - now());
  }
  return records;
}
