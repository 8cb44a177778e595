/**
 * The relay: one capture handle per wire port, each frame captured on one port is
 * timestamped, written to the pcap and sent out of the port of its destination.
 *
 * Each handle filters `ether src <host MAC>`, so the relay's own injections, which
 * libpcap sees again as outgoing frames, are dropped by the kernel before JS.
 */
import { createRequire } from 'node:module';
import { openSync, closeSync } from 'node:fs';
import { PcapWriter } from '../packet/index.js';
import { setns } from '../sockets/libc.js';
import type { PortSpec, PortStats } from './protocol.js';

const require = createRequire(import.meta.url);
const { Cap } = require('cap') as { Cap: new () => CapHandle };

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  send(buffer: Buffer, length: number): void;
  close(): void;
}

export interface RelayedFrame {
  n: number;
  time: bigint;
  port: number;
  to: number[];
  data: Buffer;
}

// Frames are stamped with the monotonic clock (the clock of process.hrtime and of the
// tracefs instance), so wire and kernel events compare directly; the pcap gets wall time.
const epochBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

const BROADCAST_BIT = 0x01;
const RING_BYTES = 8 * 1024 * 1024;

export class Relay {
  private readonly handles: CapHandle[] = [];
  private readonly buffers: Buffer[] = [];
  private readonly stats: PortStats[];
  private readonly writer: PcapWriter;
  private frames = 0;
  private closed = false;

  constructor(
    readonly ports: PortSpec[],
    netnsPath: string,
    pcapPath: string,
    private readonly onFrame: (f: RelayedFrame) => void,
  ) {
    this.stats = ports.map((p) => ({ host: p.host, captured: 0, delivered: 0, sendFailed: 0 }));
    this.writer = new PcapWriter(pcapPath);
    const home = openSync('/proc/thread-self/ns/net', 'r');
    const target = openSync(netnsPath, 'r');
    try {
      setns(target);
      try {
        ports.forEach((p, i) => this.openPort(p, i));
      } finally {
        setns(home);
      }
    } catch (e) {
      this.close();
      throw e;
    } finally {
      closeSync(home);
      closeSync(target);
    }
  }

  private openPort(port: PortSpec, index: number): void {
    const cap = new Cap();
    const buffer = Buffer.alloc(65535);
    cap.open(port.ifname, `ether src ${port.hostMac}`, RING_BYTES, buffer);
    cap.on('packet', (nbytes) => this.receive(index, buffer, nbytes));
    this.handles.push(cap);
    this.buffers.push(buffer);
  }

  private destinations(from: number, frame: Buffer): number[] {
    if (frame[0] & BROADCAST_BIT) return this.ports.map((_, i) => i).filter((i) => i !== from);
    const dst = [...frame.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const to = this.ports.findIndex((p) => p.hostMac === dst);
    return to >= 0 && to !== from ? [to] : [];
  }

  private receive(from: number, buffer: Buffer, nbytes: number): void {
    if (this.closed) return;
    const time = process.hrtime.bigint();
    const data = Buffer.from(buffer.subarray(0, nbytes));
    this.stats[from].captured++;
    this.frames++;
    this.writer.write({ time: epochBase + time, data });
    const to = this.destinations(from, data);
    for (const port of to) this.deliver(port, data);
    this.onFrame({ n: this.frames, time, port: from, to, data });
  }

  /**
   * Send a frame out of `port` towards its host. A host whose link is down (before
   * the case brings it up, after it is cut or at teardown) makes the send fail with
   * ENOBUFS; the veth counts it as dropped, and so does the relay.
   */
  deliver(port: number, data: Buffer): void {
    this.stats[port].delivered++;
    try {
      this.handles[port].send(data, data.length);
    } catch {
      this.stats[port].sendFailed++;
    }
  }

  portStats(): PortStats[] {
    return this.stats.map((s) => ({ ...s }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.handles) {
      try {
        h.close();
      } catch {
        // the interface may already be gone with its namespace
      }
    }
    this.writer.closeSync();
  }
}
