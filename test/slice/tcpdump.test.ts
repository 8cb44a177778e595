// `tcpdump -r` reads a case's wire.pcap and shows the same TCP segments as the trace
// and the ladder: count, order, direction, flags, absolute seq/ack, window, length.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tcpCase, patternBytes } from '../../harness/index.js';
import type { CaseTrace, TraceSegment } from '../../harness/trace/types.js';

const pcaps = new Map<4 | 6, string>();

tcpCase('tcpdump agrees: handshake, data both ways, active close', async ({ hosts, wire, family }) => {
  const { client, server } = await hosts('client', 'server');
  const listener = await server.listen(8080);
  const conn = await client.connect(server, 8080);
  const peer = await listener.accept();
  await conn.write(5000);
  expect((await peer.read(5000)).equals(patternBytes(5000))).toBe(true);
  await peer.write(3000);
  expect((await conn.read(3000)).length).toBe(3000);
  await conn.shutdown('write');
  expect((await peer.read()).length).toBe(0);
  await expect(conn).toPassThrough(['FIN_WAIT_2']);
  await peer.close();
  expect((await conn.read()).length).toBe(0);
  await expect(wire).toHaveSegments(['client > server SYN', 'server > client SYN ACK', 'client > server ACK', '...', 'client > server ACK ack=fin+1']);
  pcaps.set(family, wire.pcapPath);
});

interface Dumped {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  flags: string;
  seq: number | null;
  seqEnd: number | null;
  ack: number | null;
  win: number;
  len: number;
}

const LETTERS: Record<string, string> = { S: 'SYN', F: 'FIN', R: 'RST', P: 'PSH', '.': 'ACK', U: 'URG', E: 'ECE', W: 'CWR' };

/** `tcpdump -nn -S -r` lines of TCP segments, parsed. */
function tcpdump(pcap: string): Dumped[] {
  const out = execFileSync('tcpdump', ['-nn', '-S', '-r', pcap, 'tcp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const re = /^\S+ IP6? (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\](?:, seq (\d+)(?::(\d+))?)?(?:, ack (\d+))?, win (\d+)(?:, options \[[^\]]*\])?, length (\d+)/;
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = re.exec(line);
      if (!m) throw new Error(`unexpected tcpdump line: ${line}`);
      return {
        src: m[1],
        sport: Number(m[2]),
        dst: m[3],
        dport: Number(m[4]),
        flags: [...m[5]].map((c) => LETTERS[c] ?? c).sort().join(' '),
        seq: m[6] === undefined ? null : Number(m[6]),
        seqEnd: m[7] === undefined ? null : Number(m[7]),
        ack: m[8] === undefined ? null : Number(m[8]),
        win: Number(m[9]),
        len: Number(m[10]),
      };
    });
}

interface Arrow {
  rightwards: boolean;
  flags: string;
  seq: number;
  ack: number | null;
  len: number;
}

/** The segment arrows of ladder.txt: direction, flags, relative seq/ack, length. */
function ladderArrows(text: string): Arrow[] {
  const out: Arrow[] = [];
  for (const line of text.split('\n')) {
    const right = /├─+ (.*?) ─+>│/.exec(line);
    const left = /│<─+ (.*?) ─+┤/.exec(line);
    const label = right?.[1] ?? left?.[1];
    if (label === undefined) continue;
    const m = /^((?:[A-Z]+ )*)seq=(\d+)(?: ack=(\d+))?(?: len=(\d+))?/.exec(label);
    if (!m) throw new Error(`unexpected ladder label: ${label}`);
    out.push({ rightwards: !!right, flags: m[1].trim().split(' ').sort().join(' '), seq: Number(m[2]), ack: m[3] === undefined ? null : Number(m[3]), len: m[4] === undefined ? 0 : Number(m[4]) });
  }
  return out;
}

const sorted = (flags: string) => flags.split(' ').filter(Boolean).sort().join(' ');

describe.each([4, 6] as const)('the pcap of the case [IPv%i]', (family) => {
  const load = () => {
    const pcap = pcaps.get(family);
    if (!pcap) throw new Error('the case did not run');
    const dir = dirname(pcap);
    const trace = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as CaseTrace;
    return { pcap, trace, ladder: readFileSync(join(dir, 'ladder.txt'), 'utf8'), dumped: tcpdump(pcap) };
  };

  it('tcpdump shows the trace\'s segments: same count, order, tuples, flags, seq/ack, window, length', () => {
    const { trace, dumped } = load();
    const segs: TraceSegment[] = trace.segments;
    expect(segs.length).toBeGreaterThanOrEqual(3 + 4 + 4);
    expect(dumped).toHaveLength(segs.length);
    segs.forEach((s, i) => {
      const d = dumped[i];
      const at = `segment ${i + 1} (frame ${s.n})`;
      expect({ src: d.src, sport: d.sport, dst: d.dst, dport: d.dport }, at).toEqual({ src: s.src, sport: s.sport, dst: s.dst, dport: s.dport });
      expect(d.flags, at).toBe(sorted(s.flags));
      expect(d.len, at).toBe(s.len);
      expect(d.win, at).toBe(s.win);
      // tcpdump prints seq for SYN, FIN, RST and data (with -S: absolute), ack whenever ACK is set
      const consumes = s.len > 0 || /SYN|FIN|RST/.test(s.flags);
      if (consumes) {
        expect(d.seq, at).toBe(s.seq);
        if (s.len > 0) expect(d.seqEnd, at).toBe((s.seq + s.len) >>> 0);
      } else {
        expect(d.seq, at).toBeNull();
      }
      expect(d.ack, at).toBe(s.flags.includes('ACK') ? s.ack : null);
    });
  });

  it('the data adds up on both sides (retransmissions counted once)', () => {
    const { dumped, trace } = load();
    const [client, server] = trace.hosts;
    const addr = (h: (typeof trace.hosts)[number]) => (family === 6 ? h.ipv6 : h.ipv4);
    const bytes = (from: string) => {
      const isn = dumped.find((d) => d.src === from && d.flags.includes('SYN'))!.seq!;
      return Math.max(0, ...dumped.filter((d) => d.src === from && d.len > 0).map((d) => (d.seqEnd! - isn - 1) >>> 0));
    };
    expect(bytes(addr(client))).toBe(5000);
    expect(bytes(addr(server))).toBe(3000);
  });

  it('the ladder shows the same segments: count, order, direction, flags, and seq/ack relative to the ISNs tcpdump shows', () => {
    const { dumped, ladder, trace } = load();
    const arrows = ladderArrows(ladder);
    expect(arrows).toHaveLength(dumped.length);
    const clientAddr = family === 6 ? trace.hosts[0].ipv6 : trace.hosts[0].ipv4;
    const isn = new Map<string, number>();
    for (const d of dumped) if (d.flags.includes('SYN') && d.seq !== null && !isn.has(d.src)) isn.set(d.src, d.seq);
    arrows.forEach((a, i) => {
      const d = dumped[i];
      const at = `arrow ${i + 1}`;
      expect(a.rightwards, at).toBe(d.src === clientAddr);
      expect(a.flags, at).toBe(d.flags);
      expect(a.len, at).toBe(d.len);
      if (d.seq !== null) expect(a.seq, at).toBe((d.seq - isn.get(d.src)!) >>> 0);
      if (d.ack !== null) expect(a.ack, at).toBe((d.ack - isn.get(d.dst)!) >>> 0);
      else expect(a.ack, at).toBeNull();
    });
  });
});
