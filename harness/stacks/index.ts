/** stacks: the TCP stack each host runs (linux namespaces, User-Mode Linux and gVisor guests) behind one seam. */
export { createTopology, type Topology, type TopologyOptions } from './topology.js';
export { STACKS, isStackName, type StackName, type GuestStack, type StateView, type StackInfo } from './types.js';
export type { StackHost, HostStates, HostStateEvent } from './host.js';
export type { NodeSockets, NodeServerOptions } from './node-sockets.js';
export type { ProcessStarter, StartedProcess } from './process.js';
export { startPool, probeStack, type StartedPool } from './pool/client.js';
export { runStacks, type RunStacks } from './run-stacks.js';
export { NotApplicable, isNotApplicable } from './not-applicable.js';
export { notApplicable, checkNeeds, sysctlProblem, mtuProblem, GVISOR_WRITABLE, GVISOR_FIXED, GUEST_MAX_MTU } from './capabilities.js';
export { knownFailures, findKnown, knownFailuresDir, KnownFailure, KnownFailuresFile, type FailureKey } from './known-failures.js';
export { cleanGuests, guestOwner } from './clean.js';
export { longestWaitMs, type RunDelays } from './guest/cpu-wait.js';
