#!/bin/sh
# init of a User-Mode Linux guest of tcpladder: the host's / is the root file system,
# read-only; the guest gets its own /proc, /sys, /run and /tmp, loads IPv6 (a module in
# Debian's UML build) and runs the agent, reached on its control link, until it is stopped.
# TCPL_NODE, TCPL_AGENT, TCPL_CONTROL and TCPL_SHOW come from the kernel command line.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o size=16m tmpfs /run
mount -t tmpfs -o size=64m tmpfs /tmp
# the project, when it lies under /tmp or /run (a clone in /tmp): shown again over them
if [ -n "$TCPL_SHOW" ]; then
  mkdir -p "$TCPL_SHOW" && mount -t hostfs -o ro,"$TCPL_SHOW" hostfs "$TCPL_SHOW" || echo "tcpladder-init: $TCPL_SHOW not shown"
fi
mkdir -p /run/m/lib /run/netns
ln -s /usr/lib/uml/modules /run/m/lib/modules
modprobe -d /run/m ipv6 || echo "tcpladder-init: ipv6 module not loaded"
# No byte queue limit on vec0 (as on most virtual NICs): its driver forgets the bytes of
# frames still queued when it closes, as moving it into a case's namespace and back does
# (a FIN sent after the case's port went down), and once the forgotten bytes reached the
# limit a case began with its queue stopped and nothing of it reached the wire.
echo 100000000 > /sys/class/net/vec0/queues/tx-0/byte_queue_limits/limit_min || echo "tcpladder-init: vec0's byte queue limit not lifted"
# IPv6 is off in the guest's own namespace: the NIC sits there, down, between cases
echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
echo "tcpladder-init: starting the agent"
exec "$TCPL_NODE" --enable-source-maps "$TCPL_AGENT" --states sockdiag --control "$TCPL_CONTROL"
