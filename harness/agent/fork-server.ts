/**
 * Programs started for the agent by a small Perl process that forks them.
 *
 * Making a process in a guest costs what forking its parent costs: Node's
 * child_process forks the agent, a Node process of ~60 MiB, and a User-Mode Linux guest
 * copies its address space page table by page table (0.2–0.5 s a program, most of a
 * packetdrill script's time there); gVisor's sentry does the same work more cheaply
 * (~0.1 s). Perl is part of every Debian system (perl-base is essential), its process
 * is a few MiB, and it is forked once per agent; each program is then forked from it.
 *
 * A program for a namespace is put there by the forked child itself (setns(2), where
 * the system call's number is known), not through nsenter: an exec costs ~40 ms in UML.
 *
 * The protocol, one line each way per message, every string hex-encoded:
 *   agent → server: `ID CWD NETNS ARGC ARG… ENV…` (no CWD or NETNS: "-")
 *   server → agent: `started ID PID`, `failed ID MESSAGE`, `out PID 1|2 DATA`,
 *                   `exit PID CODE|- SIGNAL|-` (after the program's output has all come)
 * Each program is the leader of a session of its own (a signal to -PID reaches what it
 * started), its stdin /dev/null, its output two pipes the server reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { lineSplitter } from './lines.js';

/** setns(2)'s number, where it is known; elsewhere programs go through nsenter */
const SETNS: number | undefined = ({ x64: 308 } as Record<string, number>)[process.arch];

const PERL = String.raw`
use strict; use warnings; use POSIX ();
use constant SETNS => ${SETNS ?? -1};
$| = 1;
$SIG{PIPE} = 'IGNORE';
my $chld = 0;
$SIG{CHLD} = sub { $chld = 1 };
my (%streams, %live);
my $in = '';
sub unhex { pack('H*', $_[0]) }
sub done {
  my ($pid) = @_;
  my $l = $live{$pid};
  return if !$l || $l->{open} > 0 || !defined $l->{status};
  my $st = $l->{status};
  my $sig = $st & 127;
  print 'exit ', $pid, ' ', ($sig ? '-' : $st >> 8), ' ', ($sig || '-'), "\n";
  delete $live{$pid};
}
sub reap {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    next unless $live{$pid};
    $live{$pid}{status} = $?;
    done($pid);
  }
}
sub failed { print 'failed ', $_[0], ' ', unpack('H*', $_[1]), "\n" }
sub start {
  my ($id, $cwd, $netns, $argc, @rest) = split / /, $_[0];
  my @argv = map { unhex($_) } splice(@rest, 0, $argc);
  my @env = map { unhex($_) } @rest;
  my ($or, $ow, $er, $ew, $xr, $xw);
  pipe($or, $ow) && pipe($er, $ew) && pipe($xr, $xw) or return failed($id, "pipe: $!");
  my $pid = fork();
  return failed($id, "fork: $!") unless defined $pid;
  if ($pid == 0) {
    close $or; close $er; close $xr;
    POSIX::setsid();
    open(STDIN, '<', '/dev/null'); open(STDOUT, '>&', $ow); open(STDERR, '>&', $ew);
    close $ow; close $ew;
    $SIG{$_} = 'DEFAULT' for qw(PIPE CHLD);
    %ENV = map { split(/=/, $_, 2) } @env;
    if ($netns ne '-') {
      my $path = unhex($netns);
      my $ns;
      unless (open($ns, '<', $path) && syscall(SETNS, fileno($ns), 0x40000000) == 0) { syswrite($xw, "setns $path: $!"); POSIX::_exit(127) }
      close $ns;
    }
    if ($cwd ne '-' && !chdir(unhex($cwd))) { syswrite($xw, "chdir: $!"); POSIX::_exit(127) }
    { no warnings 'exec'; exec { $argv[0] } @argv; }
    syswrite($xw, "$!");
    POSIX::_exit(127);
  }
  close $ow; close $ew; close $xw;
  my $err = '';
  1 while !defined sysread($xr, $err, 4096) && $!{EINTR};
  close $xr;
  if ($err ne '') {
    close $or; close $er;
    waitpid($pid, 0);
    return failed($id, $err);
  }
  $live{$pid} = { open => 2 };
  $streams{fileno $or} = [$or, $pid, 1];
  $streams{fileno $er} = [$er, $pid, 2];
  print "started $id $pid\n";
}
for (;;) {
  $chld = 0;
  reap();
  my $rin = '';
  vec($rin, 0, 1) = 1;
  vec($rin, $_, 1) = 1 for keys %streams;
  # an exit whose SIGCHLD came between reap() and select(): looked for again soon
  my $waiting = grep { $_->{open} == 0 } values %live;
  my $n = select(my $rout = $rin, undef, undef, $waiting ? 0.05 : undef);
  next if $n <= 0;
  if (vec($rout, 0, 1)) {
    my $r = sysread(STDIN, my $buf, 65536);
    exit 0 if defined $r && $r == 0;
    if ($r) { $in .= $buf; start($1) while $in =~ s/^([^\n]*)\n//; }
  }
  for my $fd (keys %streams) {
    next unless vec($rout, $fd, 1);
    my ($fh, $pid, $which) = @{$streams{$fd}};
    my $r = sysread($fh, my $data, 65536);
    next if !defined $r && $!{EINTR};
    if ($r) { print "out $pid $which ", unpack('H*', $data), "\n"; next; }
    close $fh;
    delete $streams{$fd};
    $live{$pid}{open}--;
    done($pid);
  }
}
`;

export interface ForkedProgram {
  pid: number;
  onOutput(fn: (stream: 'stdout' | 'stderr', data: string) => void): void;
  onExit(fn: (exit: { code: number | null; signal: string | null }) => void): void;
}

interface Pending {
  resolve: (p: ForkedProgram) => void;
  reject: (e: Error) => void;
}

interface Running {
  output: ((stream: 'stdout' | 'stderr', data: string) => void) | null;
  exit: ((exit: { code: number | null; signal: string | null }) => void) | null;
  early: Array<['stdout' | 'stderr', string]>;
  decoders: [StringDecoder, StringDecoder];
  ended?: { code: number | null; signal: string | null };
}

/** Output of a program to its listener, or kept until it has one (lines may come before the agent has the pid). */
function deliver(run: Running, stream: 'stdout' | 'stderr', text: string): void {
  if (run.output) run.output(stream, text);
  else run.early.push([stream, text]);
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n as number, name]));
const hex = (s: string) => Buffer.from(s).toString('hex');

export class ForkServer {
  private server: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, Running>();
  private stderr = '';

  /** Starts `argv` with exactly `env`, in `cwd` and the network namespace `netns` (paths, if given). */
  start(argv: string[], env: Record<string, string>, cwd?: string, netns?: string): Promise<ForkedProgram> {
    if (netns && SETNS === undefined) return this.start(['nsenter', `--net=${netns}`, '--', ...argv], env, cwd);
    const server = this.ensure();
    const id = this.nextId++;
    const fields = [String(id), cwd ? hex(cwd) : '-', netns ? hex(netns) : '-', String(argv.length), ...argv.map(hex), ...Object.entries(env).map(([k, v]) => hex(`${k}=${v}`))];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      server.stdin!.write(fields.join(' ') + '\n');
    });
  }

  private ensure(): ChildProcess {
    if (this.server) return this.server;
    const server = spawn('perl', ['-e', PERL], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.server = server;
    server.stdout!.setEncoding('latin1').on('data', lineSplitter((line) => this.onLine(line)));
    server.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-2000)));
    const gone = (why: string) => {
      if (this.server === server) this.server = null;
      const error = new Error(`the guest's fork server ${why}${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      // nobody is left to see its programs end: they are killed, and said to be
      for (const pid of [...this.running.keys()]) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
        this.ended(pid, { code: null, signal: 'SIGKILL' });
      }
    };
    server.on('error', (e) => gone(`could not start (${e.message})`));
    // 'close', not 'exit': the lines still in its pipe (programs' ends) are read first
    server.on('close', (code, signal) => gone(`ended (${signal ?? `status ${code}`})`));
    server.stdin!.on('error', () => {});
    return server;
  }

  private onLine(line: string): void {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'started' || kind === 'failed') {
      const p = this.pending.get(Number(a));
      if (!p) return;
      this.pending.delete(Number(a));
      if (kind === 'failed') return p.reject(new Error(Buffer.from(b ?? '', 'hex').toString()));
      const pid = Number(b);
      const run: Running = { output: null, exit: null, early: [], decoders: [new StringDecoder('utf8'), new StringDecoder('utf8')] };
      this.running.set(pid, run);
      p.resolve({
        pid,
        onOutput: (fn) => {
          run.output = fn;
          for (const [s, d] of run.early.splice(0)) fn(s, d);
        },
        onExit: (fn) => {
          run.exit = fn;
          if (run.ended) fn(run.ended);
        },
      });
    } else if (kind === 'out') {
      const run = this.running.get(Number(a));
      if (!run) return;
      const which = b === '1' ? 0 : 1;
      const text = run.decoders[which].write(Buffer.from(c ?? '', 'hex'));
      if (!text) return;
      deliver(run, which === 0 ? 'stdout' : 'stderr', text);
    } else if (kind === 'exit') {
      this.ended(Number(a), { code: b === '-' ? null : Number(b), signal: c === '-' ? null : (SIGNAL_NAMES.get(Number(c)) ?? `signal ${c}`) });
    }
  }

  private ended(pid: number, how: { code: number | null; signal: string | null }): void {
    const run = this.running.get(pid);
    if (!run) return;
    this.running.delete(pid);
    run.decoders.forEach((d, i) => {
      const rest = d.end();
      if (rest) deliver(run, i === 0 ? 'stdout' : 'stderr', rest);
    });
    run.ended = how;
    run.exit?.(how);
  }
}
