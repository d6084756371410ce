/* SPDX-License-Identifier: MIT */
/*
 * The actions module (docs/actions.md): the executor of the resource and
 * VIP safety policy.
 *
 * The decisions (when to fence whom, start, stop, self-fence; when this
 * node may hold the VIPs) are the policy machine's, in libhbeat
 * (include/hbeat/policy.h, src/core/policy.c): the same code the
 * simulator runs on thousands of random histories. This file runs what it
 * decides and reports back:
 *
 *   role events    from the bus, inside the node's event callback
 *                  (with the hierarchy, the global role's: the policy
 *                  follows HB_EVENT_GLOBAL_ROLE there, policy.c):
 *                  hb_policy_on_event() + hb_policy_tick(), so the
 *                  machine decides on the node's view of that event
 *   its waits      one timer at hb_policy_next_deadline()
 *   commands       FENCE, START, STOP, SELF_FENCE run as children of the
 *                  process supervisor (src/io/proc.c: own process group,
 *                  time limit, environment built from scratch), one at a
 *                  time; their end is hb_policy_done(). The start-up and
 *                  shutdown STOPs block the loop (nothing else may happen
 *                  until the resource is down). VIP_ACQUIRE/_RELEASE go on
 *                  the bus as "may act" (the VIP module follows); EXIT
 *                  ends the process with status 3.
 *   notices        each state change is logged once and put on the bus
 *                  (the STATE notice); so are fence results, each attempt
 *                  numbered (the control stream and the notify script
 *                  hear them there), and the backoff before a failed
 *                  fence is retried (FENCE_RETRY) is logged.
 *   the watchdog   the kernel device (fencing.watchdog) is executor-side:
 *                  armed on WATCHDOG_ARM, fed on every heartbeat tick
 *                  until WATCHDOG_HOLD (this node may no longer act, or
 *                  self-fences) or WATCHDOG_DISARM (magic close).
 *
 * Reload: prepare checks the machine's new settings (their pull-peer
 * list allocated there); commit hands them over, which cannot fail.
 *
 * The state is freed from its timer's close callback after the module's
 * stop; the shutdown stop of the resource happens on HBD_EV_LEAVING,
 * before the leave.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/watchdog.h>

#include "daemon/module.h"
#include "io/proc.h"

/* Exit status of hbeatd when a resource could not be stopped. */
#define SELF_FENCE_EXIT 3

struct hbd_actions {
        hbd_ctx_t *ctx;
        hb_policy_t *policy;
        uint32_t *pull;                /* the policy's pull_ids (owned) */

        hb__proc_t *proc;              /* the running command, or NULL */
        hb_policy_cmd_t running;

        const char *last_action;       /* static; NULL before the first */
        int64_t last_exit;             /* -1: none (timed out) */
        char last_result[64];

        char fence_target[HBD_NAME_MAX + 16];
        uint32_t fence_target_id;
        char fence_result[64];         /* "" until the first fence */
        uint64_t fence_term;
        uint64_t fence_attempt;        /* of that target in that term */

        uv_timer_t timer;              /* hb_policy_next_deadline() */
        uint64_t timer_due_ns;
        bool timer_deferred;           /* once, after a pause */
        bool closing;
        int wd_fd;                     /* fencing.watchdog while armed,
                                          else -1 */
        bool wd_hold;                  /* armed but no longer fed */
};

static void drain(struct hbd_actions *a);

static bool configured(const hbd_config_t *cfg)
{
        return cfg->resource_start != NULL || cfg->fence_command != NULL;
}

/* ---- the policy's configuration -------------------------------------- */

/* The machine's view of the config; *pull is allocated (free it). */
static int policy_config(const hbd_config_t *cfg, hb_policy_config_t *pc,
                         uint32_t **pull)
{
        size_t n = 0;

        memset(pc, 0, sizeof(*pc));
        *pull = calloc(cfg->n_peers + 1, sizeof(**pull));
        if (*pull == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < cfg->n_peers; i++)
                if (cfg->peers[i].external)
                        (*pull)[n++] = cfg->peers[i].id;
        pc->resource = cfg->resource_start != NULL;
        pc->fence_command = cfg->fence_command != NULL;
        pc->self_fence = cfg->fence_self != NULL;
        pc->watchdog = cfg->watchdog != NULL;
        pc->watchdog_timeout_ns = cfg->watchdog_timeout_ns;
        pc->stop_timeout_ns = cfg->resource_stop_timeout_ns;
        pc->two_node_delay_ns = cfg->fence_two_node_delay_ns;
        pc->pull_ids = *pull;
        pc->n_pull = n;
        return 0;
}

/* ---- kernel watchdog (fencing.watchdog) ------------------------------
 *
 * Armed (the device opened: Linux starts the timer at open) before a
 * start, fed on every heartbeat sent (HBD_EV_HEARTBEAT_SENT) while this node
 * may act. A paused or killed hbeatd feeds it no more, nor one that
 * stepped down or self-fences (WATCHDOG_HOLD), and the machine resets
 * after the timeout unless the resource is down by then: disarmed with
 * the magic close ("V", then close).
 * See watchdog(4) and the kernel's Documentation/watchdog/watchdog-api.rst.
 */
static int wd_arm(struct hbd_actions *a)
{
        const hbd_config_t *cfg = a->ctx->cfg;
        int secs;

        if (cfg->watchdog == NULL || a->wd_fd >= 0)
                return 0;
        a->wd_fd = open(cfg->watchdog, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (a->wd_fd < 0) {
                hbd_error(a->ctx->log, "watchdog: cannot open %s: %s",
                          cfg->watchdog, strerror(errno));
                return -errno;
        }
        secs = (int)((cfg->watchdog_timeout_ns + HB_NS_PER_S - 1) /
                     HB_NS_PER_S);
        if (ioctl(a->wd_fd, WDIOC_SETTIMEOUT, &secs) < 0)
                hbd_warn(a->ctx->log, "watchdog: %s: cannot set the timeout "
                         "to %d s (%s): the device's own applies",
                         cfg->watchdog, secs, strerror(errno));
        a->wd_hold = false;
        hbd_info(a->ctx->log, "watchdog: %s armed (%d s)", cfg->watchdog,
                 secs);
        return 0;
}

static void wd_feed(struct hbd_actions *a)
{
        if (a->wd_fd >= 0 && !a->wd_hold &&
            write(a->wd_fd, "\0", 1) < 0 && errno != EAGAIN)
                hbd_warn(a->ctx->log, "watchdog: cannot feed %s: %s",
                         a->ctx->cfg->watchdog, strerror(errno));
}

static void wd_disarm(struct hbd_actions *a)
{
        if (a->wd_fd < 0)
                return;
        if (write(a->wd_fd, "V", 1) < 0)
                hbd_warn(a->ctx->log, "watchdog: magic close of %s failed: "
                         "%s", a->ctx->cfg->watchdog, strerror(errno));
        (void)close(a->wd_fd);
        a->wd_fd = -1;
        hbd_info(a->ctx->log, "watchdog: %s disarmed", a->ctx->cfg->watchdog);
}

/* ---- notices ----------------------------------------------------------- */

/* A state change: one log line and one control event. */
static void log_state(struct hbd_actions *a, const hb_policy_cmd_t *c)
{
        bool blocked = c->new_state == HB_POLICY_BLOCKED;
        hbd_event_t ev;

        hbd_logj(a->ctx->log, blocked ? HBD_LOG_ERROR : HBD_LOG_INFO,
                 json_pack("{s:s, s:s, s:I, s:s}", "old_state", c->old_name,
                           "new_state", c->new_name, "term",
                           (json_int_t)c->term, "reason", c->reason),
                 "resource %s -> %s (term %" PRIu64 ", %s)", c->old_name,
                 c->new_name, c->term, c->reason);
        memset(&ev, 0, sizeof(ev));
        ev.kind = HBD_EV_RESOURCE;
        ev.at_ns = uv_hrtime();
        ev.wall_ns = hbd_wall_now_ns();
        ev.resource.old_state = c->old_name;
        ev.resource.new_state = c->new_name;
        ev.resource.reason = c->reason;
        ev.resource.term = c->term;
        hbd_emit(a->ctx, &ev);
}

/* The policy's one signal, for the VIPs. */
static void may_act(struct hbd_actions *a, const hb_policy_cmd_t *c,
                    bool yes)
{
        hbd_event_t ev;

        memset(&ev, 0, sizeof(ev));
        ev.kind = HBD_EV_MAY_ACT;
        ev.at_ns = uv_hrtime();
        ev.wall_ns = hbd_wall_now_ns();
        ev.may_act.may_act = yes;
        ev.may_act.term = c->term;
        ev.may_act.reason = c->reason;
        hbd_emit(a->ctx, &ev);
}

static void set_target(struct hbd_actions *a, const hb_policy_cmd_t *c)
{
        const char *name = hbd_name(a->ctx, c->target_id);

        snprintf(a->fence_target, sizeof(a->fence_target), "%s",
                 name != NULL ? name : "?");
        a->fence_target_id = c->target_id;
        a->fence_term = c->term;
        /* A watchdog wait is one attempt that cannot fail. */
        a->fence_attempt = c->attempt > 0 ? c->attempt : 1;
}

static void fence_report(struct hbd_actions *a, bool ok)
{
        hbd_event_t ev;

        hbd_logj(a->ctx->log, ok ? HBD_LOG_INFO : HBD_LOG_ERROR,
                 json_pack("{s:s, s:I, s:I, s:s, s:I}", "target",
                           a->fence_target, "target_id",
                           (json_int_t)a->fence_target_id, "term",
                           (json_int_t)a->fence_term, "result",
                           a->fence_result, "attempt",
                           (json_int_t)a->fence_attempt),
                 "fence of %s (id %" PRIu32 ", term %" PRIu64 ", attempt %"
                 PRIu64 "): %s%s", a->fence_target, a->fence_target_id,
                 a->fence_term, a->fence_attempt, a->fence_result,
                 ok ? "" : "; the resource is not started");
        memset(&ev, 0, sizeof(ev));
        ev.kind = HBD_EV_FENCE;
        ev.at_ns = uv_hrtime();
        ev.wall_ns = hbd_wall_now_ns();
        ev.fence.target = a->fence_target;
        ev.fence.target_id = a->fence_target_id;
        ev.fence.term = a->fence_term;
        ev.fence.result = a->fence_result;
        ev.fence.attempt = a->fence_attempt;
        ev.fence.ok = ok;
        hbd_emit(a->ctx, &ev);
}

/* Never keep running with a resource in an unknown state. */
static _Noreturn void die_self_fenced(struct hbd_actions *a, const char *why)
{
        hbd_error(a->ctx->log, "resource: %s; exiting with status %d "
                  "(self-fence) rather than keep running with the resource "
                  "half-stopped", why, SELF_FENCE_EXIT);
        fflush(NULL);
        _exit(SELF_FENCE_EXIT);
}

/* ---- running commands ------------------------------------------------ */

/* PATH and the HBEAT_* variables of an action. */
static void action_env(struct hbd_actions *a, hb__env_t *e,
                       const hb_policy_cmd_t *c)
{
        const hbd_config_t *cfg = a->ctx->cfg;

        hb__env_init(e);
        hb__env_add(e, "HBEAT_ACTION=%s", hb_policy_cmd_name(c->kind));
        hb__env_add(e, "HBEAT_NODE=%s", cfg->node_name);
        hb__env_add(e, "HBEAT_NODE_ID=%" PRIu32, cfg->node.node_id);
        hb__env_add(e, "HBEAT_TERM=%" PRIu64, c->term);
        hb__env_add(e, "HBEAT_ROLE=%s", hb_role_name(c->role));
        if (c->kind == HB_POLICY_CMD_FENCE) {
                hb__env_add(e, "HBEAT_FENCE_TARGET=%s", a->fence_target);
                hb__env_add(e, "HBEAT_FENCE_TARGET_ID=%" PRIu32,
                            c->target_id);
        }
}

static uint64_t limit_ns(const hbd_config_t *cfg, hb_policy_cmd_kind_t k)
{
        return k == HB_POLICY_CMD_START ? cfg->resource_start_timeout_ns :
               k == HB_POLICY_CMD_STOP ? cfg->resource_stop_timeout_ns :
               cfg->fence_timeout_ns;
}

/* Record how a command ended; true when it succeeded. */
static bool record(struct hbd_actions *a, const hb_policy_cmd_t *c,
                   const hb__proc_result_t *r)
{
        bool ok = hb__proc_describe(a->last_result, sizeof(a->last_result),
                                    r, limit_ns(a->ctx->cfg, c->kind) /
                                    HB_NS_PER_MS);

        a->last_action = hb_policy_cmd_name(c->kind);
        a->last_exit = r->timed_out ? -1 : r->term_signal != 0 ?
                       128 + r->term_signal : r->exit_status;
        if (!ok)
                hbd_error(a->ctx->log, "%s (term %" PRIu64 ") failed: %s",
                          a->last_action, c->term, a->last_result);
        return ok;
}

/* Tell the machine, and do what it decides next. */
static void report(struct hbd_actions *a, hb_policy_cmd_kind_t kind,
                   bool ok)
{
        (void)hb_policy_done(a->policy, kind, ok, uv_hrtime());
        drain(a);
}

static void on_done(void *arg, const hb__proc_result_t *r)
{
        struct hbd_actions *a = arg;
        hb_policy_cmd_t c = a->running;
        bool ok;

        a->proc = NULL;
        ok = record(a, &c, r);
        if (c.kind == HB_POLICY_CMD_FENCE) {
                snprintf(a->fence_result, sizeof(a->fence_result), "%s",
                         ok ? "ok" : a->last_result);
                fence_report(a, ok);
        }
        report(a, c.kind, ok);
}

/*
 * Run `argv` for command `c`. A spawn failure is reported as a failed
 * run (exit 127, like a shell), so there is one path for failures.
 */
static void run(struct hbd_actions *a, const hb_policy_cmd_t *c,
                char *const *argv)
{
        hb__proc_opts_t o = {
                .argv = argv,
                .timeout_ms = (limit_ns(a->ctx->cfg, c->kind) +
                               HB_NS_PER_MS - 1) / HB_NS_PER_MS,
        };
        hb__proc_result_t failed = { .exit_status = 127 };
        hb__env_t env;
        int r = -ENOMEM;

        a->running = *c;
        action_env(a, &env, c);
        o.env = hb__env_vec(&env);
        if (o.env != NULL)
                r = hb__proc_spawn(&a->proc, a->ctx->loop, &o, on_done, a);
        hb__env_free(&env);
        if (r < 0) {
                hbd_error(a->ctx->log, "%s: cannot run %s: %s",
                          hb_policy_cmd_name(c->kind), argv[0],
                          r == -ENOMEM ? "out of memory" : uv_strerror(r));
                a->proc = NULL;
                on_done(a, &failed);
                return;
        }
        hbd_info(a->ctx->log, "%s: running %s (term %" PRIu64 ", pid %d)",
                 hb_policy_cmd_name(c->kind), argv[0], c->term,
                 hb__proc_pid(a->proc));
}

/*
 * The start-up and shutdown stops: resource.stop, waited for with its
 * time limit, blocking the loop: at shutdown before the leave goes out
 * (another node may take over as soon as it hears it), at start-up before
 * the first heartbeat (a copy left running by a hbeatd that crashed).
 * Blocking is deliberate: nothing else may happen until the resource is
 * down. A stop that cannot run ends the process here; one that fails is
 * reported, and the machine answers EXIT.
 */
static void stop_blocking(struct hbd_actions *a, const hb_policy_cmd_t *c)
{
        const hbd_config_t *cfg = a->ctx->cfg;
        bool shutdown = strcmp(c->reason, "shutdown") == 0;
        const char *when = shutdown ? "shutdown" : "start-up";
        hb__proc_result_t r;
        hb__env_t env;
        char why[64];
        pid_t pid = 0;
        int e = -ENOMEM;

        action_env(a, &env, c);
        if (hb__env_vec(&env) != NULL)
                e = hb__proc_spawn_sync(&pid, cfg->resource_stop,
                                        hb__env_vec(&env));
        hb__env_free(&env);
        if (e < 0) {
                snprintf(why, sizeof(why), "cannot run resource.stop at %s",
                         when);
                die_self_fenced(a, why);
        }
        hbd_info(a->ctx->log, "stop: %s; running %s (term %" PRIu64
                 ", pid %d)", shutdown ? "shutting down"
                 : "start-up, clearing any stale copy",
                 cfg->resource_stop[0], c->term, (int)pid);
        if (hb__proc_wait_sync(pid, (cfg->resource_stop_timeout_ns +
                                     HB_NS_PER_MS - 1) / HB_NS_PER_MS,
                               &r) < 0) {
                snprintf(why, sizeof(why), "lost resource.stop at %s", when);
                die_self_fenced(a, why);
        }
        a->running = *c;
        report(a, HB_POLICY_CMD_STOP, record(a, c, &r));
}

/* ---- the commands ---------------------------------------------------- */

static void execute(struct hbd_actions *a, const hb_policy_cmd_t *c)
{
        const hbd_config_t *cfg = a->ctx->cfg;
        char why[160];

        switch (c->kind) {
        case HB_POLICY_CMD_STATE:
                log_state(a, c);
                break;
        case HB_POLICY_CMD_VIP_ACQUIRE:
                may_act(a, c, true);
                break;
        case HB_POLICY_CMD_VIP_RELEASE:
                may_act(a, c, false);
                break;
        case HB_POLICY_CMD_FENCE:
                set_target(a, c);
                run(a, c, cfg->fence_command);
                break;
        case HB_POLICY_CMD_START:
                run(a, c, cfg->resource_start);
                break;
        case HB_POLICY_CMD_STOP:
                if (c->blocking)
                        stop_blocking(a, c);
                else
                        run(a, c, cfg->resource_stop);
                break;
        case HB_POLICY_CMD_SELF_FENCE:
                hbd_error(a->ctx->log, "resource: %s (%s); self-fencing",
                          c->reason, a->last_result);
                run(a, c, cfg->fence_self);
                break;
        case HB_POLICY_CMD_EXIT:
                snprintf(why, sizeof(why), "%s (%s)", c->reason,
                         a->last_action != NULL ? a->last_result : "-");
                die_self_fenced(a, why);
        case HB_POLICY_CMD_WATCHDOG_ARM: {
                bool ok = wd_arm(a) == 0;

                if (ok)
                        wd_feed(a);
                report(a, c->kind, ok);
                break;
        }
        case HB_POLICY_CMD_WATCHDOG_DISARM:
                wd_disarm(a);
                break;
        case HB_POLICY_CMD_WATCHDOG_HOLD:
                if (a->wd_fd >= 0 && !a->wd_hold)
                        hbd_warn(a->ctx->log, "watchdog: %s no longer fed "
                                 "(the resource may be up and this node "
                                 "may not act): the host resets in %"
                                 PRIu64 " ms unless it is down by then",
                                 cfg->watchdog, cfg->watchdog_timeout_ns /
                                 HB_NS_PER_MS);
                a->wd_hold = true;
                break;
        case HB_POLICY_CMD_FENCE_WAIT:
                hbd_info(a->ctx->log, "fence: waiting %" PRIu64 " ms "
                         "(fencing.two_node_delay_ms, higher node id)",
                         c->wait_ns / HB_NS_PER_MS);
                break;
        case HB_POLICY_CMD_FENCE_SPARED: {
                const char *name = hbd_name(a->ctx, c->target_id);

                hbd_info(a->ctx->log, "fence of %s (id %" PRIu32 ") not "
                         "needed: it reports its resource stopped",
                         name != NULL ? name : "?", c->target_id);
                break;
        }
        case HB_POLICY_CMD_FENCE_WATCHDOG:
                set_target(a, c);
                snprintf(a->fence_result, sizeof(a->fence_result), "ok "
                         "(watchdog: waited %" PRIu64 " ms)",
                         c->wait_ns / HB_NS_PER_MS);
                fence_report(a, true);
                break;
        case HB_POLICY_CMD_FENCE_RETRY: {
                const char *name = hbd_name(a->ctx, c->target_id);

                hbd_logj(a->ctx->log, HBD_LOG_WARNING,
                         json_pack("{s:s, s:I, s:I, s:I, s:I}", "target",
                                   name != NULL ? name : "?", "target_id",
                                   (json_int_t)c->target_id, "term",
                                   (json_int_t)c->term, "attempt",
                                   (json_int_t)c->attempt, "retry_in_ms",
                                   (json_int_t)(c->wait_ns / HB_NS_PER_MS)),
                         "fence of %s (id %" PRIu32 ", term %" PRIu64 "): "
                         "attempt %" PRIu64 " in %" PRIu64 " ms, unless it "
                         "reports its resource stopped first",
                         name != NULL ? name : "?", c->target_id, c->term,
                         c->attempt, c->wait_ns / HB_NS_PER_MS);
                break;
        }
        case HB_POLICY_CMD_NONE:
                break;
        }
}

static void on_timer(uv_timer_t *t);

/* Run everything the machine decided, then wait for its next deadline. */
static void drain(struct hbd_actions *a)
{
        hb_policy_cmd_t c;
        uint64_t due, now;

        while (hb_policy_poll(a->policy, &c) > 0)
                execute(a, &c);
        if (a->closing)
                return;
        due = hb_policy_next_deadline(a->policy);
        if (due == HB_NEVER) {
                uv_timer_stop(&a->timer);
                return;
        }
        now = uv_hrtime();
        a->timer_due_ns = due;
        a->timer_deferred = false;
        (void)uv_timer_start(&a->timer, on_timer, due > now ?
                             (due - now + HB_NS_PER_MS - 1) / HB_NS_PER_MS
                             : 0, 0);
}

static void on_timer(uv_timer_t *t)
{
        struct hbd_actions *a = t->data;
        uint64_t now = uv_hrtime();
        uint64_t bound = hb_node_config(a->ctx->node)->local_pause_ns;

        /*
         * Fired later than the local-pause bound: this process was stopped
         * (SIGSTOP, a VM pause). libuv runs due timers in order, so this
         * one may come before the node's deferred tick, which reads the
         * socket backlog and lets the node find its pause; deciding now
         * would use the view from before the pause (a deposed leader
         * fencing, or starting the resource). Once, look again on the
         * next turn of the loop, after the node's tick.
         */
        if (bound > 0 && now > a->timer_due_ns + bound &&
            !a->timer_deferred) {
                a->timer_deferred = true;
                a->timer_due_ns = now;
                (void)uv_timer_start(t, on_timer, 0, 0);
                return;
        }
        (void)hb_policy_tick(a->policy, now);
        drain(a);
}

/* ---- the module ---------------------------------------------------- */

/*
 * No more decisions: abandon a running command and, if the resource may
 * be up, stop it now, blocking (the machine's shutdown STOP). On a leave
 * this comes before the peers hear it; on any other stop, before exit.
 */
static void shut_down(struct hbd_actions *a)
{
        if (a->closing)
                return;
        a->closing = true;
        uv_timer_stop(&a->timer);
        hb__proc_abandon(a->proc);
        a->proc = NULL;
        (void)hb_policy_shutdown(a->policy, uv_hrtime());
        drain(a);
}

static void on_event(void *state, const hbd_event_t *ev)
{
        struct hbd_actions *a = state;

        if (a->closing)
                return;
        switch (ev->kind) {
        case HBD_EV_CORE:
                /* Peer changes matter too: a two_node peer declared dead
                 * is fenced at once by the lower id (policy.c
                 * race_fence()). */
                if (ev->core->type != HB_EVENT_ROLE &&
                    ev->core->type != HB_EVENT_GLOBAL_ROLE &&
                    ev->core->type != HB_EVENT_PEER_STATE)
                        return;
                (void)hb_policy_on_event(a->policy, ev->core);
                (void)hb_policy_tick(a->policy, uv_hrtime());
                drain(a);
                return;
        case HBD_EV_HEARTBEAT_SENT:
                /* A heartbeat went out on time: the loop runs. */
                wd_feed(a);
                return;
        case HBD_EV_LEAVING:
                shut_down(a);
                return;
        default:
                return;
        }
}

static void status(void *state, json_t *doc)
{
        const struct hbd_actions *a = state;
        json_t *counters = json_object_get(doc, "counters");
        hb_policy_info_t pi;
        json_t *fence;
        uint64_t now;

        if (!configured(a->ctx->cfg)) {
                json_object_set_new(doc, "resource", json_null());
                return;
        }
        hb_policy_info(a->policy, &pi);
        now = uv_hrtime();
        fence = a->fence_result[0] == '\0' ? json_null() :
                json_pack("{s:s, s:I, s:s, s:I, s:I, s:o}", "target",
                          a->fence_target, "target_id",
                          (json_int_t)a->fence_target_id, "result",
                          a->fence_result, "term",
                          (json_int_t)a->fence_term, "attempt",
                          (json_int_t)a->fence_attempt, "next_attempt_ms",
                          pi.fence_retry_ns == HB_NEVER ? json_null() :
                          json_integer((json_int_t)(pi.fence_retry_ns > now ?
                          (pi.fence_retry_ns - now + HB_NS_PER_MS - 1) /
                          HB_NS_PER_MS : 0)));
        json_object_set_new(doc, "resource", json_pack(
                "{s:s, s:I, s:o, s:o, s:o, s:o}",
                "state", pi.state_name,
                "term", (json_int_t)pi.term,
                "last_action", a->last_action != NULL ?
                json_string(a->last_action) : json_null(),
                "last_exit", a->last_action != NULL && a->last_exit >= 0 ?
                json_integer(a->last_exit) : json_null(),
                "last_result", a->last_action != NULL ?
                json_string(a->last_result) : json_null(),
                "fence", fence));
        if (counters != NULL) {
                json_object_set_new(counters, "fence_attempts",
                                    json_integer((json_int_t)
                                                 pi.fence_attempts));
                json_object_set_new(counters, "fence_failures",
                                    json_integer((json_int_t)
                                                 pi.fence_failures));
        }
}

/* A reload's plan: the machine's next settings, checked. */
struct actions_plan {
        hb_policy_config_t pc;
        uint32_t *pull;
};

static void abort_plan(void *state, void *plan)
{
        struct actions_plan *p = plan;

        (void)state;
        if (p)
                free(p->pull);
        free(p);
}

static int prepare(void *state, const hbd_config_t *next, void **plan,
                   char *err, size_t errlen)
{
        struct actions_plan *p = calloc(1, sizeof(*p));

        (void)state;
        if (p == NULL || policy_config(next, &p->pc, &p->pull) < 0) {
                free(p);
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        if (hb_policy_config_validate(&p->pc) < 0) {
                abort_plan(state, p);
                snprintf(err, errlen, "the new resource and fencing "
                         "settings are inconsistent");
                return -EINVAL;
        }
        *plan = p;
        return 0;
}

static void commit(void *state, void *plan)
{
        struct hbd_actions *a = state;
        struct actions_plan *p = plan;
        uint32_t *old = a->pull;

        (void)hb_policy_reconfigure(a->policy, &p->pc); /* checked */
        a->pull = p->pull;
        p->pull = old;
        abort_plan(state, p);
}

static int start(hbd_ctx_t *ctx, void **state)
{
        struct hbd_actions *a;
        hb_policy_config_t pc;
        int r;

        a = calloc(1, sizeof(*a));
        if (a == NULL)
                return -ENOMEM;
        a->ctx = ctx;
        a->wd_fd = -1;
        r = policy_config(ctx->cfg, &pc, &a->pull);
        if (r == 0)
                r = hb_policy_new(&a->policy, &pc, ctx->node);
        if (r < 0) {
                hbd_error(ctx->log, "cannot set up the resource actions: "
                          "%s", strerror(-r));
                free(a->pull);
                free(a);
                return r;
        }
        (void)uv_timer_init(ctx->loop, &a->timer);
        a->timer.data = a;
        *state = a;
        /* With a resource: the start-up stop, here, blocking. */
        (void)hb_policy_start(a->policy, uv_hrtime());
        drain(a);
        return 0;
}

static void on_closed(uv_handle_t *h)
{
        struct hbd_actions *a = h->data;

        hb_policy_free(a->policy);
        free(a->pull);
        free(a);
}

static void stop(void *state, void (*done)(void *), void *arg)
{
        struct hbd_actions *a = state;

        shut_down(a);
        uv_close((uv_handle_t *)&a->timer, on_closed);
        done(arg);
}

const hbd_module_t hbd_actions_module = {
        .name = "actions",
        .events = HBD_EV_CORE | HBD_EV_HEARTBEAT_SENT | HBD_EV_LEAVING,
        .start = start,
        .prepare = prepare,
        .commit = commit,
        .abort = abort_plan,
        .on_event = on_event,
        .status = status,
        .stop = stop,
};
