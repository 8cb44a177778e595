/**
 * Who owns what. Every resource a run creates is named `tcpl-<run>-<pid>-…`, where
 * <pid> is the process that made it. An owner file records that process's start
 * time, so a reused pid is not mistaken for the owner, and its pid namespace, outside
 * which the pid means nothing (a run in a container seen from the host).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';

export const STATE_DIR = process.env.TCPLADDER_STATE_DIR ?? '/run/tcpladder';
export const PREFIX = 'tcpl-';

export function runId(): string {
  let id = process.env.TCPLADDER_RUN;
  if (!id) {
    id = Date.now().toString(36).slice(-5);
    process.env.TCPLADDER_RUN = id;
  }
  return id;
}

/** Start time and state of a process, or null if there is none with this pid. */
function processOf(pid: number): { start: string; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields 3 and 22, counted after the parenthesised command name (which may contain spaces)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] };
  } catch {
    return null;
  }
}

/**
 * Killed but not reaped yet (a PID 1 that reaps late, a container without an init): it
 * holds nothing and will never clean up, though /proc still shows its start time. (A
 * zombie leader whose other threads still run is not gone.)
 */
function zombie(pid: number, state: string): boolean {
  if (state !== 'Z') return false;
  try {
    return /^Threads:\s*1$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true; // reaped meanwhile
  }
}

/** The inode of this process's pid namespace (what /proc/self/ns/pid names), or null. */
function readPidNamespace(): number | null {
  try {
    return statSync('/proc/self/ns/pid').ino;
  } catch {
    return null;
  }
}
export const PID_NAMESPACE = readPidNamespace();

let registered = false;
let exitHook = false;

/**
 * Record this process as an owner of resources; the record goes when it exits, also
 * from a process that never installs the case cleanup (a test building topologies).
 */
export function registerOwner(): void {
  if (registered) return;
  mkdirSync(`${STATE_DIR}/owners`, { recursive: true });
  writeFileSync(
    `${STATE_DIR}/owners/${process.pid}`,
    JSON.stringify({ pid: process.pid, start: processOf(process.pid)?.start ?? null, run: runId(), pidns: PID_NAMESPACE }),
  );
  registered = true;
  if (!exitHook) {
    exitHook = true;
    process.once('exit', unregisterOwner);
    // A signal ends a process without 'exit' (vitest ends its workers so): then remove
    // the record and end as the signal would. A process with a handler of its own (the
    // case cleanup, the guest pool) ends in its own time and removes the record itself:
    // until then it is still an owner, whose end a run's teardown waits for. First in
    // line, this sees every other handler.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.prependOnceListener(sig, () => {
        if (process.listenerCount(sig) > 0) return;
        unregisterOwner();
        process.kill(process.pid, sig);
      });
    }
  }
}

export function unregisterOwner(): void {
  if (!registered) return;
  rmSync(`${STATE_DIR}/owners/${process.pid}`, { force: true });
  registered = false;
}

/**
 * Is the process that created resources under this pid still running? An owner in
 * another pid namespace counts as alive: we cannot see it, so we never remove its things.
 */
export function ownerAlive(pid: number): boolean {
  const owner = ownerFile(pid);
  if (typeof owner?.pidns === 'number' && owner.pidns !== PID_NAMESPACE) return true;
  const proc = processOf(pid);
  if (proc === null || zombie(pid, proc.state)) return false;
  // no owner file, or not readable: cannot tell, so never touch what might be alive
  return owner ? owner.start === proc.start : true;
}

/** The processes of run `run` (this pid namespace's) that are still alive. */
export function liveOwners(run: string): number[] {
  let pids: number[];
  try {
    pids = readdirSync(`${STATE_DIR}/owners`).map(Number).filter((p) => Number.isInteger(p) && p > 0);
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    const owner = ownerFile(pid) as { run?: string; pidns?: number | null } | null;
    return owner?.run === run && owner.pidns === PID_NAMESPACE && ownerAlive(pid);
  });
}

/** The owner file of `pid`, or null when there is none or it cannot be read. */
function ownerFile(pid: number): { start?: string | null; pidns?: number | null } | null {
  try {
    return JSON.parse(readFileSync(`${STATE_DIR}/owners/${pid}`, 'utf8'));
  } catch {
    return null;
  }
}

/** The owning pid encoded in a resource name `tcpl-<run>-<pid>-…`, or null. */
export function ownerOf(name: string): number | null {
  const m = /^tcpl-[a-z0-9]+-(\d+)(?:-|$)/.exec(name);
  return m ? Number(m[1]) : null;
}

export function resourceName(...parts: (string | number)[]): string {
  return [`${PREFIX}${runId()}`, process.pid, ...parts].join('-');
}
