export { createTopology, silenceTcp, linkReady, type Topology, type HostSpec, type TopologyOptions } from './build.js';
export { inNamespace } from './netns.js';
export { applySysctls, readSysctls, type Sysctls } from './sysctl.js';
export { runId, registerOwner, unregisterOwner, ownerAlive, ownerOf, resourceName, STATE_DIR, PREFIX } from './owner.js';
export { cleanLeftovers } from './clean.js';
export { privilegeProblem, rootless, realRoot, userNamespaceProblem } from './privilege.js';
