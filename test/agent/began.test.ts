// A guest's call that may block tells when the agent is making it ('began'), before its
// reply: the packetdrill executor counts the script's next events from then, not from
// when the request left (a control-link trip earlier, tens of ms on a loaded machine).
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../harness/agent/agent.js';
import { AgentClient } from '../../harness/agent/client.js';
import { remoteSyscalls } from '../../harness/agent/remote-syscalls.js';
import { encodeSockaddr } from '../../harness/sockets/sockaddr.js';
import * as libc from '../../harness/sockets/libc.js';

function agentPair(): { client: AgentClient; close: () => void; lines: string[] } {
  const toAgent = new PassThrough();
  const fromAgent = new PassThrough();
  new Agent(toAgent, fromAgent, { states: 'tcpinfo' }).start();
  const channel = Duplex.from({ readable: fromAgent, writable: toAgent });
  const client = new AgentClient(channel, 'agent in this process');
  const lines: string[] = [];
  fromAgent.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { client, close: () => channel.destroy(), lines };
}

describe("an agent's calls that may block", () => {
  let close = () => {};
  afterEach(() => close());

  it('poll() and close() report that the call is being made before they return', async () => {
    const pair = agentPair();
    close = pair.close;
    const sys = remoteSyscalls(pair.client);
    // a listener with nobody connecting (loopback of this namespace, no traffic): poll waits its whole time
    const fd = await sys.socket(libc.AF_INET, libc.SOCK_STREAM);
    await sys.bind(fd, encodeSockaddr({ address: '127.0.0.1', port: 0 }));
    await sys.listen(fd, 1);
    const seen: string[] = [];
    const polled = sys.poll(fd, libc.POLLIN, 200, () => seen.push('poll began'));
    expect(await polled.then((r) => (seen.push('poll returned'), r))).toBe(0);
    await sys.close(fd, () => seen.push('close began')).then(() => seen.push('close returned'));
    expect(seen).toEqual(['poll began', 'poll returned', 'close began', 'close returned']);
  });

  it('a call asked without a callback sends no began event', async () => {
    const pair = agentPair();
    close = pair.close;
    const sys = remoteSyscalls(pair.client);
    const fd = await sys.socket(libc.AF_INET, libc.SOCK_STREAM);
    await sys.poll(fd, libc.POLLOUT, 10);
    await sys.close(fd);
    expect(pair.lines.length).toBeGreaterThan(3);
    expect(pair.lines.filter((l) => l.includes('"began"'))).toEqual([]);
  });
});
