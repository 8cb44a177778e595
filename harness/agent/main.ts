/**
 * The agent's entry point inside a guest:
 *   node agent.mjs --states sockdiag|tcpinfo [--sysctl KEY=VALUE …] [--control NIC,ADDR/PREFIX,PORT]
 * It talks JSON lines on stdin/stdout (gVisor: the sandbox's process), or with
 * --control on the one TCP connection it accepts on NIC (UML: the control link).
 */
import net from 'node:net';
import { Agent } from './agent.js';
import { applySysctls } from '../topology/sysctl.js';
import { Rtnl } from '../topology/netlink.js';
import { homeNamespaceFd } from '../topology/netns.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fail(message: string, code: number): never {
  process.stderr.write(`agent: ${message}\n`);
  process.exit(code);
}

const states = arg('--states');
if (states !== 'sockdiag' && states !== 'tcpinfo') fail('--states sockdiag|tcpinfo', 2);

// sysctls of the whole guest (gVisor: one network stack for all its cases), set before it is ready
const sysctls: Record<string, string> = {};
process.argv.forEach((a, i) => {
  if (a !== '--sysctl') return;
  const [key, ...value] = process.argv[i + 1].split('=');
  sysctls[key] = value.join('=');
});
try {
  applySysctls(null, sysctls);
} catch (e) {
  fail((e as Error).message, 3);
}
process.on('uncaughtException', (e) => process.stderr.write(`agent: ${e.stack ?? e}\n`));

const control = arg('--control');
if (control) {
  const [nic, cidr, port] = control.split(',');
  const [address, prefix] = cidr.split('/');
  const nl = Rtnl.open(null, homeNamespaceFd());
  try {
    nl.addAddress(nl.index(nic), address, Number(prefix));
    nl.setUp(nic, true);
  } finally {
    nl.close();
  }
  // one connection, the pool's, for the guest's life: when it goes, the guest is done
  const server = net.createServer({ noDelay: true }, (socket) => {
    server.close();
    socket.setNoDelay(true);
    socket.on('close', () => process.exit(0));
    new Agent(socket, socket, { states }).start();
  });
  server.listen(Number(port), address);
} else {
  // whatever else writes to stdout must not break the protocol there
  console.log = console.error;
  new Agent(process.stdin, process.stdout, { states }).start();
}
