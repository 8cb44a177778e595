/**
 * `--stack` and `--stacks` of `tcpladder run`: which TCP stack the hosts run.
 *
 *   --stack uml             every host that pins none
 *   --stack server=gvisor   host `server` (repeat for several hosts)
 *   --stacks linux,uml,gvisor   the matrix: every case once per stack
 *
 * A stack must be installed: its program is looked for before anything runs.
 */
import { existsSync } from 'node:fs';
import { STACKS, isStackName, type StackName } from '../stacks/index.js';
import { UML_BINARY } from '../stacks/uml/boot.js';
import { RUNSC_BINARY } from '../stacks/gvisor/boot.js';
import { sysctlProblem } from '../stacks/index.js';
import { UsageError } from './io.js';

export interface StackChoice {
  /** the stack of every host that pins none (--stack NAME), or null for linux */
  all: StackName | null;
  /** per host name (--stack HOST=NAME) */
  hosts: Record<string, StackName>;
  /** the matrix (--stacks a,b), or null */
  matrix: StackName[] | null;
}

const PROGRAM: Record<StackName, { path: string; pkg: string } | null> = {
  linux: null,
  uml: { path: UML_BINARY, pkg: 'user-mode-linux' },
  gvisor: { path: RUNSC_BINARY, pkg: 'runsc' },
};

function stackName(s: string, what: string): StackName {
  if (!isStackName(s)) throw new UsageError(`${what}: unknown stack "${s}" (stacks: ${STACKS.join(', ')})`);
  return s;
}

export function parseStacks(stack: string[], stacks: string | undefined): StackChoice {
  const choice: StackChoice = { all: null, hosts: {}, matrix: null };
  for (const v of stack) {
    const eq = v.indexOf('=');
    if (eq < 0) {
      if (choice.all !== null) throw new UsageError(`--stack ${v}: a stack for every host was already given (--stack ${choice.all})`);
      choice.all = stackName(v, `--stack ${v}`);
      continue;
    }
    const host = v.slice(0, eq);
    if (!/^[a-z][a-z0-9_]{0,15}$/i.test(host)) throw new UsageError(`--stack ${v}: "${host}" is not a host name`);
    if (choice.hosts[host]) throw new UsageError(`--stack ${v}: host ${host} already has --stack ${host}=${choice.hosts[host]}`);
    choice.hosts[host] = stackName(v.slice(eq + 1), `--stack ${v}`);
  }
  if (stacks !== undefined) {
    if (choice.all !== null) throw new UsageError(`--stacks and --stack ${choice.all} both choose the stack of every host: give one`);
    const list = stacks.split(',').map((s) => s.trim());
    if (list.some((s) => !s)) throw new UsageError(`--stacks ${stacks}: a comma-separated list, e.g. linux,uml,gvisor`);
    const names = list.map((s) => stackName(s, `--stacks ${stacks}`));
    if (new Set(names).size !== names.length) throw new UsageError(`--stacks ${stacks}: a stack is named twice`);
    choice.matrix = names;
  }
  return choice;
}

/** Every stack the run will use. */
export function stacksUsed(c: StackChoice): StackName[] {
  return [...new Set([...(c.matrix ?? [c.all ?? 'linux']), ...Object.values(c.hosts)])];
}

/** Each stack the run uses is installed, or a one-line usage error with the fix. */
export function checkInstalled(stacks: StackName[], exists: (path: string) => boolean = existsSync): void {
  for (const s of stacks) {
    const p = PROGRAM[s];
    if (p && !exists(p.path)) throw new UsageError(`stack ${s}: ${p.path} not found (fix: apt-get install -y ${p.pkg}, or run scripts/setup)`);
  }
}

/** A run-wide profile must be possible on every stack asked for (a case's own pins are its needs instead). */
export function checkProfileOnStacks(profile: { name: string; sysctls: Record<string, string | number> }, stacks: StackName[]): void {
  for (const s of stacks) {
    for (const [key, value] of Object.entries(profile.sysctls)) {
      const problem = sysctlProblem(s, key, value);
      if (problem) throw new UsageError(`--profile ${profile.name}: ${problem} (stack ${s})`);
    }
  }
}

/** The environment that gives a run its stacks (read by harness/stacks/run-stacks.ts). */
export function stackEnv(all: StackName | null, hosts: Record<string, StackName>): Record<string, string> {
  return {
    ...(all ? { TCPLADDER_STACK: all } : {}),
    ...(Object.keys(hosts).length ? { TCPLADDER_HOST_STACKS: JSON.stringify(hosts) } : {}),
  };
}
