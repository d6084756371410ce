/* SPDX-License-Identifier: MIT */
/*
 * hbeatd wiring (see daemon.h for the picture): start-up, the send and
 * deadline timers, the receive path, event fan-out, signals and shutdown.
 *
 * Timers. libuv timers have millisecond resolution and run against the
 * loop's cached clock, which on Linux is CLOCK_MONOTONIC in ms (possibly
 * the coarse variant, which lags by at most a tick). The core works in
 * CLOCK_MONOTONIC ns (uv_hrtime()). ms_until() turns an absolute core time
 * into a timer delay by rounding the target UP to the next ms on the
 * loop's own clock, so a timer never fires before its target; it only
 * fires up to a clock tick late, which the core tolerates ("calling tick
 * later delays transitions").
 *
 * Heartbeats are scheduled on absolute times: next = previous scheduled +
 * interval, so jitter (a late wake-up, a busy loop) never accumulates. If
 * the daemon fell behind by more than one interval (stopped, swapped), the
 * schedule is re-based on now instead of sending a burst of stale
 * heartbeats. Falling behind by more than 2 intervals (50 ms at least)
 * also means the peers' silence was ours: see pause_guard().
 *
 * The deadline timer is re-armed after every receive batch, tick, peer
 * change and reload; it is left alone when the core's next deadline did
 * not change and the timer is still pending. When it fires, the tick waits
 * for one non-blocking poll first (see on_deadline()).
 *
 * Coordination (election.enabled) lives in coord.c: the term state file,
 * TERM / ROLE / QUORUM events and the outbox of vote messages. This file
 * calls hbd_coord_drain_outbox() after every call into the node that can
 * queue one, and stops the daemon when a term cannot be made durable
 * (hbd_daemon_die_unpersisted()).
 *
 * Configuration reload (SIGHUP, control `reload`) lives in reload.c:
 * on_signal() calls hbd_daemon_reload(); a reload re-arms the timers here
 * through hbd_daemon_arm_send() and hbd_daemon_arm_deadline().
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

/* Delay in ms for a uv timer that must not fire before `target_ns`. */
static uint64_t ms_until(uv_loop_t *loop, uint64_t target_ns)
{
        uint64_t now_ns, now_ms, target_ms;

        uv_update_time(loop);
        now_ms = uv_now(loop);
        now_ns = uv_hrtime();
        /* The loop clock and uv_hrtime() share CLOCK_MONOTONIC's epoch on
         * Linux; should that ever not hold, fall back to a relative
         * delay. */
        if (now_ms * HB_NS_PER_MS > now_ns + HB_NS_PER_S ||
            now_ms * HB_NS_PER_MS + HB_NS_PER_S < now_ns) {
                if (target_ns <= now_ns)
                        return 0;
                return (target_ns - now_ns + HB_NS_PER_MS - 1) / HB_NS_PER_MS;
        }
        target_ms = target_ns / HB_NS_PER_MS +
                    (target_ns % HB_NS_PER_MS != 0 ? 1 : 0);
        return target_ms > now_ms ? target_ms - now_ms : 0;
}

/* ---- sending ------------------------------------------------------ */

/* See daemon.h. */
void hbd_daemon_send_failed(hbd_daemon_t *d, int r, const char *what,
                            const char *address)
{
        uint64_t count;

        if (r == UV_EAGAIN)
                d->counters.tx_eagain++;
        else
                d->counters.tx_errors++;
        if (hbd_ratelimit(&d->send_rl, uv_hrtime(), &count))
                hbd_warn(&d->log, "cannot send to %s (%s): %s (%" PRIu64
                         " failed sends since the last such message)", what,
                         address, uv_strerror(r), count);
}

static void send_to_peers(hbd_daemon_t *d, const uint8_t *buf, size_t len)
{
        const hbd_config_t *cfg = d->cfg;
        size_t i;

        for (i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];
                char what[HBD_NAME_MAX + 8];
                int r;

                if (p->pull)
                        continue; /* polled, runs no hbeatd (checks.c) */
                r = hb_udp_send(d->udp, buf, len,
                                (const struct sockaddr *)&p->addr);
                if (r == 0)
                        continue;
                snprintf(what, sizeof(what), "peer %s", p->name);
                hbd_daemon_send_failed(d, r, what, p->address);
        }
}

static void send_heartbeat(hbd_daemon_t *d, uint64_t now)
{
        int n = hb_node_build_heartbeat(d->node, now, d->tx_buf,
                                        sizeof(d->tx_buf));

        if (n < 0) {
                hbd_error(&d->log, "cannot build a heartbeat: %s",
                          hb_strerror(n));
                return;
        }
        send_to_peers(d, d->tx_buf, (size_t)n);
        hbd_actions_tick(d);
}

static void on_send_timer(uv_timer_t *t);

/* See daemon.h. */
void hbd_daemon_arm_send(hbd_daemon_t *d)
{
        int r = uv_timer_start(&d->send_timer, on_send_timer,
                               ms_until(&d->loop, d->next_send_ns), 0);

        if (r < 0)
                hbd_error(&d->log, "cannot arm the heartbeat timer: %s",
                          uv_strerror(r));
}

/*
 * The local-pause guard. `scheduled` is when the send timer was due; if
 * `now` is later than that by more than the bound, this process did not
 * run for that long (SIGSTOP, a VM pause, swapping, a stalled loop), and
 * every peer's silence over that time is its own doing: the core is told
 * (hb_node_local_pause(): each peer judged as heard now, no inter-arrival
 * sample) before it sees any datagram or tick of the new time. Called
 * from both places that can run first after the pause: the receive path
 * (libuv 1.44 polls for I/O before it runs timers when the pause ends in
 * epoll_wait, so the backlog of heartbeats arrives first) and the send
 * timer. Once per pause: keyed on the schedule slot it missed.
 *
 * Then ACKs are withheld until the backlog is read (pause_drain): an echo
 * request that waited in our buffer would give its sender a round-trip
 * time that measures our pause, not the network.
 */
static bool pause_guard(hbd_daemon_t *d, uint64_t now, bool backlog)
{
        uint64_t bound = d->cfg->local_pause_ns;
        uint64_t scheduled = d->next_send_ns, late, count;

        if (bound == 0 || now <= scheduled || now - scheduled <= bound ||
            d->pause_handled_ns == scheduled)
                return false;
        late = now - scheduled;
        d->pause_handled_ns = scheduled;
        hb_node_local_pause(d->node, now, late);
        hbd_coord_drain_outbox(d);
        d->pause_drain = backlog || hb_udp_pending(d->udp) > 0;
        if (hbd_ratelimit(&d->pause_rl, now, &count))
                hbd_logj(&d->log, HBD_LOG_WARNING,
                         json_pack("{s:I, s:I}", "paused_ms",
                                   (json_int_t)(late / HB_NS_PER_MS),
                                   "pauses", (json_int_t)count),
                         "this process was paused for %" PRIu64 " ms (timer "
                         "late): suspending convictions for one detection "
                         "time (%" PRIu64 " such pauses since the last such "
                         "message)", late / HB_NS_PER_MS, count);
        return true;
}

static void on_send_timer(uv_timer_t *t)
{
        hbd_daemon_t *d = t->data;
        uint64_t interval = hb_node_config(d->node)->interval_ns;
        uint64_t now = uv_hrtime();
        uint64_t scheduled = d->next_send_ns;

        /* Before any tick: a deadline tick deferred to this iteration's
         * check phase then finds every peer freshly re-based. */
        if (pause_guard(d, now, false))
                hbd_daemon_arm_deadline(d);
        send_heartbeat(d, now);
        if (now > scheduled && now - scheduled > interval) {
                d->counters.send_late++;
                hbd_debug(&d->log, "heartbeat %" PRIu64 " ms late; "
                          "re-basing the schedule",
                          (now - scheduled) / HB_NS_PER_MS);
                d->next_send_ns = now + interval;
        } else {
                d->next_send_ns = scheduled + interval;
        }
        hbd_daemon_arm_send(d);
}

/* ---- the core's deadline ------------------------------------------ */

static void on_deadline(uv_timer_t *t);

/* See daemon.h. */
void hbd_daemon_arm_deadline(hbd_daemon_t *d)
{
        uint64_t dl;
        int r;

        /* A pending tick re-arms when it is done. */
        if (d->stopping || d->node == NULL || d->tick_pending)
                return;
        dl = hb_node_next_deadline(d->node);
        if (dl == d->armed_deadline_ns &&
            (dl == HB_NEVER || uv_is_active((uv_handle_t *)&d->deadline_timer)))
                return;
        d->armed_deadline_ns = dl;
        if (dl == HB_NEVER) {
                uv_timer_stop(&d->deadline_timer);
                return;
        }
        r = uv_timer_start(&d->deadline_timer, on_deadline,
                           ms_until(&d->loop, dl), 0);
        if (r < 0)
                hbd_error(&d->log, "cannot arm the deadline timer: %s",
                          uv_strerror(r));
}

static void on_tick_idle(uv_idle_t *h)
{
        (void)h;        /* only there to make the next poll non-blocking */
}

static void on_tick_check(uv_check_t *h)
{
        hbd_daemon_t *d = h->data;

        uv_idle_stop(&d->tick_idle);
        uv_check_stop(&d->tick_check);
        d->tick_pending = false;
        if (d->stopping)
                return;
        hb_node_tick(d->node, uv_hrtime());
        hbd_coord_drain_outbox(d);
        hbd_daemon_arm_deadline(d);
}

/*
 * The deadline is due, but datagrams may be waiting in the socket: libuv
 * runs timers before it polls for I/O, and after the daemon itself was
 * stopped (SIGSTOP, a VM pause, swapping) every peer would look silent
 * although their heartbeats sit in the receive buffer. So the tick runs in
 * the check phase of this same loop iteration, right after a poll made
 * non-blocking by an idle handle: waiting heartbeats are accepted first.
 * Cost: one extra zero-timeout poll per deadline, which in a steady
 * cluster never comes (every heartbeat moves the deadline out).
 */
static void on_deadline(uv_timer_t *t)
{
        hbd_daemon_t *d = t->data;

        if (uv_idle_start(&d->tick_idle, on_tick_idle) < 0 ||
            uv_check_start(&d->tick_check, on_tick_check) < 0) {
                uv_idle_stop(&d->tick_idle);
                hb_node_tick(d->node, uv_hrtime());
                hbd_coord_drain_outbox(d);
                hbd_daemon_arm_deadline(d);
                return;
        }
        d->tick_pending = true;
}

/* ---- receiving ---------------------------------------------------- */

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

/* Send the ACK the core built to the datagram's source address. */
static void send_reply(hbd_daemon_t *d, const hb_recv_info_t *info,
                       const struct sockaddr *from)
{
        char addr[HBU_ADDRESS_MAX];
        int r;

        if (d->pause_drain) {
                d->counters.acks_withheld++;
                return;
        }
        r = hb_udp_send(d->udp, info->reply, info->reply_len, from);
        if (r == 0)
                return;
        hbu_format_address(from, addr, sizeof(addr));
        hbd_daemon_send_failed(d, r, "an echo request's sender", addr);
}

static void on_datagram(void *user, const uint8_t *buf, size_t len,
                        const struct sockaddr *from, int truncated)
{
        hbd_daemon_t *d = user;
        hb_recv_info_t info;
        uint64_t now;
        int r;

        (void)truncated;        /* too long: the core counts it oversized */
        if (d->stopping)
                return;
        now = uv_hrtime();
        /* This datagram may have waited in the buffer through a pause:
         * the core must hear of the pause first. */
        (void)pause_guard(d, now, true);
        r = hb_node_recv(d->node, now, buf, len, &info);
        if (r < 0) {
                log_drop(d, r, from);
                return;
        }
        if (info.reply_len > 0)
                send_reply(d, &info, from);
        if (info.type == HB_MSG_HEARTBEAT)
                hbd_ctl_record_arrival(d->ctl, info.sender_id, info.seq,
                                       info.send_time_ns, now);
}

static void on_batch(void *user)
{
        hbd_daemon_t *d = user;

        /* The backlog of a pause is read once the buffer is empty. */
        if (d->pause_drain && hb_udp_pending(d->udp) == 0)
                d->pause_drain = false;
        hbd_coord_drain_outbox(d);
        hbd_daemon_arm_deadline(d);
}

static void on_rx_error(void *user, int err)
{
        hbd_daemon_t *d = user;
        uint64_t count;

        d->counters.rx_errors++;
        if (hbd_ratelimit(&d->drop_rl[0], uv_hrtime(), &count))
                hbd_warn(&d->log, "receive error: %s (%" PRIu64 " since "
                         "the last such message)", uv_strerror(err), count);
}

/* A heartbeat (or vote) we sent came back as port unreachable: if it was
 * addressed to a peer, that peer's hbeatd is not running (see
 * hb_node_peer_unreachable()). Several peers may share an address only in
 * a broken config (check-config refuses it); the first one is used. */
static void on_unreach(void *user, const struct sockaddr *to)
{
        hbd_daemon_t *d = user;
        const hbd_config_t *cfg = d->cfg;
        size_t i;

        if (d->stopping)
                return;
        for (i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];

                if (!hbu_address_equal((const struct sockaddr *)&p->addr,
                                       to))
                        continue;
                if (hb_node_peer_unreachable(d->node, p->id, uv_hrtime()) >
                    0) {
                        hbd_coord_drain_outbox(d);
                        hbd_daemon_arm_deadline(d);
                }
                return;
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
        case HB_EVENT_PEER_STATE:
                break;
        default:
                return;
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

/* Close everything; the loop ends when the last handle has closed. */
static void teardown(hbd_daemon_t *d)
{
        hbd_notify_t *notify = d->notify;

        hbd_vip_stop(d);        /* no-op after begin_shutdown() */
        hb_udp_close(d->udp);
        d->udp = NULL;
        hbd_checks_stop(d);
        hbd_actions_stop(d);
        hbd_ctl_close(d->ctl);
        d->ctl = NULL;
        hbd_http_close(d->http);
        d->http = NULL;
        close_embedded((uv_handle_t *)&d->send_timer);
        close_embedded((uv_handle_t *)&d->deadline_timer);
        close_embedded((uv_handle_t *)&d->tick_idle);
        close_embedded((uv_handle_t *)&d->tick_check);
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
        uv_timer_stop(&d->send_timer);
        uv_timer_stop(&d->deadline_timer);
        if (uv_timer_start(&d->send_timer, on_fatal_timer, 0, 0) < 0)
                hbd_error(&d->log, "cannot schedule the shutdown");
}

static void on_leave_timer(uv_timer_t *t)
{
        hbd_daemon_t *d = t->data;

        /* The second copy, in case the first was lost. The receiver drops
         * it as a replay if the first arrived. */
        send_to_peers(d, d->tx_buf, (size_t)d->leave_len);
        hbd_info(&d->log, "left the cluster; shutting down");
        teardown(d);
}

static void begin_shutdown(hbd_daemon_t *d, int signum)
{
        int n;

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
        uv_timer_stop(&d->deadline_timer);
        uv_timer_stop(&d->send_timer);
        /* Release the virtual IPs before the peers, told we leave, elect
         * a new leader that adds them. */
        hbd_vip_stop(d);
        n = hb_node_build_leave(d->node, uv_hrtime(), d->tx_buf,
                                sizeof(d->tx_buf));
        if (n < 0) {
                hbd_error(&d->log, "cannot build the leave message: %s",
                          hb_strerror(n));
                teardown(d);
                return;
        }
        d->leave_len = n;
        send_to_peers(d, d->tx_buf, (size_t)n);
        if (uv_timer_start(&d->send_timer, on_leave_timer, 1, 0) < 0)
                on_leave_timer(&d->send_timer);
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

        r = uv_timer_init(&d->loop, &d->send_timer);
        if (r == 0)
                r = uv_timer_init(&d->loop, &d->deadline_timer);
        if (r == 0)
                r = uv_idle_init(&d->loop, &d->tick_idle);
        if (r == 0)
                r = uv_check_init(&d->loop, &d->tick_check);
        if (r < 0)
                return r;
        d->send_timer.data = d;
        d->deadline_timer.data = d;
        d->tick_idle.data = d;
        d->tick_check.data = d;
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
        hb_udp_callbacks_t cbs = {
                .recv = on_datagram, .batch = on_batch, .error = on_rx_error,
                .unreach = on_unreach,
        };
        hb_node_config_t nc;
        char err[1024];
        uint64_t now;
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

        r = hb_udp_open(&d->udp, &d->loop,
                        (const struct sockaddr *)&cfg->listen_addr,
                        HB_UDP_RCVBUF_DEFAULT, &cbs, d);
        if (r < 0) {
                hbd_error(&d->log, "cannot bind UDP socket to %s: %s",
                          cfg->listen, uv_strerror(r));
                return r;
        }
        /* Linux reports twice the size asked for (bookkeeping overhead). */
        if (hb_udp_rcvbuf(d->udp) < HB_UDP_RCVBUF_DEFAULT)
                hbd_info(&d->log, "UDP receive buffer is %d bytes (asked "
                         "for %d; raise net.core.rmem_max for more)",
                         hb_udp_rcvbuf(d->udp), HB_UDP_RCVBUF_DEFAULT);
        if (!hb_udp_batching(d->udp))
                hbd_info(&d->log, "recvmmsg not available; receiving one "
                         "datagram per call");

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
        r = hb_node_new(&d->node, &nc, on_event, d);
        hb_key_wipe(&nc.key);
        hb_key_wipe(&nc.old_key);
        if (r < 0) {
                hbd_error(&d->log, "cannot create the node: %s",
                          hb_strerror(r));
                return r;
        }
        if (nc.coord.enabled) {
                r = hbd_coord_restore_term(d);
                if (r < 0)
                        return r;
        }
        now = uv_hrtime();
        d->start_ns = now;
        d->armed_deadline_ns = HB_NEVER;
        for (i = 0; i < cfg->n_peers; i++) {
                r = hb_node_peer_add(d->node, cfg->peers[i].id, now);
                if (r == 0 && cfg->node.coord.enabled)
                        r = hb_node_peer_set_votes(d->node, cfg->peers[i].id,
                                                   cfg->peers[i].votes);
                if (r < 0) {
                        hbd_error(&d->log, "cannot add peer %s (id %" PRIu32
                                  "): %s", cfg->peers[i].name,
                                  cfg->peers[i].id, hb_strerror(r));
                        return r;
                }
        }
        hbd_coord_drain_outbox(d);
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

        /* First heartbeat now, then on the absolute schedule. */
        send_heartbeat(d, now);
        d->next_send_ns = now + cfg->node.interval_ns;
        hbd_daemon_arm_send(d);
        hbd_daemon_arm_deadline(d);

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
        hb_node_free(d->node);
        hbd_config_free(d->cfg);
        free(d->config_path);
        free(d);
        return code;
}
