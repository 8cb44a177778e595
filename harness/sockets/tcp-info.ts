/** TCP_INFO (struct tcp_info, include/uapi/linux/tcp.h), the fields cases use. */
import { stateFromNumber, type TcpState } from '../observe/states.js';

export interface TcpInfo {
  state: TcpState;
  retransmits: number;
  options: { timestamps: boolean; sack: boolean; windowScale: boolean; ecn: boolean };
  sndWscale: number | null;
  rcvWscale: number | null;
  rtoUs: number;
  sndMss: number;
  rcvMss: number;
  unacked: number;
  lost: number;
  retrans: number;
  pmtu: number;
  rttUs: number;
  rttVarUs: number;
  sndCwnd: number;
  advMss: number;
  totalRetrans: number;
}

export const TCP_INFO_SIZE = 104;

export function decodeTcpInfo(b: Buffer): TcpInfo {
  const opts = b.readUInt8(5);
  const wscale = b.readUInt8(6);
  const ws = (opts & 4) !== 0;
  const u32 = (off: number) => (b.length >= off + 4 ? b.readUInt32LE(off) : 0);
  return {
    state: stateFromNumber(b.readUInt8(0)),
    retransmits: b.readUInt8(2),
    options: { timestamps: (opts & 1) !== 0, sack: (opts & 2) !== 0, windowScale: ws, ecn: (opts & 8) !== 0 },
    sndWscale: ws ? wscale & 0x0f : null,
    rcvWscale: ws ? wscale >> 4 : null,
    rtoUs: u32(8),
    sndMss: u32(16),
    rcvMss: u32(20),
    unacked: u32(24),
    lost: u32(32),
    retrans: u32(36),
    pmtu: u32(60),
    rttUs: u32(68),
    rttVarUs: u32(72),
    sndCwnd: u32(80),
    advMss: u32(84),
    totalRetrans: u32(100),
  };
}

/** Room for struct tcp_info of any kernel this project meets (Linux 6.18's is 248 bytes). */
export const TCP_INFO_MAX_SIZE = 512;

/** Every field of struct tcp_info by its C name (tcpi_state, tcpi_snd_cwnd, …), in order: [name, offset, bytes]. */
const FIELDS: readonly (readonly [string, number, 1 | 4 | 8])[] = [
  ['tcpi_state', 0, 1],
  ['tcpi_ca_state', 1, 1],
  ['tcpi_retransmits', 2, 1],
  ['tcpi_probes', 3, 1],
  ['tcpi_backoff', 4, 1],
  ['tcpi_options', 5, 1],
  ['tcpi_rto', 8, 4],
  ['tcpi_ato', 12, 4],
  ['tcpi_snd_mss', 16, 4],
  ['tcpi_rcv_mss', 20, 4],
  ['tcpi_unacked', 24, 4],
  ['tcpi_sacked', 28, 4],
  ['tcpi_lost', 32, 4],
  ['tcpi_retrans', 36, 4],
  ['tcpi_fackets', 40, 4],
  ['tcpi_last_data_sent', 44, 4],
  ['tcpi_last_ack_sent', 48, 4],
  ['tcpi_last_data_recv', 52, 4],
  ['tcpi_last_ack_recv', 56, 4],
  ['tcpi_pmtu', 60, 4],
  ['tcpi_rcv_ssthresh', 64, 4],
  ['tcpi_rtt', 68, 4],
  ['tcpi_rttvar', 72, 4],
  ['tcpi_snd_ssthresh', 76, 4],
  ['tcpi_snd_cwnd', 80, 4],
  ['tcpi_advmss', 84, 4],
  ['tcpi_reordering', 88, 4],
  ['tcpi_rcv_rtt', 92, 4],
  ['tcpi_rcv_space', 96, 4],
  ['tcpi_total_retrans', 100, 4],
  ['tcpi_pacing_rate', 104, 8],
  ['tcpi_max_pacing_rate', 112, 8],
  ['tcpi_bytes_acked', 120, 8],
  ['tcpi_bytes_received', 128, 8],
  ['tcpi_segs_out', 136, 4],
  ['tcpi_segs_in', 140, 4],
  ['tcpi_notsent_bytes', 144, 4],
  ['tcpi_min_rtt', 148, 4],
  ['tcpi_data_segs_in', 152, 4],
  ['tcpi_data_segs_out', 156, 4],
  ['tcpi_delivery_rate', 160, 8],
  ['tcpi_busy_time', 168, 8],
  ['tcpi_rwnd_limited', 176, 8],
  ['tcpi_sndbuf_limited', 184, 8],
  ['tcpi_delivered', 192, 4],
  ['tcpi_delivered_ce', 196, 4],
  ['tcpi_bytes_sent', 200, 8],
  ['tcpi_bytes_retrans', 208, 8],
  ['tcpi_dsack_dups', 216, 4],
  ['tcpi_reord_seen', 220, 4],
  ['tcpi_rcv_ooopack', 224, 4],
  ['tcpi_snd_wnd', 228, 4],
  ['tcpi_rcv_wnd', 232, 4],
  ['tcpi_rehash', 236, 4],
];

/**
 * TCP_INFO as named fields, the ones the kernel filled in (the struct grows with
 * kernel versions: a field beyond the returned length is absent). Bit fields are
 * split out: tcpi_snd_wscale, tcpi_rcv_wscale, tcpi_delivery_rate_app_limited,
 * tcpi_fastopen_client_fail.
 */
export function tcpInfoFields(b: Buffer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, off, size] of FIELDS) {
    if (b.length < off + size) break;
    out[name] = size === 1 ? b.readUInt8(off) : size === 4 ? b.readUInt32LE(off) : Number(b.readBigUInt64LE(off));
  }
  if (b.length >= 8) {
    out.tcpi_snd_wscale = b.readUInt8(6) & 0x0f;
    out.tcpi_rcv_wscale = b.readUInt8(6) >> 4;
    out.tcpi_delivery_rate_app_limited = b.readUInt8(7) & 1;
    out.tcpi_fastopen_client_fail = (b.readUInt8(7) >> 1) & 3;
  }
  return out;
}
