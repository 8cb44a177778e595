/**
 * The sidecar's control protocol: newline-delimited JSON over a Unix socket.
 * The same protocol serves the local sidecar process and the Compose container.
 */
import { z } from 'zod';

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
  }),
  z.object({ op: z.literal('detach'), id: z.number(), session: z.string(), expect: z.array(z.number()).optional() }),
  z.object({ op: z.literal('inject'), id: z.number(), session: z.string(), port: z.number().int(), data: z.string() }),
  z.object({ op: z.literal('ping'), id: z.number() }),
]);
export type Request = z.infer<typeof Request>;

export interface PortStats {
  host: string;
  /** frames captured from the host behind this port */
  captured: number;
  /** frames sent out of this port towards its host */
  delivered: number;
  /** of those, sends the kernel refused (the host's link was down) */
  sendFailed: number;
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
  /** capture time, monotonic ns (CLOCK_MONOTONIC), as a decimal string */
  time: string;
  /** index of the port (host) the frame came from */
  port: number;
  /** ports it was delivered to */
  to: number[];
  length: number;
  /** base64 of the first `snap` bytes */
  data: string;
}

export type SidecarMessage = Reply | FrameEvent | { type: 'log'; message: string };
