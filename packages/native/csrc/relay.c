// The native TCP relay: once both sockets of a proxied connection are connected, their fds are
// polled here, on the addon's own thread (one epoll set for every relayed connection), and bytes
// move without any JavaScript per chunk:
//   - small messages: read() into a fixed buffer per direction, send() out of it;
//   - bulk: once a read fills the buffer, that direction switches to splice() through its own
//     pipe pair (socket -> pipe -> socket, copies stay in the kernel), as HAProxy does.
// Edge-triggered epoll, each fd registered once for in and out; an event names the relay and the
// side, and only the directions that side can move are pumped, so a small message costs one read
// and one write (a short read means the socket is drained, as the next arrival is a new edge).
// The relay contract (packages/core/src/proxy/relay.ts) holds: a side is read only when what was
// read from it has been written on (backpressure, bounded by the buffer or the pipe); a FIN is
// passed on as shutdown(SHUT_WR) and the other direction stays open; a reset or error on one side
// arms SO_LINGER {1, 0} on the other so its close sends an RST; the idle timeout is checked by one
// sweep over all connections; bytes are counted per direction; exactly one completion per relay.
//
// Ownership: the fds stay Node's. This thread never closes them: it removes them from its epoll
// set, then reports the completion, after which JavaScript destroys both net.Sockets (which closes
// the fds, sending the RST where SO_LINGER was armed). JavaScript stops Node reading them before
// handing them over, and writes nothing to them while the relay runs.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "meshcap.h"

#define RELAY_BUF 16384   // per direction: one read of a small message fits; a full read means bulk
#define PIPE_CHUNK 65536  // splice() at most this much per call (the default pipe capacity)
#define SWEEP_US 100000   // the idle-timeout sweep period (also epoll_wait's longest sleep)

enum close_reason { CLOSE_FIN = 0, CLOSE_CLIENT_RESET, CLOSE_UPSTREAM_RESET, CLOSE_IDLE, CLOSE_LOCAL, CLOSE_DRAIN };

struct direction {
  int src, dst;       // fds: read from src, write to dst
  char *data;         // pending bytes: the fixed buffer, or a head handed over by JavaScript
  size_t off, len;    // pending = data[off..len)
  int pipe_r, pipe_w; // splice pipe, -1 until bulk
  size_t in_pipe;     // bytes spliced into the pipe, not yet out
  bool fin_seen;      // an event said src's FIN is waiting (EPOLLRDHUP): read on to it
  bool eof;           // src sent its FIN (read returned 0)
  bool shut;          // the FIN was passed on (shutdown(dst, SHUT_WR))
  uint64_t bytes;     // written to dst
  char buf[RELAY_BUF];
};

struct relay {
  uint32_t id;
  int fd[2]; // 0: client, 1: upstream
  struct direction dir[2]; // 0: client -> upstream, 1: upstream -> client
  int64_t idle_us;             // 0: no idle timeout
  int64_t last_active;         // all times in microseconds
  int64_t started;
  int64_t first_upstream_byte; // since started, -1 until one arrived
  char *heads[2];              // heap copies of the heads (freed at the end)
  int close;
  bool closing;
  bool dead; // finished: events still queued in this epoll batch must skip it (freed after the batch)
  struct relay_loop *loop;
  struct relay *prev, *next;
};

struct completion {
  uint32_t id;
  int close;
  double from_client, to_client, first_byte_ms;
};

// Commands from the JavaScript thread: new relays and aborts, under the mutex; the eventfd wakes us.
struct command {
  struct relay *start; // or NULL for an abort
  uint32_t abort_id;
  int abort_reason;
  struct command *next;
};

// One relay loop per JavaScript thread that relays (the main thread, each worker thread: an N-API
// env each), kept as the env's instance data: its completions go back to that thread only. It
// ends with its env (a cleanup hook stops the thread and joins it before the env's thread-safe
// function goes away); the fds of relays still running then are Node's, closed by the env.
struct relay_loop {
  pthread_mutex_t lock;
  struct command *commands_head, *commands_tail; // under lock
  bool quit;                                     // under lock
  int epfd, wakefd;
  pthread_t thread;
  napi_threadsafe_function on_done;
  struct relay *relays;    // the thread's list of live relays
  struct relay *graveyard; // finished in this batch, freed after it
  int64_t loop_now;        // microseconds (CLOCK_MONOTONIC), read once per epoll_wait
  uint32_t next_id;        // JavaScript thread's
  uint32_t active;         // relays started and not yet completed (JavaScript thread's count)
};

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool pending(const struct direction *d) { return d->len > d->off || d->in_pipe > 0; }

static void arm_reset(int fd) {
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

/** One side failed (reset, or any error): the other side gets an RST when it is closed. */
static void fail(struct relay *r, int side) {
  if (r->closing) return;
  r->close = side == 0 ? CLOSE_CLIENT_RESET : CLOSE_UPSTREAM_RESET;
  r->closing = true;
  arm_reset(r->fd[1 - side]);
}

static bool transient(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

/**
 * Moves what it can in direction d; stops at EAGAIN, EOF or an error, or after a short read (the
 * socket is drained; the next arrival is a new edge) unless the FIN is known to be waiting
 * (`fin_seen`: a FIN that came with the data brings no edge of its own).
 */
static void pump(struct relay *r, int d) {
  struct direction *x = &r->dir[d];
  int src_side = d, dst_side = 1 - d;
  bool more = true;
  while (!r->closing) {
    // Write out what is pending first: a side is read only when the other side took its bytes.
    if (x->len > x->off) {
      ssize_t n = send(x->dst, x->data + x->off, x->len - x->off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (!transient(errno)) fail(r, dst_side);
        return;
      }
      x->off += (size_t)n;
      x->bytes += (uint64_t)n;
      r->last_active = r->loop->loop_now;
      if (x->off < x->len) return; // the socket buffer is full: EPOLLOUT on dst resumes
      x->data = x->buf;            // (a head from JavaScript is out: back to the fixed buffer)
      x->off = x->len = 0;
    }
    if (x->in_pipe > 0) {
      ssize_t n = splice(x->pipe_r, NULL, x->dst, NULL, x->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n < 0) {
        if (!transient(errno)) fail(r, dst_side);
        return;
      }
      x->in_pipe -= (size_t)n;
      x->bytes += (uint64_t)n;
      r->last_active = r->loop->loop_now;
      if (x->in_pipe > 0) return;
    }
    if (x->eof) {
      if (!x->shut) {
        x->shut = true;
        shutdown(x->dst, SHUT_WR); // half-close: pass the FIN on, the other direction stays open
      }
      return;
    }
    if (!more) return;
    ssize_t n;
    if (x->pipe_w >= 0) {
      // A pipe can fill below PIPE_CHUNK (one slot per fragment), so only EAGAIN says drained.
      n = splice(x->src, NULL, x->pipe_w, NULL, PIPE_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) x->in_pipe = (size_t)n;
    } else {
      n = recv(x->src, x->buf, RELAY_BUF, MSG_DONTWAIT);
      if (n > 0) {
        x->off = 0;
        x->len = (size_t)n;
        if (n < RELAY_BUF && !x->fin_seen) more = false;
        else {
          // A full read means more is waiting: bulk from here on, through a pipe.
          int p[2];
          if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0) {
            x->pipe_r = p[0];
            x->pipe_w = p[1];
          }
        }
      }
    }
    if (n < 0) {
      if (!transient(errno)) fail(r, src_side);
      return;
    }
    if (n == 0) {
      x->eof = true;
      continue;
    }
    if (d == 1 && r->first_upstream_byte < 0) r->first_upstream_byte = r->loop->loop_now - r->started;
    r->last_active = r->loop->loop_now;
  }
}

static void finish(struct relay *r) {
  struct relay_loop *L = r->loop;
  for (int i = 0; i < 2; i++) epoll_ctl(L->epfd, EPOLL_CTL_DEL, r->fd[i], NULL);
  if (r->prev) r->prev->next = r->next;
  else L->relays = r->next;
  if (r->next) r->next->prev = r->prev;
  struct completion *c = malloc(sizeof *c);
  if (c) {
    c->id = r->id;
    c->close = r->close;
    c->from_client = (double)r->dir[0].bytes;
    c->to_client = (double)r->dir[1].bytes;
    c->first_byte_ms = r->first_upstream_byte < 0 ? -1 : (double)r->first_upstream_byte / 1000.0;
    if (napi_call_threadsafe_function(L->on_done, c, napi_tsfn_blocking) != napi_ok) free(c);
  }
  for (int d = 0; d < 2; d++) {
    if (r->dir[d].pipe_r >= 0) close(r->dir[d].pipe_r);
    if (r->dir[d].pipe_w >= 0) close(r->dir[d].pipe_w);
    free(r->heads[d]);
  }
  r->dead = true;
  r->next = L->graveyard;
  L->graveyard = r;
}

static bool finished(const struct relay *r) { return r->closing || (r->dir[0].shut && r->dir[1].shut); }

/** An event on one side: pump the directions it can move, then finish the relay when it is over. */
static void on_event(struct relay *r, int side, uint32_t events) {
  if (r->dead) return;
  if (events & EPOLLERR) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(r->fd[side], SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) fail(r, side);
  }
  // Readable (or its FIN / hang-up): the direction this side is the source of.
  if (events & (EPOLLRDHUP | EPOLLHUP)) r->dir[side].fin_seen = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) pump(r, side);
  // Writable again: the direction this side is the destination of, if it waits on it.
  struct direction *in = &r->dir[1 - side];
  if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && (pending(in) || (in->eof && !in->shut))) pump(r, 1 - side);
  if (finished(r)) finish(r);
}

/** Runs the queued commands; false once the loop is to end. */
static bool run_commands(struct relay_loop *L) {
  uint64_t n;
  if (read(L->wakefd, &n, sizeof n) < 0) { /* nothing queued */ }
  pthread_mutex_lock(&L->lock);
  struct command *c = L->commands_head;
  L->commands_head = L->commands_tail = NULL;
  bool quit = L->quit;
  pthread_mutex_unlock(&L->lock);
  while (c) {
    struct command *next = c->next;
    if (c->start) {
      struct relay *r = c->start;
      r->next = L->relays;
      if (L->relays) L->relays->prev = r;
      L->relays = r;
      r->last_active = r->started = L->loop_now;
      bool ok = true;
      for (int i = 0; i < 2; i++) {
        // The relay and the side in one word (the struct is aligned, its low bit is free).
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u64 = (uint64_t)(uintptr_t)r | (uint64_t)i};
        if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, r->fd[i], &ev) != 0) ok = false;
      }
      if (!ok) {
        r->close = CLOSE_LOCAL;
        r->closing = true;
      } else {
        // Heads first; the edges of data already waiting arrive as events.
        pump(r, 0);
        pump(r, 1);
      }
      if (finished(r)) finish(r);
    } else {
      for (struct relay *r = L->relays; r; r = r->next) {
        if (r->id != c->abort_id) continue;
        r->close = c->abort_reason;
        r->closing = true;
        finish(r);
        break;
      }
    }
    free(c);
    c = next;
  }
  return !quit;
}

static void sweep(struct relay_loop *L, int64_t t) {
  for (struct relay *r = L->relays, *next; r; r = next) {
    next = r->next;
    if (!r->dead && r->idle_us > 0 && t - r->last_active >= r->idle_us) {
      r->close = CLOSE_IDLE;
      r->closing = true;
      finish(r);
    }
  }
}

static void free_graveyard(struct relay_loop *L) {
  while (L->graveyard) {
    struct relay *r = L->graveyard;
    L->graveyard = r->next;
    free(r);
  }
}

static void *relay_thread(void *arg) {
  struct relay_loop *L = arg;
  struct epoll_event evs[128];
  L->loop_now = now_us();
  int64_t next_sweep = L->loop_now + SWEEP_US;
  for (bool running = true; running;) {
    int timeout = next_sweep > L->loop_now ? (int)((next_sweep - L->loop_now + 999) / 1000) : 0;
    int n = epoll_wait(L->epfd, evs, 128, timeout);
    L->loop_now = now_us();
    for (int i = 0; i < n && running; i++) {
      if (evs[i].data.u64 == 0) {
        running = run_commands(L);
        continue;
      }
      uint64_t tagged = evs[i].data.u64;
      on_event((struct relay *)(uintptr_t)(tagged & ~(uint64_t)1), (int)(tagged & 1), evs[i].events);
    }
    if (running && L->loop_now >= next_sweep) {
      sweep(L, L->loop_now);
      next_sweep = L->loop_now + SWEEP_US;
    }
    free_graveyard(L);
  }
  // The env is going: what still runs ends here, unreported (its JavaScript is gone too).
  for (struct relay *r = L->relays, *next; r; r = next) {
    next = r->next;
    for (int d = 0; d < 2; d++) {
      if (r->dir[d].pipe_r >= 0) close(r->dir[d].pipe_r);
      if (r->dir[d].pipe_w >= 0) close(r->dir[d].pipe_w);
      free(r->heads[d]);
    }
    free(r);
  }
  return NULL;
}

static const char *const CLOSE_NAMES[] = {"fin", "client_reset", "upstream_reset", "idle_timeout", "local", "drain"};

static void call_done(napi_env env, napi_value callback, void *context, void *data) {
  struct relay_loop *L = context;
  struct completion *c = data;
  if (env != NULL) {
    napi_value argv[5], undefined;
    napi_create_uint32(env, c->id, &argv[0]);
    napi_create_double(env, c->from_client, &argv[1]);
    napi_create_double(env, c->to_client, &argv[2]);
    napi_create_string_utf8(env, CLOSE_NAMES[c->close], NAPI_AUTO_LENGTH, &argv[3]);
    napi_create_double(env, c->first_byte_ms, &argv[4]);
    napi_get_undefined(env, &undefined);
    if (--L->active == 0) napi_unref_threadsafe_function(env, L->on_done);
    napi_call_function(env, undefined, callback, 5, argv, NULL);
  }
  free(c);
}

static void wake(struct relay_loop *L) {
  uint64_t one = 1;
  if (write(L->wakefd, &one, sizeof one) < 0) { /* the counter is already non-zero */ }
}

/** At the env's teardown, before its thread-safe function goes: the thread ends, and is joined. */
static void stop_loop(void *arg) {
  struct relay_loop *L = arg;
  pthread_mutex_lock(&L->lock);
  L->quit = true;
  pthread_mutex_unlock(&L->lock);
  wake(L);
  pthread_join(L->thread, NULL);
  for (struct command *c = L->commands_head, *next; c; c = next) {
    next = c->next;
    if (c->start) {
      free(c->start->heads[0]);
      free(c->start->heads[1]);
      free(c->start);
    }
    free(c);
  }
  close(L->epfd);
  close(L->wakefd);
  pthread_mutex_destroy(&L->lock);
  free(L);
}

static struct relay_loop *loop_of(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return data;
}

/** relayInit(onDone): starts this env's relay thread once; onDone(id, fromClient, toClient, close, firstUpstreamByteMs). */
napi_value mc_relay_init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!mc_args(env, info, 1, argv)) return NULL;
  if (loop_of(env)) return NULL;
  struct relay_loop *L = calloc(1, sizeof *L);
  if (!L) return mc_throw_errno(env, ENOMEM, "calloc", "relay");
  L->next_id = 1;
  L->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (L->epfd < 0) {
    free(L);
    return mc_throw_errno(env, errno, "epoll_create1", "relay");
  }
  L->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (L->wakefd < 0) {
    int err = errno;
    close(L->epfd);
    free(L);
    return mc_throw_errno(env, err, "eventfd", "relay");
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
  epoll_ctl(L->epfd, EPOLL_CTL_ADD, L->wakefd, &ev);
  napi_value name;
  napi_create_string_utf8(env, "meshcap relay", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, L, call_done, &L->on_done) != napi_ok) {
    close(L->epfd);
    close(L->wakefd);
    free(L);
    return NULL;
  }
  napi_unref_threadsafe_function(env, L->on_done);
  pthread_mutex_init(&L->lock, NULL);
  int err = pthread_create(&L->thread, NULL, relay_thread, L);
  if (err != 0) {
    close(L->epfd);
    close(L->wakefd);
    pthread_mutex_destroy(&L->lock);
    free(L);
    return mc_throw_errno(env, err, "pthread_create", "relay");
  }
  // Registered after the thread-safe function, so it runs before that one's own teardown.
  napi_add_env_cleanup_hook(env, stop_loop, L);
  napi_set_instance_data(env, L, NULL, NULL);
  return NULL;
}

static void enqueue(struct relay_loop *L, struct command *c) {
  pthread_mutex_lock(&L->lock);
  if (L->commands_tail) L->commands_tail->next = c;
  else L->commands_head = c;
  L->commands_tail = c;
  pthread_mutex_unlock(&L->lock);
  wake(L);
}

static bool copy_head(napi_env env, napi_value value, struct relay *r, int d) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_undefined || type == napi_null) return true;
  void *bytes;
  size_t len;
  if (napi_get_buffer_info(env, value, &bytes, &len) != napi_ok) {
    mc_throw_type_error(env, "head must be a Buffer");
    return false;
  }
  if (len == 0) return true;
  r->heads[d] = malloc(len);
  if (!r->heads[d]) return false;
  memcpy(r->heads[d], bytes, len);
  r->dir[d].data = r->heads[d];
  r->dir[d].len = len;
  return true;
}

/** relayStart(clientFd, upstreamFd, idleTimeoutMs, clientHead, upstreamHead): the relay's id. */
napi_value mc_relay_start(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t client, upstream;
  uint32_t idle;
  if (!mc_args(env, info, 5, argv) || !mc_arg_int32(env, argv[0], "clientFd", &client) ||
      !mc_arg_int32(env, argv[1], "upstreamFd", &upstream) || !mc_arg_uint32(env, argv[2], "idleTimeoutMs", &idle)) {
    return NULL;
  }
  struct relay_loop *L = loop_of(env);
  if (!L) return mc_throw_type_error(env, "relayInit must be called first");
  struct relay *r = calloc(1, sizeof *r);
  struct command *c = calloc(1, sizeof *c);
  if (!r || !c) {
    free(r);
    free(c);
    return mc_throw_errno(env, ENOMEM, "calloc", "relay");
  }
  r->id = L->next_id++;
  if (L->next_id == 0) L->next_id = 1;
  r->loop = L;
  r->fd[0] = client;
  r->fd[1] = upstream;
  for (int d = 0; d < 2; d++) {
    r->dir[d].src = r->fd[d];
    r->dir[d].dst = r->fd[1 - d];
    r->dir[d].data = r->dir[d].buf;
    r->dir[d].pipe_r = r->dir[d].pipe_w = -1;
  }
  r->idle_us = (int64_t)idle * 1000;
  r->first_upstream_byte = -1;
  if (!copy_head(env, argv[3], r, 0) || !copy_head(env, argv[4], r, 1)) {
    free(r->heads[0]);
    free(r->heads[1]);
    free(r);
    free(c);
    return NULL;
  }
  c->start = r;
  if (L->active++ == 0) napi_ref_threadsafe_function(env, L->on_done);
  napi_value id;
  napi_create_uint32(env, r->id, &id);
  enqueue(L, c); // from here the relay thread owns r
  return id;
}

/** relayAbort(id, reason): ends that relay now ('local' or 'drain'); a finished id is ignored. */
napi_value mc_relay_abort(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t id;
  bool drain;
  if (!mc_args(env, info, 2, argv) || !mc_arg_uint32(env, argv[0], "id", &id) || !mc_arg_bool(env, argv[1], "drain", &drain)) return NULL;
  struct relay_loop *L = loop_of(env);
  if (!L) return NULL; // no relay was ever started on this thread: nothing to abort
  struct command *c = calloc(1, sizeof *c);
  if (!c) return mc_throw_errno(env, ENOMEM, "calloc", "relay");
  c->abort_id = id;
  c->abort_reason = drain ? CLOSE_DRAIN : CLOSE_LOCAL;
  enqueue(L, c);
  return NULL;
}
