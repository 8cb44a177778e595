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
