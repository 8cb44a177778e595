/**
 * What a worker loads for case files and .pkt scripts: the public API and the .pkt
 * executor's entry, as one precompiled module (vitest.config.ts, harness/runner/case-bundle.ts).
 */
export * from './index.js';
export { registerPacketdrillScript } from './packetdrill/index.js';
