/**
 * Topology up + down: `node --import tsx bench/topology.ts [--runs R] [--json FILE]`
 *
 * Two hosts and a wire namespace, IPv4 + IPv6 addresses, permanent neighbours, offloads
 * off on all four veth ends, links up and ready (IPv6 out of tentative), then removed.
 * Built R times (default 20) each, round-robin:
 *
 *   harness   createTopology() + up() + destroy(): netlink and ioctls from this process
 *   batch     the harness's previous builder: `ip -batch` per namespace, `ethtool` processes
 *   naive     one `ip` / `ethtool` process per step (bench/lib/reference-topology.ts)
 */
import { createTopology } from '../harness/stacks/index.js';
import { naiveTopology, batchTopology } from './lib/reference-topology.js';
import { emit, hookCleanup, load, log, median, numArg, onCleanup, round, type Figures } from './lib/common.js';

async function harness(): Promise<void> {
  const t = await createTopology(['client', 'server']);
  const forget = onCleanup(() => void t.destroy());
  try {
    await t.up();
  } finally {
    await t.destroy();
    forget();
  }
}

async function reference(make: typeof naiveTopology): Promise<void> {
  const t = await make(['client', 'server']);
  try {
    await t.up();
  } finally {
    await t.destroy();
  }
}

async function main(): Promise<void> {
  hookCleanup();
  const runs = numArg('--runs', 20);
  const builders = [
    { name: 'harness (netlink)', once: harness },
    { name: 'ip -batch + ethtool (previous harness)', once: () => reference(batchTopology) },
    { name: 'one process per step (naive)', once: () => reference(naiveTopology) },
  ];
  const times: number[][] = builders.map(() => []);
  const loadBefore = load();
  // warm-up: koffi, the netlink socket code, the first slot and owner files
  await harness();
  for (let i = 0; i < runs; i++) {
    for (const [k, b] of builders.entries()) {
      const t0 = performance.now();
      await b.once();
      times[k].push(performance.now() - t0);
    }
    log(`  run ${i + 1}: ${builders.map((b, k) => `${b.name} ${times[k][i].toFixed(1)} ms`).join(', ')}`);
  }
  const loadAfter = load();
  const med = (k: number) => round(median(times[k]), 1);
  const figures: Figures = {
    'topology up + down': {
      value: med(0),
      unit: 'ms',
      reference: med(2),
      referenceName: 'one ip/ethtool process per step',
      goal: '<= 30',
      runs: times[0].map((x) => round(x, 1)),
      referenceRuns: times[2].map((x) => round(x, 1)),
      note: '2 hosts + wire namespace, IPv4+IPv6, permanent neighbours, offloads off, up until IPv6 is out of tentative, then deleted',
    },
    'topology up + down, previous harness (ip -batch + ethtool)': {
      value: med(1),
      unit: 'ms',
      reference: med(2),
      referenceName: 'one ip/ethtool process per step',
      runs: times[1].map((x) => round(x, 1)),
    },
  };
  emit(figures, { loadBefore, loadAfter, runs });
}

await main();
