import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LinkType, pcapBytes, PcapWriter, readCapture } from '../../harness/packet/index.js';
import { tcpFrame } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), `tcpl-pkt-writer-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1700000000_000000000n;

function frames(count: number): { time: bigint; data: Uint8Array }[] {
  return Array.from({ length: count }, (_, i) => ({
    time: T0 + BigInt(i) * 1_000_001n,
    data: tcpFrame({ seq: i, flags: 'PA', payload: new Uint8Array(i % 300).fill(i & 255) }),
  }));
}

describe('PcapWriter', () => {
  it('writes every frame through many small flushes, a frame larger than the buffer, and the snaplen', async () => {
    const path = join(dir, 'many.pcap');
    const w = new PcapWriter(path, { bufferSize: 4096, snaplen: 200 });
    const input = frames(5000);
    const big = tcpFrame({ seq: 1, flags: 'A', payload: new Uint8Array(9000).fill(7) });
    for (const f of input) w.write(f);
    w.write({ time: T0 + 10_000_000_000n, data: big });
    w.write({ time: T0 + 10_000_000_001n, data: input[100].data.subarray(0, 60), origLength: 1514 });
    expect(w.frames).toBe(5002);
    await w.close();
    await w.close(); // idempotent
    expect(() => w.write(input[0])).toThrow(/write after close/);

    const { frames: back } = readCapture(readFileSync(path));
    expect(back).toHaveLength(5002);
    for (let i = 0; i < input.length; i++) {
      const want = input[i].data;
      expect(back[i].time).toBe(input[i].time);
      expect(back[i].origLength).toBe(want.length);
      expect(back[i].data).toEqual(want.subarray(0, 200));
    }
    expect(back[5000]).toMatchObject({ time: T0 + 10_000_000_000n, origLength: big.length });
    expect(back[5000].data).toEqual(big.subarray(0, 200));
    expect(back[5001]).toMatchObject({ origLength: 1514 });
    expect(back[5001].data.length).toBe(60);

    // the reference readers accept the file and see the same frames and times
    const tcpdump = execFileSync('tcpdump', ['-nr', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(tcpdump.trimEnd().split('\n')).toHaveLength(5002);
    const tshark = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const rows = tshark.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(5002);
    expect(rows[1]).toEqual(['1700000000.001000001', String(input[1].data.length), String(Math.min(200, input[1].data.length))]);
    expect(rows[5001]).toEqual(['1700000010.000000001', '1514', '60']);
  });

  it('closeSync flushes, and the link type and snaplen go into the header', () => {
    const path = join(dir, 'raw.pcap');
    const w = new PcapWriter(path, { linkType: LinkType.RAW, snaplen: 65535 });
    const ip = tcpFrame({ seq: 9 }).subarray(14);
    w.write({ time: 5n, data: ip });
    w.closeSync();
    const bytes = readFileSync(path);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b23c4d);
    expect(bytes.readUInt32LE(16)).toBe(65535);
    expect(bytes.readUInt32LE(20)).toBe(101);
    const { frames: back } = readCapture(bytes);
    expect(back).toEqual([{ time: 5n, data: ip, origLength: ip.length, linkType: 101, iface: 0 }]);
  });

  it('flushes buffered frames when the process exits without close()', () => {
    const path = join(dir, 'exit.pcap');
    const script = join(dir, 'exit.mts');
    writeFileSync(
      script,
      `import { PcapWriter } from ${JSON.stringify(join(import.meta.dirname, '../../harness/packet/index.ts'))};
       const w = new PcapWriter(${JSON.stringify(path)});
       for (let i = 0; i < 1000; i++) w.write({ time: BigInt(i), data: new Uint8Array(60).fill(i & 255) });
       process.exit(0);`,
    );
    execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: join(import.meta.dirname, '../..') });
    const { frames: back } = readCapture(readFileSync(path));
    expect(back).toHaveLength(1000);
    expect(back[999].data[0]).toBe(999 & 255);
  });
});

describe('pcapBytes', () => {
  it('builds the same file the writer writes', () => {
    const input = frames(50);
    const path = join(dir, 'same.pcap');
    const w = new PcapWriter(path, { snaplen: 100 });
    for (const f of input) w.write(f);
    w.closeSync();
    expect(pcapBytes(input, { snaplen: 100 })).toEqual(new Uint8Array(readFileSync(path)));
  });
});
