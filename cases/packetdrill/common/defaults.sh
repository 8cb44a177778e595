#!/bin/sh
# The sysctls tcpladder's own scripts run with (each sources this file as its init
# command, inside the local host's network namespace): fixed buffer sizes, so that
# windows and the window scale do not depend on the machine's memory, and the TCP
# options Linux uses by default.
sysctl -q -w \
  net.ipv4.tcp_rmem="4096 131072 6291456" \
  net.ipv4.tcp_wmem="4096 16384 4194304" \
  net.ipv4.tcp_timestamps=1 \
  net.ipv4.tcp_sack=1 \
  net.ipv4.tcp_window_scaling=1 \
  net.ipv4.tcp_ecn=0 \
  net.ipv4.tcp_rfc1337=0 \
  net.ipv4.tcp_syncookies=1 \
  net.ipv4.tcp_fin_timeout=60
