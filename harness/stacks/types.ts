/** The TCP stacks a host can run, and what each can and cannot show. */

export const STACKS = ['linux', 'uml', 'gvisor'] as const;
export type StackName = (typeof STACKS)[number];
export type GuestStack = Exclude<StackName, 'linux'>;

export function isStackName(s: string): s is StackName {
  return (STACKS as readonly string[]).includes(s);
}

/**
 * How a stack's socket states are seen:
 * - traced: every transition, from the kernel's tracepoint (linux as root)
 * - sampled: every socket of the host, looked at about once a ms (sock_diag)
 * - descriptors: only sockets the case holds a descriptor for, between socket()/accept()
 *   and close() (gVisor: no sock_diag, no TIME_WAIT in /proc/net/tcp)
 */
export type StateView = 'traced' | 'sampled' | 'descriptors';

export interface StackInfo {
  name: StackName;
  /** what a person reads: "Linux 6.18 (this machine's kernel)", "User-Mode Linux 6.1", … */
  title: string;
  /** the Debian package that brings it, for the fix of a missing stack */
  package: string | null;
  states: StateView;
}
