/* SPDX-License-Identifier: MIT */
/*
 * The HTTP module: read-only endpoints (docs/http.md) on libmicrohttpd,
 * when http.listen is set: /healthz, /readyz (quorate and every module
 * ready), /v1/status and /v1/members (status.c's documents, the same as
 * the control socket's), /metrics (metrics.c, Prometheus).
 *
 * No thread: MHD is started with MHD_USE_EPOLL and no internal polling
 * thread, so it only works when MHD_run() is called. Its epoll fd (which
 * holds the listening socket and every connection) is watched by a
 * uv_poll_t for readability, and MHD_get_timeout() drives a one-shot
 * uv_timer_t; both call MHD_run() and then re-arm the timer. MHD uses
 * edge-triggered epoll for its connections and keeps the ones with work
 * left in a list of its own; it then reports a timeout of 0, so the timer
 * (not the epoll fd, which may not be readable again) finishes that work
 * on the next loop iteration. The request handler therefore runs on the
 * loop thread and reads the node like the control module does, through
 * the same documents (hbd_status_json(), hbd_members_json()).
 *
 * The listening socket is created and bound here, not by MHD: a bind
 * failure is then reported with its errno (MHD_start_daemon() only
 * returns NULL), and an IPv6 address is bound v6-only, to exactly the
 * configured address. MHD owns the socket once it has started and closes
 * it in MHD_stop_daemon().
 *
 * The dashboard (/, its assets, /v1/events and /v1/suspicion) is
 * dashboard.c's: this module hands it the requests it does not answer
 * itself, and the bus events it keeps (the event stream's, heartbeats
 * sent for its suspicion samples, peer set changes).
 *
 * Push heartbeats (docs/http.md, "Push"; peers[].push): POST
 * /v1/push/NAME, authenticated by an HMAC-SHA-256 of the peer's token over
 * the path and a growing counter (src/common/push.h); each accepted one is
 * hb_node_peer_heard() of that peer, the one thing HTTP may change. The
 * last counter accepted per peer lives here (struct push_slot, by peer
 * id; kept over reloads, lost at a restart, which http.push_window_ms
 * bounds). A push's body is read and dropped, at most HBP_PUSH_BODY_MAX
 * bytes (413 beyond, at once when Content-Length says so); the request's
 * state between MHD's calls is a struct push_req in *req_cls, freed by
 * on_completed(). Refusals are counted by reason and logged at most once
 * per 10 s.
 *
 * Bounds: HBD_HTTP_MAX_CONNS connections, HBD_HTTP_MAX_CONNS_PER_ADDRESS
 * from one client address (more are accepted and closed by MHD), an idle
 * connection is closed after HBD_HTTP_TIMEOUT_S, only GET and
 * HEAD (and POST of a push), no request body (but a push's). Every answer
 * is computed on the spot, and small; nothing is cached (Cache-Control:
 * no-store).
 *
 * Close: uv_close() of the poll handle removes the epoll fd from the
 * loop's epoll set at once, so MHD_stop_daemon() may close it right after;
 * the object is freed by the last close callback.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/ctl_proto.h"
#include "common/push.h"
#include "daemon/dashboard.h"
#include "daemon/http_reply.h"
#include "daemon/metrics.h"
#include "daemon/module.h"
#include "daemon/prom.h"
#include "daemon/status.h"

/* Concurrent HTTP connections. */
#define HBD_HTTP_MAX_CONNS 64u
/* Connections from one client address: a slow client (one header line
 * every few seconds resets the idle timeout) cannot hold them all and
 * starve /healthz for the orchestrator's probe (review F4). */
#define HBD_HTTP_MAX_CONNS_PER_ADDRESS 8u
/* An idle connection is closed after this long (s). */
#define HBD_HTTP_TIMEOUT_S 10u
/* listen() backlog. */
#define HBD_HTTP_BACKLOG 16

typedef struct hbd_http {
        hbd_ctx_t *ctx;
        bool leaving;                  /* hbeatd is shutting down */
        struct MHD_Daemon *mhd;
        uv_poll_t poll;
        uv_timer_t timer;
        unsigned open_handles;         /* poll + timer not yet closed */
        bool closing;
        hbd_ratelimit_t log_rl;        /* MHD's own error messages */
        hbd_dash_t *dash;              /* the dashboard and its events */
        /* Push heartbeats. */
        struct push_slot *slots;       /* one per push peer heard of */
        size_t n_slots;
        uint64_t push_results[HBP_PUSH_RESULT_COUNT]; /* by result */
        hbd_ratelimit_t push_rl;       /* refusals' log lines */
} hbd_http_t;

/* What hbeatd remembers of one push peer (by id). */
struct push_slot {
        uint32_t id;
        uint64_t last;                 /* counter last accepted; 0 none */
        uint64_t accepted;
        uint64_t last_ns;              /* monotonic, of the last accepted */
};

/* A push request between MHD's calls (*req_cls). */
struct push_req {
        size_t body;                   /* bytes of body seen */
};

/* ---- responses ---------------------------------------------------- */

/* The listener's own answers: hbeatd's headers, nothing more. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *type, char *body, size_t len,
                             enum MHD_ResponseMemoryMode mode)
{
        return hbd_http_reply(conn, status, type, body, len, mode, NULL, 0);
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
                                  unsigned status, const char *text)
{
        return hbd_http_reply_text(conn, status, text, NULL, 0);
}

static enum MHD_Result reply_json(struct MHD_Connection *conn,
                                  unsigned status, json_t *obj)
{
        return hbd_http_reply_json(conn, status, obj, NULL, 0);
}

/* ---- endpoints ---------------------------------------------------- */

static enum MHD_Result do_metrics(struct MHD_Connection *conn,
                                  hbd_http_t *h)
{
        size_t len;
        char *text = hbd_metrics_text(h->ctx, &len);

        if (text == NULL)
                return MHD_NO;
        return reply(conn, MHD_HTTP_OK, HBD_METRICS_CONTENT_TYPE, text, len,
                     MHD_RESPMEM_MUST_FREE);
}

/* Why this node is not ready, or NULL when it is. */
static const char *not_ready_reason(const hbd_http_t *h)
{
        const char *why = NULL;
        hb_coord_info_t ci;

        if (h->leaving)
                return "shutting down";
        hb_node_coord_info(h->ctx->node, &ci);
        if (ci.enabled && !ci.quorate)
                return "no quorum";
        if (!hbd_bus_ready(h->ctx, &why))
                return why != NULL ? why : "not ready";
        return NULL;
}

static enum MHD_Result do_readyz(struct MHD_Connection *conn,
                                 const hbd_http_t *h)
{
        const char *why = not_ready_reason(h);

        if (why == NULL)
                return reply_json(conn, MHD_HTTP_OK,
                                  json_pack("{s:b}", "ready", 1));
        return reply_json(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                          json_pack("{s:b, s:s}", "ready", 0,
                                    "reason", why));
}

/* Does the request announce a body? (Content-Length other than 0, or any
 * Transfer-Encoding.) */
static bool has_body(struct MHD_Connection *conn)
{
        const char *cl, *te;

        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_TRANSFER_ENCODING);
        return te != NULL || (cl != NULL && strspn(cl, "0") != strlen(cl));
}

/* ---- push heartbeats ---------------------------------------------- */

/* The slot of push peer `id`, made when first needed; NULL when out of
 * memory. */
static struct push_slot *push_slot(hbd_http_t *h, uint32_t id)
{
        struct push_slot *n;

        for (size_t i = 0; i < h->n_slots; i++)
                if (h->slots[i].id == id)
                        return &h->slots[i];
        n = realloc(h->slots, (h->n_slots + 1) * sizeof(*n));
        if (n == NULL)
                return NULL;
        h->slots = n;
        n = &h->slots[h->n_slots++];
        memset(n, 0, sizeof(*n));
        n->id = id;
        return n;
}

/* The push peer named `name` of the running config, or NULL. */
static const hbd_peer_conf_t *push_peer(const hbd_config_t *cfg,
                                        const char *name)
{
        for (size_t i = 0; i < cfg->n_peers; i++)
                if (cfg->peers[i].push &&
                    strcmp(cfg->peers[i].name, name) == 0)
                        return &cfg->peers[i];
        return NULL;
}

/* Count, log (rate-limited) and answer a push's refusal. */
static enum MHD_Result push_refuse(struct MHD_Connection *conn,
                                   hbd_http_t *h, hbp_push_result_t r,
                                   const char *name)
{
        static const hbd_http_header_t challenge = {
                MHD_HTTP_HEADER_WWW_AUTHENTICATE, "HbeatPush"
        };
        unsigned status = hbp_push_result_status(r);
        uint64_t count;
        json_t *obj;

        h->push_results[r]++;
        if (hbd_ratelimit(&h->push_rl, uv_hrtime(), &count))
                hbd_logj(h->ctx->log, HBD_LOG_WARNING,
                         json_pack("{s:s, s:s, s:I}", "reason",
                                   hbp_push_result_name(r), "peer", name,
                                   "count", (json_int_t)count),
                         "push refused: %s (peer '%.63s'), %" PRIu64
                         " refusals since the last such message",
                         hbp_push_result_name(r), name, count);
        obj = json_pack("{s:b, s:s}", "ok", 0, "error",
                        hbp_push_result_name(r));
        return hbd_http_reply_json(conn, status, obj, &challenge,
                                   status == MHD_HTTP_UNAUTHORIZED ? 1 : 0);
}

/*
 * POST /v1/push/NAME, each of MHD's calls: the first (headers only)
 * refuses a declared body over the limit and keeps a struct push_req;
 * the next ones count the body; the last verifies and answers.
 */
static enum MHD_Result do_push(struct MHD_Connection *conn, hbd_http_t *h,
                               const char *url, size_t *upload_data_size,
                               void **req_cls)
{
        const char *name = url + strlen(HBP_PUSH_PATH_PREFIX);
        struct push_req *pr = *req_cls;
        const hbd_peer_conf_t *peer;
        struct push_slot *slot;
        hbp_push_result_t r;
        uint64_t counter = 0;
        const char *cl;

        if (pr == NULL) {
                cl = MHD_lookup_connection_value(
                        conn, MHD_HEADER_KIND,
                        MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl != NULL && (strspn(cl, "0123456789") != strlen(cl) ||
                                   strlen(cl) > 9 ||
                                   strtoul(cl, NULL, 10) >
                                           HBP_PUSH_BODY_MAX))
                        return push_refuse(conn, h, HBP_PUSH_TOO_LARGE,
                                           name);
                pr = calloc(1, sizeof(*pr));
                if (pr == NULL)
                        return MHD_NO;
                *req_cls = pr;
                return MHD_YES;
        }
        if (*upload_data_size != 0) {
                pr->body += *upload_data_size;
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (pr->body > HBP_PUSH_BODY_MAX)
                return push_refuse(conn, h, HBP_PUSH_TOO_LARGE, name);
        peer = push_peer(h->ctx->cfg, name);
        if (peer == NULL)
                return push_refuse(conn, h, HBP_PUSH_UNKNOWN_PEER, name);
        slot = push_slot(h, peer->id);
        if (slot == NULL)
                return MHD_NO;
        r = hbp_push_verify(&peer->push_key, peer->name,
                            MHD_lookup_connection_value(
                                    conn, MHD_HEADER_KIND,
                                    HBP_PUSH_COUNTER_HEADER),
                            MHD_lookup_connection_value(
                                    conn, MHD_HEADER_KIND,
                                    HBP_PUSH_AUTH_HEADER),
                            slot->last, hbd_wall_now_ns() / 1000,
                            h->ctx->cfg->push_window_ns / 1000, &counter);
        if (r != HBP_PUSH_OK)
                return push_refuse(conn, h, r, peer->name);
        slot->last = counter;
        slot->accepted++;
        slot->last_ns = uv_hrtime();
        h->push_results[HBP_PUSH_OK]++;
        (void)hb_node_peer_heard(h->ctx->node, peer->id, slot->last_ns);
        hb_uv_node_flush(h->ctx->un);
        return reply_json(conn, MHD_HTTP_OK,
                          json_pack("{s:b, s:s, s:I}", "ok", 1, "peer",
                                    peer->name, "counter",
                                    (json_int_t)counter));
}

/* MHD's end of a request: free a push's state. */
static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **req_cls, enum MHD_RequestTerminationCode toe)
{
        (void)cls;
        (void)conn;
        (void)toe;
        free(*req_cls);
        *req_cls = NULL;
}

/*
 * MHD's access handler: called once the request's headers are in (and
 * again per chunk of body, which never comes but for a push: every other
 * request is answered on that first call, so its body is never read).
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        hbd_http_t *h = cls;
        enum MHD_Result ret;
        bool handled;

        (void)version;
        (void)upload_data;
        assert(h->ctx->node != NULL);
        if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 &&
            strncmp(url, HBP_PUSH_PATH_PREFIX,
                    strlen(HBP_PUSH_PATH_PREFIX)) == 0)
                return do_push(conn, h, url, upload_data_size, req_cls);
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
            strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
                return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                  "method not allowed: GET or HEAD only\n");
        if (*upload_data_size != 0 || has_body(conn))
                return reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
                                  "a request body is not accepted\n");
        if (strcmp(url, "/healthz") == 0)
                return reply_text(conn, MHD_HTTP_OK, "ok\n");
        if (strcmp(url, "/readyz") == 0)
                return do_readyz(conn, h);
        if (strcmp(url, "/v1/status") == 0)
                return reply_json(conn, MHD_HTTP_OK,
                                  hbd_status_json(h->ctx));
        if (strcmp(url, "/v1/members") == 0)
                return reply_json(conn, MHD_HTTP_OK,
                                  hbd_members_json(h->ctx));
        if (strcmp(url, "/metrics") == 0)
                return do_metrics(conn, h);
        ret = hbd_dash_request(h->dash, conn, url, &handled);
        if (handled)
                return ret;
        return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

/*
 * MHD's unescaping, replaced: URLs are matched as sent. hbeatd's paths are
 * plain ASCII with no escape, and MHD's own decoding would turn
 * "/v1/status%00" into "/v1/status" followed by a NUL, which strcmp()
 * takes for "/v1/status" (review F11). Left escaped, such a URL is a 404.
 */
static size_t no_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
        (void)cls;
        (void)conn;
        return strlen(s);
}

/* MHD's error messages (bad requests, accept failures, ...): warnings,
 * rate-limited since remote clients can cause them. */
__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        hbd_http_t *h = cls;
        char msg[256];
        uint64_t count;
        size_t n;

        if (!hbd_ratelimit(&h->log_rl, uv_hrtime(), &count))
                return;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = '\0';
        hbd_warn(h->ctx->log, "HTTP server: %s (%" PRIu64 " such messages "
                 "since the last one)", msg, count);
}

/* ---- the loop ----------------------------------------------------- */

static void on_timer(uv_timer_t *t);

/* Wake up again when MHD asks to (timeouts, work left over). */
static void arm_timer(hbd_http_t *h)
{
        MHD_UNSIGNED_LONG_LONG ms;
        int r;

        if (MHD_get_timeout(h->mhd, &ms) != MHD_YES) {
                uv_timer_stop(&h->timer);
                return;
        }
        r = uv_timer_start(&h->timer, on_timer, (uint64_t)ms, 0);
        if (r < 0)
                hbd_error(h->ctx->log, "cannot arm the HTTP timer: %s",
                          uv_strerror(r));
}

/* Let MHD do what is ready, then re-arm. */
static void run_mhd(hbd_http_t *h)
{
        if (h->closing)
                return;
        (void)MHD_run(h->mhd);
        arm_timer(h);
}

static void on_timer(uv_timer_t *t)
{
        run_mhd(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
        hbd_http_t *h = p->data;

        (void)events;
        if (status < 0)
                hbd_warn(h->ctx->log, "HTTP server: poll error: %s",
                         uv_strerror(status));
        run_mhd(h);
}

/* ---- lifetime ----------------------------------------------------- */

static void on_handle_close(uv_handle_t *handle)
{
        hbd_http_t *h = handle->data;

        if (--h->open_handles == 0)
                free(h);
}

/* Close whichever handles were initialised, stop MHD; `h` is freed by
 * the last close callback, or here when no handle was ever opened. */
static void http_destroy(hbd_http_t *h)
{
        h->closing = true;
        if (h->poll.type != UV_UNKNOWN_HANDLE)
                uv_close((uv_handle_t *)&h->poll, on_handle_close);
        if (h->timer.type != UV_UNKNOWN_HANDLE)
                uv_close((uv_handle_t *)&h->timer, on_handle_close);
        /* After uv_close(&poll): libuv no longer watches the epoll fd that
         * MHD closes now. */
        if (h->mhd != NULL)
                MHD_stop_daemon(h->mhd);
        h->mhd = NULL;
        hbd_dash_free(h->dash);
        h->dash = NULL;
        free(h->slots);
        h->slots = NULL;
        h->n_slots = 0;
        if (h->open_handles == 0)
                free(h);
}

/* A socket bound to `addr` and listening, or a negative errno. */
static int listen_socket(const struct sockaddr *addr, socklen_t addr_len)
{
        int fd, r, one = 1;

        fd = socket(addr->sa_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* Restart without waiting out TIME_WAIT; v6 stays v6 only. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            (addr->sa_family == AF_INET6 &&
             setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
                        sizeof(one)) < 0) ||
            bind(fd, addr, addr_len) < 0 ||
            listen(fd, HBD_HTTP_BACKLOG) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/*
 * Listen on `addr` (TCP, that address only; IPv6 without v4-mapped) and
 * serve the endpoints from the loop. `address` is the address as
 * configured, for messages; on failure err names it and the cause
 * ("cannot bind HTTP socket to 10.0.0.1:8080: Address already in use").
 * Returns 0 or a negative errno: the socket, bind or listen error;
 * -ENOMEM; -EIO when libmicrohttpd refuses to start.
 */
static int http_open(hbd_http_t **ret, hbd_ctx_t *ctx,
                     const struct sockaddr *addr, socklen_t addr_len,
                     const char *address, char *err, size_t errlen)
{
        const union MHD_DaemonInfo *info;
        hbd_http_t *h;
        int fd, r;

        h = calloc(1, sizeof(*h));
        if (h == NULL) {
                snprintf(err, errlen, "cannot start the HTTP server on %s: "
                         "out of memory", address);
                return -ENOMEM;
        }
        h->ctx = ctx;
        h->dash = hbd_dash_new(ctx);
        if (h->dash == NULL) {
                snprintf(err, errlen, "cannot start the HTTP server on %s: "
                         "out of memory", address);
                free(h);
                return -ENOMEM;
        }
        fd = listen_socket(addr, addr_len);
        if (fd < 0) {
                snprintf(err, errlen, "cannot bind HTTP socket to %s: %s",
                         address, strerror(-fd));
                hbd_dash_free(h->dash);
                free(h);
                return fd;
        }
        h->mhd = MHD_start_daemon(
                MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                on_request, h,
                /* First, so that MHD logs nothing to stderr itself. */
                MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                MHD_OPTION_CONNECTION_LIMIT, HBD_HTTP_MAX_CONNS,
                MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                HBD_HTTP_MAX_CONNS_PER_ADDRESS,
                MHD_OPTION_CONNECTION_TIMEOUT, HBD_HTTP_TIMEOUT_S,
                MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                MHD_OPTION_END);
        if (h->mhd == NULL) {
                /* Not started: the socket is still ours. */
                close(fd);
                snprintf(err, errlen, "cannot start the HTTP server on %s "
                         "(libmicrohttpd without epoll support?)", address);
                hbd_dash_free(h->dash);
                free(h);
                return -EIO;
        }
        info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (info == NULL) {
                snprintf(err, errlen, "cannot start the HTTP server on %s: "
                         "libmicrohttpd has no epoll fd", address);
                http_destroy(h);
                return -EIO;
        }
        r = uv_timer_init(ctx->loop, &h->timer);
        if (r == 0) {
                h->open_handles++;
                h->timer.data = h;
                r = uv_poll_init(ctx->loop, &h->poll, info->epoll_fd);
        }
        if (r == 0) {
                h->open_handles++;
                h->poll.data = h;
                r = uv_poll_start(&h->poll, UV_READABLE, on_poll);
        }
        if (r < 0) {
                snprintf(err, errlen, "cannot start the HTTP server on %s: "
                         "%s", address, uv_strerror(r));
                http_destroy(h);
                return r;
        }
        /* No MHD_run() here: requests are answered from the loop only,
         * once start-up has created the node they read. */
        arm_timer(h);
        *ret = h;
        return 0;
}

/* ---- the module ---------------------------------------------------- */

static int start(hbd_ctx_t *ctx, void **state)
{
        const hbd_config_t *cfg = ctx->cfg;
        hbd_http_t *h = NULL;
        char err[1024];
        int r;

        *state = NULL;
        if (cfg->http_listen == NULL)
                return 0;
        r = http_open(&h, ctx, (const struct sockaddr *)&cfg->http_listen_addr,
                      cfg->http_listen_addr_len, cfg->http_listen, err,
                      sizeof(err));
        if (r < 0) {
                hbd_error(ctx->log, "%s", err);
                return r;
        }
        hbd_info(ctx->log, "HTTP endpoints on %s", cfg->http_listen);
        *state = h;
        return 0;
}

static void on_event(void *state, const hbd_event_t *ev)
{
        hbd_http_t *h = state;

        if (h == NULL)
                return;
        if (ev->kind == HBD_EV_LEAVING)
                h->leaving = true;
        else
                hbd_dash_on_event(h->dash, ev);
}

static void stop(void *state, void (*done)(void *), void *arg)
{
        hbd_http_t *h = state;

        if (h != NULL && !h->closing)
                http_destroy(h); /* freed by its handles' close callbacks */
        done(arg);
}

/* The push counters, for hbeatctl status and /v1/status: "push":
 * {"results": {"ok": N, "bad_mac": N, ...}, "peers": [{"name", "id",
 * "accepted", "last_counter", "last_age_ms"}]}. */
static void status(void *state, json_t *doc)
{
        const hbd_http_t *h = state;
        json_t *res, *peers;
        uint64_t now = uv_hrtime();

        if (h == NULL || h->closing)
                return;
        res = json_object();
        peers = json_array();
        for (int r = 0; res && r < HBP_PUSH_RESULT_COUNT; r++)
                json_object_set_new(res, hbp_push_result_name(
                                                 (hbp_push_result_t)r),
                                    json_integer((json_int_t)
                                                         h->push_results[r]));
        for (size_t i = 0; peers && i < h->n_slots; i++) {
                const struct push_slot *s = &h->slots[i];
                const hbd_peer_conf_t *p = hbd_config_peer(h->ctx->cfg,
                                                           s->id);

                if (p == NULL || p->push == NULL)
                        continue;
                json_array_append_new(peers, json_pack(
                        "{s:s, s:I, s:I, s:I, s:I}", "name", p->name,
                        "id", (json_int_t)s->id,
                        "accepted", (json_int_t)s->accepted,
                        "last_counter", (json_int_t)s->last,
                        "last_age_ms", s->accepted
                                ? (json_int_t)((now - s->last_ns) /
                                               HB_NS_PER_MS)
                                : (json_int_t)-1));
        }
        json_object_set_new(doc, "push", json_pack("{s:o*, s:o*}",
                                                   "results", res,
                                                   "peers", peers));
}

/* hbeat_push_requests_total{result}: push requests by result. */
static void metrics(void *state, hbd_prom_t *out)
{
        const hbd_http_t *h = state;
        bool any = false;

        if (h == NULL)
                return;
        for (size_t i = 0; i < h->ctx->cfg->n_peers; i++)
                any |= h->ctx->cfg->peers[i].push != NULL;
        if (!any && h->n_slots == 0 &&
            h->push_results[HBP_PUSH_UNKNOWN_PEER] == 0)
                return;
        hbd_prom_family(out, "hbeat_push_requests_total", "counter",
                        "HTTP push heartbeats received, by result (ok, or "
                        "why they were refused).");
        for (int r = 0; r < HBP_PUSH_RESULT_COUNT; r++)
                hbd_prom_u64(out, (const char *[]){
                        "result", hbp_push_result_name(
                                          (hbp_push_result_t)r), NULL },
                        h->push_results[r]);
}

/* http.listen cannot change on reload (hbd_config_reloadable()). */
const hbd_module_t hbd_http_module = {
        .name = "http",
        .events = HBD_EV_LEAVING | HBD_DASH_EVENTS,
        .start = start,
        .on_event = on_event,
        .status = status,
        .metrics = metrics,
        .stop = stop,
};
