/** packetdrill scripts (.pkt): parser, syntax tree, flags and per-folder configuration. See docs/PACKETDRILL.md. */
export type * from './ast.js';
export { parsePacketdrill, type ParseOptions } from './parser.js';
export { DEFAULT_OPTIONS, IP_VERSIONS, PacketdrillOptions, parseFlagArgs, resolveOptions } from './flags.js';
export { CONFIG_FILE, FolderConfigFile, findFolderConfig, folderRuns, parseFolderConfig, type ScriptRun } from './folder-config.js';
export { parseCodeBlock } from './code-block.js';
export { scriptFeatures } from './features.js';
export { registerPacketdrillScript, planScript, planScriptRuns, scriptBody, scriptSeconds, type ScriptPlan } from './script-case.js';
export { runScript, type ScriptEnv } from './executor.js';
export { packetdrillPlugin } from './vite-plugin.js';
export { TOLERANCE_FACTOR_ENV, toleranceFactor, scriptTolerance, toleranceAt, timingError } from './timing.js';
export { formatTap, type TapFormat, type TapInput } from './tap.js';
