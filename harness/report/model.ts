/**
 * The ladder model: what every ladder renderer (text, SVG) draws.
 * Builders turn a case trace or any capture into this; renderers know nothing else.
 */

export interface LadderColumn {
  /** host name shown as the column heading, e.g. "client" */
  name: string;
  /** optional second heading line, e.g. "198.18.0.1" */
  address?: string;
}

/** How a segment fared on the wire. */
export type SegmentMark =
  | 'dropped'        // lost by a wire rule: arrow ends in ✕
  | 'held'           // kept by the wire until another segment was seen
  | 'delayed'
  | 'duplicated'     // the copy made by the wire
  | 'retransmission'
  | 'out-of-order'
  | 'injected';      // sent by a scripted peer

export interface LadderSegment {
  kind: 'segment';
  /** seconds since the start of the case / capture */
  t: number;
  /** column indexes */
  from: number;
  to: number;
  /** e.g. "SYN" "SYN ACK" "FIN ACK" "RST ACK" "PSH ACK" */
  flags: string;
  /** relative sequence numbers of the sender's direction */
  seq: number;
  ack: number | null;
  len: number;
  win?: number;
  /** short option text, e.g. "mss 1460,sackOK,ts,nop,wscale 7" */
  options?: string;
  marks?: SegmentMark[];
  /** e.g. "held 12 ms" */
  note?: string;
  /** frame number in the pcap (1-based) */
  frame?: number;
  /** connection number when a ladder shows several connections */
  conn?: number;
  /** the line of the packetdrill script that sent or expected it */
  line?: number;
}

export interface LadderState {
  kind: 'state';
  t: number;
  column: number;
  /** socket label when a host has several sockets, e.g. "listener :8080" */
  socket?: string;
  state: string;
  /** where the transition was seen: tracepoint, sock_diag, tcp_info */
  source?: string;
}

export interface LadderNote {
  kind: 'note';
  t: number;
  column: number | null;
  text: string;
}

export type LadderRow = LadderSegment | LadderState | LadderNote;

export interface Ladder {
  title?: string;
  columns: LadderColumn[];
  /** rows in time order */
  rows: LadderRow[];
}
