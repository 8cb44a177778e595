/**
 * The syntax tree of a packetdrill script, as the executor consumes it: the flags,
 * then events in script order, each with its time and the line it is written on.
 * Times are microseconds. Sequence and ack numbers are as written (packetdrill's
 * relative numbers); nothing here is resolved against a live connection.
 */
import type { PacketdrillOptions } from './flags.js';

export interface Place {
  line: number;
  column: number;
}

/** A `--name[=value]` flag as written in the script's header, a config file or a command line. */
export interface FlagSetting {
  name: string;
  value?: string;
  /** where it was written: `file:line` for a script, `file: field` for a config file */
  where: { file: string; line?: number; field?: string };
}

export type TimeSpec =
  | { kind: 'absolute'; usecs: number }
  /** `+0.1`: after the previous event */
  | { kind: 'relative'; usecs: number }
  /** `*`: any time (outbound packets only) */
  | { kind: 'any' }
  /** `0.1~0.2` (outbound packets only) */
  | { kind: 'absolute-range'; usecs: number; endUsecs: number }
  /** `+0.1~+0.2` (outbound packets only) */
  | { kind: 'relative-range'; usecs: number; endUsecs: number };

export interface TcpFlags {
  /** as written, e.g. `S.`, `FP.`, `SEW`, `P.5` */
  text: string;
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
  psh: boolean;
  urg: boolean;
  ece: boolean;
  cwr: boolean;
  /** AccECN's AE bit (`A`) */
  ae: boolean;
  /** a digit 0-7: the three AccECN bits AE, CWR, ECE as one counter (then ece/cwr/ae follow it) */
  ace?: number;
}

/** `[ect0]`, `(tos 0x10)`, `[flowlabel 0x12345]`, `[ttl 64]`: what the IP header must carry. */
export interface IpInfo extends Place {
  ecn?: 'noecn' | 'ect0' | 'ect1' | 'ce' | 'ect01';
  /** IPv4's TOS or IPv6's traffic class (`(tos 0x10)`, NPLab's `(class 0x28)`) */
  tos?: number;
  flowLabel?: number;
  ttl?: number;
}

/** A numeric option field that may be `...` (any value). */
export type Wild = number | 'any';

export type TcpOption = Place &
  (
    | { name: 'nop' }
    | { name: 'eol' }
    | { name: 'mss'; value: number }
    | { name: 'wscale'; value: number }
    | { name: 'sackOK' }
    | { name: 'sack'; blocks: { left: number; right: number }[] }
    | { name: 'timestamp'; val: Wild; ecr: Wild }
    /** `FO [cookie]` (kind 34) or `FOEXP [cookie]` (kind 254, experimental); cookie in hex, '' when absent */
    | { name: 'fastopen'; experimental: boolean; cookie: string }
    /** `md5 <hex digest>` */
    | { name: 'md5'; digest: string }
    /** `ECN e1b 1 ceb 0 e0b 1`: the AccECN option, its byte counters in the order written */
    | { name: 'accecn'; counters: { name: 'e0b' | 'e1b' | 'ceb'; value: number }[] }
  );

interface PacketBase extends Place {
  /** `<`: the peer sends it to the host; `>`: the host must send it */
  direction: 'inbound' | 'outbound';
  ip?: IpInfo;
  /** `8080 > 54321` before the flags; absent means the script's usual ports */
  ports?: { src: number; dst: number };
}

export interface TcpPacket extends PacketBase {
  protocol: 'tcp';
  flags: TcpFlags;
  seq: { start: number; end: number; len: number };
  ack?: number;
  /** absent on an outbound packet: any window */
  win?: number;
  urg?: number;
  /** `<...>`: any options (outbound only) */
  options: TcpOption[] | 'any';
}

export interface UdpPacket extends PacketBase {
  protocol: 'udp';
  len: number;
}

export interface IcmpPacket extends PacketBase {
  protocol: 'icmp';
  /** e.g. unreachable, packet_too_big, time_exceeded */
  type: string;
  code?: string;
  mtu?: number;
  echoId?: number;
  /** the packet the ICMP message quotes: `[1:1461(1460)]`, `[udp (100)]`, `[raw (20)]` */
  quoted?: { protocol: 'tcp'; start: number; end: number; len: number } | { protocol: 'udp' | 'raw'; len: number };
}

export type Packet = TcpPacket | UdpPacket | IcmpPacket;

export type Expr = Place &
  (
    | { kind: 'ellipsis' }
    /** decimal or hex; `text` keeps how it was written */
    | { kind: 'int'; value: bigint; text: string }
    /** a symbol: SOL_SOCKET, O_NONBLOCK, AF_INET, … */
    | { kind: 'word'; name: string }
    /** `"..."` (adjacent strings are joined); `value` has C escapes decoded; `prefix`: written `"abc"...` */
    | { kind: 'string'; value: string; raw: string; prefix: boolean }
    /** `a | b` */
    | { kind: 'or'; left: Expr; right: Expr }
    /** `name=value` inside a struct; the target may be a call, as in `msg_iov(1)=[...]` */
    | { kind: 'assign'; target: Expr; value: Expr }
    /** `[a, b]` */
    | { kind: 'array'; items: Expr[] }
    /** `{a, b}`, `{l_onoff=1, l_linger=0}` */
    | { kind: 'struct'; items: Expr[] }
    /** `htons(8080)`, `inet_addr("192.0.2.1")`, `sizeof(x)` */
    | { kind: 'call'; name: string; args: Expr[] }
  );

export interface SyscallSpec {
  name: string;
  args: Expr[];
  /** the expected return value (`...` for any) */
  result: Expr;
  /** `-1 EINPROGRESS (Operation now in progress)`: the errno name and its text */
  errno?: { name: string; text?: string };
  /** a note after the value without an errno, e.g. `(flags O_RDWR)` */
  note?: string;
  /**
   * `0...0.2 accept(...)`: the call blocks and returns at this time, in the same frame
   * as the event's time (a relative start makes it relative to the previous event)
   */
  blockingEndUsecs?: number;
}

/** One statement of a `%{ }%` block, parsed when it is the small Python subset assertions use. */
export type CodeStatement =
  | { kind: 'assert'; line: number; test: PyExpr; message?: PyExpr }
  | { kind: 'assign'; line: number; name: string; value: PyExpr };

export type PyExpr =
  | { kind: 'num'; value: number }
  | { kind: 'str'; value: string }
  /** tcpi_snd_cwnd, TCP_CA_Open, TCPI_OPT_SYN_DATA, … */
  | { kind: 'name'; name: string }
  | { kind: 'unary'; op: '-' | '+' | '~' | 'not'; operand: PyExpr }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '//' | '%' | '<<' | '>>' | '&' | '|' | '^'; left: PyExpr; right: PyExpr }
  | { kind: 'bool'; op: 'and' | 'or'; left: PyExpr; right: PyExpr }
  /** `a < b <= c`: Python's chained comparison */
  | { kind: 'compare'; left: PyExpr; rest: { op: '==' | '!=' | '<' | '<=' | '>' | '>='; right: PyExpr }[] };

export interface CodeBlock {
  /** the text between `%{` and `}%`, spaces and tabs trimmed at both ends (as packetdrill does) */
  text: string;
  /** the statements, when every one is an assert or an assignment in the subset */
  statements?: CodeStatement[];
  /** why the text was kept raw, when `statements` is absent */
  unparsed?: string;
}

interface EventBase extends Place {
  time: TimeSpec;
}

export type Event =
  | (EventBase & { kind: 'packet'; packet: Packet })
  | (EventBase & { kind: 'syscall'; syscall: SyscallSpec })
  | (EventBase & { kind: 'code'; code: CodeBlock })
  | (EventBase & { kind: 'command'; command: string });

/** A backtick command with no time: the first or the last thing in a script. */
export interface ShellCommand extends Place {
  command: string;
}

export interface Script {
  file: string;
  /** the script's own `--flags`, in order */
  flags: FlagSetting[];
  /** the flags in force: the script's, then those given from outside (which win, as on packetdrill's command line) */
  options: PacketdrillOptions;
  /** an untimed backtick command before the first event (e.g. `` `./defaults.sh` ``) */
  init?: ShellCommand;
  events: Event[];
  /** an untimed backtick command after the last event */
  cleanup?: ShellCommand;
}
