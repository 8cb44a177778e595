/**
 * trace.json: everything one case run saw, in one self-describing file. The report,
 * the ladder and the diff read only this. Times are seconds since the case started.
 */
import type { TcpOption } from '../packet/index.js';
import type { SocketCall } from '../sockets/index.js';

/** A decoded option as JSON: the option body, where kept, as hex. */
export type TraceOption = Omit<TcpOption, 'raw'> & { raw?: string };

export interface TraceSegment {
  /** frame number in wire.pcap, 1-based */
  n: number;
  t: number;
  from: string;
  to: string;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** absolute, as on the wire */
  seq: number;
  ack: number;
  /** relative to the ISN of the sender's direction (ack: of the receiver's) */
  rseq: number;
  rack: number;
  /** flag names, e.g. "SYN ACK" */
  flags: string;
  win: number;
  len: number;
  options: TraceOption[];
  /** connection number within the case, from 1 */
  conn: number;
  marks?: string[];
  /** held or delayed by a wire rule: ms until it went out */
  heldMs?: number;
  malformed?: string;
  /** the line of the packetdrill script that sent (inbound) or expected (outbound) this segment */
  line?: number;
}

export interface TraceOtherFrame {
  n: number;
  t: number;
  from: string;
  summary: string;
}

export interface TraceTransition {
  t: number;
  from: string;
  to: string;
  source: string;
}

export interface TraceSocket {
  label: string;
  host: string;
  local: string | null;
  remote: string | null;
  transitions: TraceTransition[];
}

/** A socket call as recorded, with its start in seconds since the case started. */
export type TraceCall = Omit<SocketCall, 't'> & {
  t: number;
  /** the line of the packetdrill script that made the call */
  line?: number;
};

export interface TraceKernelEvent {
  t: number;
  kind: string;
  tuple: string;
  state?: string;
}

export interface TraceHost {
  name: string;
  ipv4: string;
  ipv6: string;
  mac: string;
  /** the sysctl profile applied to this host (cases/profiles/), null for the kernel's defaults */
  profile?: string | null;
  /** TCP sysctls in force in this host's namespace, read after they were applied */
  sysctls?: Record<string, string>;
  /** the TCP stack the host ran: linux (a namespace of this machine's kernel), uml, gvisor */
  stack?: 'linux' | 'uml' | 'gvisor';
  /** kernel release (linux, uml) or runsc version (gvisor) */
  version?: string;
  /**
   * how its sockets' states were seen: traced (tracepoint), sampled (sock_diag, about once
   * a ms), descriptors (TCP_INFO on the descriptors the case held, gVisor)
   */
  states?: 'traced' | 'sampled' | 'descriptors';
  /** the guest that served the host (its pool's name for it) */
  guest?: string;
}

export interface TraceWireCheck {
  /**
   * per host: frames its interface sent, frames the sidecar captured from it, frames
   * delivered to it and received by it; of those delivered, frames the wire port dropped
   * while the host's link was not up (coming up, going down, gone: expected) and while
   * it was up (a loss)
   */
  ports: { host: string; sent: number; captured: number; delivered: number; received: number; droppedBeforeUp: number; droppedWhileUp?: number }[];
  complete: boolean;
  problem?: string;
}

export interface CaseTrace {
  version: 1;
  case: string;
  file: string;
  family: 'ipv4' | 'ipv6';
  /**
   * passed; failed; known-failure (its failing expectation is listed with why in
   * cases/stacks/<stack>.json); not-applicable (a host's stack lacks what it needs)
   */
  status: 'passed' | 'failed' | 'known-failure' | 'not-applicable';
  /** why a known failure fails, or why the case is not applicable */
  why?: string;
  /** the listed expectation a known failure fails on */
  known?: { matcher: string; expected: string };
  /** expectations that failed, or that the stack could not observe (neither passed nor failed) */
  expectations?: { matcher: string; expected: string; subject: string; outcome: 'passed' | 'failed' | 'not observable'; reason?: string; line?: number }[];
  error?: string;
  /** 'input': the case failed on bad input in its case file or profile (an InputError), not on what the kernel did */
  errorKind?: 'input';
  startedAt: string;
  durationMs: number;
  hosts: TraceHost[];
  segments: TraceSegment[];
  otherFrames: TraceOtherFrame[];
  sockets: TraceSocket[];
  calls: TraceCall[];
  /**
   * How state changes were seen: the state tracepoint (as root), or sock_diag sampled
   * about once a ms (rootless: no tracefs; states shorter than a gap are missed, and
   * kernelEvents stays empty). sampleMs: the gaps between samples.
   */
  states?: { source: 'tracepoint' | 'sampled'; sampleMs?: { median: number; max: number; samples: number } };
  kernelEvents: TraceKernelEvent[];
  wire: TraceWireCheck | null;
  /** wire rules the case set, in order */
  rules?: { id: string; t: number; action: string; pattern: string; until?: string; ms?: number; count?: number; nth?: number }[];
  /** file names inside the case folder */
  files: { pcap: string; ladder: string; svg?: string; mermaid?: string };
}

export interface RunSummary {
  version: 1;
  run: string;
  startedAt: string;
  durationMs: number;
  kernel: string;
  node: string;
  passed: number;
  failed: number;
  /** failures listed, with why, in cases/stacks/<stack>.json: not counted as failed */
  knownFailures?: number;
  notApplicable?: number;
  cases: {
    case: string;
    family: string;
    file: string;
    status: CaseTrace['status'];
    durationMs: number;
    dir: string;
    /** the stacks its hosts ran */
    stacks?: string[];
    error?: string;
    errorKind?: 'input';
    /** a known failure's or a not-applicable case's reason */
    why?: string;
    known?: { matcher: string; expected: string };
  }[];
}
