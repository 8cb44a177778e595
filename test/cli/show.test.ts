/**
 * `tcpladder show` as a user runs it (node bin/tcpladder.js), on captures larger than
 * its read and write chunks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHOW_HELP, showCommand } from '../../harness/cli/show.js';
import { encodeFrame, pcapBytes, type FrameSpec } from '../../harness/packet/index.js';
import { BULK_RUN } from '../../harness/report/index.js';
import { bySelector, findAll, parseXml, textOf } from '../report/xml.js';
import { tcpladder } from './spawn-cli.js';

const dir = mkdtempSync(join(tmpdir(), `tcpl-cli-show-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1700000000_000000000n;

/** Connections one after another from 10.1.0.1:40000, :40001 … to 10.1.0.2:80, each a handshake, `exchanges[k]` requests with their ACKs, and a close. */
function capture(exchanges: number[]): Uint8Array {
  const frames: { time: bigint; data: Uint8Array }[] = [];
  let time = T0;
  const put = (spec: FrameSpec): void => {
    time += 21_000n;
    frames.push({ time, data: encodeFrame(spec) });
  };
  exchanges.forEach((n, k) => {
    const c = { src: '10.1.0.1', dst: '10.1.0.2', sport: 40000 + k, dport: 80 };
    const s = { src: '10.1.0.2', dst: '10.1.0.1', sport: 80, dport: 40000 + k };
    let cs = 1000 * k;
    let ss = 7000 * k;
    put({ ...c, seq: cs++, flags: 'S', options: [{ kind: 2, mss: 1460 }] });
    put({ ...s, seq: ss++, ack: cs, flags: 'SA', options: [{ kind: 2, mss: 1460 }] });
    for (let i = 0; i < n; i++) {
      const payload = new Uint8Array(1 + ((i * 37) % 1400));
      put({ ...c, seq: cs, ack: ss, flags: 'PA', win: 502, payload });
      cs += payload.length;
      put({ ...s, seq: ss, ack: cs, flags: 'A', win: 509 });
    }
    put({ ...c, seq: cs, ack: ss, flags: 'FA' });
    put({ ...s, seq: ss, ack: cs + 1, flags: 'FA' });
    put({ ...c, seq: cs + 1, ack: ss + 1, flags: 'A' });
  });
  return pcapBytes(frames);
}

describe('tcpladder show (the command)', () => {
  it('writes what showCommand writes, byte for byte, over many read and write chunks', async () => {
    const file = join(dir, 'big.pcap');
    writeFileSync(file, capture(new Array<number>(12).fill(3000))); // about 14 MB of capture, 10 MB of ladder
    let expected = '';
    expect(await showCommand([file], { stdout: (s) => (expected += s), stderr: () => undefined })).toBe(0);
    expect(Buffer.byteLength(expected)).toBeGreaterThan(8 << 20);
    // the header, then per connection: a blank line, title, heading, bar line, 6005 segments, bar line
    expect(expected.split('\n')).toHaveLength(1 + 12 * 6010 + 1);
    expect(expected.match(/^connection \d+: /gm)).toHaveLength(12);
    const run = await tcpladder(['show', file]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(expected);
  });
});

async function show(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await showCommand(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('tcpladder show --format', () => {
  const file = join(dir, 'three.pcap');
  // connection 1 with a bulk run of requests, 2 and 3 with 5 each
  const BULK = BULK_RUN + 10;
  writeFileSync(file, capture([BULK, 5, 5]));

  it('text is the default', async () => {
    const text = await show([file, '--format', 'text']);
    expect(text).toEqual(await show([file]));
    expect(text.out).toMatch(/^\S+three\.pcap: pcap, \d+ frames, 3 TCP connections\n/);
  });

  it('mermaid: one sequenceDiagram of every connection shown, a participant per address and port', async () => {
    const { code, out, err } = await show([file, '--format=mermaid']);
    expect([code, err]).toEqual([0, '']);
    const lines = out.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'sequenceDiagram',
      `  title ${file}: 3 TCP connections`,
      '  participant h0 as 10.1.0.1#58;40000',
      '  participant h1 as 10.1.0.2#58;80',
      '  participant h2 as 10.1.0.1#58;40001',
      '  participant h3 as 10.1.0.1#58;40002',
    ]);
    const messages = lines.filter((l) => /^ {2}h\d/.test(l));
    // connection 1: SYN, SYN ACK, its requests and their ACKs as two messages, the close; 2 and 3 one by one
    expect(messages).toHaveLength(2 + 2 + 3 + 2 * (2 + 10 + 3));
    expect(messages[2]).toMatch(new RegExp(`^ {2}h0->>h1: t=[\\d.…]+ #35;1 data ×${BULK}, \\d+ bytes.*, seq=1…\\d+$`));
    expect(messages[3]).toMatch(new RegExp(`^ {2}h1->>h0: t=[\\d.…]+ #35;1 ACK ×${BULK}, ack=\\d+…\\d+$`));
    expect(messages.filter((l) => l.startsWith('  h2->>h1: ') || l.startsWith('  h1->>h2: '))).toHaveLength(15);
  });

  it('svg: one well-formed SVG with an arrow per segment; --conn draws one connection', async () => {
    const all = await show([file, '--format', 'svg']);
    expect([all.code, all.err]).toEqual([0, '']);
    const svg = parseXml(all.out);
    expect(findAll(svg, bySelector('g', 'segment'))).toHaveLength(2 * BULK + 5 + 2 * 15);
    expect(findAll(svg, bySelector('g', 'column')).map((c) => textOf(c))).toEqual(['10.1.0.1:40000', '10.1.0.2:80', '10.1.0.1:40001', '10.1.0.1:40002']);
    const one = await show([file, '--format', 'svg', '--conn', '2']);
    const svg2 = parseXml(one.out);
    expect(textOf(findAll(svg2, bySelector('title'))[0]!)).toBe('connection 2: 10.1.0.1:40001 ↔ 10.1.0.2:80');
    expect(findAll(svg2, bySelector('g', 'segment'))).toHaveLength(15);
  });

  it('draws a socket connected to itself (one endpoint at both ends) as two participants', async () => {
    const self = join(dir, 'self.pcap');
    const e = { src: '127.0.0.1', dst: '127.0.0.1', sport: 5000, dport: 5000 };
    const specs: FrameSpec[] = [{ ...e, seq: 100, flags: 'S' }, { ...e, seq: 100, ack: 101, flags: 'SA' }, { ...e, seq: 101, ack: 101, flags: 'A' }];
    writeFileSync(self, pcapBytes(specs.map((spec, i) => ({ time: T0 + BigInt(i), data: encodeFrame(spec) }))));
    const { code, out } = await show([self, '--format', 'mermaid']);
    expect(code).toBe(0);
    expect(out.split('\n').filter((l) => l.startsWith('  participant '))).toEqual(['  participant h0 as 127.0.0.1#58;5000', '  participant h1 as 127.0.0.1#58;5000']);
    expect(out.split('\n').filter((l) => l.startsWith('  h'))).toHaveLength(3);
  });

  it('exits 2 with a one-line reason and the usage line on a bad value or combination, and when nothing can be drawn', async () => {
    for (const [argv, message] of [
      [[file, '--format', 'png'], '--format "png" is not one of text, svg, mermaid'],
      [[file, '--format'], '--format needs one of text, svg, mermaid'],
      [[file, '--format', 'text', '--json'], '--json prints frames, not a diagram: leave out --format'],
      [[file, '--format', 'svg', '--color'], '--color and --width are for the text ladder, not --format svg'],
      [[file, '--format', 'mermaid', '--width', '80'], '--color and --width are for the text ladder, not --format mermaid'],
    ] as const) {
      const r = await show([...argv]);
      expect([r.code, r.out], argv.join(' ')).toEqual([2, '']);
      expect(r.err.split('\n')).toEqual([`tcpladder show: ${message}`, expect.stringMatching(/^usage: tcpladder show FILE \[--format text\|svg\|mermaid\]/), '']);
    }
    expect(await show([file, '--format', 'mermaid', '--port', '9'])).toEqual({ code: 2, out: '', err: `tcpladder show: ${file}: no TCP connection matches\n` });
    const arp = join(dir, 'arp.pcap');
    writeFileSync(arp, pcapBytes([{ time: T0, data: Uint8Array.from([255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]) }]));
    expect(await show([arp, '--format', 'svg'])).toEqual({ code: 2, out: '', err: `tcpladder show: ${arp}: no TCP connection to draw\n` });
  });

  it('documents --format in its help', async () => {
    const help = await tcpladder(['help', 'show']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(SHOW_HELP);
    expect(help.stdout).toMatch(/^ {2}--format F {4}text \(the default\)/m);
  });
});
