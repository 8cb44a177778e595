/**
 * `tcpladder show FILE [--format text|svg|mermaid] [--conn N] [--port P] [--json]
 * [--color] [--width W]`: the ladder diagram of the TCP connections in a pcap/pcapng
 * file, or one JSON object per frame with --json.
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  CaptureFormatError,
  CaptureReader,
  ConnectionTracker,
  decodeFrame,
  flagNames,
  formatOptions,
  summariseFrame,
  toHex,
  type CapturedFrame,
  type Connection,
  type DecodedFrame,
  type SegmentInfo,
  type TcpEndpoint,
  type TcpOption,
} from '../packet/index.js';
import { SegmentRows, type ShowRow } from './show-rows.js';
import {
  renderLadderMermaid,
  renderLadderSvg,
  writeLadderText,
  type Ladder,
  type LadderColumn,
  type LadderRow,
  type LadderTextOptions,
  type SegmentMark,
} from '../report/index.js';

export interface ShowIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** when given, output goes here as UTF-8 bytes instead of to stdout as strings */
  stdoutBytes?: (b: Uint8Array) => void;
}

const USAGE = 'usage: tcpladder show FILE [--format text|svg|mermaid] [--conn N] [--port P] [--json] [--color] [--width W]';

export const SHOW_HELP = `${USAGE}

The ladder diagram of the TCP connections in a pcap or pcapng file, any capture
(tcpdump's, tshark's, Wireshark's), not only tcpladder's.

Options:
  --format F    text (the default): a header line, then one ladder per connection;
                svg: one SVG image; mermaid: one Mermaid sequenceDiagram, which
                GitHub and GitLab draw in Markdown (runs of more than 20 data
                segments from one sender are one message; at most 40 000
                characters). An SVG or Mermaid diagram draws every connection
                shown together, one column per address and port.
  --conn N      only connection N (numbered in order of first appearance)
  --port P      only connections with port P at either end
  --json        one JSON object per frame instead of a diagram
  --color       ANSI colours in the text ladder
  --width W     the text ladder's width in columns (default 100; long labels widen it)
  -h, --help    this text

Exit codes: 0 done; 2 bad usage, a file that cannot be read or is not a capture,
or (svg, mermaid) no TCP connection to draw.
`;

export type ShowFormat = 'text' | 'svg' | 'mermaid';
const FORMATS: readonly ShowFormat[] = ['text', 'svg', 'mermaid'];

interface ShowArgs {
  file: string;
  format: ShowFormat;
  conn?: number;
  port?: number;
  json: boolean;
  color: boolean;
  width?: number;
}

const HELP = Symbol('help');

function parseArgs(argv: string[]): ShowArgs | string | typeof HELP {
  let file: string | undefined;
  let format: ShowFormat | undefined;
  const args: Omit<ShowArgs, 'file' | 'format'> = { json: false, color: false };
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
      case '-h':
      case '--help':
        return HELP;
      case '--format': {
        const v = takeValue();
        if (v === undefined) return `--format needs one of ${FORMATS.join(', ')}`;
        if (!(FORMATS as readonly string[]).includes(v)) return `--format ${JSON.stringify(v)} is not one of ${FORMATS.join(', ')}`;
        format = v as ShowFormat;
        break;
      }
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
  if (args.json && format !== undefined) return '--json prints frames, not a diagram: leave out --format';
  if (format !== undefined && format !== 'text' && (args.color || args.width !== undefined)) {
    return `--color and --width are for the text ladder, not --format ${format}`;
  }
  return { file, format: format ?? 'text', ...args };
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

/** Options worth a label: any SYN's, and otherwise anything beyond NOP/EOL padding and timestamps. */
function informativeOptions(options: readonly TcpOption[], flags: number): boolean {
  if (options.length === 0) return false;
  if (flags & 0x02) return true;
  for (let i = 0; i < options.length; i++) {
    const k = options[i].kind;
    if (k !== 1 && k !== 0 && k !== 8) return true;
  }
  return false;
}

/**
 * The ladder row of one analysed segment; times are seconds since t0. The label
 * leaves out the `nop,nop,ts` that every segment of a timestamped connection carries
 * (the values are not shown in a ladder anyway); SYNs always show their options.
 */
export function segmentRow(s: SegmentInfo, t0: bigint): ShowRow {
  const row: ShowRow = {
    kind: 'segment',
    t: seconds(s.time, t0),
    from: s.dir,
    to: s.dir === 0 ? 1 : 0,
    flags: flagNames(s.flags),
    seq: s.relSeq,
    ack: s.relAck,
    len: s.len,
    win: s.tcp.win,
    frame: s.n,
    conn: s.conn,
  };
  if (informativeOptions(s.tcp.options, s.flags)) row.options = formatOptions(s.tcp.options, { ...NO_TS_VALUES, ...(s.relAck !== null ? { sackBase: (s.tcp.ack - s.relAck) >>> 0 } : {}) });
  if (s.marks.length > 0 || s.decoded.malformed !== null) {
    const marks: SegmentMark[] = [];
    const notes: string[] = [];
    if (s.retransmission) marks.push('retransmission');
    if (s.outOfOrder) marks.push('out-of-order');
    if (s.keepAlive) notes.push('keep-alive');
    if (s.gapBefore) notes.push('previous segment not captured');
    if (s.decoded.malformed !== null) notes.push(`malformed: ${s.decoded.malformed}`);
    if (marks.length > 0) row.marks = marks;
    if (notes.length > 0) row.note = notes.join('; ');
  }
  return row;
}

function connectionTitle(conn: Connection): string {
  return `connection ${conn.id}: ${endpointText(conn.a)} ↔ ${endpointText(conn.b)}`;
}

function ladderOf(conn: Connection, rows: LadderRow[]): Ladder {
  return {
    title: connectionTitle(conn),
    columns: [{ name: endpointText(conn.a) }, { name: endpointText(conn.b) }],
    rows,
  };
}

/**
 * The connections shown by an SVG or Mermaid diagram, drawn as one: a column per
 * endpoint (address and port), in order of first appearance, rows in capture order.
 */
class OneDiagram {
  private readonly rows = new SegmentRows();
  private readonly columns: LadderColumn[] = [];
  private readonly columnOf = new Map<string, number>();
  /** by connection id: the columns of its a and b */
  private readonly ends: [number, number][] = [];

  constructor(private readonly connections: readonly Connection[]) {}

  push(row: ShowRow): void {
    const ends = (this.ends[row.conn] ??= this.endsOf(this.connections[row.conn - 1]!));
    row.from = ends[row.from]!;
    row.to = ends[row.to]!;
    this.rows.push(row);
  }

  ladder(file: string): Ladder | undefined {
    const shown = this.ends.flatMap((e, id) => (e ? [id] : []));
    if (shown.length === 0) return undefined;
    const title =
      shown.length === 1 ? connectionTitle(this.connections[shown[0]! - 1]!) : `${file}: ${shown.length} TCP connections`;
    return { title, columns: this.columns, rows: this.rows.toArray() };
  }

  private endsOf(conn: Connection): [number, number] {
    const a = this.column(endpointText(conn.a));
    // a socket connected to itself: its two ends are one endpoint, drawn as two columns
    const b = endpointText(conn.b) === endpointText(conn.a) ? this.newColumn(endpointText(conn.b)) : this.column(endpointText(conn.b));
    return [a, b];
  }

  private column(name: string): number {
    let c = this.columnOf.get(name);
    if (c === undefined) {
      c = this.newColumn(name);
      this.columnOf.set(name, c);
    }
    return c;
  }

  private newColumn(name: string): number {
    this.columns.push({ name });
    return this.columns.length - 1;
  }
}

/**
 * The ladder of one analysed connection (its segments kept): column 0 is
 * connection.a (the client when the handshake was captured), column 1 connection.b;
 * times are seconds since t0.
 */
export function connectionLadder(conn: Connection, t0: bigint): Ladder {
  return ladderOf(
    conn,
    conn.segments.map((s) => segmentRow(s, t0)),
  );
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

const OUT_CHUNK = 4 << 20;

/**
 * Encodes output lines as UTF-8 as they come and hands them out in chunks of a few
 * MB: writing one string of a million lines would first flatten a rope of millions
 * of pieces, which costs more than drawing them. Each chunk is a fresh buffer, as
 * a pipe's write may still hold the last one.
 */
class Out {
  private buf = Buffer.allocUnsafe(OUT_CHUNK);
  private used = 0;
  constructor(private readonly io: ShowIo) {}

  line(s: string): void {
    const most = 3 * s.length + 1; // UTF-8 bytes of a UTF-16 code unit: at most 3
    if (this.used + most > this.buf.length) {
      this.flush();
      if (most > this.buf.length) {
        this.emit(Buffer.from(s + '\n'));
        return;
      }
    }
    this.used += this.buf.write(s, this.used, 'utf8');
    this.buf[this.used++] = 0x0a;
  }

  flush(): void {
    if (this.used === 0) return;
    this.emit(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(OUT_CHUNK);
    this.used = 0;
  }

  private emit(bytes: Buffer): void {
    if (this.io.stdoutBytes) this.io.stdoutBytes(bytes);
    else this.io.stdout(bytes.toString('utf8'));
  }
}

/**
 * JSON.stringify(frameJson(…)) for a TCP frame, built by hand: `show --json` on a
 * large capture spends most of its time here. Addresses, flags and numbers need no
 * escaping; the malformed reason goes through JSON.stringify.
 */
export function tcpJsonLine(n: number, frame: CapturedFrame, d: DecodedFrame, seg?: SegmentInfo): string {
  const tcp = d.tcp!;
  const ip = d.ip!;
  let opts = '';
  const options = tcp.options;
  for (let i = 0; i < options.length; i++) {
    const o = options[i];
    let j = (i ? ',{"kind":' : '{"kind":') + o.kind + ',"name":"' + o.name + '","length":' + o.length;
    if (o.mss !== undefined) j += ',"mss":' + o.mss;
    if (o.wscale !== undefined) j += ',"wscale":' + o.wscale;
    if (o.tsval !== undefined) j += ',"tsval":' + o.tsval;
    if (o.tsecr !== undefined) j += ',"tsecr":' + o.tsecr;
    if (o.sack !== undefined) j += ',"sack":[' + o.sack.join(',') + ']';
    if (o.subtype !== undefined) j += ',"subtype":' + o.subtype;
    if (o.exid !== undefined) j += ',"exid":' + o.exid;
    if (o.raw !== undefined) j += ',"raw":"' + toHex(o.raw) + '"';
    opts += j + '}';
  }
  let line =
    '{"n":' + n + ',"time":"' + timeString(frame.time) + '","src":"' + ip.src + '","dst":"' + ip.dst +
    '","sport":' + tcp.sport + ',"dport":' + tcp.dport + ',"seq":' + tcp.seq + ',"ack":' + tcp.ack +
    ',"flags":"' + tcp.flagString + '","win":' + tcp.win + ',"len":' + tcp.payloadLength +
    ',"options":[' + opts + '],"malformed":' + (d.malformed === null ? 'null' : JSON.stringify(d.malformed));
  if (seg) {
    line += ',"conn":' + seg.conn + ',"rseq":' + seg.relSeq + ',"rack":' + seg.relAck + ',"marks":[';
    for (let i = 0; i < seg.marks.length; i++) line += (i ? ',"' : '"') + seg.marks[i] + '"';
    line += ']';
  }
  return line + '}';
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

/**
 * Bytes read at a time. Small on purpose: the frames of a chunk are all alive while
 * it is worked through, so the young generation's collections copy them; with 8 MB
 * chunks show spent twice as long.
 */
const CHUNK = 256 * 1024;

/**
 * Reads the capture as a stream of chunks, so memory stays flat: --json prints each
 * frame as it is decoded (a file found corrupt part-way ends that output with exit
 * code 2); the text mode keeps only the ladder rows of the selected connections.
 * Exit codes: 0 done, 2 bad usage or an unreadable / corrupt file.
 */
export async function showCommand(argv: string[], io: ShowIo): Promise<number> {
  const args = parseArgs(argv);
  if (args === HELP) {
    io.stdout(SHOW_HELP);
    return 0;
  }
  if (typeof args === 'string') {
    io.stderr(`tcpladder show: ${args}\n${USAGE}\n`);
    return 2;
  }
  const wanted = (tcp: { sport: number; dport: number }, conn: number): boolean =>
    (args.conn === undefined || conn === args.conn) && (args.port === undefined || tcp.sport === args.port || tcp.dport === args.port);
  const filtered = args.conn !== undefined || args.port !== undefined;
  const out = new Out(io);
  const reader = new CaptureReader();
  const tracker = new ConnectionTracker({ keepSegments: false });
  /** text: the rows of each connection, by id - 1 */
  const rows: SegmentRows[] = [];
  /** svg, mermaid: every row shown, in capture order, in one diagram */
  const oneDiagram = args.format === 'text' ? undefined : new OneDiagram(tracker.connections);
  const others = new Map<string, number>();
  let n = 0;
  let t0: bigint | undefined;

  const take = (fr: CapturedFrame): void => {
    n++;
    t0 ??= fr.time;
    const d = decodeFrame(fr.data, fr.linkType, fr.origLength);
    const seg = tracker.add({ n, time: fr.time, decoded: d }, n - 1);
    if (args.json) {
      if (!filtered || (seg && wanted(seg.tcp, seg.conn))) {
        out.line(d.tcp && d.ip ? tcpJsonLine(n, fr, d, seg) : JSON.stringify(frameJson(n, fr, d, seg)));
      }
    } else if (seg) {
      if (!wanted(seg.tcp, seg.conn)) return;
      if (oneDiagram) oneDiagram.push(segmentRow(seg, t0));
      else (rows[seg.conn - 1] ??= new SegmentRows()).push(segmentRow(seg, t0));
    } else {
      const k = otherKind(d);
      others.set(k, (others.get(k) ?? 0) + 1);
    }
  };

  let fh: FileHandle | undefined;
  let next: Promise<{ bytesRead: number; buffer: Uint8Array }> | undefined;
  try {
    const file = (fh = await open(args.file, 'r'));
    const read = () => file.read(new Uint8Array(CHUNK), 0, CHUNK, null);
    next = read();
    for (;;) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) break;
      next = read(); // read on while this chunk is decoded
      const frames = reader.push(buffer.subarray(0, bytesRead));
      for (let i = 0; i < frames.length; i++) take(frames[i]);
    }
    reader.end();
  } catch (e) {
    out.flush();
    if (e instanceof CaptureFormatError) {
      io.stderr(`tcpladder show: ${args.file}: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code !== 'string') throw e;
    io.stderr(`tcpladder show: cannot read ${args.file}: ${err.code}\n`);
    return 2;
  } finally {
    await next?.catch(() => undefined);
    await fh?.close();
  }

  const conns = tracker.connections;
  if (args.conn !== undefined && args.conn > conns.length) {
    out.flush();
    io.stderr(`tcpladder show: ${args.file}: no connection ${args.conn} (the capture has ${conns.length})\n`);
    return 2;
  }
  if (args.json) {
    out.flush();
    return 0;
  }
  if (oneDiagram) {
    const ladder = oneDiagram.ladder(args.file);
    if (ladder === undefined) {
      io.stderr(`tcpladder show: ${args.file}: no TCP connection ${filtered ? 'matches' : 'to draw'}\n`);
      return 2;
    }
    const drawing = args.format === 'svg' ? renderLadderSvg(ladder) : renderLadderMermaid(ladder);
    out.line(drawing.endsWith('\n') ? drawing.slice(0, -1) : drawing);
    out.flush();
    return 0;
  }
  let header = `${args.file}: ${reader.format}, ${n} frames, ${conns.length} TCP connection${conns.length === 1 ? '' : 's'}`;
  if (others.size > 0) header += `; not TCP: ${[...others].map(([k, v]) => `${k} ${v}`).join(', ')}`;
  out.line(header);
  const opts: LadderTextOptions = { color: args.color };
  if (args.width !== undefined) opts.width = args.width;
  const line = (text: string): void => out.line(text);
  let shown = 0;
  for (const c of conns) {
    const r = rows[c.id - 1];
    if (!r) continue;
    rows[c.id - 1] = new SegmentRows();
    out.line('');
    writeLadderText(ladderOf(c, r.toArray()), opts, line);
    shown++;
  }
  if (shown === 0) out.line(filtered ? 'no TCP connection matches' : 'no TCP connections');
  out.flush();
  return 0;
}
