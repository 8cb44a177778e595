/** A file handed to `tcpladder diff` that cannot be used: which file, which field, what is wrong. */
export class DiffInputError extends Error {
  constructor(
    readonly file: string,
    /** e.g. "version", "cases[3].segments[0].flags"; empty for the file as a whole */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}${field ? `: ${field}` : ''}: ${problem}`);
    this.name = 'DiffInputError';
  }
}
