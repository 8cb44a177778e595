/**
 * A fake STATE_DIR for the ownership tests. owner.ts and slots.ts read
 * TCPLADDER_STATE_DIR when they are first imported, so a test file calls
 * useFakeStateDir() before it imports them (dynamically).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

export function useFakeStateDir(): { dir: string; restore(): void } {
  const previous = process.env.TCPLADDER_STATE_DIR;
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-state-'));
  process.env.TCPLADDER_STATE_DIR = dir;
  return {
    dir,
    restore() {
      if (previous === undefined) delete process.env.TCPLADDER_STATE_DIR;
      else process.env.TCPLADDER_STATE_DIR = previous;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A pid no process can have: above pid_max. `n` keeps several apart. */
export function deadPid(n = 0): number {
  return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1000 + n;
}

/** A live process that is not this one (and not a tcpladder owner). */
export function liveProcess(): ChildProcess & { pid: number } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  if (!child.pid) throw new Error('could not start sleep');
  return child as ChildProcess & { pid: number };
}

/**
 * A killed process nobody reaps: sh starts a short sleep, then becomes a long one that
 * never waits for it. `kill()` ends the parent (and so the zombie).
 */
export async function zombieProcess(): Promise<{ pid: number; parent: number; kill(): void }> {
  const parent = spawn('sh', ['-c', 'sleep 0.05 & exec sleep 30'], { stdio: 'ignore' });
  const kill = () => parent.kill('SIGKILL');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim().split(' ')[0]);
    if (pid && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z')) return { pid, parent: parent.pid!, kill };
  }
  kill();
  throw new Error('no zombie after 2 s');
}

/** Field 22 of /proc/<pid>/stat: the start time owner files record. */
export function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}
