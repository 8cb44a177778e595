/** A case's host: its addresses, and sockets made on its stack. */
import { TcpSocket, SocketOptions, type Family, type SocketContext, type Syscalls } from '../sockets/index.js';
import type { HostSpec } from '../topology/index.js';
import type { RunDelays, StackHost, StackName } from '../stacks/index.js';
import { NodeApi } from './node-api.js';
import { spawnInHost, type HostProcess, type SpawnOptions } from './spawn.js';
import { InputError } from '../input-error.js';

export interface ConnectOptions extends SocketOptions {
  /** bind to this local port before connecting */
  localPort?: number;
}

export interface HostControl {
  crash(): Promise<void>;
  reboot(): Promise<void>;
  /** tag the segment of wire frame `n` with the script line that sent or expected it */
  tagSegment(n: number, line: number): void;
}

export class CaseHost {
  readonly spec: HostSpec;

  constructor(
    private readonly host: StackHost,
    private readonly family: Family,
    private readonly ctx: SocketContext,
    private readonly control: HostControl,
  ) {
    this.spec = host.spec;
  }

  /** The TCP stack this host runs: linux, uml or gvisor. */
  get stack(): StackName {
    return this.host.stack;
  }

  /** A sysctl as this host sees it, e.g. `await host.sysctl('net.ipv4.tcp_rfc1337')`; undefined when its stack has none of that name. */
  async sysctl(key: string): Promise<string | undefined> {
    return (await this.host.readSysctls([key]))[key];
  }

  private nodeApi: NodeApi | null = null;

  /** This host through Node's own net module: `host.node.connect(server, 8080)`, `host.node.listen(8080)`. */
  get node(): NodeApi {
    this.nodeApi ??= new NodeApi(this, this.host.node, this.family, this.ctx);
    return this.nodeApi;
  }

  /** @internal the case's socket bookkeeping, for a driver that makes system calls itself (the packetdrill executor) */
  get context(): SocketContext {
    return this.ctx;
  }

  /** @internal how long the threads of the host's TCP have waited for a CPU so far (a guest's; null on linux) */
  runDelays(): RunDelays | null {
    return this.host.runDelays();
  }

  /** @internal tag the segment of wire frame `n` with the line of the packetdrill script that sent or expected it */
  tagSegment(n: number, line: number): void {
    this.control.tagSegment(n, line);
  }

  /** Power loss: from now on nothing this host does reaches the wire; its sockets vanish without FIN or RST. */
  crash(): Promise<void> {
    return this.control.crash();
  }

  /** Back after a crash: same addresses and MAC, no TCP state, so it answers old connections with RST. */
  reboot(): Promise<void> {
    return this.control.reboot();
  }

  get name(): string {
    return this.spec.name;
  }
  get ipv4(): string {
    return this.spec.ipv4;
  }
  get ipv6(): string {
    return this.spec.ipv6;
  }
  get ns(): string {
    return this.spec.ns;
  }

  /** This host's address in the case's family (or the one asked for). */
  address(family: Family = this.family): string {
    return family === 6 ? this.spec.ipv6 : this.spec.ipv4;
  }

  /** The host's socket system calls. */
  get sys(): Syscalls {
    return this.host.sys;
  }

  /** An unbound socket with `options` applied. */
  socket(options: SocketOptions = {}): TcpSocket {
    return TcpSocket.create({ name: this.name, sys: this.sys, address: (f) => this.address(f) }, this.family, options, this.ctx);
  }

  /** socket + bind(this host's address, port) + listen */
  async listen(port: number, options: SocketOptions & { backlog?: number } = {}): Promise<TcpSocket> {
    checkPort(port, 'listen');
    const { backlog, ...opts } = options;
    const s = this.socket(opts);
    await s.bind(port);
    await s.listen(backlog);
    return s;
  }

  /** socket (+ bind to localPort) + connect to `to` (a host or an address) */
  async connect(to: CaseHost | string, port: number, options: ConnectOptions = {}): Promise<TcpSocket> {
    checkPort(port, 'connect');
    const { localPort, ...opts } = options;
    const s = this.socket(opts);
    if (localPort !== undefined) {
      checkPort(localPort, 'connect localPort', true);
      await s.bind(localPort);
    }
    await s.connect(typeof to === 'string' ? to : to.address(this.family), port);
    return s;
  }

  /**
   * Run a real program inside this host's network namespace (a server under test, a
   * client, a tool): `await server.spawn(process.execPath, ['server.mjs', '8080'], { ready: 'listening' })`.
   * Its output is kept and logged with the case's calls; it is killed when the case ends.
   */
  spawn(command: string, args: readonly string[] = [], options: SpawnOptions = {}): Promise<HostProcess> {
    return spawnInHost({ name: this.name, processes: this.host.processes }, command, args, options, this.ctx);
  }
}

function checkPort(port: number, what: string, allowZero = false): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new InputError(`${what}: port ${port} is out of range (${allowZero ? 0 : 1}–65535)`);
  }
}
