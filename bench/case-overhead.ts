/**
 * Fixed overhead per case: `node --import tsx bench/case-overhead.ts [--runs R] [--json FILE]`
 *
 * A trivial case — hosts('client', 'server') and nothing else — end to end through
 * CaseRun, the way tcpCase() runs one: topology, sidecar attach, tracefs observer, links
 * up and ready; then finish(): links down, completeness check, detach, trace.json,
 * ladder.txt/svg, namespaces removed. Everything a case costs beyond its own protocol
 * waiting. R runs (default 30) in one process, median, beside R runs of the same case
 * with the sidecar's previous capture path (libpcap handles through `cap`,
 * TCPLADDER_WIRE_CAPTURE=cap), in blocks of BLOCK cases taking turns (each block starts
 * its sidecar with an unmeasured case). The first case of a process, which also starts
 * the sidecar and the trace session, is reported on its own. Where the time goes is
 * measured alongside: the sidecar's attach and detach requests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaseRun } from '../harness/case/run.js';
import { SidecarClient, stopSidecar } from '../harness/wire/index.js';
import { closeTraceSession } from '../harness/observe/index.js';
import { emit, hookCleanup, load, log, median, numArg, onCleanup, removePath, round, type Figures } from './lib/common.js';
import { useCapture, type CapturePath } from './lib/sidecar-process.js';

const SELF = fileURLToPath(import.meta.url);

const BLOCK = 5;

/** Time the sidecar requests by capture path and kind, for the breakdown. */
const requestTimes = new Map<string, number[]>();
let path: CapturePath = 'packet';
const original = SidecarClient.prototype.request;
SidecarClient.prototype.request = function (this: SidecarClient, req: Parameters<SidecarClient['request']>[0]) {
  const t0 = performance.now();
  const key = `${path} ${req.op}`;
  return original.call(this, req).finally(() => {
    const list = requestTimes.get(key) ?? [];
    list.push(performance.now() - t0);
    requestTimes.set(key, list);
  });
} as SidecarClient['request'];

async function trivialCase(family: 4 | 6): Promise<{ total: number; hosts: number; finish: number }> {
  const t0 = performance.now();
  const run = new CaseRun('bench trivial case', SELF, family);
  let error: unknown = null;
  let t1 = t0;
  try {
    await run.hosts(['client', 'server']);
    t1 = performance.now();
  } catch (e) {
    error = e;
  }
  const { trace, error: failure } = await run.finish(error);
  const t2 = performance.now();
  if (failure) throw failure;
  if (!trace.wire?.complete) throw new Error(`capture incomplete: ${trace.wire?.problem}`);
  return { total: t2 - t0, hosts: t1 - t0, finish: t2 - t1 };
}

async function main(): Promise<void> {
  hookCleanup();
  onCleanup(() => {
    stopSidecar();
    closeTraceSession();
  });
  const runs = numArg('--runs', 30);
  const dir = mkdtempSync(join(tmpdir(), 'tcpl-bench-'));
  removePath(dir);
  process.env.TCPLADDER_RUN_DIR = dir;

  const loadBefore = load();
  const first = await trivialCase(4);
  log(`  first case of the process: ${first.total.toFixed(1)} ms (hosts ${first.hosts.toFixed(1)}, finish ${first.finish.toFixed(1)})`);
  type Sample = { total: number; hosts: number; finish: number };
  const samples: Record<CapturePath, Sample[]> = { packet: [], cap: [] };
  for (let done = 0; done < runs; done += BLOCK) {
    for (const p of ['packet', 'cap'] as const) {
      useCapture(p);
      path = p;
      await trivialCase(4); // starts this path's sidecar
      requestTimes.delete(`${p} attach`); // …whose first attach waited for it
      for (let i = done; i < Math.min(runs, done + BLOCK); i++) {
        const s = await trivialCase(i % 2 ? 6 : 4);
        samples[p].push(s);
        log(`  ${p === 'cap' ? 'previous capture ' : ''}run ${i + 1}: ${s.total.toFixed(1)} ms (hosts ${s.hosts.toFixed(1)}, finish ${s.finish.toFixed(1)})`);
      }
    }
  }
  const loadAfter = load();
  const m = (xs: number[]) => round(median(xs), 1);
  const breakdownOf = (p: CapturePath) => ({
    totalMs: m(samples[p].map((s) => s.total)),
    hostsMs: m(samples[p].map((s) => s.hosts)),
    finishMs: m(samples[p].map((s) => s.finish)),
    sidecarAttachMs: m(requestTimes.get(`${p} attach`) ?? []),
    sidecarDetachMs: m(requestTimes.get(`${p} detach`) ?? []),
  });
  const breakdown = { packet: breakdownOf('packet'), cap: breakdownOf('cap'), firstCaseMs: round(first.total, 1) };
  log(`  medians: ${JSON.stringify(breakdown)}`);
  const parts = (b: ReturnType<typeof breakdownOf>) =>
    `hosts() ${b.hostsMs} ms (sidecar attach ${b.sidecarAttachMs}), finish() ${b.finishMs} ms (sidecar detach ${b.sidecarDetachMs})`;
  const figures: Figures = {
    'fixed overhead per case': {
      value: breakdown.packet.totalMs,
      unit: 'ms',
      reference: breakdown.cap.totalMs,
      referenceName: 'previous capture path (cap)',
      goal: '<= 100',
      runs: samples.packet.map((s) => round(s.total, 1)),
      referenceRuns: samples.cap.map((s) => round(s.total, 1)),
      note:
        `trivial case (hosts + nothing) through CaseRun, IPv4 and IPv6 alternately, in blocks of ${BLOCK} taking turns with the previous capture path; ` +
        `medians: ${parts(breakdown.packet)}; previous capture: ${parts(breakdown.cap)}; ` +
        `first case of a process ${breakdown.firstCaseMs} ms (starts the sidecar and the trace session)`,
    },
    'first case of a worker process': {
      value: round(first.total, 1),
      unit: 'ms',
      reference: null,
      note: 'the same trivial case as the first of its process: sidecar start and tracefs instance included',
    },
  };
  emit(figures, { loadBefore, loadAfter, runs, breakdown });
  stopSidecar();
  closeTraceSession();
}

await main();
