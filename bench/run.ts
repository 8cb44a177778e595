/**
 * Every benchmark, one after the other, each in its own process:
 *
 *   npm run bench [-- --only topology,case,stacks,throughput,decode,catalogue,report] [--quick] [--wait-load L]
 *   node --import tsx bench/run.ts …
 *
 * Prints a table and writes bench/results.json ({ "<figure>": { value, unit, reference } })
 * and bench/results-detail.json (the runs behind each median, notes, goals, load, machine).
 * Each benchmark's figure is measured beside its reference in the same process, round-robin,
 * medians of several runs. --quick makes fewer runs and smaller transfers (a smoke test,
 * not figures to record).
 *
 * Whatever a benchmark leaves behind (a namespace or tracefs instance of this run, a temp
 * file) is removed after it and counted as a failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, deleteNamespacesSync, load, log, machine, namespacesNow, round, type Figure, type Figures } from './lib/common.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

interface Bench {
  name: string;
  script: string;
  args: string[];
  quick: string[];
  /** decode.ts speaks its own JSON: turn it into figures */
  convert?: (json: unknown) => Figures;
}

interface DecodeResult {
  name: string;
  command: string;
  seconds: number;
  wallSeconds: number;
  framesPerSecond: number;
  wallFramesPerSecond: number;
  runs: number;
}

function decodeFigures(json: unknown): Figures {
  const d = json as { frames: number; results: DecodeResult[]; loadBefore: number[]; loadAfter: number[] };
  const find = (prefix: string) => d.results.find((r) => r.name.startsWith(prefix));
  const ours = find('decode (read');
  const whole = find('decode, whole file held');
  const tcpdump = find('tcpdump');
  const tshark = find('tshark');
  if (!ours) throw new Error('bench/decode.ts gave no "decode" result');
  const note = (r: DecodeResult) =>
    `${d.frames} frames; ${r.command}; median of ${r.runs} runs: ${r.seconds.toFixed(3)} s read + decode in the process, ${r.wallSeconds.toFixed(3)} s wall with Node's start-up (${r.wallFramesPerSecond.toLocaleString('en-US')} frames/s)`;
  const figures: Figures = {
    'decode of a 1 M-frame pcap (vs tcpdump -nr)': {
      value: ours.framesPerSecond,
      unit: 'frames/s',
      reference: tcpdump?.wallFramesPerSecond ?? null,
      referenceName: 'tcpdump -nr FILE > /dev/null',
      goal: '>= 1000000',
      note: note(ours),
    },
    'decode of a 1 M-frame pcap (vs tshark -r)': {
      value: ours.framesPerSecond,
      unit: 'frames/s',
      reference: tshark?.wallFramesPerSecond ?? null,
      referenceName: `tshark -r FILE > /dev/null (${tshark?.runs ?? 0} run(s))`,
      goal: '>= 1000000',
    },
  };
  // the same decoder behind an API that keeps every frame of the file at once: what that costs
  if (whole) {
    figures['decode of a 1 M-frame pcap, the whole file held (readCapture)'] = {
      value: whole.framesPerSecond,
      unit: 'frames/s',
      reference: ours.framesPerSecond,
      referenceName: 'the same frames read in 256 KiB chunks, each dropped once decoded',
      note: note(whole),
    };
  }
  // `tcpladder show` as a user runs it, wall time with Node's start-up, beside tcpdump and tshark on the same file
  const shows: [string, string][] = [
    ['tcpladder show', 'text ladders of every connection'],
    ['tcpladder show --format mermaid', 'one Mermaid diagram, cut at 40 000 characters: mostly reading and decoding'],
    ['tcpladder show --json', 'one JSON object per frame'],
  ];
  for (const [name, what] of shows) {
    const show = d.results.find((r) => r.name === name);
    if (!show) continue;
    const note = `${d.frames} frames; ${what}; median of ${show.runs} runs: ${show.wallSeconds.toFixed(3)} s wall, start-up included, output to /dev/null`;
    for (const ref of [tcpdump, tshark]) {
      if (!ref) continue;
      const tool = ref === tcpdump ? 'tcpdump -nr' : 'tshark -r';
      figures[`${name} of a 1 M-frame pcap (vs ${tool})`] = {
        value: show.wallFramesPerSecond,
        unit: 'frames/s',
        reference: ref.wallFramesPerSecond,
        referenceName: `${tool} FILE > /dev/null${ref.runs > 1 ? '' : ' (1 run)'}`,
        // at least as fast as the reference, measured in the same run
        goal: name === 'tcpladder show' ? `>= ${ref.wallFramesPerSecond}` : undefined,
        note,
      };
    }
  }
  return figures;
}

const BENCHES: Bench[] = [
  { name: 'topology', script: 'topology.ts', args: ['--runs', '20'], quick: ['--runs', '3'] },
  { name: 'case', script: 'case-overhead.ts', args: ['--runs', '30'], quick: ['--runs', '4'] },
  { name: 'stacks', script: 'stacks.ts', args: ['--runs', '20'], quick: ['--runs', '3'] },
  { name: 'throughput', script: 'throughput.ts', args: ['--runs', '5', '--mib', '64'], quick: ['--runs', '1', '--mib', '8'] },
  { name: 'decode', script: 'decode.ts', args: ['--runs', '5'], quick: ['--runs', '1', '--frames', '100000'], convert: decodeFigures },
  { name: 'catalogue', script: 'catalogue.ts', args: ['--runs', '2'], quick: ['--runs', '1', '--fast'] },
  { name: 'report', script: 'report-paint.ts', args: ['--runs', '5'], quick: ['--runs', '2', '--cases', 'cases/handshake'] },
];

/** Leftovers of this run: namespaces and tracefs instances named tcpl-<run>-… */
function leftovers(run: string): string[] {
  const found = namespacesNow().filter((n) => n.startsWith(`tcpl-${run}-`));
  deleteNamespacesSync(found);
  const out = found.map((n) => `namespace ${n}`);
  for (const base of ['/sys/kernel/tracing/instances', '/sys/kernel/debug/tracing/instances']) {
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      if (!name.startsWith(`tcpl-${run}-`)) continue;
      out.push(`tracefs instance ${name}`);
      try {
        rmdirSync(join(base, name));
      } catch {
        // reported; a reader may still hold it
      }
    }
    break;
  }
  return out;
}

function runBench(b: Bench, quick: boolean, env: NodeJS.ProcessEnv, out: string): Promise<number> {
  const args = ['--import', 'tsx', join(HERE, b.script), ...(quick ? b.quick : b.args), '--json', out];
  log(`\n▶ ${b.name}: node ${args.slice(2).map((a) => a.replace(`${ROOT}/`, '')).join(' ')}   (load ${load().join(' ')})`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/**
 * --wait-load L [--wait-max S]: before each benchmark, wait (up to S seconds, default 1800)
 * until the 1-minute load average is below L, so that figures are not taken while other
 * work shares the machine. The load at each start is recorded either way.
 */
async function quiet(limit: number, maxSeconds: number): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000;
  let said = false;
  while (load()[0] >= limit && Date.now() < deadline) {
    if (!said) log(`  waiting for the load (${load().join(' ')}) to fall below ${limit} …`);
    said = true;
    await new Promise((r) => setTimeout(r, 5000));
  }
  if (load()[0] >= limit) log(`  load still ${load().join(' ')} after ${maxSeconds} s: measuring anyway`);
}

function fmt(n: number | null, unit: string): string {
  if (n === null || !Number.isFinite(n)) return '—';
  if (unit === 'frames/s') return n.toLocaleString('en-US');
  return String(n);
}

function goalMet(f: Figure): string {
  const m = /^(<=|>=)\s*([\d.]+)/.exec(f.goal ?? '');
  if (!m) return '';
  const ok = m[1] === '<=' ? f.value <= Number(m[2]) : f.value >= Number(m[2]);
  return ok ? 'yes' : 'NO';
}

function table(figures: Figures): string {
  const rows = Object.entries(figures).map(([name, f]) => [
    name,
    `${fmt(f.value, f.unit)} ${f.unit}`,
    f.reference === null ? '—' : `${fmt(f.reference, f.unit)} ${f.unit}${f.referenceName ? ` (${f.referenceName})` : ''}`,
    f.goal ?? '',
    goalMet(f),
  ]);
  const head = ['figure', 'value', 'reference (same run)', 'goal', 'met'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = arg('--only')?.split(',');
  const chosen = BENCHES.filter((b) => !only || only.includes(b.name));
  if (chosen.length === 0) throw new Error(`--only: none of ${only?.join(', ')}; benchmarks: ${BENCHES.map((b) => b.name).join(', ')}`);
  const run = `bench${Date.now().toString(36).slice(-5)}`;
  const tmp = mkdtempSync(join(tmpdir(), 'tcpl-bench-run-'));
  // every temp file of every benchmark goes under `tmp`, removed at the end whatever happens
  const env = { ...process.env, TCPLADDER_RUN: run, TMPDIR: tmp };
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

  const m = machine();
  const started = new Date();
  const loadBefore = load();
  log(`tcpladder benchmarks, run ${run}: ${m.nproc} CPUs (${m.cpu}), Linux ${m.kernel}, Node ${m.node}; load ${loadBefore.join(' ')}`);
  const figures: Figures = {};
  const failures: string[] = [];
  const perBench: Record<string, { loadBefore: number[]; loadAfter: number[]; seconds: number }> = {};
  const waitLoad = Number(arg('--wait-load') ?? NaN);
  for (const b of chosen) {
    if (Number.isFinite(waitLoad)) await quiet(waitLoad, Number(arg('--wait-max') ?? 1800));
    const out = join(tmp, `${b.name}.json`);
    const lb = load();
    const t0 = performance.now();
    const code = await runBench(b, quick, env, out);
    perBench[b.name] = { loadBefore: lb, loadAfter: load(), seconds: round((performance.now() - t0) / 1000, 1) };
    const left = leftovers(run);
    if (left.length) failures.push(`${b.name} left ${left.join(', ')} (removed)`);
    if (code !== 0 || !existsSync(out)) {
      failures.push(`${b.name} exited ${code}`);
      continue;
    }
    try {
      const json = JSON.parse(readFileSync(out, 'utf8')) as { figures?: Figures };
      Object.assign(figures, b.convert ? b.convert(json) : json.figures);
    } catch (e) {
      failures.push(`${b.name}: ${(e as Error).message}`);
    }
  }
  const loadAfter = load();

  process.stdout.write(`\n${table(figures)}\n`);
  if (failures.length) process.stdout.write(`\nfailed: ${failures.join('; ')}\n`);
  process.stdout.write(`load ${loadBefore.join(' ')} → ${loadAfter.join(' ')}; ${m.nproc} CPUs, ${m.cpu}, Linux ${m.kernel}, Node ${m.node}\n`);

  if (!quick && !only) {
    const results = Object.fromEntries(Object.entries(figures).map(([k, f]) => [k, { value: f.value, unit: f.unit, reference: f.reference }]));
    writeFileSync(join(HERE, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(
      join(HERE, 'results-detail.json'),
      JSON.stringify({ run, startedAt: started.toISOString(), command: 'npm run bench', machine: m, loadBefore, loadAfter, benchmarks: perBench, failures, figures }, null, 1) + '\n',
    );
    log('\nwrote bench/results.json and bench/results-detail.json');
  } else {
    const file = join(HERE, quick ? 'results-quick.json' : 'results-partial.json');
    writeFileSync(file, JSON.stringify({ run, quick, only, machine: m, loadBefore, loadAfter, benchmarks: perBench, failures, figures }, null, 1) + '\n');
    log(`\n${quick ? '--quick' : '--only'}: bench/results.json left as it was; this run's figures are in ${file.replace(`${ROOT}/`, '')}`);
  }
  process.exitCode = failures.length ? 1 : 0;
}

await main();
