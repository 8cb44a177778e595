/**
 * Wire throughput: `node --import tsx bench/throughput.ts [--mib N] [--runs R] [--json FILE]`
 *
 * One bulk transfer of N MiB (default 64) from client to server, made by two small Node
 * programs (bench/lib/tcp-source.mjs, tcp-sink.mjs) started inside the hosts' namespaces,
 * timed at the receiver from accept to EOF, over four wires, round-robin, R runs each
 * (default 5), medians:
 *
 *   relay          a case's hosts (CaseRun.hosts()), the sidecar relaying and recording;
 *                  the case's completeness check (trace.json `wire`) must say complete
 *   plain veth     the same two hosts' settings on one veth pair, nothing in between
 *   bridge         a case's hosts with { wire: 'bridge' }: kernel bridge, sidecar records
 *   kernel bridge  the same topology with the bridge and no capture attached
 *
 * Offloads are off on every veth end in all four (as the harness sets them), so every
 * wire carries MSS-sized frames.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaseRun } from '../harness/case/run.js';
import { stopSidecar } from '../harness/wire/index.js';
import { closeTraceSession } from '../harness/observe/index.js';
import { createTopology } from '../harness/stacks/index.js';
import { plainPair } from './lib/reference-topology.js';
import { arg, emit, hookCleanup, load, log, median, numArg, onCleanup, removePath, round, type Figures } from './lib/common.js';

const SELF = fileURLToPath(import.meta.url);
const SINK = join(SELF, '..', 'lib', 'tcp-sink.mjs');
const SOURCE = join(SELF, '..', 'lib', 'tcp-source.mjs');
const PORT = 5001;

function lineFrom(child: ChildProcess, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs / 1000} s ${err}`)), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', function onData(d: string) {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(buf.slice(0, nl));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) ${err.trim()}`));
    });
  });
}

/** Send `bytes` from a process in `fromNs` to one listening in `toNs`; milliseconds at the receiver. */
async function transfer(fromNs: string, toNs: string, toAddress: string, bytes: number): Promise<number> {
  // setpriv: the programs die with this process even when it is killed outright
  const sink = spawn('setpriv', ['--pdeathsig', 'KILL', 'ip', 'netns', 'exec', toNs, process.execPath, SINK, toAddress, String(PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killSink = onCleanup(() => sink.kill('SIGKILL'));
  let source: ChildProcess | null = null;
  const killSource = onCleanup(() => source?.kill('SIGKILL'));
  try {
    const ready = await lineFrom(sink, 'sink', 10_000);
    if (ready !== 'listening') throw new Error(`sink said ${ready}`);
    const result = lineFrom(sink, 'sink', 120_000);
    source = spawn('setpriv', ['--pdeathsig', 'KILL', 'ip', 'netns', 'exec', fromNs, process.execPath, SOURCE, toAddress, String(PORT), String(bytes)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const { bytes: got, ms } = JSON.parse(await result) as { bytes: number; ms: number };
    if (got !== bytes) throw new Error(`the sink received ${got} of ${bytes} bytes`);
    return ms;
  } finally {
    killSink();
    killSource();
  }
}

interface Sample {
  mbit: number;
  frames?: number;
}

async function throughCase(mode: 'relay' | 'bridge', bytes: number): Promise<Sample> {
  const run = new CaseRun(`bench ${mode} throughput`, SELF, 4);
  let error: unknown = null;
  let ms = 0;
  try {
    const { client, server } = await run.hosts(['client', 'server'], { wire: mode });
    // a sidecar that dies mid-transfer aborts the case: stop waiting for the sink then
    const aborted = new Promise<never>((_, reject) =>
      run.signal.addEventListener('abort', () => reject(run.signal.reason ?? new Error('the case was aborted')), { once: true }),
    );
    ms = await Promise.race([transfer(client.ns, server.ns, server.ipv4, bytes), aborted]);
  } catch (e) {
    error = e;
  }
  const { trace, error: failure } = await run.finish(error);
  if (failure) throw failure;
  if (!trace.wire?.complete) throw new Error(`${mode}: capture incomplete: ${trace.wire?.problem}`);
  const frames = trace.wire.ports.reduce((n, p) => n + p.captured, 0);
  return { mbit: (bytes * 8) / ms / 1000, frames };
}

async function throughPlainVeth(bytes: number): Promise<Sample> {
  const pair = await plainPair();
  try {
    const ms = await transfer(pair.a.ns, pair.b.ns, pair.b.ipv4, bytes);
    return { mbit: (bytes * 8) / ms / 1000 };
  } finally {
    await pair.destroy();
  }
}

async function throughKernelBridge(bytes: number): Promise<Sample> {
  const topo = await createTopology(['client', 'server'], { bridge: true });
  const forget = onCleanup(() => void topo.destroy());
  try {
    await topo.up();
    const [client, server] = topo.hosts.map((h) => h.spec);
    const ms = await transfer(client.ns, server.ns, server.ipv4, bytes);
    return { mbit: (bytes * 8) / ms / 1000 };
  } finally {
    await topo.destroy();
    forget();
  }
}

async function main(): Promise<void> {
  hookCleanup();
  onCleanup(() => {
    stopSidecar();
    closeTraceSession();
  });
  const mib = numArg('--mib', 64);
  const runs = numArg('--runs', 5);
  const bytes = mib * 1024 * 1024;
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-bench-'));
  removePath(dir);
  process.env.TCPLADDER_RUN_DIR = dir; // the cases' captures (pcap, trace) go here, and away at the end

  const wires = [
    { name: 'relay', once: () => throughCase('relay', bytes) },
    { name: 'plain veth', once: () => throughPlainVeth(bytes) },
    { name: 'bridge', once: () => throughCase('bridge', bytes) },
    { name: 'kernel bridge', once: () => throughKernelBridge(bytes) },
  ];
  // --wires relay,bridge: only these (for profiling one of them; the figures then lack their references)
  const only = arg('--wires')?.split(',');
  const samples: Sample[][] = wires.map(() => []);
  const loadBefore = load();
  // a first, unmeasured relay case starts the sidecar and the trace session
  await throughCase('relay', 1024 * 1024);
  for (let i = 0; i < runs; i++) {
    for (const [k, w] of wires.entries()) {
      if (only && !only.includes(w.name)) continue;
      const s = await w.once();
      samples[k].push(s);
      log(`  ${w.name} run ${i + 1}: ${s.mbit.toFixed(0)} Mbit/s${s.frames ? ` (${s.frames} frames, all captured)` : ''}`);
    }
  }
  const loadAfter = load();
  const med = (k: number) => round(median(samples[k].map((s) => s.mbit)), 0);
  const figures: Figures = {
    'relay throughput': {
      value: med(0),
      unit: 'Mbit/s',
      reference: med(1),
      referenceName: 'plain veth pair, no capture',
      goal: '>= 500 (issue 4: >= 300), 0 frames lost',
      runs: samples[0].map((s) => round(s.mbit, 0)),
      referenceRuns: samples[1].map((s) => round(s.mbit, 0)),
      note: `${mib} MiB client → server, every run's capture complete (trace.json wire.complete), ${median(samples[0].map((s) => s.frames ?? 0))} frames per run`,
    },
    'bridge-mode capture throughput': {
      value: med(2),
      unit: 'Mbit/s',
      reference: med(3),
      referenceName: 'kernel bridge, no capture',
      goal: '>= 2000 (issue 4: >= 1000)',
      runs: samples[2].map((s) => round(s.mbit, 0)),
      referenceRuns: samples[3].map((s) => round(s.mbit, 0)),
      note: `${mib} MiB client → server, every run's capture complete`,
    },
  };
  emit(figures, { loadBefore, loadAfter, mib, runs });
  stopSidecar();
  closeTraceSession();
}

await main();
