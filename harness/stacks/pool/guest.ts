/**
 * One guest of the pool: its holder namespace, its link, its process and its agent.
 *
 *   holder ns "…-g3"                          park ns "…-park"
 *   eth0 (guest MAC) ── veth ──────────────── g3   (moved into a case's wire namespace
 *   [linux.uml | runsc: the guest]                  as p<i> while the guest is leased)
 *
 * The guest sends and receives on the holder's eth0, which carries no address (the
 * guest owns them); the other end of the pair waits in the park namespace between
 * cases. The agent's lines arrive here one by one: forwarded to the case that leased
 * the guest, or read by the pool itself (its readiness, its own requests).
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { netnsAdd, netnsDel } from '../../topology/netlink.js';
import { homeNamespaceFd, namespaceFd, releaseNamespace, withRtnl } from '../../topology/netns.js';
import { applySysctls } from '../../topology/sysctl.js';
import { bootUml, CONTROL } from '../uml/boot.js';
import { connectIn } from './connect-in.js';
import { lineSplitter } from '../../agent/lines.js';
import { bootGvisor, removeGvisor } from '../gvisor/boot.js';
import type { GuestStack } from '../types.js';

export const BOOT_TIMEOUT_MS: Record<GuestStack, number> = { uml: 90_000, gvisor: 30_000 };
const CONSOLE_KEEP = 6000;

export interface GuestPaths {
  /** folder of this pool's guest files */
  dir: string;
  parkNs: string;
  agent: string;
  /** a UML guest's init (harness/stacks/uml/init.sh) */
  umlInit: string;
}

/** returning: its case gave it back and the pool is ending the case in it */
export type GuestState = 'booting' | 'idle' | 'leased' | 'returning' | 'crashed' | 'stopping' | 'dead';

function mac(pool: number, n: number): string {
  const hex = (x: number) => (x & 255).toString(16).padStart(2, '0');
  return `02:74:67:${hex(pool >> 8)}:${hex(pool)}:${hex(n)}`;
}

export class PoolGuest {
  state: GuestState = 'booting';
  readonly holderNs: string;
  readonly port: string;
  readonly mac: string;
  /** the guest's kernel (uname -r inside) */
  release = '';
  /** sysctls the whole guest was started with (gVisor) */
  readonly sysctls: Record<string, string>;
  /** address slots of recent cases, with when they ended (gVisor keeps TIME_WAIT across cases) */
  readonly recentSlots = new Map<number, number>();
  private child: ChildProcess | null = null;

  /** the guest's process on the host (UML: the kernel itself), while it runs */
  get pid(): number | undefined {
    return this.child?.pid;
  }
  private consoleText = '';
  private toAgent: Writable | null = null;
  /** where the agent's lines go */
  onLine: (line: string) => void = () => {};
  onExit: (why: string) => void = () => {};
  readonly bootedAt: number[] = [];
  /** UML: the agent's share of the last start, ms */
  agentMs: number | undefined;
  private agentStartedAt: number | null = null;

  constructor(
    readonly stack: GuestStack,
    readonly id: string,
    readonly n: number,
    private readonly paths: GuestPaths,
    sysctls: Record<string, string>,
  ) {
    this.holderNs = id;
    this.port = `g${n}`;
    this.mac = mac(process.pid, n);
    this.sysctls = sysctls;
  }

  private get dir(): string {
    return join(this.paths.dir, `g${this.n}`);
  }

  /** The holder namespace and the veth pair into the park. */
  makeLink(): void {
    netnsAdd(this.holderNs, homeNamespaceFd());
    // the holder's end never gets an IPv6 link-local address: the guest alone speaks on it
    applySysctls(this.holderNs, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    withRtnl(this.holderNs, (nl) => {
      nl.addVeth('eth0', this.mac, null, this.port, namespaceFd(this.paths.parkNs));
      nl.setUp('lo', true);
      nl.setUp('eth0', true);
      nl.offloadsOff('eth0');
      if (this.stack === 'uml') {
        // the control link: the guest's vec1 on m0, the pool on m1
        nl.addVeth(CONTROL.hostLink, '02:74:6d:00:00:01', null, CONTROL.poolLink, null);
        nl.setUp(CONTROL.hostLink, true);
        nl.setUp(CONTROL.poolLink, true);
        // as on the case's link: no segmentation offloads between the host's stack and the guest's
        nl.offloadsOff(CONTROL.hostLink);
        nl.offloadsOff(CONTROL.poolLink);
        nl.addAddress(nl.index(CONTROL.poolLink), CONTROL.pool, 30);
      }
    });
    withRtnl(this.paths.parkNs, (nl) => nl.offloadsOff(this.port));
  }

  /** Is the port back in the park (the case that leased the guest gave it back)? */
  portParked(): boolean {
    try {
      withRtnl(this.paths.parkNs, (nl) => nl.link(this.port));
      return true;
    } catch {
      return false;
    }
  }

  removeLink(): void {
    releaseNamespace(this.holderNs);
    try {
      netnsDel(this.holderNs);
    } catch {
      // gone already
    }
    try {
      withRtnl(this.paths.parkNs, (nl) => nl.delLink(this.port));
    } catch {
      // went with the holder's end
    }
  }

  /** Start the guest process; resolves when its agent says it is ready. */
  boot(): Promise<void> {
    this.consoleText = '';
    // runsc gives its netstack only links that have an address, and takes it off the link:
    // one from TEST-NET-1, every start, which the agent removes before the first case
    if (this.stack === 'gvisor') withRtnl(this.holderNs, (nl) => nl.addAddress(nl.index('eth0'), '192.0.2.1', 32));
    const started = Date.now();
    const child =
      this.stack === 'uml'
        ? bootUml({ id: this.id, dir: this.dir, holderNs: this.holderNs, ifname: 'eth0', mac: this.mac, agent: this.paths.agent, init: this.paths.umlInit })
        : bootGvisor({ id: this.id, dir: this.dir, holderNs: this.holderNs, agent: this.paths.agent, sysctls: this.sysctls });
    this.child = child;
    this.agentStartedAt = null;
    const keep = (d: string) => {
      if (this.agentStartedAt === null && d.includes('starting the agent')) this.agentStartedAt = Date.now();
      this.consoleText = (this.consoleText + d).slice(-CONSOLE_KEEP);
    };
    child.stderr!.setEncoding('utf8').on('data', keep);
    if (this.stack === 'uml') child.stdout!.setEncoding('utf8').on('data', keep);
    const channel: Promise<[Writable, NodeJS.ReadableStream]> =
      this.stack === 'uml'
        ? connectIn(this.holderNs, CONTROL.guest, CONTROL.port, BOOT_TIMEOUT_MS.uml, () => child.exitCode !== null || child.signalCode !== null).then((s) => [s, s])
        : Promise.resolve([child.stdin!, child.stdout!]);
    void channel.then(
      ([toAgent, fromAgent]) => {
        this.toAgent = toAgent;
        toAgent.on('error', () => undefined);
        fromAgent.setEncoding('utf8');
        fromAgent.on('data', lineSplitter((line) => this.onLine(line)));
      },
      () => undefined,
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`did not start within ${BOOT_TIMEOUT_MS[this.stack] / 1000} s`), BOOT_TIMEOUT_MS[this.stack]);
      const fail = (why: string) => {
        clearTimeout(timer);
        this.onLine = () => {};
        reject(new Error(`${this.stack} guest ${this.id} ${why}${this.consoleTail()}`));
      };
      this.onLine = (line) => {
        if (line !== '{"ev":"ready"}') return;
        clearTimeout(timer);
        this.bootedAt.push(Date.now() - started);
        this.agentMs = this.agentStartedAt === null ? undefined : Date.now() - this.agentStartedAt;
        resolve();
      };
      channel.catch((e: Error) => fail(e.message));
      child.once('exit', (code, signal) => {
        if (this.state === 'booting') fail(`exited while starting (${signal ?? code})`);
        else if (this.state !== 'stopping' && this.state !== 'crashed') this.onExit(`the ${this.stack} guest exited (${signal ?? code})${this.consoleTail()}`);
      });
    });
  }

  write(data: string | Buffer): void {
    this.toAgent?.write(data);
  }

  private closeChannel(): void {
    const t = this.toAgent as (Writable & { destroy?: () => void }) | null;
    this.toAgent = null;
    t?.destroy?.();
  }

  /** The console's last line on the first line (a one-line error says it), then the lines before it. */
  consoleTail(): string {
    const lines = this.consoleText.trim().split('\n').filter(Boolean).slice(-12);
    if (!lines.length) return '';
    return `; its console's last line: ${lines[lines.length - 1]}${lines.length > 1 ? `\n  before it:\n  ${lines.slice(0, -1).join('\n  ')}` : ''}`;
  }

  /** Kill the guest process outright (crash) or for good (stop): the link stays. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    this.closeChannel();
    this.onLine = () => {};
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.cleanFiles();
      return;
    }
    const exited = new Promise((r) => child.once('exit', r));
    try {
      // the whole group: UML's helper processes hold its memory files
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
    await exited;
    this.cleanFiles();
  }

  private cleanFiles(): void {
    if (this.stack === 'gvisor') removeGvisor({ id: this.id, dir: this.dir });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
