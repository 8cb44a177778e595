/**
 * A socket as packetdrill tracks it (its socket.h): the script's view (fd, ISNs as
 * written) beside the live one (descriptor, addresses, ISNs on the wire), and the
 * mapping between the two. Sequence numbers of packets with SYN are absolute; the
 * others count from the ISN of their direction — the remote's is the script's own
 * (its SYN's number, sent as written), the local one is learnt from the host's
 * SYN or SYN-ACK.
 */
import type { Endpoint, TrackedSocket } from '../sockets/index.js';

export type SocketPhase =
  | 'new'
  | 'listening'
  | 'passive-packet-received'
  | 'passive-synack-sent'
  | 'passive-synack-acked'
  | 'active-connecting'
  | 'active-syn-sent'
  | 'active-syn-acked';

const u32 = (n: number) => n >>> 0;

export class ScriptSocket implements TrackedSocket {
  phase: SocketPhase;
  /** -1 until accept() hands it to the script */
  scriptFd = -1;
  liveFd = -1;
  /** the script asked for blocking calls (the live descriptor is always non-blocking) */
  blocking = true;
  closed = false;
  accepted = false;
  /** the connection's ports on the wire (the local host's, the peer's); 0 until known */
  localPort = 0;
  remotePort = 0;
  /** the descriptor's addresses as the local host's kernel reports them (for the trace) */
  local: Endpoint | null = null;
  remote: Endpoint | null = null;
  tupleSince = process.hrtime.bigint();
  liveLocalIsn = 0;
  scriptLocalIsn = 0;
  remoteIsn = 0;
  /** outbound TS val as written → as sent, to map inbound TS ecr */
  readonly tsVals = new Map<number, number>();
  /** the first outbound TS val: as written, as sent, how late (µs) its packet was, and how long its host had waited for a CPU before it (µs) */
  firstTs: { script: number; live: number; lateUs: number; heldUs: number } | null = null;

  /** fd<script fd> once the script holds it */
  label = '';

  constructor(
    readonly host: { name: string },
    phase: SocketPhase,
    private readonly closeLive: (fd: number) => void,
  ) {
    this.phase = phase;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  forceClose(): void {
    if (this.closed || this.liveFd < 0) return;
    this.closed = true;
    this.closeLive(this.liveFd);
  }

  inboundSeq(scriptSeq: number, syn: boolean): number {
    return u32(scriptSeq + (syn ? 0 : this.remoteIsn));
  }

  inboundAck(scriptAck: number, syn: boolean): number {
    return u32(scriptAck + (syn ? this.liveLocalIsn - this.scriptLocalIsn : this.liveLocalIsn));
  }

  outboundSeq(liveSeq: number, syn: boolean): number {
    return u32(liveSeq - (syn ? this.liveLocalIsn - this.scriptLocalIsn : this.liveLocalIsn));
  }

  outboundAck(liveAck: number, syn: boolean): number {
    return u32(liveAck - (syn ? 0 : this.remoteIsn));
  }

  /** A SACK block edge the host sent, in the script's numbers. */
  outboundSackEdge(live: number): number {
    return u32(live - this.remoteIsn);
  }

  /** A SACK block edge the script sends, on the wire. */
  inboundSackEdge(script: number): number {
    return u32(script + this.liveLocalIsn);
  }

  /** Learn an outbound timestamp: the script's value for it and the value on the wire. */
  learnTs(scriptVal: number, liveVal: number, lateUs = 0, heldUs = 0): void {
    this.tsVals.set(scriptVal, liveVal);
    this.firstTs ??= { script: scriptVal, live: liveVal, lateUs, heldUs };
  }

  /** A live TS val in the script's space (packetdrill rewrites the actual packet so). */
  scriptTsVal(live: number): number {
    return this.firstTs ? u32(this.firstTs.script + (live - this.firstTs.live)) : live;
  }
}
