/**
 * What each stack can do for a case: see states exactly, hold which sysctls at which
 * values, carry which MTU on its NIC. A case's needs (`tcpCase(…, { needs: [...] })`)
 * and the sysctls it or its profile pins are checked against them before its hosts are
 * made.
 *
 * gVisor's sysctls are a short fixed list (measured with runsc 0.0~20221219 and checked by
 * test/stacks/capabilities.test.ts): some writable, some present but read-only (a pin to
 * their value holds, any other cannot), the rest absent. User-Mode Linux is Linux 6.1: its
 * sysctls are found out by setting them in the case's namespace (agent begin).
 */
import { InputError } from '../input-error.js';
import { NotApplicable } from './not-applicable.js';
import { rootless } from '../topology/privilege.js';
import type { StackName } from './types.js';

/** gVisor: writable keys. */
export const GVISOR_WRITABLE = new Set(['net.ipv4.tcp_sack', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.ipv4.tcp_recovery', 'net.ipv4.ip_local_port_range']);

/** gVisor: present but read-only keys, with the value they hold. */
export const GVISOR_FIXED: Record<string, string> = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.tcp_base_mss': '1280',
  'net.ipv4.tcp_congestion_control': 'reno',
  'net.ipv4.tcp_dsack': '0',
  'net.ipv4.tcp_early_retrans': '0',
  'net.ipv4.tcp_fastopen': '0',
  'net.ipv4.tcp_keepalive_intvl': '0',
  'net.ipv4.tcp_keepalive_probes': '0',
  'net.ipv4.tcp_keepalive_time': '7200',
  'net.ipv4.tcp_mtu_probing': '0',
  'net.ipv4.tcp_retries2': '15',
  'net.ipv4.tcp_rfc1337': '1',
  'net.ipv4.tcp_syn_retries': '3',
  'net.ipv4.tcp_synack_retries': '5',
  'net.ipv4.tcp_timestamps': '1',
};

/** Why `stack` cannot hold sysctl `key` at `value`, or null when it can. */
export function sysctlProblem(stack: StackName, key: string, value: string | number): string | null {
  if (stack !== 'gvisor') return null;
  if (GVISOR_WRITABLE.has(key)) return null;
  const fixed = GVISOR_FIXED[key];
  if (fixed === undefined) return `gvisor has no sysctl ${key}`;
  return fixed === String(value).trim() ? null : `gvisor's ${key} is read-only (${fixed}), the case needs ${value}`;
}

/**
 * The largest MTU a guest's NIC takes (measured, and checked by test/stacks/mtu.test.ts):
 * UML's vector NIC refuses more than 1500 ("mtu greater than device maximum"); gVisor's
 * netstack lets no MTU be set (SIOCSIFMTU: inappropriate ioctl for device).
 */
export const GUEST_MAX_MTU: Record<Exclude<StackName, 'linux'>, number | null> = { uml: 1500, gvisor: null };

/** Why a host of `stack` cannot have its link's MTU set to `mtu`, or null when it can. */
export function mtuProblem(stack: StackName, mtu: number): string | null {
  if (stack === 'linux') return null;
  const max = GUEST_MAX_MTU[stack];
  if (max === null) return `${stack}'s NIC takes no MTU`;
  return mtu > max ? `${stack}'s NIC takes an MTU of at most ${max}` : null;
}

const NEED = /^(states:exact|sysctl:[a-z0-9_.]+(=.+)?|mtu:[0-9]{1,5})$/;

/** Validate a case's needs (bad input when malformed). */
export function checkNeeds(needs: readonly string[]): void {
  for (const n of needs) {
    if (!NEED.test(n)) throw new InputError(`needs: "${n}" is not a need (states:exact, sysctl:KEY, sysctl:KEY=VALUE or mtu:BYTES)`);
  }
}

/**
 * The reason a host of `stack` cannot run a case that needs `needs` and pins `sysctls`, or null.
 * `stack` is the host's; `host` names it in the reason.
 */
export function notApplicable(host: string, stack: StackName, needs: readonly string[], sysctls: Record<string, string | number>): NotApplicable | null {
  for (const n of needs) {
    if (n === 'states:exact' && (stack !== 'linux' || rootless())) {
      const how = stack === 'linux' ? 'rootless runs sample states through sock_diag' : stack === 'uml' ? 'uml has no tracepoint: states are sampled' : 'gvisor shows states only through TCP_INFO on open descriptors';
      return new NotApplicable(`needs states:exact, and ${how} (host ${host})`);
    }
    if (n.startsWith('sysctl:')) {
      const [key, value] = n.slice('sysctl:'.length).split('=');
      const problem = value === undefined ? (stack === 'gvisor' && !GVISOR_WRITABLE.has(key) ? `gvisor cannot set ${key}` : null) : sysctlProblem(stack, key, value);
      if (problem) return new NotApplicable(`needs ${n}: ${problem} (host ${host})`);
    }
    if (n.startsWith('mtu:')) {
      const problem = mtuProblem(stack, Number(n.slice('mtu:'.length)));
      if (problem) return new NotApplicable(`needs ${n}: ${problem} (host ${host})`);
    }
  }
  for (const [key, value] of Object.entries(sysctls)) {
    const problem = sysctlProblem(stack, key, value);
    if (problem) return new NotApplicable(`pins ${key}=${value}: ${problem} (host ${host})`);
  }
  return null;
}
