/**
 * host.node: the same host through Node's own `net` module, so a case shows what a
 * Node program puts on the wire (socket.end(), destroy(), resetAndDestroy(),
 * allowHalfOpen, server.close()). On a namespace host the fd is made inside the
 * host's namespace and handed to Node; in a guest, Node runs inside the guest
 * (stacks/node-sockets.ts). Either way Node drives the socket as in any program.
 */
import net from 'node:net';
import type { Endpoint, Family, SocketContext, TrackedSocket } from '../sockets/index.js';
import type { NodeSockets } from '../stacks/index.js';

interface NodeHost {
  name: string;
  address(family?: Family): string;
}

/** A socket rather than a server (a guest's stand-ins are not net.Socket instances). */
function isSocket(s: net.Socket | net.Server): s is net.Socket {
  return typeof (s as net.Socket).write === 'function';
}

class NodeTracked implements TrackedSocket {
  local: Endpoint | null = null;
  remote: Endpoint | null = null;
  tupleSince = process.hrtime.bigint();

  constructor(
    readonly label: string,
    readonly host: { name: string },
    readonly socket: net.Socket | net.Server,
    readonly accepted = false,
  ) {}

  get isClosed(): boolean {
    return isSocket(this.socket) ? this.socket.destroyed : !this.socket.listening;
  }

  learn(): void {
    const s = this.socket;
    if (isSocket(s)) {
      if (s.localAddress && s.localPort) this.local = { address: s.localAddress, port: s.localPort };
      if (s.remoteAddress && s.remotePort) this.remote = { address: s.remoteAddress, port: s.remotePort };
    } else {
      const a = s.address();
      if (a && typeof a === 'object') this.local = { address: a.address, port: a.port };
    }
    this.tupleSince = process.hrtime.bigint();
  }

  forceClose(): void {
    if (isSocket(this.socket)) this.socket.destroy();
    else this.socket.close();
  }
}

export interface NodeConnectOptions {
  allowHalfOpen?: boolean;
  noDelay?: boolean;
}

export interface NodeListenOptions {
  allowHalfOpen?: boolean;
  backlog?: number;
  /** as net.createServer's: an accepted socket reads nothing until the case resumes it (or reads) */
  pauseOnConnect?: boolean;
}

export class NodeApi {
  constructor(
    private readonly host: NodeHost,
    private readonly sockets: NodeSockets,
    private readonly family: Family,
    private readonly ctx: SocketContext,
  ) {}

  private track(socket: net.Socket | net.Server, label: string, accepted = false): NodeTracked {
    const t = new NodeTracked(label, this.host, socket, accepted);
    this.ctx.adopt(t, socket);
    return t;
  }

  private record(label: string, call: string, args: string | undefined, result: string): void {
    this.ctx.record({ t: process.hrtime.bigint(), ms: 0, host: this.host.name, socket: label, call, args, result });
  }

  /** net.Socket#connect from this host; resolves once connected, rejects with the errno name. */
  connect(to: { address(family?: Family): string } | string, port: number, options: NodeConnectOptions = {}): Promise<net.Socket> {
    const address = typeof to === 'string' ? to : to.address(this.family);
    const label = `${this.ctx.nextLabel(this.host.name)} (node)`;
    const socket = this.sockets.socket(this.family, { allowHalfOpen: options.allowHalfOpen });
    const tracked = this.track(socket, label);
    this.observe(socket, label);
    return new Promise((resolve, reject) => {
      socket.once('error', (e: NodeJS.ErrnoException) => {
        this.record(label, 'net.connect', `${address}:${port}`, e.code ?? e.message);
        reject(e);
      });
      socket.connect(port, address, () => {
        tracked.learn();
        if (options.noDelay !== undefined) socket.setNoDelay(options.noDelay);
        this.record(label, 'net.connect', `${address}:${port}`, 'ok');
        resolve(socket);
      });
    });
  }

  /** net.Server listening on this host's address; accepted sockets are tracked too. */
  async listen(port: number, options: NodeListenOptions = {}, onConnection?: (s: net.Socket) => void): Promise<NodeServer> {
    const server = await this.sockets.listen(this.family, this.host.address(this.family), port, options);
    const label = `${this.ctx.nextLabel(this.host.name)} (node server)`;
    const tracked = this.track(server, label);
    const pending: net.Socket[] = [];
    const waiting: ((s: net.Socket) => void)[] = [];
    server.on('connection', (s) => {
      const l = `${this.ctx.nextLabel(this.host.name)} (node)`;
      this.track(s, l, true).learn();
      this.observe(s, l);
      this.record(label, 'connection', undefined, `${l} from ${s.remoteAddress}:${s.remotePort}`);
      onConnection?.(s);
      const w = waiting.shift();
      if (w) w(s);
      else pending.push(s);
    });
    tracked.learn();
    this.record(label, 'server.listen', String(port), 'ok');
    return Object.assign(server, {
      /** the next accepted connection */
      nextConnection: () => new Promise<net.Socket>((resolve) => (pending.length ? resolve(pending.shift()!) : waiting.push(resolve))),
    });
  }

  /** Record what the application sees: EOF, errors, close (never reading: that would change what it does). */
  private observe(s: net.Socket, label: string): void {
    s.on('end', () => this.record(label, "'end'", undefined, 'EOF'));
    s.on('error', (e: NodeJS.ErrnoException) => this.record(label, "'error'", undefined, e.code ?? e.message));
    s.on('close', (hadError) => this.record(label, "'close'", undefined, hadError ? 'with error' : 'ok'));
  }
}

export type NodeServer = net.Server & { nextConnection(): Promise<net.Socket> };
