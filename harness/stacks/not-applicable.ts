/**
 * A case that cannot run on a host's stack as written: it needs something the stack does
 * not have (exact states, a sysctl it lacks or cannot set). Its verdict there is "not
 * applicable", with the reason: never a silent skip, never a failure.
 */
export const NOT_APPLICABLE_CODE = 'TCPL_NOT_APPLICABLE';

export class NotApplicable extends Error {
  readonly code = NOT_APPLICABLE_CODE;

  constructor(reason: string) {
    super(reason);
    this.name = 'NotApplicable';
  }
}

export function isNotApplicable(e: unknown): e is NotApplicable {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === NOT_APPLICABLE_CODE;
}
