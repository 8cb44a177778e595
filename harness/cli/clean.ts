/** tcpladder clean: remove what tcpladder runs whose process is gone left behind. */
import { privilegeProblem } from '../topology/index.js';
import { removeLeftovers } from '../runner/index.js';
import { EXIT, parseArgs, UsageError, type Io } from './io.js';

export const CLEAN_HELP = `tcpladder clean

Removes guests (User-Mode Linux and gVisor processes and their files), network
namespaces, tracefs instances, address slots and sockets left by tcpladder runs
whose owning process is gone (after a SIGKILL, say). Resources of
runs still alive, and anything not named tcpl-…, are never touched. Every run does
this on start as well.
`;

export async function cleanCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { flags: ['-h', '--help'] });
  if (args.flags.size) {
    io.stdout(CLEAN_HELP);
    return EXIT.ok;
  }
  const problem = privilegeProblem();
  if (problem) throw new UsageError(`${problem}; leftovers can only be seen and removed by root`);
  const removed = await removeLeftovers();
  io.stdout(removed.length ? `removed:\n  ${removed.join('\n  ')}\n` : 'nothing to clean\n');
  return EXIT.ok;
}
