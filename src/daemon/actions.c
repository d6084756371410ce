/* SPDX-License-Identifier: MIT */
/*
 * Role-driven actions (docs/actions.md): one at-most-one resource started
 * by the leader and stopped when it steps down, and fencing of the
 * previous leader before the start.
 *
 * One state machine, changed only by set_state() (which logs and publishes
 * each change once):
 *
 *     stopped --leader--> fencing --ok--> starting --ok--> started
 *        ^                   |  fence failed                  |
 *        |                   v                         not leader
 *        |               blocked                              v
 *        +------------- stopping <----------------------------+
 *
 * At most one child runs at a time (a->proc): the fence, the start, the
 * stop or the self-fence, each with its time limit, in its own process
 * group (hbd_proc_*, notify.c). Role events only record what is wanted
 * (a->leader); the end of each child, or the event when nothing runs,
 * moves the machine on (proceed()). So a start never overlaps a stop: a
 * node that becomes leader again while its stop runs starts once the stop
 * has ended.
 *
 * The resource starts when this node's leadership is *established* (a
 * quorum has named it leader in heartbeats; hb_coord_info_t), not at the
 * election: a leader paused or cut off right after winning never starts
 * it, and a later leader is sure to hear of it from a node that followed
 * it. Before the start it fences, one after the other: the last leader
 * this node saw in role events that was not itself (a->fence_id; cleared
 * only by a successful fence, so a failed fence is never forgotten by
 * stepping down and back up), and every peer it holds dead, suspect or
 * unknown (it may have crashed with the resource running: Pacemaker's
 * "unclean" nodes). Peers alive or in probation run hbeatd, and hbeatd
 * stops any stale copy of the resource before its first heartbeat
 * (hbd_actions_start()). Pull peers run no hbeatd and are never fenced.
 * The simulator checks this policy on 1,500 random runs (invariant 5 of
 * tests/sim/test_sim_election.c).
 *
 * A stop that fails or hangs leaves the resource in an unknown state
 * while another node may start it: the node self-fences (fencing.
 * self_fence, and unless that exits 0, exit status 3 at once).
 *
 * The state lives in d->actions, created by hbd_actions_start() and freed
 * from its timer's close callback after hbd_actions_stop().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/watchdog.h>

#include "daemon/actions.h"
#include "daemon/ctl_server.h"
#include "daemon/daemon.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define N_ENV 12
/* Exit status of hbeatd when a resource could not be stopped. */
#define SELF_FENCE_EXIT 3

extern char **environ;

typedef enum res_state {
        R_STOPPED,
        R_FENCING,
        R_STARTING,
        R_STARTED,
        R_STOPPING,
        R_BLOCKED,
} res_state_t;

typedef enum act_kind {
        A_NONE,
        A_FENCE,
        A_START,
        A_STOP,
        A_SELF_FENCE,
} act_kind_t;

struct hbd_actions {
        hbd_daemon_t *d;
        res_state_t state;
        char blocked[48];              /* "blocked: fence failed" */

        bool leader;                   /* wanted: this node leads */
        uint64_t leader_term;          /* term it leads in */
        hb_role_t role;                /* last role event */
        uint32_t fence_id;             /* previous leader to fence, or 0 */
        uint32_t *fence_queue;         /* this round's targets still to */
        size_t n_fence_queue;          /*   fence, in order; [0] runs */
        uint64_t fenced_term;          /* round done for this term */
        uint64_t wait_until_ns;        /* waiting for the head target (a
                                          former leader, alive) to report
                                          its resource stopped; 0: not */
        bool start_failed;             /* the running stop cleans up */

        uint64_t term;                 /* term of the resource's actions */
        const char *last_action;       /* static; NULL before the first */
        int64_t last_exit;             /* -1: none (timed out, no run) */
        char last_result[64];

        char fence_target[HBD_NAME_MAX + 16];
        uint32_t fence_target_id;
        char fence_result[64];         /* "" until the first fence */
        uint64_t fence_term;

        hbd_proc_t *proc;
        act_kind_t running;
        uv_timer_t delay;              /* fencing.two_node_delay_ms, and
                                          the waits of the fence queue */
        bool closing;
        uint64_t created_ns;           /* hbd_actions_start() */
        int wd_fd;                     /* fencing.watchdog while armed,
                                          else -1 */
        bool wd_hold;                  /* armed but no longer fed */
};


static void proceed(struct hbd_actions *a);
static void next_fence(struct hbd_actions *a);
static void stop_blocking(struct hbd_actions *a, const char *when);
static void on_delay(uv_timer_t *t);
static void pop_fence(struct hbd_actions *a);
static bool fence_succeeded(struct hbd_actions *a);

static const char *action_name(act_kind_t k)
{
        switch (k) {
        case A_FENCE:
                return "fence";
        case A_START:
                return "start";
        case A_STOP:
                return "stop";
        case A_SELF_FENCE:
                return "self_fence";
        case A_NONE:
                break;
        }
        return "none";
}

static const char *state_name(const struct hbd_actions *a)
{
        switch (a->state) {
        case R_STOPPED:
                return "stopped";
        case R_FENCING:
                return "fencing";
        case R_STARTING:
                return "starting";
        case R_STARTED:
                return "started";
        case R_STOPPING:
                return "stopping";
        case R_BLOCKED:
                return a->blocked;
        }
        return "?";
}

static bool configured(const hbd_config_t *cfg)
{
        return cfg->resource_start != NULL || cfg->fence_command != NULL;
}

/* ---- kernel watchdog (fencing.watchdog) ------------------------------
 *
 * Armed (the device opened: Linux starts the timer at open) from before a
 * start until a stop succeeded, i.e. while the resource may be up here;
 * fed on every heartbeat tick (hbd_actions_tick()). A paused or killed
 * hbeatd feeds it no more and the machine resets after the timeout; a
 * self-fence stops feeding it at once. Disarmed with the magic close
 * ("V", then close) once the resource is down. See watchdog(4) and the
 * kernel's Documentation/watchdog/watchdog-api.rst.
 */
static int wd_arm(struct hbd_actions *a)
{
        const hbd_config_t *cfg = a->d->cfg;
        int secs;

        if (cfg->watchdog == NULL || a->wd_fd >= 0)
                return 0;
        a->wd_fd = open(cfg->watchdog, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (a->wd_fd < 0) {
                hbd_error(&a->d->log, "watchdog: cannot open %s: %s",
                          cfg->watchdog, strerror(errno));
                return -errno;
        }
        secs = (int)((cfg->watchdog_timeout_ns + HB_NS_PER_S - 1) /
                     HB_NS_PER_S);
        if (ioctl(a->wd_fd, WDIOC_SETTIMEOUT, &secs) < 0)
                hbd_warn(&a->d->log, "watchdog: %s: cannot set the timeout "
                         "to %d s (%s): the device's own applies",
                         cfg->watchdog, secs, strerror(errno));
        a->wd_hold = false;
        hbd_info(&a->d->log, "watchdog: %s armed (%d s)", cfg->watchdog,
                 secs);
        return 0;
}

static void wd_feed(struct hbd_actions *a)
{
        if (a->wd_fd >= 0 && !a->wd_hold &&
            write(a->wd_fd, "\0", 1) < 0 && errno != EAGAIN)
                hbd_warn(&a->d->log, "watchdog: cannot feed %s: %s",
                         a->d->cfg->watchdog, strerror(errno));
}

static void wd_disarm(struct hbd_actions *a)
{
        if (a->wd_fd < 0)
                return;
        if (write(a->wd_fd, "V", 1) < 0)
                hbd_warn(&a->d->log, "watchdog: magic close of %s failed: "
                         "%s", a->d->cfg->watchdog, strerror(errno));
        (void)close(a->wd_fd);
        a->wd_fd = -1;
        hbd_info(&a->d->log, "watchdog: %s disarmed", a->d->cfg->watchdog);
}

/* The one place the state changes: one log line and one control event;
 * the resource bit of our heartbeats and the watchdog follow it. */
static void set_state(struct hbd_actions *a, res_state_t to, const char *why)
{
        hbd_daemon_t *d = a->d;
        char from[sizeof(a->blocked)];
        bool up;

        snprintf(from, sizeof(from), "%s", state_name(a));
        if (to == R_BLOCKED)
                snprintf(a->blocked, sizeof(a->blocked), "blocked: %s", why);
        a->state = to;
        /* Peers learn from our heartbeats whether the resource may be up
         * here (a new leader spares a former leader that says no). Up
         * from before a start until a stop succeeded; a self-fence in
         * progress is "may be up". */
        up = to == R_STARTING || to == R_STARTED || to == R_STOPPING ||
             (to == R_BLOCKED && strcmp(why, "self-fencing") == 0);
        if (d->node != NULL && d->cfg->node.coord.enabled)
                (void)hb_node_set_resource(d->node, up);
        if (!up)
                wd_disarm(a);
        else if (to == R_BLOCKED)
                a->wd_hold = true; /* self-fencing: let it fire */
        if (strcmp(from, state_name(a)) == 0)
                return;
        hbd_logj(&d->log, to == R_BLOCKED ? HBD_LOG_ERROR : HBD_LOG_INFO,
                 json_pack("{s:s, s:s, s:I, s:s}", "old_state", from,
                           "new_state", state_name(a), "term",
                           (json_int_t)a->term, "reason", why),
                 "resource %s -> %s (term %" PRIu64 ", %s)", from,
                 state_name(a), a->term, why);
        if (d->ctl != NULL)
                hbd_ctl_publish(d->ctl, json_pack(
                        "{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I}",
                        "event", "resource", "node", d->cfg->node_name,
                        "state", state_name(a), "old_state", from,
                        "term", (json_int_t)a->term, "reason", why,
                        "at_ns", (json_int_t)uv_hrtime(),
                        "wall_time_ns", (json_int_t)hbd_wall_now_ns()));
}

/* "PATH=..." and the HBEAT_* variables common to every action, then the
 * optional extras; NULL-terminated. Returns the count, or -ENOMEM. */
static int build_env(struct hbd_actions *a, char **env, act_kind_t kind,
                     uint64_t term)
{
        hbd_daemon_t *d = a->d;
        const char *path = getenv("PATH");
        int k = 0, r = 0;

        memset(env, 0, N_ENV * sizeof(*env));
        r |= asprintf(&env[k++], "PATH=%s", path != NULL && path[0] != '\0'
                      ? path : DEFAULT_PATH) < 0;
        r |= asprintf(&env[k++], "HBEAT_ACTION=%s", action_name(kind)) < 0;
        r |= asprintf(&env[k++], "HBEAT_NODE=%s", d->cfg->node_name) < 0;
        r |= asprintf(&env[k++], "HBEAT_NODE_ID=%" PRIu32,
                      d->cfg->node.node_id) < 0;
        r |= asprintf(&env[k++], "HBEAT_TERM=%" PRIu64, term) < 0;
        r |= asprintf(&env[k++], "HBEAT_ROLE=%s",
                      hb_role_name(a->role)) < 0;
        if (kind == A_FENCE) {
                r |= asprintf(&env[k++], "HBEAT_FENCE_TARGET=%s",
                              a->fence_target) < 0;
                r |= asprintf(&env[k++], "HBEAT_FENCE_TARGET_ID=%" PRIu32,
                              a->fence_target_id) < 0;
        }
        if (r != 0)
                return -ENOMEM;
        return k;
}

static void free_env(char **env)
{
        for (int i = 0; i < N_ENV; i++)
                free(env[i]);
}

/* "ok", "exit 1", "signal 9", "timed out after 100 ms". */
static bool describe(char *out, size_t len, int64_t status, int sig,
                     bool timed_out, uint64_t limit_ms)
{
        if (timed_out)
                snprintf(out, len, "timed out after %" PRIu64 " ms",
                         limit_ms);
        else if (sig != 0)
                snprintf(out, len, "killed by signal %d", sig);
        else if (status != 0)
                snprintf(out, len, "exit %" PRId64, status);
        else
                snprintf(out, len, "ok");
        return !timed_out && sig == 0 && status == 0;
}

static void on_done(hbd_proc_t *p, void *arg, int64_t status, int sig,
                    bool timed_out);

/*
 * Run `argv` as action `kind`. A spawn failure is reported through
 * on_done() as a failed run (exit 127, like a shell), so every caller
 * has one path for failures.
 */
static void run(struct hbd_actions *a, act_kind_t kind, char *const *argv,
                uint64_t timeout_ns, uint64_t term)
{
        char *env[N_ENV];
        int r;

        a->running = kind;
        r = build_env(a, env, kind, term);
        if (r >= 0)
                r = hbd_proc_spawn(&a->proc, &a->d->loop, argv, env,
                                   (timeout_ns + HB_NS_PER_MS - 1) /
                                   HB_NS_PER_MS, on_done, a);
        free_env(env);
        if (r < 0) {
                hbd_error(&a->d->log, "%s: cannot run %s: %s",
                          action_name(kind), argv[0],
                          r == -ENOMEM ? "out of memory" : uv_strerror(r));
                a->proc = NULL;
                on_done(NULL, a, 127, 0, false);
                return;
        }
        hbd_info(&a->d->log, "%s: running %s (term %" PRIu64 ", pid %d)",
                 action_name(kind), argv[0], term, hbd_proc_pid(a->proc));
}

/* Never keep running with a resource in an unknown state. */
static _Noreturn void die_self_fenced(struct hbd_actions *a, const char *why)
{
        hbd_error(&a->d->log, "resource: %s; exiting with status %d "
                  "(self-fence) rather than keep running with the resource "
                  "half-stopped", why, SELF_FENCE_EXIT);
        fflush(NULL);
        _exit(SELF_FENCE_EXIT);
}

static void self_fence(struct hbd_actions *a, const char *why)
{
        const hbd_config_t *cfg = a->d->cfg;

        if (cfg->fence_self == NULL)
                die_self_fenced(a, why);
        hbd_error(&a->d->log, "resource: %s; self-fencing", why);
        set_state(a, R_BLOCKED, "self-fencing");
        run(a, A_SELF_FENCE, cfg->fence_self, cfg->fence_timeout_ns,
            a->term);
}

static void fence_report(struct hbd_actions *a, bool ok)
{
        hbd_daemon_t *d = a->d;
        hbd_notify_node_t me = { d->cfg->node_name, d->cfg->node.node_id };

        hbd_logj(&d->log, ok ? HBD_LOG_INFO : HBD_LOG_ERROR,
                 json_pack("{s:s, s:I, s:I, s:s}", "target",
                           a->fence_target, "target_id",
                           (json_int_t)a->fence_target_id, "term",
                           (json_int_t)a->fence_term, "result",
                           a->fence_result),
                 "fence of %s (id %" PRIu32 ", term %" PRIu64 "): %s%s",
                 a->fence_target, a->fence_target_id, a->fence_term,
                 a->fence_result, ok ? "" : "; the resource is not started");
        if (d->ctl != NULL)
                hbd_ctl_publish(d->ctl, json_pack(
                        "{s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:I}",
                        "event", "fence", "node", d->cfg->node_name,
                        "target", a->fence_target, "target_id",
                        (json_int_t)a->fence_target_id, "term",
                        (json_int_t)a->fence_term, "result",
                        a->fence_result, "ok", (int)ok, "at_ns",
                        (json_int_t)uv_hrtime()));
        hbd_notify_fence(d->notify, &me, a->fence_target, a->fence_target_id,
                         a->fence_term, a->fence_result);
}

static void on_done(hbd_proc_t *p, void *arg, int64_t status, int sig,
                    bool timed_out)
{
        struct hbd_actions *a = arg;
        const hbd_config_t *cfg = a->d->cfg;
        act_kind_t kind = a->running;
        uint64_t limit_ns;
        bool ok;
        char res[64];

        (void)p;
        a->proc = NULL;
        a->running = A_NONE;
        limit_ns = kind == A_START ? cfg->resource_start_timeout_ns :
                   kind == A_STOP ? cfg->resource_stop_timeout_ns :
                   cfg->fence_timeout_ns;
        ok = describe(res, sizeof(res), status, sig, timed_out,
                      limit_ns / HB_NS_PER_MS);
        a->last_action = action_name(kind);
        a->last_exit = timed_out ? -1 : sig != 0 ? 128 + sig : status;
        snprintf(a->last_result, sizeof(a->last_result), "%s", res);
        if (!ok)
                hbd_error(&a->d->log, "%s (term %" PRIu64 ") failed: %s",
                          action_name(kind), a->term, res);

        switch (kind) {
        case A_FENCE:
                snprintf(a->fence_result, sizeof(a->fence_result), "%s",
                         ok ? "ok" : res);
                fence_report(a, ok);
                if (!ok) {
                        set_state(a, R_BLOCKED, "fence failed");
                        return;
                }
                if (fence_succeeded(a))
                        return;
                break;
        case A_START:
                if (ok) {
                        set_state(a, R_STARTED, "started");
                        break;
                }
                /* Clean up whatever half-started. */
                a->start_failed = true;
                set_state(a, R_STOPPING, "start failed");
                run(a, A_STOP, cfg->resource_stop,
                    cfg->resource_stop_timeout_ns, a->term);
                return;
        case A_STOP:
                if (!ok) {
                        snprintf(res, sizeof(res), "stop %.56s",
                                 a->last_result);
                        self_fence(a, res);
                        return;
                }
                if (a->start_failed && a->leader) {
                        a->start_failed = false;
                        set_state(a, R_BLOCKED, "start failed");
                        return;
                }
                a->start_failed = false;
                set_state(a, R_STOPPED, "stopped");
                break;
        case A_SELF_FENCE:
                if (!ok)
                        die_self_fenced(a, "self_fence failed");
                set_state(a, R_STOPPED, "self-fenced");
                break;
        case A_NONE:
                break;
        }
        proceed(a);
}

static void start_fence(struct hbd_actions *a)
{
        const hbd_config_t *cfg = a->d->cfg;

        run(a, A_FENCE, cfg->fence_command, cfg->fence_timeout_ns, a->term);
}

/* The head target is fenced: drop it; go on with the next one (true) or
 * end the round (false: the caller moves the machine on). */
static bool fence_succeeded(struct hbd_actions *a)
{
        if (a->fence_target_id == a->fence_id)
                a->fence_id = 0;
        pop_fence(a);
        if (a->n_fence_queue > 0 && a->leader) {
                next_fence(a);
                return true;
        }
        a->fenced_term = a->term;
        set_state(a, R_STOPPED, "fenced");
        return false;
}

/*
 * Watchdog fencing (fencing.watchdog without fencing.command): a target
 * that may hold the resource has had its watchdog armed, and stops
 * feeding it when it stops running or cannot prove its lease; waiting
 * the timeout plus two intervals after we last heard it (after our own
 * start, for a peer never heard) is as good as a fence (SBD's
 * stonith-watchdog-timeout). Returns the ns still to wait, 0 when done.
 */
static uint64_t watchdog_wait_ns(struct hbd_actions *a, uint32_t id)
{
        const hbd_config_t *cfg = a->d->cfg;
        uint64_t now = uv_hrtime(), from = a->created_ns, until;
        hb_peer_info_t pi;

        if (hb_node_peer_info(a->d->node, id, now, &pi) == 0 &&
            pi.last_arrival_ns != HB_NEVER && pi.last_arrival_ns > from)
                from = pi.last_arrival_ns;
        until = from + cfg->watchdog_timeout_ns + 2 * cfg->node.interval_ns;
        return now >= until ? 0 : until - now;
}

/* Drop the head of the fence queue. */
static void pop_fence(struct hbd_actions *a)
{
        if (a->n_fence_queue == 0)
                return;
        memmove(a->fence_queue, a->fence_queue + 1,
                (a->n_fence_queue - 1) * sizeof(*a->fence_queue));
        a->n_fence_queue--;
        a->wait_until_ns = 0;
}

/*
 * The head target is the former leader, alive (or in probation): when its
 * heartbeats say its resource is stopped, it needs no fence; while they
 * say it may be up, its stop is given its time limit (resource.
 * stop_timeout_ms, after which it self-fences) plus two intervals. One
 * that left the cluster stopped its resource first. 1: spared, 0: wait,
 * -1: fence it.
 */
static int former_leader(struct hbd_actions *a, uint32_t id)
{
        const hbd_config_t *cfg = a->d->cfg;
        uint64_t now = uv_hrtime();
        hb_peer_info_t pi;

        if (id != a->fence_id ||
            hb_node_peer_info(a->d->node, id, now, &pi) < 0)
                return -1;
        /* A leave comes only after the resource was stopped (shutdown
         * stops it first; a failed stop exits 3 without a leave). */
        if (pi.state == HB_PEER_LEFT)
                return 1;
        if ((pi.state != HB_PEER_ALIVE && pi.state != HB_PEER_PROBATION) ||
            !pi.coordinating)
                return -1;
        if (!pi.resource_up)
                return 1;
        if (a->wait_until_ns == 0)
                a->wait_until_ns = now + cfg->resource_stop_timeout_ns +
                                   2 * cfg->node.interval_ns;
        return now < a->wait_until_ns ? 0 : -1;
}

/* Work through the fence queue: spare, wait for, or fence its head; when
 * it is empty, the round is done and the start may go. */
static void next_fence(struct hbd_actions *a)
{
        uint32_t id = 0;
        const char *name = NULL;
        int r;

        while (a->n_fence_queue > 0) {
                id = a->fence_queue[0];
                name = hbd_node_name(a->d, id);
                r = former_leader(a, id);
                if (r < 0)
                        break;
                if (r == 0) {
                        /* Look again in one interval (on_delay). */
                        (void)uv_timer_start(&a->delay, on_delay,
                                             a->d->cfg->node.interval_ns /
                                                     HB_NS_PER_MS, 0);
                        return;
                }
                hbd_info(&a->d->log, "fence of %s (id %" PRIu32 ") not "
                         "needed: it reports its resource stopped",
                         name != NULL ? name : "?", id);
                a->fence_id = 0;
                pop_fence(a);
        }
        if (a->n_fence_queue == 0) {
                a->fenced_term = a->term;
                set_state(a, R_STOPPED, "nothing to fence");
                proceed(a);
                return;
        }
        snprintf(a->fence_target, sizeof(a->fence_target), "%s",
                 name != NULL ? name : "?");
        a->fence_target_id = id;
        a->fence_term = a->term;
        if (a->d->cfg->fence_command == NULL) {
                uint64_t wait = watchdog_wait_ns(a, id);

                if (wait > 0) {
                        (void)uv_timer_start(&a->delay, on_delay,
                                             (wait + HB_NS_PER_MS - 1) /
                                                     HB_NS_PER_MS, 0);
                        return;
                }
                snprintf(a->fence_result, sizeof(a->fence_result), "ok "
                         "(watchdog: waited %" PRIu64 " ms)",
                         a->d->cfg->watchdog_timeout_ns / HB_NS_PER_MS);
                fence_report(a, true);
                if (!fence_succeeded(a))
                        proceed(a);
                return;
        }
        start_fence(a);
}

/*
 * This round's targets (see the top of this file): the last other leader
 * seen, then every peer held dead, suspect or unknown. Returns how many;
 * -ENOMEM (nothing queued).
 */
static int build_fence_queue(struct hbd_actions *a)
{
        const hbd_config_t *cfg = a->d->cfg;
        uint64_t now = uv_hrtime();
        size_t n = 0;
        uint32_t *q;

        a->n_fence_queue = 0;
        q = realloc(a->fence_queue, (cfg->n_peers + 1) * sizeof(*q));
        if (q == NULL)
                return -ENOMEM;
        a->fence_queue = q;
        a->wait_until_ns = 0;
        if (a->fence_id != 0)
                q[n++] = a->fence_id;
        for (size_t i = 0; i < cfg->n_peers; i++) {
                const hbd_peer_conf_t *p = &cfg->peers[i];
                hb_peer_info_t pi;

                if (p->pull || p->id == a->fence_id ||
                    hb_node_peer_info(a->d->node, p->id, now, &pi) < 0)
                        continue;
                if (pi.state == HB_PEER_DEAD || pi.state == HB_PEER_SUSPECT ||
                    pi.state == HB_PEER_UNKNOWN)
                        q[n++] = p->id;
        }
        a->n_fence_queue = n;
        return (int)n;
}

static void on_delay(uv_timer_t *t)
{
        struct hbd_actions *a = t->data;

        if (a->state == R_FENCING && a->leader && a->proc == NULL &&
            a->n_fence_queue > 0)
                next_fence(a);
}

/* In a two-node cluster both nodes may try to fence each other at once;
 * the higher node id waits, so the lower one wins (same answer on both
 * nodes, from their configs alone). */
static uint64_t fence_delay_ms(const struct hbd_actions *a)
{
        const hbd_config_t *cfg = a->d->cfg;

        if (!cfg->node.coord.two_node || cfg->n_peers != 1 ||
            cfg->fence_two_node_delay_ns == 0 ||
            cfg->node.node_id < cfg->peers[0].id)
                return 0;
        return cfg->fence_two_node_delay_ns / HB_NS_PER_MS;
}

/* Move towards what is wanted, when no child runs. */
static void proceed(struct hbd_actions *a)
{
        const hbd_config_t *cfg = a->d->cfg;
        uint64_t ms;
        int r;

        if (a->proc != NULL || a->closing)
                return;
        if (!a->leader) {
                if (a->state == R_STARTED) {
                        set_state(a, R_STOPPING, "no longer leader");
                        run(a, A_STOP, cfg->resource_stop,
                            cfg->resource_stop_timeout_ns, a->term);
                } else if (a->state == R_FENCING || a->state == R_BLOCKED) {
                        uv_timer_stop(&a->delay);
                        set_state(a, R_STOPPED, "no longer leader");
                }
                return;
        }
        if (a->state == R_STARTED || a->state == R_STARTING ||
            a->state == R_STOPPING || a->state == R_FENCING)
                return;
        /* stopped or blocked, and leader: fence (if needed), then start. */
        if (a->term != a->leader_term && a->state == R_BLOCKED)
                a->state = R_STOPPED;  /* a new term retries */
        else if (a->state == R_BLOCKED)
                return;
        a->term = a->leader_term;
        if ((cfg->fence_command != NULL || cfg->watchdog != NULL) &&
            a->fenced_term != a->term && (r = build_fence_queue(a)) != 0) {
                if (r < 0) {
                        snprintf(a->fence_result, sizeof(a->fence_result),
                                 "out of memory");
                        set_state(a, R_BLOCKED, "fence failed");
                        return;
                }
                set_state(a, R_FENCING, "became leader");
                ms = fence_delay_ms(a);
                if (ms > 0) {
                        hbd_info(&a->d->log, "fence: waiting %" PRIu64
                                 " ms (fencing.two_node_delay_ms, higher "
                                 "node id)", ms);
                        if (uv_timer_start(&a->delay, on_delay, ms, 0) == 0)
                                return;
                }
                next_fence(a);
                return;
        }
        if (cfg->resource_start == NULL)
                return;
        if (wd_arm(a) < 0) {
                set_state(a, R_BLOCKED, "watchdog unavailable");
                return;
        }
        wd_feed(a);
        set_state(a, R_STARTING, "leader");
        run(a, A_START, cfg->resource_start, cfg->resource_start_timeout_ns,
            a->term);
}

/* See actions.h. */
void hbd_actions_on_role(hbd_daemon_t *d, const hb_event_t *ev)
{
        struct hbd_actions *a = d->actions;

        if (a == NULL || a->closing)
                return;
        a->role = ev->new_role;
        if (ev->leader_id != 0 && ev->leader_id != d->cfg->node.node_id)
                a->fence_id = ev->leader_id;
        if (!configured(d->cfg))
                return;
        /* Wanted only once established (see the top of this file). */
        if (ev->new_role == HB_ROLE_LEADER && ev->established) {
                a->leader = true;
                a->leader_term = ev->term;
        } else {
                a->leader = false;
        }
        proceed(a);
}

/* See actions.h. */
void hbd_actions_tick(hbd_daemon_t *d)
{
        if (d->actions != NULL)
                wd_feed(d->actions);
}

json_t *hbd_actions_json(const hbd_daemon_t *d)
{
        const struct hbd_actions *a = d->actions;
        json_t *fence;

        if (a == NULL || !configured(d->cfg))
                return json_null();
        fence = a->fence_result[0] == '\0' ? json_null() :
                json_pack("{s:s, s:I, s:s, s:I}", "target", a->fence_target,
                          "target_id", (json_int_t)a->fence_target_id,
                          "result", a->fence_result, "term",
                          (json_int_t)a->fence_term);
        return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}",
                         "state", state_name(a),
                         "term", (json_int_t)a->term,
                         "last_action", a->last_action != NULL ?
                         json_string(a->last_action) : json_null(),
                         "last_exit", a->last_action != NULL &&
                         a->last_exit >= 0 ? json_integer(a->last_exit) :
                         json_null(),
                         "last_result", a->last_action != NULL ?
                         json_string(a->last_result) : json_null(),
                         "fence", fence);
}

int hbd_actions_start(hbd_daemon_t *d)
{
        struct hbd_actions *a;
        int r;

        if (d->actions != NULL)
                return -EBUSY;
        a = calloc(1, sizeof(*a));
        if (a == NULL)
                return -ENOMEM;
        a->d = d;
        a->role = HB_ROLE_NO_QUORUM;
        r = uv_timer_init(&d->loop, &a->delay);
        if (r < 0) {
                free(a);
                return r;
        }
        a->delay.data = a;
        a->created_ns = uv_hrtime();
        a->wd_fd = -1;
        d->actions = a;
        if (d->cfg->resource_stop != NULL)
                stop_blocking(a, "start-up");
        return 0;
}

static void on_closed(uv_handle_t *h)
{
        struct hbd_actions *a = h->data;

        free(a->fence_queue);
        free(a);
}

/*
 * Run resource.stop and wait for it, with its time limit, blocking the
 * loop: at shutdown with the resource up (or coming up), before the leave
 * goes out, since another node may take over as soon as it hears it; at
 * start-up, before the first heartbeat, to clear a copy left running by a
 * previous hbeatd that crashed. Blocking is deliberate: nothing else may
 * happen until the resource is down. A stop that fails or cannot run ends
 * the process (self-fence, exit 3).
 */
static void stop_blocking(struct hbd_actions *a, const char *when)
{
        const hbd_config_t *cfg = a->d->cfg;
        uint64_t limit_ns = cfg->resource_stop_timeout_ns;
        uint64_t t0 = uv_hrtime();
        posix_spawnattr_t attr;
        char *env[N_ENV];
        char why[64];
        pid_t pid = 0;
        int r, status = 0;

        a->role = HB_ROLE_FOLLOWER;
        if (build_env(a, env, A_STOP, a->term) < 0) {
                free_env(env);
                snprintf(why, sizeof(why), "out of memory at %s", when);
                die_self_fenced(a, why);
        }
        posix_spawnattr_init(&attr);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        r = posix_spawnp(&pid, cfg->resource_stop[0], NULL, &attr,
                         cfg->resource_stop, env);
        posix_spawnattr_destroy(&attr);
        free_env(env);
        if (r != 0) {
                snprintf(why, sizeof(why), "cannot run resource.stop at %s",
                         when);
                die_self_fenced(a, why);
        }
        hbd_info(&a->d->log, "stop: %s; running %s (term %" PRIu64
                 ", pid %d)", strcmp(when, "shutdown") == 0 ? "shutting down"
                 : "start-up, clearing any stale copy",
                 cfg->resource_stop[0], a->term, (int)pid);
        for (;;) {
                struct timespec ts = { 0, 10 * 1000 * 1000 };
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR) {
                        snprintf(why, sizeof(why), "lost resource.stop at %s",
                                 when);
                        die_self_fenced(a, why);
                }
                if (uv_hrtime() - t0 > limit_ns) {
                        (void)kill(-pid, SIGKILL);
                        (void)waitpid(pid, &status, 0);
                        snprintf(why, sizeof(why), "resource.stop timed out "
                                 "at %s", when);
                        die_self_fenced(a, why);
                }
                nanosleep(&ts, NULL);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                snprintf(why, sizeof(why), "resource.stop failed at %s",
                         when);
                die_self_fenced(a, why);
        }
        a->last_action = "stop";
        a->last_exit = 0;
        set_state(a, R_STOPPED, when);
}

void hbd_actions_stop(hbd_daemon_t *d)
{
        struct hbd_actions *a = d->actions;
        bool up;

        if (a == NULL || a->closing)
                return;
        up = a->state == R_STARTED || a->state == R_STARTING ||
             a->state == R_STOPPING ||
             (a->state == R_BLOCKED && a->running == A_SELF_FENCE);
        a->closing = true;
        if (a->proc != NULL) {
                hbd_proc_abandon(a->proc);
                a->proc = NULL;
        }
        if (up && d->cfg->resource_stop != NULL)
                stop_blocking(a, "shutdown");
        d->actions = NULL;
        uv_close((uv_handle_t *)&a->delay, on_closed);
}
