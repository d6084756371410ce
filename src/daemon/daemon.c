/* SPDX-License-Identifier: MIT */
/*
 * hbeatd wiring (see daemon.h for the picture): start-up, the node on its
 * libuv adapter, event fan-out, signals and shutdown.
 *
 * The node runs on libhbeat-uv (include/hbeat/uv.h, src/io/uv_node.c),
 * exactly as an embedder would run it: the adapter owns the socket, the
 * one deadline timer, the deferred tick and the output queue; the core
 * owns the heartbeat schedule and finds its own local pauses
 * (HB_EVENT_LOCAL_PAUSE, logged here). This file hears two streams: the
 * core's events (peer states here; role, quorum and term in coord.c) and
 * the adapter's transport events (drops and send failures, logged
 * rate-limited; arrivals for `hbeatctl record`; the heartbeat tick that
 * feeds the kernel watchdog).
 *
 * Coordination (election.enabled) lives in coord.c: the term state file
 * and TERM / ROLE / QUORUM events. When a term cannot be made durable the
 * daemon stops at once (hbd_daemon_die_unpersisted()): the adapter is
 * muted first, from inside the event, so the vote that term stands for is
 * never sent.
 *
 * Configuration reload (SIGHUP, control `reload`) lives in reload.c:
 * on_signal() calls hbd_daemon_reload().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HB_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/ctl_proto.h"
#include "common/util.h"
#include "daemon/actions.h"
#include "daemon/checks.h"
#include "daemon/coord.h"
#include "daemon/ctl_server.h"
#include "daemon/daemon.h"
#include "daemon/http.h"
#include "daemon/vip.h"

uint64_t hbd_wall_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * HB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* See daemon.h. */
void hbd_daemon_sd_notify(const char *msg)
{
#ifdef HB_HAVE_SYSTEMD
        (void)sd_notify(0, msg);
#else
        (void)msg;
#endif
}

/* ---- transport events ---------------------------------------------- */

/* See daemon.h. */
void hbd_daemon_send_failed(hbd_daemon_t *d, int r, const char *what,
                            const char *address)
{
        uint64_t count;

        if (hbd_ratelimit(&d->send_rl, uv_hrtime(), &count))
                hbd_warn(&d->log, "cannot send to %s (%s): %s (%" PRIu64
                         " failed sends since the last such message)", what,
                         address, uv_strerror(r), count);
}

static void log_drop(hbd_daemon_t *d, int err, const struct sockaddr *from)
{
        unsigned slot = 0;
        char addr[HBU_ADDRESS_MAX];
        uint64_t count;

        if (err <= -10001 && err >= -10099)
                slot = (unsigned)(-err - 10000);
        if (!hbd_ratelimit(&d->drop_rl[slot], uv_hrtime(), &count))
                return;
        hbu_format_address(from, addr, sizeof(addr));
        /* Replays are routine (duplicates, the second copy of a leave). */
        hbd_logj(&d->log, err == HB_EREPLAY ? HBD_LOG_DEBUG : HBD_LOG_WARNING,
                 json_pack("{s:s, s:I, s:s}", "reason", hb_errname(err),
                           "count", (json_int_t)count, "from", addr),
                 "dropped datagrams: %s (%s), %" PRIu64 " since the last "
                 "such message, latest from %s", hb_errname(err),
                 hb_strerror(err), count, addr);
}

static void log_send_failure(hbd_daemon_t *d, const hb_uv_io_t *io)
{
        const hbd_peer_conf_t *p = io->out != NULL && io->out->peer_id != 0
                                           ? hbd_config_peer(d->cfg,
                                                             io->out->peer_id)
                                           : NULL;
        char addr[HBU_ADDRESS_MAX], what[HBD_NAME_MAX + 8];

        if (io->out != NULL && (io->out->type == HB_MSG_VOTE_REQ ||
                                io->out->type == HB_MSG_VOTE_RESP))
                d->counters.coord_send_failures++;
        hbu_format_address(io->addr, addr, sizeof(addr));
        if (p == NULL && io->out != NULL && io->out->dest == HB_DEST_ALL) {
                size_t i;

                /* A heartbeat or leave: name the peer by its address. */
                for (i = 0; i < d->cfg->n_peers && p == NULL; i++)
                        if (!d->cfg->peers[i].pull &&
                            hbu_address_equal((const struct sockaddr *)
                                              &d->cfg->peers[i].addr,
                                              io->addr))
                                p = &d->cfg->peers[i];
        }
        if (p != NULL)
                snprintf(what, sizeof(what), "peer %s", p->name);
        else
                snprintf(what, sizeof(what), "%s",
                         io->out != NULL && io->out->dest == HB_DEST_REPLY
                                 ? "an echo request's sender" : "a peer");
        hbd_daemon_send_failed(d, io->err, what, addr);
}

static void on_io(void *user, const hb_uv_io_t *io)
{
        hbd_daemon_t *d = user;
        uint64_t count;

        switch (io->type) {
        case HB_UV_IO_ACCEPTED:
                if (io->info->type == HB_MSG_HEARTBEAT)
                        hbd_ctl_record_arrival(d->ctl, io->info->sender_id,
                                               io->info->seq,
                                               io->info->send_time_ns,
                                               io->now_ns);
                break;
        case HB_UV_IO_DROPPED:
                log_drop(d, io->err, io->addr);
                break;
        case HB_UV_IO_SEND_FAILED:
                log_send_failure(d, io);
                break;
        case HB_UV_IO_RECV_FAILED:
                if (hbd_ratelimit(&d->drop_rl[0], io->now_ns, &count))
                        hbd_warn(&d->log, "receive error: %s (%" PRIu64
                                 " since the last such message)",
                                 uv_strerror(io->err), count);
                break;
        case HB_UV_IO_HEARTBEAT_SENT:
                hbd_actions_tick(d);
                break;
        }
}

/* ---- events ------------------------------------------------------- */

const char *hbd_node_name(const hbd_daemon_t *d, uint32_t id)
{
        const hbd_peer_conf_t *pc;

        if (id == 0)
                return NULL;
        if (id == d->cfg->node.node_id)
                return d->cfg->node_name;
        pc = hbd_config_peer(d->cfg, id);
        return pc != NULL ? pc->name : NULL;
}

/* See daemon.h. */
uint64_t hbd_event_wall_ns(uint64_t at_ns)
{
        uint64_t mono = uv_hrtime(), wall = hbd_wall_now_ns();

        if (mono > at_ns && wall > mono - at_ns)
                wall -= mono - at_ns;
        return wall;
}

/*
 * The core found that this process had not run for a while (its
 * heartbeat schedule was that late: SIGSTOP, a VM pause, swapping) and
 * suspended convictions for one detection time (node.h,
 * hb_node_local_pause()).
 */
static void log_local_pause(hbd_daemon_t *d, const hb_event_t *ev)
{
        uint64_t count, ms = ev->paused_ns / HB_NS_PER_MS;

        if (hbd_ratelimit(&d->pause_rl, ev->at_ns, &count))
                hbd_logj(&d->log, HBD_LOG_WARNING,
                         json_pack("{s:I, s:I}", "paused_ms", (json_int_t)ms,
                                   "pauses", (json_int_t)count),
                         "this process was paused for %" PRIu64 " ms (timer "
                         "late): suspending convictions for one detection "
                         "time (%" PRIu64 " such pauses since the last such "
                         "message)", ms, count);
}

static void on_event(void *user, const hb_event_t *ev)
{
        hbd_daemon_t *d = user;
        const hbd_peer_conf_t *pc;
        const char *name;
        hbd_notify_node_t me;
        uint64_t wall;

        switch (ev->type) {
        case HB_EVENT_TERM:
        case HB_EVENT_ROLE:
        case HB_EVENT_QUORUM:
                hbd_coord_event(d, ev);
                return;
        case HB_EVENT_LOCAL_PAUSE:
                log_local_pause(d, ev);
                return;
        case HB_EVENT_PEER_STATE:
                break;
        }
        pc = hbd_config_peer(d->cfg, ev->peer_id);
        name = pc != NULL ? pc->name : "?";
        wall = hbd_event_wall_ns(ev->at_ns);

        hbd_log_transition(&d->log, ev, name,
                           hb_node_config(d->node)->detector.kind);
        hbd_ctl_publish(d->ctl, hb_ctl_event_json(ev, d->cfg->node_name,
                                                  name, wall));
        me.name = d->cfg->node_name;
        me.id = d->cfg->node.node_id;
        hbd_notify_peer_state(d->notify, ev, &me, name, wall);
}

/* ---- shutdown ----------------------------------------------------- */

static void close_embedded(uv_handle_t *h)
{
        /* `type` is UV_UNKNOWN_HANDLE (0) until the handle is initialised
         * (the daemon object is calloc()ed). */
        if (h->type != UV_UNKNOWN_HANDLE && !uv_is_closing(h))
                uv_close(h, NULL);
}

static void on_notify_done(void *arg)
{
        hbd_daemon_t *d = arg;

        close_embedded((uv_handle_t *)&d->sig_term);
        close_embedded((uv_handle_t *)&d->sig_int);
}

/* Close everything; the loop ends when the last handle has closed. The
 * node itself is freed with its adapter (hb_uv_node_close()). */
static void teardown(hbd_daemon_t *d)
{
        hbd_notify_t *notify = d->notify;

        hbd_vip_stop(d);        /* no-op after begin_shutdown() */
        hbd_checks_stop(d);
        hbd_actions_stop(d);
        hbd_ctl_close(d->ctl);
        d->ctl = NULL;
        hbd_http_close(d->http);
        d->http = NULL;
        hb_uv_node_close(d->un, NULL, NULL);
        d->un = NULL;
        d->node = NULL;
        close_embedded((uv_handle_t *)&d->fatal_timer);
        close_embedded((uv_handle_t *)&d->sig_hup);
        d->notify = NULL;
        /* SIGTERM/SIGINT stay handled until the scripts are gone, so a
         * second signal does not kill hbeatd mid-way. */
        hbd_notify_close(notify, on_notify_done, d);
}

static void on_fatal_timer(uv_timer_t *t)
{
        hbd_daemon_t *d = t->data;

        hbd_error(&d->log, "stopped: the term could not be persisted");
        teardown(d);
}

/* See daemon.h. */
void hbd_daemon_die_unpersisted(hbd_daemon_t *d)
{
        if (d->fatal)
                return;
        d->fatal = true;
        d->stopping = true;
        d->exit_code = 1;
        hbd_daemon_sd_notify("STOPPING=1");
        /* From inside the core's event: nothing it queues goes out. */
        hb_uv_node_mute(d->un);
        if (uv_timer_start(&d->fatal_timer, on_fatal_timer, 0, 0) < 0)
                hbd_error(&d->log, "cannot schedule the shutdown");
}

static void on_left(void *arg)
{
        hbd_daemon_t *d = arg;

        hbd_info(&d->log, "left the cluster; shutting down");
        teardown(d);
}

static void begin_shutdown(hbd_daemon_t *d, int signum)
{
        if (d->stopping) {
                hbd_debug(&d->log, "%s: already shutting down",
                          strsignal(signum));
                return;
        }
        d->stopping = true;
        hbd_daemon_sd_notify("STOPPING=1");
        /* The resource goes down before the leave lets a peer take over. */
        hbd_actions_stop(d);
        hbd_info(&d->log, "received %s; sending leave to %zu peers",
                 signum == SIGINT ? "SIGINT" : "SIGTERM", d->cfg->n_peers);
        /* Release the virtual IPs before the peers, told we leave, elect
         * a new leader that adds them. */
        hbd_vip_stop(d);
        /* The leave, a second copy 1 ms later, then on_left(). */
        if (hb_uv_node_leave(d->un, on_left, d) < 0)
                teardown(d);
}

static void on_signal(uv_signal_t *s, int signum)
{
        hbd_daemon_t *d = s->data;
        char err[1024];

        if (signum == SIGHUP) {
                if (!d->stopping &&
                    hbd_daemon_reload(d, err, sizeof(err)) == 0 &&
                    hbd_checks_reload(d) < 0)
                        hbd_error(&d->log, "reload: cannot restart the "
                                  "health checks; the old ones keep "
                                  "running");
                return;
        }
        begin_shutdown(d, signum);
}

/* ---- start-up ----------------------------------------------------- */

static int init_handles(hbd_daemon_t *d)
{
        static const int signums[3] = { SIGTERM, SIGINT, SIGHUP };
        uv_signal_t *sigs[3] = { &d->sig_term, &d->sig_int, &d->sig_hup };
        int r, i;

        r = uv_timer_init(&d->loop, &d->fatal_timer);
        if (r < 0)
                return r;
        d->fatal_timer.data = d;
        for (i = 0; i < 3; i++) {
                r = uv_signal_init(&d->loop, sigs[i]);
                if (r < 0)
                        return r;
                sigs[i]->data = d;
                r = uv_signal_start(sigs[i], on_signal, signums[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int startup(hbd_daemon_t *d)
{
        const hbd_config_t *cfg = d->cfg;
        hbd_notify_settings_t ns;
        hb_uv_options_t opt;
        hb_node_config_t nc;
        char err[1024];
        size_t i;
        int r;

        r = init_handles(d);
        if (r < 0) {
                hbd_error(&d->log, "cannot set up timers and signals: %s",
                          uv_strerror(r));
                return r;
        }
        r = hbd_notify_new(&d->notify, &d->loop, &d->log);
        if (r == 0)
                r = hbd_notify_settings_prepare(&ns, cfg);
        if (r < 0) {
                hbd_error(&d->log, "cannot set up notify: %s",
                          uv_strerror(r));
                return r;
        }
        hbd_notify_swap(d->notify, &ns);
        hbd_notify_settings_release(&ns);

        r = hbd_ctl_open(&d->ctl, d, cfg->control_socket, err, sizeof(err));
        if (r < 0) {
                hbd_error(&d->log, "%s", err);
                return r;
        }
        if (cfg->http_listen != NULL) {
                r = hbd_http_open(&d->http, d,
                                  (const struct sockaddr *)
                                  &cfg->http_listen_addr,
                                  cfg->http_listen_addr_len,
                                  cfg->http_listen, err, sizeof(err));
                if (r < 0) {
                        hbd_error(&d->log, "%s", err);
                        return r;
                }
        }

        nc = cfg->node;
        nc.incarnation = d->incarnation;
        if (nc.coord.enabled)
                nc.coord.seed = hbd_coord_delay_seed();
        hb_uv_options_init(&opt);
        opt.bind = (const struct sockaddr *)&cfg->listen_addr;
        opt.event = on_event;
        opt.io = on_io;
        opt.user = d;
        r = hb_uv_node_new(&d->un, &d->loop, &nc, &opt);
        hb_key_wipe(&nc.key);
        hb_key_wipe(&nc.old_key);
        if (r < 0) {
                if (r == -EINVAL || r == -ENOMEM || r == -EIO)
                        hbd_error(&d->log, "cannot create the node: %s",
                                  hb_strerror(r));
                else
                        hbd_error(&d->log, "cannot bind UDP socket to %s: %s",
                                  cfg->listen, uv_strerror(r));
                return r;
        }
        d->node = hb_uv_node_core(d->un);
        /* Linux reports twice the size asked for (bookkeeping overhead). */
        if (hb_uv_node_rcvbuf(d->un) < HB_UV_RCVBUF_DEFAULT)
                hbd_info(&d->log, "UDP receive buffer is %d bytes (asked "
                         "for %d; raise net.core.rmem_max for more)",
                         hb_uv_node_rcvbuf(d->un), HB_UV_RCVBUF_DEFAULT);
        if (!hb_uv_node_batching(d->un))
                hbd_info(&d->log, "recvmmsg not available; receiving one "
                         "datagram per call");
        if (nc.coord.enabled) {
                r = hbd_coord_restore_term(d);
                if (r < 0)
                        return r;
        }
        d->start_ns = uv_hrtime();
        for (i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];

                /* Pull peers run no hbeatd: polled (checks.c), sent
                 * nothing. */
                r = hb_uv_node_peer_add(d->un, p->id, p->pull ? NULL :
                                        (const struct sockaddr *)&p->addr);
                if (r == 0 && cfg->node.coord.enabled)
                        r = hb_node_peer_set_votes(d->node, p->id, p->votes);
                if (r < 0) {
                        hbd_error(&d->log, "cannot add peer %s (id %" PRIu32
                                  "): %s", p->name, p->id, hb_strerror(r));
                        return r;
                }
        }
        r = hbd_checks_start(d);
        if (r < 0) {
                hbd_error(&d->log, "cannot start the health checks: %s",
                          uv_strerror(r));
                return r;
        }
        r = hbd_vip_start(d);
        if (r < 0) {
                hbd_error(&d->log, "cannot start the virtual IPs: %s",
                          uv_strerror(r));
                return r;
        }
        r = hbd_actions_start(d);
        if (r < 0) {
                hbd_error(&d->log, "cannot set up the resource actions: %s",
                          uv_strerror(r));
                return r;
        }

        /* The first heartbeat goes out on the loop's first iteration
         * (the node's first deadline is now), then on its schedule. */
        hb_uv_node_flush(d->un);

        hbd_info(&d->log, "hbeatd %s started: node %s (id %" PRIu32 "), "
                 "cluster %" PRIu32 ", listening on %s, %zu peers, interval "
                 "%" PRIu64 " ms, detector %s", HB_VERSION_STRING,
                 cfg->node_name, cfg->node.node_id, cfg->node.cluster_id,
                 cfg->listen, cfg->n_peers,
                 cfg->node.interval_ns / HB_NS_PER_MS,
                 hb_detector_kind_name(cfg->node.detector.kind));
        hbd_info(&d->log, "incarnation %" PRIu64 ", control socket %s, "
                 "notify script %s", d->incarnation, cfg->control_socket,
                 cfg->notify_script != NULL ? cfg->notify_script : "(none)");
        if (cfg->http_listen != NULL)
                hbd_info(&d->log, "HTTP endpoints on %s", cfg->http_listen);
        if (cfg->node.coord.enabled)
                hbd_info(&d->log, "election enabled: term %" PRIu64 " (state "
                         "file %s), votes %" PRIu32 "%s, priority %" PRIu32
                         "%s, delay %" PRIu64 " ms", d->durable_term,
                         cfg->election_state_file, cfg->node.coord.votes,
                         cfg->node.coord.witness ? " (witness)" : "",
                         cfg->node.coord.priority,
                         cfg->node.coord.preempt ? ", preempt" : "",
                         cfg->node.coord.election_delay_ns / HB_NS_PER_MS);
        hbd_daemon_sd_notify("READY=1");
        return 0;
}

static void log_open_handle(uv_handle_t *h, void *arg)
{
        hbd_daemon_t *d = arg;

        hbd_error(&d->log, "internal: %s handle still open at exit",
                  uv_handle_type_name(uv_handle_get_type(h)));
}

int hbd_run(hbd_config_t *cfg, const hbd_options_t *opts)
{
        hbd_daemon_t *d;
        int r, code;

        d = calloc(1, sizeof(*d));
        if (d == NULL) {
                fprintf(stderr, "hbeatd: out of memory\n");
                hbd_config_free(cfg);
                return 1;
        }
        hbd_log_init(&d->log, opts->log_format, opts->log_level);
        hbd_log_set_node(&d->log, cfg->node_name);
        d->cfg = cfg;
        /* Reload must find the same file whatever the working directory
         * becomes; fall back to the name as given. */
        d->config_path = realpath(cfg->path, NULL);
        if (d->config_path == NULL)
                d->config_path = strdup(cfg->path);
        if (d->config_path == NULL) {
                fprintf(stderr, "hbeatd: out of memory\n");
                hbd_config_free(cfg);
                free(d);
                return 1;
        }
        /* Must grow across restarts: assumes the wall clock does not step
         * back across one (see hbeatd(8), INCARNATION). */
        d->incarnation = hbd_wall_now_ns() / 1000;

        r = uv_loop_init(&d->loop);
        if (r < 0) {
                hbd_error(&d->log, "cannot create the event loop: %s",
                          uv_strerror(r));
                hbd_config_free(cfg);
                free(d->config_path);
                free(d);
                return 1;
        }
        r = startup(d);
        if (r < 0) {
                code = 1;
                d->stopping = true;
                teardown(d);
        } else {
                code = 0;
        }
        r = uv_run(&d->loop, UV_RUN_DEFAULT);
        if (r != 0)
                hbd_error(&d->log, "internal: event loop ended with active "
                          "handles");
        r = uv_loop_close(&d->loop);
        if (r < 0) {
                /* A bug: handles still point into `d`, so it is not
                 * freed; the process is exiting anyway. */
                uv_walk(&d->loop, log_open_handle, d);
                return 1;
        }
        if (code == 0 && d->exit_code != 0)
                code = d->exit_code;
        if (code == 0)
                hbd_info(&d->log, "stopped");
        hbd_config_free(d->cfg);
        free(d->config_path);
        free(d);
        return code;
}
