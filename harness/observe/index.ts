export { CaseObserver, traceSession, closeTraceSession, observerKind, type ObservedHost, type ObserverKind } from './observer.js';
export { cleanInstances, tracefsRoot } from './tracefs.js';
export { diagSockets, type DiagSocket } from './sockdiag.js';
export { tupleKey, buildHistories, type History, type Transition, type StateSource } from './timeline.js';
export { STATES, isTcpState, type TcpState } from './states.js';
export type { KernelEvent, Tuple } from './events.js';
