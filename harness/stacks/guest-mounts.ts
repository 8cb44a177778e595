/**
 * What a guest sees of this machine: its root file system is the host's, read-only, but
 * /tmp and /run are the guest's own. A project checked out under one of them (a clone in
 * /tmp) would vanish for the guest, the agent's bundle and node_modules with it: that
 * folder is shown to the guest again, read-only, over its own.
 */
import { dirname } from 'node:path';

const GUEST_OWN = ['/tmp', '/run'];

/** The project folder of the agent's bundle (it lives in <project>/node_modules/.cache/tcpladder/). */
export function projectFolder(agent: string): string {
  const i = agent.indexOf('/node_modules/');
  return i > 0 ? agent.slice(0, i) : dirname(agent);
}

/** The host folder the guest must be shown over its own /tmp or /run, or null when it sees it anyway. */
export function folderToShow(agent: string): string | null {
  const project = projectFolder(agent);
  return GUEST_OWN.some((d) => project === d || project.startsWith(`${d}/`)) ? project : null;
}
