import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who a process is, precisely enough to tell whether its pid can be checked from here: a pid
 * means something only on the same host, since the same boot, in the same pid namespace.
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Start time of the process as the kernel records it (Linux), or null where unknown. */
  processStart: string | null;
  /** `/proc/sys/kernel/random/boot_id` (Linux), or null where unknown. */
  bootId: string | null;
  /** The pid namespace, e.g. `pid:[4026531836]` (Linux), or null where unknown. */
  pidNamespace: string | null;
}

/** Start time of a process as the kernel records it (Linux), to tell a live pid from a reused one. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True when a process with this pid runs on this host (and, when known, started at `startTime`). */
export function isProcessAlive(pid: number, startTime: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (startTime === null) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}

export function currentHost(): string {
  return hostname();
}

let bootId: string | null | undefined;
let pidNamespace: string | null | undefined;
let ownStart: string | null | undefined;

/**
 * The kernel's boot id (Linux; null elsewhere). Two processes with the same host name but
 * different boot ids cannot see each other's pids.
 *
 * @example
 * currentBootId(); // '19456882-1186-4b0a-be9d-8d90d4abddce'
 */
export function currentBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * The pid namespace of this process (Linux; null elsewhere). Containers that share a host name
 * usually have pid namespaces of their own, where the same pid is another process.
 *
 * @example
 * currentPidNamespace(); // 'pid:[4026531836]'
 */
export function currentPidNamespace(): string | null {
  if (pidNamespace === undefined) {
    try {
      pidNamespace = readlinkSync('/proc/self/ns/pid') || null;
    } catch {
      pidNamespace = null;
    }
  }
  return pidNamespace;
}

/**
 * This process's identity.
 *
 * @example
 * const me = currentProcessIdentity(); // { host: 'vm', pid: 4242, processStart: '81234', bootId: '1945...', pidNamespace: 'pid:[4026531836]' }
 */
export function currentProcessIdentity(): ProcessIdentity {
  if (ownStart === undefined) ownStart = processStartTime(process.pid);
  return { host: currentHost(), pid: process.pid, processStart: ownStart, bootId: currentBootId(), pidNamespace: currentPidNamespace() };
}

/**
 * True when `other`'s pid can be checked from this process: same host, same boot and same pid
 * namespace. Where the system tells neither (not Linux), both sides have null and the host
 * alone decides, as before boot ids and namespaces were recorded.
 *
 * @example
 * if (sharesPidSpace(holder)) alive = isProcessAlive(holder.pid, holder.processStart);
 */
export function sharesPidSpace(other: Pick<ProcessIdentity, 'host' | 'bootId' | 'pidNamespace'>): boolean {
  return other.host === currentHost() && other.bootId === currentBootId() && other.pidNamespace === currentPidNamespace();
}

/**
 * True when `other` is this very process (not merely the same pid in another container).
 *
 * @example
 * if (isCurrentProcess(lock.holder())) return; // our own lock
 */
export function isCurrentProcess(other: ProcessIdentity): boolean {
  const me = currentProcessIdentity();
  return other.pid === me.pid && sharesPidSpace(other) && (other.processStart === null || me.processStart === null || other.processStart === me.processStart);
}
