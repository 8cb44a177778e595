/** Removing what runs whose owning process is gone left behind (`tcpladder clean`, a run's start and its interrupted end). */
import { cleanLeftovers, liveOwners } from '../topology/index.js';
import { cleanInstances } from '../observe/index.js';
import { cleanGuests } from '../stacks/index.js';

/** What was removed, one line each. Guests first: a guest's processes go before the namespace that holds its link. */
export async function removeLeftovers(): Promise<string[]> {
  return [...(await cleanGuests()), ...(await cleanLeftovers()), ...(await cleanInstances())];
}

/** How long an interrupted run's processes get to clean up after themselves before they are killed. */
export const OWNERS_GRACE_MS = 5000;

/**
 * The end of an interrupted run `run`: its processes (workers, the guest pool) clean up
 * on the signal, each in its own time — a worker in the middle of a case outlives
 * vitest's main process. Wait for them, kill those still there after `graceMs`, then
 * remove what any of them left: nothing of the run outlives the command.
 */
export async function endInterruptedRun(run: string, graceMs = OWNERS_GRACE_MS): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  let live = liveOwners(run);
  while (live.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    live = liveOwners(run);
  }
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  // a killed process is gone once reaped by its parent (or init): wait for that, briefly
  const killedBy = Date.now() + 2000;
  while (liveOwners(run).length && Date.now() < killedBy) await new Promise((r) => setTimeout(r, 20));
  return removeLeftovers();
}
