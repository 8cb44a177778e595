/**
 * Mermaid ladders drawn by Mermaid itself: its dist bundle (node_modules/mermaid)
 * in Debian's chromium, headless, no network. Every catalogue case in both families
 * (recorded traces in fixtures/catalogue/, refreshed by scripts/catalogue-traces.ts)
 * and `tcpladder show --format mermaid` of captures tcpladder did not write (one
 * from the repository, one recorded here by tcpdump on a loopback) must parse and
 * render, and show every segment as a message, in order: one by one, or counted in
 * a message of a bulk run of more than BULK_RUN data segments.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentRow } from '../../harness/cli/show.js';
import { analyseConnections, decodeFrame, encodeFrame, pcapBytes, readCapture } from '../../harness/packet/index.js';
import { ladderFromTrace, BULK_RUN, MERMAID_MAX_CHARS, renderLadderMermaid, type LadderSegment } from '../../harness/report/index.js';
import type { CaseTrace } from '../../harness/trace/types.js';
import { tcpladder, ROOT } from '../cli/spawn-cli.js';
import { CHROMIUM } from './chromium.js';
import { expectLadderDrawn, expectMessagesInOrder, openMermaidPage, type MermaidPage } from './mermaid-page.js';

const CATALOGUE = join(import.meta.dirname, 'fixtures', 'catalogue');
const tmp = mkdtempSync(join(tmpdir(), 'tcpl-mermaid-test-'));
let mermaid: MermaidPage;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/setup installs it)`);
  mermaid = await openMermaidPage(tmp);
}, 60_000);

const draw = (text: string) => mermaid.draw(text);

afterAll(async () => {
  await mermaid?.context.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Mermaid ladders of the catalogue, drawn by Mermaid', () => {
  const files = readdirSync(CATALOGUE).filter((f) => f.endsWith('.trace.json')).sort();

  it('has a recorded trace of every case in both families', () => {
    const traces = files.map((f) => JSON.parse(readFileSync(join(CATALOGUE, f), 'utf8')) as CaseTrace);
    const families = new Map<string, string[]>();
    for (const t of traces) families.set(t.case, [...(families.get(t.case) ?? []), t.family].sort());
    for (const [name, fams] of families) expect(fams, name).toEqual(['ipv4', 'ipv6']);
    const recorded = new Set(traces.map((t) => t.file.slice(t.file.indexOf('cases/'))));
    const onDisk = readdirSync(join(ROOT, 'cases'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.case.ts'))
      .map((f) => `cases/${f}`);
    const missing = onDisk.filter((f) => !recorded.has(f));
    expect(missing, 'case files without a recorded trace: refresh them with `sudo node --import tsx scripts/catalogue-traces.ts`').toEqual([]);
    expect(traces.some((t) => t.segments.length > 2 * BULK_RUN + 100)).toBe(true); // a bulk case is among them
  });

  for (const f of files) {
    it(f.replace('.trace.json', ''), async () => {
      const ladder = ladderFromTrace(JSON.parse(readFileSync(join(CATALOGUE, f), 'utf8')) as CaseTrace);
      const text = renderLadderMermaid(ladder);
      expect(text.length).toBeLessThanOrEqual(MERMAID_MAX_CHARS);
      expectLadderDrawn(ladder, await draw(text), f);
    });
  }
});

/** Ladder rows of a capture as `show` makes them, in capture order. */
function captureSegments(file: string): LadderSegment[] {
  const { frames } = readCapture(readFileSync(file));
  const analysed = analyseConnections(frames.map((fr, i) => ({ n: i + 1, time: fr.time, decoded: decodeFrame(fr.data, fr.linkType, fr.origLength) })));
  return analysed.segments.map((s) => segmentRow(s, frames[0]!.time));
}

async function expectShowDrawn(file: string): Promise<LadderSegment[]> {
  const show = await tcpladder(['show', '--format', 'mermaid', file]);
  expect(show.stderr).toBe('');
  expect(show.code).toBe(0);
  expect(show.stdout.startsWith('sequenceDiagram\n')).toBe(true);
  const drawn = await draw(show.stdout);
  expect(drawn.error).toBeUndefined();
  const segments = captureSegments(file);
  expectMessagesInOrder(segments, drawn.messages, file);
  expect(drawn.notes).toEqual([]);
  return segments;
}

describe('tcpladder show --format mermaid of captures tcpladder did not write, drawn by Mermaid', () => {
  it('a pcapng of a reordering bridge', async () => {
    const segments = await expectShowDrawn(join(ROOT, 'test/packet/fixtures/bridge-reordering-ipv6.pcap'));
    expect(segments.some((s) => s.marks?.includes('out-of-order'))).toBe(true);
  });

  it('a capture tcpdump makes of a loopback: a transfer of 200 kB, then a connection refused', async () => {
    const file = join(tmp, 'loopback.pcap');
    const traffic = `
      const net = require('net');
      const server = net.createServer((s) => { s.resume(); s.on('end', () => s.end()); });
      server.listen(5002, '127.0.0.1', () => {
        const c = net.connect(5002, '127.0.0.1', () => c.end(Buffer.alloc(200000, 97)));
        c.resume();
        c.on('close', () => net.connect(5003, '127.0.0.1').on('error', () => server.close()));
      });`;
    // a network namespace of its own, gone with its last process: nothing else on its loopback
    const script = `set -e
      ip link set lo up mtu 1500
      ethtool -K lo tso off gso off gro off >/dev/null
      tcpdump -i lo --immediate-mode -U -w "$1" tcp 2>"$1.log" &
      dump=$!
      trap 'kill -INT $dump 2>/dev/null; wait $dump' EXIT
      for i in $(seq 600); do grep -q 'listening on' "$1.log" && break; sleep 0.05; done
      grep -q 'listening on' "$1.log"
      timeout 30 "$2" -e "$3"
      # tcpdump stops reading at SIGINT: first let it write what it has (the file stops growing)
      last=-1; same=0
      for i in $(seq 100); do
        size=$(stat -c %s "$1"); [ "$size" = "$last" ] && same=$((same + 1)) || same=0; last=$size
        [ $same -ge 3 ] && break; sleep 0.1
      done`;
    const r = spawnSync('unshare', ['--net', 'sh', '-c', script, 'sh', file, process.execPath, traffic], { encoding: 'utf8', timeout: 90_000 });
    expect(r.status, `${r.stderr}${existsSync(`${file}.log`) ? readFileSync(`${file}.log`, 'utf8') : ''}`).toBe(0);
    const segments = await expectShowDrawn(file);
    expect(new Set(segments.map((s) => s.conn)).size).toBe(2);
    expect(segments.some((s) => s.flags.includes('RST'))).toBe(true);
    expect(segments.filter((s) => s.len > 0).length).toBeGreaterThan(BULK_RUN); // 200 kB at MSS 1448: a bulk run
  }, 120_000);
});

describe('a Mermaid ladder too long for Mermaid', () => {
  it('is cut at a row, still parses and renders, and its last note says how much was left out', async () => {
    // 1500 connections to one server, each a SYN and an RST: 1501 participants
    const frames = [];
    for (let k = 0; k < 1500; k++) {
      const c = { src: `10.2.${k >> 8}.${k & 255}`, dst: '10.2.255.1', sport: 40000 + k, dport: 80 };
      const s = { src: c.dst, dst: c.src, sport: 80, dport: c.sport };
      frames.push({ time: 1_700_000_000_000_000_000n + BigInt(k) * 2_000_000n, data: encodeFrame({ ...c, seq: k, flags: 'S', options: [{ kind: 2, mss: 1460 }] }) });
      frames.push({ time: 1_700_000_000_001_000_000n + BigInt(k) * 2_000_000n, data: encodeFrame({ ...s, seq: 0, ack: k + 1, flags: 'RA' }) });
    }
    const file = join(tmp, 'many.pcap');
    writeFileSync(file, pcapBytes(frames));
    const show = await tcpladder(['show', '--format', 'mermaid', file]);
    expect([show.code, show.stderr]).toEqual([0, '']);
    expect(show.stdout.length).toBeLessThanOrEqual(MERMAID_MAX_CHARS);
    const drawn = await draw(show.stdout);
    expect(drawn.error).toBeUndefined();
    expect(drawn.messages.length).toBeGreaterThan(200);
    expectMessagesInOrder(captureSegments(file), drawn.messages, file, true);
    expect(drawn.notes).toEqual([
      `cut here: the last ${3000 - drawn.messages.length} rows (${3000 - drawn.messages.length} segments, 0 states, 0 calls and notes) would make the diagram longer than Mermaid draws`,
    ]);
  });
});

describe('the page', () => {
  it('made no request and threw nothing', () => {
    expect(mermaid.requests).toEqual([]);
    expect(mermaid.pageErrors).toEqual([]);
  });
});
