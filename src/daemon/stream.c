/* SPDX-License-Identifier: MIT */
/*
 * The event stream (docs/event-stream.md): the events of the control
 * socket's `events` stream (hbd_event_json(): peer states, role, quorum,
 * resource, fences, checks) delivered reliably to remote subscribers
 * over TCP, for `hbeatctl subscribe` and programs speaking the protocol.
 *
 * - Every event gets an id (incarnation of this hbeatd, number in this
 *   run from 1): ids grow for good, across restarts too, because the
 *   incarnation does (incarnation.c). A log keeps the last
 *   events.log_size of them, serialized once.
 * - A subscriber authenticates with the pre-shared events.key_file and
 *   says where it stands (after id X, the oldest kept, or now); it gets
 *   the events after that in order, each once per connection. It acks
 *   them; at most events.window are in flight unacknowledged
 *   (backpressure), so a stalled subscriber costs a window, not a queue.
 * - Nothing is ever skipped silently: a subscriber asking for events
 *   this log no longer holds (older than the log, or of an earlier run)
 *   is sent a GAP frame naming what it asked and where the stream
 *   resumes; one so slow that its next event dropped out of the log
 *   while it was connected is disconnected, and learns the gap when it
 *   resumes.
 * - Limits: events.max_subscribers connections (handshakes included),
 *   the protocol's frame size, a handshake timeout, and a timeout for a
 *   subscriber that is silent (pinged every third of it) or does not
 *   ack. Bad input closes the connection, counted by reason and logged
 *   rate-limited. TCP keepalive (hb_tcp_keepalive()) catches a host
 *   that vanished with nothing in flight.
 *
 * The protocol itself is sans-I/O (src/common/evstream.c); this file is
 * its libuv shell. Not reloadable: events.* need a restart.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/evstream.h"
#include "common/util.h"
#include "daemon/module.h"
#include "daemon/prom.h"
#include "daemon/status.h"
#include "hbeat/tcp.h"

#define STREAM_EVENTS (HBD_EV_CORE | HBD_EV_RESOURCE | HBD_EV_FENCE | \
                       HBD_EV_CHECK)
/* Bytes waiting in one connection's write queue before it counts as not
 * reading (a window of large events fits well below). */
#define WRITE_QUEUE_MAX (4u * 1024u * 1024u)
/* How long a closing connection may take to flush its last frame. */
#define LINGER_MS 1000u
#define NS_PER_MS UINT64_C(1000000)

/* Why connections ended (counters and metrics). */
enum drop {
        DROP_FULL,              /* events.max_subscribers reached */
        DROP_WRONG_KEY,         /* the handshake's proof did not match */
        DROP_MALFORMED,         /* not the protocol, bad frame, bad ack */
        DROP_HANDSHAKE_TIMEOUT,
        DROP_TIMEOUT,           /* silent, or no ack, too long; or TCP
                                   gave up (keepalive, user timeout) */
        DROP_LAGGED,            /* its next event left the log */
        DROP_CLOSED,            /* the subscriber closed (or reset) */
        DROP_COUNT
};

static const char *const drop_names[DROP_COUNT] = {
        "full", "wrong_key", "malformed", "handshake_timeout", "timeout",
        "lagged", "closed",
};

struct entry {
        char *json;             /* the event, compact JSON, owned */
        size_t len;
};

struct stream;

typedef enum sub_state {
        SUB_HANDSHAKE,          /* until the handshake completes */
        SUB_OPEN,               /* waiting for SUBSCRIBE */
        SUB_STREAMING,
        SUB_CLOSING,
} sub_state_t;

struct sub {
        struct stream *st;
        struct sub *prev, *next;
        uv_tcp_t tcp;
        uv_timer_t timer;
        uv_shutdown_t shutdown;
        unsigned open_handles;
        sub_state_t state;
        hbes_t es;
        char peer[HBU_ADDRESS_MAX];
        uint64_t next_seq;      /* the next event to send */
        uint64_t acked_seq;     /* every event up to it was acked */
        uint64_t heard_ns;      /* last frame received */
        uint64_t ack_ns;        /* last ack that moved, or the send of an
                                   event when none was in flight */
        uint64_t sent_total;
};

struct stream {
        hbd_ctx_t *ctx;
        uv_tcp_t listener;
        unsigned open_handles;  /* listener + subscribers' handles */
        bool stopping;
        void (*done)(void *arg);
        void *done_arg;
        uint64_t inc;           /* this run's incarnation */
        struct entry *log;      /* ring of log_size */
        uint32_t cap, head, len;
        uint64_t last_seq;      /* the newest event's number, 0: none */
        struct sub *subs;
        unsigned n_subs;
        uint64_t accepted_total, events_total, sent_total, gaps_total;
        uint64_t drops[DROP_COUNT];
        hbd_ratelimit_t bad_rl[DROP_COUNT]; /* a log line per reason */
};

static void sub_close(struct sub *s, enum drop why, uint8_t code,
                      const char *text);
static void pump(struct sub *s);
static void on_tick(uv_timer_t *t);

/* ---- the log ---------------------------------------------------------- */

static uint64_t oldest_seq(const struct stream *st)
{
        return st->last_seq - st->len + 1;
}

static const struct entry *log_at(const struct stream *st, uint64_t seq)
{
        return &st->log[(st->head + (seq - oldest_seq(st))) % st->cap];
}

static void log_append(struct stream *st, char *json)
{
        struct entry *e;

        if (st->len == st->cap) {
                free(st->log[st->head].json);
                st->head = (st->head + 1) % st->cap;
                st->len--;
        }
        e = &st->log[(st->head + st->len) % st->cap];
        e->json = json;
        e->len = strlen(json);
        st->len++;
        st->last_seq++;
        st->events_total++;
}

/* ---- connections ------------------------------------------------------ */

static void maybe_done(struct stream *st)
{
        uint32_t i;

        if (!st->stopping || st->open_handles > 0)
                return;
        for (i = 0; i < st->len; i++)
                free(st->log[(st->head + i) % st->cap].json);
        free(st->log);
        if (st->done != NULL)
                st->done(st->done_arg);
        free(st);
}

static void on_sub_closed(uv_handle_t *h)
{
        struct sub *s = h->data;
        struct stream *st = s->st;

        st->open_handles--;
        if (--s->open_handles > 0)
                return;
        hbes_wipe(&s->es);
        free(s);
        maybe_done(st);
}

static void sub_unlink(struct sub *s)
{
        struct stream *st = s->st;

        if (s->prev != NULL)
                s->prev->next = s->next;
        else
                st->subs = s->next;
        if (s->next != NULL)
                s->next->prev = s->prev;
        s->prev = s->next = NULL;
        st->n_subs--;
}

static void sub_destroy(struct sub *s)
{
        if (!uv_is_closing((uv_handle_t *)&s->tcp))
                uv_close((uv_handle_t *)&s->tcp, on_sub_closed);
        if (!uv_is_closing((uv_handle_t *)&s->timer))
                uv_close((uv_handle_t *)&s->timer, on_sub_closed);
}

struct wreq {
        uv_write_t req;
        size_t len;
        uint8_t data[];
};

static void on_written(uv_write_t *req, int status)
{
        struct wreq *w = (struct wreq *)req;

        sodium_memzero(w->data, w->len);
        free(w);
        (void)status; /* a failed write shows up as a failed read */
}

/* Write out everything `out` holds (then empty it). */
static int flush(struct sub *s, hbes_buf_t *out)
{
        struct wreq *w;
        uv_buf_t b;
        int r;

        if (out->len == 0)
                return 0;
        w = malloc(sizeof(*w) + out->len);
        if (w == NULL)
                return -ENOMEM;
        w->len = out->len;
        memcpy(w->data, out->data, out->len);
        out->len = 0;
        b = uv_buf_init((char *)w->data, (unsigned)w->len);
        r = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, on_written);
        if (r < 0)
                free(w);
        return r;
}

/* Encrypt and write one frame. */
static int send_frame(struct sub *s, uint8_t type, const void *body,
                      size_t len)
{
        hbes_buf_t out = { 0 };
        int r;

        r = hbes_send(&s->es, type, body, len, &out);
        if (r == 0)
                r = flush(s, &out);
        hbes_buf_free(&out);
        return r;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
        struct sub *s = req->data;

        (void)status;
        sub_destroy(s);
}

static void on_linger(uv_timer_t *t)
{
        sub_destroy(t->data);
}

/* The warning about a bad connection, rate-limited per reason (with
 * the count), so that a flood of one kind hides no other. */
static void log_bad(struct sub *s, enum drop why, const char *what)
{
        struct stream *st = s->st;
        uint64_t count;

        if (hbd_ratelimit(&st->bad_rl[why], uv_hrtime(), &count))
                hbd_warn(st->ctx->log, "event stream: %s: %s, connection "
                         "closed (%" PRIu64 " %s since the last such line)",
                         s->peer, what, count, drop_names[why]);
}

/*
 * End a connection: counted as `why`; with `code` (an HBES_ERR_*, 0 for
 * none) an ERROR frame is sent first, flushed within LINGER_MS.
 */
static void sub_close(struct sub *s, enum drop why, uint8_t code,
                      const char *text)
{
        struct stream *st = s->st;
        uint8_t body[128];
        size_t n;

        if (s->state == SUB_CLOSING)
                return;
        if (why < DROP_COUNT)
                st->drops[why]++;
        if (s->state == SUB_STREAMING)
                hbd_info(st->ctx->log, "event stream: subscriber %s gone "
                         "(%s) at id %" PRIu64 ":%" PRIu64 " acked",
                         s->peer, text != NULL ? text : drop_names[why],
                         st->inc, s->acked_seq);
        sub_unlink(s);
        uv_read_stop((uv_stream_t *)&s->tcp);
        uv_timer_stop(&s->timer);
        if (code != 0 && s->es.phase == HBES_OPEN && text != NULL) {
                n = strlen(text);
                if (n > sizeof(body) - 1)
                        n = sizeof(body) - 1;
                body[0] = code;
                memcpy(body + 1, text, n);
                send_frame(s, HBES_ERROR, body, 1 + n);
        }
        s->state = SUB_CLOSING;
        s->shutdown.data = s;
        if (uv_shutdown(&s->shutdown, (uv_stream_t *)&s->tcp,
                        on_shutdown) < 0) {
                sub_destroy(s);
                return;
        }
        uv_timer_start(&s->timer, on_linger, LINGER_MS, 0);
}

/* ---- the protocol ----------------------------------------------------- */

static int send_gap(struct sub *s, uint8_t reason, hbes_id_t asked,
                    hbes_id_t resume)
{
        uint8_t b[33];

        b[0] = reason;
        hbes_put_u64(b + 1, asked.inc);
        hbes_put_u64(b + 9, asked.seq);
        hbes_put_u64(b + 17, resume.inc);
        hbes_put_u64(b + 25, resume.seq);
        s->st->gaps_total++;
        hbd_info(s->st->ctx->log, "event stream: subscriber %s asked for "
                 "the events after %" PRIu64 ":%" PRIu64 ", %s; told of the "
                 "gap, resuming at %" PRIu64 ":%" PRIu64, s->peer, asked.inc,
                 asked.seq, reason == HBES_GAP_RESTARTED ?
                 "of an earlier run of hbeatd" : "older than the log",
                 resume.inc, resume.seq);
        return send_frame(s, HBES_GAP, b, sizeof(b));
}

static void on_subscribe(struct sub *s, const hbes_frame_t *f)
{
        struct stream *st = s->st;
        const char *name = st->ctx->cfg->node_name;
        uint64_t oldest = oldest_seq(st);
        hbes_id_t asked = { 0, 0 };
        uint64_t timeout_ms = st->ctx->cfg->events.timeout_ns / NS_PER_MS;
        uint8_t w[32 + HBD_NAME_MAX];
        uint8_t mode;
        bool gap = false;
        uint8_t reason = 0;
        size_t n = strlen(name);

        if (f->type != HBES_SUBSCRIBE || f->len != 17 || f->body[0] > 2) {
                log_bad(s, DROP_MALFORMED, "malformed SUBSCRIBE");
                sub_close(s, DROP_MALFORMED, HBES_ERR_PROTOCOL,
                          "expected SUBSCRIBE");
                return;
        }
        mode = f->body[0];
        asked.inc = hbes_get_u64(f->body + 1);
        asked.seq = hbes_get_u64(f->body + 9);
        if (mode == HBES_FROM_NOW) {
                s->next_seq = st->last_seq + 1;
        } else if (mode == HBES_FROM_OLDEST) {
                s->next_seq = oldest;
        } else if (asked.inc > st->inc ||
                   (asked.inc == st->inc && asked.seq > st->last_seq)) {
                log_bad(s, DROP_MALFORMED,
                        "SUBSCRIBE from an id never given");
                sub_close(s, DROP_MALFORMED, HBES_ERR_UNKNOWN_ID,
                          "no such event id (from the future)");
                return;
        } else if (asked.inc < st->inc) {
                s->next_seq = oldest;
                gap = true;
                reason = HBES_GAP_RESTARTED;
        } else if (asked.seq + 1 < oldest) {
                s->next_seq = oldest;
                gap = true;
                reason = HBES_GAP_EXPIRED;
        } else {
                s->next_seq = asked.seq + 1;
        }
        s->acked_seq = s->next_seq - 1;
        s->ack_ns = uv_hrtime();
        hbes_put_u64(w, st->inc);
        hbes_put_u64(w + 8, oldest);
        hbes_put_u64(w + 16, st->last_seq + 1);
        hbes_put_u32(w + 24, st->ctx->cfg->events.window);
        hbes_put_u32(w + 28, (uint32_t)(timeout_ms / 3));
        memcpy(w + 32, name, n);
        if (send_frame(s, HBES_WELCOME, w, 32 + n) < 0) {
                sub_close(s, DROP_CLOSED, 0, "write failed");
                return;
        }
        if (gap && send_gap(s, reason, asked,
                            (hbes_id_t){ st->inc, s->next_seq }) < 0) {
                sub_close(s, DROP_CLOSED, 0, "write failed");
                return;
        }
        s->state = SUB_STREAMING;
        uv_timer_start(&s->timer, on_tick, timeout_ms / 3, 0);
        hbd_info(st->ctx->log, "event stream: subscriber %s from %s, "
                 "first event %" PRIu64 ":%" PRIu64, s->peer,
                 mode == HBES_FROM_NOW ? "now" :
                 mode == HBES_FROM_OLDEST ? "the oldest kept" : "its id",
                 st->inc, s->next_seq);
        pump(s);
}

static void on_ack(struct sub *s, const hbes_frame_t *f)
{
        uint64_t inc, seq;

        if (f->type == HBES_PONG && f->len == 0)
                return;
        if (f->type != HBES_ACK || f->len != 16) {
                log_bad(s, DROP_MALFORMED, "unexpected frame");
                sub_close(s, DROP_MALFORMED, HBES_ERR_PROTOCOL,
                          "unexpected frame");
                return;
        }
        inc = hbes_get_u64(f->body);
        seq = hbes_get_u64(f->body + 8);
        if (inc != s->st->inc || seq < s->acked_seq || seq >= s->next_seq) {
                log_bad(s, DROP_MALFORMED, "ACK of an event not sent");
                sub_close(s, DROP_MALFORMED, HBES_ERR_PROTOCOL,
                          "ACK of an event not sent");
                return;
        }
        if (seq > s->acked_seq) {
                s->acked_seq = seq;
                s->ack_ns = uv_hrtime();
        }
        pump(s);
}

/* Send what the window allows. */
static void pump(struct sub *s)
{
        struct stream *st = s->st;
        uint32_t window = st->ctx->cfg->events.window;

        while (s->state == SUB_STREAMING && s->next_seq <= st->last_seq &&
               s->next_seq - s->acked_seq - 1 < window) {
                const struct entry *e;
                uint8_t *b;
                int r;

                if (s->next_seq < oldest_seq(st)) {
                        sub_close(s, DROP_LAGGED, HBES_ERR_TIMEOUT,
                                  "too slow: the next event left the log; "
                                  "resume to learn the gap");
                        return;
                }
                e = log_at(st, s->next_seq);
                b = malloc(16 + e->len);
                if (b == NULL) {
                        sub_close(s, DROP_CLOSED, 0, "out of memory");
                        return;
                }
                hbes_put_u64(b, st->inc);
                hbes_put_u64(b + 8, s->next_seq);
                memcpy(b + 16, e->json, e->len);
                r = send_frame(s, HBES_EVENT, b, 16 + e->len);
                free(b);
                if (r < 0) {
                        sub_close(s, DROP_CLOSED, 0, "write failed");
                        return;
                }
                if (s->next_seq == s->acked_seq + 1)
                        s->ack_ns = uv_hrtime();
                s->next_seq++;
                s->sent_total++;
                st->sent_total++;
        }
}

static void on_frame(struct sub *s, const hbes_frame_t *f)
{
        if (s->state == SUB_OPEN)
                on_subscribe(s, f);
        else if (s->state == SUB_STREAMING)
                on_ack(s, f);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void)h;
        (void)suggested;
        buf->base = malloc(16384);
        buf->len = buf->base != NULL ? 16384 : 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
        struct sub *s = stream->data;
        hbes_buf_t out = { 0 };
        hbes_frame_t f;
        int r = 0;

        if (nread < 0) {
                free(buf->base);
                /* ETIMEDOUT: TCP keepalive or TCP_USER_TIMEOUT gave up on
                 * a vanished host (hb_tcp_keepalive() at accept). */
                sub_close(s, nread == UV_ETIMEDOUT ? DROP_TIMEOUT
                                                   : DROP_CLOSED, 0,
                          nread == UV_EOF ? "closed" :
                          uv_strerror((int)nread));
                return;
        }
        if (nread > 0)
                r = hbes_feed(&s->es, buf->base, (size_t)nread);
        if (buf->base != NULL)
                sodium_memzero(buf->base, (size_t)nread);
        free(buf->base);
        s->heard_ns = uv_hrtime();
        while (r >= 0 && s->state != SUB_CLOSING) {
                r = hbes_next(&s->es, &out, &f);
                if (flush(s, &out) < 0)
                        r = -EIO;
                if (r == HBES_NEED)
                        break;
                if (r == HBES_GOT_OPEN)
                        s->state = SUB_OPEN;
                else if (r == HBES_GOT_FRAME)
                        on_frame(s, &f);
        }
        hbes_buf_free(&out);
        if (r >= 0 || s->state == SUB_CLOSING)
                return;
        if (r == -EACCES) {
                log_bad(s, DROP_WRONG_KEY, "wrong key");
                sub_close(s, DROP_WRONG_KEY, 0, NULL);
        } else {
                log_bad(s, DROP_MALFORMED, hbes_strerror(r));
                sub_close(s, DROP_MALFORMED, 0, NULL);
        }
}

static void on_tick(uv_timer_t *t)
{
        struct sub *s = t->data;
        struct stream *st = s->st;
        uint64_t now = uv_hrtime();
        uint64_t timeout = st->ctx->cfg->events.timeout_ns;

        if (s->state == SUB_HANDSHAKE || s->state == SUB_OPEN) {
                log_bad(s, DROP_HANDSHAKE_TIMEOUT,
                        "handshake not completed in time");
                sub_close(s, DROP_HANDSHAKE_TIMEOUT, 0, NULL);
                return;
        }
        if (now - s->heard_ns > timeout) {
                sub_close(s, DROP_TIMEOUT, HBES_ERR_TIMEOUT,
                          "silent for events.timeout_ms");
                return;
        }
        if (s->acked_seq + 1 < s->next_seq && now - s->ack_ns > timeout) {
                sub_close(s, DROP_TIMEOUT, HBES_ERR_TIMEOUT,
                          "no ack for events.timeout_ms");
                return;
        }
        if (uv_stream_get_write_queue_size((uv_stream_t *)&s->tcp) >
            WRITE_QUEUE_MAX) {
                sub_close(s, DROP_TIMEOUT, 0, "not reading");
                return;
        }
        if (send_frame(s, HBES_PING, NULL, 0) < 0)
                sub_close(s, DROP_CLOSED, 0, "write failed");
        else
                uv_timer_start(&s->timer, on_tick, timeout / 3 / NS_PER_MS,
                               0);
}

static void on_connection(uv_stream_t *server, int status)
{
        struct stream *st = server->data;
        const hbd_config_t *cfg = st->ctx->cfg;
        uint8_t nonce[HBES_NONCE_LEN];
        hbes_buf_t out = { 0 };
        struct sockaddr_storage ss;
        int len = sizeof(ss), r;
        uint64_t timeout_ms = cfg->events.timeout_ns / NS_PER_MS;
        uv_os_fd_t fd;
        struct sub *s;

        if (status < 0 || st->stopping)
                return;
        s = calloc(1, sizeof(*s));
        if (s == NULL)
                return;
        s->st = st;
        if (uv_tcp_init(st->ctx->loop, &s->tcp) < 0) {
                free(s);
                return;
        }
        s->tcp.data = s;
        s->open_handles = 1;
        st->open_handles++;
        uv_timer_init(st->ctx->loop, &s->timer);
        s->timer.data = s;
        s->open_handles++;
        st->open_handles++;
        /* Linked first, so that sub_close() finds it there. */
        s->next = st->subs;
        if (st->subs != NULL)
                st->subs->prev = s;
        st->subs = s;
        st->n_subs++;
        strcpy(s->peer, "?");
        r = uv_accept(server, (uv_stream_t *)&s->tcp);
        if (r < 0) {
                s->state = SUB_CLOSING;
                sub_unlink(s);
                sub_destroy(s);
                return;
        }
        if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &len) == 0)
                hbu_format_address((struct sockaddr *)&ss, s->peer,
                                   sizeof(s->peer));
        if (st->n_subs > cfg->events.max_subscribers) {
                uint64_t count;

                st->drops[DROP_FULL]++;
                if (hbd_ratelimit(&st->bad_rl[DROP_FULL], uv_hrtime(),
                                  &count))
                        hbd_warn(st->ctx->log, "event stream: %s: "
                                 "events.max_subscribers (%" PRIu32 ") "
                                 "reached, connection closed (%" PRIu64
                                 " refused since the last such line)",
                                 s->peer,
                                 cfg->events.max_subscribers, count);
                s->state = SUB_CLOSING;
                sub_unlink(s);
                sub_destroy(s);
                return;
        }
        st->accepted_total++;
        uv_tcp_nodelay(&s->tcp, 1);
        /* Idle for half the timeout, then 3 probes in the other half;
         * written data unacknowledged for the timeout ends it too. */
        if (uv_fileno((uv_handle_t *)&s->tcp, &fd) == 0)
                (void)hb_tcp_keepalive(fd, (uint32_t)(timeout_ms / 2),
                                       (uint32_t)(timeout_ms / 6), 3,
                                       (uint32_t)timeout_ms);
        randombytes_buf(nonce, sizeof(nonce));
        hbes_init(&s->es, true, cfg->events.key.bytes, nonce);
        s->heard_ns = uv_hrtime();
        r = hbes_start(&s->es, &out);
        hbes_buf_free(&out);
        if (r == 0)
                r = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
        if (r == 0)
                r = uv_timer_start(&s->timer, on_tick,
                                   cfg->events.handshake_timeout_ns /
                                   NS_PER_MS, 0);
        if (r < 0)
                sub_close(s, DROP_CLOSED, 0, "cannot start reading");
}

/* ---- the module ------------------------------------------------------- */

static void on_listener_closed(uv_handle_t *h)
{
        struct stream *st = h->data;

        st->open_handles--;
        maybe_done(st);
}

static int start(hbd_ctx_t *ctx, void **state)
{
        const hbd_config_t *cfg = ctx->cfg;
        struct stream *st;
        int r;

        *state = NULL;
        if (cfg->events.listen == NULL)
                return 0;
        st = calloc(1, sizeof(*st));
        if (st == NULL)
                return -ENOMEM;
        st->log = calloc(cfg->events.log_size, sizeof(*st->log));
        if (st->log == NULL) {
                free(st);
                return -ENOMEM;
        }
        st->ctx = ctx;
        st->cap = cfg->events.log_size;
        st->inc = ctx->incarnation;
        r = uv_tcp_init(ctx->loop, &st->listener);
        if (r < 0) {
                free(st->log);
                free(st);
                return r;
        }
        st->listener.data = st;
        st->open_handles = 1;
        r = uv_tcp_bind(&st->listener,
                        (const struct sockaddr *)&cfg->events.listen_addr, 0);
        if (r == 0)
                r = uv_listen((uv_stream_t *)&st->listener, 64,
                              on_connection);
        if (r < 0) {
                hbd_error(ctx->log, "cannot start the event stream on %s: "
                          "%s", cfg->events.listen, uv_strerror(r));
                st->stopping = true;
                uv_close((uv_handle_t *)&st->listener, on_listener_closed);
                return r;
        }
        hbd_info(ctx->log, "event stream on %s (run %" PRIu64 ")",
                 cfg->events.listen, st->inc);
        *state = st;
        return 0;
}

static void on_event(void *state, const hbd_event_t *ev)
{
        struct stream *st = state;
        struct sub *s, *next;
        json_t *obj;
        char *text;

        if (st == NULL || st->stopping)
                return;
        obj = hbd_event_json(st->ctx, ev);
        if (obj == NULL)
                return;
        text = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        if (text == NULL)
                return;
        log_append(st, text);
        for (s = st->subs; s != NULL; s = next) {
                next = s->next;
                pump(s);
        }
}

static void status(void *state, json_t *doc)
{
        struct stream *st = state;
        json_t *o, *arr, *closed;
        struct sub *s;
        unsigned i;

        if (st == NULL)
                return;
        arr = json_array();
        for (s = st->subs; arr != NULL && s != NULL; s = s->next)
                json_array_append_new(arr, json_pack(
                        "{s:s, s:b, s:I, s:I}", "peer", s->peer,
                        "streaming", s->state == SUB_STREAMING,
                        "acked_seq", (json_int_t)s->acked_seq,
                        "next_seq", (json_int_t)s->next_seq));
        closed = json_object();
        for (i = 0; closed != NULL && i < DROP_COUNT; i++)
                json_object_set_new(closed, drop_names[i],
                                    json_integer((json_int_t)st->drops[i]));
        o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o*, s:o*}",
                      "listen", st->ctx->cfg->events.listen,
                      "incarnation", (json_int_t)st->inc,
                      "oldest_seq", (json_int_t)oldest_seq(st),
                      "last_seq", (json_int_t)st->last_seq,
                      "accepted_total", (json_int_t)st->accepted_total,
                      "sent_total", (json_int_t)st->sent_total,
                      "gaps_total", (json_int_t)st->gaps_total,
                      "closed", closed,
                      "subscribers", arr);
        if (o != NULL)
                json_object_set_new(doc, "event_stream", o);
}

static void metrics(void *state, hbd_prom_t *out)
{
        struct stream *st = state;
        unsigned i;

        if (st == NULL)
                return;
        hbd_prom_family(out, "hbeat_event_stream_subscribers", "gauge",
                        "Connections to the event stream now.");
        hbd_prom_u64(out, NULL, st->n_subs);
        hbd_prom_family(out, "hbeat_event_stream_events_total", "counter",
                        "Events put in the event stream's log.");
        hbd_prom_u64(out, NULL, st->events_total);
        hbd_prom_family(out, "hbeat_event_stream_sent_total", "counter",
                        "Events sent to subscribers.");
        hbd_prom_u64(out, NULL, st->sent_total);
        hbd_prom_family(out, "hbeat_event_stream_gaps_total", "counter",
                        "Subscribers told that events they asked for are "
                        "lost.");
        hbd_prom_u64(out, NULL, st->gaps_total);
        hbd_prom_family(out, "hbeat_event_stream_connections_total",
                        "counter", "Connections accepted to the event "
                        "stream.");
        hbd_prom_u64(out, NULL, st->accepted_total);
        hbd_prom_family(out, "hbeat_event_stream_closed_total", "counter",
                        "Event stream connections ended, by reason.");
        for (i = 0; i < DROP_COUNT; i++)
                hbd_prom_u64(out, (const char *[]){ "reason", drop_names[i],
                                                    NULL }, st->drops[i]);
}

static void stop(void *state, void (*done)(void *), void *arg)
{
        struct stream *st = state;
        struct sub *s;

        if (st == NULL) {
                done(arg);
                return;
        }
        st->stopping = true;
        st->done = done;
        st->done_arg = arg;
        while ((s = st->subs) != NULL)
                sub_close(s, DROP_COUNT, HBES_ERR_SHUTDOWN,
                          "hbeatd stops");
        uv_close((uv_handle_t *)&st->listener, on_listener_closed);
}

/* events.* cannot change on reload (hbd_config_reloadable()). */
const hbd_module_t hbd_stream_module = {
        .name = "events",
        .events = STREAM_EVENTS,
        .start = start,
        .on_event = on_event,
        .status = status,
        .metrics = metrics,
        .stop = stop,
};
