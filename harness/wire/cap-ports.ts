/**
 * The previous capture path, kept as the benchmarks' reference while the packet-socket
 * path is measured against it (TCPLADDER_WIRE_CAPTURE=cap in the sidecar's
 * environment): one libpcap handle (`cap`) per port, each with its own 8 MiB ring
 * (128 MiB in bridge mode), frames stamped when JavaScript gets them, one send() per
 * frame, handles opened and closed one after the other on the sidecar's thread.
 */
import { createRequire } from 'node:module';
import { inNetns, type PortFrameHandler, type PortIo } from './wire-ports.js';
import type { PortSpec } from './protocol.js';

const require = createRequire(import.meta.url);
const { Cap } = require('cap') as { Cap: new () => CapHandle };

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  send(buffer: Buffer, length: number): void;
  close(): void;
}

const RING_BYTES = 8 * 1024 * 1024;
const BRIDGE_RING_BYTES = 128 * 1024 * 1024;

export class CapPorts implements PortIo {
  private readonly handles: (CapHandle | null)[] = [];
  // cap copies each frame into the buffer given to open() through a raw pointer and
  // keeps no reference to it: the buffers must stay reachable as long as the handles
  private readonly buffers: Buffer[] = [];
  private onFrame: PortFrameHandler = () => {};

  constructor(
    private readonly ports: PortSpec[],
    private readonly netnsPath: string,
    private readonly mode: 'relay' | 'bridge',
    private readonly onSendFailed: (port: number, code: string) => void,
  ) {
    if (mode === 'bridge' && ports.length !== 2) throw new Error('bridge mode records two hosts; use the relay for more');
    try {
      inNetns(netnsPath, () => (mode === 'bridge' ? this.openBridgeTap() : ports.forEach((_, i) => this.openPort(i))));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  start(onFrame: PortFrameHandler): void {
    this.onFrame = onFrame;
  }

  private openPort(index: number): void {
    const port = this.ports[index];
    const cap = new Cap();
    const buffer = Buffer.alloc(65535);
    this.buffers.push(buffer);
    cap.open(port.ifname, `ether src ${port.hostMac}`, RING_BYTES, buffer);
    cap.on('packet', (nbytes) => this.onFrame(index, buffer.subarray(0, nbytes), null));
    this.handles[index] = cap;
  }

  private openBridgeTap(): void {
    const macs = this.ports.map((p) => p.hostMac);
    const cap = new Cap();
    const buffer = Buffer.alloc(65535);
    this.buffers.push(buffer);
    cap.open(this.ports[0].ifname, macs.map((m) => `ether src ${m}`).join(' or '), BRIDGE_RING_BYTES, buffer);
    cap.on('packet', (nbytes) => {
      const data = buffer.subarray(0, nbytes);
      const src = [...data.subarray(6, 12)].map((b) => b.toString(16).padStart(2, '0')).join(':');
      const from = macs.indexOf(src);
      if (from >= 0) this.onFrame(from, data, null);
    });
    this.handles[0] = cap;
    const counter = new Cap();
    const scratch = Buffer.alloc(65535);
    this.buffers.push(scratch);
    counter.open(this.ports[1].ifname, `ether src ${macs[1]}`, BRIDGE_RING_BYTES, scratch);
    counter.on('packet', () => this.onFrame(1, null, null));
    this.handles[1] = counter;
  }

  // capture handles are dispatched in the poll phase; two turns of the loop let every
  // frame already in their buffers through
  async settle(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }

  send(port: number, data: Buffer): boolean {
    const h = this.handles[port];
    if (!h) return false;
    try {
      h.send(data, data.length);
    } catch (e) {
      this.onSendFailed(port, /No buffer space/.test((e as Error).message) ? 'ENOBUFS' : 'EIO');
    }
    return true;
  }

  unplug(port: number): void {
    closeHandle(this.handles[port]);
    this.handles[port] = null;
  }

  replug(port: number): void {
    this.unplug(port);
    inNetns(this.netnsPath, () => this.openPort(port));
  }

  close(): void {
    for (const h of this.handles) closeHandle(h);
  }
}

/**
 * cap's close() stops its uv_poll handle but never uv_close()s it, and the handle lives
 * inside the native object: once that object is garbage-collected, libuv's handle list
 * points into freed memory. Closed handles are therefore kept for the life of the process.
 */
const closedHandles: CapHandle[] = [];

function closeHandle(h: CapHandle | null | undefined): void {
  if (!h) return;
  try {
    h.close();
  } catch {
    // the interface may already be gone with its namespace
  }
  closedHandles.push(h);
}
