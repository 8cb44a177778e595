/**
 * What a relay keeps, in memory native/relay.c reads and writes too: the frames'
 * numbers and last time, the pcap's file and buffer, each port's counters; and the fast
 * path, which takes every waiting frame through C (numbered, stamped, recorded, streamed
 * and sent) while the case has no wire rule and no cut port, and every frame of bridge
 * mode's tap (recorded only). relay.ts does everything else with the same state
 * (record(), count()), so the two paths share one numbering, one pcap and one set of
 * counters.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { builtC } from '../native-build.js';
import { pcapFileHeader } from '../packet/index.js';
import { pinned } from '../sockets/pinned.js';
import { errnoName } from '../sockets/libc.js';
import type { FrameBatch } from './frame-stream.js';
import type { FastPath } from './packet-socket.js';

const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');

const SOURCE = fileURLToPath(new URL('./native/relay.c', import.meta.url));

// struct tl_relay's fields, in the order tl_layout() tells their offsets
const FIELDS = [
  'fd', 'nports', 'ifindex', 'mac', 'rxHdrs', 'rxNames', 'rxControl', 'slots', 'slotBytes', 'txHdrs', 'txIov', 'dests',
  'epochBase', 'pcapFd', 'pcapBuf', 'pcapCap', 'snap', 'bridge', 'offset', 'streamBuf', 'streamCap', 'streamUsed',
  'frames', 'lastTime', 'pcapUsed', 'streamCount', 'batchN', 'batchI', 'captured', 'delivered', 'refused',
] as const;
type Field = (typeof FIELDS)[number];
export type Counter = 'captured' | 'delivered' | 'refused';

interface Lib {
  drain: (relay: number, max: number) => number;
  record: (relay: number, data: Buffer, len: number, stamp: bigint) => number;
  flush: (relay: number) => number;
  headerBytes: (data: Buffer, len: number, snap: number) => number;
  at: Record<Field, number>;
  size: number;
  maxPorts: number;
}

let lib: Lib | null = null;

/** native/relay.c, built on first use (native-build.ts) and loaded. */
export function relayLibrary(): Lib {
  if (lib) return lib;
  const so = koffi.load(builtC(SOURCE, 'library'));
  const layout = new BigInt64Array(64);
  const n = Number(so.func('int64_t tl_layout(_Out_ int64_t *out)')(layout));
  if (n !== FIELDS.length + 2) throw new Error(`${SOURCE}: struct tl_relay has ${n - 2} fields, native-relay.ts knows ${FIELDS.length}`);
  const at = Object.fromEntries(FIELDS.map((f, i) => [f, Number(layout[i])])) as Record<Field, number>;
  lib = {
    drain: so.func('int64_t tl_drain(uintptr_t relay, int64_t max)'),
    record: so.func('int64_t tl_record(uintptr_t relay, const uint8_t *data, int64_t len, int64_t stamp)'),
    flush: so.func('int64_t tl_flush(uintptr_t relay)'),
    headerBytes: so.func('int64_t tl_header_bytes(const uint8_t *data, int64_t len, int64_t snap)'),
    at,
    size: Number(layout[FIELDS.length]),
    maxPorts: Number(layout[FIELDS.length + 1]),
  };
  return lib;
}

// The pcap gets Unix time, frames carry the monotonic clock (process.hrtime's, the
// tracefs instance's), so that wire and kernel events compare directly.
const epochBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** a pcap buffer per case, its pages resident once filled: 1 MiB is 700 full frames a write */
const PCAP_BUFFER = 1024 * 1024;
/** frames taken in by one drain at most, as packet-socket.ts's */
const DRAIN_MAX = 4096;

// cores still open when the process exits get their pcap written out: a relay torn down
// without close() still leaves every frame it took on disk
const open = new Set<RelayCore>();
process.on('exit', () => {
  for (const c of open) c.flushPcap(false);
});

function failure(what: string, code: number): Error {
  return new Error(`relay: ${what}: ${errnoName(-code)}`);
}

export class RelayCore {
  private readonly lib = relayLibrary();
  private readonly mem: { buf: Buffer; addr: number };
  private readonly pcap: { buf: Buffer; addr: number };
  private readonly pcapFd: number;
  private closed = false;

  /** `snap`: bytes of a frame the stream carries at most (the harness's `snap`) */
  constructor(
    private readonly nports: number,
    readonly pcapPath: string,
    snap: number,
  ) {
    if (nports > this.lib.maxPorts) throw new Error(`a wire of ${nports} hosts: the relay takes ${this.lib.maxPorts} at most`);
    this.mem = pinned(this.lib.size);
    this.pcap = pinned(PCAP_BUFFER);
    this.pcapFd = openSync(pcapPath, 'w');
    writeSync(this.pcapFd, pcapFileHeader());
    this.set('nports', nports);
    this.set('epochBase', epochBase);
    this.set('pcapFd', this.pcapFd);
    this.set('pcapBuf', this.pcap.addr);
    this.set('pcapCap', PCAP_BUFFER);
    this.set('snap', snap);
    open.add(this);
  }

  private set(f: Field, v: number | bigint, index = 0): void {
    this.mem.buf.writeBigInt64LE(BigInt(v), this.lib.at[f] + index * 8);
  }

  private get(f: Field, index = 0): number {
    return Number(this.mem.buf.readBigInt64LE(this.lib.at[f] + index * 8));
  }

  /** The packet socket the fast path reads (and, unless `bridge`, sends) with, and its batch memory. */
  useSocket(p: FastPath, bridge: boolean): void {
    this.set('bridge', bridge ? 1 : 0);
    this.set('fd', p.fd);
    this.set('rxHdrs', p.rxHdrs);
    this.set('rxNames', p.rxNames);
    this.set('rxControl', p.rxControl);
    this.set('slots', p.slots);
    this.set('slotBytes', p.slotBytes);
    this.set('txHdrs', p.txHdrs);
    this.set('txIov', p.txIov);
    this.set('dests', p.dests);
  }

  /** Port `port`'s interface in the wire namespace (0: unplugged), and the MAC of its host as {hi, lo} words. */
  setPort(port: number, ifindex: number, mac: { hi: number; lo: number }): void {
    this.set('ifindex', ifindex, port);
    this.set('mac', BigInt(mac.hi) * 0x10000n + BigInt(mac.lo), port);
  }

  /**
   * A frame's number and time: `stamp` (monotonic ns; now if null), never before the
   * last frame's; written to the pcap.
   */
  record(data: Buffer, stamp: bigint | null): { n: number; time: bigint } {
    const n = this.lib.record(this.mem.addr, data, data.length, stamp ?? -1n);
    if (n < 0) throw failure(`writing ${this.pcapPath}`, n);
    return { n, time: this.mem.buf.readBigInt64LE(this.lib.at.lastTime) };
  }

  count(port: number, counter: Counter): void {
    const o = this.lib.at[counter] + port * 8;
    this.mem.buf.writeBigInt64LE(this.mem.buf.readBigInt64LE(o) + 1n, o);
  }

  counters(port: number): Record<Counter, number> {
    return { captured: this.get('captured', port), delivered: this.get('delivered', port), refused: this.get('refused', port) };
  }

  /**
   * Take every frame waiting now through the fast path, each added to `stream` (a
   * message sent whenever it is full). `offset`: realtime minus monotonic, ns. Returns
   * the number of frames added.
   */
  drain(offset: bigint, stream: FrameBatch): number {
    if (this.closed) return 0;
    this.set('offset', offset);
    let added = 0;
    for (;;) {
      const target = stream.target();
      this.set('streamBuf', target.addr);
      this.set('streamCap', target.cap);
      this.set('streamUsed', target.used);
      const r = this.lib.drain(this.mem.addr, DRAIN_MAX);
      const count = this.get('streamCount');
      stream.added(this.get('streamUsed'), count);
      added += count;
      if (r < 0) throw failure(`relaying (${this.pcapPath})`, r);
      if (this.get('batchI') >= this.get('batchN')) return added;
      // a record always fits an empty message: no progress would mean a broken layout
      if (count === 0) throw new Error(`relay: a frame's record does not fit an empty stream message (${target.cap} bytes)`);
      stream.flush();
    }
  }

  /** Write the pcap's buffer to its file; `strict`: say when that fails. */
  flushPcap(strict = true): void {
    const r = this.lib.flush(this.mem.addr);
    if (r < 0 && strict) throw failure(`writing ${this.pcapPath}`, r);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    try {
      this.flushPcap();
    } finally {
      closeSync(this.pcapFd);
    }
  }
}

/** How many of a frame's bytes the stream carries (frame-stream.ts's headerBytes, in C): for tests. */
export function nativeHeaderBytes(data: Buffer, snap: number): number {
  return relayLibrary().headerBytes(data, data.length, snap);
}
