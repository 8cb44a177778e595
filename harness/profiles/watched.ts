/**
 * The sysctls a bundle records per host: everything that changes what TCP puts on
 * the wire or how long its timers run. net.ipv4.tcp_* keys govern IPv6 TCP too
 * (one TCP stack); keys this kernel lacks are left out.
 */
import { readPresentSysctls } from '../topology/index.js';

export const WATCHED_SYSCTLS: readonly string[] = [
  'net.ipv4.tcp_abort_on_overflow',
  'net.ipv4.tcp_autocorking',
  'net.ipv4.tcp_base_mss',
  'net.ipv4.tcp_challenge_ack_limit',
  'net.ipv4.tcp_congestion_control',
  'net.ipv4.tcp_dsack',
  'net.ipv4.tcp_early_retrans',
  'net.ipv4.tcp_ecn',
  'net.ipv4.tcp_fastopen',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_max_tw_buckets',
  'net.ipv4.tcp_min_snd_mss',
  'net.ipv4.tcp_mtu_probing',
  'net.ipv4.tcp_orphan_retries',
  'net.ipv4.tcp_recovery',
  'net.ipv4.tcp_retries2',
  'net.ipv4.tcp_rfc1337',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_sack',
  'net.ipv4.tcp_syn_retries',
  'net.ipv4.tcp_synack_retries',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_timestamps',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_window_scaling',
  'net.ipv4.tcp_wmem',
];

/** The keys a trace records for a host: the watched ones plus `extra`, sorted. */
export function watchedKeys(extra: Iterable<string> = []): string[] {
  return [...new Set([...WATCHED_SYSCTLS, ...extra])].sort();
}

/** Values in force inside namespace `ns` for the watched keys plus `extra`, sorted by key; tabs become spaces. */
export function readHostSysctls(ns: string, extra: Iterable<string> = []): Record<string, string> {
  return readPresentSysctls(ns, watchedKeys(extra));
}
