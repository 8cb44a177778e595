/**
 * Wire throughput: `node --import tsx bench/throughput.ts [--mib N] [--runs R] [--wires A,B] [--json FILE]`
 *
 * One bulk transfer of N MiB (default 64) from client to server, made by two small Node
 * programs (bench/lib/tcp-source.mjs, tcp-sink.mjs) started inside the hosts' namespaces,
 * timed at the receiver from accept to EOF, over five wires (or those `--wires` names),
 * round-robin, R runs each (default 5), medians, after one relayed transfer of the same
 * size that is printed but not counted (the sidecar's and the harness's first):
 *
 *   relay          a case's hosts (CaseRun.hosts()), the sidecar relaying and recording;
 *                  the case's completeness check (trace.json `wire`) must say complete
 *   plain veth     the same two hosts' settings on one veth pair, nothing in between
 *   bridge         a case's hosts with { wire: 'bridge' }: kernel bridge, sidecar records
 *   kernel bridge  the same topology with the bridge and no capture attached
 *   bare relay     the relay's topology with bench/lib/bare-relay.c in the sidecar's place:
 *                  the same packet path in C, recording nothing; what any relay of this
 *                  kind could carry on this machine (built with `cc` as the relay's own C
 *                  is: harness/native-build.ts)
 *
 * Offloads are off on every veth end in all five (as the harness sets them), so every
 * wire carries MSS-sized frames. The hosts of both relays and both bridges take in
 * frames on a CPU of their own, the sidecar (or bare relay) keeps to the others
 * (topology/cpus.ts, printed); the plain veth pair is bare. Beside each figure: the CPU
 * time each transfer took in the sidecar (or bare relay), in this process (the harness, taking in the frames) and in the two host
 * programs (with the kernel's work done in their system calls), and the sidecar's peak
 * resident memory (VmHWM) over all the runs.
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
import { relayCpus } from '../harness/topology/cpus.js';
import { builtC } from '../harness/native-build.js';
import { arg, emit, hookCleanup, load, log, median, numArg, onCleanup, removePath, round, type Figure, type Figures } from './lib/common.js';
import { childrenCpuMs, cpuMs, peakRssMiB, sidecarPid } from './lib/sidecar-process.js';

const SELF = fileURLToPath(import.meta.url);
const SINK = join(SELF, '..', 'lib', 'tcp-sink.mjs');
const SOURCE = join(SELF, '..', 'lib', 'tcp-source.mjs');
const BARE_RELAY_SOURCE = join(SELF, '..', 'lib', 'bare-relay.c');
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

/** Resolves when `child` has exited and been waited for (its CPU time is then this process's children's). */
function exited(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
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
    // both end by themselves once the transfer is over
    const done = Promise.all([exited(sink), exited(source)]);
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    return ms;
  } finally {
    killSink();
    killSource();
  }
}

/** CPU time of one transfer, ms */
interface Cpu {
  /** the process between the hosts: sidecar or bare relay */
  between: number;
  harness: number;
  hosts: number;
}

interface Sample {
  mbit: number;
  frames?: number;
  cpu: Cpu;
}

/** `transfer` with the CPU time each part spent on it. */
async function measured(between: number | null, run: () => Promise<number>): Promise<{ ms: number; cpu: Cpu }> {
  const before = { between: between === null ? 0 : cpuMs(between), harness: process.cpuUsage(), hosts: childrenCpuMs() };
  const ms = await run();
  const harness = process.cpuUsage(before.harness);
  return {
    ms,
    cpu: {
      between: between === null ? 0 : cpuMs(between) - before.between,
      harness: (harness.user + harness.system) / 1000,
      hosts: childrenCpuMs() - before.hosts,
    },
  };
}

async function throughCase(mode: 'relay' | 'bridge', bytes: number): Promise<Sample> {
  const run = new CaseRun(`bench ${mode} throughput`, SELF, 4);
  let error: unknown = null;
  let result = { ms: 0, cpu: { between: 0, harness: 0, hosts: 0 } };
  try {
    const { client, server } = await run.hosts(['client', 'server'], { wire: mode });
    // a sidecar that dies mid-transfer aborts the case: stop waiting for the sink then
    const aborted = new Promise<never>((_, reject) =>
      run.signal.addEventListener('abort', () => reject(run.signal.reason ?? new Error('the case was aborted')), { once: true }),
    );
    result = await measured(sidecarPid(), () => Promise.race([transfer(client.ns, server.ns, server.ipv4, bytes), aborted]));
  } catch (e) {
    error = e;
  }
  const { trace, error: failure } = await run.finish(error);
  if (failure) throw failure;
  if (!trace.wire?.complete) throw new Error(`${mode}: capture incomplete: ${trace.wire?.problem}`);
  const frames = trace.wire.ports.reduce((n, p) => n + p.captured, 0);
  return { mbit: (bytes * 8) / result.ms / 1000, frames, cpu: result.cpu };
}

async function throughPlainVeth(bytes: number): Promise<Sample> {
  const pair = await plainPair();
  try {
    const { ms, cpu } = await measured(null, () => transfer(pair.a.ns, pair.b.ns, pair.b.ipv4, bytes));
    return { mbit: (bytes * 8) / ms / 1000, cpu };
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
    const { ms, cpu } = await measured(null, () => transfer(client.ns, server.ns, server.ipv4, bytes));
    return { mbit: (bytes * 8) / ms / 1000, cpu };
  } finally {
    await topo.destroy();
    forget();
  }
}

async function throughBareRelay(binary: string, bytes: number): Promise<Sample> {
  const topo = await createTopology(['client', 'server']);
  const forget = onCleanup(() => void topo.destroy());
  let relay: ChildProcess | null = null;
  const killRelay = onCleanup(() => relay?.kill('SIGKILL'));
  try {
    const [client, server] = topo.hosts.map((h) => h.spec);
    // on the CPUs the sidecar would run on, as the sidecar's hosts take in frames on the other
    const split = relayCpus();
    const pin = split ? ['taskset', '-c', split.sidecar.join(',')] : [];
    relay = spawn('setpriv', ['--pdeathsig', 'KILL', 'ip', 'netns', 'exec', topo.wireNs, ...pin, binary, client.port, server.port], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ready = await lineFrom(relay, 'bare relay', 10_000);
    if (ready !== 'ready') throw new Error(`bare relay said ${ready}`);
    await topo.up();
    // setpriv, ip netns exec and taskset each exec the next: the child's pid is the relay's
    const { ms, cpu } = await measured(relay.pid!, () => transfer(client.ns, server.ns, server.ipv4, bytes));
    return { mbit: (bytes * 8) / ms / 1000, cpu };
  } finally {
    relay?.kill('SIGTERM');
    await exited(relay);
    killRelay();
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
  // --wires relay,bridge: only these (for profiling one of them); a figure whose wire did not run is left out, one whose reference did not has none
  const only = arg('--wires')?.split(',');
  const bareRelay = !only || only.includes('bare relay') ? builtC(BARE_RELAY_SOURCE, 'program') : '';

  // between: the process relaying or recording, whose CPU is counted apart
  const wires: { name: string; between?: string; once: () => Promise<Sample> }[] = [
    { name: 'relay', between: 'sidecar', once: () => throughCase('relay', bytes) },
    { name: 'plain veth', once: () => throughPlainVeth(bytes) },
    { name: 'bridge', between: 'sidecar', once: () => throughCase('bridge', bytes) },
    { name: 'kernel bridge', once: () => throughKernelBridge(bytes) },
    { name: 'bare relay', between: 'bare relay', once: () => throughBareRelay(bareRelay, bytes) },
  ];
  const samples = new Map<string, Sample[]>(wires.map((w) => [w.name, []]));
  const loadBefore = load();
  // A first relay case, not counted, starts the sidecar and the trace session, and is a
  // whole transfer: the first one through a fresh sidecar and harness is slower by about
  // a third (their code not yet optimised, their memory not yet grown). Printed, not hidden.
  const split = relayCpus();
  const placement = split ? `the hosts' links take in frames on CPU ${split.hostRx}, the sidecar runs on ${split.sidecar.join(',')}` : 'one CPU: no split';
  log(`  ${placement}`);
  const warm = await throughCase('relay', bytes);
  log(`  relay warm-up (not counted): ${warm.mbit.toFixed(0)} Mbit/s; CPU sidecar ${warm.cpu.between} ms, harness ${Math.round(warm.cpu.harness)} ms, hosts ${warm.cpu.hosts} ms`);
  for (let i = 0; i < runs; i++) {
    for (const w of wires) {
      if (only && !only.includes(w.name)) continue;
      const s = await w.once();
      samples.get(w.name)!.push(s);
      const cpu = `CPU ${w.between ? `${w.between} ${s.cpu.between} ms, ` : ''}harness ${Math.round(s.cpu.harness)} ms, hosts ${s.cpu.hosts} ms`;
      log(`  ${w.name} run ${i + 1}: ${s.mbit.toFixed(0)} Mbit/s${s.frames ? ` (${s.frames} frames, all captured)` : ''}; ${cpu}`);
    }
  }
  const loadAfter = load();
  const pid = sidecarPid();
  const peak = pid === null ? NaN : peakRssMiB(pid);
  const of = (name: string) => samples.get(name)!;
  const med = (name: string) => round(median(of(name).map((s) => s.mbit)), 0);
  const runsOf = (name: string) => of(name).map((s) => round(s.mbit, 0));
  const cpuNote = (name: string) => {
    const m = (k: keyof Cpu) => round(median(of(name).map((s) => s.cpu[k])), 0);
    const between = wires.find((w) => w.name === name)?.between;
    const middle = between ? `${between} ${m('between')} ms, ` : '';
    return `CPU per transfer (medians): ${middle}harness ${m('harness')} ms, host programs ${m('hosts')} ms`;
  };
  const frames = (name: string) => median(of(name).map((s) => s.frames ?? 0));
  const ran = (name: string) => of(name).length > 0;
  // a figure for each wire that ran; its reference and the reference's CPU where that ran too
  const figure = (title: string, name: string, ref: string, f: Pick<Figure, 'referenceName' | 'goal' | 'note'>): Figures =>
    ran(name) ? { [title]: { value: med(name), unit: 'Mbit/s', reference: ran(ref) ? med(ref) : null, ...f, runs: runsOf(name), referenceRuns: runsOf(ref) } } : {};
  const cpuOf = (ref: string) => (ran(ref) ? `; ${ref}: ${cpuNote(ref)}` : '');
  const carried = ['relay', 'bridge'].filter(ran).map((w) => `${runs} × ${mib} MiB ${w === 'relay' ? 'relayed' : 'bridged'}`);
  const figures: Figures = {
    ...figure('relay throughput', 'relay', 'plain veth', {
      referenceName: 'plain veth pair, no capture',
      goal: ran('plain veth') ? `>= ${round(med('plain veth') / 2, 0)} (0.5 × plain veth; issue 4: >= 300), 0 frames lost` : '0.5 × plain veth (not run)',
      note: `${mib} MiB client → server, every run's capture complete (trace.json wire.complete), ${frames('relay')} frames per run; ${placement}; ${cpuNote('relay')}${cpuOf('plain veth')}`,
    }),
    ...(ran('bare relay') && ran('plain veth')
      ? figure('relay against a bare relay', 'relay', 'bare relay', {
          referenceName: 'bench/lib/bare-relay.c: the same packet path in C, recording nothing',
          goal: '',
          note: `what a relay on this path can carry on this machine: the bare relay at ${round(med('bare relay') / med('plain veth'), 2)} × the plain veth, the relay at ${round(med('relay') / med('bare relay'), 2)} × the bare relay; bare relay: ${cpuNote('bare relay')}`,
        })
      : {}),
    ...figure('bridge-mode capture throughput', 'bridge', 'kernel bridge', {
      referenceName: 'kernel bridge, no capture',
      goal: '>= 2000 (issue 4: >= 1000)',
      note: `${mib} MiB client → server, every run's capture complete; ${cpuNote('bridge')}${cpuOf('kernel bridge')}`,
    }),
    'peak memory, capture sidecar relaying at full speed': {
      value: round(peak, 0),
      unit: 'MiB',
      reference: null,
      goal: '<= 100',
      note: `VmHWM of the sidecar after all the runs above (${['a relayed warm-up', ...carried].join(', ')})`,
    },
  };
  emit(figures, { loadBefore, loadAfter, mib, runs });
  stopSidecar();
  closeTraceSession();
}

await main();
