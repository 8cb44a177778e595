/**
 * How host.node gets Node `net` sockets on a host: on a namespace host, real ones on a
 * descriptor made inside the namespace; in a guest, proxies of real ones the agent runs
 * there (agent/remote-net.ts). Either behaves as Node's own for what a case does.
 */
import net from 'node:net';
import * as libc from '../sockets/libc.js';
import { encodeSockaddr } from '../sockets/sockaddr.js';
import { inNamespace } from '../topology/index.js';
import type { Family } from '../sockets/index.js';

export interface NodeServerOptions {
  allowHalfOpen?: boolean;
  backlog?: number;
  /** net.createServer's: accepted sockets start paused, and nothing is read from them until resumed */
  pauseOnConnect?: boolean;
}

export interface NodeSockets {
  /** an unconnected socket: the case calls connect() on it */
  socket(family: Family, options: { allowHalfOpen?: boolean }): net.Socket;
  /** a server listening on address:port; connections arrive as 'connection' events */
  listen(family: Family, address: string, port: number, options: NodeServerOptions): Promise<net.Server>;
}

export function localNodeSockets(ns: string): NodeSockets {
  const fd = (family: Family) =>
    inNamespace(ns, () => libc.socket(family === 6 ? libc.AF_INET6 : libc.AF_INET, libc.SOCK_STREAM | libc.SOCK_NONBLOCK | libc.SOCK_CLOEXEC));
  return {
    socket: (family, options) => new net.Socket({ fd: fd(family), readable: true, writable: true, allowHalfOpen: options.allowHalfOpen ?? false }),
    listen: async (family, address, port, options) => {
      const s = fd(family);
      libc.bind(s, encodeSockaddr({ address, port }));
      libc.listen(s, options.backlog ?? 128);
      const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false, pauseOnConnect: options.pauseOnConnect ?? false });
      await new Promise<void>((resolve) => server.listen({ fd: s }, resolve));
      return server;
    },
  };
}
