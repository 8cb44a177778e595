/**
 * The other stacks' costs: `node --import tsx bench/stacks.ts [--runs R] [--json FILE]`
 *
 * For uml and gvisor, beside linux's figure measured in the same run:
 *   - guest start: from starting the guest process to its agent being ready, and, for UML,
 *     the agent's own share (from its init's "starting the agent" line to ready): the
 *     pool's figures for the guests it started (GuestStatus.bootMs);
 *   - per-case overhead once the pool is warm: a trivial case (hosts('client', 'server')
 *     on the stack, nothing else) end to end through CaseRun, as tcpCase runs one: lease,
 *     link, the guest's case network, capture, states, finish, give back. R cases (default
 *     20) per stack round-robin, IPv4/IPv6 alternately, after one warm-up case each;
 *   - memory: the PSS of a warm idle guest's processes (a UML guest's three processes share
 *     its memory: PSS counts it once), sampled with its agent idle.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaseRun } from '../harness/case/run.js';
import { stopSidecar } from '../harness/wire/index.js';
import { closeTraceSession } from '../harness/observe/index.js';
import { startPool, leaseGuest, type StartedPool, type Lease } from '../harness/stacks/pool/client.js';
import type { StackName } from '../harness/stacks/index.js';
import { emit, hookCleanup, load, log, median, numArg, onCleanup, removePath, round, type Figures } from './lib/common.js';

const SELF = fileURLToPath(import.meta.url);
const STACKS: StackName[] = ['linux', 'uml', 'gvisor'];

async function trivialCase(stack: StackName, family: 4 | 6): Promise<{ ms: number; guest: string | undefined }> {
  const t0 = performance.now();
  const run = new CaseRun(`bench trivial case on ${stack}`, SELF, family);
  let error: unknown = null;
  try {
    await run.hosts(['client', 'server'], { stack });
  } catch (e) {
    error = e;
  }
  const { trace, error: failure } = await run.finish(error);
  const ms = performance.now() - t0;
  if (failure) throw failure;
  if (!trace.wire?.complete) throw new Error(`${stack}: capture incomplete: ${trace.wire?.problem}`);
  return { ms, guest: trace.hosts[1]?.guest };
}

/** PSS (kB) of every process whose command line names `needle`. */
function pssOf(needle: string): number {
  let kb = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (!readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) continue;
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone meanwhile
    }
  }
  return kb;
}

async function main(): Promise<void> {
  hookCleanup();
  let pool: StartedPool | null = null;
  onCleanup(() => {
    stopSidecar();
    closeTraceSession();
  });
  const runs = numArg('--runs', 20);
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-bench-'));
  removePath(dir);
  process.env.TCPLADDER_RUN_DIR = dir;
  pool = await startPool();
  onCleanup(() => void pool?.stop());
  const loadBefore = load();

  // guest start: fresh guests, one at a time (each lease is held, so the next needs a new guest)
  const starts: Record<'uml' | 'gvisor', { total: number[]; agent: number[] }> = { uml: { total: [], agent: [] }, gvisor: { total: [], agent: [] } };
  const held: Lease[] = [];
  for (let i = 0; i < 3; i++) {
    for (const stack of ['uml', 'gvisor'] as const) {
      const lease = await leaseGuest(stack);
      held.push(lease);
      const total = lease.guest.bootMs.at(-1) ?? NaN;
      starts[stack].total.push(total);
      if (lease.guest.agentMs !== undefined) starts[stack].agent.push(lease.guest.agentMs);
      log(`  ${stack} guest ${lease.guest.id}: started in ${total} ms${lease.guest.agentMs !== undefined ? ` (its agent ${lease.guest.agentMs} ms of it)` : ''}`);
    }
  }
  for (const l of held) l.channel.destroy();

  // per-case overhead, warm: one case each first, then round-robin
  const samples: Record<StackName, number[]> = { linux: [], uml: [], gvisor: [] };
  const guests: Record<StackName, string | undefined> = { linux: undefined, uml: undefined, gvisor: undefined };
  for (const s of STACKS) guests[s] = (await trivialCase(s, 4)).guest;
  for (let i = 0; i < runs; i++) {
    for (const s of STACKS) {
      const r = await trivialCase(s, i % 2 ? 6 : 4);
      samples[s].push(r.ms);
      log(`  run ${i + 1} ${s}: ${r.ms.toFixed(1)} ms`);
    }
  }
  // a gVisor guest's processes name its state folder: guests/<pool pid>/g<n>/state
  const gv = /-(\d+)-(g\d+)$/.exec(guests.gvisor ?? '');
  const memory = { uml: pssOf(`umid=${guests.uml} `) / 1024, gvisor: gv ? pssOf(`/guests/${gv[1]}/${gv[2]}/state`) / 1024 : NaN };
  const loadAfter = load();
  const m = (xs: number[]) => round(median(xs), 1);
  const figures: Figures = {};
  for (const s of ['uml', 'gvisor'] as const) {
    figures[`${s} guest start (until its agent is ready)`] = { value: m(starts[s].total), unit: 'ms', reference: null, runs: starts[s].total };
    if (starts[s].agent.length) figures[`${s} agent start (its share of the guest start)`] = { value: m(starts[s].agent), unit: 'ms', reference: null, runs: starts[s].agent };
    figures[`per-case overhead on ${s} (warm pool)`] = {
      value: m(samples[s]),
      unit: 'ms',
      reference: m(samples.linux),
      referenceName: 'the same trivial case on linux, same run',
      goal: '≤ 300',
      runs: samples[s].map((x) => round(x, 1)),
      referenceRuns: samples.linux.map((x) => round(x, 1)),
    };
    figures[`memory of an idle ${s} guest (PSS)`] = { value: round(memory[s], 1), unit: 'MiB', reference: null };
  }
  emit(figures, { load: { before: loadBefore, after: loadAfter }, runs });
  await pool.stop();
  pool = null;
  // the sidecar and the trace session would keep the process alive after its figures
  stopSidecar();
  closeTraceSession();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
