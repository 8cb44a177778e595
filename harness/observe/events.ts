/** Parsing of the tracepoint lines tcpladder enables (default print formats). */
import { stateFromKernelName, type TcpState } from './states.js';

export interface Tuple {
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
}

export type KernelEvent =
  | ({ kind: 'state'; t: bigint; from: TcpState; to: TcpState; source?: 'sampled' } & Tuple)
  | ({ kind: 'send_reset' | 'receive_reset' | 'retransmit' | 'destroy'; t: bigint; state?: TcpState } & Tuple)
  | { kind: 'marker'; t: bigint; text: string };

const LINE = /^\s*.+?\s+\[\d+\]\s+\S+\s+(\d+)\.(\d+):\s+(\w+):\s+(.*)$/;

function fields(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of body.matchAll(/(\w+)=(\S+)/g)) out[m[1]] = m[2];
  return out;
}

function seconds(sec: string, frac: string): bigint {
  return BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}

/** "[fd74::1]:8080" or "198.18.0.1:8080" → address, port */
function splitAddrPort(s: string | undefined): [string, number] {
  if (!s) return ['', 0];
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(s);
  return m ? [m[1], Number(m[2])] : [s, 0];
}

function tupleOf(f: Record<string, string>): Tuple {
  if (f.src !== undefined) {
    const [saddr, sport] = splitAddrPort(f.src);
    const [daddr, dport] = splitAddrPort(f.dest);
    return { saddr, sport, daddr, dport };
  }
  const v6 = f.family === 'AF_INET6';
  return {
    saddr: v6 ? f.saddrv6 : f.saddr,
    sport: Number(f.sport),
    daddr: v6 ? f.daddrv6 : f.daddr,
    dport: Number(f.dport),
  };
}

const KINDS: Record<string, 'send_reset' | 'receive_reset' | 'retransmit' | 'destroy'> = {
  tcp_send_reset: 'send_reset',
  tcp_receive_reset: 'receive_reset',
  tcp_retransmit_skb: 'retransmit',
  tcp_destroy_sock: 'destroy',
};

export function parseTraceLine(line: string): KernelEvent | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const t = seconds(m[1], m[2]);
  const name = m[3];
  const body = m[4];
  if (name === 'tracing_mark_write') return { kind: 'marker', t, text: body.trim() };
  const f = fields(body);
  if (name === 'inet_sock_set_state') {
    if (f.protocol !== 'IPPROTO_TCP') return null;
    return { kind: 'state', t, from: stateFromKernelName(f.oldstate), to: stateFromKernelName(f.newstate), ...tupleOf(f) };
  }
  const kind = KINDS[name];
  if (!kind) return null;
  return { kind, t, state: f.state && f.state !== 'UNKNOWN' ? stateFromKernelName(f.state) : undefined, ...tupleOf(f) };
}
