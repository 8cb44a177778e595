// The sidecar's binary messages to the harness: frame batches and JSON messages, cut
// into chunks anywhere, come out whole and in order, every field as it went in.
import { describe, expect, it } from 'vitest';
import { decodeFrameBatch, FrameBatch, jsonMessage, KIND_FRAMES, KIND_JSON, MessageReader, type FrameRecord } from '../../harness/wire/frame-stream.js';
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
  it('frame batches and JSON messages arrive whole, in order, however the stream is cut', () => {
    const rng = seeded(20261204);
    const sent: ({ json: unknown } | { frames: FrameRecord[] })[] = [];
    const chunks: Buffer[] = [];
    const out = { writableLength: 0, write: (b: Buffer) => chunks.push(Buffer.from(b)) };
    const batch = new FrameBatch('tcpl-run-1-7', 256);
    let i = 0;
    for (let m = 0; m < 40; m++) {
      if (m % 3 === 0) {
        const json = { type: 'release', session: 'tcpl-run-1-7', n: m, ms: m / 3 };
        sent.push({ json });
        chunks.push(jsonMessage(json));
      } else {
        const frames = Array.from({ length: 1 + Math.floor(rng() * 300) }, () => frame(i++, 14 + Math.floor(rng() * 1600)));
        for (const f of frames) batch.add(f);
        expect(batch.count).toBe(frames.length);
        batch.writeTo(out);
        expect(batch.count).toBe(0);
        sent.push({ frames });
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
    const got: ({ json: unknown } | { frames: ReturnType<typeof decodeFrameBatch>['frames'] })[] = [];
    const reader = new MessageReader();
    for (const p of pieces) {
      reader.feed(p, (kind, body) => {
        if (kind === KIND_JSON) got.push({ json: JSON.parse(body.toString('utf8')) });
        else {
          expect(kind).toBe(KIND_FRAMES);
          const { session, frames } = decodeFrameBatch(body);
          expect(session).toBe('tcpl-run-1-7');
          got.push({ frames });
        }
      });
    }
    expect(got).toHaveLength(sent.length);
    sent.forEach((s, k) => {
      const g = got[k];
      if ('json' in s) return expect(g).toEqual(s);
      if (!('frames' in g)) throw new Error(`message ${k}: JSON where frames were sent`);
      expect(g.frames).toHaveLength(s.frames.length);
      s.frames.forEach((f, j) => {
        const e = g.frames[j];
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
  });

  it("a batch whose buffer the socket kept is not written over by the next one", () => {
    const kept: Buffer[] = [];
    // a socket that could not hand anything to the kernel at once keeps the buffers it was given
    const out = { writableLength: 1, write: (b: Buffer) => kept.push(b) };
    const batch = new FrameBatch('s', 64);
    batch.add(frame(1, 100));
    batch.writeTo(out);
    batch.add(frame(2, 100));
    batch.writeTo(out);
    const frames = kept.map((b) => decodeFrameBatch(b.subarray(5)).frames[0]);
    expect(frames.map((f) => f.n)).toEqual([2, 3]);
    expect(frames.map((f) => f.data[0])).toEqual([1, 2]);
  });
});
