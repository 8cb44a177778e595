export { TcpSocket, PendingCalls, patternBytes, type SocketHost, type SocketContext, type SocketCall, type TrackedSocket, type ObservedTransition, type Family, type Shutdown } from './socket.js';
export { SocketOptions } from './options.js';
export { SocketError } from './libc.js';
export { tcpInfoFields, TCP_INFO_MAX_SIZE, type TcpInfo } from './tcp-info.js';
export { formatIpv6, encodeSockaddr, decodeSockaddr, type Endpoint } from './sockaddr.js';
export { localSyscalls, learnTuple, type Syscalls } from './syscalls.js';
