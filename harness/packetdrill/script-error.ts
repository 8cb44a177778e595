import { InputError } from '../input-error.js';

/** `file:line: what` — the one-line form of every error in a script. */
export function scriptError(file: string, line: number, what: string): InputError {
  return new InputError(`${file}:${line}: ${what}`);
}

/** `file:line: unsupported: what` — valid packetdrill that tcpladder does not run. */
export function unsupported(file: string, line: number, what: string): InputError {
  return scriptError(file, line, `unsupported: ${what}`);
}
