// Capture completeness: frames vanish behind the sidecar's back and the case fails
// with "capture incomplete", although everything the case itself asserts holds.
//
//  1. after the relay: an nftables netdev egress rule in the wire namespace drops what
//     the relay sends out of the server's port. The relay's send succeeded and counted
//     the frame as delivered; the veth never carries it, so the server's receive
//     counter stays behind (and the port counts no tx drop either).
//  2. before the capture: the client sends a frame with a source MAC that is not its
//     own (a raw frame through libpcap in the client's namespace). Its interface counts
//     it as sent; the sidecar captures only the host's own MAC, so it never records it.
//  3. at the wire port, while the host's link is up: the server's eth0 gets a smaller
//     MTU than the client's segment, so the veth refuses the relay's frame and the
//     server's wire port counts it in tx_dropped — the counter that also holds the
//     expected drops of links coming up or going down. Only the drops counted between
//     the hosts being ready and the teardown are a loss.
// And one case that must pass: a host that crashes in the middle of a transfer (and
// never comes back) had every frame it sent before its link went down captured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpladder, tempDir, writeCase, settledLeftovers, readSummary, removeRunDir, ROOT, type Child } from './helpers.js';

const tmp = tempDir('completeness');
let run: Child | undefined;
afterAll(() => {
  if (run) removeRunDir(run);
  tmp.remove();
});

const file = writeCase(
  tmp.dir,
  'loss',
  `import { execFileSync } from 'node:child_process';

const inNs = (ns: string, cmd: string[], input?: string) => execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', input });

tcpCase('reliability: frames dropped after the relay delivered them', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const wireNs = server.ns.replace(/-h\\d+$/, '-wire');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  // every frame the relay sends towards the server vanishes until the table is gone
  inNs(wireNs, ['nft', '-f', '-'], 'table netdev tcpladder_loss {\\n chain out {\\n type filter hook egress device p1 priority 0; policy accept;\\n counter drop\\n }\\n}\\n');
  await conn.write('lost once');
  await expect(wire).toHaveSegments(['...', 'client > server PSH ACK len=9'], { within: 2000 });
  inNs(wireNs, ['nft', 'delete', 'table', 'netdev', 'tcpladder_loss']);
  // the retransmission gets through: the case itself has nothing to complain about
  expect((await peer.read(9)).toString()).toBe('lost once');
}, { families: [4] });

tcpCase('reliability: a frame the host sent that the capture never saw', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  await listener.accept();
  // an Ethernet frame from a MAC that is not the client's, sent out of the client's eth0
  const script = \`const { Cap } = require('cap'); const c = new Cap(); c.open('eth0', '', 65536, Buffer.alloc(65536));
const f = Buffer.alloc(60); Buffer.from('027463ffff02027463ffff0188b5', 'hex').copy(f); c.send(f, f.length); c.close();\`;
  inNs(client.ns, [process.execPath, '-e', script], undefined);
  await conn.write('x');
  await expect(wire).toHaveSegments(['...', 'client > server PSH ACK len=1', 'server > client ACK']);
}, { families: [6] });

tcpCase('reliability: frames the wire port dropped while the link was up', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  const mtu = (n: number) => execFileSync('ip', ['-n', server.ns, 'link', 'set', 'eth0', 'mtu', String(n)]);
  mtu(1280); // the link stays up; a 1300-byte segment no longer fits
  await conn.write(Buffer.alloc(1300, 7));
  await expect(wire).toHaveSegments(['...', 'client > server PSH ACK len=1300'], { within: 2000 });
  mtu(1500);
  // the retransmission gets through: the case itself has nothing to complain about
  expect((await peer.read(1300)).length).toBe(1300);
});

tcpCase('reliability: a crash in the middle of a transfer', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  const sending = conn.write(Buffer.alloc(8 << 20)).catch(() => 0);
  const receiving = peer.read(8 << 20).catch(() => Buffer.alloc(0));
  await expect(wire).toHaveSegments(['...', 'client > server ACK len>1000', '...'], { within: 2000 });
  await client.crash(); // its link goes down while it sends; it never comes back
  await sending;
  void receiving;
});`,
);

describe('capture completeness', () => {
  it('a frame lost between the relay and the host, never captured, or dropped by the wire port while the link is up fails the case with "capture incomplete"', async () => {
    run = tcpladder(['run', file], { env: { NODE_PATH: join(ROOT, 'node_modules') } });
    const { code } = await run.done;
    expect(code, run.stderr()).toBe(1);
    const s = readSummary(run.runDir)!;
    const after = s.cases.find((c) => c.case === 'reliability: frames dropped after the relay delivered them')!;
    const before = s.cases.find((c) => c.case === 'reliability: a frame the host sent that the capture never saw')!;
    const whileUp = s.cases.filter((c) => c.case === 'reliability: frames the wire port dropped while the link was up');
    const crash = s.cases.filter((c) => c.case === 'reliability: a crash in the middle of a transfer');

    // the egress filter refuses the relay's frames while the server's link is up: a loss
    // no device counts, which the relay saw as refused sends in that window
    const m = /^capture incomplete: the wire dropped (\d+) frames? to server while its link was up$/.exec(after.error ?? '');
    expect(m, after.error).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(1);
    const trace = JSON.parse(readFileSync(join(run.runDir, after.dir, 'trace.json'), 'utf8')) as {
      wire: { complete: boolean; ports: { host: string; delivered: number; received: number; sent: number; captured: number; droppedWhileUp: number }[] };
    };
    expect(trace.wire.complete).toBe(false);
    const srv = trace.wire.ports.find((p) => p.host === 'server')!;
    expect(srv.droppedWhileUp).toBe(Number(m![1]));
    expect(srv.delivered - srv.received).toBeGreaterThanOrEqual(Number(m![1]));
    // the other direction is whole: only the server's side is reported
    const cli = trace.wire.ports.find((p) => p.host === 'client')!;
    expect(cli.captured).toBe(cli.sent);

    expect(before.error).toMatch(/^capture incomplete: client sent (\d+) frames, the sidecar captured (\d+)$/);
    const [, sent, captured] = /client sent (\d+) frames, the sidecar captured (\d+)/.exec(before.error!)!;
    expect(Number(sent) - Number(captured)).toBe(1);
    expect(whileUp.map((c) => c.family).sort()).toEqual(['ipv4', 'ipv6']);
    for (const c of whileUp) {
      const m = /^capture incomplete: the wire dropped (\d+) frames? to server while its link was up$/.exec(c.error ?? '');
      expect(m, `${c.family}: ${c.error}`).not.toBeNull();
      const n = Number(m![1]);
      expect(n).toBeGreaterThanOrEqual(1);
      const t = JSON.parse(readFileSync(join(run.runDir, c.dir, 'trace.json'), 'utf8')) as {
        wire: { complete: boolean; ports: { host: string; sent: number; captured: number; delivered: number; received: number; droppedBeforeUp: number; droppedWhileUp: number }[] };
      };
      const [cli, srv] = ['client', 'server'].map((h) => t.wire.ports.find((p) => p.host === h)!);
      expect(srv.droppedWhileUp).toBe(n);
      // every frame is accounted for: nothing else is wrong, and the client lost nothing
      expect(srv.received + srv.droppedBeforeUp + srv.droppedWhileUp).toBe(srv.delivered);
      expect(cli.droppedWhileUp).toBe(0);
      expect(cli.received + cli.droppedBeforeUp).toBe(cli.delivered);
      expect(cli.captured).toBe(cli.sent);
      expect(srv.captured).toBe(srv.sent);
    }
    expect(crash.map((c) => [c.family, c.status, c.error]).sort()).toEqual([
      ['ipv4', 'passed', undefined],
      ['ipv6', 'passed', undefined],
    ]);
    for (const c of crash) {
      const t = JSON.parse(readFileSync(join(run.runDir, c.dir, 'trace.json'), 'utf8')) as { wire: { ports: { host: string; sent: number; captured: number }[] } };
      const cli = t.wire.ports.find((p) => p.host === 'client')!;
      expect(cli.sent).toBeGreaterThan(10);
      expect(cli.captured).toBe(cli.sent);
    }
    // the progress output gives the reason with the ladder and the pcap
    expect(run.stdout()).toContain('capture incomplete: the wire dropped');
    expect(await settledLeftovers(run)).toEqual([]);
  }, 50_000);
});
