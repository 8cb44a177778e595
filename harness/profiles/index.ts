/** profiles: named sets of per-namespace sysctls (cases/profiles/*.json), loaded, validated and resolved per host. */
export { ProfileFile, SysctlValue, SYSCTL_KEY, type Profile } from './schema.js';
export { loadProfile, loadProfiles, parseProfile, profileNames, profilesDir, sysctlPath, sysctlValueProblem, type KernelSysctl } from './load.js';
export { resolveHostProfiles, runProfile, type HostProfile, type ProfilePin, type SysctlMap } from './resolve.js';
export { WATCHED_SYSCTLS, readHostSysctls, watchedKeys } from './watched.js';
