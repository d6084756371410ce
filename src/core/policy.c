/* SPDX-License-Identifier: MIT */
/*
 * DOC: policy — the resource and VIP safety policy (sans-I/O; policy.h).
 *
 * What lives here: the at-most-one resource's state machine (stopped,
 * fencing, starting, started, stopping, blocked), its fence queue, the
 * waits (two-node delay, a former leader's stop, the watchdog, the
 * backoff before a failed fence is retried) and the one "may act" signal
 * the VIPs follow too. It was src/daemon/actions.c's
 * libuv-bound core; it moved here so that the simulator runs the code
 * hbeatd runs (tests/sim/test_sim_policy.c) instead of a model of it.
 *
 * Who calls what: the executor feeds role events (hb_policy_on_event(),
 * which only records) and time (hb_policy_tick(), which decides, also at
 * hb_policy_next_deadline()), drains commands (hb_policy_poll()) and
 * reports the end of each one (hb_policy_done()). Nothing here reads a
 * clock, runs anything or logs. The node is read through its read-only
 * calls only; the one write, hb_node_set_resource(), sets a bit that the
 * next heartbeat carries, so everything here may run inside the node's
 * event callback.
 *
 * The one function that changes the state is set_state(): it queues one
 * STATE notice per change of name, sets the node's resource bit and asks
 * for the watchdog to be disarmed when the resource is down. proceed()
 * moves towards what is wanted when no command runs; it is idempotent, so
 * tick may call it at any time.
 *
 * The rules are those of docs/actions.md; the comments below say why
 * where it is not obvious.
 */
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "hbeat/policy.h"

#define CMD_QUEUE 64
#define MAX_DURATION_NS (3600 * HB_NS_PER_S)

typedef enum blocked {
        B_NONE = 0,
        B_FENCE_FAILED,
        B_START_FAILED,
        B_SELF_FENCING,
        B_WATCHDOG,
} blocked_t;

struct hb_policy {
        hb_policy_config_t cfg;        /* pull_ids borrowed (policy.h) */
        hb_node_t *node;
        bool started;                  /* hb_policy_start() called */
        bool closed;                   /* shut down or exited */

        /* Recorded from role events. */
        hb_role_t role;
        uint64_t role_term;
        bool may_act;                  /* leader and established */
        uint64_t leader_term;          /* term it may act in */
        uint32_t fence_id;             /* last other leader named, or 0 */
        bool vip_held;

        /* The resource. */
        hb_policy_state_t state;
        blocked_t blocked;
        bool resource_up;
        bool wd_armed;
        bool wd_held;                  /* armed, no longer to be fed */
        uint64_t elected_ns;           /* when this node last became
                                          leader (its role event) */
        hb_policy_cmd_kind_t running;  /* awaiting hb_policy_done() */
        bool blocking;                 /* the running STOP is start-up's
                                          or shutdown's */
        bool start_failed;             /* the running stop cleans up */
        uint64_t term;                 /* of the resource's actions */
        uint32_t *queue;               /* this round's targets still to */
        size_t n_queue, cap_queue;     /*   fence, in order; [0] next */
        uint32_t target;               /* being fenced */
        uint64_t fenced_term;          /* round done for this term */
        uint64_t spare_until_ns;       /* waiting for the head target (an
                                          alive former leader) to report
                                          its resource stopped; 0: not */
        uint64_t timer_ns;             /* the wait of FENCING, or of the
                                          fence retry, or HB_NEVER */
        uint64_t attempt;              /* fences run against the head
                                          target in this round */
        uint64_t retry_ns;             /* blocked: fence failed; the next
                                          attempt is due then (HB_NEVER:
                                          none: not leading, or no memory) */
        bool race_armed;               /* two_node: the peer was seen up
                                          since our last race fence */
        uint64_t fence_attempts;       /* FENCE commands issued */
        uint64_t fence_failures;       /* of those, failed */
        uint64_t created_ns;           /* hb_policy_start() */

        hb_policy_cmd_t cmds[CMD_QUEUE];
        size_t cmd_head, n_cmds;
        uint64_t dropped;
};

static void proceed(hb_policy_t *p, uint64_t now);
static void next_fence(hb_policy_t *p, uint64_t now);

/* ---- names ------------------------------------------------------- */

const char *hb_policy_cmd_name(hb_policy_cmd_kind_t kind)
{
        switch (kind) {
        case HB_POLICY_CMD_STATE:
                return "state";
        case HB_POLICY_CMD_VIP_ACQUIRE:
                return "vip_acquire";
        case HB_POLICY_CMD_VIP_RELEASE:
                return "vip_release";
        case HB_POLICY_CMD_FENCE:
                return "fence";
        case HB_POLICY_CMD_START:
                return "start";
        case HB_POLICY_CMD_STOP:
                return "stop";
        case HB_POLICY_CMD_SELF_FENCE:
                return "self_fence";
        case HB_POLICY_CMD_EXIT:
                return "exit";
        case HB_POLICY_CMD_WATCHDOG_ARM:
                return "watchdog_arm";
        case HB_POLICY_CMD_WATCHDOG_DISARM:
                return "watchdog_disarm";
        case HB_POLICY_CMD_WATCHDOG_HOLD:
                return "watchdog_hold";
        case HB_POLICY_CMD_FENCE_WAIT:
                return "fence_wait";
        case HB_POLICY_CMD_FENCE_SPARED:
                return "fence_spared";
        case HB_POLICY_CMD_FENCE_WATCHDOG:
                return "fence_watchdog";
        case HB_POLICY_CMD_FENCE_RETRY:
                return "fence_retry";
        case HB_POLICY_CMD_NONE:
                break;
        }
        return "none";
}

static const char *state_name(hb_policy_state_t s, blocked_t b)
{
        switch (s) {
        case HB_POLICY_STOPPED:
                return "stopped";
        case HB_POLICY_FENCING:
                return "fencing";
        case HB_POLICY_STARTING:
                return "starting";
        case HB_POLICY_STARTED:
                return "started";
        case HB_POLICY_STOPPING:
                return "stopping";
        case HB_POLICY_BLOCKED:
                break;
        }
        switch (b) {
        case B_FENCE_FAILED:
                return "blocked: fence failed";
        case B_START_FAILED:
                return "blocked: start failed";
        case B_SELF_FENCING:
                return "blocked: self-fencing";
        case B_WATCHDOG:
                return "blocked: watchdog unavailable";
        case B_NONE:
                break;
        }
        return "blocked";
}

/* ---- configuration ----------------------------------------------- */

static int config_check(const hb_policy_config_t *cfg)
{
        for (size_t i = 0; cfg != NULL && i < HB_ARRAY_SIZE(cfg->reserved);
             i++)
                if (cfg->reserved[i] != 0)
                        return -EINVAL;  /* a later version's setting */
        if (cfg == NULL || (cfg->n_pull > 0 && cfg->pull_ids == NULL) ||
            (cfg->watchdog && (cfg->watchdog_timeout_ns < HB_NS_PER_MS ||
                               cfg->watchdog_timeout_ns > MAX_DURATION_NS)) ||
            cfg->stop_timeout_ns > MAX_DURATION_NS ||
            cfg->two_node_delay_ns > MAX_DURATION_NS)
                return -EINVAL;
        return 0;
}

int hb_policy_config_validate(const hb_policy_config_t *cfg)
{
        return config_check(cfg);
}

int hb_policy_new(hb_policy_t **ret, const hb_policy_config_t *cfg,
                  hb_node_t *node)
{
        hb_policy_t *p;

        if (ret == NULL || node == NULL || config_check(cfg) < 0)
                return -EINVAL;
        p = hb__calloc(1, sizeof(*p));
        if (p == NULL)
                return -ENOMEM;
        p->cfg = *cfg;
        p->node = node;
        p->role = HB_ROLE_NO_QUORUM;
        p->timer_ns = HB_NEVER;
        p->retry_ns = HB_NEVER;
        *ret = p;
        return 0;
}

void hb_policy_free(hb_policy_t *p)
{
        if (p == NULL)
                return;
        hb__free(p->queue);
        hb__free(p);
}

int hb_policy_reconfigure(hb_policy_t *p, const hb_policy_config_t *cfg)
{
        if (p == NULL || config_check(cfg) < 0)
                return -EINVAL;
        p->cfg = *cfg;
        return 0;
}

/* ---- the command queue ------------------------------------------- */

static hb_policy_cmd_t *push(hb_policy_t *p, hb_policy_cmd_kind_t kind)
{
        hb_policy_cmd_t *c;

        if (p->n_cmds == CMD_QUEUE) {
                /* Cannot happen when drained after every call (see
                 * policy.h); keep the newest, as the node's queue does. */
                p->cmd_head = (p->cmd_head + 1) % CMD_QUEUE;
                p->n_cmds--;
                p->dropped++;
        }
        c = &p->cmds[(p->cmd_head + p->n_cmds++) % CMD_QUEUE];
        memset(c, 0, sizeof(*c));
        c->kind = kind;
        c->term = p->term;
        c->role = p->role;
        c->reason = "";
        return c;
}

/* A command that reports back through hb_policy_done(). */
static hb_policy_cmd_t *run(hb_policy_t *p, hb_policy_cmd_kind_t kind,
                            const char *reason)
{
        hb_policy_cmd_t *c = push(p, kind);

        p->running = kind;
        c->reason = reason;
        return c;
}

int hb_policy_poll(hb_policy_t *p, hb_policy_cmd_t *out)
{
        if (p == NULL || out == NULL)
                return -EINVAL;
        if (p->n_cmds == 0)
                return 0;
        *out = p->cmds[p->cmd_head];
        p->cmd_head = (p->cmd_head + 1) % CMD_QUEUE;
        p->n_cmds--;
        return 1;
}

/* ---- the one place the state changes ------------------------------ */

/*
 * Peers learn from our heartbeats whether the resource may be up here (a
 * new leader spares a former leader that says no): up from before a start
 * until a stop succeeded; a self-fence in progress is "may be up". The
 * watchdog is disarmed only once it is down.
 */
static void set_state(hb_policy_t *p, hb_policy_state_t to, blocked_t b,
                      const char *why)
{
        const char *from = state_name(p->state, p->blocked);
        hb_policy_state_t old = p->state;
        hb_policy_cmd_t *c;

        p->state = to;
        p->blocked = to == HB_POLICY_BLOCKED ? b : B_NONE;
        p->resource_up = to == HB_POLICY_STARTING ||
                         to == HB_POLICY_STARTED ||
                         to == HB_POLICY_STOPPING ||
                         (to == HB_POLICY_BLOCKED && b == B_SELF_FENCING);
        /* -EINVAL without coordination: then nobody reads the bit. */
        (void)hb_node_set_resource(p->node, p->resource_up);
        if (to != HB_POLICY_FENCING)
                p->timer_ns = HB_NEVER;
        /* The caller of a failed fence sets the next attempt after this. */
        p->retry_ns = HB_NEVER;
        if (!p->resource_up && p->wd_armed) {
                p->wd_armed = false;
                p->wd_held = false;
                push(p, HB_POLICY_CMD_WATCHDOG_DISARM);
        }
        if (strcmp(from, state_name(to, p->blocked)) == 0)
                return;
        c = push(p, HB_POLICY_CMD_STATE);
        c->reason = why;
        c->old_state = old;
        c->new_state = to;
        c->old_name = from;
        c->new_name = state_name(to, p->blocked);
        c->resource_up = p->resource_up;
}

/*
 * Stop feeding the watchdog: this node may no longer act (or is about to
 * self-fence) while the resource may still be up. Its host now resets
 * one watchdog timeout later unless the resource is down by then (DISARM)
 * -- which bounds, for the next leader, when this node stops being a
 * danger: no later than its step-down plus the timeout, and a step-down
 * comes before any later election (the lease). Feeding on through a
 * long stop, as it was once done, let a new leader that waited the
 * timeout start while the old stop still ran.
 */
static void wd_hold(hb_policy_t *p)
{
        if (!p->wd_armed || p->wd_held)
                return;
        p->wd_held = true;
        push(p, HB_POLICY_CMD_WATCHDOG_HOLD);
}

/* ---- fencing ----------------------------------------------------- */

static bool is_pull(const hb_policy_t *p, uint32_t id)
{
        for (size_t i = 0; i < p->cfg.n_pull; i++)
                if (p->cfg.pull_ids[i] == id)
                        return true;
        return false;
}

/* Alive (or in probation), and its latest heartbeat says its resource
 * may be up: it is stopping it (or cannot), whether or not we knew it led
 * (we may have started after it did). */
static bool says_up(const hb_peer_info_t *pi)
{
        return (pi->state == HB_PEER_ALIVE ||
                pi->state == HB_PEER_PROBATION) &&
               pi->coordinating && pi->resource_up;
}

/* Its latest heartbeat says its resource is stopped, and was sent in a
 * later term than ours, or in ours as a follower: it cannot have led (and
 * started it) since, in our term or an earlier one. An older "stopped"
 * may predate a leadership we never saw (its heartbeats as leader lost on
 * the way to us); one of our term sent as leader or candidate may
 * predate its own start (two_node splits have two leaders in a term). */
static bool says_stopped_now(const hb_policy_t *p, const hb_peer_info_t *pi)
{
        return pi->coordinating && !pi->resource_up &&
               (pi->coord_term > p->term ||
                (pi->coord_term == p->term &&
                 (pi->coord_role == HB_ROLE_FOLLOWER ||
                  pi->coord_role == HB_ROLE_NO_QUORUM)));
}

/*
 * This round's targets: the last other leader named, then every peer held
 * dead, suspect or unknown, or alive and not saying, in our term or
 * later, that its resource is stopped (not pull peers), in peer id
 * order. Returns how many, or -ENOMEM
 * (nothing queued).
 */
static int build_queue(hb_policy_t *p, uint64_t now)
{
        size_t n_peers = hb_node_peer_count(p->node), n = 0;

        p->n_queue = 0;
        p->spare_until_ns = 0;
        p->attempt = 0;
        if (n_peers + 1 > p->cap_queue) {
                uint32_t *q = hb__realloc(p->queue,
                                          (n_peers + 1) * sizeof(*q));

                if (q == NULL)
                        return -ENOMEM;
                p->queue = q;
                p->cap_queue = n_peers + 1;
        }
        if (p->fence_id != 0)
                p->queue[n++] = p->fence_id;
        for (size_t i = 0; i < n_peers; i++) {
                hb_peer_info_t pi;

                if (hb_node_peer_at(p->node, i, now, &pi) < 0 ||
                    pi.id == p->fence_id || is_pull(p, pi.id))
                        continue;
                if (pi.state == HB_PEER_DEAD || pi.state == HB_PEER_SUSPECT ||
                    pi.state == HB_PEER_UNKNOWN || says_up(&pi) ||
                    ((pi.state == HB_PEER_ALIVE ||
                      pi.state == HB_PEER_PROBATION) &&
                     pi.coordinating && !says_stopped_now(p, &pi)))
                        p->queue[n++] = pi.id;
        }
        p->n_queue = n;
        return (int)n;
}

static void pop_target(hb_policy_t *p)
{
        if (p->n_queue == 0)
                return;
        memmove(p->queue, p->queue + 1, (p->n_queue - 1) * sizeof(*p->queue));
        p->n_queue--;
        p->spare_until_ns = 0;
        p->attempt = 0;
}

/*
 * The head target, when it is alive (or in probation) and runs the
 * policy: when its heartbeats say its resource is stopped (in our term
 * or later: says_stopped_now()), it needs no
 * fence (it restarted, which stops any stale copy, or it stepped down and
 * its stop succeeded); while they say it may be up, its stop is given its
 * time limit (after which it self-fences) plus two intervals. One that
 * left stopped its resource first (a leave comes only after the stop
 * succeeded; a failed stop exits without one). 1: spared, 0: wait, -1:
 * fence it.
 */
static int spare_or_wait(hb_policy_t *p, uint32_t id, uint64_t now)
{
        hb_peer_info_t pi;

        if (hb_node_peer_info(p->node, id, now, &pi) < 0)
                return -1;
        if (pi.state == HB_PEER_LEFT)
                return 1;
        if ((pi.state != HB_PEER_ALIVE && pi.state != HB_PEER_PROBATION) ||
            !pi.coordinating)
                return -1;
        if (says_stopped_now(p, &pi))
                return 1;
        if (p->spare_until_ns == 0)
                p->spare_until_ns = now + p->cfg.stop_timeout_ns +
                                    2 * hb_node_config(p->node)->interval_ns;
        return now < p->spare_until_ns ? 0 : -1;
}

/*
 * Watchdog fencing (watchdog, no fence command): a target that may hold
 * the resource has its watchdog armed, and feeds it only while it may act
 * (wd_hold()) and runs: it stopped feeding when it stepped down, hung,
 * crashed or began to self-fence. Every step-down came before our
 * election (the lease), and a target we heard later stopped feeding
 * after that, so waiting the timeout plus two intervals (margin for the
 * feeding tick and clock rates) after the later of our election and the
 * last time we heard it (after our own start, for a peer never heard) is
 * as good as a fence (SBD's stonith-watchdog-timeout). Counting from the
 * last heartbeat alone is not enough: a leader we no longer hear (a
 * one-way cut) may keep leading, and feeding, for a while. Returns the
 * ns still to wait, 0 when done.
 */
static uint64_t watchdog_wait_ns(const hb_policy_t *p, uint32_t id,
                                 uint64_t now)
{
        uint64_t from = p->created_ns, until;
        hb_peer_info_t pi;

        if (p->elected_ns > from)
                from = p->elected_ns;
        if (hb_node_peer_info(p->node, id, now, &pi) == 0 &&
            pi.last_arrival_ns != HB_NEVER && pi.last_arrival_ns > from)
                from = pi.last_arrival_ns;
        until = from + p->cfg.watchdog_timeout_ns +
                2 * hb_node_config(p->node)->interval_ns;
        return now >= until ? 0 : until - now;
}

/* The head target is fenced: drop it and go on with the next one (true),
 * or end the round (false: the caller moves the machine on). */
static bool fence_succeeded(hb_policy_t *p, uint64_t now)
{
        if (p->target == p->fence_id)
                p->fence_id = 0;
        pop_target(p);
        if (p->n_queue > 0 && p->may_act) {
                next_fence(p, now);
                return true;
        }
        p->fenced_term = p->term;
        set_state(p, HB_POLICY_STOPPED, B_NONE, "fenced");
        return false;
}

/* Work through the queue: spare, wait for, or fence its head; when it is
 * empty the round is done and the start may go. */
static void next_fence(hb_policy_t *p, uint64_t now)
{
        hb_policy_cmd_t *c;
        uint32_t id = 0;
        int r;

        while (p->n_queue > 0) {
                id = p->queue[0];
                r = spare_or_wait(p, id, now);
                if (r < 0)
                        break;
                if (r == 0) {
                        /* Look again in one interval. */
                        p->timer_ns = now +
                                      hb_node_config(p->node)->interval_ns;
                        return;
                }
                c = push(p, HB_POLICY_CMD_FENCE_SPARED);
                c->target_id = id;
                if (id == p->fence_id)
                        p->fence_id = 0;
                pop_target(p);
        }
        if (p->n_queue == 0) {
                p->fenced_term = p->term;
                set_state(p, HB_POLICY_STOPPED, B_NONE, "nothing to fence");
                proceed(p, now);
                return;
        }
        p->target = id;
        if (!p->cfg.fence_command) {
                uint64_t wait = watchdog_wait_ns(p, id, now);

                if (wait > 0) {
                        p->timer_ns = now + wait;
                        return;
                }
                c = push(p, HB_POLICY_CMD_FENCE_WATCHDOG);
                c->target_id = id;
                c->wait_ns = p->cfg.watchdog_timeout_ns;
                if (!fence_succeeded(p, now))
                        proceed(p, now);
                return;
        }
        c = run(p, HB_POLICY_CMD_FENCE, "");
        c->target_id = id;
        c->attempt = ++p->attempt;
        p->fence_attempts++;
}

/*
 * The wait before attempt k + 1 after k failed ones against one target:
 * FIRST x 2^(k-1), at most MAX (policy.h says why these figures).
 * Doubling stops before it could overflow.
 */
static uint64_t retry_backoff_ns(uint64_t failed)
{
        uint64_t wait = HB_POLICY_FENCE_RETRY_FIRST_NS;

        for (uint64_t k = 1; k < failed && wait < HB_POLICY_FENCE_RETRY_MAX_NS;
             k++)
                wait *= 2;
        return wait < HB_POLICY_FENCE_RETRY_MAX_NS ? wait :
               HB_POLICY_FENCE_RETRY_MAX_NS;
}

/*
 * The fence of the head target failed while this node may act in the
 * round's term: blocked, and the same target is tried again after the
 * backoff. Meanwhile the target is looked at every interval (fence_wait()):
 * the rules that spare a target before its first fence spare it after a
 * failed one too, and waiting out the backoff for a node that has
 * rejoined and says its resource is stopped would be an outage for
 * nothing.
 */
static void fence_failed(hb_policy_t *p, uint64_t now)
{
        uint64_t wait = retry_backoff_ns(p->attempt),
                 iv = hb_node_config(p->node)->interval_ns;
        hb_policy_cmd_t *c;

        set_state(p, HB_POLICY_BLOCKED, B_FENCE_FAILED, "fence failed");
        p->retry_ns = now + wait;
        p->timer_ns = now + (iv < wait ? iv : wait);
        c = push(p, HB_POLICY_CMD_FENCE_RETRY);
        c->target_id = p->target;
        c->wait_ns = wait;
        c->attempt = p->attempt + 1;
}

/*
 * Blocked after a failed fence, timer due: the head target spared now
 * (alive or in probation and saying its resource is stopped, or left)
 * ends the wait, as does the end of the backoff; then the round goes on
 * from that target (next_fence(): spared, waited for, or fenced again).
 * Otherwise look again in an interval.
 */
static void fence_wait(hb_policy_t *p, uint64_t now)
{
        uint64_t iv = hb_node_config(p->node)->interval_ns;
        int r = spare_or_wait(p, p->queue[0], now);

        if (r == 1 || now >= p->retry_ns) {
                set_state(p, HB_POLICY_FENCING, B_NONE,
                          r == 1 ? "target spared" : "fence retry");
                next_fence(p, now);
                return;
        }
        p->timer_ns = p->retry_ns - now < iv ? p->retry_ns : now + iv;
}

/* In a two-node cluster both nodes may try to fence each other at once;
 * the higher node id waits, so the lower one wins (the same answer on
 * both nodes, from their ids alone: priorities are not known across). */
static uint64_t fence_delay_ns(const hb_policy_t *p, uint64_t now)
{
        hb_peer_info_t peer;

        if (!hb_node_config(p->node)->coord.two_node ||
            p->cfg.two_node_delay_ns == 0 ||
            hb_node_peer_count(p->node) != 1 ||
            hb_node_peer_at(p->node, 0, now, &peer) < 0 ||
            hb_node_id(p->node) < peer.id)
                return 0;
        return p->cfg.two_node_delay_ns;
}

/* The figures and the reasoning: policy.h and docs/actions.md. */
uint64_t hb_policy_two_node_delay_default(uint64_t interval_ns)
{
        const uint64_t k = HB_POLICY_FENCE_RACE_INTERVALS;

        /* Saturating: any interval gives at most the maximum. */
        if (interval_ns > (MAX_DURATION_NS - HB_POLICY_FENCE_RACE_NS) / k)
                return MAX_DURATION_NS;
        return k * interval_ns + HB_POLICY_FENCE_RACE_NS;
}

/* ---- the machine ------------------------------------------------- */

static void self_fence(hb_policy_t *p, const char *why)
{
        wd_hold(p);
        if (!p->cfg.self_fence) {
                push(p, HB_POLICY_CMD_EXIT)->reason = why;
                p->closed = true;
                return;
        }
        set_state(p, HB_POLICY_BLOCKED, B_SELF_FENCING, "self-fencing");
        run(p, HB_POLICY_CMD_SELF_FENCE, why);
}

static void start(hb_policy_t *p)
{
        set_state(p, HB_POLICY_STARTING, B_NONE, "leader");
        run(p, HB_POLICY_CMD_START, "leader");
}

/* Move towards what is wanted, when no command runs. */
/*
 * quorum.two_node, the lower id leading with its resource up, its peer
 * just declared dead: a split looks the same from here, and over there
 * the higher id will stand and fence us once its two_node delay is over.
 * Fence it first, without stopping anything: the lower id wins the race
 * and keeps leading (issue 9: the winner used to drop its VIPs and
 * resource for a re-election). Once per time the peer was seen up. A
 * failed race fence is counted and left: the higher id's own delay still
 * orders the race, and a fence it wins stops us anyway. True when a
 * fence was started.
 */
static bool race_fence(hb_policy_t *p, uint64_t now)
{
        hb_peer_info_t peer;
        hb_policy_cmd_t *c;

        if (!hb_node_config(p->node)->coord.two_node ||
            !p->cfg.fence_command || hb_node_peer_count(p->node) != 1 ||
            hb_node_peer_at(p->node, 0, now, &peer) < 0 ||
            hb_node_id(p->node) > peer.id || is_pull(p, peer.id))
                return false;
        if (peer.state == HB_PEER_ALIVE || peer.state == HB_PEER_PROBATION) {
                p->race_armed = true;
                return false;
        }
        if (peer.state != HB_PEER_DEAD || !p->race_armed)
                return false;
        p->race_armed = false;
        c = run(p, HB_POLICY_CMD_FENCE, "peer dead (two_node race)");
        c->target_id = peer.id;
        c->term = p->term;
        c->attempt = 1;
        p->fence_attempts++;
        return true;
}

static void proceed(hb_policy_t *p, uint64_t now)
{
        uint64_t delay;
        int r;

        if (p->running != HB_POLICY_CMD_NONE || p->closed || !p->started ||
            (!p->cfg.resource && !p->cfg.fence_command))
                return;
        if (!p->may_act) {
                if (p->state == HB_POLICY_STARTED) {
                        set_state(p, HB_POLICY_STOPPING, B_NONE,
                                  "no longer leader");
                        run(p, HB_POLICY_CMD_STOP, "no longer leader");
                } else if (p->state == HB_POLICY_FENCING ||
                           p->state == HB_POLICY_BLOCKED) {
                        set_state(p, HB_POLICY_STOPPED, B_NONE,
                                  "no longer leader");
                }
                return;
        }
        if (p->state == HB_POLICY_STARTED && race_fence(p, now))
                return;
        if (p->state == HB_POLICY_STARTED || p->state == HB_POLICY_STARTING ||
            p->state == HB_POLICY_STOPPING || p->state == HB_POLICY_FENCING)
                return;
        /* stopped or blocked, and may act: fence (if needed), then start.
         * Blocked starts over only in a new term (within the term, a
         * failed fence is retried by the tick: fence_wait()). */
        if (p->state == HB_POLICY_BLOCKED) {
                if (p->term == p->leader_term)
                        return;
                set_state(p, HB_POLICY_STOPPED, B_NONE, "new term");
        }
        p->term = p->leader_term;
        if ((p->cfg.fence_command || p->cfg.watchdog) &&
            p->fenced_term != p->term && (r = build_queue(p, now)) != 0) {
                if (r < 0) {
                        set_state(p, HB_POLICY_BLOCKED, B_FENCE_FAILED,
                                  "out of memory");
                        return;
                }
                set_state(p, HB_POLICY_FENCING, B_NONE, "became leader");
                delay = fence_delay_ns(p, now);
                if (delay > 0) {
                        push(p, HB_POLICY_CMD_FENCE_WAIT)->wait_ns = delay;
                        p->timer_ns = now + delay;
                        return;
                }
                next_fence(p, now);
                return;
        }
        if (!p->cfg.resource)
                return;
        if (p->cfg.watchdog) {
                /* Armed (by the executor, at once) before the start. */
                run(p, HB_POLICY_CMD_WATCHDOG_ARM, "");
                return;
        }
        start(p);
}

/* The start-up or shutdown stop: nothing else happens until its result. */
static void blocking_stop(hb_policy_t *p, const char *why)
{
        hb_policy_cmd_t *c = run(p, HB_POLICY_CMD_STOP, why);

        c->blocking = true;
        c->role = HB_ROLE_FOLLOWER;
        p->blocking = true;
}

int hb_policy_start(hb_policy_t *p, uint64_t now_ns)
{

        if (p == NULL || p->started)
                return -EINVAL;
        p->started = true;
        p->created_ns = now_ns;
        if (!p->cfg.resource)
                return 0;
        blocking_stop(p, "start-up");
        return 1;
}

/*
 * The role the resource follows: the node's own election in the mesh;
 * with the hierarchy (docs/hierarchy.md) the global election's, whose
 * leader, established, is the cluster's one holder. There the regional
 * role only says who coordinates a region: following it would run the
 * resource once per region.
 */
static hb_event_type_t role_event(const hb_policy_t *p)
{
        return hb_node_config(p->node)->hier.enabled ? HB_EVENT_GLOBAL_ROLE
                                                     : HB_EVENT_ROLE;
}

int hb_policy_on_event(hb_policy_t *p, const hb_event_t *ev)
{
        if (p == NULL || ev == NULL)
                return -EINVAL;
        if (!p->started || p->closed || ev->type != role_event(p))
                return 0;
        p->role = ev->new_role;
        p->role_term = ev->term;
        /* A global role event names a region, not a node: nothing to
         * fence by id (fencing is refused with the hierarchy). */
        if (ev->type == HB_EVENT_ROLE && ev->leader_id != 0 &&
            ev->leader_id != hb_node_id(p->node))
                p->fence_id = ev->leader_id;
        /* May act only once established (see policy.h). */
        p->may_act = ev->new_role == HB_ROLE_LEADER && ev->established;
        if (p->may_act)
                p->leader_term = ev->term;
        if (ev->new_role == HB_ROLE_LEADER && ev->old_role != HB_ROLE_LEADER)
                p->elected_ns = ev->at_ns;
        return 0;
}

int hb_policy_tick(hb_policy_t *p, uint64_t now_ns)
{
        if (p == NULL)
                return -EINVAL;
        /* Nothing happens before the start-up stop has succeeded. */
        if (!p->started || p->closed || p->blocking)
                return 0;
        /* VIPs first: they follow the signal alone, whatever the resource
         * is doing. */
        if (p->may_act != p->vip_held) {
                hb_policy_cmd_t *c = push(p, p->may_act ?
                                          HB_POLICY_CMD_VIP_ACQUIRE :
                                          HB_POLICY_CMD_VIP_RELEASE);

                c->term = p->role_term;
                c->reason = p->may_act ? "leader" : "no longer leader";
                p->vip_held = p->may_act;
        }
        if (!p->may_act)
                wd_hold(p);
        if (p->timer_ns <= now_ns) {
                p->timer_ns = HB_NEVER;
                if (p->may_act && p->running == HB_POLICY_CMD_NONE &&
                    p->n_queue > 0) {
                        if (p->state == HB_POLICY_FENCING)
                                next_fence(p, now_ns);
                        else if (p->retry_ns != HB_NEVER &&
                                 p->term == p->leader_term)
                                fence_wait(p, now_ns);
                }
        }
        proceed(p, now_ns);
        return 0;
}

uint64_t hb_policy_next_deadline(const hb_policy_t *p)
{
        return p == NULL || p->closed ? HB_NEVER : p->timer_ns;
}

int hb_policy_done(hb_policy_t *p, hb_policy_cmd_kind_t kind, bool ok,
                   uint64_t now_ns)
{
        if (p == NULL)
                return -EINVAL;
        if (kind == HB_POLICY_CMD_NONE || kind != p->running)
                return -ENOENT;
        p->running = HB_POLICY_CMD_NONE;
        if (p->blocking) {
                /* Start-up or shutdown: nothing else may happen until the
                 * resource is down, and a node that cannot stop it must
                 * not take part (nor leave as if it had). */
                bool shutdown = p->closed;

                p->blocking = false;
                if (!ok) {
                        push(p, HB_POLICY_CMD_EXIT)->reason = shutdown ?
                                "stop failed at shutdown" :
                                "stop failed at start-up";
                        p->closed = true;
                        return 0;
                }
                set_state(p, HB_POLICY_STOPPED, B_NONE,
                          shutdown ? "shutdown" : "start-up");
                return 0;
        }
        switch (kind) {
        case HB_POLICY_CMD_WATCHDOG_ARM:
                if (!ok) {
                        set_state(p, HB_POLICY_BLOCKED, B_WATCHDOG,
                                  "watchdog unavailable");
                        return 0;
                }
                p->wd_armed = true;
                p->wd_held = false;
                if (p->may_act) {
                        start(p);
                        return 0;
                }
                /* Stepped down meanwhile: disarm again. */
                set_state(p, HB_POLICY_STOPPED, B_NONE, "no longer leader");
                break;
        case HB_POLICY_CMD_FENCE:
                if (p->state == HB_POLICY_STARTED) {
                        /* A race fence (race_fence()): nothing waits on
                         * it. */
                        if (!ok)
                                p->fence_failures++;
                        break;
                }
                if (!ok) {
                        p->fence_failures++;
                        /* Retried only for the round's term: stepped down
                         * meanwhile, proceed() unblocks; a new term starts
                         * its own round. */
                        if (p->may_act && p->term == p->leader_term)
                                fence_failed(p, now_ns);
                        else
                                set_state(p, HB_POLICY_BLOCKED,
                                          B_FENCE_FAILED, "fence failed");
                        break;
                }
                if (fence_succeeded(p, now_ns))
                        return 0;
                break;
        case HB_POLICY_CMD_START:
                if (ok) {
                        set_state(p, HB_POLICY_STARTED, B_NONE, "started");
                        break;
                }
                /* Clean up whatever half-started. */
                p->start_failed = true;
                set_state(p, HB_POLICY_STOPPING, B_NONE, "start failed");
                run(p, HB_POLICY_CMD_STOP, "start failed");
                return 0;
        case HB_POLICY_CMD_STOP:
                if (!ok) {
                        self_fence(p, "stop failed");
                        return 0;
                }
                if (p->start_failed && p->may_act) {
                        p->start_failed = false;
                        set_state(p, HB_POLICY_BLOCKED, B_START_FAILED,
                                  "start failed");
                        return 0;
                }
                p->start_failed = false;
                set_state(p, HB_POLICY_STOPPED, B_NONE, "stopped");
                break;
        case HB_POLICY_CMD_SELF_FENCE:
                if (!ok) {
                        push(p, HB_POLICY_CMD_EXIT)->reason =
                                "self-fence failed";
                        p->closed = true;
                        return 0;
                }
                set_state(p, HB_POLICY_STOPPED, B_NONE, "self-fenced");
                break;
        default:
                break;
        }
        proceed(p, now_ns);
        return 0;
}

int hb_policy_shutdown(hb_policy_t *p, uint64_t now_ns)
{
        (void)now_ns;
        if (p == NULL)
                return -EINVAL;
        if (p->closed)
                return 0;
        p->closed = true;
        p->running = HB_POLICY_CMD_NONE;  /* abandoned by the executor */
        p->blocking = false;
        p->timer_ns = HB_NEVER;
        if (!p->resource_up || !p->cfg.resource)
                return 0;
        blocking_stop(p, "shutdown");
        return 1;
}

void hb_policy_info(const hb_policy_t *p, hb_policy_info_t *out)
{
        memset(out, 0, sizeof(*out));
        out->state = p->state;
        out->state_name = state_name(p->state, p->blocked);
        out->term = p->term;
        out->role = p->role;
        out->may_act = p->may_act;
        out->vip_held = p->vip_held;
        out->resource_up = p->resource_up;
        out->running = p->running;
        out->fence_id = p->fence_id;
        out->fence_queue = p->n_queue;
        out->next_deadline_ns = hb_policy_next_deadline(p);
        out->dropped = p->dropped;
        out->fence_attempts = p->fence_attempts;
        out->fence_failures = p->fence_failures;
        out->fence_retry_ns = p->closed ? HB_NEVER : p->retry_ns;
}
