// Hangs are bounded: a case that hangs is stopped at its timeout, reported with its
// partial ladder and pcap, cleaned up, and the run goes on with the next case of the
// same file. The case file lives in a temporary folder, outside cases/.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCapture, decodeFrame } from '../../harness/packet/index.js';
import { tcpladder, tempDir, writeCase, settledLeftovers, readSummary, removeRunDir, type Child } from './helpers.js';

const tmp = tempDir('hang');
const children: Child[] = [];
afterAll(() => {
  for (const c of children) removeRunDir(c);
  tmp.remove();
});

const file = writeCase(
  tmp.dir,
  'hang',
  `tcpCase('reliability: a read that never gets data', async ({ hosts }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  await listener.accept();
  await conn.read(1); // the server never writes
}, { families: [4], timeout: 3000 });

tcpCase('reliability: a body that ignores its abort signal', async ({ hosts }) => {
  await hosts('client', 'server');
  await new Promise(() => {}); // never settles, never looks at the signal
}, { families: [6], timeout: 2000 });

tcpCase('reliability: the next case of the same file', async ({ hosts, wire }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await peer.write('after the hangs');
  expect((await conn.read(15)).toString()).toBe('after the hangs');
  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK', 'client > server ACK', 'server > client PSH ACK len=15', '...']);
}, { families: [4] });`,
);

describe('a hanging case', () => {
  let run: Child;

  it('is stopped at its timeout and the next case of the file runs (tcpladder run <file outside cases/>)', async () => {
    run = tcpladder(['run', file]);
    children.push(run);
    const t = Date.now();
    const { code } = await run.done;
    expect(code, run.stderr()).toBe(1);
    // two timeouts of 3 s and 2 s, not vitest's own (timeout + 15 s margin)
    expect(Date.now() - t).toBeLessThan(30_000);
    const s = readSummary(run.runDir)!;
    const by = Object.fromEntries(s.cases.map((c) => [c.case, c]));
    expect(by['reliability: a read that never gets data'].status).toBe('failed');
    expect(by['reliability: a read that never gets data'].error).toBe('case timed out after 3 s');
    expect(by['reliability: a body that ignores its abort signal'].error).toBe('case timed out after 2 s');
    expect(by['reliability: the next case of the same file'].status).toBe('passed');
    // the progress output shows each failure with its ladder and pcap
    expect(run.stdout()).toContain('case timed out after 3 s');
    expect(run.stdout()).toContain('observed ladder:');
    expect(run.stdout()).toMatch(/pcap: .*reliability-a-read-that-never-gets-data-ipv4\/wire\.pcap/);
    // what hung: the call still waiting when the time ran out
    expect(run.stdout()).toMatch(/ client#1 read\(1 byte\) → \(pending at timeout\) /);
  }, 50_000);

  it('is reported with its partial ladder and pcap', () => {
    const s = readSummary(run.runDir)!;
    const c = s.cases.find((x) => x.case === 'reliability: a read that never gets data')!;
    const dir = join(run.runDir, c.dir);
    const ladder = readFileSync(join(dir, 'ladder.txt'), 'utf8');
    expect(ladder).toMatch(/─ SYN seq=0/);
    expect(ladder).toMatch(/SYN ACK seq=0 ack=1/);
    expect(ladder).toContain('ESTABLISHED');
    const trace = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as {
      status: string;
      error: string;
      durationMs: number;
      wire: { complete: boolean };
      calls: { t: number; socket: string; call: string; args?: string; result: string; ms: number }[];
    };
    expect(trace.status).toBe('failed');
    expect(trace.error).toBe('case timed out after 3 s');
    // stopped at the timeout: the trace ends within a few seconds of it, the capture is whole
    expect(trace.durationMs).toBeGreaterThanOrEqual(3000);
    expect(trace.durationMs).toBeLessThan(10_000);
    expect(trace.wire.complete).toBe(true);
    // the read is in the trace once, as it stood at the timeout (not as it ended after: ECANCELED)
    const reads = trace.calls.filter((c) => c.call === 'read');
    expect(reads).toEqual([expect.objectContaining({ socket: 'client#1', args: '1 byte', result: '(pending at timeout)' })]);
    // pending from its start until the timeout
    expect(reads[0].t * 1000 + reads[0].ms).toBeGreaterThanOrEqual(3000);
    expect(reads[0].t * 1000 + reads[0].ms).toBeLessThanOrEqual(trace.durationMs);
    expect(ladder).toContain('client#1 read(1 byte) → (pending at timeout)');
    const tcp = readCapture(readFileSync(join(dir, 'wire.pcap'))).frames.map((f) => decodeFrame(f.data, f.linkType, f.origLength).tcp).filter((x) => x !== undefined);
    expect(tcp.slice(0, 3).map((x) => x.flagString)).toEqual(['S', 'SA', 'A']);
    // the body that never looked at its signal has a trace too (hosts, no segments)
    const other = s.cases.find((x) => x.case === 'reliability: a body that ignores its abort signal')!;
    expect(existsSync(join(run.runDir, other.dir, 'trace.json'))).toBe(true);
    expect(existsSync(join(run.runDir, other.dir, 'wire.pcap'))).toBe(true);
  });

  it('is cleaned up: nothing of the run is left', async () => {
    expect(await settledLeftovers(run)).toEqual([]);
  });
});
