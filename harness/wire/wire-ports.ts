/**
 * The ports of one case's wire namespace, as the relay sees them: frames from the host
 * behind each port, stamped on the monotonic clock, and frames sent out of a port
 * towards its host.
 *
 * Relay mode: one packet socket for the whole namespace (bound to no interface, the
 * port told by the interface index), blind to outgoing frames, so the relay never sees
 * its own sends again; a filter keeps each port's frames from its host's MAC only.
 * Bridge mode: a kernel bridge forwards; one socket on the first port sees both
 * directions in the order that host's link carries them, one on the second port only
 * counts its host's frames where they enter the bridge (a frame the bridge drops, its
 * port losing carrier as the host's link goes down, was still sent).
 *
 * Opening costs no RCU grace period (no ring, nothing to unhook before bind); closing
 * one does, and happens off the event loop (PacketSocket.close).
 */
import { openSync, closeSync } from 'node:fs';
import { setns } from '../sockets/libc.js';
import { PacketSocket, realtimeOffset, type FastPath } from './packet-socket.js';
import { macWords, portFilter, type PortFilterRule } from './port-filter.js';
import type { PortSpec } from './protocol.js';

/**
 * A frame from the host behind `port`; `data` is valid only during the call, and null
 * for a frame only counted (bridge mode's second port). `time`: monotonic ns, null when
 * the kernel gave no timestamp.
 */
export type PortFrameHandler = (port: number, data: Buffer | null, time: bigint | null) => void;

/**
 * A reader that takes the relay socket's waiting frames itself (native/relay.c), given
 * realtime minus monotonic in ns; false when it does not now, and the frames go to the
 * handler instead.
 */
export type FastDrain = (offset: bigint) => boolean;

const FULL_FRAME = 0x40000;
/** what the counter keeps of a frame it only counts */
const COUNTED_BYTES = 64;
// The relay is on the forwarding path: what waits for it is bounded by the TCP windows
// of the case's connections. In bridge mode nothing slows the senders down to the
// recorder's pace: a whole bulk transfer may have to wait in the queue. These are
// limits on kernel memory used while the sidecar lags, not memory taken up front.
const RELAY_QUEUE_BYTES = 32 * 1024 * 1024;
const BRIDGE_QUEUE_BYTES = 128 * 1024 * 1024;

/** Run `fn` with this thread in the network namespace at `path`. */
export function inNetns<T>(path: string, fn: () => T): T {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  const target = openSync(path, 'r');
  try {
    setns(target);
    try {
      return fn();
    } finally {
      setns(home);
    }
  } finally {
    closeSync(home);
    closeSync(target);
  }
}

export class WirePorts {
  private readonly ifindex: number[];
  private readonly macs: { hi: number; lo: number }[];
  /** relay: the one socket; bridge: the tap on port 0 */
  private readonly main: PacketSocket;
  /** bridge: the counter on port 1 */
  private readonly counter: PacketSocket | null;
  private onFrame: PortFrameHandler = () => {};
  private fast: FastDrain = () => false;
  private offset = 0n;

  constructor(
    private readonly ports: PortSpec[],
    private readonly netnsPath: string,
    private readonly mode: 'relay' | 'bridge',
    onSendFailed: (port: number, code: string) => void,
  ) {
    if (mode === 'bridge' && ports.length !== 2) throw new Error('bridge mode records two hosts; use the relay for more');
    this.macs = ports.map((p) => macWords(p.hostMac));
    const sockets = inNetns(netnsPath, () =>
      mode === 'relay'
        ? [new PacketSocket({ ignoreOutgoing: true, receiveBuffer: RELAY_QUEUE_BYTES, destinations: ports.length, direct: true }, onSendFailed)]
        : [
            new PacketSocket({ ignoreOutgoing: false, receiveBuffer: BRIDGE_QUEUE_BYTES, destinations: 0 }, onSendFailed),
            new PacketSocket({ ignoreOutgoing: true, receiveBuffer: BRIDGE_QUEUE_BYTES, destinations: 0, slotBytes: COUNTED_BYTES }, onSendFailed),
          ],
    );
    this.main = sockets[0];
    this.counter = sockets[1] ?? null;
    try {
      this.ifindex = ports.map((p) => this.lookup(p));
      if (mode === 'relay') {
        this.ifindex.forEach((ifi, i) => this.main.setDestination(i, ifi));
        this.main.setFilter(this.filter(0));
        this.main.bind(0);
      } else {
        for (const i of [0, 1]) {
          this.socketOf(i).setFilter(this.filter(i));
          this.socketOf(i).bind(this.ifindex[i]);
        }
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private lookup(p: PortSpec): number {
    const ifindex = this.main.ifindex(p.ifname);
    if (!ifindex) throw new Error(`wire port ${p.ifname} (host ${p.host}) is not in ${this.netnsPath}`);
    return ifindex;
  }

  private socketOf(port: number): PacketSocket {
    return this.mode === 'bridge' && port === 1 ? this.counter! : this.main;
  }

  /** The filter of the socket that serves `port` (relay: every port). */
  private filter(port: number): Buffer {
    let rules: PortFilterRule[];
    if (this.mode === 'relay') rules = this.ports.map((p, i) => ({ ifindex: this.ifindex[i], macs: [p.hostMac], snap: FULL_FRAME }));
    else if (port === 0) rules = [{ ifindex: this.ifindex[0], macs: this.ports.map((p) => p.hostMac), snap: FULL_FRAME }];
    else rules = [{ ifindex: this.ifindex[1], macs: [this.ports[1].hostMac], snap: COUNTED_BYTES }];
    return portFilter(rules);
  }

  /** The relay socket (bridge mode: the tap on port 0) and its batch memory, for `fast`. */
  fastPath(): FastPath {
    return this.main.fastPath();
  }

  /** The interface of `port` in the wire namespace; 0 once unplugged. */
  ifindexOf(port: number): number {
    return this.ifindex[port];
  }

  /**
   * Start handing the frames to `onFrame` from the event loop as they arrive, or, those
   * of the relay socket (the tap), to `fast` when it takes them; bridge mode's counter
   * always hands its frames to `onFrame`.
   */
  start(onFrame: PortFrameHandler, fast?: FastDrain): void {
    this.onFrame = onFrame;
    if (fast) this.fast = fast;
    this.main.watch(() => this.drain());
    this.counter?.watch(() => this.drain());
  }

  private readonly fromMain = (data: Buffer, ifindex: number, _pkttype: number, sec: number, nsec: number): void => {
    const time = sec < 0 ? null : BigInt(sec) * 1_000_000_000n + BigInt(nsec) - this.offset;
    if (this.mode === 'relay') {
      const port = this.ifindex.indexOf(ifindex);
      if (port >= 0) this.onFrame(port, data, time);
      return;
    }
    // the bridge tap: whose frame it is, by its source MAC
    const hi = data.readUInt32BE(6);
    const lo = data.readUInt16BE(10);
    const from = this.macs.findIndex((m) => m.hi === hi && m.lo === lo);
    if (from >= 0) this.onFrame(from, data, time);
  };

  private readonly fromCounter = (_data: Buffer, _ifindex: number, _pkttype: number, sec: number, nsec: number): void => {
    this.onFrame(1, null, sec < 0 ? null : BigInt(sec) * 1_000_000_000n + BigInt(nsec) - this.offset);
  };

  /** Hand every frame waiting now to the handler. */
  drain(): void {
    this.offset = realtimeOffset();
    if (!this.fast(this.offset)) this.main.drain(this.fromMain);
    this.counter?.drain(this.fromCounter);
  }

  /**
   * Send `data` out of `port` towards its host: at once, or, while frames are being
   * handed out, with the rest of their batch. False when the port is gone (unplugged).
   */
  send(port: number, data: Buffer): boolean {
    if (!this.ifindex[port]) return false;
    this.main.send(port, data, port);
    return true;
  }

  /** The port's link is about to vanish (a crashing host): nothing from or to it any more. */
  unplug(port: number): void {
    this.ifindex[port] = 0;
    this.refilter(port);
  }

  /** The host behind `port` got a new link (reboot): its port is a new interface. */
  replug(port: number): void {
    this.ifindex[port] = this.lookup(this.ports[port]);
    this.refilter(port);
    if (this.mode === 'bridge') this.socketOf(port).bind(this.ifindex[port]);
  }

  private refilter(port: number): void {
    if (this.mode === 'relay') this.main.setDestination(port, this.ifindex[port]);
    this.socketOf(port).setFilter(this.filter(port));
  }

  close(): void {
    void this.main.close();
    void this.counter?.close();
  }
}
