import { currentHost, isProcessAlive, processStartTime, sharesPidSpace } from './process-identity.js';
import type { LockHolder } from './run-lock.js';

/**
 * What a lock row says about its holder: `live` (respected), `stale` (its process is gone or
 * its heartbeat stopped) or `invalid` (a row no live run can have written: a pid that is no
 * process, a heartbeat that is not a time or lies in the future). Stale and invalid rows are
 * taken over; `detail` says why.
 */
export type HolderVerdict = { state: 'live' } | { state: 'stale' | 'invalid'; detail: string };

/**
 * Judges a lock holder. Its pid is checked only where it means something: same host, same boot
 * and same pid namespace (a container sharing our host name has pids of its own). A row from
 * an older mfmig without boot id and namespace is live when host, pid and start time prove it;
 * everything else is judged by its heartbeat, stale after `staleAfterMs`. A heartbeat more
 * than `staleAfterMs` ahead of our clock is invalid; a smaller lead is clock skew between
 * hosts and only delays staleness.
 *
 * @example
 * judgeHolder(holder, 60_000); // { state: 'stale', detail: 'process 4242 on this host is gone' }
 */
export function judgeHolder(holder: LockHolder, staleAfterMs: number, now = Date.now()): HolderVerdict {
  const { pid } = holder;
  if (!Number.isSafeInteger(pid) || pid <= 0) return { state: 'invalid', detail: `pid ${String(pid)} is not a process id` };
  const shared = sharesPidSpace(holder);
  if (shared && pid === 1 && (holder.processStart === null || processStartTime(1) !== holder.processStart)) {
    return { state: 'invalid', detail: 'pid 1 is the init process here, not the run that wrote the lock' };
  }
  if (shared) return isProcessAlive(pid, holder.processStart) ? { state: 'live' } : { state: 'stale', detail: `process ${pid} on this host is gone` };
  const oldRow = holder.bootId === null && holder.pidNamespace === null;
  if (oldRow && holder.host === currentHost() && holder.processStart !== null && processStartTime(pid) === holder.processStart) return { state: 'live' };
  const beat = Date.parse(holder.heartbeatAt);
  if (Number.isNaN(beat)) return { state: 'invalid', detail: `its heartbeat "${holder.heartbeatAt}" is not a time` };
  if (beat - now > staleAfterMs) return { state: 'invalid', detail: `its heartbeat ${holder.heartbeatAt} lies in the future` };
  const silentMs = now - beat;
  return silentMs > staleAfterMs ? { state: 'stale', detail: `no heartbeat for ${Math.round(silentMs / 1000)} s` } : { state: 'live' };
}
