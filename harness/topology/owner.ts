/**
 * Who owns what. Every resource a run creates is named `tcpl-<run>-<pid>-…`, where
 * <pid> is the process that made it. An owner file records that process's start
 * time, so a reused pid is not mistaken for the owner.
 */
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';

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

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // field 22, counted after the parenthesised command name (which may contain spaces)
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

let registered = false;

/** Record this process as an owner of resources. */
export function registerOwner(): void {
  if (registered) return;
  mkdirSync(`${STATE_DIR}/owners`, { recursive: true });
  writeFileSync(
    `${STATE_DIR}/owners/${process.pid}`,
    JSON.stringify({ pid: process.pid, start: startTime(process.pid), run: runId() }),
  );
  registered = true;
}

export function unregisterOwner(): void {
  if (!registered) return;
  rmSync(`${STATE_DIR}/owners/${process.pid}`, { force: true });
  registered = false;
}

/** Is the process that created resources under this pid still running? */
export function ownerAlive(pid: number): boolean {
  const now = startTime(pid);
  if (now === null) return false;
  const file = `${STATE_DIR}/owners/${pid}`;
  if (!existsSync(file)) return true; // cannot tell: never touch what might be alive
  try {
    return JSON.parse(readFileSync(file, 'utf8')).start === now;
  } catch {
    return true;
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
