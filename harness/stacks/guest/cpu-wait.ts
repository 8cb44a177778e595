/**
 * How long a guest's threads waited for a CPU: each thread's run-queue wait so far
 * (the second field of /proc/<pid>/task/<tid>/schedstat, ns). A guest's TCP runs in
 * ordinary processes of this machine (UML's kernel, gVisor's sandbox), so on a loaded
 * machine it may answer late for want of a CPU, not by its own doing; two readings
 * tell how long the guest waited in between.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** thread id → ns it has waited on a run queue so far */
export type RunDelays = ReadonlyMap<number, number>;

/** `pid` and the processes below it, as they are now (a guest's processes change rarely within a case). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    for (const tid of tasksOf(p)) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) todo.push(Number(c));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

export function runDelays(pids: readonly number[]): RunDelays {
  const out = new Map<number, number>();
  for (const p of pids) {
    for (const tid of tasksOf(p)) {
      try {
        out.set(Number(tid), Number(readFileSync(`/proc/${p}/task/${tid}/schedstat`, 'utf8').split(' ')[1]));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

/**
 * The longest a single thread waited between two readings, ms. Threads wait side by
 * side, so this is the least the guest was held back (a sum would count parallel waits
 * twice); a thread born in between counts from zero.
 */
export function longestWaitMs(before: RunDelays, after: RunDelays): number {
  let ns = 0;
  for (const [tid, t] of after) ns = Math.max(ns, t - (before.get(tid) ?? 0));
  return ns / 1e6;
}

function tasksOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}
