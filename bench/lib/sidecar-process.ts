/** What the benchmarks read of processes from /proc: the capture sidecar this process started, CPU time, peak memory. */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: the unit of /proc/PID/stat's times on Linux */
const TICK_MS = 10;

/** The capture sidecar started by this process (it is told our pid as its parent), or null. */
export function sidecarPid(): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const i = args.indexOf('--die-with-parent');
      if (i >= 0 && args[i + 1] === String(process.pid) && args.some((a) => a.includes('sidecar'))) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU time (user + system) of a process, ms. */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** CPU time of this process's children that have exited and been waited for, ms. */
export function childrenCpuMs(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** Peak resident set (VmHWM) of a process, MiB. */
export function peakRssMiB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
