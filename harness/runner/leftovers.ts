/** Removing what runs whose owning process is gone left behind (`tcpladder clean`, a run's start and its interrupted end). */
import { cleanLeftovers } from '../topology/index.js';
import { cleanInstances } from '../observe/index.js';
import { cleanGuests } from '../stacks/index.js';

/** What was removed, one line each. Guests first: a guest's processes go before the namespace that holds its link. */
export async function removeLeftovers(): Promise<string[]> {
  return [...(await cleanGuests()), ...(await cleanLeftovers()), ...(await cleanInstances())];
}
