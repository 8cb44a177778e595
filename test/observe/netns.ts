/**
 * A throwaway network namespace (loopback only) with real sockets made inside it by
 * the harness's socket layer, for tests below the case level. Named tcpl-test-<pid>-<tag>
 * so a leftover is recognisable; remove() deletes it.
 */
import { execFileSync } from 'node:child_process';
import { TcpSocket, localSyscalls, type Family, type SocketContext, type SocketOptions, type TrackedSocket } from '../../harness/sockets/index.js';
import { releaseNamespace } from '../../harness/topology/netns.js';

export class TestNamespace {
  readonly sockets: TrackedSocket[] = [];
  private readonly abort = new AbortController();
  private n = 0;
  private readonly ctx: SocketContext = {
    signal: this.abort.signal,
    transitions: async () => [],
    record: () => {},
    started: () => () => true,
    adopt: (s) => {
      this.sockets.push(s);
    },
    nextLabel: (host) => `${host}#${++this.n}`,
  };

  private constructor(
    readonly name: string,
    readonly ipv4: string,
    readonly ipv6: string,
  ) {}

  /** `addresses`: extra addresses for lo (default: use 127.0.0.1 and ::1) */
  static create(tag: string, addresses: { ipv4?: string; ipv6?: string } = {}): TestNamespace {
    const name = `tcpl-test-${process.pid}-${tag}`;
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    if (addresses.ipv4) execFileSync('ip', ['-n', name, 'addr', 'add', `${addresses.ipv4}/32`, 'dev', 'lo']);
    if (addresses.ipv6) execFileSync('ip', ['-n', name, 'addr', 'add', `${addresses.ipv6}/128`, 'dev', 'lo', 'nodad']);
    return new TestNamespace(name, addresses.ipv4 ?? '127.0.0.1', addresses.ipv6 ?? '::1');
  }

  address(family: Family): string {
    return family === 6 ? this.ipv6 : this.ipv4;
  }

  socket(family: Family, options: SocketOptions = {}): TcpSocket {
    const host = { name: 'h', sys: localSyscalls(this.name), address: (f: Family) => this.address(f) };
    return TcpSocket.create(host, family, options, this.ctx);
  }

  /** listener, client and accepted peer on loopback */
  async connection(family: Family, port: number) {
    const listener = this.socket(family);
    await listener.bind(port);
    await listener.listen();
    const client = this.socket(family);
    await client.connect(this.address(family), port);
    const peer = await listener.accept();
    return { listener, client, peer };
  }

  /** The client closes first and ends in TIME_WAIT; the peer ends CLOSED. */
  async activeClose(family: Family, port: number) {
    const c = await this.connection(family, port);
    await c.client.shutdown('write');
    await c.peer.read();
    await c.peer.close();
    await c.client.read();
    await c.client.close();
    return c;
  }

  remove(): void {
    this.abort.abort();
    for (const s of this.sockets) s.forceClose();
    releaseNamespace(this.name);
    execFileSync('ip', ['netns', 'del', this.name]);
  }
}

export function namespacesOfThisProcess(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`tcpl-test-${process.pid}-`));
}
