/* SPDX-License-Identifier: MIT */
/*
 * The reliable transport (docs/hierarchy.md, "Reliable transport"): the
 * messages the node hints HB_OUTPUT_RELIABLE (node.h) — in the hierarchy,
 * region summaries and their repairs between coordinators of different
 * regions, and the global level's votes — go over TCP instead of UDP.
 *
 * - Sending: the adapter offers each hinted message before sending it as
 *   a datagram (hb_uv_node_set_stream()). This module keeps one outbound
 *   connection per destination address (the peer's UDP address: the TCP
 *   port of the same number), made on the first offer, bound to this
 *   node's listen address (so that the receiver's source check sees the
 *   address it knows); common/reliable.c decides: write the message as a
 *   frame when the connection is open and its queue has room, else let
 *   it go as a datagram (counted as a fallback) and reconnect after a
 *   bounded backoff. Nothing waits for a connection: a message never
 *   goes later than its datagram would have.
 * - Receiving: a listener on the listen address (TCP), on only with
 *   topology.kind hierarchy and topology.reliable_transport. Each frame
 *   is fed to the node exactly as a datagram from the connection's peer
 *   address (hb_uv_node_recv_stream(): source check, authentication,
 *   replay checks; the stream adds order and retransmission, not trust).
 * - Security: the event stream's handshake and framing
 *   (common/evstream.h: fresh nonces both ways, then one
 *   crypto_secretstream_xchacha20poly1305 stream per direction), under a
 *   key derived from the cluster's primary key with the label
 *   "hbeat-reliable-v1" (hbes_cluster_psk(), as gossip's push-pull), so
 *   that only cluster members connect; the messages are authenticated
 *   end to end besides. During a key rotation a connection whose ends
 *   disagree on the primary fails the handshake and the datagrams carry
 *   on.
 * - Liveness: TCP keepalive (hb_tcp_keepalive()) and TCP_USER_TIMEOUT
 *   end a connection to a vanished host; an unauthenticated connection
 *   lasts at most HANDSHAKE_MS. Heartbeats never take this path: the
 *   detectors judge datagrams.
 *
 * Outbound connections only write; inbound ones only read (each end of
 * a pair of coordinators has its own connection to the other).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sodium.h>

#include "common/evstream.h"
#include "common/reliable.h"
#include "common/util.h"
#include "daemon/module.h"
#include "daemon/prom.h"
#include "hbeat/tcp.h"
#include "hbeat/uv.h"

#define READ_MAX 16384u
#define HANDSHAKE_MS 5000u      /* longest handshake, connect included */
#define DESTS_MAX 256u          /* destinations with a connection */
#define INBOUND_MAX 256u        /* inbound connections at once */

static const char label[] = "hbeat-reliable-v1";

struct rel;
struct dest;

struct conn {
        uv_tcp_t tcp;
        uv_timer_t timer;       /* the handshake's deadline */
        uv_connect_t req;
        struct rel *R;
        struct conn *next, **pprev;
        struct dest *d;         /* outbound: its destination, NULL once
                                   detached */
        hbes_t es;
        bool client, open, closing;
        int handles;
        struct sockaddr_storage peer;
        char name[HBU_ADDRESS_MAX];
};

struct dest {
        struct sockaddr_storage addr;
        hbrl_link_t link;
        struct conn *c;         /* the outbound connection, or NULL */
        struct dest *next;
};

struct rel {
        hbd_ctx_t *ctx;
        uv_tcp_t listener;
        int handles;
        bool stopping, listening;
        struct conn *conns;
        unsigned n_in, n_out;
        struct dest *dests;
        unsigned n_dests;
        uint64_t frames_tx, frames_rx, frames_rx_dropped;
        uint64_t fallback_down, fallback_full;
        uint64_t conn_errors, wrong_key;
        void (*done)(void *);
        void *done_arg;
};

static void maybe_done(struct rel *R)
{
        if (R->stopping && R->handles == 0 && R->done != NULL) {
                void (*done)(void *) = R->done;
                void *arg = R->done_arg;

                while (R->dests != NULL) {
                        struct dest *d = R->dests;

                        R->dests = d->next;
                        free(d);
                }
                free(R);
                done(arg);
        }
}

/* Keepalive timing, ms: six global intervals, 3 s at least. */
static uint32_t keepalive_ms(const hbd_config_t *cfg)
{
        uint64_t ms = 6 * cfg->node.hier.global_interval_ns / 1000000u;

        if (ms < 3000)
                ms = 3000;
        if (ms > 600000)
                ms = 600000;
        return (uint32_t)ms;
}

/* ---- one connection --------------------------------------------------- */

static void on_conn_closed(uv_handle_t *h)
{
        struct conn *c = h->data;
        struct rel *R = c->R;

        if (--c->handles > 0)
                return;
        hbes_wipe(&c->es);
        free(c);
        R->handles--;
        maybe_done(R);
}

/* Close `c`; `why` non-NULL: it failed (counted, logged at debug: a peer
 * that is down fails every backoff). */
static void conn_close(struct conn *c, const char *why)
{
        struct rel *R = c->R;

        if (c->closing)
                return;
        c->closing = true;
        *c->pprev = c->next;
        if (c->next != NULL)
                c->next->pprev = c->pprev;
        if (c->client)
                R->n_out--;
        else
                R->n_in--;
        if (c->d != NULL) {
                bool was_open = c->d->link.state == HBRL_OPEN;

                hbrl_failed(&c->d->link, uv_hrtime());
                c->d->c = NULL;
                c->d = NULL;
                if (was_open && !R->stopping)
                        hbd_info(R->ctx->log, "reliable: connection to %s "
                                 "closed (%s); datagrams until it is back",
                                 c->name, why ? why : "closed");
        }
        if (why != NULL && !R->stopping) {
                R->conn_errors++;
                hbd_debug(R->ctx->log, "reliable: %s %s: %s",
                          c->client ? "to" : "from", c->name, why);
        }
        uv_close((uv_handle_t *)&c->timer, on_conn_closed);
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

struct wreq {
        uv_write_t w;
        struct conn *c;
        size_t len;
};

static void on_written(uv_write_t *w, int status)
{
        struct wreq *q = (struct wreq *)w;
        struct conn *c = q->c;

        if (c->d != NULL)
                hbrl_written(&c->d->link, q->len);
        free(q);
        if (status < 0 && status != UV_ECANCELED)
                conn_close(c, uv_strerror(status));
}

/* Write what the protocol appended to `out` (taken). 0 or an error. */
static int put(struct conn *c, hbes_buf_t *out)
{
        struct wreq *q;
        uv_buf_t b;
        int r;

        if (out->len == 0)
                return 0;
        if (c->closing)
                return -EPIPE;
        q = malloc(sizeof(*q) + out->len);
        if (q == NULL)
                return -ENOMEM;
        memcpy(q + 1, out->data, out->len);
        b = uv_buf_init((char *)(q + 1), (unsigned)out->len);
        q->c = c;
        q->len = out->len;
        r = uv_write(&q->w, (uv_stream_t *)&c->tcp, &b, 1, on_written);
        if (r < 0) {
                free(q);
                return r;
        }
        out->len = 0;
        return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void)h;
        (void)suggested;
        buf->base = malloc(READ_MAX);
        buf->len = buf->base != NULL ? READ_MAX : 0;
}

/* An inbound frame: the message, fed to the node as a datagram. */
static int got_frame(struct conn *c, const hbes_frame_t *f)
{
        struct rel *R = c->R;
        const uint8_t *msg;
        size_t len;

        if (c->client || hbrl_unframe(f, &msg, &len) < 0)
                return -EPROTO;
        R->frames_rx++;
        if (hb_uv_node_recv_stream(R->ctx->un, msg, len,
                                   (const struct sockaddr *)&c->peer) < 0)
                R->frames_rx_dropped++;
        return 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
        struct conn *c = stream->data;
        struct rel *R = c->R;
        hbes_buf_t out = { 0 };
        hbes_frame_t f;
        int r = 0;

        if (nread < 0) {
                free(buf->base);
                conn_close(c, nread == UV_EOF ? "closed by the peer"
                                              : uv_strerror((int)nread));
                return;
        }
        if (nread > 0)
                r = hbes_feed(&c->es, buf->base, (size_t)nread);
        free(buf->base);
        while (r >= 0 && !c->closing) {
                r = hbes_next(&c->es, &out, &f);
                if (put(c, &out) < 0)
                        r = -EIO;
                if (r == HBES_NEED)
                        break;
                if (r == HBES_GOT_OPEN) {
                        c->open = true;
                        uv_timer_stop(&c->timer);
                        if (c->d != NULL) {
                                hbrl_opened(&c->d->link);
                                hbd_info(R->ctx->log, "reliable: "
                                         "connected to %s", c->name);
                        }
                } else if (r == HBES_GOT_FRAME) {
                        r = got_frame(c, &f);
                }
        }
        hbes_buf_free(&out);
        if (c->closing || r >= 0)
                return;
        if (r == -EACCES) {
                R->wrong_key++;
                if (!R->stopping)
                        hbd_warn(R->ctx->log, "reliable: %s %s: another "
                                 "cluster key", c->client ? "to" : "from",
                                 c->name);
        }
        conn_close(c, r == -EIO ? "write failed" : hbes_strerror(r));
}

static void on_handshake_timeout(uv_timer_t *t)
{
        conn_close(t->data, "no handshake in time");
}

/* A connection's handles and protocol state; linked. NULL if none. */
static struct conn *conn_new(struct rel *R, bool client)
{
        uint8_t key[HBES_KEY_LEN], nonce[HBES_NONCE_LEN];
        const hbd_config_t *cfg = R->ctx->cfg;
        struct conn *c = calloc(1, sizeof(*c));

        if (c == NULL)
                return NULL;
        if (uv_tcp_init(R->ctx->loop, &c->tcp) < 0) {
                free(c);
                return NULL;
        }
        c->R = R;
        c->client = client;
        c->tcp.data = c;
        uv_timer_init(R->ctx->loop, &c->timer);
        c->timer.data = c;
        c->handles = 2;
        R->handles++;
        c->next = R->conns;
        c->pprev = &R->conns;
        if (R->conns != NULL)
                R->conns->pprev = &c->next;
        R->conns = c;
        if (client)
                R->n_out++;
        else
                R->n_in++;
        strcpy(c->name, "?");
        hbes_cluster_psk(&cfg->node.key, &cfg->node.keyring, label, key);
        randombytes_buf(nonce, sizeof(nonce));
        hbes_init(&c->es, !client, key, nonce);
        sodium_memzero(key, sizeof(key));
        uv_timer_start(&c->timer, on_handshake_timeout, HANDSHAKE_MS, 0);
        return c;
}

/* Nagle off, keepalive on (and the user timeout: data unacknowledged
 * that long ends the connection). */
static void tune(struct conn *c)
{
        uint32_t ka = keepalive_ms(c->R->ctx->cfg);
        uv_os_fd_t fd;

        uv_tcp_nodelay(&c->tcp, 1);
        if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
                (void)hb_tcp_keepalive(fd, ka / 2, ka / 6 > 0 ? ka / 6 : 1,
                                       3, ka);
}

static void on_connected(uv_connect_t *req, int status)
{
        struct conn *c = req->data;
        hbes_buf_t out = { 0 };
        int r;

        if (c->closing)
                return;
        if (status < 0) {
                conn_close(c, uv_strerror(status));
                return;
        }
        tune(c);
        r = hbes_start(&c->es, &out);
        if (r == 0)
                r = put(c, &out);
        hbes_buf_free(&out);
        if (r == 0)
                r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
        if (r < 0)
                conn_close(c, "cannot start");
}

/* Whether `a` is a wildcard address (0.0.0.0, ::). */
static bool wildcard(const struct sockaddr_storage *a)
{
        static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

        if (a->ss_family == AF_INET)
                return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
                       htonl(INADDR_ANY);
        if (a->ss_family == AF_INET6)
                return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                              &any6, sizeof(any6)) == 0;
        return true;
}

/* Start the outbound connection of `d` (its link is connecting). */
static void connect_dest(struct rel *R, struct dest *d)
{
        const hbd_config_t *cfg = R->ctx->cfg;
        struct sockaddr_storage src;
        struct conn *c;

        c = conn_new(R, true);
        if (c == NULL) {
                hbrl_failed(&d->link, uv_hrtime());
                return;
        }
        c->d = d;
        d->c = c;
        memcpy(&c->peer, &d->addr, sizeof(c->peer));
        hbu_format_address((const struct sockaddr *)&d->addr, c->name,
                           sizeof(c->name));
        /* From this node's own address, as its datagrams: the receiver
         * checks the source of what it is fed. */
        if (!wildcard(&cfg->listen_addr) &&
            cfg->listen_addr.ss_family == d->addr.ss_family) {
                memcpy(&src, &cfg->listen_addr, sizeof(src));
                if (src.ss_family == AF_INET)
                        ((struct sockaddr_in *)&src)->sin_port = 0;
                else
                        ((struct sockaddr_in6 *)&src)->sin6_port = 0;
                if (uv_tcp_bind(&c->tcp, (const struct sockaddr *)&src,
                                0) < 0) {
                        conn_close(c, "cannot bind to the listen address");
                        return;
                }
        }
        c->req.data = c;
        if (uv_tcp_connect(&c->req, &c->tcp,
                           (const struct sockaddr *)&d->addr,
                           on_connected) < 0)
                conn_close(c, "cannot connect");
}

static void on_connection(uv_stream_t *server, int status)
{
        struct rel *R = server->data;
        int len = sizeof(struct sockaddr_storage);
        struct conn *c;

        if (status < 0 || R->stopping)
                return;
        c = conn_new(R, false);
        if (c == NULL)
                return;
        if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
                conn_close(c, "accept failed");
                return;
        }
        if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer,
                               &len) == 0)
                hbu_format_address((struct sockaddr *)&c->peer, c->name,
                                   sizeof(c->name));
        if (R->n_in > INBOUND_MAX) {
                conn_close(c, "too many connections");
                return;
        }
        tune(c);
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
                conn_close(c, "cannot read");
}

/* ---- the adapter's offers ---------------------------------------------- */

static struct dest *dest_get(struct rel *R, const struct sockaddr *to)
{
        struct dest *d;

        for (d = R->dests; d != NULL; d = d->next)
                if (hbu_address_equal((const struct sockaddr *)&d->addr,
                                      to))
                        return d;
        if (R->n_dests >= DESTS_MAX ||
            (to->sa_family != AF_INET && to->sa_family != AF_INET6))
                return NULL;
        d = calloc(1, sizeof(*d));
        if (d == NULL)
                return NULL;
        memcpy(&d->addr, to, to->sa_family == AF_INET
                                     ? sizeof(struct sockaddr_in)
                                     : sizeof(struct sockaddr_in6));
        hbrl_link_init(&d->link);
        d->next = R->dests;
        R->dests = d;
        R->n_dests++;
        return d;
}

/* hb_uv_stream_cb: take the message if its destination's connection is
 * open and has room; else a datagram carries it. Never calls into the
 * adapter or the node. */
static bool offer(void *user, const hb_output_t *out, const uint8_t *buf,
                  size_t len, const struct sockaddr *to)
{
        struct rel *R = user;
        struct dest *d;
        hbes_buf_t frame = { 0 };
        size_t flen = hbrl_frame_len(len);
        int r;

        (void)out;
        if (R->stopping)
                return false;
        d = dest_get(R, to);
        if (d == NULL) {
                R->fallback_down++;
                return false;
        }
        switch (hbrl_offer(&d->link, flen, uv_hrtime())) {
        case HBRL_CONNECT:
                connect_dest(R, d);
                R->fallback_down++;
                return false;
        case HBRL_DOWN:
                R->fallback_down++;
                return false;
        case HBRL_FULL:
                R->fallback_full++;
                return false;
        case HBRL_SEND:
                break;
        }
        r = d->c != NULL ? hbrl_frame(&d->c->es, buf, len, &frame)
                         : -ENOTCONN;
        if (r == 0)
                r = put(d->c, &frame);
        hbes_buf_free(&frame);
        if (r < 0) {
                hbrl_written(&d->link, flen);
                if (d->c != NULL)
                        conn_close(d->c, "write failed");
                R->fallback_down++;
                return false;
        }
        R->frames_tx++;
        return true;
}

/* ---- the module --------------------------------------------------------- */

static void on_listener_closed(uv_handle_t *h)
{
        struct rel *R = h->data;

        R->handles--;
        maybe_done(R);
}

/* The listener of a module that failed to start: free it with it. */
static void free_on_close(uv_handle_t *h)
{
        free(h->data);
}

static int start(hbd_ctx_t *ctx, void **state)
{
        const hbd_config_t *cfg = ctx->cfg;
        struct rel *R;
        int r;

        *state = NULL;
        if (!cfg->node.hier.enabled || !cfg->reliable_transport)
                return 0;
        R = calloc(1, sizeof(*R));
        if (R == NULL)
                return -ENOMEM;
        R->ctx = ctx;
        r = uv_tcp_init(ctx->loop, &R->listener);
        if (r < 0) {
                free(R);
                return r;
        }
        R->listener.data = R;
        R->handles++;
        r = uv_tcp_bind(&R->listener,
                        (const struct sockaddr *)&cfg->listen_addr, 0);
        if (r == 0)
                r = uv_listen((uv_stream_t *)&R->listener, 64,
                              on_connection);
        if (r < 0) {
                hbd_error(ctx->log, "reliable: cannot listen on TCP %s: %s "
                          "(topology.reliable_transport: false turns the "
                          "reliable transport off)", cfg->listen,
                          uv_strerror(r));
                uv_close((uv_handle_t *)&R->listener, free_on_close);
                return r;
        }
        R->listening = true;
        hb_uv_node_set_stream(ctx->un, offer, R);
        hbd_info(ctx->log, "reliable: summaries between coordinators over "
                 "TCP %s", cfg->listen);
        *state = R;
        return 0;
}

static void status(void *state, json_t *doc)
{
        struct rel *R = state;
        json_t *o;

        if (R == NULL)
                return;
        o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                      "listening", R->listening,
                      "connections_out", (json_int_t)R->n_out,
                      "connections_in", (json_int_t)R->n_in,
                      "frames_sent", (json_int_t)R->frames_tx,
                      "frames_received", (json_int_t)R->frames_rx,
                      "frames_dropped", (json_int_t)R->frames_rx_dropped,
                      "fallbacks_not_connected",
                      (json_int_t)R->fallback_down,
                      "fallbacks_full", (json_int_t)R->fallback_full,
                      "connection_errors", (json_int_t)R->conn_errors,
                      "wrong_key", (json_int_t)R->wrong_key);
        if (o != NULL)
                json_object_set_new(doc, "reliable", o);
}

static void metrics(void *state, hbd_prom_t *out)
{
        struct rel *R = state;

        if (R == NULL)
                return;
        hbd_prom_family(out, "hbeat_reliable_frames_total", "counter",
                        "Messages carried over the reliable transport "
                        "(TCP), by direction; received ones the node "
                        "refused are counted in hbeat_reliable_frames_"
                        "dropped_total too.");
        hbd_prom_u64(out, (const char *[]){ "direction", "sent", NULL },
                     R->frames_tx);
        hbd_prom_u64(out, (const char *[]){ "direction", "received", NULL },
                     R->frames_rx);
        hbd_prom_family(out, "hbeat_reliable_frames_dropped_total",
                        "counter",
                        "Received frames the node refused (as it would "
                        "the same datagram: source, key, replay).");
        hbd_prom_u64(out, NULL, R->frames_rx_dropped);
        hbd_prom_family(out, "hbeat_reliable_fallbacks_total", "counter",
                        "Messages for the reliable transport sent as UDP "
                        "datagrams instead, by reason.");
        hbd_prom_u64(out, (const char *[]){ "reason", "not_connected",
                                            NULL },
                     R->fallback_down);
        hbd_prom_u64(out, (const char *[]){ "reason", "full", NULL },
                     R->fallback_full);
        hbd_prom_family(out, "hbeat_reliable_connection_errors_total",
                        "counter",
                        "Reliable transport connections that failed or "
                        "were closed by the peer, both directions.");
        hbd_prom_u64(out, NULL, R->conn_errors);
        hbd_prom_family(out, "hbeat_reliable_connections", "gauge",
                        "Reliable transport connections, by side.");
        hbd_prom_u64(out, (const char *[]){ "side", "client", NULL },
                     R->n_out);
        hbd_prom_u64(out, (const char *[]){ "side", "server", NULL },
                     R->n_in);
}

static void stop(void *state, void (*done)(void *), void *arg)
{
        struct rel *R = state;

        if (R == NULL) {
                done(arg);
                return;
        }
        hb_uv_node_set_stream(R->ctx->un, NULL, NULL);
        R->stopping = true;
        R->done = done;
        R->done_arg = arg;
        while (R->conns != NULL)
                conn_close(R->conns, NULL);
        uv_close((uv_handle_t *)&R->listener, on_listener_closed);
}

/* topology.* cannot change on reload. */
const hbd_module_t hbd_reliable_module = {
        .name = "reliable",
        .start = start,
        .status = status,
        .metrics = metrics,
        .stop = stop,
};
