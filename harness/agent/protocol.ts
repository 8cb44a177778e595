/**
 * The agent's line protocol: one JSON object per line, both ways. Requests carry an
 * id and get exactly one reply with that id; events (states seen, Node socket events,
 * program output) come unasked. Bytes travel as base64. Requests are validated by the
 * agent (they come from outside its process), with zod's small build: the agent starts
 * inside a guest, where loading the full zod took seconds.
 */
import * as z from 'zod/mini';

const Base64 = z.string();

/** An argument of a system call: a number, bytes, or a name (the label of a setsockopt in errors). */
export const SysArg = z.union([z.number(), z.string(), z.strictObject({ b64: Base64 }), z.null()]);
export type SysArg = z.infer<typeof SysArg>;

/** The case's network inside the guest. */
export const CaseNet = z.object({
  /** the guest's NIC as the kernel names it (vec0 in UML, eth0 in gVisor) */
  nic: z.string(),
  /** the name the case sees it under (eth0; packetdrill scripts want tun0) */
  ifname: z.string(),
  /** UML: a fresh network namespace for the case, named so; gVisor cannot, null */
  namespace: z.nullable(z.string()),
  addresses: z.array(z.object({ address: z.string(), prefix: z.int() })),
  neighbours: z.array(z.object({ address: z.string(), mac: z.string() })),
  sysctls: z.record(z.string(), z.string()),
  /** textual prefixes of the case's subnets: the sockets whose states are reported */
  prefixes: z.array(z.string()),
});
export type CaseNet = z.infer<typeof CaseNet>;

export const Request = z.discriminatedUnion('op', [
  z.object({ id: z.number(), op: z.literal('hello') }),
  z.object({ id: z.number(), op: z.literal('clock') }),
  z.object({ id: z.number(), op: z.literal('begin'), net: CaseNet }),
  z.object({ id: z.number(), op: z.literal('end') }),
  /** wait until the case's addresses are usable (after its link came up) */
  z.object({ id: z.number(), op: z.literal('ready') }),
  /** began: the agent says so ('began' event) as it makes the call, before its reply (a call that may block) */
  z.object({ id: z.number(), op: z.literal('sys'), call: z.string(), args: z.array(SysArg), began: z.optional(z.boolean()) }),
  z.object({ id: z.number(), op: z.literal('sample') }),
  z.object({ id: z.number(), op: z.literal('poke') }),
  z.object({ id: z.number(), op: z.literal('sysctl-read'), keys: z.array(z.string()) }),
  z.object({ id: z.number(), op: z.literal('sysctl-write'), values: z.record(z.string(), z.string()) }),
  z.object({
    id: z.number(),
    op: z.literal('spawn'),
    command: z.string(),
    args: z.array(z.string()),
    env: z.record(z.string(), z.string()),
    cwd: z.optional(z.string()),
  }),
  z.object({ id: z.number(), op: z.literal('signal'), pid: z.number(), signal: z.string() }),
  z.object({
    id: z.number(),
    op: z.literal('net'),
    /** the Node socket or server this acts on (from net-connect / net-listen), or a new one */
    handle: z.number(),
    action: z.enum(['connect', 'listen', 'write', 'end', 'destroy', 'resetAndDestroy', 'pause', 'resume', 'setNoDelay', 'close']),
    address: z.optional(z.string()),
    port: z.optional(z.number()),
    family: z.optional(z.union([z.literal(4), z.literal(6)])),
    allowHalfOpen: z.optional(z.boolean()),
    backlog: z.optional(z.number()),
    pauseOnConnect: z.optional(z.boolean()),
    data: z.optional(Base64),
    flag: z.optional(z.boolean()),
  }),
]);
export type Request = z.infer<typeof Request>;
export type RequestOf<K extends Request['op']> = Extract<Request, { op: K }>;

/** requests that ask, not act: they do not quicken the agent's sampling (observe/sample-pace.ts) */
export const PASSIVE_OPS: ReadonlySet<Request['op']> = new Set<Request['op']>(['sample', 'clock', 'hello']);

export interface ReplyOk {
  id: number;
  ok: true;
  value?: unknown;
}

export interface ReplyError {
  id: number;
  ok: false;
  /** errno name for a failed system call */
  code?: string;
  /** the call that failed, as SocketError names it */
  call?: string;
  message: string;
  /** the request itself was bad (unknown sysctl …) */
  input?: boolean;
}

export type Reply = ReplyOk | ReplyError;

/** A state change seen in the guest; t: the guest's monotonic clock, ns, as a decimal string. */
export interface StateEventWire {
  t: string;
  from: string;
  to: string;
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
}

export type AgentEvent =
  | { ev: 'ready' }
  /** the agent is making the call of request `id` (asked with began: true) */
  | { ev: 'began'; id: number }
  | { ev: 'states'; events: StateEventWire[] }
  | { ev: 'net'; handle: number; type: 'data'; data: string }
  | { ev: 'net'; handle: number; type: 'end' | 'close' | 'drain' | 'connect'; hadError?: boolean }
  | { ev: 'net'; handle: number; type: 'error'; code: string; message: string }
  | { ev: 'net'; handle: number; type: 'connection'; child: number; local: Endpoint; remote: Endpoint }
  | { ev: 'proc'; pid: number; stream: 'stdout' | 'stderr'; data: string }
  | { ev: 'proc'; pid: number; exit: { code: number | null; signal: string | null } };

export interface Endpoint {
  address: string;
  port: number;
}

export type AgentMessage = Reply | AgentEvent;

export function isReply(m: AgentMessage): m is Reply {
  return 'id' in m;
}
