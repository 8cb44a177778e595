// A case with one deliberately wrong expectation fails with a message that shows the
// expected and observed sequences side by side, the observed ladder and the pcap.
// Driven through CaseRun directly, so no vitest test stands for the case itself.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../harness/index.js';
import { CaseRun } from '../../harness/case/run.js';
import { stopSidecar } from '../../harness/wire/index.js';
import { closeTraceSession } from '../../harness/observe/index.js';
import type { CaseHost } from '../../harness/case/host.js';
import type { TcpSocket } from '../../harness/sockets/index.js';
import { ownNamespaces, ownSidecars, ownSlots, ownTraceInstances, until } from './cleanup-check.js';
import { useCaseRunDir } from '../case-run-dir.js';

useCaseRunDir(mkdtempSync(join(tmpdir(), 'tcpl-slice-')));

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the deliberately wrong expectation passed');
}

/** Active close by the client, as in cases/close/active-close.case.ts. */
async function activeClose(run: CaseRun): Promise<{ conn: TcpSocket; peer: TcpSocket; client: CaseHost; server: CaseHost }> {
  const { client, server } = await run.hosts(['client', 'server']);
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await conn.shutdown('write');
  expect((await peer.read()).length).toBe(0);
  await expect(conn).toPassThrough(['FIN_WAIT_2']);
  await peer.close();
  expect((await conn.read()).length).toBe(0);
  return { conn, peer, client, server };
}

const RIGHT = [
  'client > server SYN',
  'server > client SYN ACK',
  'client > server ACK',
  'client > server FIN ACK',
  'server > client ACK ack=fin+1',
  'server > client FIN ACK',
  'client > server ACK ack=fin+1',
];

describe.each([4, 6] as const)('a deliberately wrong expectation [IPv%i]', (family) => {
  let run: CaseRun;
  let conn: TcpSocket;
  let peer: TcpSocket;

  beforeAll(async () => {
    run = new CaseRun(`deliberately wrong expectation`, import.meta.url, family);
    ({ conn, peer } = await activeClose(run));
  });

  afterAll(async () => {
    if (!run) return;
    const { trace, error } = await run.finish(null);
    expect(error).toBeNull();
    expect(trace.status).toBe('passed');
    expect(existsSync(join(run.dir, 'wire.pcap'))).toBe(true);
    expect(existsSync(join(run.dir, 'trace.json'))).toBe(true);
    expect(existsSync(join(run.dir, 'ladder.txt'))).toBe(true);
  });

  it('the right expectations pass (the case itself is sound)', async () => {
    await expect(run.wire).toHaveSegments(RIGHT);
    await expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    await expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });

  it('toHaveSegments: both columns, ✗ with the reason, the observed ladder, the pcap', async () => {
    const wrong = [...RIGHT];
    wrong[4] = 'server > client FIN ACK ack=fin+1'; // the server's ACK of the FIN comes alone, no FIN yet
    const msg = await failure(expect(run.wire).toHaveSegments(wrong, { within: 300 }));
    const rows = msg.split('\n');

    expect(rows[0]).toBe('the wire does not match: pattern 5: flags: expected FIN ACK, got ACK');
    const header = rows.find((r) => /^\s+expected\s+observed$/.test(r));
    expect(header).toBeDefined();
    // rows 1–4: pattern beside the segment it matched
    for (const [i, text] of RIGHT.slice(0, 4).entries()) {
      const row = rows.find((r) => r.startsWith(`${String(i + 1).padStart(3)}  ${text} `));
      expect(row, `row ${i + 1}`).toBeDefined();
      expect(row!.slice(5 + text.length)).toMatch(new RegExp(`^\\s+${text.replace(/ ack=fin\+1$/, '')} seq=\\d+`));
    }
    // row 5: the wrong pattern in the expected column, the real segment in the observed column, ✗ and why
    const bad = rows.find((r) => r.startsWith('  5  server > client FIN ACK ack=fin+1 '));
    expect(bad).toBeDefined();
    expect(bad).toMatch(/✗ server > client ACK seq=1 ack=2 win=\d+ .*← flags: expected FIN ACK, got ACK$/);
    // the observed column starts in the same place on matched and failed rows
    const col = rows.find((r) => r.startsWith('  1  '))!.indexOf('client > server SYN seq=');
    expect(bad!.indexOf('server > client ACK seq=1')).toBe(col);

    const ladderAt = rows.indexOf('observed ladder:');
    expect(ladderAt).toBeGreaterThan(0);
    const ladder = rows.slice(ladderAt + 1).join('\n');
    expect(ladder).toMatch(/client\s+server/);
    expect(ladder).toContain('SYN seq=0');
    expect(ladder).toContain('TIME_WAIT');
    expect(rows[rows.length - 1]).toBe(`pcap: ${run.wire.pcapPath}`);
    expect(run.wire.pcapPath).toBe(join(run.dir, 'wire.pcap'));
  });

  it('toHaveSegments: a missing segment shows ✗ (nothing)', async () => {
    const msg = await failure(expect(run.wire).toHaveSegments([...RIGHT, 'server > client RST'], { within: 300 }));
    expect(msg).toContain('pattern 8: no such segment was seen');
    expect(msg).toMatch(/\n {2}8 {2}server > client RST\s+✗ \(nothing\) {3}← no such segment was seen\n/);
    expect(msg).toContain(`pcap: ${run.wire.pcapPath}`);
  });

  it('toHaveStates: both columns, ✗ on the first difference, sources, the ladder, the pcap', async () => {
    const msg = await failure(expect(conn).toHaveStates(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT'], { within: 300 }));
    const rows = msg.split('\n');
    expect(rows[0]).toBe(`${conn.label} (client): states differ at 4`);
    expect(rows.some((r) => /^\s+expected\s+observed$/.test(r))).toBe(true);
    expect(msg).toMatch(/\n {4}3 FIN_WAIT_1\s+FIN_WAIT_1 {2}\(ESTABLISHED → FIN_WAIT_1 at \d+\.\d{3} s, tracepoint\)/);
    expect(msg).toMatch(/\n ✗ {2}4 CLOSING\s+FIN_WAIT_2 {2}\(FIN_WAIT_1 → FIN_WAIT_2 at \d+\.\d{3} s, tracepoint\)/);
    expect(msg).toMatch(/\n {4}5 TIME_WAIT\s+TIME_WAIT {2}\(FIN_WAIT_2 → TIME_WAIT at \d+\.\d{3} s, sock_diag\)/);
    expect(msg).toContain('observed ladder:\n');
    expect(rows[rows.length - 1]).toBe(`pcap: ${run.wire.pcapPath}`);
  });

  it('toHaveStates on the peer: a state list one too long', async () => {
    const msg = await failure(expect(peer).toHaveStates(['SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED', 'LISTEN'], { within: 300 }));
    expect(msg).toContain(`${peer.label} (server): states differ at 6`);
    expect(msg).toMatch(/\n ✗ {2}6 LISTEN\s+\(nothing\)/);
    expect(msg).toContain(`pcap: ${run.wire.pcapPath}`);
  });
});

describe('after the runs', () => {
  it('nothing of this process is left: namespaces, links, slots, and (once closed) tracefs instance and sidecar', async () => {
    expect(ownNamespaces()).toEqual([]);
    expect(ownSlots()).toEqual([]);
    expect((await ownTraceInstances()).length).toBe(1); // the session outlives the cases…
    closeTraceSession();
    expect(await ownTraceInstances()).toEqual([]); // …and goes with closeTraceSession()
    stopSidecar();
    expect(await until(() => ownSidecars().length === 0, 3000)).toBe(true);
  });
});
