/* SPDX-License-Identifier: MIT */
/*
 * Quorum and leader election on the simulator: real cores, real wire,
 * virtual clock, randomized faults (crash/restart, pause/resume,
 * partitions, one-way cuts, loss, heal), invariants checked after every
 * simulated event:
 *
 *   1. election safety: never two nodes in role leader, both quorate, in
 *      the same term;
 *   2. no overlap: at no instant are two running nodes in role leader
 *      (any terms); the smallest gap between one leader's end and the
 *      next one's start is reported (the lease margin);
 *   3. terms never decrease per node, across restarts (the simulator
 *      restores what HB_EVENT_TERM made durable);
 *   4. liveness: once healed, everyone up, no loss, within HEAL_BOUND
 *      there is exactly one leader and every node follows it in its term;
 *   5. the fencing log: an at-most-one resource run the way hbeatd's
 *      actions run it (actions.c: start when a leader is established,
 *      after fencing every peer it holds dead, suspect or unknown, and
 *      the last other leader it saw unless that one is alive and reports
 *      its resource stopped; stop when it steps down; a crashed hbeatd
 *      leaves its resource running, a starting one stops any stale copy
 *      first; a fence powers the target off, stopping its resource, and
 *      it boots again later) is never running on two nodes at once.
 *
 * A failing seed prints the command that replays it:
 *   HBEAT_ELECTION_SEED=<seed> HBEAT_ELECTION_NODES=<n> test_sim_election
 * Environment: HBEAT_ELECTION_RUNS (default 1000 runs: 3, 5 and 7 nodes).
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

#include "sim/sim.h"

#define MS HB_NS_PER_MS
#define S HB_NS_PER_S

/* Faults for FAULT_PHASE, then heal; by HEAL_BOUND after the heal there
 * must be one leader followed by all (checked until the end of the run). */
#define FAULT_PHASE (20 * S)
#define HEAL_BOUND (5 * S)
#define AFTER_HEAL (8 * S)
#define MAX_NODES 7

typedef struct checker {
        size_t n;
        uint64_t seed;
        uint64_t max_term[MAX_NODES];
        bool was_leader[MAX_NODES];
        uint64_t leader_end[MAX_NODES];   /* last time it stopped leading */
        uint64_t min_gap_ns;              /* smallest handover gap */
        uint64_t handovers;
        /* 5: the resource and the fencing log. */
        size_t ev_done;                   /* events of the log processed */
        bool running[MAX_NODES];          /* the resource runs there */
        uint32_t fence_id[MAX_NODES];     /* last other leader seen */
        bool fenced_down[MAX_NODES];      /* powered off by a fence */
        /* Each node's view of its peers as of the event being replayed
         * (rebuilt from the log: the daemon decides inside the event). */
        hb_peer_state_t view[MAX_NODES][MAX_NODES];
        uint64_t fences, starts;
        uint64_t last_fence_ns;           /* virtual time of the last one */
        uint64_t fences_after_heal;
        bool failed;
        char why[256];
} checker_t;

static uint64_t g_min_gap = UINT64_MAX;
static uint64_t g_handovers;
static uint64_t g_elections;
static uint64_t g_max_converge;       /* heal -> one leader followed */
static uint64_t g_fences;

static void fail_run(checker_t *c, hbsim_t *s, const char *fmt, ...)
{
        va_list ap;

        if (c->failed)
                return;
        c->failed = true;
        va_start(ap, fmt);
        vsnprintf(c->why, sizeof(c->why), fmt, ap);
        va_end(ap);
        fprintf(stderr,
                "invariant violated at %.3f ms: %s\n"
                "replay: HBEAT_ELECTION_SEED=%" PRIu64
                " HBEAT_ELECTION_NODES=%zu build/test_sim_election\n",
                (double)hbsim_now(s) / 1e6, c->why, c->seed, c->n);
}

/* hbeatd starting: with a resource configured it runs resource.stop
 * before its first heartbeat (actions.c), so no stale copy survives. */
static void resource_log(checker_t *c, hbsim_t *s);

static void boot(hbsim_t *s, checker_t *c, size_t i)
{
        resource_log(c, s); /* the old life's events first */
        c->running[i] = false;
        for (size_t j = 0; j < c->n; j++)
                c->view[i][j] = HB_PEER_UNKNOWN;
        (void)hbsim_restart(s, i);
}

/* Fenced nodes boot again. */
static void reboot_fenced(hbsim_t *s, checker_t *c)
{
        for (size_t i = 0; i < c->n; i++)
                if (c->fenced_down[i]) {
                        c->fenced_down[i] = false;
                        boot(s, c, i);
                }
}

/* A fence: the target is powered off (its resource with it). */
static void fence(checker_t *c, hbsim_t *s, size_t j)
{
        c->fences++;
        c->last_fence_ns = hbsim_now(s);
        if (c->last_fence_ns >= FAULT_PHASE)
                c->fences_after_heal++;
        c->running[j] = false;
        if (hbsim_node(s, j) != NULL) {
                hbsim_crash(s, j);
                c->fenced_down[j] = true;
        }
}

/* Invariant 5: replay the new role events through the actions' policy. */
static void resource_log(checker_t *c, hbsim_t *s)
{
        size_t ne, i, j, on;
        const hbsim_event_t *log = hbsim_events(s, &ne);

        for (; c->ev_done < ne; c->ev_done++) {
                const hb_event_t *e = &log[c->ev_done].ev;

                i = log[c->ev_done].observer;
                if (e->type == HB_EVENT_PEER_STATE &&
                    log[c->ev_done].peer < c->n)
                        c->view[i][log[c->ev_done].peer] = e->new_state;
                if (e->type != HB_EVENT_ROLE)
                        continue;
                if (e->leader_id != 0 && e->leader_id != i + 1)
                        c->fence_id[i] = e->leader_id;
                if (e->new_role == HB_ROLE_LEADER && e->established &&
                    !c->running[i]) {
                        /* Every peer its view holds dead, suspect or
                         * unknown (not alive, in probation — it runs
                         * hbeatd, which stopped any stale copy at start —
                         * nor left), and the last other leader it saw
                         * unless that one is alive and reports its
                         * resource stopped (stops are instant here). */
                        for (j = 0; j < c->n; j++) {
                                hb_peer_state_t st;

                                if (j == i)
                                        continue;
                                st = c->view[i][j];
                                if (st == HB_PEER_DEAD ||
                                    st == HB_PEER_SUSPECT ||
                                    st == HB_PEER_UNKNOWN)
                                        fence(c, s, j);
                                else if (c->fence_id[i] == j + 1 &&
                                         c->running[j])
                                        fence(c, s, j); /* after a wait */
                                /* else: a former leader, alive, that
                                 * reports its resource stopped: spared */
                        }
                        c->fence_id[i] = 0;
                        c->running[i] = true;
                        c->starts++;
                        for (j = 0, on = 0; j < c->n; j++)
                                on += c->running[j];
                        if (on > 1)
                                for (j = 0; j < c->n; j++)
                                        if (j != i && c->running[j])
                                                fail_run(c, s,
                                                         "resource started "
                                                         "on n%zu (term %"
                                                         PRIu64 ") while "
                                                         "running on n%zu",
                                                         i + 1, e->term,
                                                         j + 1);
                } else if (e->old_role == HB_ROLE_LEADER &&
                           e->new_role != HB_ROLE_LEADER) {
                        c->running[i] = false;
                }
        }
}

static void observe(hbsim_t *s, void *user)
{
        checker_t *c = user;
        hb_coord_info_t ci[MAX_NODES];
        bool up[MAX_NODES], lead[MAX_NODES];
        uint64_t now = hbsim_now(s);
        size_t i, j, acting = 0;

        resource_log(c, s); /* first: a fence changes who is up */

        for (i = 0; i < c->n; i++) {
                up[i] = hbsim_coord(s, i, &ci[i]);
                lead[i] = hbsim_is_leader(s, i);
                acting += lead[i];
                if (up[i]) {
                        /* 3: terms never go back, restarts included. */
                        if (ci[i].term < c->max_term[i])
                                fail_run(c, s,
                                         "n%zu term went back %" PRIu64
                                         " -> %" PRIu64,
                                         i + 1, c->max_term[i], ci[i].term);
                        c->max_term[i] = ci[i].term;
                }
        }
        /* 1: one quorate leader per term. */
        for (i = 0; i < c->n; i++)
                for (j = i + 1; j < c->n; j++)
                        if (up[i] && up[j] &&
                            ci[i].role == HB_ROLE_LEADER &&
                            ci[j].role == HB_ROLE_LEADER && ci[i].quorate &&
                            ci[j].quorate && ci[i].term == ci[j].term)
                                fail_run(c, s,
                                         "n%zu and n%zu both leader in "
                                         "term %" PRIu64,
                                         i + 1, j + 1, ci[i].term);
        /* 2: never two acting leaders at once. */
        if (acting > 1)
                fail_run(c, s, "%zu acting leaders at once", acting);
        for (i = 0; i < c->n; i++) {
                if (lead[i] && !c->was_leader[i]) {
                        /* Margin: since the last other leader stopped. */
                        for (j = 0; j < c->n; j++) {
                                uint64_t gap;

                                if (j == i || c->leader_end[j] == 0)
                                        continue;
                                gap = now - c->leader_end[j];
                                if (gap < c->min_gap_ns &&
                                    gap < 10 * S) {
                                        c->min_gap_ns = gap;
                                }
                        }
                        c->handovers++;
                }
                if (!lead[i] && c->was_leader[i])
                        c->leader_end[i] = now;
                c->was_leader[i] = lead[i];
        }
}

static void dump_roles(hbsim_t *s)
{
        size_t ne, i;
        const hbsim_event_t *ev = hbsim_events(s, &ne);

        for (i = 0; i < ne; i++) {
                const hb_event_t *e = &ev[i].ev;

                if (e->type == HB_EVENT_ROLE || e->type == HB_EVENT_TERM ||
                    e->type == HB_EVENT_QUORUM)
                        fprintf(stderr,
                                "%10.3f ms n%zu: %s %s -> %s term %" PRIu64
                                " leader n%u voted n%u (%s)\n",
                                (double)e->at_ns / 1e6, ev[i].observer + 1,
                                e->type == HB_EVENT_ROLE    ? "role"
                                : e->type == HB_EVENT_TERM ? "term"
                                                           : "quorum",
                                hb_role_name(e->old_role),
                                hb_role_name(e->new_role), e->term,
                                e->leader_id, e->voted_for, e->why);
                else if (getenv("HBEAT_ELECTION_PEERS"))
                        fprintf(stderr, "%10.3f ms n%zu: n%zu %s -> %s\n",
                                (double)e->at_ns / 1e6, ev[i].observer + 1,
                                ev[i].peer + 1,
                                hb_peer_state_name(e->old_state),
                                hb_peer_state_name(e->new_state));
        }
}

/* Exactly one leader, every node up and following it in its term. */
static bool converged(hbsim_t *s, size_t n, char *why, size_t cap)
{
        hb_coord_info_t ci[MAX_NODES];
        size_t i, leaders = 0, l = 0;

        for (i = 0; i < n; i++) {
                if (!hbsim_coord(s, i, &ci[i])) {
                        snprintf(why, cap, "n%zu down", i + 1);
                        return false;
                }
                if (ci[i].role == HB_ROLE_LEADER) {
                        leaders++;
                        l = i;
                }
        }
        if (leaders != 1) {
                snprintf(why, cap, "%zu leaders", leaders);
                return false;
        }
        for (i = 0; i < n; i++) {
                if (i == l)
                        continue;
                if (ci[i].role != HB_ROLE_FOLLOWER ||
                    ci[i].leader_id != l + 1 || ci[i].term != ci[l].term) {
                        snprintf(why, cap,
                                 "n%zu %s term %" PRIu64 " follows n%u; "
                                 "leader n%zu term %" PRIu64,
                                 i + 1, hb_role_name(ci[i].role),
                                 ci[i].term, ci[i].leader_id, l + 1,
                                 ci[l].term);
                        return false;
                }
        }
        return true;
}

static void config(hbsim_config_t *c, size_t n, uint64_t seed)
{
        hbsim_config_default(c);
        c->n_nodes = n;
        c->seed = seed;
        c->node.coord.enabled = true;
}

/* Priorities of a run with preempt on (seed % 3 == 0). */
typedef struct prio_plan {
        uint32_t prio[MAX_NODES];
} prio_plan_t;

static void set_prio(hb_node_config_t *cfg, size_t i, void *user)
{
        const prio_plan_t *pp = user;

        cfg->coord.priority = pp->prio[i];
        cfg->coord.preempt = true;
}

/* Random faults for FAULT_PHASE, then heal; returns false on violation. */
static bool one_run(size_t n, uint64_t seed, bool verbose)
{
        hbsim_config_t cfg;
        hbsim_t *s;
        checker_t ck;
        uint64_t rng = seed * UINT64_C(0x9e3779b97f4a7c15) + n, t = 0;
        uint64_t resume_at[MAX_NODES] = { 0 };
        uint64_t conv_at, end;
        bool down[MAX_NODES] = { false };
        prio_plan_t pp;
        uint32_t top = 0;
        char why[200];
        size_t i;

#define RND() (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)
        config(&cfg, n, seed);
        /* Two nodes: quorum.two_node (a lone node stays quorate; the
         * lower id wins a tie; fencing keeps the resource single). */
        cfg.node.coord.two_node = n == 2;
        /* Odd seeds: crashes are process exits on hosts that stay up
         * (port unreachable, the fast path); even seeds: silent. */
        cfg.port_unreachable = seed % 2 == 1;
        /* One seed in three: random priorities (1..255, ties possible),
         * preempt on everywhere. */
        if (seed % 3 == 0) {
                for (i = 0; i < n; i++) {
                        pp.prio[i] = 1 + (uint32_t)(RND() % 255);
                        if (pp.prio[i] > top)
                                top = pp.prio[i];
                }
                cfg.node_config = set_prio;
                cfg.node_config_user = &pp;
        }
        assert_int_equal(hbsim_new(&s, &cfg), 0);
        memset(&ck, 0, sizeof(ck));
        ck.n = n;
        ck.seed = seed;
        ck.min_gap_ns = UINT64_MAX;
        hbsim_set_observer(s, observe, &ck);

        /* Start, then faults every 0.2 .. 2 s. */
        t = 2 * S + RND() % (2 * S);
        while (t < FAULT_PHASE && !ck.failed) {
                size_t k = RND() % n, side[MAX_NODES], m = 0;
                unsigned f = (unsigned)(RND() % 100);

                hbsim_run_until(s, t);
                /* Fenced nodes boot again by the next step. */
                for (i = 0; i < n; i++)
                        if (ck.fenced_down[i]) {
                                ck.fenced_down[i] = false;
                                resume_at[i] = 0;
                                if (!down[i])
                                        boot(s, &ck, i);
                        }
                for (i = 0; i < n; i++)
                        if (resume_at[i] && resume_at[i] <= t) {
                                hbsim_resume(s, i);
                                resume_at[i] = 0;
                        }
                if (f < 15) {
                        if (!down[k] && !resume_at[k]) {
                                hbsim_crash(s, k);
                                down[k] = true;
                        }
                } else if (f < 35) {
                        for (i = 0; i < n; i++)
                                if (down[i]) {
                                        boot(s, &ck, i);
                                        down[i] = false;
                                        break;
                                }
                } else if (f < 50) {
                        if (!down[k] && !resume_at[k]) {
                                hbsim_pause(s, k);
                                resume_at[k] =
                                        t + 50 * MS + RND() % (1500 * MS);
                        }
                } else if (f < 62) {
                        for (i = 0; i < n; i++)
                                if (RND() % 2)
                                        side[m++] = i;
                        hbsim_heal(s);
                        hbsim_partition(s, side, m);
                } else if (f < 77) {
                        /* One-way cuts: a few random directed links. */
                        for (i = 0; i < 1 + RND() % n; i++) {
                                size_t a = RND() % n, b = RND() % n;

                                if (a != b)
                                        hbsim_cut(s, a, b, true);
                        }
                } else if (f < 90) {
                        hbsim_heal(s);
                } else {
                        hbsim_set_loss(s, (double)(RND() % 20) / 100.0);
                }
                observe(s, &ck);
                t += 200 * MS + RND() % (1800 * MS);
        }
        /* Heal everything. */
        hbsim_run_until(s, FAULT_PHASE);
        hbsim_heal(s);
        hbsim_set_loss(s, 0);
        for (i = 0; i < n; i++) {
                if (resume_at[i] && !ck.fenced_down[i])
                        hbsim_resume(s, i);
                if (down[i] || ck.fenced_down[i])
                        boot(s, &ck, i);
                ck.fenced_down[i] = false;
        }
        observe(s, &ck);
        /* 4: one leader, followed by all, within HEAL_BOUND of the heal
         * and ever after. A fence after the heal (a new leader fencing the
         * previous one) is a fault of its own: the bound runs again from
         * it, the node boots again at the next step, and the run goes on
         * until the bound has passed. */
        conv_at = 0;
        end = FAULT_PHASE + AFTER_HEAL;
        for (t = FAULT_PHASE; t <= end && !ck.failed; t += 10 * MS) {
                uint64_t from;
                bool conv;

                hbsim_run_until(s, t);
                reboot_fenced(s, &ck);
                from = ck.last_fence_ns > FAULT_PHASE ? ck.last_fence_ns
                                                      : FAULT_PHASE;
                if (from + HEAL_BOUND + S > end)
                        end = from + HEAL_BOUND + S;
                conv = converged(s, n, why, sizeof(why));
                if (conv && conv_at == 0)
                        conv_at = t;
                if (!conv && t >= from + HEAL_BOUND)
                        fail_run(&ck, s, "not converged %.1f s after the "
                                         "heal or last fence: %s",
                                 (double)(t - from) / 1e9, why);
        }
        if (conv_at - FAULT_PHASE > g_max_converge)
                g_max_converge = conv_at - FAULT_PHASE;
        /* With preempt, the settled leader has the top priority. */
        for (i = 0; top > 0 && i < n && !ck.failed; i++)
                if (hbsim_is_leader(s, i) && pp.prio[i] != top)
                        fail_run(&ck, s, "preempt: n%zu (priority %" PRIu32
                                         ") leads, the top priority is %"
                                         PRIu32, i + 1, pp.prio[i], top);
        if (ck.fences_after_heal > n)
                fail_run(&ck, s, "%" PRIu64 " fences after the heal",
                         ck.fences_after_heal);
        g_fences += ck.fences;
        if (ck.min_gap_ns < g_min_gap)
                g_min_gap = ck.min_gap_ns;
        g_handovers += ck.handovers;
        for (i = 0; i < n; i++) {
                hb_coord_info_t ci;

                if (hbsim_coord(s, i, &ci))
                        g_elections += ci.elections_started;
        }
        if (verbose)
                dump_roles(s);
        hbsim_free(s);
        return !ck.failed;
#undef RND
}

/* Cold start, no faults: one leader quickly, everyone follows. */
static void test_cold_start(void **state)
{
        (void)state;
        for (size_t n = 3; n <= 7; n += 2) {
                for (uint64_t seed = 1; seed <= 10; seed++) {
                        hbsim_config_t cfg;
                        hbsim_t *s;
                        char why[200];

                        config(&cfg, n, seed);
                        assert_int_equal(hbsim_new(&s, &cfg), 0);
                        hbsim_run_until(s, 4 * S);
                        if (!converged(s, n, why, sizeof(why))) {
                                fprintf(stderr, "n=%zu seed %" PRIu64
                                                ": %s\n",
                                        n, seed, why);
                                dump_roles(s);
                                fail();
                        }
                        hbsim_free(s);
                }
        }
}

/* Leader crash: a new leader in a higher term, then the old one rejoins
 * as a follower with its durable term. */
static void test_leader_crash(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 20; seed++) {
                hbsim_config_t cfg;
                hbsim_t *s;
                hb_coord_info_t ci;
                char why[200];
                size_t l = 0;
                uint64_t term;

                config(&cfg, 5, seed);
                assert_int_equal(hbsim_new(&s, &cfg), 0);
                hbsim_run_until(s, 4 * S);
                assert_true(converged(s, 5, why, sizeof(why)));
                for (size_t i = 0; i < 5; i++)
                        if (hbsim_is_leader(s, i))
                                l = i;
                hbsim_coord(s, l, &ci);
                term = ci.term;
                hbsim_crash(s, l);
                hbsim_run_until(s, 8 * S);
                for (size_t i = 0; i < 5; i++) {
                        if (i == l)
                                continue;
                        hbsim_coord(s, i, &ci);
                        assert_true(ci.term > term);
                        assert_true(ci.leader_id != 0 &&
                                    ci.leader_id != l + 1);
                }
                assert_int_equal(hbsim_restart(s, l), 0);
                hbsim_run_until(s, 12 * S);
                assert_true(converged(s, 5, why, sizeof(why)));
                hbsim_coord(s, l, &ci);
                assert_true(ci.term > term);
                hbsim_free(s);
        }
}

/* Time from the leader's crash until another node leads, ns (capped). */
static uint64_t failover_ns(bool exits, uint64_t seed)
{
        hbsim_config_t cfg;
        hbsim_t *s;
        char why[200];
        size_t l = 0, i;
        uint64_t t;

        config(&cfg, 5, seed);
        cfg.port_unreachable = exits;
        assert_int_equal(hbsim_new(&s, &cfg), 0);
        hbsim_run_until(s, 4 * S);
        assert_true(converged(s, 5, why, sizeof(why)));
        for (i = 0; i < 5; i++)
                if (hbsim_is_leader(s, i))
                        l = i;
        hbsim_crash(s, l);
        for (t = 4 * S; t < 8 * S; t += MS) {
                hbsim_run_until(s, t);
                for (i = 0; i < 5; i++)
                        if (i != l && hbsim_is_leader(s, i)) {
                                hbsim_free(s);
                                return t - 4 * S;
                        }
        }
        hbsim_free(s);
        return 4 * S;
}

/* A process exit (port unreachable) fails over within two intervals and
 * a quarter; a silent crash waits for the detector (dead) and the
 * promise to the old leader. */
static void test_exit_failover_fast(void **state)
{
        uint64_t worst_exit = 0, best_silent = UINT64_MAX;

        (void)state;
        for (uint64_t seed = 1; seed <= 20; seed++) {
                uint64_t e = failover_ns(true, seed);
                uint64_t q = failover_ns(false, seed);

                if (e > worst_exit)
                        worst_exit = e;
                if (q < best_silent)
                        best_silent = q;
        }
        fprintf(stderr, "leader crash, 5 nodes, 20 seeds: new leader after "
                "<= %.1f ms on a process exit, >= %.1f ms on a silent "
                "crash\n", (double)worst_exit / 1e6,
                (double)best_silent / 1e6);
        assert_true(worst_exit <= 225 * MS);
        assert_true(best_silent >= 500 * MS);
}

static size_t env_size(const char *name, size_t def)
{
        const char *v = getenv(name);

        return v && *v ? (size_t)strtoull(v, NULL, 10) : def;
}

/* The randomized campaign: >= 1000 seeded runs over 3, 5 and 7 nodes. */
static void test_random_faults(void **state)
{
        size_t runs = env_size("HBEAT_ELECTION_RUNS", 1500);
        size_t only_n = env_size("HBEAT_ELECTION_NODES", 0);
        const char *one = getenv("HBEAT_ELECTION_SEED");
        static const size_t sizes[] = { 3, 5, 7 };
        size_t failures = 0, done = 0;
        struct timespec t0, t1;

        (void)state;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (one && *one) {
                uint64_t seed = strtoull(one, NULL, 10);

                assert_true(one_run(only_n ? only_n : 3, seed, true));
                return;
        }
        for (size_t r = 0; r < runs; r++) {
                size_t n = only_n ? only_n : sizes[r % 3];

                if (!one_run(n, r + 1, false))
                        failures++;
                done++;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        fprintf(stderr,
                "election sim: %zu runs (%.0f s virtual each), %zu failed, "
                "%" PRIu64 " elections, %" PRIu64 " leader starts, "
                "%" PRIu64 " fences, "
                "smallest handover gap %.1f ms, slowest convergence after "
                "heal %.2f s (bound %.0f s), %.1f s wall\n",
                done, (double)(FAULT_PHASE + AFTER_HEAL) / 1e9, failures,
                g_elections, g_handovers, g_fences,
                g_min_gap == UINT64_MAX ? -1.0 : (double)g_min_gap / 1e6,
                (double)g_max_converge / 1e9, (double)HEAL_BOUND / 1e9,
                (double)(t1.tv_sec - t0.tv_sec) +
                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        assert_int_equal(failures, 0);
}

/* quorum.two_node: 300 seeded runs of two nodes, same faults, same
 * invariants (HBEAT_ELECTION_NODES=2 with a seed replays one). */
static void test_two_node_random(void **state)
{
        size_t runs = env_size("HBEAT_ELECTION_RUNS_2", 300);
        size_t failures = 0;

        (void)state;
        for (size_t r = 0; r < runs; r++)
                if (!one_run(2, r + 1, false))
                        failures++;
        fprintf(stderr, "two_node sim: %zu runs, %zu failed\n", runs,
                failures);
        assert_int_equal(failures, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cold_start),
                cmocka_unit_test(test_leader_crash),
                cmocka_unit_test(test_exit_failover_fast),
                cmocka_unit_test(test_random_faults),
                cmocka_unit_test(test_two_node_random),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
