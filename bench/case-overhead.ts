/**
 * Fixed overhead per case: `node --import tsx bench/case-overhead.ts [--runs R] [--json FILE]`
 *
 * A trivial case — hosts('client', 'server') and nothing else — end to end through
 * CaseRun, the way tcpCase() runs one: topology, sidecar attach, tracefs observer, links
 * up and ready; then finish(): links down, completeness check, detach, trace.json,
 * ladder.txt/svg, namespaces removed. Everything a case costs beyond its own protocol
 * waiting. R runs (default 30) in one process, median; the first case of a process,
 * which also starts the sidecar and the trace session, is reported on its own.
 * Where the time goes is measured alongside: the sidecar's attach and detach requests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaseRun } from '../harness/case/run.js';
import { SidecarClient, stopSidecar } from '../harness/wire/index.js';
import { closeTraceSession } from '../harness/observe/index.js';
import { emit, hookCleanup, load, log, median, numArg, onCleanup, removePath, round, type Figures } from './lib/common.js';

const SELF = fileURLToPath(import.meta.url);

/** Time the sidecar requests by kind, for the breakdown. */
const requestTimes = new Map<string, number[]>();
const original = SidecarClient.prototype.request;
SidecarClient.prototype.request = function (this: SidecarClient, req: Parameters<SidecarClient['request']>[0]) {
  const t0 = performance.now();
  return original.call(this, req).finally(() => {
    const list = requestTimes.get(req.op) ?? [];
    list.push(performance.now() - t0);
    requestTimes.set(req.op, list);
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
  requestTimes.clear();
  const samples: { total: number; hosts: number; finish: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const s = await trivialCase(i % 2 ? 6 : 4);
    samples.push(s);
    log(`  run ${i + 1}: ${s.total.toFixed(1)} ms (hosts ${s.hosts.toFixed(1)}, finish ${s.finish.toFixed(1)})`);
  }
  const loadAfter = load();
  const m = (xs: number[]) => round(median(xs), 1);
  const breakdown = {
    hostsMs: m(samples.map((s) => s.hosts)),
    finishMs: m(samples.map((s) => s.finish)),
    sidecarAttachMs: m(requestTimes.get('attach') ?? []),
    sidecarDetachMs: m(requestTimes.get('detach') ?? []),
    firstCaseMs: round(first.total, 1),
  };
  log(`  medians: ${JSON.stringify(breakdown)}`);
  const figures: Figures = {
    'fixed overhead per case': {
      value: m(samples.map((s) => s.total)),
      unit: 'ms',
      reference: null,
      goal: '<= 100',
      runs: samples.map((s) => round(s.total, 1)),
      note:
        `trivial case (hosts + nothing) through CaseRun, IPv4 and IPv6 alternately; median hosts() ${breakdown.hostsMs} ms ` +
        `(sidecar attach ${breakdown.sidecarAttachMs}), finish() ${breakdown.finishMs} ms (sidecar detach ${breakdown.sidecarDetachMs}); ` +
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
