/**
 * bundle.json: a run's results in a portable, normalised form — what `tcpladder
 * diff` compares. No ISNs, ports, addresses or absolute times: two runs of the same
 * cases under the same kernel and profile give the same bundle apart from `run`
 * and `createdAt`. Validated with zod whenever one is read.
 */
import { z } from 'zod';

export const BUNDLE_FORMAT = 'tcpladder-bundle';
export const BUNDLE_VERSION = 1;

const Name = z.string().min(1).max(200);

/**
 * One segment, or a block of data segments (`data` set): consecutive data-only
 * segments of one direction, with the bare ACKs between them left out (their
 * number and place depend on timing, not on the stack). See normalise-segments.ts.
 */
export const BundleSegment = z.strictObject({
  conn: z.number().int().min(1),
  from: Name,
  to: Name,
  /** "SYN", "SYN ACK", "FIN PSH ACK", "RST ACK"; a data block: the flags all its segments share (PSH left out) */
  flags: z.string().max(40),
  /** relative to the sender's ISN */
  seq: z.number().int().min(0),
  /** relative to the receiver's ISN; absent without the ACK flag and for data blocks */
  ack: z.number().int().min(0).optional(),
  /** payload bytes (a data block: all its segments together) */
  len: z.number().int().min(0),
  /** window field: kept on SYNs (unscaled there) and when it is 0 */
  win: z.number().int().min(0).optional(),
  /** options in wire order: "mss 1460,sackOK,ts,nop,wscale 7" (timestamp values left out, SACK blocks relative) */
  opts: z.string().max(500).optional(),
  /** what the wire or the capture analysis said: retransmission, dropped, held, injected… */
  marks: z.array(z.string().max(40)).max(10).optional(),
  /** a data block: its largest segment (how the bytes were cut into segments depends on timing) */
  data: z.strictObject({ maxLen: z.number().int().min(1) }).optional(),
});

export const BundleSocket = z.strictObject({
  /** "client#1": host name and creation order */
  label: Name,
  host: Name,
  /** "server:8080", "client:eph" (an ephemeral port), null before bind/connect */
  local: z.string().max(200).nullable(),
  remote: z.string().max(200).nullable(),
  /** states entered, in order (as toHaveStates lists them) */
  states: z.array(z.string().max(20)),
  /** socket calls in the order they were made: "connect(server:8080) → ok", "read(to EOF) → ECONNRESET" */
  calls: z.array(z.string().max(500)),
});

export const BundleHost = z.strictObject({
  name: Name,
  profile: z.string().max(100).nullable(),
  /** the TCP stack the host ran (absent: linux) */
  stack: z.enum(['linux', 'uml', 'gvisor']).optional(),
  /** sysctls whose value differs from the bundle's common `sysctls` (absent: none differs) */
  sysctls: z.record(z.string(), z.string()).optional(),
});

export const BundleCase = z.strictObject({
  /** "three-way handshake [ipv4]": the case name and family, unique in a bundle */
  id: Name,
  case: Name,
  family: z.enum(['ipv4', 'ipv6']),
  file: z.string().max(500),
  status: z.enum(['passed', 'failed', 'known-failure', 'not-applicable']),
  error: z.string().max(2000).optional(),
  hosts: z.array(BundleHost),
  segments: z.array(BundleSegment),
  sockets: z.array(BundleSocket),
  /** milliseconds, by name: "client#1 TIME_WAIT", "conn 1 client > server SYN seq=0 retransmission 1" */
  timers: z.record(z.string(), z.number().min(0)),
});

export const Bundle = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  run: z.string().max(100),
  createdAt: z.string().max(40),
  tool: z.strictObject({ name: z.string(), version: z.string(), node: z.string() }),
  system: z.strictObject({
    kernelRelease: z.string(),
    kernelVersion: z.string(),
    machine: z.string(),
    distribution: z.strictObject({ id: z.string(), versionId: z.string(), prettyName: z.string() }),
  }),
  /** the run-wide profile (`tcpladder run --profile`), null when none */
  profile: z.string().nullable(),
  /** the definitions of every profile the run used, so the bundle explains itself */
  profiles: z.record(z.string(), z.strictObject({ description: z.string(), sysctls: z.record(z.string(), z.union([z.number(), z.string()])) })),
  /** each watched sysctl's most common value over the run's hosts; a host lists only where it differs */
  sysctls: z.record(z.string(), z.string()),
  /** how the run saw states: absent, the tracepoint; 'sampled', sampling (a rootless run, a guest: short states unseen) */
  states: z.literal('sampled').optional(),
  /** the stacks its hosts ran, with what runs each (kernel release, runsc version); absent: linux only */
  stacks: z.record(z.string(), z.string()).optional(),
  cases: z.array(BundleCase),
});

export type BundleSegment = z.infer<typeof BundleSegment>;
export type BundleSocket = z.infer<typeof BundleSocket>;
export type BundleHost = z.infer<typeof BundleHost>;
export type BundleCase = z.infer<typeof BundleCase>;
export type Bundle = z.infer<typeof Bundle>;
