// The bench's open-loop HTTP/1.1 client: requests at a fixed rate whatever the responses do, each
// latency measured from the request's *intended* send time (so a slow response delays the ones
// queued behind it and that shows, unlike wrk's closed loop: no coordinated omission).
//
//   open-loop HOST PORT RATE SECONDS CONNECTIONS WARMUP_SECONDS
//
// Request i is due at t0 + i/RATE. A timerfd (absolute CLOCK_MONOTONIC) wakes the loop at the next
// due time; due requests go to idle keep-alive connections, or wait in a FIFO until one is free.
// A response is complete at the end of its head plus Content-Length bytes. Prints one JSON line:
// counts and the percentiles in milliseconds of the requests due after the warmup.
// C rather than Node: at 1,000 req/s a JS timer's lateness would be as large as what we measure.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct conn {
  int fd;
  int busy;
  int64_t due; /* intended send time of the request in flight (ns) */
  size_t have; /* bytes of the response read so far */
  long need;   /* total response bytes once the head is parsed, else -1 */
  char buf[16384];
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: meshcap-open-loop\r\n\r\n";
static struct sockaddr_in target;

static int dial(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0) {
    close(fd);
    return -1;
  }
  return fd; /* blocking connect at start-up; the loop itself never blocks (reads only when epoll says) */
}

/** Content-Length of a complete head in buf[0..n), the head's length in *head; -1 while incomplete. */
static long parse_head(const char *buf, size_t n, size_t *head) {
  const char *end = memmem(buf, n, "\r\n\r\n", 4);
  if (!end) return -1;
  *head = (size_t)(end - buf) + 4;
  const char *p = buf;
  long len = 0;
  while (p < end) {
    const char *eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
    if (!eol) break;
    if ((size_t)(eol - p) > 15 && strncasecmp(p, "content-length:", 15) == 0) len = strtol(p + 15, NULL, 10);
    p = eol + 2;
  }
  return len;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: open-loop HOST PORT RATE SECONDS CONNECTIONS WARMUP_SECONDS\n");
    return 2;
  }
  memset(&target, 0, sizeof target);
  target.sin_family = AF_INET;
  target.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) return 2;
  double rate = atof(argv[3]), seconds = atof(argv[4]), warmup = atof(argv[6]);
  int nconn = atoi(argv[5]);
  long total = (long)(rate * (seconds + warmup));
  long skip = (long)(rate * warmup);
  if (rate <= 0 || total <= 0 || nconn <= 0) return 2;
  int64_t interval = (int64_t)(1e9 / rate);

  struct conn *conns = calloc((size_t)nconn, sizeof *conns);
  int64_t *lat = calloc((size_t)total, sizeof *lat);
  long *queue = calloc((size_t)total, sizeof *queue); /* indices of due requests waiting for a connection */
  if (!conns || !lat || !queue) return 1;
  int ep = epoll_create1(0);
  for (int i = 0; i < nconn; i++) {
    conns[i].fd = dial();
    if (conns[i].fd < 0) {
      fprintf(stderr, "open-loop: connect %s:%s: %s\n", argv[1], argv[2], strerror(errno));
      return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
  struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);

  int64_t t0 = now_ns() + 10000000LL;
  long next = 0, qhead = 0, qtail = 0, done = 0, errors = 0, maxq = 0;
  int64_t deadline = t0 + (int64_t)((seconds + warmup) * 1e9) + 10000000000LL; /* 10 s for the last responses */
  struct itimerspec its = {0};
  its.it_value.tv_sec = t0 / 1000000000LL;
  its.it_value.tv_nsec = t0 % 1000000000LL;
  timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
  struct epoll_event evs[64];
  int idle = nconn;
  while (done + errors < total && now_ns() < deadline) {
    int n = epoll_wait(ep, evs, 64, 1000);
    int64_t t = now_ns();
    for (int k = 0; k < n; k++) {
      uint32_t id = evs[k].data.u32;
      if (id == UINT32_MAX) {
        uint64_t expirations;
        if (read(tfd, &expirations, sizeof expirations) < 0) { /* spurious */ }
        while (next < total && t0 + next * interval <= t) queue[qtail++] = next++;
        if (next < total) {
          int64_t due = t0 + next * interval;
          its.it_value.tv_sec = due / 1000000000LL;
          its.it_value.tv_nsec = due % 1000000000LL;
          timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        }
        continue;
      }
      struct conn *c = &conns[id];
      ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        fprintf(stderr, "open-loop: connection %u closed (%s)\n", id, r == 0 ? "EOF" : strerror(errno));
        if (c->busy) errors++, idle++;
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = dial();
        c->busy = 0;
        c->have = 0;
        if (c->fd < 0) return 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        continue;
      }
      c->have += (size_t)r;
      if (c->need < 0) {
        size_t head;
        long body = parse_head(c->buf, c->have, &head);
        if (body >= 0) c->need = (long)head + body;
        else if (c->have == sizeof c->buf) return 1;
      }
      if (c->need >= 0 && (long)c->have >= c->need) {
        if (c->busy) lat[done++] = t - c->due;
        c->busy = 0;
        c->have = 0;
        idle++;
      } else if (c->have == sizeof c->buf) {
        c->have = 0; /* a body larger than the buffer: count it, keep only the total */
        c->need -= (long)sizeof c->buf;
      }
    }
    /* Hand due requests to idle connections, oldest first. */
    for (int i = 0; i < nconn && idle > 0 && qhead < qtail; i++) {
      struct conn *c = &conns[i];
      if (c->busy) continue;
      long req = queue[qhead++];
      c->due = t0 + req * interval;
      c->busy = 1;
      c->need = -1;
      c->have = 0;
      idle--;
      if (write(c->fd, REQUEST, sizeof REQUEST - 1) != (ssize_t)(sizeof REQUEST - 1)) errors++;
    }
    if (qtail - qhead > maxq) maxq = qtail - qhead;
  }
  /* Latencies in completion order: drop the warmup's share by count (completions follow due order closely). */
  long from = skip < done ? skip : 0;
  long m = done - from;
  qsort(lat + from, (size_t)m, sizeof *lat, cmp_i64);
#define PCT(p) (m ? (double)lat[from + (long)((double)(m - 1) * (p))] / 1e6 : -1)
  printf("{\"rate\":%g,\"seconds\":%g,\"connections\":%d,\"sent\":%ld,\"completed\":%ld,\"errors\":%ld,\"measured\":%ld,"
         "\"maxQueued\":%ld,\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.4f}\n",
         rate, seconds, nconn, next, done, errors, m, maxq, PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999), PCT(1.0));
  return errors || done < total ? 3 : 0;
}
