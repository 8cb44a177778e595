/** The shape of a profile file in cases/profiles/: validated with zod at load time. */
import { z } from 'zod';

/** Per-namespace sysctls only: net.ipv4.*, net.ipv6.*, net.core.* (a few net.core keys are global). */
export const SYSCTL_KEY = /^net\.(ipv4|ipv6|core)\.[a-z0-9_]+(\.[a-z0-9_]+)*$/;

/** A value as /proc/sys takes it: an integer, or a string such as "4096 131072 6291456". */
export const SysctlValue = z.union([z.number().int(), z.string().min(1).max(200)], {
  error: (issue) => `expected an integer or a string, got ${JSON.stringify(issue.input)}`,
});

export const ProfileFile = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
  description: z.string().min(1).max(400),
  /** keys are checked against SYSCTL_KEY and /proc/sys by the loader, with a message naming the key */
  sysctls: z.record(z.string(), SysctlValue),
});

export type ProfileFile = z.infer<typeof ProfileFile>;

export interface Profile extends ProfileFile {
  /** the file it came from */
  file: string;
}
