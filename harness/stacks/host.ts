/**
 * A host of a case as its stack runs it: the seam between a case and a TCP stack.
 * The wire and everything below never know which stack a host runs: they see a MAC
 * on a port. Above, the case sees system calls, Node sockets, programs and states.
 */
import type { HostSpec, Counters } from '../topology/index.js';
import type { Syscalls } from '../sockets/index.js';
import type { StackName, StateView } from './types.js';
import type { TcpState } from '../observe/index.js';
import type { NodeSockets } from './node-sockets.js';
import type { ProcessStarter } from './process.js';
import type { RunDelays } from './guest/cpu-wait.js';

/** State events a host reports itself (a guest's sampler), on this process's clock. */
export interface HostStateEvent {
  t: bigint;
  from: TcpState;
  to: TcpState;
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
}

export interface HostStates {
  /** every state event up to now has been delivered */
  settle(): Promise<void>;
  /** something happened in the case (a call on another host): look soon, without waiting */
  poke(): void;
  on(fn: (events: HostStateEvent[]) => void): () => void;
}

export interface StackHost {
  readonly stack: StackName;
  readonly spec: HostSpec;
  /** what runs the host: kernel release (linux, uml), runsc version (gvisor) */
  readonly version: string;
  readonly states: StateView;
  /** the guest that serves the host (a guest stack's), for the trace */
  readonly guest?: string;
  /** states the host reports itself; null: the machine's tracepoint (or sock_diag sampling) sees them */
  readonly stateSource: HostStates | null;
  readonly sys: Syscalls;
  readonly node: NodeSockets;
  readonly processes: ProcessStarter;
  /** the host's link up and usable (after the capture is attached) */
  up(): Promise<void>;
  /** the host stops sending: its side of the link goes down */
  down(): Promise<void>;
  /** frames of the host's end of its link and of its wire port since the case began */
  counters(): { host: Counters; port: Counters };
  readSysctls(keys: string[]): Promise<Record<string, string>>;
  /**
   * How long the threads that run the host's TCP have waited for a CPU so far, when they
   * are processes of their own (a guest's); null on linux, whose TCP runs in the kernel
   * wherever a packet arrives.
   */
  runDelays(): RunDelays | null;
  /** power loss: the host and its TCP state vanish, without FIN or RST */
  crash(): Promise<void>;
  /** back with the same addresses and MAC, no TCP state; its link down until up() */
  reboot(): Promise<void>;
  /** the case is over: the host goes (or goes back to its pool) */
  destroy(): Promise<void>;
  /** why the host is gone in the middle of a case (a guest that died), or null */
  readonly failure: Error | null;
  onFailure(fn: (e: Error) => void): () => void;
}
