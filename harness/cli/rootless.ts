/**
 * `tcpladder run` without root: the same command again inside a user namespace with
 * network and mount namespaces of its own (`unshare --user --map-root-user --net
 * --mount`) and a private tmpfs over /run, where /run/netns and /run/tcpladder then
 * live. The hosts, the wire and the capture work as with root; states are sampled
 * through sock_diag (TCPLADDER_ROOTLESS=1) because tracefs needs the real root.
 * Everything the run makes dies with the user namespace, on any exit.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { realRoot, userNamespaceProblem } from '../topology/index.js';
import { UsageError, type Io } from './io.js';

const BIN = fileURLToPath(new URL('../../bin/tcpladder.js', import.meta.url));

export async function runRootless(argv: string[], io: Io, say: (text: string) => void): Promise<number> {
  const problem = userNamespaceProblem();
  if (problem) throw new UsageError(`${realRoot() ? '' : 'not root, and '}cannot run rootless: ${problem.why}; fix: ${problem.fix}`);
  say('tcpladder: rootless run in a user namespace: states are sampled through sock_diag, not traced (see docs/RELIABILITY.md, least privilege)\n');
  const mountRun = 'mount -t tmpfs -o mode=0755 tcpladder-rootless /run || { echo "tcpladder run: cannot mount a private /run in the user namespace (above: why)" >&2; exit 2; }';
  const inner = [`${mountRun}; exec "$@"`, 'sh', process.execPath, BIN, 'run', ...argv.filter((a) => a !== '--rootless')];
  const child = spawn('unshare', ['--user', '--map-root-user', '--net', '--mount', '--fork', '--kill-child=SIGTERM', '--', 'sh', '-c', ...inner], {
    stdio: 'inherit',
    env: { ...process.env, TCPLADDER_ROOTLESS: '1' },
  });
  return new Promise<number>((done) => {
    // Ctrl-C reaches the inner run through the process group (unshare blocks it itself);
    // a signal for this process alone ends unshare, whose child then gets SIGTERM
    let stop: NodeJS.Timeout | null = null;
    const onInt = () => (stop ??= setTimeout(() => child.kill('SIGKILL'), 5000));
    const onTerm = () => child.kill('SIGKILL');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('error', (e) => io.stderr(`tcpladder: unshare: ${e.message}\n`));
    child.on('exit', (code, sig) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (stop) clearTimeout(stop);
      done(code ?? (sig === 'SIGKILL' ? 143 : 130));
    });
  });
}
