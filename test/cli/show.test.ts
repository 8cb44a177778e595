/**
 * `tcpladder show` as a user runs it (node bin/tcpladder.js), on captures larger than
 * its read and write chunks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { showCommand } from '../../harness/cli/show.js';
import { encodeFrame, pcapBytes, type FrameSpec } from '../../harness/packet/index.js';
import { tcpladder } from './spawn-cli.js';

const dir = mkdtempSync(join(tmpdir(), `tcpl-cli-show-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1700000000_000000000n;

/** `connections` connections one after another, each a handshake, `exchanges` request/ACK pairs and a close. */
function bulkCapture(connections: number, exchanges: number): Uint8Array {
  const frames: { time: bigint; data: Uint8Array }[] = [];
  let time = T0;
  const put = (spec: FrameSpec): void => {
    time += 21_000n;
    frames.push({ time, data: encodeFrame(spec) });
  };
  for (let k = 0; k < connections; k++) {
    const c = { src: '10.1.0.1', dst: '10.1.0.2', sport: 40000 + k, dport: 80 };
    const s = { src: '10.1.0.2', dst: '10.1.0.1', sport: 80, dport: 40000 + k };
    let cs = 1000 * k;
    let ss = 7000 * k;
    put({ ...c, seq: cs++, flags: 'S', options: [{ kind: 2, mss: 1460 }] });
    put({ ...s, seq: ss++, ack: cs, flags: 'SA', options: [{ kind: 2, mss: 1460 }] });
    for (let i = 0; i < exchanges; i++) {
      const payload = new Uint8Array(1 + ((i * 37) % 1400));
      put({ ...c, seq: cs, ack: ss, flags: 'PA', win: 502, payload });
      cs += payload.length;
      put({ ...s, seq: ss, ack: cs, flags: 'A', win: 509 });
    }
    put({ ...c, seq: cs, ack: ss, flags: 'FA' });
    put({ ...s, seq: ss, ack: cs + 1, flags: 'FA' });
    put({ ...c, seq: cs + 1, ack: ss + 1, flags: 'A' });
  }
  return pcapBytes(frames);
}

describe('tcpladder show (the command)', () => {
  it('writes what showCommand writes, byte for byte, over many read and write chunks', async () => {
    const file = join(dir, 'big.pcap');
    writeFileSync(file, bulkCapture(12, 3000)); // about 18 MB of capture, 10 MB of ladder
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
