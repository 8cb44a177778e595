/** The guest pool's requests (validated: they come from other processes) and replies. */
import { z } from 'zod';

export const LeaseRequest = z.object({
  op: z.literal('lease'),
  stack: z.enum(['uml', 'gvisor']),
  /** gVisor: the sysctls the whole sandbox must have (a new sandbox when none has them) */
  sysctls: z.record(z.string(), z.string()),
});
export type LeaseRequest = z.infer<typeof LeaseRequest>;

export const ControlRequest = z.discriminatedUnion('op', [
  z.object({ op: z.literal('crash'), guest: z.string(), lease: z.string() }),
  z.object({ op: z.literal('reboot'), guest: z.string(), lease: z.string() }),
  z.object({ op: z.literal('slot'), guest: z.string(), lease: z.string(), slot: z.number().int() }),
]);
export type ControlRequest = z.infer<typeof ControlRequest>;

export interface GuestStatus {
  id: string;
  stack: 'uml' | 'gvisor';
  /** the namespace the guest process sits in */
  holderNs: string;
  /** where its port waits between cases, and the port's name there */
  parkNs: string;
  port: string;
  /** the MAC the guest sends from */
  mac: string;
  /** the guest's kernel release (uname -r inside) */
  release: string;
  /** address slots the guest served lately (gVisor: pick another) */
  recentSlots: number[];
  /** how long each start of this guest took, ms (until its agent was ready) */
  bootMs: number[];
  /** UML: how long its agent took of the last start (from its init's line to ready), ms */
  agentMs?: number;
  /** the guest's process on the host (UML: the kernel itself; gVisor: runsc, its sandbox below it) */
  pid?: number;
}

export type LeaseReply = { lease: string; guest: GuestStatus } | { error: string };
