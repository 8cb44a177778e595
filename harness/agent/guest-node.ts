/**
 * host.node inside a guest: real Node `net` sockets and servers, on descriptors made
 * in the case's namespace (as case/node-api.ts does on a namespace host), driven by
 * the harness's proxies (agent/remote-net.ts) and reporting their events back.
 * A socket starts paused: it reads only while the proxy's reader is flowing, so what
 * the program leaves unread stays where a real program would leave it.
 */
import net from 'node:net';
import * as libc from '../sockets/libc.js';
import { encodeSockaddr } from '../sockets/sockaddr.js';
import type { Syscalls } from '../sockets/syscalls.js';
import type { AgentEvent, Endpoint, RequestOf } from './protocol.js';

type Emit = (e: AgentEvent) => void;

export class GuestNode {
  private readonly handles = new Map<number, net.Socket | net.Server>();
  /** ids of accepted sockets: apart from the harness's own (which count up from 1) */
  private nextChild = 1_000_000;

  constructor(
    private readonly sys: Syscalls,
    private readonly emit: Emit,
  ) {}

  /** Descriptors of the live sockets and servers, for state sampling (gVisor). */
  *fds(): Iterable<[number, Endpoint | undefined]> {
    for (const h of this.handles.values()) {
      const fd = (h as unknown as { _handle?: { fd?: number } })._handle?.fd;
      if (typeof fd !== 'number' || fd < 0) continue;
      const peer = h instanceof net.Socket && h.remoteAddress ? { address: h.remoteAddress, port: h.remotePort! } : undefined;
      yield [fd, peer];
    }
  }

  async handle(r: RequestOf<'net'>): Promise<unknown> {
    switch (r.action) {
      case 'connect':
        return this.connect(r);
      case 'listen':
        return this.listen(r);
    }
    const h = this.handles.get(r.handle);
    if (!h) throw new Error(`no Node socket ${r.handle} in the guest`);
    if (h instanceof net.Server) {
      if (r.action !== 'close') throw new Error(`a Node server cannot ${r.action}`);
      h.close();
      return null;
    }
    switch (r.action) {
      case 'write':
        await new Promise<void>((resolve, reject) => h.write(Buffer.from(r.data ?? '', 'base64'), (e) => (e ? reject(e) : resolve())));
        return null;
      case 'end':
        h.end();
        return null;
      case 'destroy':
        h.destroy();
        return null;
      case 'resetAndDestroy':
        h.resetAndDestroy();
        return null;
      case 'pause':
        h.pause();
        return null;
      case 'resume':
        h.resume();
        return null;
      case 'setNoDelay':
        h.setNoDelay(r.flag ?? true);
        return null;
      default:
        throw new Error(`a Node socket cannot ${r.action}`);
    }
  }

  private async fd(family: 4 | 6 | undefined): Promise<number> {
    return this.sys.socket(family === 6 ? libc.AF_INET6 : libc.AF_INET, libc.SOCK_STREAM);
  }

  private async connect(r: RequestOf<'net'>): Promise<{ local: Endpoint; remote: Endpoint }> {
    const socket = new net.Socket({ fd: await this.fd(r.family), readable: true, writable: true, allowHalfOpen: r.allowHalfOpen ?? false });
    this.track(r.handle, socket);
    return new Promise((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException) => reject(Object.assign(new Error(e.message), { code: e.code }));
      socket.once('error', failed);
      socket.connect(r.port!, r.address!, () => {
        socket.off('error', failed);
        resolve(endpoints(socket));
      });
    });
  }

  private async listen(r: RequestOf<'net'>): Promise<{ local: Endpoint }> {
    const fd = await this.fd(r.family);
    await this.sys.bind(fd, encodeSockaddr({ address: r.address!, port: r.port! }));
    await this.sys.listen(fd, r.backlog ?? 128);
    const server = net.createServer({ allowHalfOpen: r.allowHalfOpen ?? false, pauseOnConnect: r.pauseOnConnect ?? false });
    this.handles.set(r.handle, server);
    server.on('connection', (s) => {
      const child = this.nextChild++;
      this.track(child, s);
      const e = endpoints(s);
      this.emit({ ev: 'net', handle: r.handle, type: 'connection', child, local: e.local, remote: e.remote });
    });
    server.on('close', () => this.emit({ ev: 'net', handle: r.handle, type: 'close' }));
    await new Promise<void>((resolve) => server.listen({ fd }, resolve));
    const a = server.address() as net.AddressInfo;
    return { local: { address: a.address, port: a.port } };
  }

  private track(handle: number, s: net.Socket): void {
    this.handles.set(handle, s);
    s.on('data', (d: Buffer) => this.emit({ ev: 'net', handle, type: 'data', data: d.toString('base64') }));
    s.pause();
    s.on('end', () => this.emit({ ev: 'net', handle, type: 'end' }));
    s.on('drain', () => this.emit({ ev: 'net', handle, type: 'drain' }));
    s.on('error', (e: NodeJS.ErrnoException) => this.emit({ ev: 'net', handle, type: 'error', code: e.code ?? 'EIO', message: e.message }));
    s.on('close', (hadError) => this.emit({ ev: 'net', handle, type: 'close', hadError }));
  }

  /** The case is over: every socket and server goes, without waiting. */
  closeAll(): void {
    for (const h of this.handles.values()) {
      if (h instanceof net.Socket) h.destroy();
      else h.close();
    }
    this.handles.clear();
  }
}

function endpoints(s: net.Socket): { local: Endpoint; remote: Endpoint } {
  return {
    local: { address: s.localAddress ?? '', port: s.localPort ?? 0 },
    remote: { address: s.remoteAddress ?? '', port: s.remotePort ?? 0 },
  };
}
