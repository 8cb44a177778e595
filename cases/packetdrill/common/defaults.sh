#!/bin/sh
# The sysctls tcpladder's own scripts run with (each sources this file as its init
# command, inside the local host's network namespace): fixed buffer sizes, so that
# windows and the window scale do not depend on the machine's memory, and the TCP
# options Linux uses by default.
#
# A stack that lacks one of them (gVisor has a short list) or holds it read-only at
# another value keeps its own: that is said on stderr and the script goes on, so what
# the stack then does is seen on the wire, not hidden by a failed init command.
#
# No command substitution or pipe on the way that succeeds: each would be a process of
# its own, and in a User-Mode Linux guest making a process costs tens of milliseconds.
want() {
  f=/proc/sys
  IFS=.
  for part in $1; do f=$f/$part; done
  unset IFS
  if [ ! -e "$f" ]; then
    echo "defaults.sh: this stack has no $1 (left to the stack)" >&2
    return 0
  fi
  printf '%s\n' "$2" 2>/dev/null >"$f" && return 0
  have=$(tr -s '\t ' '  ' <"$f")
  [ "$have" = "$2" ] || echo "defaults.sh: $1 is $have here and cannot be set to $2" >&2
}
want net.ipv4.tcp_rmem "4096 131072 6291456"
want net.ipv4.tcp_wmem "4096 16384 4194304"
want net.ipv4.tcp_timestamps 1
want net.ipv4.tcp_sack 1
want net.ipv4.tcp_window_scaling 1
want net.ipv4.tcp_ecn 0
want net.ipv4.tcp_rfc1337 0
want net.ipv4.tcp_syncookies 1
want net.ipv4.tcp_fin_timeout 60
