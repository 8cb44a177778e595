/**
 * Decoder benchmark: `npx tsx bench/decode.ts [--frames N] [--runs R] [--json FILE] [--keep]`
 *
 * Writes a pcap of N (default 1 000 000) TCP frames — many connections with handshake,
 * timestamps, data of mixed sizes, pure ACKs and closes — made with encodeFrame and
 * PcapWriter, then times, each in a fresh process, the median of R runs (default 5):
 *   decode      read the file in 256 KiB chunks into a CaptureReader (as `tcpladder show`
 *               reads it) + decodeFrame on every frame, each frame dropped once decoded
 *   decode, whole file held   readFileSync + readCapture (every frame kept at once) +
 *               decodeFrame on every frame
 *   show        node bin/tcpladder.js show FILE > /dev/null (text ladders), as a user runs it
 *   show --format mermaid, show --json: the same
 *   tcpdump     tcpdump -nr FILE > /dev/null
 *   tshark      tshark -r FILE > /dev/null (once only when a run takes over 30 s)
 * and prints a table of frames/s. The figures go as JSON to the last line of stdout,
 * or to FILE with --json.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureReader, decodeFrame, encodeFrame, PcapWriter, readCapture, type CapturedFrame, type TcpOptionSpec } from '../harness/packet/index.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(SELF, '..', '..');

interface Measurement {
  name: string;
  command: string;
  runs: number;
  /** median seconds for the work itself (our tools: measured inside the process) */
  seconds: number;
  /** median wall-clock seconds of the whole process, start-up included */
  wallSeconds: number;
  framesPerSecond: number;
  wallFramesPerSecond: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ── worker: one measured run inside a fresh process ─────────────────────────

/** what tcpladder show reads at a time */
const CHUNK = 256 * 1024;

function worker(file: string, mode: string): void {
  const started = performance.now();
  let frames = 0;
  let tcp = 0;
  const decodeAll = (batch: CapturedFrame[]) => {
    for (let i = 0; i < batch.length; i++) {
      const f = batch[i];
      if (decodeFrame(f.data, f.linkType, f.origLength).tcp) tcp++;
    }
    frames += batch.length;
  };
  if (mode === 'whole') {
    decodeAll(readCapture(readFileSync(file)).frames);
  } else {
    const reader = new CaptureReader();
    const fd = openSync(file, 'r');
    try {
      for (;;) {
        // a fresh buffer per chunk, as show's reads: the frames of a chunk are views of it
        const buf = new Uint8Array(CHUNK);
        const n = readSync(fd, buf, 0, CHUNK, null);
        if (n === 0) break;
        decodeAll(reader.push(buf.subarray(0, n)));
      }
      reader.end();
    } finally {
      closeSync(fd);
    }
  }
  if (tcp !== frames) throw new Error(`only ${tcp} of ${frames} frames decoded as TCP`);
  process.stdout.write(`${(performance.now() - started) / 1000}\n`);
}

// ── generating the capture ──────────────────────────────────────────────────

const PAYLOADS = [64, 200, 536, 1448].map((n) => new Uint8Array(n).fill(0x61));

function generate(file: string, total: number): { frames: number; connections: number } {
  const w = new PcapWriter(file);
  let time = 1700000000_000000000n;
  let frames = 0;
  let conn = 0;
  const tsOpt = (v: number, e: number): TcpOptionSpec[] => [{ kind: 1 }, { kind: 1 }, { kind: 8, tsval: v >>> 0, tsecr: e >>> 0 }];
  while (frames < total) {
    conn++;
    const v6 = conn % 4 === 0;
    const client = v6 ? `fd00::${(conn % 250) + 1}` : `10.0.${(conn >> 8) & 255}.${conn & 255}`;
    const server = v6 ? 'fd00::ffff' : '10.255.0.1';
    const cport = 32768 + (conn % 28000);
    const c = { src: client, dst: server, sport: cport, dport: 443 };
    const s = { src: server, dst: client, sport: 443, dport: cport };
    let cs = (conn * 2654435761) >>> 0;
    let ss = (conn * 40503 + 12345) >>> 0;
    const budget = Math.min(1000, total - frames);
    const put = (data: Uint8Array): void => {
      time += 13_337n;
      w.write({ time, data });
      frames++;
    };
    put(encodeFrame({ ...c, seq: cs, flags: 'S', win: 64240, options: [{ kind: 2, mss: 1460 }, { kind: 4 }, { kind: 8, tsval: 1, tsecr: 0 }, { kind: 1 }, { kind: 3, wscale: 7 }] }));
    if (budget > 1) put(encodeFrame({ ...s, seq: ss, ack: cs + 1, flags: 'SA', win: 65160, options: [{ kind: 2, mss: 1460 }, { kind: 4 }, { kind: 8, tsval: 2, tsecr: 1 }, { kind: 1 }, { kind: 3, wscale: 7 }] }));
    cs = (cs + 1) >>> 0;
    ss = (ss + 1) >>> 0;
    let i = 2;
    for (; i < budget - 2; i += 2) {
      const fromClient = i % 8 < 4;
      const payload = PAYLOADS[(i >> 1) % PAYLOADS.length];
      if (fromClient) {
        put(encodeFrame({ ...c, seq: cs, ack: ss, flags: 'PA', win: 502, options: tsOpt(i, i - 1), payload }));
        cs = (cs + payload.length) >>> 0;
        put(encodeFrame({ ...s, seq: ss, ack: cs, flags: 'A', win: 509, options: tsOpt(i + 1, i) }));
      } else {
        put(encodeFrame({ ...s, seq: ss, ack: cs, flags: 'PA', win: 509, options: tsOpt(i, i - 1), payload }));
        ss = (ss + payload.length) >>> 0;
        put(encodeFrame({ ...c, seq: cs, ack: ss, flags: 'A', win: 502, options: tsOpt(i + 1, i) }));
      }
    }
    for (; i < budget; i++) {
      const fin = i === budget - 2;
      put(encodeFrame(fin ? { ...c, seq: cs, ack: ss, flags: 'FA', win: 502, options: tsOpt(i, i) } : { ...s, seq: ss, ack: (cs + 1) >>> 0, flags: 'FA', win: 509, options: tsOpt(i, i) }));
    }
  }
  w.closeSync();
  return { frames, connections: conn };
}

// ── timing ──────────────────────────────────────────────────────────────────

function timeProcess(cmd: string, args: string[]): { wall: number; work: number } {
  const started = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
  const wall = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const work = Number(r.stdout.trim());
  return { wall, work: Number.isFinite(work) && work > 0 ? work : wall };
}

interface Tool {
  name: string;
  command: string;
  once: () => { wall: number; work: number };
  /** stop repeating a tool whose run took longer than this many seconds */
  slowAfter?: number;
}

/**
 * Runs the tools round-robin (run 1 of every tool, then run 2 …) so that a change in
 * the machine's load during the benchmark falls on all of them alike.
 */
function measureAll(tools: Tool[], frames: number, runs: number): Measurement[] {
  const walls: number[][] = tools.map(() => []);
  const works: number[][] = tools.map(() => []);
  for (let i = 0; i < runs; i++) {
    tools.forEach((tool, k) => {
      if (i > 0 && walls[k][0] > (tool.slowAfter ?? Infinity)) return;
      const t = tool.once();
      walls[k].push(t.wall);
      works[k].push(t.work);
      process.stderr.write(`  ${tool.name} run ${i + 1}: ${t.work.toFixed(3)} s (wall ${t.wall.toFixed(3)} s)\n`);
    });
  }
  return tools.map((tool, k) => {
    const seconds = median(works[k]);
    const wallSeconds = median(walls[k]);
    return {
      name: tool.name,
      command: tool.command,
      runs: works[k].length,
      seconds,
      wallSeconds,
      framesPerSecond: Math.round(frames / seconds),
      wallFramesPerSecond: Math.round(frames / wallSeconds),
    };
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--worker') return worker(process.argv[3], process.argv[4]);
  const total = Number(arg('--frames') ?? 1_000_000);
  const runs = Number(arg('--runs') ?? 5);
  const jsonOut = arg('--json');
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-bench-'));
  const file = join(dir, 'decode.pcap');
  try {
    process.stderr.write(`writing ${total} frames to ${file}\n`);
    const genStart = performance.now();
    const { frames, connections } = generate(file, total);
    const genSeconds = (performance.now() - genStart) / 1000;
    const bytes = statSync(file).size;
    process.stderr.write(`  ${frames} frames, ${connections} connections, ${(bytes / 1e6).toFixed(1)} MB in ${genSeconds.toFixed(1)} s\n`);

    const decode = (mode: 'chunks' | 'whole') => () => timeProcess(process.execPath, ['--import', 'tsx', SELF, '--worker', file, mode]);
    const shell = (cmd: string) => () => {
      const t = timeProcess('sh', ['-c', `${cmd} > /dev/null 2>&1`]);
      return { wall: t.wall, work: t.wall };
    };
    const tcpladder = `${process.execPath} bin/tcpladder.js show`;
    const load = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);
    const loadBefore = load();
    const results = measureAll(
      [
        { name: 'decode (read + decode)', command: 'CaptureReader over 256 KiB reads (as tcpladder show reads) + decodeFrame', once: decode('chunks') },
        { name: 'decode, whole file held', command: 'readFileSync + readCapture (every frame kept at once) + decodeFrame', once: decode('whole') },
        { name: 'tcpladder show', command: 'node bin/tcpladder.js show FILE > /dev/null', once: shell(`${tcpladder} ${file}`) },
        { name: 'tcpladder show --format mermaid', command: 'node bin/tcpladder.js show --format mermaid FILE > /dev/null', once: shell(`${tcpladder} --format mermaid ${file}`) },
        { name: 'tcpladder show --json', command: 'node bin/tcpladder.js show --json FILE > /dev/null', once: shell(`${tcpladder} --json ${file}`) },
        { name: 'tcpdump -nr', command: 'tcpdump -nr FILE > /dev/null', once: shell(`tcpdump -nr ${file}`) },
        { name: 'tshark -r', command: 'tshark -r FILE > /dev/null', once: shell(`tshark -r ${file}`), slowAfter: 30 },
      ],
      frames,
      runs,
    );
    const loadAfter = load();

    const pad = (s: string, n: number) => s.padEnd(n);
    const lines = [
      `${frames} frames, ${connections} connections, ${(bytes / 1e6).toFixed(1)} MB, median of up to ${runs} runs (node ${process.version}, ${cpus().length} CPUs, load ${loadBefore.join(' ')} → ${loadAfter.join(' ')})`,
      `${pad('tool', 24)}${pad('seconds', 10)}${pad('frames/s', 12)}${pad('wall s', 10)}wall frames/s`,
      ...results.map(
        (r) =>
          `${pad(r.name, 24)}${pad(r.seconds.toFixed(3), 10)}${pad(r.framesPerSecond.toLocaleString('en-US'), 12)}${pad(r.wallSeconds.toFixed(3), 10)}${r.wallFramesPerSecond.toLocaleString('en-US')}`,
      ),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    const json = JSON.stringify({ frames, connections, bytes, node: process.version, cpus: cpus().length, loadBefore, loadAfter, generatedIn: genSeconds, results });
    if (jsonOut) writeFileSync(jsonOut, json + '\n');
    else process.stdout.write(json + '\n');
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${file}\n`);
  }
}

await main();
