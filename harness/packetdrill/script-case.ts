/**
 * A .pkt script is a case: one tcpCase per run of its folder's tcpladder.json and per
 * IP version (IPv4 and IPv6 unless its flags name one; IPv4-mapped IPv6 when they
 * do), each on fresh hosts — `local` runs the script's system calls on whatever stack
 * the run gives it, `remote` is the scripted peer. A script that cannot be read or
 * run fails its test with the one-line `file:line: …` InputError.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { tcpCase, type CaseContext, type CaseOptions } from '../case/tcp-case.js';
import type { Family } from '../sockets/index.js';
import type { Script } from './ast.js';
import { runScript, type ScriptEnv } from './executor.js';
import { checkSupported } from './support.js';
import { InputError, isInputError } from '../input-error.js';
import { folderRuns } from './folder-config.js';
import { parsePacketdrill } from './parser.js';
import { scriptTolerance, toleranceFactor } from './timing.js';

export type IpVersion = ScriptEnv['version'];

export interface ScriptPlan {
  /** the test's name without the family suffix tcpCase adds */
  name: string;
  version: IpVersion;
  family: Family;
  script: Script;
}

/** how long a call not written with `...` may wait for its socket, before the run's factor */
const WAIT_LIMIT_MS = 1000;
const CASE_MARGIN_MS = 20_000;

/** A variant that cannot run: its test fails with the error. */
export interface FailedPlan {
  name: string;
  family: Family;
  error: unknown;
}

/** The tests of a script: one per folder variant and IP version. Throws the first variant's error. */
export function planScript(path: string): ScriptPlan[] {
  return planScriptRuns(path).map((p) => {
    if ('error' in p) throw p.error;
    return p;
  });
}

/**
 * The tests of a script, each variant on its own: a variant that cannot be parsed or
 * run is one failed test of its own, and the other variants still get theirs (a
 * script unsupported in its IPv4 variant is reported under IPv6 too).
 */
export function planScriptRuns(path: string): (ScriptPlan | FailedPlan)[] {
  const shown = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return [{ name: shown, family: 4, error: e }];
  }
  const plans: (ScriptPlan | FailedPlan)[] = [];
  for (const run of folderRuns(path)) {
    let script: Script;
    try {
      script = parsePacketdrill(text, shown, { flags: run.flags });
      checkSupported(script);
    } catch (e) {
      // the variant's IP version as its flags write it (its script may not parse)
      const version = run.flags.filter((f) => f.name === 'ip_version').at(-1)?.value;
      const variant = run.name && run.name !== version ? ` (${run.name})` : '';
      plans.push({ name: `${shown}${variant}`, family: version === 'ipv6' ? 6 : 4, error: e });
      continue;
    }
    const versions: IpVersion[] = script.options.ipVersion ? [script.options.ipVersion] : ['ipv4', 'ipv6'];
    for (const version of versions) {
      const variant = run.name && run.name !== version ? ` (${run.name})` : '';
      const mapped = version === 'ipv4-mapped-ipv6' ? ' (ipv4-mapped-ipv6)' : '';
      plans.push({ name: `${shown}${variant}${mapped}`, version, family: version === 'ipv6' ? 6 : 4, script });
    }
  }
  return plans;
}

/** Register a script's tests (the module the vitest plugin makes of a .pkt calls this). */
export function registerPacketdrillScript(path: string): void {
  for (const plan of planScriptRuns(path)) {
    if ('error' in plan) {
      // made afresh in the test: the original's stack runs through the .pkt module, whose
      // place the case would put before the script's own `file:line:`
      const e = plan.error;
      const message = (e as Error).message;
      tcpCase(plan.name, async () => Promise.reject(isInputError(e) ? new InputError(message) : new Error(message)), { families: [plan.family] });
      continue;
    }
    tcpCase(plan.name, scriptBody(plan, path), caseOptions(plan));
  }
}

/** The body of a script's case: hosts `local` and `remote`, the scripted peer, the executor. */
export function scriptBody(plan: ScriptPlan, path: string): (ctx: Pick<CaseContext, 'hosts' | 'wire' | 'signal'>) => Promise<void> {
  return async ({ hosts, wire, signal }) => {
    // the remote is the scripted peer, a silenced namespace host whatever stack the local runs
    const { local, remote } = await hosts('local', 'remote', { interfaces: { local: 'tun0' }, stack: { remote: 'linux' } });
    const raw = await wire.raw(remote);
    const factor = toleranceFactor();
    await runScript(plan.script, {
      local,
      remote,
      raw,
      wire,
      version: plan.version,
      tolerance: scriptTolerance(plan.script.options, local.stack, factor),
      waitLimitMs: WAIT_LIMIT_MS * factor,
      signal,
      sockets: local.context,
      tagSegment: (n, line) => local.tagSegment(n, line),
      dir: dirname(resolve(path)),
    });
  };
}

/**
 * A script that waits on long timers gets the time it needs, and is slow past 30 s. Its
 * --mtu is a need: a stack whose NIC cannot take it is known before any host is made.
 */
export function caseOptions(plan: ScriptPlan): CaseOptions {
  const seconds = scriptSeconds(plan.script);
  const { mtu } = plan.script.options;
  return {
    families: [plan.family],
    timeout: Math.ceil(seconds * 1000 * toleranceFactor()) + CASE_MARGIN_MS,
    slow: seconds > 30,
    ...(mtu !== undefined ? { needs: [`mtu:${mtu}`] } : {}),
  };
}

/** About how long the script runs: its last event's time, with relative times added up. */
export function scriptSeconds(script: Script): number {
  let t = 0;
  let end = 0;
  for (const e of script.events) {
    if (e.time.kind === 'absolute' || e.time.kind === 'absolute-range') t = e.time.usecs;
    else if (e.time.kind === 'relative' || e.time.kind === 'relative-range') t += e.time.usecs;
    if (e.time.kind === 'absolute-range' || e.time.kind === 'relative-range') end = Math.max(end, t + e.time.endUsecs - e.time.usecs);
    if (e.kind === 'syscall' && e.syscall.blockingEndUsecs !== undefined) {
      end = Math.max(end, e.time.kind === 'relative' ? t - e.time.usecs + e.syscall.blockingEndUsecs : e.syscall.blockingEndUsecs);
    }
    end = Math.max(end, t);
  }
  return end / 1e6;
}
