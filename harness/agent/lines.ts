/** JSON lines over a byte stream: the framing of the agent's protocol, on both ends. */
import type { Readable, Writable } from 'node:stream';

/** Call `fn` with each parsed line of `input`; a line that is not JSON goes to `bad`. */
export function readLines(input: Readable, fn: (message: unknown) => void, bad: (line: string) => void = () => {}): void {
  let buf = '';
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    // look for the end of a line only in the new chunk: a long line comes in many chunks
    let from = buf.length;
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n', from)) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      from = 0;
      if (!line.trim()) continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        bad(line);
        continue;
      }
      fn(message);
    }
  });
}

export function writeLine(output: Writable, message: unknown): void {
  output.write(JSON.stringify(message) + '\n');
}
