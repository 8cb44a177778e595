// A code block's asserts on a guest stack: the guest takes an injected segment in on its
// own time, so what the script's last segment did may show a few ms later than on a
// namespace host; the asserts may come true until the event's tolerance runs out, and
// fail once it has. On linux (InSegs confirms each injection) one TCP_INFO read decides.
// The socket is real (this process, never connected); only what its TCP_INFO says about
// the state is made to change, at a known moment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePacketdrill, runScript, type ScriptEnv } from '../../harness/packetdrill/index.js';
import { localSyscalls, type Syscalls, type SocketCall } from '../../harness/sockets/index.js';
import type { CaseHost } from '../../harness/case/host.js';
import { TestNamespace } from '../observe/netns.js';

const TCP_INFO = 11;
const TCP_ESTABLISHED = 1;

const SCRIPT = `
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 %{ assert tcpi_state == TCP_ESTABLISHED }%
`;

let ns: TestNamespace;
beforeAll(() => {
  ns = TestNamespace.create('code-late');
});
afterAll(() => ns?.remove());

/** the sockets a run made, closed after it */
const made: number[] = [];

/** real calls, but TCP_INFO says ESTABLISHED from `afterMs` after the first read on */
function stateComesLate(afterMs: number): Syscalls {
  const sys = localSyscalls(ns.name);
  let first: number | null = null;
  return {
    ...sys,
    socket: async (domain, type, protocol) => {
      const fd = await sys.socket(domain, type, protocol);
      made.push(fd);
      return fd;
    },
    getsockopt: async (fd, level, name, size, call) => {
      const info = await sys.getsockopt(fd, level, name, size, call);
      if (name !== TCP_INFO) return info;
      first ??= performance.now();
      if (performance.now() - first >= afterMs) info[0] = TCP_ESTABLISHED;
      return info;
    },
  };
}

async function run(stack: string, sys: Syscalls, toleranceUs: number): Promise<SocketCall[]> {
  const calls: SocketCall[] = [];
  const host = (name: string, ipv4: string) => ({ name, stack, ipv4, ipv6: '', ns: ns.name, sys, runDelays: () => null }) as unknown as CaseHost;
  const env = {
    local: host('local', '10.0.0.1'),
    remote: host('remote', '10.0.0.2'),
    version: 'ipv4',
    tolerance: { usecs: toleranceUs, percent: 0 },
    waitLimitMs: 1000,
    signal: new AbortController().signal,
    sockets: { record: (c: SocketCall) => calls.push(c), started: () => () => true, adopt: () => undefined, nextLabel: () => 'fd3', transitions: async () => [] },
    tagSegment: () => undefined,
    dir: '.',
  } as unknown as ScriptEnv;
  try {
    await runScript(parsePacketdrill(SCRIPT, 'late-state.pkt'), env);
  } finally {
    for (const fd of made.splice(0)) sys.closeNow(fd);
  }
  return calls;
}

describe('a code block on a guest stack', () => {
  it('passes when its asserts come true within the tolerance, and says how many reads it took', async () => {
    const calls = await run('gvisor', stateComesLate(3), 10_000_000);
    const code = calls.find((c) => c.call === '%{ }%')!;
    expect(code.result).toMatch(/^ok \(TCP_INFO read \d+ times\)$/);
  });

  it('fails once the tolerance has run out', async () => {
    await expect(run('gvisor', stateComesLate(60_000), 20_000)).rejects.toThrow(/late-state\.pkt:3: error in Python code: AssertionError: tcpi_state == TCP_ESTABLISHED \(tcpi_state is 7\)/);
  });

  it('on linux one read decides', async () => {
    await expect(run('linux', stateComesLate(3), 10_000_000)).rejects.toThrow(/AssertionError: tcpi_state == TCP_ESTABLISHED/);
  });
});
