/*
 * The throughput bench's "bare relay": what a user-space relay costs on this machine
 * with nothing else to do. Run inside a wire namespace:
 *
 *   bare-relay PORT0 PORT1
 *
 * One AF_PACKET socket for the namespace, as the sidecar's (blind to its own sends,
 * sends bypassing the qdisc layer, a 32 MiB receive queue); frames read with recvmmsg,
 * up to 64 a call, and each sent out of the other port with sendmmsg, from the buffer
 * it was read into. No pcap, no timestamps, no stream to a harness, no rules: the
 * sidecar's relay does all of these, so this is the most any relay on this path could
 * carry here. Prints "ready" once it takes frames in, and at SIGTERM the frames it
 * relayed and its CPU time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define FRAME_MAX 65536

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static int option(int fd, int level, int name, int value) {
  if (setsockopt(fd, level, name, &value, sizeof value) == 0) return 0;
  fprintf(stderr, "bare-relay: setsockopt %d/%d: %s\n", level, name, strerror(errno));
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: bare-relay PORT0 PORT1\n");
    return 2;
  }
  int ifindex[2] = {(int)if_nametoindex(argv[1]), (int)if_nametoindex(argv[2])};
  for (int i = 0; i < 2; i++)
    if (!ifindex[i]) {
      fprintf(stderr, "bare-relay: no interface %s here\n", argv[1 + i]);
      return 1;
    }
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) {
    perror("bare-relay: socket");
    return 1;
  }
  if (option(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) || option(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) ||
      option(fd, SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20))
    return 1;

  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  static char frames[BATCH][FRAME_MAX];
  static struct iovec iov[BATCH];
  static struct sockaddr_ll from[BATCH], to[BATCH];
  static struct mmsghdr in[BATCH], out[BATCH];
  long relayed = 0, refused = 0;
  printf("ready\n");
  fflush(stdout);

  while (!stopping) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){.iov_base = frames[i], .iov_len = FRAME_MAX};
      in[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    int n = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      perror("bare-relay: recvmmsg");
      return 1;
    }
    if (n <= 0) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      poll(&p, 1, 100);
      continue;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
      int port = from[i].sll_ifindex == ifindex[0] ? 0 : from[i].sll_ifindex == ifindex[1] ? 1 : -1;
      if (port < 0) continue;
      to[m] = (struct sockaddr_ll){.sll_family = AF_PACKET, .sll_ifindex = ifindex[1 - port], .sll_halen = ETH_ALEN};
      memcpy(to[m].sll_addr, frames[i], ETH_ALEN);
      iov[i].iov_len = in[i].msg_len;
      out[m].msg_hdr = (struct msghdr){.msg_name = &to[m], .msg_namelen = sizeof to[m], .msg_iov = &iov[i], .msg_iovlen = 1};
      m++;
    }
    // sendmmsg stops at a refused frame: count it and go on with the rest
    for (int sent = 0; sent < m;) {
      int k = sendmmsg(fd, out + sent, m - sent, 0);
      if (k < 0) {
        if (errno == EINTR) continue;
        refused++;
        k = 1;
      }
      sent += k;
      relayed += k;
    }
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  fprintf(stderr, "bare-relay: %ld frames relayed, %ld refused; CPU user %.3f s, system %.3f s\n", relayed - refused, refused,
          ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return 0;
}
