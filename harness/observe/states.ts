/** TCP state names as tcpladder writes them (RFC 793 spelling, Linux's set). */
export const STATES = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2',
  'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
] as const;
export type TcpState = (typeof STATES)[number];

/** Linux's numbering (include/net/tcp_states.h). */
const BY_NUMBER: Record<number, TcpState> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT_1', 5: 'FIN_WAIT_2', 6: 'TIME_WAIT',
  7: 'CLOSED', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'SYN_RECV',
};

export function stateFromNumber(n: number): TcpState {
  return BY_NUMBER[n] ?? 'CLOSED';
}

/** "TCP_FIN_WAIT1" → "FIN_WAIT_1" */
export function stateFromKernelName(name: string): TcpState {
  const bare = name.replace(/^TCP_/, '');
  switch (bare) {
    case 'CLOSE': return 'CLOSED';
    case 'FIN_WAIT1': return 'FIN_WAIT_1';
    case 'FIN_WAIT2': return 'FIN_WAIT_2';
    case 'NEW_SYN_RECV': return 'SYN_RECV';
    default:
      if ((STATES as readonly string[]).includes(bare)) return bare as TcpState;
      throw new Error(`unknown TCP state ${name}`);
  }
}

export function isTcpState(s: string): s is TcpState {
  return (STATES as readonly string[]).includes(s);
}
