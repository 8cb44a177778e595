/**
 * Programs tcpladder starts as `setpriv --pdeathsig KILL -- …` (trace readers, programs
 * on hosts) die with the process that started them, even on SIGKILL — but only once
 * setpriv has run its prctl. Until then a death of the starter would leave them running.
 */
import { readFileSync } from 'node:fs';

/**
 * Until setpriv has set the death signal and exec'd on (to the program, or nsenter
 * first). Bounded: a setpriv that fails exits, and a stuck one is given up on after 2 s.
 */
export async function pastSetpriv(pid: number): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return; // gone already
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    if (comm !== 'setpriv' || 'ZX'.includes(stat[close + 2]) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

