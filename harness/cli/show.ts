/**
 * `tcpladder show FILE [--conn N] [--port P] [--json] [--color] [--width W]`:
 * the ladder diagram of every TCP connection in a pcap/pcapng file, or one JSON
 * object per frame with --json.
 */
import { readFile } from 'node:fs/promises';
import {
  analyseConnections,
  CaptureFormatError,
  decodeFrame,
  flagNames,
  formatOptions,
  readCapture,
  summariseFrame,
  toHex,
  type CapturedFrame,
  type Connection,
  type DecodedFrame,
  type SegmentInfo,
  type TcpEndpoint,
  type TcpOption,
} from '../packet/index.js';
import { renderLadderText, type Ladder, type LadderRow, type LadderSegment, type SegmentMark } from '../report/index.js';

export interface ShowIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = 'usage: tcpladder show FILE [--conn N] [--port P] [--json] [--color] [--width W]';

interface ShowArgs {
  file: string;
  conn?: number;
  port?: number;
  json: boolean;
  color: boolean;
  width?: number;
}

function parseArgs(argv: string[]): ShowArgs | string {
  let file: string | undefined;
  const args: Omit<ShowArgs, 'file'> = { json: false, color: false };
  const intArg = (name: string, v: string | undefined, min: number, max: number): number | string => {
    if (v === undefined || !/^\d+$/.test(v)) return `${name} needs a number`;
    const n = Number(v);
    if (n < min || n > max) return `${name} ${v} is not in ${min}..${max}`;
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value: string | undefined;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const takeValue = (): string | undefined => value ?? argv[++i];
    switch (a) {
      case '--json':
        args.json = true;
        break;
      case '--color':
      case '--colour':
        args.color = true;
        break;
      case '--conn': {
        const n = intArg('--conn', takeValue(), 1, Number.MAX_SAFE_INTEGER);
        if (typeof n === 'string') return n;
        args.conn = n;
        break;
      }
      case '--port': {
        const n = intArg('--port', takeValue(), 0, 65535);
        if (typeof n === 'string') return n;
        args.port = n;
        break;
      }
      case '--width': {
        const n = intArg('--width', takeValue(), 20, 10000);
        if (typeof n === 'string') return n;
        args.width = n;
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
        if (file !== undefined) return `one FILE only (got ${JSON.stringify(file)} and ${JSON.stringify(a)})`;
        file = a;
    }
  }
  if (file === undefined) return 'FILE is missing';
  return { file, ...args };
}

/** "10.0.0.1:80", "[fd00::1]:80" */
export function endpointText(e: TcpEndpoint): string {
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

const NO_TS_VALUES = { tsValues: false } as const;

/** Seconds since `t0` as a number, from nanosecond bigints. */
function seconds(t: bigint, t0: bigint): number {
  return Number(t - t0) / 1e9;
}

/**
 * The ladder of one analysed connection: column 0 is connection.a (the client when
 * the handshake was captured), column 1 connection.b; times are seconds since t0.
 */
export function connectionLadder(conn: Connection, t0: bigint): Ladder {
  const rows: LadderRow[] = [];
  for (const s of conn.segments) {
    const marks: SegmentMark[] = [];
    const notes: string[] = [];
    if (s.marks.length > 0 || s.decoded.malformed !== null) {
      if (s.retransmission) marks.push('retransmission');
      if (s.outOfOrder) marks.push('out-of-order');
      if (s.keepAlive) notes.push('keep-alive');
      if (s.gapBefore) notes.push('previous segment not captured');
      if (s.decoded.malformed !== null) notes.push(`malformed: ${s.decoded.malformed}`);
    }
    const row: LadderSegment = {
      kind: 'segment',
      t: seconds(s.time, t0),
      from: s.dir,
      to: s.dir === 0 ? 1 : 0,
      flags: flagNames(s.flags),
      seq: s.relSeq,
      ack: s.relAck,
      len: s.len,
      win: s.tcp.win,
    };
    if (s.tcp.options.length > 0) row.options = formatOptions(s.tcp.options, NO_TS_VALUES);
    if (marks.length > 0) row.marks = marks;
    if (notes.length > 0) row.note = notes.join('; ');
    row.frame = s.n;
    row.conn = conn.id;
    rows.push(row);
  }
  return {
    title: `connection ${conn.id}: ${endpointText(conn.a)} ↔ ${endpointText(conn.b)}`,
    columns: [{ name: endpointText(conn.a) }, { name: endpointText(conn.b) }],
    rows,
  };
}

/** Time as decimal seconds since the epoch with 9 fraction digits, e.g. "1700000000.000123456". */
export function timeString(t: bigint): string {
  const neg = t < 0n;
  const a = neg ? -t : t;
  return `${neg ? '-' : ''}${a / 1_000_000_000n}.${(a % 1_000_000_000n).toString().padStart(9, '0')}`;
}

export interface JsonOption {
  kind: number;
  name: string;
  length: number;
  mss?: number;
  wscale?: number;
  tsval?: number;
  tsecr?: number;
  sack?: number[];
  subtype?: number;
  exid?: number;
  /** option body as hex, for kinds without a structured decoding */
  raw?: string;
}

function jsonOption(o: TcpOption): JsonOption {
  const j: JsonOption = { kind: o.kind, name: o.name, length: o.length };
  if (o.mss !== undefined) j.mss = o.mss;
  if (o.wscale !== undefined) j.wscale = o.wscale;
  if (o.tsval !== undefined) j.tsval = o.tsval;
  if (o.tsecr !== undefined) j.tsecr = o.tsecr;
  if (o.sack !== undefined) j.sack = o.sack;
  if (o.subtype !== undefined) j.subtype = o.subtype;
  if (o.exid !== undefined) j.exid = o.exid;
  if (o.raw !== undefined) j.raw = toHex(o.raw);
  return j;
}

/** The --json object of one frame (`n` is 1-based). */
export function frameJson(n: number, frame: CapturedFrame, d: DecodedFrame, seg?: SegmentInfo): Record<string, unknown> {
  const time = timeString(frame.time);
  const tcp = d.tcp;
  const ip = d.ip;
  if (tcp && ip) {
    return {
      n,
      time,
      src: ip.src,
      dst: ip.dst,
      sport: tcp.sport,
      dport: tcp.dport,
      seq: tcp.seq,
      ack: tcp.ack,
      flags: tcp.flagString,
      win: tcp.win,
      len: tcp.payloadLength,
      options: tcp.options.map(jsonOption),
      malformed: d.malformed,
      ...(seg ? { conn: seg.conn, rseq: seg.relSeq, rack: seg.relAck, marks: seg.marks } : {}),
    };
  }
  const out: Record<string, unknown> = { n, time };
  if (ip) {
    out.src = ip.src;
    out.dst = ip.dst;
    out.ipVersion = ip.version;
    out.ipProtocol = ip.protocol;
    if (ip.fragment) out.fragment = true;
    if (tcp) Object.assign(out, { sport: tcp.sport, dport: tcp.dport });
  } else if (d.arp) {
    out.src = d.arp.senderIp;
    out.dst = d.arp.targetIp;
    out.arp = d.arp;
  } else if (d.eth) {
    out.src = d.eth.src;
    out.dst = d.eth.dst;
    out.etherType = d.eth.etherType;
  }
  out.summary = summariseFrame(d);
  out.malformed = d.malformed;
  return out;
}

/** Collects output and hands it to io.stdout in large chunks. */
class Out {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly write: (s: string) => void) {}
  line(s: string): void {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size > 1 << 20) this.flush();
  }
  text(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    this.write(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

function otherKind(d: DecodedFrame): string {
  if (d.arp) return 'ARP';
  if (d.malformed !== null && !d.tcp) return 'malformed';
  if (d.other !== undefined) {
    const sp = d.other.indexOf(' ');
    return sp > 0 ? d.other.slice(0, sp) : d.other;
  }
  return 'other';
}

export async function showCommand(argv: string[], io: ShowIo): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr(`tcpladder show: ${args}\n${USAGE}\n`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(args.file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    io.stderr(`tcpladder show: cannot read ${args.file}: ${err.code ?? err.message}\n`);
    return 2;
  }
  let frames: CapturedFrame[];
  let format: string;
  try {
    ({ frames, format } = readCapture(bytes));
  } catch (e) {
    if (e instanceof CaptureFormatError) {
      io.stderr(`tcpladder show: ${args.file}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const decoded: DecodedFrame[] = new Array(frames.length);
  const forAnalysis = new Array<{ n: number; time: bigint; decoded: DecodedFrame }>(frames.length);
  for (let i = 0; i < frames.length; i++) {
    const fr = frames[i];
    const d = decodeFrame(fr.data, fr.linkType, fr.origLength);
    decoded[i] = d;
    forAnalysis[i] = { n: i + 1, time: fr.time, decoded: d };
  }
  const analysis = analyseConnections(forAnalysis);
  const conns = analysis.connections;

  if (args.conn !== undefined && args.conn > conns.length) {
    io.stderr(`tcpladder show: ${args.file}: no connection ${args.conn} (the capture has ${conns.length})\n`);
    return 2;
  }
  const filtered = args.conn !== undefined || args.port !== undefined;
  const selected = conns.filter(
    (c) =>
      (args.conn === undefined || c.id === args.conn) &&
      (args.port === undefined || c.a.port === args.port || c.b.port === args.port),
  );
  const out = new Out(io.stdout);

  if (args.json) {
    const bySegment: (SegmentInfo | undefined)[] = new Array(frames.length);
    for (const s of analysis.segments) bySegment[s.index] = s;
    const chosen = new Set(selected.map((c) => c.id));
    for (let i = 0; i < frames.length; i++) {
      const seg = bySegment[i];
      if (filtered && (!seg || !chosen.has(seg.conn))) continue;
      out.line(JSON.stringify(frameJson(i + 1, frames[i], decoded[i], seg)));
    }
    out.flush();
    return 0;
  }

  const t0 = frames.length > 0 ? frames[0].time : 0n;
  const others = new Map<string, number>();
  for (let i = 0; i < decoded.length; i++) {
    if (!decoded[i].tcp) {
      const k = otherKind(decoded[i]);
      others.set(k, (others.get(k) ?? 0) + 1);
    }
  }
  let header = `${args.file}: ${format}, ${frames.length} frames, ${conns.length} TCP connection${conns.length === 1 ? '' : 's'}`;
  if (others.size > 0) {
    header += `; not TCP: ${[...others].map(([k, v]) => `${k} ${v}`).join(', ')}`;
  }
  out.line(header);
  if (selected.length === 0) {
    out.line(filtered ? 'no TCP connection matches' : 'no TCP connections');
    out.flush();
    return 0;
  }
  for (const c of selected) {
    out.line('');
    out.text(renderLadderText(connectionLadder(c, t0), { color: args.color, ...(args.width ? { width: args.width } : {}) }));
  }
  out.flush();
  return 0;
}
