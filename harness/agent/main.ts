/**
 * The agent's entry point inside a guest:
 *   node agent.mjs --states sockdiag|tcpinfo [--tty /dev/ttyS0]
 * It talks JSON lines on the tty (UML's serial line) or on stdin/stdout (gVisor).
 */
import { openSync } from 'node:fs';
import tty from 'node:tty';
import { Agent } from './agent.js';
import { applySysctls } from '../topology/sysctl.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const states = arg('--states');
if (states !== 'sockdiag' && states !== 'tcpinfo') {
  process.stderr.write('agent: --states sockdiag|tcpinfo\n');
  process.exit(2);
}
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
  process.stderr.write(`agent: ${(e as Error).message}\n`);
  process.exit(3);
}
const path = arg('--tty');
// a serial line: read and written through libuv's tty handles (epoll, not the thread pool
// that the socket calls' poll() uses), raw, one descriptor each way
let input: NodeJS.ReadableStream & import('node:stream').Readable = process.stdin;
let output: import('node:stream').Writable = process.stdout;
if (path) {
  const rx = new tty.ReadStream(openSync(path, 'r'));
  rx.setRawMode(true);
  input = rx;
  output = new tty.WriteStream(openSync(path, 'w'));
} else {
  // whatever else writes to stdout must not break the protocol there
  console.log = console.error;
}
process.on('uncaughtException', (e) => process.stderr.write(`agent: ${e.stack ?? e}\n`));
new Agent(input, output, { states }).start();
