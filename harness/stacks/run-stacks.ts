/**
 * The run's stacks, as `tcpladder run --stack` sets them for every host of every case
 * that pins none: TCPLADDER_STACK (all hosts) and TCPLADDER_HOST_STACKS (JSON, per host name).
 */
import { isStackName, type StackName } from './types.js';

export interface RunStacks {
  all: StackName | null;
  hosts: Record<string, StackName>;
}

export function runStacks(env: NodeJS.ProcessEnv = process.env): RunStacks {
  const all = env.TCPLADDER_STACK?.trim() || null;
  const hosts = env.TCPLADDER_HOST_STACKS ? (JSON.parse(env.TCPLADDER_HOST_STACKS) as Record<string, string>) : {};
  for (const s of [all, ...Object.values(hosts)]) {
    if (s !== null && !isStackName(s)) throw new Error(`unknown stack "${s}" in TCPLADDER_STACK / TCPLADDER_HOST_STACKS`);
  }
  return { all: all as StackName | null, hosts: hosts as Record<string, StackName> };
}
