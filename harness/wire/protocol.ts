/**
 * The sidecar's control protocol over a Unix socket: requests are newline-delimited
 * JSON; the sidecar answers with length-prefixed messages, JSON or binary frame
 * batches (frame-stream.ts). The same protocol serves the local sidecar process and
 * the Compose container.
 */
import { z } from 'zod';
import { RuleSpec } from './rule-spec.js';

export const PortSpec = z.object({
  /** interface name inside the wire namespace */
  ifname: z.string().min(1).max(15),
  /** MAC of the host behind this port: frames from it are captured here */
  hostMac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
  /** host name, for logs */
  host: z.string(),
});
export type PortSpec = z.infer<typeof PortSpec>;

export const Request = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('attach'),
    id: z.number(),
    session: z.string().min(1),
    /** path of the wire namespace, e.g. /run/netns/tcpl-…-wire */
    netns: z.string().min(1),
    ports: z.array(PortSpec).min(2),
    pcap: z.string().min(1),
    /** bytes of each frame streamed back to the harness (the pcap keeps all) */
    snap: z.number().int().min(0).max(65535).default(256),
    /** relay: the sidecar forwards (rules possible); bridge: a kernel bridge forwards, the sidecar records */
    mode: z.enum(['relay', 'bridge']).default('relay'),
  }),
  z.object({ op: z.literal('detach'), id: z.number(), session: z.string(), expect: z.array(z.number()).optional() }),
  /** a frame made by a scripted peer, entering the wire as if sent by the host behind `from` */
  z.object({ op: z.literal('inject'), id: z.number(), session: z.string(), from: z.number().int(), data: z.string() }),
  z.object({ op: z.literal('rule'), id: z.number(), session: z.string(), rule: RuleSpec }),
  /** cut (or mend) the link of the host behind `port`: nothing passes either way */
  z.object({ op: z.literal('cut'), id: z.number(), session: z.string(), port: z.number().int(), cut: z.boolean() }),
  /** open the port again after its host's link was made anew (a rebooted host) */
  z.object({ op: z.literal('reopen'), id: z.number(), session: z.string(), port: z.number().int() }),
  /** stop capturing on a port whose link is about to vanish (a crashing host) */
  z.object({ op: z.literal('unplug'), id: z.number(), session: z.string(), port: z.number().int() }),
  /**
   * The first request of a connection. cpus: where the sidecar is to run, not on the CPU
   * where the harness's namespace hosts take in what the relay sends them
   * (topology/cpus.ts); a sidecar serves one harness process, local or in Compose.
   */
  z.object({ op: z.literal('ping'), id: z.number(), cpus: z.array(z.number().int().min(0)).min(1).optional() }),
  /** answered, with the ports' counts, once the frames already waiting in the capture buffers have been streamed */
  z.object({ op: z.literal('sync'), id: z.number(), session: z.string(), expect: z.array(z.number()).optional() }),
]);
export type Request = z.infer<typeof Request>;

export interface PortStats {
  host: string;
  /** frames captured from the host behind this port */
  captured: number;
  /** frames sent out of this port towards its host */
  delivered: number;
  /** of those, frames the kernel refused (its host's link down, the port gone, a drop) */
  refused: number;
}

export type Reply =
  | { type: 'ok'; id: number; stats?: PortStats[]; version?: string }
  | { type: 'error'; id: number; message: string };

/** A frame seen on the wire, streamed to the harness as it is relayed. */
export interface FrameEvent {
  type: 'frame';
  session: string;
  /** 1-based frame number in the session's pcap */
  n: number;
  /** capture time, monotonic ns (CLOCK_MONOTONIC) */
  time: bigint;
  /** index of the port (host) the frame came from */
  port: number;
  /** ports it was delivered to */
  to: number[];
  length: number;
  /** the first `snap` bytes */
  data: Buffer;
  /** what the wire did with it, when not a plain relay */
  fate?: Fate;
  /** the rule that decided the fate */
  rule?: string;
  /** held by a hold whose trigger had already gone by, at this time (monotonic ns) */
  triggerPassed?: bigint;
}

export type Fate = 'dropped' | 'held' | 'delayed' | 'duplicated' | 'injected' | 'cut';

/** A held or delayed frame went out after `ms`. */
export interface ReleaseEvent {
  type: 'release';
  session: string;
  n: number;
  ms: number;
}

/** The sidecar's JSON messages; frames come in binary batches (frame-stream.ts), one per turn of its event loop. */
export type SidecarMessage = Reply | ReleaseEvent | { type: 'log'; message: string };
