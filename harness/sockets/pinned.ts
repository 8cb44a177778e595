/**
 * Memory the kernel can be pointed at through koffi: the backing store of an
 * ArrayBuffer, which V8 never moves, passed as a plain integer address.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');

/**
 * A zeroed buffer whose memory never moves, and its address (at least 8 bytes, so that
 * an empty one still has one). Its pages become resident only once written.
 */
export function pinned(bytes: number): { buf: Buffer; addr: number } {
  const buf = Buffer.from(new ArrayBuffer(Math.max(8, bytes)));
  return { buf, addr: Number(koffi.address(buf)) };
}

/** A 64-bit little-endian pointer at `offset`, written as two halves: no BigInt on hot paths. */
export function writePtr(buf: Buffer, offset: number, addr: number): void {
  buf.writeUInt32LE(addr % 0x1_0000_0000, offset);
  buf.writeUInt32LE(Math.floor(addr / 0x1_0000_0000), offset + 4);
}
