/* SPDX-License-Identifier: MIT */
/*
 * The resource and VIP safety policy on the simulator: every simulated
 * node runs the real machine (hb_policy_t, src/core/policy.c), the code
 * hbeatd runs, fed from inside its node's event callback as hbeatd feeds
 * it (hbsim_set_node_hook()). This harness is its executor, with virtual
 * durations and random failures:
 *
 *   start, stop    1 .. 300 / 400 ms; a start fails one time in 20, a
 *                  stop one in 30, and a stop on a node marked to hang
 *                  runs into its time limit (500 ms): a failure
 *   fence          5 .. 330 ms, limit 300 ms; fails one time in 10 (and
 *                  on a time-out); a successful fence powers the target
 *                  off (hbsim_crash()), which boots again at the next
 *                  fault step. A target's fence device may also be out
 *                  for a while (a fault below): every fence of it then
 *                  fails (quickly, or by running into the limit) until
 *                  the device works again; the machine retries with its
 *                  backoff (1, 2, 4 s ...) or spares the target once it
 *                  is back and says its resource is stopped
 *   self-fence     1 .. 100 ms; fails one time in 5 (then EXIT)
 *   EXIT           hbeatd exits 3: the node crashes, its resource left
 *                  as it was
 *   watchdog       one run in five fences by the watchdog alone (no fence
 *                  command), one in five has both: the device is armed on
 *                  WATCHDOG_ARM (fails one time in 50), fed while that
 *                  hbeatd runs and has not begun a self-fence, and resets
 *                  the host (resource and VIPs gone) 1 s after the last
 *                  feed: kills, pauses and exits stop the feeding
 *   boot           the start-up stop (fails one time in 30: hbeatd exits
 *                  3 and the node stays down until the next try), then
 *                  the node and its machine
 *
 * Faults, every 0.1 .. 0.8 s for FAULT_PHASE: kills (crash, resource left
 * running) and restarts, pauses (SIGSTOP-like: timers and command results
 * wait for the resume; the pause guard runs first), partitions, one-way
 * cuts, loss up to 20 %, heal, and stops made to hang; then everything
 * heals and the run goes on for HEAL_PHASE (fence devices out stay out
 * until their time is up). Fence devices go out for 0.3 .. 4 s. Half the
 * seeds have a
 * self-fence command, one in three random priorities with preempt, odd
 * seeds crash as process exits (port unreachable).
 *
 * After every simulated event:
 *   - the resource never runs on two nodes at once: a node holds it from
 *     the moment its START is issued until a STOP or self-fence it ran
 *     succeeded, or its host was powered off (fence, watchdog); a crashed
 *     or exited hbeatd leaves it running (so "unless the older one was
 *     fenced first": fencing is what clears it);
 *   - a VIP is held only by a node that may act (leader and established);
 *   - the election invariants 1-3 (sim_check.c; two-node runs check
 *     terms only);
 *   - in the two-node race runs: the higher id never issues a fence.
 *
 * 10,000 runs (3, 5 and 7 nodes, 7.5 s virtual each) plus 1,000 two-node
 * runs (quorum.two_node, two_node_delay_ms at hbeatd's default, 1600 ms
 * at the 100 ms interval; never the watchdog alone, which needs a real
 * quorum) plus 200 directed runs (a muted leader whose stop hangs,
 * watchdog fencing) plus 400 directed two-node splits (the fence race:
 * test_two_node_race). Measured on the 2-core build machine,
 * idle: 22.7 s in the debugoptimized build, 42 s under ASan+UBSan (the
 * test prints its own figure); with the fence device outages and the
 * race runs, 29.6 s and 82 s at a load average of 1.5 to 3.
 *
 * A failing seed prints the command that replays it, with every command
 * of every machine:
 *   HBEAT_POLICY_SEED=<seed> HBEAT_POLICY_NODES=<n> build/test_sim_policy
 * Environment: HBEAT_POLICY_RUNS (default 10000), HBEAT_POLICY_RUNS_2
 * (default 1000).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hbeat/policy.h"
#include "sim/sim.h"
#include "sim_check.h"

#define MS HB_NS_PER_MS
#define S HB_NS_PER_S
#define MAX_NODES SIMC_MAX_NODES

#define FAULT_PHASE (5500 * MS)
#define HEAL_PHASE (2 * S)
#define STOP_LIMIT (500 * MS)
#define START_LIMIT (500 * MS)
#define FENCE_LIMIT (300 * MS)
#define WATCHDOG_TIMEOUT (1 * S)

/* One node as the harness sees it: its machine and what is physically
 * true of its host. */
typedef struct pnode {
        hb_policy_t *p;               /* NULL while hbeatd is not running */
        bool down;                    /* killed or exited: restarts at a
                                         fault step */
        bool off;                     /* host powered off (fence, watchdog):
                                         boots at the next step */
        bool running;                 /* the resource may run here */
        bool vip;                     /* the VIPs are on its interface */
        bool hang_stop;               /* its next stop runs into the limit */
        uint64_t resume_at;           /* paused until */
        /* The command in flight. */
        hb_policy_cmd_kind_t cmd;
        uint32_t target;
        uint64_t cmd_end;
        bool cmd_ok;
        uint64_t wake_ns;             /* earliest wake asked */
        /* The kernel watchdog: armed until disarmed or the host resets,
         * fed only by the hbeatd that opened it. */
        bool wd_armed;
        bool wd_open;
        bool wd_hold;
        uint64_t wd_fed;
        uint64_t elected_at;          /* its last candidate -> leader */
        /* Its fence device (the one that powers this host off) fails
         * every fence until then. */
        uint64_t fence_out_until;
        uint32_t retrying;            /* target of its last FENCE_RETRY */
} pnode_t;

typedef struct run {
        hbsim_t *s;
        simc_t ck;
        size_t n;
        uint64_t rng;
        bool verbose;
        bool in_event;                /* inside a node's event callback */
        bool directed;                /* test_watchdog_hung_stop */
        bool race;                    /* test_two_node_race */
        uint64_t split_at;            /* race: when the link was cut */
        uint64_t low_fence_at;        /* race: n1's fence of n2 started */
        uint64_t low_fenced_at;       /*   and powered it off */
        uint64_t high_due;            /* race: n2's fence was due */
        hb_policy_config_t pc;
        pnode_t nd[MAX_NODES];
        uint64_t starts, fences, fence_failures, watchdog_fences, spares,
                 self_fences, exits, resets, vip_acquires, fence_retries,
                 retry_spares;
} run_t;

static uint64_t g_starts, g_fences, g_fence_failures, g_watchdog_fences,
                g_spares, g_self_fences, g_exits, g_resets, g_vips,
                g_events, g_fence_retries, g_retry_spares;
/* Election -> VIP_ACQUIRE (the price of following "established"). */
static uint64_t g_vip_delay_sum, g_vip_delay_max, g_vip_delays;

static uint64_t rnd(run_t *r)
{
        r->rng ^= r->rng << 13;
        r->rng ^= r->rng >> 7;
        r->rng ^= r->rng << 17;
        return r->rng;
}

static uint64_t between(run_t *r, uint64_t lo, uint64_t hi)
{
        return lo + rnd(r) % (hi - lo + 1);
}

static bool one_in(run_t *r, uint64_t k)
{
        return rnd(r) % k == 0;
}

static void trace(run_t *r, size_t i, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void trace(run_t *r, size_t i, const char *fmt, ...)
{
        va_list ap;

        if (!r->verbose)
                return;
        fprintf(stderr, "%10.3f ms n%zu: ", (double)hbsim_now(r->s) / 1e6,
                i + 1);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* ---- physical events ---------------------------------------------- */

/* hbeatd on node i is gone (killed, exited, host off): its machine and
 * whatever command it was waiting for go with it. */
static void crash(run_t *r, size_t i)
{
        pnode_t *pn = &r->nd[i];

        if (hbsim_node(r->s, i) != NULL)
                hbsim_crash(r->s, i);
        hb_policy_free(pn->p);
        pn->p = NULL;
        pn->cmd = HB_POLICY_CMD_NONE;
        pn->wd_open = false;
        pn->resume_at = 0;
}

/* The host is powered off or reset: resource and VIPs are gone; it boots
 * again at the next fault step. */
static void power_off(run_t *r, size_t i, const char *why)
{
        pnode_t *pn = &r->nd[i];

        trace(r, i, "host off (%s)", why);
        crash(r, i);
        pn->running = false;
        pn->vip = false;
        pn->wd_armed = false;
        pn->down = false;
        pn->off = true;
}

static void check_resource(run_t *r)
{
        size_t on = 0, a = 0, b = 0;

        for (size_t i = 0; i < r->n; i++)
                if (r->nd[i].running) {
                        if (on++ == 0)
                                a = i;
                        else
                                b = i;
                }
        if (on > 1)
                simc_fail(&r->ck, r->s, "the resource runs on n%zu and n%zu",
                          a + 1, b + 1);
}

/* ---- the executor -------------------------------------------------- */

static void drain(run_t *r, size_t i, uint64_t now);

static void start_cmd(run_t *r, size_t i, const hb_policy_cmd_t *c,
                      uint64_t now)
{
        pnode_t *pn = &r->nd[i];
        uint64_t dur = 0, limit = 0;
        bool ok = true;

        switch (c->kind) {
        case HB_POLICY_CMD_FENCE:
                assert_true(c->attempt >= 1);
                dur = between(r, 5 * MS, 330 * MS);
                limit = FENCE_LIMIT;
                ok = !one_in(r, 10);
                if (r->race) {
                        /* A slower device, still within the second the
                         * default two-node delay gives it. */
                        dur = between(r, 100 * MS, 900 * MS);
                        limit = 2 * S;
                        ok = true;
                }
                if (now < r->nd[c->target_id - 1].fence_out_until) {
                        /* Out: refused at once, or no answer. */
                        ok = false;
                        if (one_in(r, 2))
                                dur = limit + 1;
                }
                break;
        case HB_POLICY_CMD_START:
                dur = between(r, 1 * MS, 300 * MS);
                limit = START_LIMIT;
                ok = !one_in(r, 20);
                break;
        case HB_POLICY_CMD_STOP:
                dur = between(r, 1 * MS, 400 * MS);
                limit = r->pc.stop_timeout_ns;
                ok = !one_in(r, 30);
                if (pn->hang_stop) {
                        pn->hang_stop = false;
                        dur = limit + 1;
                }
                break;
        case HB_POLICY_CMD_SELF_FENCE:
                dur = between(r, 1 * MS, 100 * MS);
                limit = FENCE_LIMIT;
                ok = !one_in(r, 5);
                break;
        default:
                fail();
        }
        if (dur > limit) {
                dur = limit;
                ok = false;
        }
        pn->cmd = c->kind;
        pn->target = c->target_id;
        pn->cmd_end = now + dur;
        pn->cmd_ok = ok;
}

/* The command in flight has ended: what it did, then the result. */
static void complete(run_t *r, size_t i, uint64_t now)
{
        pnode_t *pn = &r->nd[i];
        hb_policy_cmd_kind_t k = pn->cmd;

        if (k == HB_POLICY_CMD_NONE || pn->cmd_end > now)
                return;
        pn->cmd = HB_POLICY_CMD_NONE;
        trace(r, i, "%s %s%s", hb_policy_cmd_name(k),
              pn->cmd_ok ? "ok" : "failed",
              k == HB_POLICY_CMD_FENCE ? " (target)" : "");
        switch (k) {
        case HB_POLICY_CMD_FENCE:
                if (pn->cmd_ok) {
                        r->fences++;
                        if (r->race && i == 0 && r->low_fenced_at == 0)
                                r->low_fenced_at = now;
                        power_off(r, pn->target - 1, "fenced");
                } else {
                        r->fence_failures++;
                }
                break;
        case HB_POLICY_CMD_STOP:
                if (pn->cmd_ok)
                        pn->running = false;
                break;
        case HB_POLICY_CMD_SELF_FENCE:
                r->self_fences++;
                if (pn->cmd_ok)
                        pn->running = false;
                break;
        default:
                break;
        }
        (void)hb_policy_done(pn->p, k, pn->cmd_ok, now);
}

static void execute(run_t *r, size_t i, const hb_policy_cmd_t *c,
                    uint64_t now)
{
        pnode_t *pn = &r->nd[i];

        switch (c->kind) {
        case HB_POLICY_CMD_STATE:
                trace(r, i, "resource %s -> %s (term %" PRIu64 ", %s)",
                      c->old_name, c->new_name, c->term, c->reason);
                return;
        case HB_POLICY_CMD_VIP_ACQUIRE:
                pn->vip = true;
                r->vip_acquires++;
                if (pn->elected_at != 0 && now >= pn->elected_at) {
                        uint64_t d = now - pn->elected_at;

                        g_vip_delay_sum += d;
                        g_vip_delays++;
                        if (d > g_vip_delay_max)
                                g_vip_delay_max = d;
                }
                break;
        case HB_POLICY_CMD_VIP_RELEASE:
                pn->vip = false;
                break;
        case HB_POLICY_CMD_START:
                pn->running = true;
                r->starts++;
                check_resource(r);
                start_cmd(r, i, c, now);
                break;
        case HB_POLICY_CMD_FENCE:
                if (r->race && i == 1 && r->split_at != 0)
                        simc_fail(&r->ck, r->s, "n2, the higher id, fences "
                                  "n1 %.1f ms after the split: n1's fence "
                                  "had not powered it off yet",
                                  (double)(now - r->split_at) / 1e6);
                if (r->race && i == 0 && r->split_at != 0 &&
                    r->low_fence_at == 0)
                        r->low_fence_at = now;
                start_cmd(r, i, c, now);
                break;
        case HB_POLICY_CMD_STOP:
        case HB_POLICY_CMD_SELF_FENCE:
                start_cmd(r, i, c, now);
                break;
        case HB_POLICY_CMD_FENCE_WAIT:
                if (r->race && i == 1 && r->split_at != 0 &&
                    r->high_due == 0)
                        r->high_due = now + c->wait_ns;
                break;
        case HB_POLICY_CMD_WATCHDOG_HOLD:
                pn->wd_hold = true;
                break;
        case HB_POLICY_CMD_EXIT:
                /* Only a result leads here, never an event: the node is
                 * not inside its own callback. */
                assert_false(r->in_event);
                r->exits++;
                trace(r, i, "exit 3 (%s)", c->reason);
                crash(r, i);
                pn->down = true;
                return;
        case HB_POLICY_CMD_WATCHDOG_ARM: {
                bool ok = !one_in(r, 50);

                if (ok) {
                        pn->wd_armed = true;
                        pn->wd_open = true;
                        pn->wd_hold = false;
                        pn->wd_fed = now;
                }
                trace(r, i, "watchdog_arm %s", ok ? "ok" : "failed");
                (void)hb_policy_done(pn->p, c->kind, ok, now);
                return;
        }
        case HB_POLICY_CMD_WATCHDOG_DISARM:
                pn->wd_armed = false;
                pn->wd_open = false;
                break;
        case HB_POLICY_CMD_FENCE_SPARED:
                r->spares++;
                if (pn->retrying == c->target_id)
                        r->retry_spares++;
                pn->retrying = 0;
                break;
        case HB_POLICY_CMD_FENCE_RETRY:
                assert_true(c->attempt >= 2);
                assert_true(c->wait_ns >= HB_POLICY_FENCE_RETRY_FIRST_NS &&
                            c->wait_ns <= HB_POLICY_FENCE_RETRY_MAX_NS);
                r->fence_retries++;
                pn->retrying = c->target_id;
                break;
        case HB_POLICY_CMD_FENCE_WATCHDOG:
                r->watchdog_fences++;
                break;
        default:
                break;
        }
        trace(r, i, "%s term %" PRIu64 " target n%u %s",
              hb_policy_cmd_name(c->kind), c->term, c->target_id, c->reason);
}

/* Everything decided; stops when the machine is gone (EXIT). */
static void drain(run_t *r, size_t i, uint64_t now)
{
        hb_policy_cmd_t c;

        while (r->nd[i].p != NULL && hb_policy_poll(r->nd[i].p, &c) > 0)
                execute(r, i, &c, now);
}

/* A wake at the machine's next deadline or the command's end. */
static void schedule(run_t *r, size_t i)
{
        pnode_t *pn = &r->nd[i];
        uint64_t due;

        if (pn->p == NULL)
                return;
        due = hb_policy_next_deadline(pn->p);
        if (pn->cmd != HB_POLICY_CMD_NONE && pn->cmd_end < due)
                due = pn->cmd_end;
        if (due == HB_NEVER || due >= pn->wake_ns)
                return;
        pn->wake_ns = due;
        assert_int_equal(hbsim_wake_at(r->s, i, due), 0);
}

/* The node hook: inside the event callback (ev), or at a wake. */
static void hook(hbsim_t *s, size_t i, const hb_event_t *ev, void *user)
{
        run_t *r = user;
        pnode_t *pn = &r->nd[i];
        uint64_t now = hbsim_now(s);

        if (pn->p == NULL)
                return; /* booting: events before its machine starts */
        r->in_event = ev != NULL;
        if (ev != NULL) {
                if (ev->type == HB_EVENT_ROLE &&
                    ev->new_role == HB_ROLE_LEADER &&
                    ev->old_role != HB_ROLE_LEADER)
                        pn->elected_at = ev->at_ns;
                (void)hb_policy_on_event(pn->p, ev);
        } else {
                if (now >= pn->wake_ns)
                        pn->wake_ns = HB_NEVER;
                complete(r, i, now);
                drain(r, i, now);
                if (pn->p == NULL)
                        return;
        }
        (void)hb_policy_tick(pn->p, now);
        drain(r, i, now);
        schedule(r, i);
        r->in_event = false;
}

/* hbeatd starts on node i: the start-up stop first (blocking), then the
 * node and its machine. false when the stop failed (exit 3). */
static bool boot(run_t *r, size_t i)
{
        pnode_t *pn = &r->nd[i];
        uint64_t now = hbsim_now(r->s);
        hb_policy_cmd_t c;

        if (one_in(r, 30)) {
                trace(r, i, "start-up stop failed: exit 3");
                return false;
        }
        pn->running = false;
        pn->vip = false;          /* stale copies removed at start */
        pn->down = pn->off = false;
        pn->cmd = HB_POLICY_CMD_NONE;
        pn->wake_ns = HB_NEVER;
        pn->resume_at = 0;
        pn->retrying = 0;
        assert_int_equal(hbsim_restart(r->s, i), 0);
        assert_int_equal(hb_policy_new(&pn->p, &r->pc, hbsim_node(r->s, i)),
                         0);
        assert_int_equal(hb_policy_start(pn->p, now), 1);
        assert_int_equal(hb_policy_poll(pn->p, &c), 1);
        assert_true(c.kind == HB_POLICY_CMD_STOP && c.blocking);
        assert_int_equal(hb_policy_done(pn->p, c.kind, true, now), 0);
        drain(r, i, now);
        trace(r, i, "booted");
        return true;
}

static void resume(run_t *r, size_t i)
{
        r->nd[i].resume_at = 0;
        r->nd[i].wake_ns = HB_NEVER; /* wakes in the pause were dropped */
        hbsim_resume(r->s, i);
        hook(r->s, i, NULL, r);
}

/* ---- invariants ---------------------------------------------------- */

/* The watchdog model: fed by the hbeatd that armed it while it runs and
 * is not self-fencing; the host resets WATCHDOG_TIMEOUT after the last
 * feed. Checked after every event (later than the real device would
 * fire, by less than the time to the next event: conservative). */
static void watchdogs(run_t *r)
{
        uint64_t now = hbsim_now(r->s);

        for (size_t i = 0; i < r->n; i++) {
                pnode_t *pn = &r->nd[i];

                if (!pn->wd_armed)
                        continue;
                if (pn->wd_open && !pn->wd_hold && pn->p != NULL &&
                    !hbsim_paused(r->s, i))
                        pn->wd_fed = now;
                if (now - pn->wd_fed >= WATCHDOG_TIMEOUT) {
                        r->resets++;
                        power_off(r, i, "watchdog");
                }
        }
}

static void check_vips(run_t *r)
{
        for (size_t i = 0; i < r->n; i++) {
                hb_coord_info_t ci;

                if (!r->nd[i].vip || !hbsim_coord(r->s, i, &ci))
                        continue; /* a crashed hbeatd's stale copy */
                if (ci.role != HB_ROLE_LEADER || !ci.established)
                        simc_fail(&r->ck, r->s, "n%zu holds the VIPs as %s"
                                  "%s (term %" PRIu64 ")", i + 1,
                                  hb_role_name(ci.role),
                                  ci.role == HB_ROLE_LEADER ?
                                  ", not established" : "", ci.term);
        }
}

static void observe(hbsim_t *s, void *user)
{
        run_t *r = user;

        watchdogs(r);
        simc_election(&r->ck, s);
        check_resource(r);
        check_vips(r);
}

/* ---- a run --------------------------------------------------------- */

/* The configuration of seed's run. */
static void setup(run_t *r, hbsim_config_t *cfg, simc_prio_t *pp, size_t n,
                  uint64_t seed)
{
        unsigned mode = (unsigned)(seed % 5);

        /* The watchdog alone needs a real quorum: with two_node both
         * halves of a split may act (policy.h). */
        if (n == 2 && mode == 4)
                mode = 3;

        hbsim_config_default(cfg);
        cfg->n_nodes = n;
        cfg->seed = seed;
        cfg->node.coord.enabled = true;
        cfg->node.coord.two_node = n == 2;
        cfg->port_unreachable = seed % 2 == 1;
        if (seed % 3 == 0) {
                for (size_t i = 0; i < n; i++)
                        pp->prio[i] = 1 + (uint32_t)(rnd(r) % 255);
                cfg->node_config = simc_set_prio;
                cfg->node_config_user = pp;
        }
        memset(&r->pc, 0, sizeof(r->pc));
        r->pc.resource = true;
        r->pc.fence_command = mode != 4;
        r->pc.watchdog = mode >= 3;
        r->pc.watchdog_timeout_ns = WATCHDOG_TIMEOUT;
        r->pc.self_fence = (seed / 5) % 2 == 1;
        r->pc.stop_timeout_ns = STOP_LIMIT;
        if (r->directed) {
                /* The watchdog alone, no self-fence, stops that may hang
                 * longer than the election takes. */
                r->pc.fence_command = false;
                r->pc.watchdog = true;
                r->pc.self_fence = false;
                r->pc.stop_timeout_ns = 3 * S;
        }
        r->pc.two_node_delay_ns = n == 2 ?
                hb_policy_two_node_delay_default(cfg->node.interval_ns) : 0;
}

/* The leader's next stop hangs, and nobody hears it any more while it
 * still hears them: it leads on until its lease ends, then stops (and
 * hangs). */
static void hang_and_mute_leader(run_t *r)
{
        size_t k = r->n;

        for (size_t i = 0; i < r->n; i++)
                if (hbsim_is_leader(r->s, i))
                        k = i;
        if (k == r->n)
                return;
        trace(r, k, "stop will hang; muted");
        r->nd[k].hang_stop = true;
        for (size_t i = 0; i < r->n; i++)
                if (i != k)
                        hbsim_cut(r->s, k, i, true);
}

static void fault(run_t *r, uint64_t t)
{
        size_t n = r->n, k = rnd(r) % n, side[MAX_NODES], m = 0, i;
        unsigned f = (unsigned)(rnd(r) % 100);
        pnode_t *pk = &r->nd[k];

        if (f < 12) {
                if (pk->p != NULL && pk->resume_at == 0) {
                        trace(r, k, "killed");
                        crash(r, k);
                        pk->down = true;
                }
        } else if (f < 27) {
                for (i = 0; i < n; i++)
                        if (r->nd[i].down) {
                                (void)boot(r, i);
                                break;
                        }
        } else if (f < 40) {
                if (pk->p != NULL && pk->resume_at == 0) {
                        trace(r, k, "paused");
                        hbsim_pause(r->s, k);
                        pk->resume_at = t + between(r, 50 * MS, 1500 * MS);
                }
        } else if (f < 52) {
                for (i = 0; i < n; i++)
                        if (rnd(r) % 2)
                                side[m++] = i;
                hbsim_heal(r->s);
                hbsim_partition(r->s, side, m);
        } else if (f < 64) {
                for (i = 0; i < 1 + rnd(r) % n; i++) {
                        size_t a = rnd(r) % n, b = rnd(r) % n;

                        if (a != b)
                                hbsim_cut(r->s, a, b, true);
                }
        } else if (f < 76) {
                hbsim_heal(r->s);
        } else if (f < 84) {
                hbsim_set_loss(r->s, (double)(rnd(r) % 20) / 100.0);
        } else if (f < 88) {
                pk->hang_stop = true;
        } else if (f < 92) {
                hang_and_mute_leader(r);
        } else if (f < 97) {
                pk->fence_out_until = t + between(r, 300 * MS, 4 * S);
                trace(r, k, "fence device out until %.3f ms",
                      (double)pk->fence_out_until / 1e6);
        }
}

/* Hosts powered off boot again; paused nodes due resume. */
static void step(run_t *r, uint64_t t)
{
        for (size_t i = 0; i < r->n; i++) {
                if (r->nd[i].off)
                        (void)boot(r, i);
                if (r->nd[i].resume_at != 0 && r->nd[i].resume_at <= t)
                        resume(r, i);
        }
}

static bool one_run(size_t n, uint64_t seed, bool verbose, bool directed)
{
        hbsim_config_t cfg;
        simc_prio_t pp;
        run_t *r = calloc(1, sizeof(*r));
        uint64_t t, end = FAULT_PHASE + HEAL_PHASE;
        size_t i;
        bool ok;

        assert_non_null(r);
        r->n = n;
        r->verbose = verbose;
        r->directed = directed;
        r->rng = seed * UINT64_C(0x9e3779b97f4a7c15) + n;
        setup(r, &cfg, &pp, n, seed);
        assert_int_equal(hbsim_new(&r->s, &cfg), 0);
        simc_init(&r->ck, n, seed, "HBEAT_POLICY", "test_sim_policy");
        r->ck.split_ok = n == 2;
        hbsim_set_node_hook(r->s, hook, r);
        hbsim_set_observer(r->s, observe, r);
        /* Every hbeatd starts: start-up stop, then its machine (the
         * nodes already exist: restart them as fresh ones). */
        for (i = 0; i < n; i++)
                if (!boot(r, i)) {
                        crash(r, i);
                        r->nd[i].down = true;
                }

        t = between(r, 1500 * MS, 2500 * MS);
        while (t < FAULT_PHASE && !r->ck.failed) {
                hbsim_run_until(r->s, t);
                step(r, t);
                if (!directed)
                        fault(r, t);
                else if (t < 2500 * MS)
                        hang_and_mute_leader(r);
                observe(r->s, r);
                t += between(r, 100 * MS, 800 * MS);
        }
        hbsim_run_until(r->s, FAULT_PHASE);
        hbsim_heal(r->s);
        hbsim_set_loss(r->s, 0);
        for (i = 0; i < n; i++) {
                if (r->nd[i].resume_at != 0)
                        resume(r, i);
                if (r->nd[i].down || r->nd[i].off)
                        (void)boot(r, i);
        }
        for (t = FAULT_PHASE + 500 * MS; t <= end && !r->ck.failed;
             t += 500 * MS) {
                hbsim_run_until(r->s, t);
                step(r, t);
                observe(r->s, r);
        }
        if (verbose)
                simc_dump_roles(r->s);
        g_starts += r->starts;
        g_fences += r->fences;
        g_fence_failures += r->fence_failures;
        g_watchdog_fences += r->watchdog_fences;
        g_spares += r->spares;
        g_self_fences += r->self_fences;
        g_exits += r->exits;
        g_resets += r->resets;
        g_vips += r->vip_acquires;
        g_fence_retries += r->fence_retries;
        g_retry_spares += r->retry_spares;
        g_events += hbsim_delivered(r->s);
        ok = !r->ck.failed;
        for (i = 0; i < n; i++)
                hb_policy_free(r->nd[i].p);
        hbsim_free(r->s);
        free(r);
        return ok;
}

static size_t env_size(const char *name, size_t def)
{
        const char *v = getenv(name);

        return v && *v ? (size_t)strtoull(v, NULL, 10) : def;
}

static double since(const struct timespec *t0)
{
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) +
               (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void campaign(const char *what, const size_t *sizes, size_t n_sizes,
                     size_t runs)
{
        size_t failures = 0;
        struct timespec t0;

        g_starts = g_fences = g_fence_failures = g_watchdog_fences = 0;
        g_spares = g_self_fences = g_exits = g_resets = g_vips = 0;
        g_fence_retries = g_retry_spares = 0;
        g_events = g_vip_delay_sum = g_vip_delay_max = g_vip_delays = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t k = 0; k < runs; k++)
                if (!one_run(sizes[k % n_sizes], k + 1, false, false))
                        failures++;
        fprintf(stderr,
                "%s: %zu runs (%.1f s virtual each), %zu failed; %" PRIu64
                " starts, %" PRIu64 " fences (%" PRIu64 " failed, %" PRIu64
                " by watchdog wait), %" PRIu64 " fence retries announced, %"
                PRIu64 " targets spared (%" PRIu64 " after a failed fence), %"
                PRIu64 " self-fences, %" PRIu64 " exits, %" PRIu64
                " watchdog resets, %" PRIu64 " VIP acquisitions (%.0f ms"
                " after the election on average, %.0f ms at most), %" PRIu64
                " datagrams; %.1f s wall\n",
                what, runs, (double)(FAULT_PHASE + HEAL_PHASE) / 1e9,
                failures, g_starts, g_fences, g_fence_failures,
                g_watchdog_fences, g_fence_retries, g_spares,
                g_retry_spares, g_self_fences, g_exits,
                g_resets, g_vips, g_vip_delays ? (double)g_vip_delay_sum /
                (double)g_vip_delays / 1e6 : 0.0,
                (double)g_vip_delay_max / 1e6, g_events, since(&t0));
        assert_int_equal(failures, 0);
}

/* The campaign: 3, 5 and 7 nodes. */
static void test_random_faults(void **state)
{
        static const size_t sizes[] = { 3, 5, 7 };
        const char *one = getenv("HBEAT_POLICY_SEED");

        (void)state;
        if (one && *one) {
                size_t n = env_size("HBEAT_POLICY_NODES", 3);

                assert_true(one_run(n, strtoull(one, NULL, 10), true,
                                    getenv("HBEAT_POLICY_DIRECTED") != NULL));
                return;
        }
        campaign("policy sim", sizes, 3,
                 env_size("HBEAT_POLICY_RUNS", 10000));
}

/* quorum.two_node: both halves of a split lead; the fence race (lower id
 * first, two_node_delay_ms) keeps the resource single. */
static void test_two_node(void **state)
{
        static const size_t two[] = { 2 };

        (void)state;
        if (getenv("HBEAT_POLICY_SEED") && *getenv("HBEAT_POLICY_SEED"))
                skip();
        campaign("policy sim, two_node", two, 1,
                 env_size("HBEAT_POLICY_RUNS_2", 1000));
}

/*
 * Watchdog fencing against a leader nobody hears any more (a one-way cut)
 * whose stop then hangs for 3 s, no self-fence command: it leads on until
 * its lease ends and must not feed its watchdog from its step-down on
 * (WATCHDOG_HOLD), since the new leader waits the timeout from its own
 * election. 200 seeds, 3 and 5 nodes
 * (HBEAT_POLICY_DIRECTED=1 with a seed replays one).
 */
static void test_watchdog_hung_stop(void **state)
{
        size_t failures = 0;

        (void)state;
        if (getenv("HBEAT_POLICY_SEED") && *getenv("HBEAT_POLICY_SEED"))
                skip();
        for (uint64_t seed = 1; seed <= 200; seed++)
                if (!one_run(seed % 2 ? 3 : 5, seed, false, true))
                        failures++;
        fprintf(stderr, "policy sim, hung stop of a muted leader, watchdog "
                "alone: 200 runs, %zu failed\n", failures);
        assert_int_equal(failures, 0);
}

/*
 * The two-node fence race (issue 9, part 6): n2 (the higher id) leads and
 * runs the resource, then the link between the two is cut. n2 keeps
 * leading and, once it holds n1 dead, fences it; n1 keeps its lease
 * promise to n2 (its dead time plus one interval) before it may stand, so
 * n2 is ready to fence first, and only the two-node delay keeps it from
 * fencing n1 first. Fences take 100 .. 900
 * ms here (a power-off over IPMI or a PDU). With hbeatd's default delay
 * n1's fence must have powered n2 off before n2's delay ends, at a 20 ms
 * interval as at 100 ms: n2 never fences. (With 5 x interval, as in the
 * fault campaign, n1's fence started 13 to 32 ms before n2's was due.)
 * HBEAT_POLICY_RACE_DELAY_MS replaces the default, to compare.
 */
static bool race_run(uint64_t seed, uint64_t iv, uint64_t *lead_min,
                     uint64_t *margin_min)
{
        hbsim_config_t cfg;
        simc_prio_t pp = { .prio = { 100, 200 } };
        const char *env = getenv("HBEAT_POLICY_RACE_DELAY_MS");
        run_t *r = calloc(1, sizeof(*r));
        size_t low = 0;
        bool ok;

        assert_non_null(r);
        r->n = 2;
        r->race = true;
        r->rng = seed * UINT64_C(0x9e3779b97f4a7c15) + iv;
        hbsim_config_default(&cfg);
        hb_node_config_default(&cfg.node, HB_DETECTOR_PHI, iv);
        cfg.node.cluster_id = 1;
        memset(cfg.node.key.bytes, 0x5a, sizeof(cfg.node.key.bytes));
        cfg.n_nodes = 2;
        cfg.seed = seed;
        cfg.node.coord.enabled = true;
        cfg.node.coord.two_node = true;
        cfg.node_config = simc_set_prio;
        cfg.node_config_user = &pp;
        r->pc.resource = true;
        r->pc.fence_command = true;
        r->pc.stop_timeout_ns = STOP_LIMIT;
        r->pc.two_node_delay_ns = env && *env ?
                strtoull(env, NULL, 10) * MS :
                hb_policy_two_node_delay_default(iv);
        assert_int_equal(hbsim_new(&r->s, &cfg), 0);
        simc_init(&r->ck, 2, seed, "HBEAT_POLICY", "test_sim_policy");
        r->ck.split_ok = true;
        hbsim_set_node_hook(r->s, hook, r);
        hbsim_set_observer(r->s, observe, r);
        for (size_t i = 0; i < 2; i++)
                while (!boot(r, i))
                        ;       /* its start-up stop failed: again */
        hbsim_run_until(r->s, 3 * S);
        if (!hbsim_is_leader(r->s, 1) || !r->nd[1].running) {
                /* n2 did not lead (a start failed): no race to watch. */
                ok = !r->ck.failed;
                goto out;
        }
        r->split_at = 3 * S + between(r, 0, iv);
        hbsim_run_until(r->s, r->split_at);
        hbsim_partition(r->s, &low, 1);
        hbsim_run_until(r->s, r->split_at + 8 * S);
        if (!r->ck.failed && (r->nd[0].off || !r->nd[1].off))
                simc_fail(&r->ck, r->s, "after the split n1 is %s and n2 "
                          "%s: n1 should have fenced n2",
                          r->nd[0].off ? "off" : "on",
                          r->nd[1].off ? "off" : "on");
        if (r->high_due != 0 && r->low_fence_at != 0) {
                uint64_t lead = r->high_due - r->low_fence_at;
                uint64_t margin = r->high_due - r->low_fenced_at;

                if (r->low_fence_at > r->high_due)
                        lead = 0;
                if (r->low_fenced_at > r->high_due)
                        margin = 0;
                if (lead < *lead_min)
                        *lead_min = lead;
                if (margin < *margin_min)
                        *margin_min = margin;
        }
        ok = !r->ck.failed;
out:
        for (size_t i = 0; i < 2; i++)
                hb_policy_free(r->nd[i].p);
        hbsim_free(r->s);
        free(r);
        return ok;
}

static void test_two_node_race(void **state)
{
        static const uint64_t ivs[] = { 20 * MS, 100 * MS };

        (void)state;
        if (getenv("HBEAT_POLICY_SEED") && *getenv("HBEAT_POLICY_SEED"))
                skip();
        for (size_t k = 0; k < 2; k++) {
                uint64_t lead_min = HB_NEVER, margin_min = HB_NEVER;
                size_t failures = 0;

                for (uint64_t seed = 1; seed <= 200; seed++)
                        if (!race_run(seed, ivs[k], &lead_min, &margin_min))
                                failures++;
                fprintf(stderr, "policy sim, two-node fence race at %"
                        PRIu64 " ms: 200 splits, %zu failed; n1's fence "
                        "started at least %.0f ms before n2's was due and "
                        "had powered n2 off at least %.0f ms before\n",
                        ivs[k] / MS, failures, (double)lead_min / 1e6,
                        (double)margin_min / 1e6);
                assert_int_equal(failures, 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_random_faults),
                cmocka_unit_test(test_two_node),
                cmocka_unit_test(test_watchdog_hung_stop),
                cmocka_unit_test(test_two_node_race),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
