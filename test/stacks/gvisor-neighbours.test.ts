// gVisor keeps no static neighbours: before each case, every peer introduces itself to a
// gVisor host with an ARP request (stacks/gvisor/neighbours.ts), so that its first
// segment to a peer does not wait for an ARP round trip (it came ~20 ms late on a busy
// machine, and packetdrill scripts failed on timing, IPv4 only).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../harness/index.js';
import { CaseRun } from '../../harness/case/run.js';
import { arpRequest } from '../../harness/stacks/gvisor/neighbours.js';
import { readCapture } from '../../harness/packet/index.js';
import { useCaseRunDir } from '../case-run-dir.js';

useCaseRunDir(mkdtempSync(join(tmpdir(), 'tcpl-gvisor-arp-')));

const ARP = 0x0806;

describe('gVisor neighbours', () => {
  it('an ARP request: broadcast, from the asker, for the target', () => {
    const f = arpRequest({ mac: '02:74:63:01:61:02', ipv4: '198.19.97.2' }, '198.19.97.1');
    expect(f.toString('hex')).toBe(
      'ffffffffffff' + '027463016102' + '0806' + '0001' + '0800' + '06' + '04' + '0001' + '027463016102' + 'c6136102' + '000000000000' + 'c6136101',
    );
  });

  it('a gVisor server answers the first SYN of a linux client without asking for its MAC first', async () => {
    const run = new CaseRun('gvisor neighbours', import.meta.url, 4);
    let error: unknown = null;
    try {
      const { client, server } = await run.hosts(['client', 'server'], { stack: { server: 'gvisor' } });
      const listener = await server.listen(8080);
      await client.connect(server, 8080);
      await listener.accept();
      await expect(run.wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK', 'client > server ACK']);
    } catch (e) {
      error = e;
    }
    const { error: failure } = await run.finish(error);
    if (failure) throw failure;
    // in the order of the pcap: ARP (a) and TCP (t) frames, IPv6's own (MLD) left out
    const kinds = readCapture(readFileSync(run.wire.pcapPath)).frames.flatMap((f) => {
      const type = (f.data[12] << 8) | f.data[13];
      return type === ARP ? ['a'] : type === 0x0800 && f.data[23] === 6 ? ['t'] : [];
    });
    // the client's introduction and the server's reply, then the handshake with no ARP inside it
    expect(kinds.join('')).toMatch(/^aat{3}/);
    expect(kinds.slice(2)).not.toContain('a');
  }, 60_000);
});
