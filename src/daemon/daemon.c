/* SPDX-License-Identifier: MIT */
/*
 * hbeatd's wiring (see daemon.h for the picture): the node on its libuv
 * adapter, the list of modules, the two streams that feed the bus,
 * signals, start-up and shutdown. Nothing here decides: the core decides
 * (src/core), the modules act (module.h).
 *
 * What the bus hears from here:
 *   the core's events   every hb_event_t, as HBD_EV_CORE with the names
 *                       and wall time every module would otherwise look
 *                       up again; peer transitions and local pauses are
 *                       logged here, once, before the fan-out
 *   the adapter's       accepted heartbeats (HBD_EV_ARRIVAL, only when a
 *                       module asked: the hot path), RTT samples of
 *                       accepted ACKs (HBD_EV_RTT), and scheduled
 *                       heartbeats sent (HBD_EV_HEARTBEAT_SENT); drops and
 *                       failed sends are logged here, rate-limited
 *   signals             SIGTERM/SIGINT: HBD_EV_LEAVING, then the leave
 *
 * Order of a shutdown: LEAVING (the actions stop the resource, blocking;
 * the VIPs are released; the checks stop probing; /readyz says "shutting
 * down"), the leave message and its
 * copy (hb_uv_node_leave()), then every module stops in reverse order,
 * the node closes, and the signal handles last, so a second signal does
 * not kill hbeatd mid-way.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/util.h"
#include "daemon/daemon.h"
#include "daemon/incarnation.h"
#include "daemon/module.h"
#include "daemon/reload.h"

/* Slots for per-reason drop logging, indexed by -err - 10000 for the
 * project codes (-10001 .. -10099); slot 0 for anything else. */
#define DROP_SLOTS 100

/* The modules, in start order: the real-time scheduling first (before
 * the loop runs and any child is spawned, so that every child is spawned
 * under its rules), notify next (others put events on the bus from their
 * start on), the privileges dropped once every socket is open and before
 * any child runs, the actions last (their start-up stop must see
 * everything else in place), systemd's watchdog after them all. */
static const hbd_module_t *const modules[] = {
        &hbd_realtime_module,
        &hbd_notify_module,
        &hbd_coord_module,
        &hbd_ctl_module,
        &hbd_metrics_module,
        &hbd_http_module,
        &hbd_stream_module,
        &hbd_gossip_module,
        &hbd_reliable_module,
        &hbd_checks_module,
        &hbd_vip_module,
        &hbd_privileges_module,
        &hbd_actions_module,
        &hbd_watchdog_module,
};

typedef struct daemon {
        uv_loop_t loop;
        hbd_log_t log;
        hbd_ctx_t ctx;
        hbd_config_t *cfg;             /* the running config, owned */
        char *config_path;             /* absolute when resolvable */
        uv_signal_t sig_term, sig_int, sig_hup;
        uv_timer_t fatal_timer;        /* die(): out of the core's call */
        bool stopping;
        int exit_code;
        hbd_ratelimit_t drop_rl[DROP_SLOTS];
        hbd_ratelimit_t send_rl;
        hbd_ratelimit_t pause_rl;
} daemon_t;

/* ---- transport events ---------------------------------------------- */

/* What an operator can do about a drop reason that has a known cause. */
static const char *drop_hint(int err)
{
        switch (err) {
        case HB_EOLDINC:
                return ": the peer restarted with its wall clock stepped "
                       "back and no node.incarnation_file (or these are "
                       "old messages replayed); once its messages are known "
                       "genuine, 'hbeatctl forget PEER' accepts it again";
        case HB_EFUTUREINC:
                return ": the sender's clock is ahead of ours by more than "
                       "membership.max_clock_skew_ms, or the message is "
                       "forged by a key holder; check both clocks";
        case HB_EBADSRC:
                return ": a host relays a peer's messages, or the peer "
                       "sends from another address than its configured one "
                       "(NAT, a second interface: set peers[].roaming)";
        default:
                return "";
        }
}

static void log_drop(daemon_t *d, int err, const struct sockaddr *from)
{
        const hbd_config_t *cfg = d->cfg;
        const char *peer = NULL;
        unsigned slot = 0;
        char addr[HBU_ADDRESS_MAX];
        uint64_t count;
        size_t i;

        if (err <= -10001 && err >= -10099)
                slot = (unsigned)(-err - 10000);
        if (!hbd_ratelimit(&d->drop_rl[slot], uv_hrtime(), &count))
                return;
        hbu_format_address(from, addr, sizeof(addr));
        for (i = 0; from != NULL && peer == NULL && i < cfg->n_peers; i++)
                if (!cfg->peers[i].external &&
                    hbu_address_equal((const struct sockaddr *)
                                      &cfg->peers[i].addr, from))
                        peer = cfg->peers[i].name;
        /* Replays are routine (duplicates, the second copy of a leave). */
        hbd_logj(&d->log, err == HB_EREPLAY ? HBD_LOG_DEBUG : HBD_LOG_WARNING,
                 json_pack("{s:s, s:I, s:s, s:s?}", "reason", hb_errname(err),
                           "count", (json_int_t)count, "from", addr,
                           "peer", peer),
                 "dropped datagrams: %s (%s), %" PRIu64 " since the last "
                 "such message, latest from %s%s%s%s%s", hb_errname(err),
                 hb_strerror(err), count, addr, peer ? " (peer " : "",
                 peer ? peer : "", peer ? ")" : "", drop_hint(err));
}

/* Name what a failed send was for: the peer, by id or address. */
static void log_send_failure(daemon_t *d, const hb_uv_io_t *io)
{
        const hbd_config_t *cfg = d->cfg;
        const hbd_peer_conf_t *p = NULL;
        char addr[HBU_ADDRESS_MAX], what[HBD_NAME_MAX + 8];
        uint64_t count;
        size_t i;

        if (!hbd_ratelimit(&d->send_rl, io->now_ns, &count))
                return;
        if (io->out != NULL && io->out->peer_id != 0)
                p = hbd_config_peer(cfg, io->out->peer_id);
        for (i = 0; p == NULL && i < cfg->n_peers; i++)
                if (!cfg->peers[i].external &&
                    hbu_address_equal((const struct sockaddr *)
                                      &cfg->peers[i].addr, io->addr))
                        p = &cfg->peers[i];
        hbu_format_address(io->addr, addr, sizeof(addr));
        if (p != NULL)
                snprintf(what, sizeof(what), "peer %s", p->name);
        else
                snprintf(what, sizeof(what), "%s",
                         io->out != NULL && io->out->dest == HB_DEST_REPLY
                                 ? "an echo request's sender" : "a peer");
        hbd_warn(&d->log, "cannot send to %s (%s): %s (%" PRIu64 " failed "
                 "sends since the last such message)", what, addr,
                 uv_strerror(io->err), count);
}

static void on_io(void *user, const hb_uv_io_t *io)
{
        daemon_t *d = user;
        hbd_event_t ev;
        uint64_t count;

        switch (io->type) {
        case HB_UV_IO_ACCEPTED:
                if (io->info->rtt_ns != 0 &&
                    hbd_bus_wants(&d->ctx, HBD_EV_RTT)) {
                        memset(&ev, 0, sizeof(ev));
                        ev.kind = HBD_EV_RTT;
                        ev.at_ns = io->now_ns;
                        ev.rtt.peer_id = io->info->sender_id;
                        ev.rtt.rtt_ns = io->info->rtt_ns;
                        hbd_emit(&d->ctx, &ev);
                        return;
                }
                if (io->info->type != HB_MSG_HEARTBEAT ||
                    !hbd_bus_wants(&d->ctx, HBD_EV_ARRIVAL))
                        return;
                memset(&ev, 0, sizeof(ev));
                ev.kind = HBD_EV_ARRIVAL;
                ev.at_ns = io->now_ns;
                ev.arrival.peer_id = io->info->sender_id;
                ev.arrival.seq = io->info->seq;
                ev.arrival.send_ns = io->info->send_time_ns;
                hbd_emit(&d->ctx, &ev);
                return;
        case HB_UV_IO_DROPPED:
                log_drop(d, io->err, io->addr);
                return;
        case HB_UV_IO_SEND_FAILED:
                log_send_failure(d, io);
                return;
        case HB_UV_IO_RECV_FAILED:
                if (hbd_ratelimit(&d->drop_rl[0], io->now_ns, &count))
                        hbd_warn(&d->log, "receive error: %s (%" PRIu64
                                 " since the last such message)",
                                 uv_strerror(io->err), count);
                return;
        case HB_UV_IO_HEARTBEAT_SENT:
                memset(&ev, 0, sizeof(ev));
                ev.kind = HBD_EV_HEARTBEAT_SENT;
                ev.at_ns = io->now_ns;
                hbd_emit(&d->ctx, &ev);
                return;
        }
}

/* ---- core events ----------------------------------------------------- */

/*
 * The core found that this process had not run for a while (its
 * heartbeat schedule was that late: SIGSTOP, a VM pause, swapping) and
 * suspended convictions for one detection time (node.h,
 * hb_node_local_pause()).
 */
static void log_local_pause(daemon_t *d, const hb_event_t *ev)
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

/* A link of a peer changed state (docs/links.md): down at warning (a
 * path lost: the peer is still alive if another link carries it), the
 * rest at notice. */
static void log_link(daemon_t *d, const hb_event_t *ev, const char *peer,
                     const char *link)
{
        bool down = ev->new_link_state == HB_LINK_DOWN;

        hbd_logj(&d->log, down ? HBD_LOG_WARNING : HBD_LOG_INFO,
                 json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:f}", "peer",
                           peer, "link", link, "link_index",
                           (json_int_t)ev->link, "from",
                           hb_link_state_name(ev->old_link_state), "to",
                           hb_link_state_name(ev->new_link_state), "reason",
                           hb_reason_name(ev->reason), "suspicion",
                           ev->suspicion),
                 "link %s of peer %s: %s -> %s (%s)%s", link, peer,
                 hb_link_state_name(ev->old_link_state),
                 hb_link_state_name(ev->new_link_state),
                 hb_reason_name(ev->reason),
                 down ? "; the peer stays alive while another link "
                        "carries its heartbeats"
                      : "");
}

/* Name of class `idx` of the running config ("default" for 0). */
static const char *class_name_of(const daemon_t *d, uint32_t idx)
{
        if (idx > 0 && idx <= d->cfg->n_classes)
                return d->cfg->classes[idx - 1].name;
        return "default";
}

/* A peer announced an interval outside its class's bounds here
 * (docs/classes.md, "Both sides must agree"): once per peer until it is
 * back within bounds. */
static void log_class_mismatch(daemon_t *d, const hb_event_t *ev,
                               const char *peer)
{
        const char *cls = class_name_of(d, ev->class_idx);
        double ann = (double)ev->new_interval_ns / (double)HB_NS_PER_MS;
        double here = (double)ev->old_interval_ns / (double)HB_NS_PER_MS;

        hbd_logj(&d->log, HBD_LOG_WARNING,
                 json_pack("{s:s, s:s, s:f, s:f}", "peer", peer, "class",
                           cls, "announced_interval_ms", ann, "interval_ms",
                           here),
                 "peer %s announces a heartbeat interval of %.0f ms, but "
                 "its class %s here allows %.0f ms: judging it at %.0f ms; "
                 "both ends must give each other the same class "
                 "(docs/classes.md)", peer, ann, cls, here, here);
}

/* This node changed an adaptive class's interval (docs/classes.md). */
static void log_interval(daemon_t *d, const hb_event_t *ev)
{
        const char *cls = class_name_of(d, ev->class_idx);
        double old_ms = (double)ev->old_interval_ns / (double)HB_NS_PER_MS;
        double new_ms = (double)ev->new_interval_ns / (double)HB_NS_PER_MS;
        double rtt_ms = (double)ev->rtt_max_ns / (double)HB_NS_PER_MS;

        hbd_logj(&d->log, HBD_LOG_INFO,
                 json_pack("{s:s, s:f, s:f, s:f, s:f}", "class", cls,
                           "old_interval_ms", old_ms, "interval_ms", new_ms,
                           "rtt_max_ms", rtt_ms, "loss", ev->loss),
                 "class %s: heartbeat interval %.0f ms -> %.0f ms (largest "
                 "RTT %.1f ms, loss %.1f%%)", cls, old_ms, new_ms, rtt_ms,
                 ev->loss * 100.0);
}

/* Topology "hierarchy" (docs/hierarchy.md): a region became unreachable
 * or reachable; this node's role at the global level changed. */
static void log_hier(daemon_t *d, const hb_event_t *ev)
{
        const char *old_s, *new_s;

        if (ev->type == HB_EVENT_REGION) {
                bool cut = ev->new_region_state == HB_REGION_UNREACHABLE;

                old_s = hb_region_state_name(ev->old_region_state);
                new_s = hb_region_state_name(ev->new_region_state);
                hbd_logj(&d->log, cut ? HBD_LOG_WARNING : HBD_LOG_INFO,
                         json_pack("{s:I, s:s, s:s}", "region",
                                   (json_int_t)ev->region, "old_state",
                                   old_s, "state", new_s),
                         "region %" PRIu32 ": %s -> %s%s", ev->region,
                         old_s, new_s,
                         cut ? " (its coordinator is not heard at the "
                               "global level; its members keep their "
                               "last known states)"
                             : "");
                return;
        }
        old_s = hb_role_name(ev->old_role);
        new_s = hb_role_name(ev->new_role);
        hbd_logj(&d->log, HBD_LOG_INFO,
                 json_pack("{s:s, s:s, s:I, s:I, s:b, s:s}", "old_role",
                           old_s, "role", new_s, "term",
                           (json_int_t)ev->term, "leader_region",
                           (json_int_t)ev->leader_id, "established",
                           ev->established, "reason",
                           ev->why != NULL ? ev->why : ""),
                 "global role %s -> %s, term %" PRIu64 ", leading region "
                 "%" PRIu32 "%s", old_s, new_s, ev->term, ev->leader_id,
                 ev->established ? " (established)" : "");
}

/* Inside the core's call: modules may read the node, not call into it. */
static void on_event(void *user, const hb_event_t *core)
{
        daemon_t *d = user;
        hbd_event_t ev;

        memset(&ev, 0, sizeof(ev));
        ev.kind = HBD_EV_CORE;
        ev.core = core;
        ev.at_ns = core->at_ns;
        ev.wall_ns = hbd_wall_at_ns(core->at_ns);
        switch (core->type) {
        case HB_EVENT_PEER_STATE:
                ev.peer_name = hbd_name(&d->ctx, core->peer_id);
                if (ev.peer_name == NULL)
                        ev.peer_name = "?";
                hbd_log_transition(&d->log, core, ev.peer_name,
                                   d->cfg->node.detector.kind);
                break;
        case HB_EVENT_LOCAL_PAUSE:
                log_local_pause(d, core);
                break;
        case HB_EVENT_LINK:
                ev.peer_name = hbd_name(&d->ctx, core->peer_id);
                if (ev.peer_name == NULL)
                        ev.peer_name = "?";
                ev.link_name = hbd_link_name(d->cfg, core->link);
                log_link(d, core, ev.peer_name, ev.link_name);
                break;
        case HB_EVENT_CLASS_MISMATCH:
                ev.peer_name = hbd_name(&d->ctx, core->peer_id);
                if (ev.peer_name == NULL)
                        ev.peer_name = "?";
                log_class_mismatch(d, core, ev.peer_name);
                break;
        case HB_EVENT_INTERVAL:
                log_interval(d, core);
                break;
        case HB_EVENT_REGION:
        case HB_EVENT_GLOBAL_ROLE:
                log_hier(d, core);
                break;
        default:
                ev.leader_name = hbd_name(&d->ctx, core->leader_id);
                break;
        }
        hbd_emit(&d->ctx, &ev);
}

/* ---- shutdown ------------------------------------------------------ */

static void close_handle(uv_handle_t *h)
{
        /* `type` is UV_UNKNOWN_HANDLE (0) until the handle is initialised
         * (the daemon object is calloc()ed). */
        if (h->type != UV_UNKNOWN_HANDLE && !uv_is_closing(h))
                uv_close(h, NULL);
}

/* Every module has stopped: close the node, then the signals. */
static void on_modules_stopped(void *arg)
{
        daemon_t *d = arg;

        hb_uv_node_close(d->ctx.un, NULL, NULL);
        d->ctx.un = NULL;
        d->ctx.node = NULL;
        close_handle((uv_handle_t *)&d->fatal_timer);
        close_handle((uv_handle_t *)&d->sig_hup);
        close_handle((uv_handle_t *)&d->sig_term);
        close_handle((uv_handle_t *)&d->sig_int);
}

/* Close everything; the loop ends when the last handle has closed. */
static void teardown(daemon_t *d)
{
        hbd_bus_stop(&d->ctx, on_modules_stopped, d);
}

static void on_fatal_timer(uv_timer_t *t)
{
        daemon_t *d = t->data;

        hbd_error(&d->log, "stopped: exit status %d", d->exit_code);
        teardown(d);
}

/* ctx->die: mute the node at once (from inside its callback, nothing it
 * queues goes out), stop everything from a timer, out of the core's
 * call. Idempotent. */
static void die(hbd_ctx_t *ctx, int code)
{
        daemon_t *d = ctx->daemon;

        if (d->exit_code != 0)
                return;
        d->stopping = true;
        d->exit_code = code;
        hbd_sd_notify("STOPPING=1");
        hb_uv_node_mute(d->ctx.un);
        if (uv_timer_start(&d->fatal_timer, on_fatal_timer, 0, 0) < 0)
                hbd_error(&d->log, "cannot schedule the shutdown");
}

/* ctx->sync (module.h). */
static void sync_node(hbd_ctx_t *ctx)
{
        hb_node_tick(ctx->node, uv_hrtime());
        hb_uv_node_flush(ctx->un);
}

static void on_left(void *arg)
{
        daemon_t *d = arg;

        hbd_info(&d->log, "left the cluster; shutting down");
        teardown(d);
}

static void begin_shutdown(daemon_t *d, int signum)
{
        hbd_event_t ev;

        if (d->stopping) {
                hbd_debug(&d->log, "%s: already shutting down",
                          strsignal(signum));
                return;
        }
        d->stopping = true;
        hbd_sd_notify("STOPPING=1");
        hbd_info(&d->log, "received %s; sending leave to %zu peers",
                 signum == SIGINT ? "SIGINT" : "SIGTERM", d->cfg->n_peers);
        /* The resource down and the virtual IPs released before the peers,
         * told we leave, elect a new leader that takes them. */
        memset(&ev, 0, sizeof(ev));
        ev.kind = HBD_EV_LEAVING;
        ev.at_ns = uv_hrtime();
        ev.wall_ns = hbd_wall_now_ns();
        hbd_emit(&d->ctx, &ev);
        /* The leave, a second copy 1 ms later, then on_left(). */
        if (hb_uv_node_leave(d->ctx.un, on_left, d) < 0)
                teardown(d);
}

/* ---- reload ------------------------------------------------------- */

/* ctx->reload (the control module's `reload`). */
static int reload(hbd_ctx_t *ctx, char *err, size_t errlen)
{
        daemon_t *d = ctx->daemon;

        if (d->stopping) {
                snprintf(err, errlen, "hbeatd is shutting down");
                return -ECANCELED;
        }
        return hbd_reload(ctx, &d->cfg, err, errlen);
}

static void on_signal(uv_signal_t *s, int signum)
{
        daemon_t *d = s->data;
        char err[1024];

        if (signum == SIGHUP) {
                (void)reload(&d->ctx, err, sizeof(err)); /* logs why */
                return;
        }
        begin_shutdown(d, signum);
}

/* ---- start-up ----------------------------------------------------- */

/* Seed of the election delay's PRNG: distinct per node and run, so two
 * nodes never draw the same delays. */
static uint64_t delay_seed(void)
{
        uint64_t seed = 0;

        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
            (ssize_t)sizeof(seed))
                seed = uv_hrtime() ^ ((uint64_t)getpid() << 32) ^
                       hbd_wall_now_ns();
        return seed;
}

static int init_handles(daemon_t *d)
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

/* The node on its adapter, with its peers (pull peers get no address:
 * they run no hbeatd and are polled by the checks module). */
static int start_node(daemon_t *d)
{
        const hbd_config_t *cfg = d->cfg;
        hb_uv_options_t opt;
        hb_node_config_t nc;
        size_t i;
        int r;

        nc = cfg->node;
        nc.incarnation = d->ctx.incarnation;
        if (nc.topology == HB_TOPOLOGY_GOSSIP) {
                /* The address this node advertises in its gossip. */
                r = hb_uv_gossip_addr_encode(
                        (const struct sockaddr *)&cfg->gossip_advertise_addr,
                        nc.gossip.addr);
                nc.gossip.addr_len = r > 0 ? (uint8_t)r : 0;
                if (hbd_learned_names_init(&d->ctx) < 0)
                        return -ENOMEM;
        }
        if (nc.coord.enabled)
                nc.coord.seed = delay_seed();
        hb_uv_options_init(&opt);
        opt.bind = (const struct sockaddr *)&cfg->listen_addr;
        opt.n_links = (uint32_t)cfg->n_links;
        for (i = 0; i < cfg->n_links && i < HB_LINKS_MAX; i++) {
                opt.link_bind[i] =
                        (const struct sockaddr *)&cfg->links[i].listen_addr;
                opt.link_device[i] = cfg->links[i].interface;
                opt.link_disk[i] = cfg->links[i].device;
                opt.link_disk_slot_size[i] = cfg->links[i].slot_size;
                opt.link_disk_slots[i] = cfg->links[i].slots;
                opt.link_serial[i] = cfg->links[i].tty;
                opt.link_serial_baud[i] = cfg->links[i].baud;
                /* HBD_TRANSPORT_* are hb_uv_transport_t's values. */
                opt.link_transport[i] =
                        (hb_uv_transport_t)cfg->links[i].transport;
                if (cfg->links[i].group != NULL)
                        opt.link_group[i] = (const struct sockaddr *)
                                &cfg->links[i].group_addr;
                opt.link_hops[i] = cfg->links[i].ttl;
        }
        opt.event = on_event;
        opt.io = on_io;
        opt.user = d;
        r = hb_uv_node_new(&d->ctx.un, &d->loop, &nc, &opt);
        hb_key_wipe(&nc.key);
        hb_keyring_wipe(&nc.keyring);
        if (r < 0) {
                if (r == -EINVAL || r == -ENOMEM || r == -EIO)
                        hbd_error(&d->log, "cannot create the node: %s",
                                  hb_strerror(r));
                else if (cfg->n_links > 0)
                        hbd_error(&d->log, "cannot bind the UDP sockets of "
                                  "the links (listen, interface, group): %s",
                                  uv_strerror(r));
                else
                        hbd_error(&d->log, "cannot bind UDP socket to %s: %s",
                                  cfg->listen, uv_strerror(r));
                return r;
        }
        d->ctx.node = hb_uv_node_core(d->ctx.un);
        /* Linux reports twice the size asked for (bookkeeping overhead). */
        if (hb_uv_node_rcvbuf(d->ctx.un) < HB_UV_RCVBUF_DEFAULT)
                hbd_info(&d->log, "UDP receive buffer is %d bytes (asked "
                         "for %d; raise net.core.rmem_max for more)",
                         hb_uv_node_rcvbuf(d->ctx.un), HB_UV_RCVBUF_DEFAULT);
        if (!hb_uv_node_batching(d->ctx.un))
                hbd_info(&d->log, "recvmmsg not available; receiving one "
                         "datagram per call");
        for (i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];

                r = hb_uv_node_peer_add(d->ctx.un, p->id, p->external ? NULL :
                                        (const struct sockaddr *)&p->addr);
                for (size_t k = 1; r == 0 && p->addresses &&
                                   k < cfg->n_links;
                     k++)
                        r = hb_uv_node_peer_set_link_address(
                                d->ctx.un, p->id, (uint32_t)k,
                                (const struct sockaddr *)&p->link_addr[k]);
                if (r == 0 && cfg->node.coord.enabled)
                        r = hb_node_peer_set_votes(d->ctx.node, p->id,
                                                   p->votes);
                /* Gossip members have no roaming flag or class (the
                 * config refuses both). */
                if (r == 0 && nc.topology != HB_TOPOLOGY_GOSSIP)
                        r = hb_node_peer_set_roaming(d->ctx.node, p->id,
                                                     p->roaming);
                if (r == 0 && nc.topology != HB_TOPOLOGY_GOSSIP)
                        r = hb_node_peer_set_class(d->ctx.node, p->id,
                                                   p->class_idx, uv_hrtime());
                /* docs/hierarchy.md: after the votes (it sets them). */
                if (r == 0 && cfg->node.hier.enabled)
                        r = hb_node_peer_set_region(d->ctx.node, p->id,
                                                    p->region, p->elector);
                if (r < 0) {
                        hbd_error(&d->log, "cannot add peer %s (id %" PRIu32
                                  "): %s", p->name, p->id, hb_strerror(r));
                        return r;
                }
        }
        return 0;
}

/*
 * This run's incarnation: must grow across restarts, also when the wall
 * clock was stepped back (review F6; incarnation.c).
 */
static int choose_incarnation(daemon_t *d)
{
        hbd_incarnation_t inc;
        char err[512];
        int r;

        r = hbd_incarnation_next(d->cfg->incarnation_file,
                                 hbd_wall_now_ns() / 1000, &inc, err,
                                 sizeof(err));
        if (r < 0) {
                hbd_error(&d->log, "%s", err);
                return r;
        }
        if (inc.had_last && inc.incarnation != inc.wall_us)
                hbd_logj(&d->log, HBD_LOG_WARNING,
                         json_pack("{s:I, s:I}", "last_incarnation",
                                   (json_int_t)inc.last, "behind_us",
                                   (json_int_t)(inc.last - inc.wall_us)),
                         "the wall clock is %.3f s behind this node's last "
                         "incarnation (it was stepped back, or ran ahead "
                         "before): using last + 1, so peers still accept "
                         "this node (%s)",
                         (double)(inc.last - inc.wall_us) / 1e6,
                         d->cfg->incarnation_file);
        d->ctx.incarnation = inc.incarnation;
        return 0;
}

static int startup(daemon_t *d)
{
        const hbd_config_t *cfg = d->cfg;
        int r;

        r = init_handles(d);
        if (r < 0) {
                hbd_error(&d->log, "cannot set up timers and signals: %s",
                          uv_strerror(r));
                return r;
        }
        r = start_node(d);
        if (r < 0)
                return r;
        d->ctx.start_ns = uv_hrtime();
        /* Before the loop runs: the node's first tick (its first
         * heartbeat) comes after every module is up. */
        r = hbd_bus_start(&d->ctx, modules,
                          sizeof(modules) / sizeof(modules[0]));
        if (r < 0)
                return r;
        hb_uv_node_flush(d->ctx.un);
        hbd_info(&d->log, "hbeatd %s started: node %s (id %" PRIu32 "), "
                 "cluster %" PRIu32 ", listening on %s, %zu peers, interval "
                 "%" PRIu64 " ms, detector %s", HB_VERSION_STRING,
                 cfg->node_name, cfg->node.node_id, cfg->node.cluster_id,
                 cfg->listen, cfg->n_peers,
                 cfg->node.interval_ns / HB_NS_PER_MS,
                 hb_detector_kind_name(cfg->node.detector.kind));
        hbd_info(&d->log, "incarnation %" PRIu64 ", control socket %s, "
                 "notify script %s", d->ctx.incarnation, cfg->control_socket,
                 cfg->notify_script != NULL ? cfg->notify_script : "(none)");
        hbd_sd_notify("READY=1");
        return 0;
}

static void log_open_handle(uv_handle_t *h, void *arg)
{
        daemon_t *d = arg;

        hbd_error(&d->log, "internal: %s handle still open at exit",
                  uv_handle_type_name(uv_handle_get_type(h)));
}

int hbd_run(hbd_config_t *cfg, const hbd_options_t *opts)
{
        daemon_t *d;
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
        r = uv_loop_init(&d->loop);
        if (r < 0) {
                hbd_error(&d->log, "cannot create the event loop: %s",
                          uv_strerror(r));
                hbd_config_free(cfg);
                free(d->config_path);
                free(d);
                return 1;
        }
        d->ctx.loop = &d->loop;
        d->ctx.log = &d->log;
        d->ctx.cfg = cfg;
        d->ctx.config_path = d->config_path;
        r = choose_incarnation(d);
        if (r < 0) {
                hbd_config_free(cfg);
                free(d->config_path);
                uv_loop_close(&d->loop);
                free(d);
                return 1;
        }
        d->ctx.daemon = d;
        d->ctx.reload = reload;
        d->ctx.die = die;
        d->ctx.sync = sync_node;
        r = startup(d);
        code = r < 0 ? 1 : 0;
        if (r < 0) {
                d->stopping = true;
                teardown(d);
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
        hbd_learned_names_free(&d->ctx);
        hbd_config_free(d->cfg);
        free(d->config_path);
        free(d);
        return code;
}
