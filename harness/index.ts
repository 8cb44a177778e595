/** tcpladder's public API for case files. */
import './expect/index.js';
export { tcpCase, type CaseContext, type CaseOptions } from './case/tcp-case.js';
export type { CaseHost, ConnectOptions } from './case/host.js';
export type { HostsOptions } from './case/run.js';
export { TcpSocket, SocketError, patternBytes, type TcpInfo, type SocketOptions } from './sockets/index.js';
export { coveredRanges } from './packet/index.js';
export type { Wire } from './wire/index.js';
export { type TcpladderMatchers, type PatternInput } from './expect/index.js';
