# tcpladder in a container. docker-compose.yml runs this image twice: the `harness`
# service (the cases, their hosts as network namespaces inside the container) and the
# `capture` service (the capture sidecar, in the harness's network and pid namespaces).
# See docs/DOCKER.md.
#
# NODE_IMAGE: a Debian bookworm image with Node 20. The official node:20-bookworm-slim
# by default; scripts/docker-e2e builds one offline (debootstrap + the machine's own
# Node) for machines that reach no image registry, and passes its tag here.
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE}

# What the harness runs (ip, ethtool, nft, setpriv and nsenter, ss, mount), what the
# `cap` addon builds against (libpcap-dev, python3, make, g++), the compiler the relay's
# C is built with at the capture sidecar's first start (gcc, libc6-dev), and the other
# TCP stacks a host can run (user-mode-linux: Linux 6.1 as a process; runsc: gVisor's netstack).
# Installed only when missing, so a base image that has them already needs no Debian mirror.
RUN set -eu; \
    need="ca-certificates iproute2 ethtool nftables libpcap-dev procps util-linux kmod python3 make g++ gcc libc6-dev user-mode-linux runsc"; \
    missing=""; \
    for p in $need; do \
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; \
    done; \
    if [ -n "$missing" ]; then \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
      rm -rf /var/lib/apt/lists/*; \
    fi

WORKDIR /tcpladder
COPY package.json package-lock.json ./
# node-gyp builds `cap` against the headers installed next to node when there are
# any, instead of downloading them. The stamp tells scripts/setup the install is current.
RUN set -eu; \
    for d in /usr/local /usr; do \
      if [ -f "$d/include/node/node.h" ]; then export npm_config_nodedir="$d"; break; fi; \
    done; \
    npm ci --no-audit --no-fund --no-update-notifier --loglevel=error; \
    sha256sum package-lock.json | cut -d' ' -f1 > node_modules/.tcpladder-lock.sha256
COPY . .

# The harness; the capture service overrides this (docker-compose.yml).
CMD ["bash", "scripts/docker-harness"]
