/**
 * host.node on a guest: stand-ins for Node's net.Socket and net.Server whose real
 * counterparts run inside the guest (agent/guest-node.ts). They are streams and event
 * emitters as Node's are, for what cases do with them: connect, write, end, destroy,
 * resetAndDestroy, pause/resume, setNoDelay, 'data' 'end' 'error' 'close' 'connection',
 * server.close(), the addresses. Reading flows from the guest only while the stand-in's
 * reader wants data, so data a program leaves unread stays unread in the guest too.
 */
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { AgentClient } from './client.js';
import type { AgentEvent, Endpoint } from './protocol.js';
import type { NodeServerOptions, NodeSockets } from '../stacks/node-sockets.js';
import type { Family } from '../sockets/index.js';

let nextHandle = 1;
const WRITE_PIECE = 256 * 1024;

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

export class RemoteSocket extends Duplex {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
  private paused = true;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly agent: AgentClient,
    readonly handle: number,
    private readonly family: Family,
    private readonly allowHalfOpenRemote: boolean,
  ) {
    // the guest's socket decides about half-open: this side never ends itself
    super({ allowHalfOpen: true });
    this.unsubscribe = agent.on((e) => this.onEvent(e));
  }

  private ask(action: 'write' | 'end' | 'destroy' | 'resetAndDestroy' | 'pause' | 'resume' | 'setNoDelay', extra: { data?: string; flag?: boolean } = {}) {
    return this.agent.request({ op: 'net', handle: this.handle, action, ...extra });
  }

  private onEvent(e: AgentEvent): void {
    if (e.ev !== 'net' || e.handle !== this.handle) return;
    switch (e.type) {
      case 'data':
        if (!this.push(Buffer.from(e.data, 'base64')) && !this.paused) {
          this.paused = true;
          void this.ask('pause').catch(() => undefined);
        }
        break;
      case 'end':
        this.push(null);
        break;
      case 'error':
        this.destroy(errnoError(e.code, e.message));
        break;
      case 'close':
        this.unsubscribe();
        // data the guest's socket already handed over is still this reader's to take
        if (this.readableEnded || !this.readable || this.readableLength === 0) {
          if (!this.destroyed) this.destroy();
        } else {
          this.once('end', () => this.destroy());
        }
        break;
    }
  }

  /** As net.Socket#connect(port, host, listener). */
  connect(port: number, host: string, listener?: () => void): this {
    this.agent
      .request<{ local: Endpoint; remote: Endpoint }>({ op: 'net', handle: this.handle, action: 'connect', address: host, port, family: this.family, allowHalfOpen: this.allowHalfOpenRemote })
      .then(
        (r) => {
          this.learn(r.local, r.remote);
          listener?.();
          this.emit('connect');
        },
        (e: NodeJS.ErrnoException) => this.destroy(errnoError(e.code ?? 'EIO', e.message)),
      );
    return this;
  }

  /** @internal endpoints of an accepted or connected socket */
  learn(local: Endpoint, remote: Endpoint): void {
    this.localAddress = local.address;
    this.localPort = local.port;
    this.remoteAddress = remote.address;
    this.remotePort = remote.port;
  }

  override _read(): void {
    if (!this.paused) return;
    this.paused = false;
    void this.ask('resume').catch(() => undefined);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (e?: Error | null) => void): void {
    // in pieces: the guest's socket gets the first while the rest are still on their way
    const pieces: Promise<unknown>[] = [];
    for (let off = 0; off < chunk.length || off === 0; off += WRITE_PIECE) pieces.push(this.ask('write', { data: chunk.subarray(off, off + WRITE_PIECE).toString('base64') }));
    Promise.all(pieces).then(
      () => callback(),
      (e: NodeJS.ErrnoException) => callback(errnoError(e.code ?? 'EPIPE', e.message)),
    );
  }

  override _final(callback: (e?: Error | null) => void): void {
    this.ask('end').then(
      () => callback(),
      (e: Error) => callback(e),
    );
  }

  override _destroy(error: Error | null, callback: (e?: Error | null) => void): void {
    this.agent.send({ op: 'net', handle: this.handle, action: 'destroy' });
    callback(error);
  }

  /** As net.Socket#resetAndDestroy(): an RST, not a FIN. */
  resetAndDestroy(): this {
    this.agent.send({ op: 'net', handle: this.handle, action: 'resetAndDestroy' });
    this.unsubscribe();
    super.destroy();
    return this;
  }

  setNoDelay(flag = true): this {
    void this.ask('setNoDelay', { flag }).catch(() => undefined);
    return this;
  }
}

export class RemoteServer extends EventEmitter {
  private local: Endpoint | null = null;
  private closed = false;

  constructor(
    private readonly agent: AgentClient,
    readonly handle: number,
    private readonly family: Family,
    allowHalfOpen: boolean,
  ) {
    super();
    const unsubscribe = agent.on((e) => {
      if (e.ev !== 'net' || e.handle !== handle) return;
      if (e.type === 'connection') {
        const s = new RemoteSocket(agent, e.child, family, allowHalfOpen);
        s.learn(e.local, e.remote);
        this.emit('connection', s);
      } else if (e.type === 'close') {
        unsubscribe();
        this.emit('close');
      }
    });
  }

  async listen(address: string, port: number, options: NodeServerOptions): Promise<void> {
    const r = await this.agent.request<{ local: Endpoint }>({
      op: 'net',
      handle: this.handle,
      action: 'listen',
      address,
      port,
      family: this.family,
      allowHalfOpen: options.allowHalfOpen,
      backlog: options.backlog,
      pauseOnConnect: options.pauseOnConnect,
    });
    this.local = r.local;
  }

  get listening(): boolean {
    return this.local !== null && !this.closed;
  }

  address(): net.AddressInfo | null {
    return this.local ? { address: this.local.address, port: this.local.port, family: this.family === 6 ? 'IPv6' : 'IPv4' } : null;
  }

  /** As net.Server#close(callback): stops listening; the callback comes once its connections are gone. */
  close(callback?: (e?: Error) => void): this {
    if (callback) this.once('close', () => callback());
    if (!this.closed) {
      this.closed = true;
      void this.agent.request({ op: 'net', handle: this.handle, action: 'close' }).catch(() => undefined);
    }
    return this;
  }
}

export function remoteNodeSockets(agent: AgentClient): NodeSockets {
  return {
    socket: (family, options) => new RemoteSocket(agent, nextHandle++, family, options.allowHalfOpen ?? false) as unknown as net.Socket,
    listen: async (family, address, port, options) => {
      const server = new RemoteServer(agent, nextHandle++, family, options.allowHalfOpen ?? false);
      await server.listen(address, port, options);
      return server as unknown as net.Server;
    },
  };
}
