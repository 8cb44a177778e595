/*
 * The relay's fast path, in C: the frames waiting in the wire namespace's packet socket
 * read in batches, each numbered, stamped, written to the pcap, added to the stream of
 * frames to the harness and sent out of its destination's port, with no call into
 * JavaScript per frame. It serves a relay whose case has no wire rule and no cut port,
 * and bridge mode's tap (a kernel bridge forwards: frames are only recorded); relay.ts
 * handles every frame otherwise (and injected ones), keeping the same numbers, pcap and
 * counters here (tl_record). Built and loaded by native-relay.ts; the packet socket and
 * its batch memory are packet-socket.ts's.
 *
 * Everything both sides share is in struct tl_relay, 64-bit fields only, whose field
 * offsets native-relay.ts asks for (tl_layout) rather than assumes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PORTS 16
/* struct mmsghdr on 64-bit Linux, and the sizes packet-socket.ts lays its batches out with */
#define MMSG 64
#define M_NAME 0
#define M_NAMELEN 8
#define M_IOV 16
#define M_CONTROLLEN 40
#define M_FLAGS 48
#define M_LEN 56
#define IOV 16
#define SLL 20
#define CONTROL 64
#define SCM_TIMESTAMPNS_ 35
#define PCAP_SNAPLEN 262144
#define NS 1000000000LL

struct tl_relay {
  /* set up once */
  int64_t fd;
  int64_t nports;
  int64_t ifindex[MAX_PORTS]; /* of each port in the wire namespace; 0 once unplugged */
  int64_t mac[MAX_PORTS];     /* the MAC of the host behind each port, as a 48-bit number */
  int64_t rx_hdrs, rx_names, rx_control, slots, slot_bytes;
  int64_t tx_hdrs, tx_iov, dests; /* dests: a sockaddr_ll per port */
  int64_t epoch_base;             /* Unix time minus monotonic time, ns: the pcap's clock */
  int64_t pcap_fd, pcap_buf, pcap_cap;
  int64_t snap;                   /* bytes of a frame the stream carries at most */
  int64_t bridge;                 /* bridge mode: the socket taps port 0; a frame is whose its source MAC says */
  /* set before each drain */
  int64_t offset; /* realtime minus monotonic, ns: the kernel stamps frames in realtime */
  int64_t stream_buf, stream_cap, stream_used;
  /* kept by both sides */
  int64_t frames, last_time, pcap_used;
  int64_t stream_count; /* frames added to the stream by the last drain */
  int64_t batch_n, batch_i; /* a batch read, not all of it handled yet (the stream was full) */
  int64_t captured[MAX_PORTS], delivered[MAX_PORTS], refused[MAX_PORTS];
};

/* The offset of each field, in the order native-relay.ts names them. */
int64_t tl_layout(int64_t *out) {
  int64_t o[] = {
    offsetof(struct tl_relay, fd), offsetof(struct tl_relay, nports), offsetof(struct tl_relay, ifindex),
    offsetof(struct tl_relay, mac), offsetof(struct tl_relay, rx_hdrs), offsetof(struct tl_relay, rx_names),
    offsetof(struct tl_relay, rx_control), offsetof(struct tl_relay, slots), offsetof(struct tl_relay, slot_bytes),
    offsetof(struct tl_relay, tx_hdrs), offsetof(struct tl_relay, tx_iov), offsetof(struct tl_relay, dests),
    offsetof(struct tl_relay, epoch_base), offsetof(struct tl_relay, pcap_fd), offsetof(struct tl_relay, pcap_buf),
    offsetof(struct tl_relay, pcap_cap), offsetof(struct tl_relay, snap), offsetof(struct tl_relay, bridge),
    offsetof(struct tl_relay, offset),
    offsetof(struct tl_relay, stream_buf), offsetof(struct tl_relay, stream_cap), offsetof(struct tl_relay, stream_used),
    offsetof(struct tl_relay, frames), offsetof(struct tl_relay, last_time), offsetof(struct tl_relay, pcap_used),
    offsetof(struct tl_relay, stream_count), offsetof(struct tl_relay, batch_n), offsetof(struct tl_relay, batch_i),
    offsetof(struct tl_relay, captured), offsetof(struct tl_relay, delivered), offsetof(struct tl_relay, refused),
    sizeof(struct tl_relay), MAX_PORTS,
  };
  memcpy(out, o, sizeof o);
  return sizeof o / sizeof o[0];
}

static int64_t monotonic_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * NS + ts.tv_nsec;
}

static inline uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

static inline int64_t mac_at(const uint8_t *p) { return (int64_t)be16(p) << 32 | (int64_t)be16(p + 2) << 16 | be16(p + 4); }

static int write_all(int fd, const uint8_t *b, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The pcap's buffer to its file: 0, or -errno. */
int64_t tl_flush(struct tl_relay *r) {
  int e = write_all((int)r->pcap_fd, (const uint8_t *)r->pcap_buf, (size_t)r->pcap_used);
  if (e == 0) r->pcap_used = 0;
  return e;
}

static int pcap_write(struct tl_relay *r, int64_t time, const uint8_t *data, uint32_t len) {
  uint32_t incl = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : len;
  int64_t wall = r->epoch_base + time;
  uint32_t h[4] = {(uint32_t)(wall / NS), (uint32_t)(wall % NS), incl, len};
  if (r->pcap_used + 16 + incl > r->pcap_cap) {
    int e = tl_flush(r);
    if (e) return e;
    if (16 + incl > r->pcap_cap) {
      int e2 = write_all((int)r->pcap_fd, (const uint8_t *)h, 16);
      return e2 ? e2 : write_all((int)r->pcap_fd, data, incl);
    }
  }
  uint8_t *b = (uint8_t *)r->pcap_buf + r->pcap_used;
  memcpy(b, h, 16);
  memcpy(b + 16, data, incl);
  r->pcap_used += 16 + incl;
  return 0;
}

/*
 * Number and time of a frame: `stamp` (monotonic ns; now when negative), never before the
 * last frame's; written to the pcap. Returns its number, or -errno when the pcap could
 * not be written.
 */
int64_t tl_record(struct tl_relay *r, const uint8_t *data, int64_t len, int64_t stamp) {
  int64_t time = stamp < 0 ? monotonic_now() : stamp;
  if (time < r->last_time) time = r->last_time;
  int e = pcap_write(r, time, data, (uint32_t)len);
  if (e) return e;
  r->last_time = time;
  return ++r->frames;
}

/* frame-stream.ts's headerBytes: up to the end of the TCP header, else the first snap bytes. */
int64_t tl_header_bytes(const uint8_t *d, int64_t len, int64_t snap) {
  int64_t max = snap < len ? snap : len;
  if (len < 14 + 40) return max;
  uint32_t type = be16(d + 12);
  int64_t tcp;
  if (type == 0x0800 && d[14 + 9] == 6 && (be16(d + 14 + 6) & 0x1fff) == 0) tcp = 14 + (d[14] & 0x0f) * 4;
  else if (type == 0x86dd && d[14 + 6] == 6) tcp = 14 + 40;
  else return max;
  if (len < tcp + 13) return max;
  int64_t off = d[tcp + 12] >> 4;
  if (off < 5) return max;
  return tcp + off * 4 < max ? tcp + off * 4 : max;
}

/* Where a frame from port `from` goes: its count, the ports in `to`. */
static int destinations(const struct tl_relay *r, int from, const uint8_t *d, uint8_t *to) {
  int n = 0;
  if (d[0] & 1) {
    for (int p = 0; p < r->nports; p++)
      if (p != from) to[n++] = (uint8_t)p;
    return n;
  }
  int64_t dst = mac_at(d);
  for (int p = 0; p < r->nports; p++)
    if (r->mac[p] == dst) {
      if (p != from) to[n++] = (uint8_t)p;
      return n;
    }
  return 0;
}

struct tx {
  int count;
  uint8_t port[BATCH];
};

/* packet-socket.ts's flush(): in order; a frame the kernel refuses is counted and skipped. */
static void tx_flush(struct tl_relay *r, struct tx *t) {
  uint8_t *hdrs = (uint8_t *)r->tx_hdrs;
  int i = 0;
  while (i < t->count) {
    int n = sendmmsg((int)r->fd, (struct mmsghdr *)(hdrs + i * MMSG), (unsigned)(t->count - i), 0);
    if (n > 0) {
      i += n;
      if (i < t->count) r->refused[t->port[i++]]++;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      struct pollfd p = {.fd = (int)r->fd, .events = POLLOUT};
      if (poll(&p, 1, 1000) > 0) continue;
    }
    r->refused[t->port[i++]]++;
  }
  t->count = 0;
}

static void tx_queue(struct tl_relay *r, struct tx *t, int port, const uint8_t *data, uint32_t len) {
  if (t->count == BATCH) tx_flush(r, t);
  int i = t->count++;
  uint8_t *iov = (uint8_t *)r->tx_iov + i * IOV;
  uint64_t base = (uint64_t)(uintptr_t)data, name = (uint64_t)r->dests + (uint64_t)port * SLL;
  memcpy(iov, &base, 8);
  uint64_t l = len;
  memcpy(iov + 8, &l, 8);
  memcpy((uint8_t *)r->tx_hdrs + i * MMSG + M_NAME, &name, 8);
  t->port[i] = (uint8_t)port;
}

static inline void put32(uint8_t *b, uint32_t v) { memcpy(b, &v, 4); }

/* frame-stream.ts's FrameBatch.add for a frame with no fate; 0 when the stream has no room. */
static int stream_add(struct tl_relay *r, int64_t n, int64_t time, int port, const uint8_t *to, int nto,
                      const uint8_t *data, uint32_t len) {
  int64_t snap = tl_header_bytes(data, len, r->snap);
  int64_t need = 4 + 8 + 1 + 1 + nto + 4 + 1 + 1 + 2 + snap;
  if (r->stream_used + need > r->stream_cap) return 0;
  uint8_t *b = (uint8_t *)r->stream_buf + r->stream_used;
  put32(b, (uint32_t)n);
  memcpy(b + 4, &time, 8);
  b[12] = (uint8_t)port;
  b[13] = (uint8_t)nto;
  memcpy(b + 14, to, (size_t)nto);
  b += 14 + nto;
  put32(b, len);
  b[4] = 0; /* fate: none */
  b[5] = 0; /* no rule, no trigger */
  uint16_t s = (uint16_t)snap;
  memcpy(b + 6, &s, 2);
  memcpy(b + 8, data, (size_t)snap);
  r->stream_used += need;
  r->stream_count++;
  return 1;
}

/*
 * Handle what is waiting, up to `max` frames. Returns the number of frames handled, or
 * -errno. A batch whose frames no longer fit the stream is left with batch_i < batch_n:
 * the caller sends the stream's message and calls again.
 */
int64_t tl_drain(struct tl_relay *r, int64_t max) {
  uint8_t *hdrs = (uint8_t *)r->rx_hdrs;
  uint8_t *names = (uint8_t *)r->rx_names;
  uint8_t *ctl = (uint8_t *)r->rx_control;
  uint8_t *slots = (uint8_t *)r->slots;
  struct tx t = {0};
  int64_t total = 0;
  r->stream_count = 0;
  for (;;) {
    if (r->batch_i >= r->batch_n) {
      if (total >= max) break;
      int n = recvmmsg((int)r->fd, (struct mmsghdr *)hdrs, BATCH, MSG_DONTWAIT, NULL);
      if (n < 0) {
        if (errno == EINTR || errno == ENETDOWN) continue;
        if (errno == EAGAIN) break;
        return -errno;
      }
      r->batch_n = n;
      r->batch_i = 0;
    }
    int n = (int)r->batch_n;
    for (int i = (int)r->batch_i; i < n; i++) {
      uint8_t *m = hdrs + i * MMSG;
      uint32_t len, flags, controllen;
      memcpy(&len, m + M_LEN, 4);
      memcpy(&flags, m + M_FLAGS, 4);
      memcpy(&controllen, m + M_CONTROLLEN, 4);
      if (flags & MSG_TRUNC) len = (uint32_t)r->slot_bytes;
      const uint8_t *data = slots + (int64_t)i * r->slot_bytes;
      int from = -1;
      if (r->bridge) {
        int64_t src = mac_at(data + 6);
        for (int p = 0; p < r->nports; p++)
          if (r->mac[p] == src) { from = p; break; }
      } else {
        int32_t ifindex;
        memcpy(&ifindex, names + i * SLL + 4, 4);
        for (int p = 0; p < r->nports; p++)
          if (r->ifindex[p] == ifindex) { from = p; break; }
      }
      if (from < 0) continue;
      uint8_t to[MAX_PORTS];
      int nto = destinations(r, from, data, to);
      int64_t stamp = -1;
      const uint8_t *c = ctl + i * CONTROL;
      int32_t level, type;
      memcpy(&level, c + 8, 4);
      memcpy(&type, c + 12, 4);
      if (controllen >= 32 && level == SOL_SOCKET && type == SCM_TIMESTAMPNS_) {
        int64_t sec, nsec;
        memcpy(&sec, c + 16, 8);
        memcpy(&nsec, c + 24, 8);
        stamp = sec * NS + nsec - r->offset;
      }
      /* room in the stream first: a frame is numbered, recorded and sent only with its record */
      int64_t time = stamp < 0 ? monotonic_now() : stamp;
      if (time < r->last_time) time = r->last_time;
      if (!stream_add(r, r->frames + 1, time, from, to, nto, data, len)) {
        r->batch_i = i;
        tx_flush(r, &t);
        return total;
      }
      int e = pcap_write(r, time, data, len);
      if (e) {
        r->batch_i = i + 1;
        tx_flush(r, &t);
        return e;
      }
      r->last_time = time;
      r->frames++;
      if (r->bridge) {
        /* the second host's frames are counted where they enter the bridge, by relay.ts; the bridge forwards */
        if (from != 1) r->captured[from]++;
        for (int k = 0; k < nto; k++) r->delivered[to[k]]++;
        continue;
      }
      r->captured[from]++;
      for (int k = 0; k < nto; k++) {
        int p = to[k];
        r->delivered[p]++;
        if (r->ifindex[p] == 0) r->refused[p]++;
        else tx_queue(r, &t, p, data, len);
      }
    }
    tx_flush(r, &t);
    for (int i = 0; i < n; i++) {
      uint32_t namelen = SLL, controllen = CONTROL;
      memcpy(hdrs + i * MMSG + M_NAMELEN, &namelen, 4);
      memcpy(hdrs + i * MMSG + M_CONTROLLEN, &controllen, 4);
    }
    total += n;
    r->batch_i = r->batch_n = 0;
    if (n < BATCH) break;
  }
  return total;
}
