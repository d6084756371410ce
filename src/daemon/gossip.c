/* SPDX-License-Identifier: MIT */
/*
 * Gossip push-pull anti-entropy over TCP (docs/gossip.md, "Join and
 * push-pull"): the reliable half of the gossip topology, next to the
 * datagrams the node (src/core/swim.c) sends itself.
 *
 * - Join: at start, this node exchanges its whole membership with the
 *   first of topology.seeds that answers (each tried in turn, the round
 *   again after a pause), so that a new node knows every member at once
 *   and every member learns of it from the seed's gossip.
 * - Anti-entropy: every topology.push_pull_interval_ms (jittered by up
 *   to a quarter), with one random live member: what gossip lost is
 *   repaired.
 *
 * An exchange: the client connects to the member's listen address (the
 * TCP port of the same number as its UDP one), both ends run the event
 * stream's handshake (src/common/evstream.c: pre-shared key, fresh
 * nonces both ways, proofs checked with crypto_verify_32, then one
 * crypto_secretstream_xchacha20poly1305 stream per direction: encrypted,
 * authenticated, in order, no replay), under a key derived from the
 * cluster's primary key: BLAKE2b-256 keyed with it of the label
 * "hbeat-gossip-push-pull-v1", so that it is never the event stream's
 * nor the datagrams' key. Each end then sends its digest
 * (hb_node_gossip_digest(), frames of at most 16 KiB of MEMBER TLVs) and
 * an END frame, and merges each frame of the other's as it comes
 * (hb_node_gossip_merge(): only authenticated frames reach it). Both
 * close when both ENDs went. A connection lasts at most EXCHANGE_MS.
 *
 * During a key rotation a node whose primary differs from the other's
 * fails the handshake (counted as wrong_key); the datagrams, which
 * accept every key of the ring, go on, and the next exchange after the
 * rotation's step works.
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
#include "hbeat/uv.h"

#define FRAME_DIGEST 0x10       /* MEMBER TLVs (a digest chunk) */
#define FRAME_END 0x11          /* empty: the digest is complete */
#define CHUNK_MAX 16384u
#define EXCHANGE_MS 5000u       /* longest exchange, connect included */
#define CONNS_MAX 16u           /* exchanges at once, both ways */
/* After a round of seeds failed: the first pause, doubled after each
 * failed round up to the longest (seeds that start a moment later, as
 * when a whole cluster starts at once, are found soon). */
#define JOIN_RETRY_FIRST_MS 100u
#define JOIN_RETRY_MS 2000u
#define WRITE_QUEUE_MAX (8u * 1024u * 1024u)

static const char label[] = "hbeat-gossip-push-pull-v1";

enum result {
        PP_OK,
        PP_CONNECT,              /* connect or read failed, or closed */
        PP_WRONG_KEY,
        PP_MALFORMED,
        PP_TIMEOUT,
        PP_FULL,
        PP_COUNT
};

static const char *const result_names[PP_COUNT] = {
        "ok", "connect", "wrong_key", "malformed", "timeout", "full",
};

struct gsp;

struct conn {
        uv_tcp_t tcp;
        uv_timer_t timer;
        uv_connect_t req;
        struct gsp *g;
        struct conn *next, **pprev;
        hbes_t es;
        bool client, open, sent_end, got_end, closing, join;
        int handles;
        unsigned writes;
        uint64_t merged;        /* digest bytes merged */
        char peer[HBU_ADDRESS_MAX];
};

struct gsp {
        hbd_ctx_t *ctx;
        uv_tcp_t listener;
        uv_timer_t timer;
        int handles;
        bool stopping, joined, listening;
        size_t seed;            /* next seed to try */
        uint64_t join_retry_ms; /* pause after the next failed round */
        unsigned n_conns;
        struct conn *conns;
        uint64_t results[2][PP_COUNT];   /* [client?][result] */
        uint64_t joined_ns;
        char joined_via[HBU_ADDRESS_MAX];
        void (*done)(void *);
        void *done_arg;
};

static void schedule(struct gsp *g, uint64_t ms);

static void maybe_done(struct gsp *g)
{
        if (g->stopping && g->handles == 0 && g->done != NULL) {
                void (*done)(void *) = g->done;
                void *arg = g->done_arg;

                free(g);
                done(arg);
        }
}

/* The pre-shared key of the exchange, from the cluster's primary key. */
static void psk(const hbd_config_t *cfg, uint8_t out[HBES_KEY_LEN])
{
        hbes_cluster_psk(&cfg->node.key, &cfg->node.keyring, label, out);
}

/* ---- one connection --------------------------------------------------- */

static void on_conn_closed(uv_handle_t *h)
{
        struct conn *c = h->data;
        struct gsp *g = c->g;

        if (--c->handles > 0)
                return;
        hbes_wipe(&c->es);
        free(c);
        g->handles--;
        maybe_done(g);
}

static void conn_close(struct conn *c, enum result res, const char *why)
{
        struct gsp *g = c->g;

        if (c->closing)
                return;
        c->closing = true;
        *c->pprev = c->next;
        if (c->next != NULL)
                c->next->pprev = c->pprev;
        g->n_conns--;
        g->results[c->client][res]++;
        if (res == PP_OK && c->client && !g->joined) {
                g->joined = true;
                g->joined_ns = uv_hrtime();
                snprintf(g->joined_via, sizeof(g->joined_via), "%s",
                         c->peer);
                hbd_info(g->ctx->log, "gossip: joined through %s",
                         c->peer);
        } else if (res != PP_OK && !g->stopping) {
                hbd_logj(g->ctx->log, c->join ? HBD_LOG_WARNING
                                              : HBD_LOG_INFO,
                         json_pack("{s:s, s:s, s:b}", "peer", c->peer,
                                   "result", result_names[res], "client",
                                   c->client),
                         "gossip: push-pull %s %s failed: %s (%s)",
                         c->client ? "to" : "from", c->peer,
                         result_names[res], why ? why : "");
        }
        uv_close((uv_handle_t *)&c->timer, on_conn_closed);
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        if (c->client && !g->stopping) {
                if (res == PP_OK || !c->join)
                        schedule(g, 0);
                else
                        schedule(g, 1); /* the next seed */
        }
}

static void on_written(uv_write_t *w, int status)
{
        struct conn *c = w->data;

        free(w);
        c->writes--;
        if (status < 0) {
                conn_close(c, PP_CONNECT, uv_strerror(status));
                return;
        }
        if (c->sent_end && c->got_end && c->writes == 0)
                conn_close(c, PP_OK, NULL);
}

/* Write what the protocol appended to `out` (taken). */
static int put(struct conn *c, hbes_buf_t *out)
{
        uv_write_t *w;
        uv_buf_t b;
        int r;

        if (out->len == 0 || c->closing)
                return 0;
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) >
            WRITE_QUEUE_MAX)
                return -ENOBUFS;
        w = malloc(sizeof(*w) + out->len);
        if (w == NULL)
                return -ENOMEM;
        memcpy(w + 1, out->data, out->len);
        b = uv_buf_init((char *)(w + 1), (unsigned)out->len);
        w->data = c;
        r = uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written);
        if (r < 0) {
                free(w);
                return r;
        }
        c->writes++;
        out->len = 0;
        return 0;
}

/* The handshake completed: send this node's whole view, then END. */
static int send_digest(struct conn *c)
{
        hb_node_t *node = c->g->ctx->node;
        uint8_t chunk[CHUNK_MAX];
        hbes_buf_t out = { 0 };
        size_t cursor = 0;
        int n, r = 0;

        while (r == 0 &&
               (n = hb_node_gossip_digest(node, &cursor, chunk,
                                          sizeof(chunk))) > 0) {
                r = hbes_send(&c->es, FRAME_DIGEST, chunk, (size_t)n, &out);
                if (r == 0)
                        r = put(c, &out);
        }
        if (r == 0)
                r = hbes_send(&c->es, FRAME_END, NULL, 0, &out);
        if (r == 0)
                r = put(c, &out);
        hbes_buf_free(&out);
        if (r == 0)
                c->sent_end = true;
        return r;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void)h;
        (void)suggested;
        buf->base = malloc(CHUNK_MAX);
        buf->len = buf->base != NULL ? CHUNK_MAX : 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
        struct conn *c = stream->data;
        hbd_ctx_t *ctx = c->g->ctx;
        hbes_buf_t out = { 0 };
        hbes_frame_t f;
        int r = 0;

        if (nread < 0) {
                free(buf->base);
                conn_close(c, PP_CONNECT, nread == UV_EOF
                                                 ? "closed before the end"
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
                        r = send_digest(c) < 0 ? -EIO : 0;
                } else if (r == HBES_GOT_FRAME) {
                        if (f.type == FRAME_DIGEST && !c->got_end) {
                                r = hb_node_gossip_merge(ctx->node,
                                                         uv_hrtime(), f.body,
                                                         f.len);
                                if (r < 0) {
                                        r = -EPROTO;
                                        break;
                                }
                                c->merged += f.len;
                                hb_uv_node_flush(ctx->un);
                        } else if (f.type == FRAME_END && !c->got_end) {
                                c->got_end = true;
                        } else {
                                r = -EPROTO;
                        }
                }
        }
        hbes_buf_free(&out);
        if (c->closing)
                return;
        if (r == -EACCES)
                conn_close(c, PP_WRONG_KEY, "another cluster key");
        else if (r == -EIO)
                conn_close(c, PP_CONNECT, "write failed");
        else if (r < 0)
                conn_close(c, PP_MALFORMED, hbes_strerror(r));
        else if (c->sent_end && c->got_end && c->writes == 0)
                conn_close(c, PP_OK, NULL);
}

static void on_timeout(uv_timer_t *t)
{
        conn_close(t->data, PP_TIMEOUT, "not completed in time");
}

/* A connection's handles and protocol state; linked. NULL if none. */
static struct conn *conn_new(struct gsp *g, bool client)
{
        uint8_t key[HBES_KEY_LEN], nonce[HBES_NONCE_LEN];
        struct conn *c = calloc(1, sizeof(*c));

        if (c == NULL)
                return NULL;
        if (uv_tcp_init(g->ctx->loop, &c->tcp) < 0) {
                free(c);
                return NULL;
        }
        c->g = g;
        c->client = client;
        c->tcp.data = c;
        uv_timer_init(g->ctx->loop, &c->timer);
        c->timer.data = c;
        c->handles = 2;
        g->handles++;
        c->next = g->conns;
        c->pprev = &g->conns;
        if (g->conns != NULL)
                g->conns->pprev = &c->next;
        g->conns = c;
        g->n_conns++;
        strcpy(c->peer, "?");
        psk(g->ctx->cfg, key);
        randombytes_buf(nonce, sizeof(nonce));
        hbes_init(&c->es, !client, key, nonce);
        sodium_memzero(key, sizeof(key));
        uv_timer_start(&c->timer, on_timeout, EXCHANGE_MS, 0);
        return c;
}

static void on_connected(uv_connect_t *req, int status)
{
        struct conn *c = req->data;
        hbes_buf_t out = { 0 };
        int r;

        if (c->closing)
                return;
        if (status < 0) {
                conn_close(c, PP_CONNECT, uv_strerror(status));
                return;
        }
        uv_tcp_nodelay(&c->tcp, 1);
        r = hbes_start(&c->es, &out);
        if (r == 0)
                r = put(c, &out);
        hbes_buf_free(&out);
        if (r == 0)
                r = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
        if (r < 0)
                conn_close(c, PP_CONNECT, "cannot start");
}

/* Start an exchange with `to` (its UDP address: the same TCP port). */
static void exchange(struct gsp *g, const struct sockaddr *to, bool join)
{
        struct conn *c;

        if (g->n_conns >= CONNS_MAX) {
                g->results[1][PP_FULL]++;
                schedule(g, 0);
                return;
        }
        c = conn_new(g, true);
        if (c == NULL) {
                schedule(g, 0);
                return;
        }
        c->join = join;
        hbu_format_address(to, c->peer, sizeof(c->peer));
        c->req.data = c;
        if (uv_tcp_connect(&c->req, &c->tcp, to, on_connected) < 0)
                conn_close(c, PP_CONNECT, "cannot connect");
}

static void on_connection(uv_stream_t *server, int status)
{
        struct gsp *g = server->data;
        struct sockaddr_storage ss;
        int len = sizeof(ss);
        struct conn *c;

        if (status < 0 || g->stopping)
                return;
        c = conn_new(g, false);
        if (c == NULL)
                return;
        if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
                conn_close(c, PP_CONNECT, "accept failed");
                return;
        }
        if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
                hbu_format_address((struct sockaddr *)&ss, c->peer,
                                   sizeof(c->peer));
        if (g->n_conns > CONNS_MAX) {
                conn_close(c, PP_FULL, "too many exchanges at once");
                return;
        }
        uv_tcp_nodelay(&c->tcp, 1);
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
                conn_close(c, PP_CONNECT, "cannot read");
}

/* ---- the schedule ----------------------------------------------------- */

/* A random live member's address; false if none. */
static bool random_member(struct gsp *g, struct sockaddr_storage *out)
{
        hb_node_t *node = g->ctx->node;
        size_t n = hb_node_peer_count(node), live = 0, pick;
        uint64_t now = uv_hrtime();
        hb_peer_info_t pi;

        for (size_t i = 0; i < n; i++)
                if (hb_node_peer_at(node, i, now, &pi) == 0 &&
                    pi.state == HB_PEER_ALIVE)
                        live++;
        if (live == 0)
                return false;
        pick = randombytes_uniform((uint32_t)live);
        for (size_t i = 0; i < n; i++) {
                if (hb_node_peer_at(node, i, now, &pi) < 0 ||
                    pi.state != HB_PEER_ALIVE)
                        continue;
                if (pick-- == 0)
                        return hb_uv_node_member_address(g->ctx->un, pi.id,
                                                         out) == 0;
        }
        return false;
}

static bool is_self(const struct gsp *g, const struct sockaddr_storage *a)
{
        const hbd_config_t *cfg = g->ctx->cfg;

        return hbu_address_equal((const struct sockaddr *)a,
                                 (const struct sockaddr *)
                                         &cfg->gossip_advertise_addr) ||
               hbu_address_equal((const struct sockaddr *)a,
                                 (const struct sockaddr *)&cfg->listen_addr);
}

static void on_timer(uv_timer_t *t)
{
        struct gsp *g = t->data;
        const hbd_config_t *cfg = g->ctx->cfg;
        struct sockaddr_storage to;

        if (g->stopping)
                return;
        if (!g->joined) {
                /* The next seed that is not this node. */
                while (g->seed < cfg->n_gossip_seeds &&
                       is_self(g, &cfg->gossip_seed_addr[g->seed]))
                        g->seed++;
                if (g->seed >= cfg->n_gossip_seeds) {
                        g->seed = 0;
                        schedule(g, g->join_retry_ms);
                        g->join_retry_ms *= 2;
                        if (g->join_retry_ms > JOIN_RETRY_MS)
                                g->join_retry_ms = JOIN_RETRY_MS;
                        return;
                }
                exchange(g, (const struct sockaddr *)
                                    &cfg->gossip_seed_addr[g->seed++],
                         true);
                return;
        }
        if (random_member(g, &to))
                exchange(g, (const struct sockaddr *)&to, false);
        else
                schedule(g, 0);
}

/*
 * Arm the timer: `ms` 0 means "the next regular time" (the push-pull
 * interval, jittered, once joined; the retry pause before); 1 means at
 * once (the next seed).
 */
static void schedule(struct gsp *g, uint64_t ms)
{
        const hbd_config_t *cfg = g->ctx->cfg;
        uint64_t iv = cfg->push_pull_interval_ns / 1000000u;

        if (g->stopping)
                return;
        if (ms == 0) {
                if (!g->joined)
                        ms = JOIN_RETRY_MS;
                else if (iv == 0)
                        return; /* joined; no periodic exchange */
                else
                        ms = iv - iv / 8 + randombytes_uniform(
                                        (uint32_t)(iv / 4 + 1));
        }
        uv_timer_start(&g->timer, on_timer, ms, 0);
}

/* ---- the module --------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
        struct gsp *g = h->data;

        g->handles--;
        maybe_done(g);
}

static int start(hbd_ctx_t *ctx, void **state)
{
        const hbd_config_t *cfg = ctx->cfg;
        struct gsp *g;
        int r;

        *state = NULL;
        if (cfg->node.topology != HB_TOPOLOGY_GOSSIP)
                return 0;
        g = calloc(1, sizeof(*g));
        if (g == NULL)
                return -ENOMEM;
        g->ctx = ctx;
        uv_timer_init(ctx->loop, &g->timer);
        g->timer.data = g;
        g->handles++;
        r = uv_tcp_init(ctx->loop, &g->listener);
        if (r < 0) {
                g->stopping = true;
                uv_close((uv_handle_t *)&g->timer, on_handle_closed);
                return r;
        }
        g->listener.data = g;
        g->handles++;
        r = uv_tcp_bind(&g->listener,
                        (const struct sockaddr *)&cfg->listen_addr, 0);
        if (r == 0)
                r = uv_listen((uv_stream_t *)&g->listener, 64,
                              on_connection);
        if (r < 0) {
                hbd_error(ctx->log, "gossip: cannot listen for push-pull "
                          "on TCP %s: %s", cfg->listen, uv_strerror(r));
                g->stopping = true;
                uv_close((uv_handle_t *)&g->timer, on_handle_closed);
                uv_close((uv_handle_t *)&g->listener, on_handle_closed);
                return r;
        }
        g->listening = true;
        /* A node without seeds is the first of its cluster. */
        g->joined = cfg->n_gossip_seeds == 0;
        g->join_retry_ms = JOIN_RETRY_FIRST_MS;
        hbd_info(ctx->log, "gossip: push-pull on TCP %s, %zu seeds, every "
                 "%" PRIu64 " ms", cfg->listen, cfg->n_gossip_seeds,
                 cfg->push_pull_interval_ns / 1000000u);
        uv_timer_start(&g->timer, on_timer, g->joined ? 0 : 1, 0);
        if (g->joined)
                schedule(g, 0);
        *state = g;
        return 0;
}

static void status(void *state, json_t *doc)
{
        struct gsp *g = state;
        hb_gossip_info_t gi;
        json_t *o, *res;

        if (g == NULL || hb_node_gossip_info(g->ctx->node, &gi) < 0)
                return;
        res = json_object();
        for (unsigned i = 0; res != NULL && i < PP_COUNT; i++)
                json_object_set_new(res, result_names[i], json_pack(
                        "{s:I, s:I}", "client",
                        (json_int_t)g->results[1][i], "server",
                        (json_int_t)g->results[0][i]));
        o = json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
                      " s:I, s:I, s:I, s:o*}",
                      "joined", g->joined,
                      "joined_via", g->joined_via,
                      "members", (json_int_t)gi.members,
                      "live", (json_int_t)gi.live,
                      "suspects", (json_int_t)gi.suspects,
                      "lhm", (json_int_t)gi.lhm,
                      "incarnation", (json_int_t)gi.incarnation,
                      "pending_updates", (json_int_t)gi.pending_updates,
                      "probes_sent", (json_int_t)gi.probes_sent,
                      "probes_failed", (json_int_t)gi.probes_failed,
                      "refutations", (json_int_t)gi.refutations,
                      "gossip_rounds", (json_int_t)gi.gossip_rounds,
                      "push_pull_interval_ms",
                      (json_int_t)(g->ctx->cfg->push_pull_interval_ns /
                                   1000000u),
                      "push_pull", res);
        if (o != NULL)
                json_object_set_new(doc, "gossip", o);
}

static void metrics(void *state, hbd_prom_t *out)
{
        struct gsp *g = state;
        hb_gossip_info_t gi;

        if (g == NULL || hb_node_gossip_info(g->ctx->node, &gi) < 0)
                return;
        hbd_prom_family(out, "hbeat_gossip_members", "gauge",
                        "Gossip members known (any state), this node "
                        "excluded.");
        hbd_prom_u64(out, NULL, gi.members);
        hbd_prom_family(out, "hbeat_gossip_live_members", "gauge",
                        "Gossip members alive or suspect.");
        hbd_prom_u64(out, NULL, gi.live);
        hbd_prom_family(out, "hbeat_gossip_suspicions", "gauge",
                        "Suspicions running.");
        hbd_prom_u64(out, NULL, gi.suspects);
        hbd_prom_family(out, "hbeat_gossip_local_health", "gauge",
                        "Lifeguard's local health multiplier (0: healthy).");
        hbd_prom_u64(out, NULL, gi.lhm);
        hbd_prom_family(out, "hbeat_gossip_probes_total", "counter",
                        "Pings and ping-reqs sent.");
        hbd_prom_u64(out, NULL, gi.probes_sent);
        hbd_prom_family(out, "hbeat_gossip_probes_failed_total", "counter",
                        "Probes with no ack, direct or indirect.");
        hbd_prom_u64(out, NULL, gi.probes_failed);
        hbd_prom_family(out, "hbeat_gossip_refutations_total", "counter",
                        "Suspicions of this node it refuted.");
        hbd_prom_u64(out, NULL, gi.refutations);
        hbd_prom_family(out, "hbeat_gossip_push_pull_total", "counter",
                        "Push-pull exchanges ended, by side and result.");
        for (unsigned side = 0; side < 2; side++)
                for (unsigned i = 0; i < PP_COUNT; i++)
                        hbd_prom_u64(out, (const char *[]){
                                "side", side ? "client" : "server",
                                "result", result_names[i], NULL },
                                g->results[side][i]);
}

static void stop(void *state, void (*done)(void *), void *arg)
{
        struct gsp *g = state;

        if (g == NULL) {
                done(arg);
                return;
        }
        g->stopping = true;
        g->done = done;
        g->done_arg = arg;
        while (g->conns != NULL)
                conn_close(g->conns, PP_CONNECT, "hbeatd stops");
        uv_close((uv_handle_t *)&g->timer, on_handle_closed);
        uv_close((uv_handle_t *)&g->listener, on_handle_closed);
}

/* topology.* cannot change on reload. */
const hbd_module_t hbd_gossip_module = {
        .name = "gossip",
        .start = start,
        .status = status,
        .metrics = metrics,
        .stop = stop,
};
