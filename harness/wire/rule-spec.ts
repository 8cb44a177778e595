/** Wire rules as they travel to the sidecar: what to match and what to do. */
import { z } from 'zod';

const Num = z.object({ op: z.enum(['=', '<=', '>=', '<', '>', '!=']), value: z.number() });
const Opt = z.union([z.object({ kind: z.literal('present') }), z.object({ kind: z.literal('absent') }), z.object({ kind: z.literal('number'), op: Num.shape.op, value: z.number() })]);

export const FrameMatch = z.object({
  /** port index of the sender, null for any */
  from: z.number().int().nullable(),
  to: z.number().int().nullable(),
  flags: z.array(z.string()),
  optionalFlags: z.array(z.string()),
  len: Num.optional(),
  win: Num.optional(),
  mss: Opt.optional(),
  wscale: Opt.optional(),
  ts: Opt.optional(),
  sackOK: Opt.optional(),
  /** the pattern as the case wrote it, for logs */
  text: z.string(),
});
export type FrameMatch = z.infer<typeof FrameMatch>;

export const RuleSpec = z.object({
  id: z.string(),
  action: z.enum(['drop', 'hold', 'delay', 'duplicate', 'reorder']),
  match: FrameMatch,
  /** matching frames to let through before acting (nth occurrence = skip n-1) */
  skip: z.number().int().min(0).default(0),
  /** how many matching frames to act on; -1 = all */
  count: z.number().int().min(-1).default(1),
  /** hold: release when a frame matching this is seen */
  until: FrameMatch.optional(),
  /** delay: how long */
  ms: z.number().min(0).max(600_000).optional(),
});
export type RuleSpec = z.infer<typeof RuleSpec>;
