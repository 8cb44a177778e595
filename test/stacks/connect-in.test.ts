// The pool reaches a UML guest's agent with connectIn(): retried while the agent does not
// listen yet, but an attempt still waiting for an answer is never given up. The agent
// serves one connection and exits when it closes, so an attempt the guest accepted just
// as this end stopped waiting for it (a loaded machine, a slow guest) was the agent's
// last: UML then panicked ("Attempted to kill init") and the guest died while booting.
// Here the listener's namespace drops SYNs for 1.5 s, longer than a poll: the answer
// must come on the attempt that waited for it, one source port, not a new one per poll.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { resourceName } from '../../harness/topology/index.js';
import { connectIn } from '../../harness/stacks/pool/connect-in.js';

const ns = resourceName('connectin');
const PORT = 7077;
let listener: ChildProcess | null = null;

afterAll(() => {
  listener?.kill('SIGKILL');
  execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
});

function nft(script: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script });
}

describe.skipIf(process.getuid?.() !== 0)('connectIn', () => {
  it('waits on an attempt the other end is slow to answer instead of opening another', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    nft(`table inet t {
      set ports { type inet_service; flags dynamic; }
      chain gate { }
      chain input { type filter hook input priority 0; tcp dport ${PORT} tcp flags & (syn | ack) == syn add @ports { tcp sport } jump gate; }
    }
    add rule inet t gate drop`);
    listener = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', `require('net').createServer((s) => s.end()).listen(${PORT}, '127.0.0.1', () => console.log('listening'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => listener!.stdout!.once('data', () => resolve()));
    // the gate opens after 1.5 s: the first SYN and its retransmission at 1 s are dropped
    const open = setTimeout(() => nft('flush chain inet t gate'), 1500);
    try {
      const socket = await connectIn(ns, '127.0.0.1', PORT, 15_000, () => false);
      socket.destroy();
    } finally {
      clearTimeout(open);
    }
    const set = JSON.parse(execFileSync('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'set', 'inet', 't', 'ports'], { encoding: 'utf8' })) as {
      nftables: { set?: { elem?: unknown[] } }[];
    };
    const ports = set.nftables.find((x) => x.set)?.set?.elem ?? [];
    expect(ports, `SYNs came from ${JSON.stringify(ports)}`).toHaveLength(1);
  }, 30_000);
});
