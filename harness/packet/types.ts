/** Public types of the packet layer. Everything else in harness/ sees packets through these. */

/** LINKTYPE_* values as in pcap/pcapng headers. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface TcpOption {
  kind: number;
  /** eol nop mss wscale sackOK sack ts md5 ao mptcp fastopen exp unknown */
  name: string;
  /** length byte as on the wire (1 for EOL/NOP) */
  length: number;
  mss?: number;
  wscale?: number;
  tsval?: number;
  tsecr?: number;
  /** SACK blocks flattened: [left1, right1, left2, right2, …] */
  sack?: number[];
  /** option body bytes (after kind and length) for kinds without a structured decoding */
  raw?: Uint8Array;
  /** MPTCP (30): the subtype, high nibble of the first body byte */
  subtype?: number;
  /** experimental options (253/254, RFC 6994): the 16-bit ExID when the body has one */
  exid?: number;
}

export interface TcpHeader {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** header length in 32-bit words */
  dataOffset: number;
  /** flag bits: FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
  flags: number;
  /** flag letters in the order F S R P A U E C, e.g. "SA" for SYN-ACK, "FA" for FIN-ACK */
  flagString: string;
  win: number;
  checksum: number;
  urgent: number;
  options: TcpOption[];
  /** offset of the payload within the frame's bytes */
  payloadOffset: number;
  /** payload length taken from the IP length (not from the captured length) */
  payloadLength: number;
}

export interface EthernetHeader {
  src: string; // "02:00:00:00:00:01"
  dst: string;
  etherType: number;
  vlans: number[];
}

/** Linux cooked capture header (LINKTYPE_LINUX_SLL / LINUX_SLL2). */
export interface SllHeader {
  /** 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us */
  packetType: number;
  /** ARPHRD_* type of the interface */
  arphrd: number;
  /** link-layer source address (MAC for Ethernet interfaces) */
  address: string;
  /** ethertype of the payload */
  protocol: number;
  /** interface index (SLL2 only) */
  ifindex?: number;
}

export interface ArpPacket {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface IpHeader {
  version: 4 | 6;
  src: string; // dotted quad, or RFC 5952 compressed IPv6
  dst: string;
  /** protocol (IPv4) or the final next-header after the extension chain (IPv6) */
  protocol: number;
  ttl: number;
  /** IPv4 total length or IPv6 40 + payload length */
  totalLength: number;
  headerLength: number;
  /** true for any fragment (MF set or offset != 0, or an IPv6 fragment header) */
  fragment: boolean;
  tos: number;
  id?: number;
  dontFragment?: boolean;
  flowLabel?: number;
  /** byte offset of the IP header within the frame */
  offset?: number;
}

export interface DecodedFrame {
  linkType: number;
  eth?: EthernetHeader;
  sll?: SllHeader;
  arp?: ArpPacket;
  ip?: IpHeader;
  tcp?: TcpHeader;
  /** non-TCP transport, e.g. "ICMPv6 type 143" or "UDP 5353" */
  other?: string;
  /** null when the frame decoded cleanly; otherwise the reason, e.g. "tcp option 2 length 1 < 2" */
  malformed: string | null;
}

/** A frame as captured, before decoding. */
export interface CapturedFrame {
  /** capture time, nanoseconds since the Unix epoch */
  time: bigint;
  data: Uint8Array;
  /** length on the wire (>= data.length when truncated by a snaplen) */
  origLength: number;
  linkType: number;
  /** pcapng interface index, 0 for pcap */
  iface?: number;
}
