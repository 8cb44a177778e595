/** The tcpladder command line: one module per command. */
import { createRequire } from 'node:module';
import { EXIT, UsageError, processIo, type Io } from './io.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export const HELP = `tcpladder ${version} — TCP conformance harness: real sockets, a recorded wire, ladder diagrams

Usage:
  tcpladder run [paths…]      run conformance cases (default: cases/), write captures/<run>/
  tcpladder show FILE         the ladder diagram of any pcap or pcapng capture
                              (--format text|svg|mermaid; tcpladder help show)
  tcpladder clean             remove leftovers of tcpladder runs whose process is gone
  tcpladder doctor            check this machine has what a run needs, with the fix for each gap
  tcpladder diff A B          compare two runs' bundles (bundle.json or run folders) case by case
  tcpladder merge DIR…        join the run folders of a sharded run (run --shard I/N) into one
  tcpladder help [command]    help for a command
  tcpladder --version

Exit codes: 0 all passed, 1 a case failed (diff: a difference), 2 bad usage or input.
Network commands need root (network namespaces, veth links, tracefs).
`;

type Command = (argv: string[], io: Io) => Promise<number>;

// Each command's modules load only when it runs: all of them take most of a second
// to load, `show` alone a tenth of that.
const COMMANDS: Record<string, Command> = {
  run: async (argv, io) => (await import('./run.js')).runCommand(argv, io),
  show: async (argv, io) => (await import('./show.js')).showCommand(argv, io),
  clean: async (argv, io) => (await import('./clean.js')).cleanCommand(argv, io),
  doctor: async (argv, io) => (await import('./doctor.js')).doctorCommand(argv, io),
  diff: async (argv, io) => (await import('./diff.js')).diffCommand(argv, io),
  merge: async (argv, io) => (await import('./merge.js')).mergeCommand(argv, io),
};

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help') {
    io.stdout(HELP);
    return cmd ? EXIT.ok : EXIT.usage;
  }
  if (cmd === '--version' || cmd === '-v') {
    io.stdout(`${version}\n`);
    return EXIT.ok;
  }
  if (cmd === 'help') {
    const sub = rest[0];
    if (sub && COMMANDS[sub]) return COMMANDS[sub](['--help'], io);
    io.stdout(HELP);
    return EXIT.ok;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    io.stderr(`tcpladder: unknown command "${cmd}" (try tcpladder --help)\n`);
    return EXIT.usage;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`tcpladder ${cmd}: ${e.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`tcpladder ${cmd}: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
}
