/* SPDX-License-Identifier: MIT */
/*
 * The health checks module, and the pull peers' probes (operator view:
 * docs/checks.md; internals shared with checks_http.c: checks_impl.h).
 *
 * What lives here: one `struct check` per checks[] entry, each with a
 * repeating timer (initial_delay_ms, then every interval_ms). Every tick
 * starts one *probe* (unless the previous one is still running: it cannot,
 * since timeout_ms <= interval_ms and a timed-out probe reports at once).
 * A probe owns the libuv handles of one run and reports exactly one result
 * to its check through probe_finish(); it frees itself from the
 * close callbacks of its handles (libuv rule: memory holding a handle is
 * freed only from its close callback), so a check can drop a probe at any
 * time (stop, reload) by detaching it.
 *
 *   exec  argv as a child of the process supervisor (src/io/proc.c: its
 *         own process group, stdout to /dev/null, stderr hbeatd's,
 *         hbeatd's environment); exit 0 passes; on timeout the whole
 *         group is SIGKILLed.
 *   tcp   uv_getaddrinfo() of the host (asynchronous, every run: DNS
 *         changes are seen), then one uv_tcp_connect() per address, all
 *         at once; the run passes only if every address accepts (and
 *         there is at least one). Connections are closed at once.
 *   http  libcurl's multi interface driven by this loop, one GET per run
 *         passing on expect_status: checks_http.c (which says more).
 *   udp   pull peers only (udp://): the first address of the host, a
 *         uv_udp_t of the probe's own connected to it, 16 random bytes
 *         sent; the run passes when the same bytes come back (RFC 862
 *         echo); an ICMP port unreachable (ECONNREFUSED on the connected
 *         socket) fails it at once.
 *
 * Schedules (conf->window set: between/days, docs/checks.md): the timer is
 * one-shot instead, armed by sched_arm() for the next run of the window's
 * grid (src/common/schedule.c, in daemon.timezone), for a pull peer also
 * for the window's end, and never more than a minute ahead (wall-clock
 * steps). A pull peer outside its window is held in the core
 * (hb_node_peer_hold(): not judged) and released, judged from then on, when
 * it opens; set_start() releases every peer that is no longer a scheduled
 * pull peer (a reload).
 *
 * Results feed a rise/fall machine (HAProxy): the state starts `initial`,
 * becomes `passing` after `rise` consecutive successes and `failing` after
 * `fall` consecutive failures. set_state() is the one function that
 * changes it: it logs once, puts a check event on the bus (the control
 * stream and notify.script hear it) and re-applies the effects through
 * the core: the effective priority (configured priority +
 * positive weights of passing checks + negative weights of failing ones,
 * clamped 0..255; keepalived track_script semantics) with
 * hb_node_set_priority(), and the fault (any `effect: fault` check not
 * passing, `initial` included) with hb_node_set_fault().
 *
 * Reload, as one step of the daemon's all-or-nothing transaction
 * (module.h): prepare builds the new set from the new config, handles
 * initialised but not started (nothing of the running set changes; a
 * refusal elsewhere drops it); commit stops the old set and starts the new
 * one. A check of the same name, kind and target keeps its state and
 * counters, so a reload does not make a healthy leader step down.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <sodium.h>
#include <uv.h>

#include "daemon/checks_impl.h"
#include "daemon/prom.h"
#include "io/proc.h"

static const char *state_name(check_state_t s)
{
        switch (s) {
        case ST_PASSING:
                return "passing";
        case ST_FAILING:
                return "failing";
        case ST_INITIAL:
                break;
        }
        return "initial";
}

static const char *kind_name(uint32_t kind)
{
        switch (kind) {
        case HBD_CHECK_EXEC:
                return "exec";
        case HBD_CHECK_TCP:
                return "tcp";
        case HBD_CHECK_UDP:
                return "udp";
        default:
                return "http";
        }
}

struct conn_try {
        struct probe *p;
        uv_tcp_t tcp;
        uv_connect_t req;
        bool open;
        char addr[64];
};

/* ---- probe lifetime ---------------------------------------------------- */

static void probe_unref(struct probe *p)
{
        if (--p->refs > 0)
                return;
        free(p->tries);
        free(p);
}

static void on_probe_handle_closed(uv_handle_t *h)
{
        probe_unref(h->data);
}

static void on_try_closed(uv_handle_t *h)
{
        struct conn_try *t = h->data;

        probe_unref(t->p);
}

static void close_probe_handle(struct probe *p, uv_handle_t *h)
{
        if (!uv_is_closing(h))
                uv_close(h, on_probe_handle_closed);
}

static void record(struct check *c, bool ok, const char *msg);

/* Report the result (once) and release everything of the run. */
static void probe_finish(struct probe *p, bool ok, const char *msg)
{
        struct check *c = p->check;

        if (p->reported)
                return;
        p->reported = true;
        if (c) {
                c->probe = NULL;
                p->check = NULL;
                record(c, ok, msg);
        }
        uv_timer_stop(&p->timer);
        if (p->gai_pending)
                (void)uv_cancel((uv_req_t *)&p->gai);
        for (size_t i = 0; i < p->n_tries; i++) {
                if (p->tries[i].open && !uv_is_closing(
                                (uv_handle_t *)&p->tries[i].tcp))
                        uv_close((uv_handle_t *)&p->tries[i].tcp,
                                 on_try_closed);
        }
        if (p->udp_open) {
                p->udp_open = false;
                uv_close((uv_handle_t *)&p->udp, on_probe_handle_closed);
        }
        if (p->easy) {
                hbd_checks_http_cancel(p);
                probe_unref(p);
        }
        if (p->proc) {
                /* Timed out or stopped: the command and whatever it
                 * started go (its group); no result will come. */
                hb__proc_abandon(p->proc);
                p->proc = NULL;
                probe_unref(p);
        }
        /* Last: the timer's reference may be the last one. */
        close_probe_handle(p, (uv_handle_t *)&p->timer);
}

static void on_probe_timeout(uv_timer_t *t)
{
        struct probe *p = t->data;
        char msg[64];

        snprintf(msg, sizeof msg, "timed out");
        probe_finish(p, false, msg);
}

static struct probe *probe_new(struct check *c, uv_loop_t *loop,
                               uint64_t timeout_ns)
{
        struct probe *p = calloc(1, sizeof *p);

        if (!p)
                return NULL;
        p->check = c;
        p->finish = probe_finish;
        p->timer.data = p;
        (void)uv_timer_init(loop, &p->timer);
        p->refs = 2; /* the caller's (creation) and the timer's */
        if (timeout_ns > 0)
                (void)uv_timer_start(&p->timer, on_probe_timeout,
                                     (timeout_ns + HB_NS_PER_MS - 1) /
                                             HB_NS_PER_MS, 0);
        return p;
}

/* ---- exec -------------------------------------------------------------- */

static void on_exec_done(void *arg, const hb__proc_result_t *r)
{
        struct probe *p = arg;
        char msg[64];

        if (r->term_signal)
                snprintf(msg, sizeof msg, "killed by signal %d",
                         r->term_signal);
        else
                snprintf(msg, sizeof msg, "exit status %" PRId64,
                         r->exit_status);
        p->proc = NULL;
        probe_finish(p, r->exit_status == 0 && !r->term_signal,
                                msg);
        probe_unref(p);
}

static void run_exec(struct check *c, struct probe *p)
{
        /* hbeatd's own environment (the operator's probes may need it);
         * stdout to /dev/null; the probe's timer is the time limit. */
        hb__proc_opts_t o = { .argv = c->conf->argv, .quiet = true };
        char msg[128];
        int r;

        r = hb__proc_spawn(&p->proc, c->set->ctx->loop, &o, on_exec_done, p);
        if (r == 0)
                p->refs++; /* until on_exec_done() or the abandon */
        if (r < 0) {
                snprintf(msg, sizeof msg, "cannot run %s: %s",
                         c->conf->argv[0], uv_strerror(r));
                probe_finish(p, false, msg);
        }
}

/* ---- tcp --------------------------------------------------------------- */

static void try_done(struct conn_try *t, int status)
{
        struct probe *p = t->p;
        char msg[128];

        if (status < 0 && p->all_ok) {
                p->all_ok = false;
                snprintf(p->curl_err, sizeof p->curl_err, "%s: %s", t->addr,
                         uv_strerror(status));
        }
        if (++p->n_done < p->n_tries || p->reported)
                return;
        if (!p->all_ok) {
                probe_finish(p, false, p->curl_err);
                return;
        }
        snprintf(msg, sizeof msg, "%zu address%s connected", p->n_tries,
                 p->n_tries == 1 ? "" : "es");
        probe_finish(p, true, msg);
}

static void on_connect(uv_connect_t *req, int status)
{
        struct conn_try *t = req->data;

        if (status == UV_ECANCELED)
                return; /* closed by probe_finish() */
        if (!uv_is_closing((uv_handle_t *)&t->tcp))
                uv_close((uv_handle_t *)&t->tcp, on_try_closed);
        try_done(t, status);
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res)
{
        struct probe *p = req->data;
        uv_loop_t *loop = req->loop;
        struct addrinfo *ai;
        char msg[160];
        size_t n = 0;

        p->gai_pending = false;
        if (status == UV_ECANCELED || p->reported) {
                uv_freeaddrinfo(res);
                probe_unref(p);
                return;
        }
        if (status < 0) {
                snprintf(msg, sizeof msg, "cannot resolve: %s",
                         uv_strerror(status));
                probe_finish(p, false, msg);
                probe_unref(p);
                return;
        }
        for (ai = res; ai; ai = ai->ai_next)
                n++;
        p->tries = calloc(n ? n : 1, sizeof *p->tries);
        if (!p->tries || n == 0) {
                uv_freeaddrinfo(res);
                probe_finish(p, false, n == 0 ? "no address"
                                                          : "out of memory");
                probe_unref(p);
                return;
        }
        p->n_tries = n;
        p->all_ok = true;
        n = 0;
        for (ai = res; ai; ai = ai->ai_next, n++) {
                struct conn_try *t = &p->tries[n];
                int r;

                t->p = p;
                t->tcp.data = t;
                t->req.data = t;
                (void)uv_ip_name(ai->ai_addr, t->addr, sizeof t->addr);
                r = uv_tcp_init(loop, &t->tcp);
                if (r == 0) {
                        t->open = true;
                        p->refs++;
                        r = uv_tcp_connect(&t->req, &t->tcp, ai->ai_addr,
                                           on_connect);
                        if (r < 0)
                                uv_close((uv_handle_t *)&t->tcp,
                                         on_try_closed);
                }
                if (r < 0)
                        try_done(t, r);
        }
        uv_freeaddrinfo(res);
        probe_unref(p);
}

/* Resolve the check's target for a probe over `socktype`; `done` gets the
 * addresses (a resolver error fails the probe at once). */
static void resolve_target(struct check *c, struct probe *p, int socktype,
                           int protocol, uv_getaddrinfo_cb done)
{
        struct addrinfo hints;
        char msg[128];
        int r;

        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = socktype;
        hints.ai_protocol = protocol;
        snprintf(p->port, sizeof p->port, "%" PRIu32, c->conf->target_port);
        p->gai.data = p;
        p->refs++;
        p->gai_pending = true;
        r = uv_getaddrinfo(c->set->ctx->loop, &p->gai, done,
                           c->conf->target_host, p->port, &hints);
        if (r < 0) {
                p->gai_pending = false;
                p->refs--;
                snprintf(msg, sizeof msg, "cannot resolve: %s",
                         uv_strerror(r));
                probe_finish(p, false, msg);
        }
}

static void run_tcp(struct check *c, struct probe *p)
{
        resolve_target(c, p, SOCK_STREAM, IPPROTO_TCP, on_resolved);
}

/* ---- udp (pull peers: RFC 862 echo) ----------------------------------- */

static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        struct probe *p = h->data;

        (void)suggested;
        *buf = uv_buf_init(p->rbuf, sizeof p->rbuf);
}

static void on_udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *addr, unsigned flags)
{
        struct probe *p = u->data;
        char msg[96];

        (void)flags;
        if (p->reported)
                return;
        if (nread < 0) {
                /* Connected socket: an ICMP port unreachable is
                 * ECONNREFUSED here. */
                snprintf(msg, sizeof msg, "%s", uv_strerror((int)nread));
                probe_finish(p, false, msg);
                return;
        }
        if (addr == NULL || (size_t)nread != sizeof p->nonce ||
            memcmp(buf->base, p->nonce, sizeof p->nonce) != 0)
                return; /* nothing, or not our echo: keep waiting */
        probe_finish(p, true, "echoed");
}

static void on_resolved_udp(uv_getaddrinfo_t *req, int status,
                            struct addrinfo *res)
{
        struct probe *p = req->data;
        char msg[160];
        uv_buf_t b;
        int r;

        p->gai_pending = false;
        if (status == UV_ECANCELED || p->reported) {
                uv_freeaddrinfo(res);
                probe_unref(p);
                return;
        }
        if (status < 0 || res == NULL) {
                snprintf(msg, sizeof msg, "cannot resolve: %s",
                         status < 0 ? uv_strerror(status) : "no address");
                uv_freeaddrinfo(res);
                probe_finish(p, false, msg);
                probe_unref(p);
                return;
        }
        /* The first address: an echo service is one server. */
        r = uv_udp_init(req->loop, &p->udp);
        if (r == 0) {
                p->udp.data = p;
                p->udp_open = true;
                p->refs++;
                r = uv_udp_connect(&p->udp, res->ai_addr);
        }
        uv_freeaddrinfo(res);
        if (r == 0)
                r = uv_udp_recv_start(&p->udp, on_udp_alloc, on_udp_recv);
        if (r == 0) {
                randombytes_buf(p->nonce, sizeof p->nonce);
                b = uv_buf_init((char *)p->nonce, sizeof p->nonce);
                r = uv_udp_try_send(&p->udp, &b, 1, NULL);
                if (r > 0)
                        r = 0;
        }
        if (r < 0) {
                snprintf(msg, sizeof msg, "%s", uv_strerror(r));
                probe_finish(p, false, msg);
        }
        probe_unref(p);
}

static void run_udp(struct check *c, struct probe *p)
{
        resolve_target(c, p, SOCK_DGRAM, IPPROTO_UDP, on_resolved_udp);
}

/* ---- state machine and effects ---------------------------------------- */

static void apply_effects(struct hbd_checks *set)
{
        hbd_ctx_t *ctx = set->ctx;
        const hb_coord_config_t *cc = &ctx->cfg->node.coord;
        uint64_t now = uv_hrtime();
        int64_t prio = cc->priority;
        bool fault = false;

        if (!cc->enabled || set->stopped)
                return;
        for (size_t i = 0; i < set->n; i++) {
                const struct check *c = set->checks[i];
                const hbd_check_conf_t *k = c->conf;

                if (!k)
                        continue;
                if (k->weight > 0 && c->state == ST_PASSING)
                        prio += k->weight;
                else if (k->weight < 0 && c->state == ST_FAILING)
                        prio += k->weight;
                if (k->fault && c->state != ST_PASSING)
                        fault = true;
        }
        if (prio < 0)
                prio = 0;
        if (prio > 255)
                prio = 255;
        if ((uint32_t)prio != hb_node_config(ctx->node)->coord.priority)
                hbd_info(ctx->log, "checks: effective priority %" PRId64
                         " (configured %" PRIu32 ")", prio, cc->priority);
        if (fault != hb_node_fault(ctx->node))
                hbd_log(ctx->log, fault ? HBD_LOG_WARNING : HBD_LOG_INFO,
                        "checks: fault %s", fault ? "set: not standing for "
                        "leader" : "cleared");
        (void)hb_node_set_priority(ctx->node, (uint32_t)prio, now);
        (void)hb_node_set_fault(ctx->node, fault, now);
        hb_uv_node_flush(ctx->un);
}

/* The one function that changes a check's state. */
static void set_state(struct check *c, check_state_t to)
{
        hbd_ctx_t *ctx = c->set->ctx;
        check_state_t from = c->state;
        uint64_t now = uv_hrtime();
        hbd_event_t ev;

        if (from == to)
                return;
        c->state = to;
        c->state_since_ns = now;
        if (c->conf && c->conf->peer_id)
                return; /* a pull peer: its peer events say it all */
        hbd_logj(ctx->log, to == ST_FAILING ? HBD_LOG_WARNING : HBD_LOG_INFO,
                 json_pack("{s:s, s:s, s:s, s:s}", "check", c->name,
                           "old_state", state_name(from), "new_state",
                           state_name(to), "reason", c->last_msg),
                 "check %s: %s -> %s (%s)", c->name, state_name(from),
                 state_name(to), c->last_msg);
        memset(&ev, 0, sizeof(ev));
        ev.kind = HBD_EV_CHECK;
        ev.at_ns = now;
        ev.wall_ns = hbd_wall_now_ns();
        ev.check.name = c->name;
        ev.check.kind = kind_name(c->kind);
        ev.check.old_state = state_name(from);
        ev.check.new_state = state_name(to);
        ev.check.reason = c->last_msg;
        hbd_emit(ctx, &ev);
        apply_effects(c->set);
}

static void record(struct check *c, bool ok, const char *msg)
{
        uint64_t now = uv_hrtime();
        hbd_ctx_t *ctx = c->set->ctx;

        /* A pull peer's probe: every answer is a heartbeat of that peer,
         * judged by the same detector and state machine (hbd_peer_conf_t
         * pull); a failed probe is silence. */
        if (ok && c->conf && c->conf->peer_id && !c->set->stopped) {
                (void)hb_node_peer_heard(ctx->node, c->conf->peer_id, now);
                hb_uv_node_flush(ctx->un);
        }

        c->runs++;
        c->runs_ok += ok ? 1 : 0;
        c->last = ok ? 1 : 0;
        c->last_run_ns = now;
        snprintf(c->last_msg, sizeof c->last_msg, "%s", msg);
        if (ok) {
                c->last_ok_ns = now;
                c->failures = 0;
                if (c->successes < UINT32_MAX)
                        c->successes++;
                if (c->state != ST_PASSING && c->conf &&
                    c->successes >= c->conf->rise)
                        set_state(c, ST_PASSING);
        } else {
                c->last_fail_ns = now;
                c->successes = 0;
                if (c->failures < UINT32_MAX)
                        c->failures++;
                if (c->state != ST_FAILING && c->conf &&
                    c->failures >= c->conf->fall)
                        set_state(c, ST_FAILING);
        }
        hbd_debug(c->set->ctx->log, "check %s: %s (%s)", c->name,
                  ok ? "ok" : "failed", msg);
}

static void run_probe(struct check *c);

static void on_check_timer(uv_timer_t *t)
{
        struct check *c = t->data;

        if (c->probe || !c->conf || c->set->stopped)
                return;
        run_probe(c);
}

/* ---- schedules ---------------------------------------------------- */

/* A scheduled check's timer wakes at least this often, so that a step of
 * the wall clock (or a zone change) is noticed within this time. */
#define HBD_SCHED_RECHECK_MS 60000
/* A run is due when its time is at most this far ahead at a wake-up (the
 * monotonic timer and the wall clock drift apart a little). */
#define HBD_SCHED_EARLY_MS 5

static int64_t wall_ms(void)
{
        return (int64_t)(hbd_wall_now_ns() / 1000000u);
}

/* Hold (or release) a pull peer's judgement: outside its window it is
 * told to be silent (hb_node_peer_hold()). */
static void hold_peer(struct check *c, bool hold)
{
        hbd_ctx_t *ctx = c->set->ctx;
        uint64_t now = uv_hrtime();

        if (!c->conf || !c->conf->peer_id || c->set->stopped)
                return;
        if (hb_node_peer_hold(ctx->node, c->conf->peer_id, hold, now) > 0) {
                hbd_info(ctx->log, "pull peer %s: %s", c->name,
                         hold ? "outside its schedule's window: held (not "
                                "probed, not judged)"
                              : "inside its schedule's window: probed and "
                                "judged again");
                hb_uv_node_flush(ctx->un);
        }
}

static void on_sched_timer(uv_timer_t *t);

/* Arm a scheduled check's one-shot timer for its first run at or after
 * `from_ms` (wall), its window's end for a pull peer, or the recheck. */
static void sched_arm(struct check *c, int64_t from_ms)
{
        const char *tz = c->set->ctx->cfg->daemon.timezone;
        const hbs_window_t *w = &c->conf->window;
        int64_t now = wall_ms(), end = 0, wake;

        c->in_window = hbs_in_window(w, tz, now, &end);
        c->window_end_ms = c->in_window ? end : 0;
        hold_peer(c, !c->in_window);
        c->next_run_ms = hbs_next_run(w, c->conf->interval_ns / HB_NS_PER_MS,
                                      tz, from_ms > now ? from_ms : now);
        wake = c->next_run_ms < 0 ? now + HBD_SCHED_RECHECK_MS
                                  : c->next_run_ms;
        if (c->conf->peer_id && c->in_window && end < wake)
                wake = end;
        if (wake - now > HBD_SCHED_RECHECK_MS)
                wake = now + HBD_SCHED_RECHECK_MS;
        (void)uv_timer_start(&c->timer, on_sched_timer,
                             wake > now ? (uint64_t)(wake - now) : 0, 0);
}

static void on_sched_timer(uv_timer_t *t)
{
        struct check *c = t->data;
        int64_t now, slot;

        if (!c->conf || c->set->stopped)
                return;
        now = wall_ms();
        slot = c->next_run_ms;
        if (slot >= 0 && now + HBD_SCHED_EARLY_MS >= slot) {
                /* Its window holds the slot: release a pull peer first,
                 * then probe. */
                if (c->conf->peer_id)
                        hold_peer(c, false);
                if (!c->probe)
                        run_probe(c);
                sched_arm(c, (now > slot ? now : slot) + 1);
                return;
        }
        sched_arm(c, now);
}

/* Start one probe of check `c` now. */
static void run_probe(struct check *c)
{
        struct probe *p;

        p = probe_new(c, c->set->ctx->loop, c->conf->timeout_ns);
        if (!p) {
                record(c, false, "out of memory");
                return;
        }
        c->probe = p;
        p->kind = c->kind;
        switch (c->kind) {
        case HBD_CHECK_EXEC:
                run_exec(c, p);
                break;
        case HBD_CHECK_TCP:
                run_tcp(c, p);
                break;
        case HBD_CHECK_UDP:
                run_udp(c, p);
                break;
        default:
                hbd_checks_http_run(c, p);
                break;
        }
        probe_unref(p); /* the creation reference */
}

/* ---- the set ----------------------------------------------------------- */

static void set_handle_closed(uv_handle_t *h)
{
        struct hbd_checks *set = h->data;

        if (--set->open > 0)
                return;
        free(set->checks);
        free(set);
}

static void on_check_closed(uv_handle_t *h)
{
        struct check *c = h->data;
        struct hbd_checks *set = c->set;

        free(c);
        set_handle_closed((uv_handle_t *)&set->curl_timer);
}

static void set_close(struct hbd_checks *set)
{
        if (!set || set->stopped)
                return;
        set->stopped = true;
        for (size_t i = 0; i < set->n; i++) {
                struct check *c = set->checks[i];
                struct probe *p = c->probe;

                c->conf = NULL;
                if (p) {
                        c->probe = NULL;
                        p->check = NULL;
                        probe_finish(p, false, "stopped");
                }
                uv_timer_stop(&c->timer);
                uv_close((uv_handle_t *)&c->timer, on_check_closed);
        }
        /* Every easy handle was removed above. */
        hbd_checks_http_close(set);
        /* The set's own reference. */
        set->open++;
        set_handle_closed((uv_handle_t *)&set->curl_timer);
}

static bool same_check(const hbd_check_conf_t *a, const struct check *old)
{
        const hbd_check_conf_t *b = old->conf;

        if (!b || strcmp(a->name, old->name) != 0 || a->kind != old->kind)
                return false;
        switch (a->kind) {
        case HBD_CHECK_TCP:
        case HBD_CHECK_UDP:
                return strcmp(a->target, b->target) == 0;
        case HBD_CHECK_HTTP:
                return strcmp(a->url, b->url) == 0;
        default:
                return true;
        }
}

/* The i-th probe to run: checks[] first, then the pull peers' probes. */
static const hbd_check_conf_t *conf_at(const hbd_config_t *cfg, size_t i)
{
        if (i < cfg->n_checks)
                return &cfg->checks[i];
        i -= cfg->n_checks;
        for (size_t j = 0; j < cfg->n_peers; j++)
                if (cfg->peers[j].pull && i-- == 0)
                        return &cfg->peers[j].pull_check;
        return NULL; /* not reached: i < n_checks + pull peers */
}

static int set_new(struct hbd_checks **ret, hbd_ctx_t *ctx,
                   const hbd_config_t *cfg, const struct hbd_checks *old)
{
        struct hbd_checks *set;
        bool need_curl = false;
        size_t n_pull = 0;

        set = calloc(1, sizeof *set);
        if (!set)
                return -ENOMEM;
        set->ctx = ctx;
        set->curl_timer.data = set;
        set->handle_closed = set_handle_closed;
        for (size_t i = 0; i < cfg->n_peers; i++)
                n_pull += cfg->peers[i].pull != NULL;
        set->checks = calloc(cfg->n_checks + n_pull ? cfg->n_checks + n_pull
                                                    : 1,
                             sizeof *set->checks);
        if (!set->checks) {
                free(set);
                return -ENOMEM;
        }
        for (size_t i = 0; i < cfg->n_checks + n_pull; i++)
                need_curl |= conf_at(cfg, i)->kind == HBD_CHECK_HTTP;
        if (need_curl && hbd_checks_http_open(set) < 0) {
                free(set->checks);
                free(set);
                return -ENOMEM;
        }
        for (size_t i = 0; i < cfg->n_checks + n_pull; i++) {
                const hbd_check_conf_t *k = conf_at(cfg, i);
                struct check *c = calloc(1, sizeof *c);

                if (!c) {
                        set_close(set);
                        return -ENOMEM;
                }
                c->set = set;
                c->conf = k;
                c->kind = k->kind;
                c->last = -1;
                snprintf(c->name, sizeof c->name, "%s", k->name);
                c->state_since_ns = uv_hrtime();
                c->timer.data = c;
                (void)uv_timer_init(ctx->loop, &c->timer);
                set->checks[set->n++] = c;
                set->open++;
                for (size_t j = 0; old && j < old->n; j++) {
                        const struct check *o = old->checks[j];

                        if (!same_check(k, o))
                                continue;
                        c->state = o->state;
                        c->successes = o->successes;
                        c->failures = o->failures;
                        c->runs = o->runs;
                        c->runs_ok = o->runs_ok;
                        c->last = o->last;
                        memcpy(c->last_msg, o->last_msg, sizeof c->last_msg);
                        c->last_run_ns = o->last_run_ns;
                        c->last_ok_ns = o->last_ok_ns;
                        c->last_fail_ns = o->last_fail_ns;
                        c->state_since_ns = o->state_since_ns;
                }
        }
        *ret = set;
        return 0;
}

static void set_start(struct hbd_checks *set)
{
        const hbd_config_t *cfg = set->ctx->cfg;
        bool released = false;

        /* A peer held by the set before (a reload) whose schedule is gone,
         * or which is no longer a pull peer, is judged again from now. */
        for (size_t i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *pc = &cfg->peers[i];

                if (pc->pull && pc->pull_check.window.set)
                        continue;
                if (hb_node_peer_hold(set->ctx->node, pc->id, false,
                                      uv_hrtime()) > 0) {
                        hbd_info(set->ctx->log, "peer %s: no schedule any "
                                 "more: judged again", pc->name);
                        released = true;
                }
        }
        if (released)
                hb_uv_node_flush(set->ctx->un);
        for (size_t i = 0; i < set->n; i++) {
                struct check *c = set->checks[i];

                c->next_run_ms = -1;
                if (c->conf->window.set) {
                        /* initial_delay_ms: not before it. */
                        sched_arm(c, wall_ms() + (int64_t)(
                                c->conf->initial_delay_ns / HB_NS_PER_MS));
                        continue;
                }
                c->in_window = true;
                (void)uv_timer_start(&c->timer, on_check_timer,
                                     c->conf->initial_delay_ns / HB_NS_PER_MS,
                                     c->conf->interval_ns / HB_NS_PER_MS);
        }
}

/* ---- the module ---------------------------------------------------- */

struct checks_module {
        hbd_ctx_t *ctx;
        struct hbd_checks *set;        /* running; NULL once stopped */
};

static int module_start(hbd_ctx_t *ctx, void **state)
{
        struct checks_module *m;
        int r;

        r = hbd_checks_http_global_init();
        if (r < 0) {
                hbd_error(ctx->log, "cannot start the health checks: %s",
                          strerror(-r));
                return r;
        }
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->ctx = ctx;
        r = set_new(&m->set, ctx, ctx->cfg, NULL);
        if (r < 0) {
                hbd_error(ctx->log, "cannot start the health checks: %s",
                          strerror(-r));
                free(m);
                return r;
        }
        set_start(m->set);
        if (m->set->n > 0) {
                size_t pulls = m->set->n - ctx->cfg->n_checks;

                hbd_info(ctx->log, "%zu health check%s and %zu pull peer "
                         "probe%s started", ctx->cfg->n_checks,
                         ctx->cfg->n_checks == 1 ? "" : "s", pulls,
                         pulls == 1 ? "" : "s");
        }
        apply_effects(m->set);
        *state = m;
        return 0;
}

/* The new set, built from `next`: handles initialised, nothing started;
 * checks that stay keep their state. */
static int module_prepare(void *state, const hbd_config_t *next, void **plan,
                          char *err, size_t errlen)
{
        struct checks_module *m = state;
        struct hbd_checks *set;
        int r;

        r = set_new(&set, m->ctx, next, m->set);
        if (r < 0) {
                snprintf(err, errlen, "cannot prepare the health checks: %s",
                         strerror(-r));
                return r;
        }
        *plan = set;
        return 0;
}

static void module_abort(void *state, void *plan)
{
        (void)state;
        set_close(plan);
}

static void module_commit(void *state, void *plan)
{
        struct checks_module *m = state;

        set_close(m->set);
        m->set = plan;
        set_start(m->set);
        /* hb_node_reconfigure() put the configured priority back. */
        apply_effects(m->set);
}

static void module_on_event(void *state, const hbd_event_t *ev)
{
        struct checks_module *m = state;

        /* Leaving: no more probes, nothing more asked of the node. */
        if (ev->kind == HBD_EV_LEAVING) {
                set_close(m->set);
                m->set = NULL;
        }
}

static bool module_ready(void *state, const char **why)
{
        const struct checks_module *m = state;
        const struct hbd_checks *set = m->set;

        for (size_t i = 0; set && i < set->n; i++) {
                const struct check *c = set->checks[i];

                if (c->conf && c->conf->peer_id)
                        continue; /* a pull peer, not a check of ours */
                if (c->state != ST_PASSING) {
                        *why = "health checks failing";
                        return false;
                }
        }
        return true;
}

static json_t *checks_json(const struct hbd_checks *set);

static void module_status(void *state, json_t *doc)
{
        const struct checks_module *m = state;

        json_object_set_new(doc, "checks", checks_json(m->set));
}

/* The checks' state as a state set, and their runs. */
static void module_metrics(void *state, hbd_prom_t *out)
{
        static const check_state_t states[] = {
                ST_INITIAL, ST_PASSING, ST_FAILING,
        };
        const struct checks_module *m = state;
        const struct hbd_checks *set = m->set;
        size_t i, s;

        if (set == NULL || set->n == 0)
                return;
        hbd_prom_family(out, "hbeat_check_state", "gauge",
                        "1 for the health check's current state (initial, "
                        "passing, failing), 0 for the others.");
        for (i = 0; i < set->n; i++) {
                const struct check *c = set->checks[i];

                for (s = 0; c->conf != NULL && s < 3; s++)
                        hbd_prom_u64(out, (const char *[]){
                                "check", c->name,
                                "kind", kind_name(c->kind),
                                "state", state_name(states[s]), NULL },
                                c->state == states[s]);
        }
        hbd_prom_family(out, "hbeat_check_runs_total", "counter",
                        "Health check runs, by result of the run.");
        for (i = 0; i < set->n; i++) {
                const struct check *c = set->checks[i];

                if (c->conf == NULL)
                        continue;
                hbd_prom_u64(out, (const char *[]){
                        "check", c->name, "result", "ok", NULL },
                        c->runs_ok);
                hbd_prom_u64(out, (const char *[]){
                        "check", c->name, "result", "fail", NULL },
                        c->runs - c->runs_ok);
        }
}

static void module_stop(void *state, void (*done)(void *), void *arg)
{
        struct checks_module *m = state;

        set_close(m->set); /* frees itself as its handles close */
        free(m);
        done(arg);
}

const hbd_module_t hbd_checks_module = {
        .name = "checks",
        .events = HBD_EV_LEAVING,
        .start = module_start,
        .prepare = module_prepare,
        .commit = module_commit,
        .abort = module_abort,
        .on_event = module_on_event,
        .status = module_status,
        .metrics = module_metrics,
        .ready = module_ready,
        .stop = module_stop,
};

/* A check's schedule and next run: "schedule" (its window as text, or
 * null), "in_window", "next_run_ms" (wall ms; null when none: stopped, or
 * a window that never opens) and "next_run" (local time with the zone,
 * daemon.timezone or the system's). */
static void add_schedule_json(json_t *o, const struct hbd_checks *set,
                              const struct check *c)
{
        const char *tz = set->ctx->cfg->daemon.timezone;
        const hbs_window_t *w = &c->conf->window;
        char when[HBS_LOCAL_MAX], text[64];
        int64_t next = -1;

        if (w->set) {
                next = c->next_run_ms;
                hbs_window_text(w, text, sizeof text);
        } else if (!set->stopped && uv_is_active((uv_handle_t *)&c->timer)) {
                next = wall_ms() + (int64_t)uv_timer_get_due_in(&c->timer);
        }
        json_object_set_new(o, "schedule", w->set ? json_string(text)
                                                  : json_null());
        json_object_set_new(o, "in_window", json_boolean(!w->set ||
                                                          c->in_window));
        json_object_set_new(o, "next_run_ms",
                            next >= 0 ? json_integer((json_int_t)next)
                                      : json_null());
        json_object_set_new(o, "next_run",
                            next >= 0 ? json_string(hbs_format_local(
                                                next, tz, when, sizeof when))
                                      : json_null());
        json_object_set_new(o, "timezone", json_string(tz ? tz : "system"));
}

static json_t *checks_json(const struct hbd_checks *set)
{
        uint64_t now = uv_hrtime();
        json_t *arr = json_array();

        for (size_t i = 0; arr && set && i < set->n; i++) {
                const struct check *c = set->checks[i];
                const hbd_check_conf_t *k = c->conf;
                const char *target = "";
                char effect[32];
                json_t *o;

                if (!k)
                        continue;
                if (k->kind == HBD_CHECK_EXEC)
                        target = k->argv[0];
                else if (k->kind == HBD_CHECK_TCP ||
                         k->kind == HBD_CHECK_UDP)
                        target = k->target;
                else
                        target = k->url;
                if (k->peer_id)
                        snprintf(effect, sizeof effect, "peer");
                else if (k->fault)
                        snprintf(effect, sizeof effect, "fault");
                else if (k->weight)
                        snprintf(effect, sizeof effect, "weight %+d",
                                 (int)k->weight);
                else
                        snprintf(effect, sizeof effect, "none");
                o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I,"
                              " s:s, s:I, s:b, s:I, s:I, s:I, s:I}",
                              "name", c->name, "kind", kind_name(c->kind),
                              "target", target, "state",
                              state_name(c->state), "last",
                              c->last < 0 ? json_null()
                                          : json_string(c->last ? "ok"
                                                                : "fail"),
                              "message", c->last_msg,
                              "successes", (json_int_t)c->successes,
                              "failures", (json_int_t)c->failures,
                              "runs", (json_int_t)c->runs,
                              "effect", effect,
                              "weight", (json_int_t)k->weight,
                              "fault", (int)k->fault,
                              "rise", (json_int_t)k->rise,
                              "fall", (json_int_t)k->fall,
                              "interval_ms",
                              (json_int_t)(k->interval_ns / HB_NS_PER_MS),
                              "state_age_ms",
                              (json_int_t)((now - c->state_since_ns) /
                                           HB_NS_PER_MS));
                if (o)
                        add_schedule_json(o, set, c);
                if (o)
                        json_array_append_new(arr, o);
        }
        return arr;
}
