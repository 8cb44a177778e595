/**
 * What a running script knows: its descriptors (script fd → live socket), the socket
 * under test that packets map to, the live addresses and ports, and the case's
 * bookkeeping (call log, tracked sockets, abort signal).
 */
import { learnTuple, type SocketCall, type SocketContext, type Syscalls } from '../sockets/index.js';
import { ScriptSocket, type SocketPhase } from './script-socket.js';

export interface LiveAddresses {
  /** AF_INET or AF_INET6: the sockets' domain (AF_INET6 for ipv4-mapped-ipv6) */
  domain: number;
  /** the addresses as the script's sockets use them (IPv4-mapped for ipv4-mapped-ipv6) */
  local: string;
  remote: string;
  /** the addresses the script may write for them (packetdrill's defaults, --local_ip, --remote_ip) */
  scriptLocal: string[];
  scriptRemote: string[];
  bindPort: number;
  connectPort: number;
}

export class ExecState {
  readonly fds = new Map<number, ScriptSocket>();
  readonly sockets: ScriptSocket[] = [];
  underTest: ScriptSocket | null = null;
  private nextPort = 40000 + Math.floor(Math.random() * 20000);

  constructor(
    readonly sys: Syscalls,
    readonly host: string,
    readonly net: LiveAddresses,
    readonly ctx: SocketContext,
    readonly signal: AbortSignal,
    /** the live descriptors are this process's (a namespace host): calls Syscalls cannot make are made on them directly (raw-io.ts) */
    readonly ownsFds = false,
  ) {}

  newSocket(phase: SocketPhase): ScriptSocket {
    const s = new ScriptSocket({ name: this.host }, phase, (fd) => this.sys.closeNow(fd));
    this.sockets.push(s);
    return s;
  }

  /** Give the socket its script fd and live descriptor, and track it in the case's trace. */
  bindFd(s: ScriptSocket, scriptFd: number, liveFd: number): void {
    s.scriptFd = scriptFd;
    s.liveFd = liveFd;
    s.label = `fd${scriptFd}`;
    this.fds.set(scriptFd, s);
    this.ctx.adopt(s);
  }

  /** A port for a connection the script's peer opens (packetdrill picks an ephemeral one). */
  ephemeralPort(): number {
    const p = this.nextPort;
    this.nextPort = p >= 60999 ? 40000 : p + 1;
    return p;
  }

  /** Learn the descriptor's addresses for the trace; a failed call leaves what was known. */
  async refreshTuple(s: ScriptSocket): Promise<void> {
    if (s.liveFd < 0 || s.closed) return;
    await learnTuple(this.sys, s.liveFd, s);
  }

  record(call: SocketCall & { line: number }): void {
    this.ctx.record(call);
  }
}
