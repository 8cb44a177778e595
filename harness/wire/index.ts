export { Wire, type WireHost, type WireFrame } from './wire.js';
export { sidecar, stopSidecar, SidecarClient } from './client.js';
export type { PortStats, FrameEvent, PortSpec } from './protocol.js';
export { PortDrops, completeness } from './completeness.js';
