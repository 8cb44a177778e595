/** The packet layer's public face: decoding, pcap/pcapng I/O, frame building, connection analysis. */
export * from './types.js';
export { decodeFrame } from './decode.js';
export { formatIpv4, formatIpv6, formatMac, parseIp, parseMac } from './addr.js';
export { decodeTcpOptions, optionName, OPTION_KINDS, OPTION_NAMES } from './tcp-options.js';
export { FLAG_STRINGS } from './tcp.js';
export { formatOptions, flagNames, summariseFrame, type FormatOptionsOptions } from './format.js';
export { CaptureFormatError } from './capture-error.js';
export { CaptureReader, readCapture, streamCapture, type CaptureFormat } from './capture.js';
export { PcapWriter, pcapBytes, pcapFileHeader, type PcapWriterOptions, type FrameToWrite } from './writer.js';
export {
  encodeFrame,
  encodeOption,
  encodeOptions,
  parseFlags,
  type FrameSpec,
  type FlagsSpec,
  type TcpOptionSpec,
} from './encode.js';
export { internetChecksum, verifyChecksums, type ChecksumCheck } from './checksum.js';
export { toHex } from './bytes.js';
export {
  analyseConnections,
  ConnectionTracker,
  type ConnectionTrackerOptions,
  type AnalysisMark,
  type Connection,
  type ConnectionAnalysis,
  type FrameForAnalysis,
  type SegmentInfo,
  type TcpEndpoint,
} from './connections.js';
export { coveredRanges } from './ranges.js';
