/**
 * The guest pool: guests of a run, started by the runner like the capture sidecar and
 * shared by its workers (vitest starts a fresh worker per case file; a guest takes
 * seconds to start). A case leases a ready guest over a Unix connection; from the
 * lease's reply on, that connection is a pipe to the guest's agent. When the case
 * closes it, the pool ends the case in the guest (`end`: its sockets, programs and
 * network go), checks the guest's port is back in the park and lends the guest again;
 * a guest in doubt is replaced by a fresh one.
 *
 * Control requests (crash, reboot, the slot a case used) come on connections of their
 * own: { op, guest, lease }.
 */
import { createServer, type Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import { RUNSC_BINARY } from '../gvisor/boot.js';
import { netnsAdd, netnsDel } from '../../topology/netlink.js';
import { homeNamespaceFd, releaseNamespace } from '../../topology/netns.js';
import { PoolGuest, type GuestPaths, type GuestState } from './guest.js';
import { LeaseRequest, ControlRequest, type LeaseReply, type GuestStatus } from './protocol.js';
import type { GuestStack } from '../types.js';

/** a gVisor sandbox keeps TIME_WAIT across cases for ~60 s: a slot is not reused in it for this long */
const SLOT_REST_MS = 130_000;
const END_TIMEOUT_MS = 10_000;
/** idle guests beyond this many per stack are stopped */
const MAX_IDLE = 8;

interface Lease {
  token: string;
  guest: PoolGuest;
  conn: Socket;
}

export class GuestPool {
  private readonly guests = new Set<PoolGuest>();
  private readonly leases = new Map<PoolGuest, Lease>();
  private readonly waiting: { stack: GuestStack; sysctls: Record<string, string>; give: (g: PoolGuest) => void; fail: (e: Error) => void }[] = [];
  private n = 0;
  private asked = 0;
  private stopping = false;

  constructor(
    private readonly prefix: string,
    private readonly paths: GuestPaths,
  ) {
    netnsAdd(paths.parkNs, homeNamespaceFd());
  }

  /** Start `count` guests of `stack` ahead of the first lease. */
  prewarm(stack: GuestStack, count: number): void {
    for (let i = 0; i < count; i++) void this.start(stack, {}).catch(() => undefined);
  }

  private async start(stack: GuestStack, sysctls: Record<string, string>): Promise<PoolGuest> {
    const n = ++this.n;
    const g = new PoolGuest(stack, `${this.prefix}-g${n}`, n, this.paths, sysctls);
    this.guests.add(g);
    try {
      g.makeLink();
      await g.boot();
    } catch (e) {
      await this.remove(g);
      // the cases waiting for a guest like it would wait for one that never comes
      for (const w of this.waiting.filter((x) => x.stack === stack && sameSysctls(x.sysctls, sysctls))) {
        this.waiting.splice(this.waiting.indexOf(w), 1);
        w.fail(e as Error);
      }
      throw e;
    }
    g.onExit = (why) => this.died(g, why);
    const hello = (await this.ask(g, 'hello')) as { release: string } | null;
    // what runs a gVisor host is runsc, whatever kernel its sandbox pretends to be (4.4.0)
    g.release = stack === 'gvisor' ? runscVersion() : (hello?.release ?? '');
    this.idle(g);
    return g;
  }

  /** The guest is free: the first case waiting for one like it gets it. */
  private idle(g: PoolGuest): void {
    g.state = 'idle';
    g.onLine = () => {};
    const i = this.waiting.findIndex((w) => this.fits(g, w.stack, w.sysctls));
    if (i >= 0) {
      const [w] = this.waiting.splice(i, 1);
      w.give(g);
      return;
    }
    const idle = [...this.guests].filter((x) => x.stack === g.stack && x.state === 'idle');
    if (idle.length > MAX_IDLE) void this.remove(g);
  }

  private fits(g: PoolGuest, stack: GuestStack, sysctls: Record<string, string>): boolean {
    if (g.stack !== stack) return false;
    // a gVisor sandbox's sysctls are its whole network stack's: only an exact match will do
    return stack !== 'gvisor' || sameSysctls(g.sysctls, sysctls);
  }

  /** A guest for a case: an idle one that fits, one starting, or a new one. */
  private acquire(stack: GuestStack, sysctls: Record<string, string>): Promise<PoolGuest> {
    const idle = [...this.guests].find((g) => g.state === 'idle' && this.fits(g, stack, sysctls));
    if (idle) return Promise.resolve(idle);
    // a guest whose case just ended comes back within tens of milliseconds: not worth a boot
    const coming = [...this.guests].filter((g) => (g.state === 'booting' || g.state === 'returning') && this.fits(g, stack, sysctls)).length;
    const queued = this.waiting.filter((w) => w.stack === stack && sameSysctls(w.sysctls, sysctls)).length;
    return new Promise((give, fail) => {
      this.waiting.push({ stack, sysctls, give, fail });
      // every waiting case has a guest on its way: a boot failure fails the case that asked for it
      if (queued >= coming) {
        this.start(stack, sysctls).catch((e: Error) => {
          const i = this.waiting.findIndex((w) => w.give === give);
          if (i >= 0) this.waiting.splice(i, 1)[0].fail(e);
        });
      }
    });
  }

  async lease(conn: Socket, request: LeaseRequest): Promise<void> {
    let g: PoolGuest;
    try {
      g = await this.acquire(request.stack, request.sysctls);
    } catch (e) {
      conn.end(JSON.stringify({ error: (e as Error).message } satisfies LeaseReply) + '\n');
      return;
    }
    if (conn.destroyed) return this.idle(g);
    g.state = 'leased';
    const lease: Lease = { token: `${g.id}-${Date.now().toString(36)}`, guest: g, conn };
    this.leases.set(g, lease);
    this.connect(lease);
    const now = Date.now();
    const reply: LeaseReply = { lease: lease.token, guest: this.status(g, now) };
    conn.write(JSON.stringify(reply) + '\n');
    conn.on('data', (d) => lease.guest.write(d));
    conn.on('close', () => void this.release(lease));
    conn.on('error', () => undefined);
  }

  private status(g: PoolGuest, now: number): GuestStatus {
    return {
      id: g.id,
      stack: g.stack,
      holderNs: g.holderNs,
      parkNs: this.paths.parkNs,
      port: g.port,
      mac: g.mac,
      release: g.release,
      recentSlots: [...g.recentSlots].filter(([, t]) => now - t < SLOT_REST_MS).map(([s]) => s),
      bootMs: g.bootedAt,
      ...(g.agentMs !== undefined ? { agentMs: g.agentMs } : {}),
      ...(g.pid !== undefined ? { pid: g.pid } : {}),
    };
  }

  /** The agent's lines go to the case. */
  private connect(lease: Lease): void {
    lease.guest.onLine = (line) => {
      if (!lease.conn.destroyed) lease.conn.write(line + '\n');
    };
  }

  private async release(lease: Lease): Promise<void> {
    const g = lease.guest;
    if (this.leases.get(g) !== lease) return;
    this.leases.delete(g);
    if (this.stopping || g.state === 'dead' || g.state === 'stopping') return;
    if (g.state !== 'leased') return this.replace(g);
    g.state = 'returning';
    const clean = (await this.endCase(g)) && g.portParked();
    // it died or the pool began stopping meanwhile
    if ((g.state as GuestState) !== 'returning') return;
    if (clean) return this.idle(g);
    await this.replace(g);
  }

  /** In doubt (its case died, its port went with a deleted namespace, it crashed): a fresh guest. */
  private async replace(g: PoolGuest): Promise<void> {
    await this.remove(g);
    if (!this.stopping) void this.start(g.stack, g.sysctls).catch(() => undefined);
  }

  /** The agent's own `end`: the case's sockets, programs and network go. */
  private async endCase(g: PoolGuest): Promise<boolean> {
    return (await this.ask(g, 'end')) !== null;
  }

  /**
   * A request of the pool's own to an agent no case is talking to: its value, or null
   * when it failed or did not come in time. Ids below 0 are the pool's.
   */
  private ask(g: PoolGuest, op: string): Promise<unknown> {
    const id = -++this.asked;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), END_TIMEOUT_MS);
      g.onLine = (line) => {
        if (!line.startsWith(`{"id":${id},`)) return;
        clearTimeout(timer);
        const reply = JSON.parse(line) as { ok: boolean; value?: unknown };
        resolve(reply.ok ? (reply.value ?? true) : null);
      };
      // a line a case left unfinished ends here (the agent ignores it), then the request
      g.write('\n' + JSON.stringify({ id, op }) + '\n');
    });
  }

  private died(g: PoolGuest, why: string): void {
    const lease = this.leases.get(g);
    g.state = 'dead';
    if (lease && !lease.conn.destroyed) lease.conn.end(JSON.stringify({ ev: 'died', message: why }) + '\n');
    void this.remove(g);
  }

  async control(request: ControlRequest): Promise<unknown> {
    const lease = [...this.leases.values()].find((l) => l.token === request.lease && l.guest.id === request.guest);
    if (!lease) throw new Error(`no lease ${request.lease} of guest ${request.guest}`);
    const g = lease.guest;
    switch (request.op) {
      case 'slot':
        g.recentSlots.set(request.slot, Date.now());
        return null;
      case 'crash':
        g.state = 'crashed';
        await g.kill();
        return null;
      case 'reboot':
        if (g.state !== 'crashed') throw new Error(`guest ${g.id} is not crashed`);
        g.state = 'booting';
        await g.boot();
        g.onExit = (why) => this.died(g, why);
        g.state = 'leased';
        this.connect(lease);
        return this.status(g, Date.now());
    }
  }

  private async remove(g: PoolGuest): Promise<void> {
    if (g.state === 'stopping') return;
    g.state = 'stopping';
    await g.kill();
    g.removeLink();
    g.state = 'dead';
    this.guests.delete(g);
  }

  /** Every guest, its link and the park go. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const w of this.waiting.splice(0)) w.fail(new Error('the guest pool is stopping'));
    await Promise.all([...this.guests].map((g) => this.remove(g)));
    releaseNamespace(this.paths.parkNs);
    try {
      netnsDel(this.paths.parkNs);
    } catch {
      // gone already
    }
  }

  /** Serve leases and control requests on a Unix socket. */
  listen(path: string): Promise<void> {
    const server = createServer((conn) => {
      let buf = '';
      const onData = (d: Buffer) => {
        buf += d.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        conn.off('data', onData);
        const rest = buf.slice(nl + 1);
        void this.first(conn, buf.slice(0, nl), rest);
      };
      conn.on('data', onData);
      conn.on('error', () => undefined);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  }

  private async first(conn: Socket, line: string, rest: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      conn.end(JSON.stringify({ error: 'not JSON' }) + '\n');
      return;
    }
    const lease = LeaseRequest.safeParse(message);
    if (lease.success) {
      await this.lease(conn, lease.data);
      if (rest) conn.emit('data', Buffer.from(rest));
      return;
    }
    const control = ControlRequest.safeParse(message);
    if (!control.success) {
      conn.end(JSON.stringify({ error: `bad request: ${control.error.issues[0]?.message}` }) + '\n');
      return;
    }
    try {
      const value = await this.control(control.data);
      conn.end(JSON.stringify({ ok: true, value }) + '\n');
    } catch (e) {
      conn.end(JSON.stringify({ error: (e as Error).message }) + '\n');
    }
  }
}

let runsc: string | null = null;
function runscVersion(): string {
  runsc ??= (spawnSync(RUNSC_BINARY, ['--version'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0]?.replace(/^runsc version /, 'runsc ') || 'runsc';
  return runsc;
}

function sameSysctls(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && String(a[k]) === String(b[k]));
}
