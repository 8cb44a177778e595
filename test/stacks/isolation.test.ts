// A guest serves one case after another: nothing of a case may reach the next. Two cases
// on the same guest (checked: the pool lends its first idle guest of a stack again): the
// first leaves the guest's server in TIME_WAIT on port 8080 with a sysctl of its own; the
// second binds 8080 without SO_REUSEADDR (EADDRINUSE if the TIME_WAIT were still there),
// is connected to from the first case's exact client port (a TIME_WAIT that took the SYN
// would answer with the recycled ISN, its old SND.NXT + 65537) and reads the sysctl back.
// UML gives each case a fresh namespace; gVisor a fresh subnet, and a sandbox of its own
// to a case whose sysctls differ. The file has a pool of its own, one guest per stack
// (own-pool.ts), so that the second case gets the first one's guest.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../harness/index.js';
import { CaseRun } from '../../harness/case/run.js';
import { useCaseRunDir } from '../case-run-dir.js';
import { useOwnPool } from './own-pool.js';
import type { CaseTrace } from '../../harness/trace/types.js';

useCaseRunDir(mkdtempSync(join(tmpdir(), 'tcpl-isolation-')));

useOwnPool();

const CLIENT_PORT = 40000;
const TWO32 = 2 ** 32;

/** The guest closes first and keeps TIME_WAIT; the client's SYN came from CLIENT_PORT. */
async function caseOn(stack: 'uml' | 'gvisor', family: 4 | 6, sysctls: Record<string, number>): Promise<CaseTrace> {
  const run = new CaseRun(`isolation on ${stack}`, import.meta.url, family);
  let error: unknown = null;
  try {
    const { client, server } = await run.hosts(['client', 'server'], { stack: { server: stack }, sysctls: { server: sysctls } });
    const listener = await server.listen(8080, { reuseAddr: false });
    const conn = await client.connect(server, 8080, { localPort: CLIENT_PORT, reuseAddr: false });
    const peer = await listener.accept();
    await peer.write('x');
    await conn.read(1);
    await peer.close(); // the guest closes first: its socket ends in TIME_WAIT
    await conn.read();
    await conn.close();
    await listener.close();
    // the client's FIN acknowledged last: the guest's socket went FIN_WAIT → TIME_WAIT
    await expect(run.wire).toHaveSegments(['...', 'server > client FIN ACK', '...', 'client > server FIN ACK', 'server > client ACK ack=fin+1']);
  } catch (e) {
    error = e;
  }
  const { trace, error: failure } = await run.finish(error);
  if (failure) throw failure;
  return trace;
}

const syn = (t: CaseTrace, flags: string) => t.segments.find((s) => s.from === 'server' && s.flags === flags)!;
const server = (t: CaseTrace) => t.hosts.find((h) => h.name === 'server')!;

describe.each(['uml', 'gvisor'] as const)('%s: a guest carries nothing from one case to the next', (stack) => {
  // a sysctl of the first case the second must not see (gVisor: one it can set)
  const key = stack === 'uml' ? 'net.ipv4.tcp_timestamps' : 'net.ipv4.tcp_sack';
  it.each([4, 6] as const)('IPv%i', async (family) => {
    // the guest that will serve both: the case with default sysctls first, then again
    const first = await caseOn(stack, family, {});
    const second = await caseOn(stack, family, {});
    expect(server(second).guest, 'the pool lent another guest: nothing is proven').toBe(server(first).guest);
    // no TIME_WAIT answered the SYN from the same 4-tuple: not the recycled ISN
    const fin = syn(first, 'FIN ACK');
    const recycled = (fin.seq + 1 + 65535 + 2) % TWO32;
    expect(syn(second, 'SYN ACK').seq).not.toBe(recycled);
    expect(second.status).toBe('passed');
    // a sysctl the case between them set is gone again
    const changed = await caseOn(stack, family, { [key]: 0 });
    expect(server(changed).sysctls?.[key]).toBe('0');
    const after = await caseOn(stack, family, {});
    expect(server(after).sysctls?.[key]).toBe('1');
    if (stack === 'uml') expect(server(after).guest).toBe(server(changed).guest);
  }, 300_000);
});
