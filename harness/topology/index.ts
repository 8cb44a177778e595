export {
  createWire,
  addLink,
  adoptPort,
  returnPort,
  setPortUp,
  deletePort,
  linkReady,
  readCounters,
  addCounters,
  subCounters,
  silenceTcp,
  ZERO,
  type CaseWire,
  type HostSpec,
  type Counters,
} from './wire-ns.js';
export { inNamespace, withRtnl } from './netns.js';
export { applySysctls, readPresentSysctls, type Sysctls } from './sysctl.js';
export { runId, registerOwner, unregisterOwner, ownerAlive, liveOwners, ownerOf, resourceName, STATE_DIR, PREFIX } from './owner.js';
export { cleanLeftovers } from './clean.js';
export { privilegeProblem, rootless, realRoot, userNamespaceProblem } from './privilege.js';
