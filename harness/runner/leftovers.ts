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
  for (const pid of await ownersAfter(run, graceMs, 50)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  // a killed process is gone once reaped by its parent (or init): wait for that, briefly
  await ownersAfter(run, 2000, 20);
  return removeLeftovers();
}

/** The run's live owners once none is left or `ms` have passed, looking every `every` ms. */
async function ownersAfter(run: string, ms: number, every: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let live = liveOwners(run);
  while (live.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, every));
    live = liveOwners(run);
  }
  return live;
}
