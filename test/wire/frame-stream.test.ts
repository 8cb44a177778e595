// The sidecar's binary messages to the harness: frame batches and JSON messages, cut
// into chunks anywhere, come out whole and in order, every field as it went in.
import { describe, expect, it } from 'vitest';
import { decodeFrameBatch, FrameBatch, headerBytes, jsonMessage, KIND_FRAMES, KIND_JSON, MessageReader, type FrameRecord } from '../../harness/wire/frame-stream.js';
import { decodeFrame, encodeFrame } from '../../harness/packet/index.js';
import { rng as seeded } from '../rng.js';

function frame(i: number, length: number): FrameRecord {
  const data = Buffer.alloc(length);
  for (let k = 0; k < length; k++) data[k] = (i + k) & 255;
  return {
    n: i + 1,
    time: 1_000_000_000_000n + BigInt(i) * 1234n,
    port: i % 3,
    to: i % 5 === 0 ? [] : i % 7 === 0 ? [0, 2] : [(i + 1) % 3],
    data,
    fate: i % 11 === 0 ? 'held' : i % 13 === 0 ? 'duplicated' : undefined,
    rule: i % 11 === 0 ? `hold#${i}` : i % 13 === 0 ? 'duplicate#1' : undefined,
    triggerPassed: i % 22 === 0 ? 5_000_000_000n + BigInt(i) : undefined,
  };
}

describe('frame stream', () => {
  it('frame batches (split when full) and JSON messages arrive whole, in order, however the stream is cut', () => {
    const rng = seeded(20261204);
    const sent: ({ json: unknown } | { frame: FrameRecord })[] = [];
    const chunks: Buffer[] = [];
    // a socket that hands everything to the kernel at once, and says so
    const out = {
      write: (b: Buffer, done: () => void) => {
        chunks.push(Buffer.from(b));
        done();
      },
    };
    const batch = new FrameBatch('tcpl-run-1-7', 256, out);
    let i = 0;
    let messages = 0;
    for (let m = 0; m < 40; m++) {
      if (m % 3 === 0) {
        const json = { type: 'release', session: 'tcpl-run-1-7', n: m, ms: m / 3 };
        sent.push({ json });
        chunks.push(jsonMessage(json));
      } else {
        // some more than a message holds (256 KiB, about 900 frames)
        const frames = Array.from({ length: 1 + Math.floor(rng() * (m % 4 === 1 ? 3000 : 300)) }, () => frame(i++, 14 + Math.floor(rng() * 1600)));
        for (const f of frames) batch.add(f);
        batch.flush();
        expect(batch.count).toBe(0);
        for (const f of frames) sent.push({ frame: f });
      }
    }
    const stream = Buffer.concat(chunks);
    // cut at random places, down to single bytes
    const pieces: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const n = rng() < 0.2 ? 1 : 1 + Math.floor(rng() * 70000);
      pieces.push(stream.subarray(at, at + n));
      at += n;
    }
    const got: ({ json: unknown } | { frame: ReturnType<typeof decodeFrameBatch>['frames'][number] })[] = [];
    const reader = new MessageReader();
    // one buffer for every read, as the harness's socket reads: written over after each
    const readBuffer = Buffer.alloc(70000);
    for (const p of pieces) {
      p.copy(readBuffer);
      reader.feed(readBuffer.subarray(0, p.length), (kind, body) => {
        messages++;
        expect(body.length).toBeLessThanOrEqual(256 * 1024);
        if (kind === KIND_JSON) got.push({ json: JSON.parse(body.toString('utf8')) });
        else {
          expect(kind).toBe(KIND_FRAMES);
          const { session, frames } = decodeFrameBatch(body);
          expect(session).toBe('tcpl-run-1-7');
          for (const frame of frames) got.push({ frame });
        }
      });
      readBuffer.fill(0xa5);
    }
    expect(messages).toBe(chunks.length);
    expect(messages).toBeGreaterThan(40);
    expect(got).toHaveLength(sent.length);
    sent.forEach((s, k) => {
      const g = got[k];
      if ('json' in s) return expect(g).toEqual(s);
      if (!('frame' in g)) throw new Error(`item ${k}: JSON where a frame was sent`);
      const [e, f] = [g.frame, s.frame];
      expect({ n: e.n, time: e.time, port: e.port, to: e.to, length: e.length, fate: e.fate, rule: e.rule, triggerPassed: e.triggerPassed }).toEqual({
        n: f.n,
        time: f.time,
        port: f.port,
        to: [...f.to],
        length: f.data.length,
        fate: f.fate,
        rule: f.rule,
        triggerPassed: f.triggerPassed,
      });
      expect(Buffer.compare(e.data, f.data.subarray(0, 256))).toBe(0);
    });
  });

  it('a buffer the socket still holds is never written over; one it is done with is filled again', () => {
    const held: { bytes: Buffer; done: () => void }[] = [];
    const out = { write: (bytes: Buffer, done: () => void) => held.push({ bytes, done }) };
    const batch = new FrameBatch('s', 64, out);
    batch.add(frame(1, 100));
    batch.flush();
    batch.add(frame(2, 100));
    batch.flush();
    const first = () => decodeFrameBatch(held[0].bytes.subarray(5)).frames[0];
    expect([first().n, decodeFrameBatch(held[1].bytes.subarray(5)).frames[0].n]).toEqual([2, 3]);
    expect(held[0].bytes.buffer).not.toBe(held[1].bytes.buffer);
    // the socket is done with the first: the batch being filled now is written next,
    // and the one after goes into the first's buffer
    held[0].done();
    batch.add(frame(3, 100));
    batch.flush();
    batch.add(frame(4, 100));
    batch.flush();
    expect(held[3].bytes.buffer).toBe(held[0].bytes.buffer);
    expect(held.slice(1).map((h) => decodeFrameBatch(h.bytes.subarray(5)).frames[0].n)).toEqual([3, 4, 5]);
    // nothing added, nothing written
    batch.flush();
    expect(held).toHaveLength(4);
  });

  it('a TCP frame goes to the harness up to the end of its TCP header, and decodes as the whole frame does', () => {
    const payload = new Uint8Array(1400).fill(7);
    const options = [{ kind: 2, mss: 1460 }, { kind: 4 }, { kind: 8, tsval: 1, tsecr: 2 }, { kind: 1 }, { kind: 3, wscale: 7 }];
    for (const [src, dst, ip] of [['10.0.0.1', '10.0.0.2', 20], ['fd00::1', 'fd00::2', 40]] as const) {
      for (const opts of [[], options]) {
        const whole = Buffer.from(encodeFrame({ src, dst, sport: 40000, dport: 80, seq: 1, ack: 2, flags: 'PA', options: opts, payload }));
        const n = headerBytes(whole, 256);
        const tcpHeader = n - 14 - ip;
        expect(tcpHeader % 4).toBe(0);
        expect(tcpHeader).toBe(opts.length ? 40 : 20); // 4 + 2 + 10 + 1 + 3 option bytes, padded to 20
        const cut = decodeFrame(whole.subarray(0, n), 1, whole.length);
        const full = decodeFrame(whole, 1, whole.length);
        expect(cut.malformed).toBeNull();
        expect({ ...cut.tcp, payload: undefined }).toEqual({ ...full.tcp, payload: undefined });
        expect(cut.tcp!.payloadLength).toBe(1400);
        // never more than asked for, nor than the frame
        expect(headerBytes(whole, 40)).toBe(40);
        expect(headerBytes(whole.subarray(0, 50), 256)).toBe(50);
      }
    }
  });

  it('other frames, and TCP headers that are not whole or not sane, go as their first snap bytes', () => {
    const tcp = Buffer.from(encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 1, flags: 'S', payload: new Uint8Array(500) }));
    const vlan = Buffer.from(encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 1, flags: 'S', vlans: [5], payload: new Uint8Array(500) }));
    const badOffset = Buffer.from(encodeFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, seq: 1, flags: 'S', dataOffset: 3, payload: new Uint8Array(500) }));
    const fragment = Buffer.from(tcp);
    fragment.writeUInt16BE(0x0010, 14 + 6);
    expect(headerBytes(tcp, 256)).toBe(54);
    expect(headerBytes(vlan, 256)).toBe(256);
    expect(headerBytes(badOffset, 256)).toBe(256);
    expect(headerBytes(fragment, 256)).toBe(256);
    expect(headerBytes(Buffer.alloc(42), 256)).toBe(42);
  });
});
