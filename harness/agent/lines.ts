/** JSON lines over a byte stream: the framing of the agent's protocol, on both ends. */
import type { Readable, Writable } from 'node:stream';

/**
 * A handler for a stream's text chunks that calls `line` with every complete line. A long
 * line (megabytes of a write's data) comes in many chunks: they are kept apart until its
 * end arrives and joined once (appending to one string and searching it again for each
 * chunk grew quadratic: 5 MB took 9 s inside a UML guest).
 */
export function lineSplitter(line: (text: string) => void): (chunk: string) => void {
  let parts: string[] = [];
  return (chunk) => {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      parts.push(chunk.slice(start, nl));
      const text = parts.length === 1 ? parts[0] : parts.join('');
      parts = [];
      const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
      if (trimmed) line(trimmed);
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.slice(start));
  };
}

/** Call `fn` with each parsed line of `input`; a line that is not JSON goes to `bad`. */
export function readLines(input: Readable, fn: (message: unknown) => void, bad: (line: string) => void = () => {}): void {
  input.setEncoding('utf8');
  input.on(
    'data',
    lineSplitter((line) => {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        bad(line);
        return;
      }
      fn(message);
    }),
  );
}

export function writeLine(output: Writable, message: unknown): void {
  output.write(JSON.stringify(message) + '\n');
}
