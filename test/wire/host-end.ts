// A host's raw view of its link, for tests of the sidecar's packet path: it sends and
// receives raw Ethernet frames of a protocol nobody else speaks (0x88b5) from a packet
// socket inside the host's namespace.
import { execFileSync } from 'node:child_process';
import { PacketSocket } from '../../harness/wire/packet-socket.js';
import { portFilter } from '../../harness/wire/port-filter.js';
import { inNetns } from '../../harness/wire/wire-ports.js';
import { until } from '../reliability/helpers.js';

const ETHERTYPE = 0x88b5;
export const FOREIGN_MAC = '02:00:5e:10:00:01';

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

/** A test frame: `seq` in its payload, `size` bytes in all. */
export function testFrame(dst: string, src: string, seq: number, size = 200): Buffer {
  const f = Buffer.alloc(size);
  macBytes(dst).copy(f, 0);
  macBytes(src).copy(f, 6);
  f.writeUInt16BE(ETHERTYPE, 12);
  f.writeUInt32BE(seq, 14);
  return f;
}

export const isTest = (f: Buffer) => f.length >= 18 && f.readUInt16BE(12) === ETHERTYPE;

/** A host's raw view of its own link: sends frames out of it, and keeps those from `macs` that reach it. */
export class HostEnd {
  readonly sock: PacketSocket;
  readonly got: Buffer[] = [];

  constructor(ns: string, ifname: string, macs: string[]) {
    this.sock = inNetns(`/run/netns/${ns}`, () => new PacketSocket({ ignoreOutgoing: true, receiveBuffer: 1 << 20, destinations: 1 }, () => undefined));
    const ifindex = this.sock.ifindex(ifname);
    this.sock.setDestination(0, ifindex);
    this.sock.setFilter(portFilter([{ ifindex, macs, snap: 65535 }]));
    this.sock.bind(ifindex);
  }

  send(frame: Buffer): void {
    this.sock.send(0, frame, 0);
  }

  read(): Buffer[] {
    this.sock.drain((data) => {
      if (isTest(data)) this.got.push(Buffer.from(data));
    });
    return this.got;
  }
}

/** Wait until `ok()`, at most `ms`; fails the test with `what` otherwise. */
export async function reached(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  if (!(await until(ok, ms, 5))) throw new Error(`not within ${ms} ms: ${what}`);
}

export function ip(ns: string, args: string[]): string {
  return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
}

export function txDropped(ns: string, ifname: string): number {
  return (JSON.parse(ip(ns, ['-j', '-s', 'link', 'show', 'dev', ifname])) as { stats64: { tx: { dropped: number } } }[])[0].stats64.tx.dropped;
}
