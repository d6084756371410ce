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
 *      there is exactly one leader and every node follows it in its term.
 *
 * 1-3 live in sim_check.c, shared with test_sim_policy.c, which runs the
 * real resource and VIP policy (hb_policy_t) on every node under the same
 * kinds of faults and checks that the resource never runs twice.
 *
 * A failing seed prints the command that replays it:
 *   HBEAT_ELECTION_SEED=<seed> HBEAT_ELECTION_NODES=<n> test_sim_election
 * Environment: HBEAT_ELECTION_RUNS (default 1500 runs: 3, 5 and 7 nodes).
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
#include "sim_check.h"

#define MS HB_NS_PER_MS
#define S HB_NS_PER_S

/* Faults for FAULT_PHASE, then heal; by HEAL_BOUND after the heal there
 * must be one leader followed by all (checked until the end of the run). */
#define FAULT_PHASE (20 * S)
#define HEAL_BOUND (5 * S)
#define AFTER_HEAL (8 * S)
#define MAX_NODES SIMC_MAX_NODES

static uint64_t g_min_gap = UINT64_MAX;
static uint64_t g_handovers;
static uint64_t g_elections;
static uint64_t g_max_converge;       /* heal -> one leader followed */

static void observe(hbsim_t *s, void *user)
{
        simc_election(user, s);
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
                /* A follower may keep a later term it reached while cut
                 * off: it follows the leader of an earlier one rather
                 * than unseat it (election.c, issue 9). */
                if (ci[i].role != HB_ROLE_FOLLOWER ||
                    ci[i].leader_id != l + 1 || ci[i].term < ci[l].term) {
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

/* Random faults for FAULT_PHASE, then heal; returns false on violation. */
static bool one_run(size_t n, uint64_t seed, bool verbose)
{
        hbsim_config_t cfg;
        hbsim_t *s;
        simc_t ck;
        uint64_t rng = seed * UINT64_C(0x9e3779b97f4a7c15) + n, t = 0;
        uint64_t resume_at[MAX_NODES] = { 0 };
        uint64_t conv_at, end;
        bool down[MAX_NODES] = { false };
        simc_prio_t pp;
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
                cfg.node_config = simc_set_prio;
                cfg.node_config_user = &pp;
        }
        assert_int_equal(hbsim_new(&s, &cfg), 0);
        simc_init(&ck, n, seed, "HBEAT_ELECTION", "test_sim_election");
        ck.split_ok = n == 2;
        hbsim_set_observer(s, observe, &ck);

        /* Start, then faults every 0.2 .. 2 s. */
        t = 2 * S + RND() % (2 * S);
        while (t < FAULT_PHASE && !ck.failed) {
                size_t k = RND() % n, side[MAX_NODES], m = 0;
                unsigned f = (unsigned)(RND() % 100);

                hbsim_run_until(s, t);
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
                                        (void)hbsim_restart(s, i);
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
                if (resume_at[i])
                        hbsim_resume(s, i);
                if (down[i])
                        (void)hbsim_restart(s, i);
        }
        observe(s, &ck);
        /* 4: one leader, followed by all, within HEAL_BOUND of the heal
         * and ever after. */
        conv_at = 0;
        end = FAULT_PHASE + AFTER_HEAL;
        for (t = FAULT_PHASE; t <= end && !ck.failed; t += 10 * MS) {
                bool conv;

                hbsim_run_until(s, t);
                conv = converged(s, n, why, sizeof(why));
                if (conv && conv_at == 0)
                        conv_at = t;
                if (!conv && t >= FAULT_PHASE + HEAL_BOUND)
                        simc_fail(&ck, s, "not converged %.1f s after the "
                                          "heal: %s",
                                  (double)(t - FAULT_PHASE) / 1e9, why);
        }
        if (conv_at - FAULT_PHASE > g_max_converge)
                g_max_converge = conv_at - FAULT_PHASE;
        /* With preempt, the settled leader has the top priority. */
        for (i = 0; top > 0 && i < n && !ck.failed; i++)
                if (hbsim_is_leader(s, i) && pp.prio[i] != top)
                        simc_fail(&ck, s, "preempt: n%zu (priority %" PRIu32
                                          ") leads, the top priority is %"
                                          PRIu32, i + 1, pp.prio[i], top);
        if (ck.min_gap_ns < g_min_gap)
                g_min_gap = ck.min_gap_ns;
        g_handovers += ck.handovers;
        for (i = 0; i < n; i++) {
                hb_coord_info_t ci;

                if (hbsim_coord(s, i, &ci))
                        g_elections += ci.elections_started;
        }
        if (verbose)
                simc_dump_roles(s);
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
                                simc_dump_roles(s);
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
                "smallest handover gap %.1f ms, slowest convergence after "
                "heal %.2f s (bound %.0f s), %.1f s wall\n",
                done, (double)(FAULT_PHASE + AFTER_HEAL) / 1e9, failures,
                g_elections, g_handovers,
                g_min_gap == UINT64_MAX ? -1.0 : (double)g_min_gap / 1e6,
                (double)g_max_converge / 1e9, (double)HEAL_BOUND / 1e9,
                (double)(t1.tv_sec - t0.tv_sec) +
                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        assert_int_equal(failures, 0);
}

/* quorum.two_node: 300 seeded runs of two nodes, same faults, same
 * invariants but overlap (two_node alone does not prevent a split: the
 * resource's safety there is fencing's, test_sim_policy.c);
 * HBEAT_ELECTION_NODES=2 with a seed replays one. */
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
