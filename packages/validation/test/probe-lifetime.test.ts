import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const PARENT = resolve(import.meta.dirname, 'children/probe-parent.mjs');
const POOL_SOURCE = resolve(import.meta.dirname, '../src/probe/probe-pool.ts');
const JITI = createRequire(resolve(import.meta.dirname, '../../core/package.json')).resolve('jiti');

/** The fields of /proc/<pid>/stat after the command name, or null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** A process that exists and is not a zombie (a zombie holds no files). */
function isRunning(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => statFields(child)?.[1] === String(pid));
}

function holdsOpen(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

describe('probe child processes', () => {
  it('die within 2 s when their parent is killed with SIGKILL in the middle of a long query', async () => {
    const file = join(tempDir(), 'probe.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (x INTEGER)');
    db.close();

    const parent = spawn(process.execPath, [PARENT, JITI, POOL_SOURCE, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((r) => parent.once('exit', r));
    let stderr = '';
    parent.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let children: number[] = [];
    try {
      await new Promise<void>((ok, fail) => {
        parent.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('running') && ok());
        parent.once('exit', () => fail(new Error(`the parent ended early: ${stderr}`)));
      });
      // the child has opened the file and is busy in the query (running, not waiting on stdin)
      const busy = await waitFor(() => {
        children = childrenOf(parent.pid!);
        return children.length === 1 && holdsOpen(children[0]!, file) && statFields(children[0]!)?.[0] === 'R';
      }, 15_000);
      expect(busy, `no busy probe child holding the file: ${stderr}`).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(statFields(children[0]!)?.[0]).toBe('R');

      parent.kill('SIGKILL');
      await exited;
      const start = Date.now();
      const gone = await waitFor(() => !isRunning(children[0]!), 2000);
      expect(gone, 'the probe child outlived its parent by 2 s').toBe(true);
      expect(Date.now() - start).toBeLessThan(2000);
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
      for (const child of children) if (isRunning(child)) process.kill(child, 'SIGKILL');
    }
  });
});
