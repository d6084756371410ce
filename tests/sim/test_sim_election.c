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
 * Clock drift (test_drift_faults): the same campaign with every node's
 * clock at its own fixed rate, drawn within the bound the nodes are
 * configured for (coord.clock_drift_ppm, the simulator's
 * clock_drift_ppm): half the runs at 1,000 ppm (the default), half at
 * 50,000 ppm, each from a random offset. The invariants are checked in
 * simulator ("real") time. test_drift_out_of_bound shows the checker
 * catches what a clock outside the bound does: a leader whose clock runs
 * 30 % slow (or followers 30 % fast), the nodes configured for 1,000 ppm,
 * still leads after another has been elected.
 *
 * A failing seed prints the command that replays it:
 *   HBEAT_ELECTION_SEED=<seed> HBEAT_ELECTION_NODES=<n>
 *   [HBEAT_ELECTION_DRIFT_PPM=<ppm>] test_sim_election
 * Environment: HBEAT_ELECTION_RUNS (default 1500 runs: 3, 5 and 7 nodes),
 * HBEAT_ELECTION_DRIFT_RUNS (default 1000), HBEAT_ELECTION_DRIFT_PPM
 * (only that bound in the drift campaign; the clocks of a replayed seed),
 * HBEAT_ELECTION_DELAY_MS (every campaign run with that election delay
 * instead of the default, one interval: for exploring),
 * HBEAT_ELECTION_VERBOSE (the role events of the lease races).
 *
 * The gossip topology (docs/gossip.md, "Quorum and election"): the same
 * campaign with every node on gossip, the voters' states from SWIM
 * (test_gossip_random_faults, HBEAT_ELECTION_GOSSIP_RUNS, default 500;
 * HBEAT_ELECTION_GOSSIP=1 replays a seed), and a leader crash at 3, 5
 * and 7 nodes.
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
/* Gossip: a node declared dead while cut off or stopped comes back by
 * reconnect (a ping every 10 intervals to one member held dead) and
 * refutes; a restarted one by its first probes. */
#define GOSSIP_HEAL_BOUND (7 * S)
#define AFTER_HEAL (8 * S)
#define GOSSIP_AFTER_HEAL (10 * S)
#define MAX_NODES SIMC_MAX_NODES

/* What a campaign counts. */
typedef struct stats {
        size_t runs, failures;
        uint64_t min_gap;             /* smallest handover gap */
        uint64_t handovers;           /* leader starts */
        uint64_t elections;
        uint64_t max_converge;        /* heal -> one leader followed */
} stats_t;

static void stats_init(stats_t *st)
{
        memset(st, 0, sizeof(*st));
        st->min_gap = UINT64_MAX;
}

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

static size_t env_size(const char *name, size_t def)
{
        const char *v = getenv(name);

        return v && *v ? (size_t)strtoull(v, NULL, 10) : def;
}

/* The gossip variant (test_gossip_*): every node's topology is gossip,
 * its peers are the voters (docs/gossip.md, "Quorum and election"). */
static bool gossip;

static void config(hbsim_config_t *c, size_t n, uint64_t seed)
{
        hbsim_config_default(c);
        c->n_nodes = n;
        c->seed = seed;
        c->node.coord.enabled = true;
        if (gossip)
                c->node.topology = HB_TOPOLOGY_GOSSIP;
}

/* Random faults for FAULT_PHASE, then heal; returns false on violation.
 * drift_ppm: every node's clock at its own rate within that bound, and the
 * nodes configured for it (0: one clock, the default bound). */
static bool one_run(size_t n, uint64_t seed, uint32_t drift_ppm, bool verbose,
                    stats_t *st)
{
        hbsim_config_t cfg;
        hbsim_t *s;
        simc_t ck;
        uint64_t rng = seed * UINT64_C(0x9e3779b97f4a7c15) + n, t = 0;
        uint64_t resume_at[MAX_NODES] = { 0 };
        uint64_t conv_at, end;
        uint64_t heal_bound = gossip ? GOSSIP_HEAL_BOUND : HEAL_BOUND;
        bool down[MAX_NODES] = { false };
        simc_prio_t pp;
        uint32_t top = 0;
        char why[200], extra[96];
        size_t i;

#define RND() (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)
        config(&cfg, n, seed);
        cfg.clock_drift_ppm = drift_ppm;
        cfg.node.coord.clock_drift_ppm = drift_ppm;
        /* Exploration: another election delay (the floor is 1 ms). */
        if (getenv("HBEAT_ELECTION_DELAY_MS"))
                cfg.node.coord.election_delay_ns =
                        env_size("HBEAT_ELECTION_DELAY_MS", 100) * MS;
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
        extra[0] = '\0';
        if (getenv("HBEAT_ELECTION_DELAY_MS"))
                snprintf(extra, sizeof(extra), "HBEAT_ELECTION_DELAY_MS=%s ",
                         getenv("HBEAT_ELECTION_DELAY_MS"));
        if (drift_ppm != 0)
                snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
                         "HBEAT_ELECTION_DRIFT_PPM=%" PRIu32 " ", drift_ppm);
        if (gossip)
                snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
                         "HBEAT_ELECTION_GOSSIP=1 ");
        ck.replay_extra = extra;
        hbsim_set_observer(s, observe, &ck);
        if (verbose && drift_ppm != 0)
                for (i = 0; i < n; i++)
                        fprintf(stderr, "n%zu: clock %+.1f ppm, reads "
                                "%.3f ms at 0\n", i + 1,
                                (double)hbsim_clock_rate_ppb(s, i) / 1e3,
                                (double)hbsim_local(s, i, 0) / 1e6);
        if (verbose && top > 0)
                for (i = 0; i < n; i++)
                        fprintf(stderr, "n%zu: priority %" PRIu32 "\n",
                                i + 1, pp.prio[i]);

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
                } else if (RND() % 4 != 0) {
                        hbsim_set_loss(s, (double)(RND() % 20) / 100.0);
                } else {
                        /* A loss burst: 50-94 % until the next fault
                         * (0.2 .. 2 s), on every link. */
                        hbsim_set_loss(s, (double)(50 + RND() % 45) / 100.0);
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
        end = FAULT_PHASE + (gossip ? GOSSIP_AFTER_HEAL : AFTER_HEAL);
        for (t = FAULT_PHASE; t <= end && !ck.failed; t += 10 * MS) {
                bool conv;

                hbsim_run_until(s, t);
                conv = converged(s, n, why, sizeof(why));
                if (conv && conv_at == 0)
                        conv_at = t;
                if (!conv && t >= FAULT_PHASE + heal_bound)
                        simc_fail(&ck, s, "not converged %.1f s after the "
                                          "heal: %s",
                                  (double)(t - FAULT_PHASE) / 1e9, why);
        }
        if (conv_at != 0 && conv_at - FAULT_PHASE > st->max_converge)
                st->max_converge = conv_at - FAULT_PHASE;
        /* With preempt, the settled leader has the top priority. */
        for (i = 0; top > 0 && i < n && !ck.failed; i++)
                if (hbsim_is_leader(s, i) && pp.prio[i] != top)
                        simc_fail(&ck, s, "preempt: n%zu (priority %" PRIu32
                                          ") leads, the top priority is %"
                                          PRIu32, i + 1, pp.prio[i], top);
        if (ck.min_gap_ns < st->min_gap)
                st->min_gap = ck.min_gap_ns;
        st->handovers += ck.handovers;
        for (i = 0; i < n; i++) {
                hb_coord_info_t ci;

                if (hbsim_coord(s, i, &ci))
                        st->elections += ci.elections_started;
        }
        st->runs++;
        st->failures += ck.failed;
        if (verbose)
                simc_dump_roles(s);
        if (verbose && gossip && getenv("HBEAT_ELECTION_DEBUG")) {
                for (i = 0; i < n; i++) {
                        hb_node_t *nd = hbsim_node(s, i);
                        hb_gossip_info_t gi;

                        if (!nd)
                                continue;
                        hb_node_gossip_info(nd, &gi);
                        fprintf(stderr, "n%zu: inc %u lhm %u refut %llu:", i + 1,
                                gi.incarnation, gi.lhm,
                                (unsigned long long)gi.refutations);
                        for (size_t j = 0; j < hb_node_peer_count(nd); j++) {
                                hb_peer_info_t pi;

                                hb_node_peer_at(nd, j, 0, &pi);
                                fprintf(stderr, " n%u=%s/%llu", pi.id,
                                        hb_peer_state_name(pi.state),
                                        (unsigned long long)pi.incarnation);
                        }
                        fprintf(stderr, "\n");
                }
        }
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

/* Elections started by all nodes so far. */
static uint64_t elections_started(hbsim_t *s, size_t n)
{
        uint64_t sum = 0;

        for (size_t i = 0; i < n; i++) {
                hb_coord_info_t ci;

                if (hbsim_coord(s, i, &ci))
                        sum += ci.elections_started;
        }
        return sum;
}

/* Time from the leader's crash until another node leads, ns (capped);
 * *elections: how many the survivors started until then (1: no split
 * vote). */
static uint64_t failover_ns(bool exits, uint64_t seed, uint64_t *elections)
{
        hbsim_config_t cfg;
        hbsim_t *s;
        char why[200];
        size_t l = 0, i;
        uint64_t t, before;

        config(&cfg, 5, seed);
        cfg.port_unreachable = exits;
        assert_int_equal(hbsim_new(&s, &cfg), 0);
        hbsim_run_until(s, 4 * S);
        assert_true(converged(s, 5, why, sizeof(why)));
        for (i = 0; i < 5; i++)
                if (hbsim_is_leader(s, i))
                        l = i;
        hbsim_crash(s, l);
        before = elections_started(s, 5);
        for (t = 4 * S; t < 8 * S; t += MS) {
                hbsim_run_until(s, t);
                for (i = 0; i < 5; i++)
                        if (i != l && hbsim_is_leader(s, i)) {
                                *elections = elections_started(s, 5) -
                                             before;
                                hbsim_free(s);
                                return t - 4 * S;
                        }
        }
        *elections = elections_started(s, 5) - before;
        hbsim_free(s);
        return 4 * S;
}

/* A process exit (port unreachable) fails over within two intervals and
 * a quarter; a silent crash waits for the detector (dead) and the
 * promise to the old leader. Each takes one election: followers that
 * learn of the death at different times do not split the vote (issue 9
 * saw two stand 93 ms apart after a kill -9: 543 ms instead of 35-85). */
static void test_exit_failover_fast(void **state)
{
        uint64_t worst_exit = 0, best_silent = UINT64_MAX;
        uint64_t splits = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= 20; seed++) {
                uint64_t ee, qe;
                uint64_t e = failover_ns(true, seed, &ee);
                uint64_t q = failover_ns(false, seed, &qe);

                splits += (ee != 1) + (qe != 1);

                if (e > worst_exit)
                        worst_exit = e;
                if (q < best_silent)
                        best_silent = q;
        }
        fprintf(stderr, "leader crash, 5 nodes, 20 seeds: new leader after "
                "<= %.1f ms on a process exit, >= %.1f ms on a silent "
                "crash; %" PRIu64 " of 40 failovers took more than one "
                "election\n", (double)worst_exit / 1e6,
                (double)best_silent / 1e6, splits);
        assert_int_equal(splits, 0);
        assert_true(worst_exit <= 225 * MS);
        assert_true(best_silent >= 500 * MS);
}

static double wall_since(const struct timespec *t0)
{
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) +
               (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The randomized campaign: >= 1000 seeded runs over 3, 5 and 7 nodes. */
static void test_random_faults(void **state)
{
        size_t runs = env_size("HBEAT_ELECTION_RUNS", 1500);
        size_t only_n = env_size("HBEAT_ELECTION_NODES", 0);
        const char *one = getenv("HBEAT_ELECTION_SEED");
        static const size_t sizes[] = { 3, 5, 7 };
        struct timespec t0;
        stats_t st;

        (void)state;
        stats_init(&st);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (one && *one) {
                uint64_t seed = strtoull(one, NULL, 10);
                uint32_t ppm = (uint32_t)env_size("HBEAT_ELECTION_DRIFT_PPM",
                                                  0);

                gossip = getenv("HBEAT_ELECTION_GOSSIP") != NULL;
                assert_true(one_run(only_n ? only_n : 3, seed, ppm, true,
                                    &st));
                gossip = false;
                return;
        }
        for (size_t r = 0; r < runs; r++) {
                size_t n = only_n ? only_n : sizes[r % 3];

                (void)one_run(n, r + 1, 0, false, &st);
        }
        fprintf(stderr,
                "election sim: %zu runs (%.0f s virtual each), %zu failed, "
                "%" PRIu64 " elections, %" PRIu64 " leader starts, "
                "smallest handover gap %.1f ms, slowest convergence after "
                "heal %.2f s (bound %.0f s), %.1f s wall\n",
                st.runs, (double)(FAULT_PHASE + AFTER_HEAL) / 1e9,
                st.failures, st.elections, st.handovers,
                st.min_gap == UINT64_MAX ? -1.0 : (double)st.min_gap / 1e6,
                (double)st.max_converge / 1e9,
                (double)(gossip ? GOSSIP_HEAL_BOUND : HEAL_BOUND) / 1e9,
                wall_since(&t0));
        assert_int_equal(st.failures, 0);
}

/* The campaign with clock drift: run r has 3, 5 or 7 nodes (r mod 3) and
 * clocks within 1,000 or 50,000 ppm (r / 3 mod 2), the nodes configured
 * for that bound; seeds 1, 2, ... as above (same faults, other clocks). */
static void test_drift_faults(void **state)
{
        size_t runs = env_size("HBEAT_ELECTION_DRIFT_RUNS", 1000);
        size_t only_n = env_size("HBEAT_ELECTION_NODES", 0);
        uint32_t only = (uint32_t)env_size("HBEAT_ELECTION_DRIFT_PPM", 0);
        const char *one = getenv("HBEAT_ELECTION_SEED");
        static const size_t sizes[] = { 3, 5, 7 };
        uint32_t bounds[2] = { 1000, 50000 };
        size_t n_bounds = 2, failures = 0;
        struct timespec t0;
        stats_t st[2];

        (void)state;
        if (one && *one)
                return; /* a replay: test_random_faults runs it */
        if (only != 0) {
                bounds[0] = only;
                n_bounds = 1;
        }
        stats_init(&st[0]);
        stats_init(&st[1]);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t r = 0; r < runs; r++) {
                size_t n = only_n ? only_n : sizes[r % 3];
                size_t k = (r / 3) % n_bounds;

                (void)one_run(n, r + 1, bounds[k], false, &st[k]);
        }
        for (size_t k = 0; k < n_bounds; k++) {
                fprintf(stderr,
                        "drift sim, clocks within %" PRIu32 " ppm: %zu runs, "
                        "%zu failed, %" PRIu64 " elections, %" PRIu64
                        " leader starts, smallest handover gap %.1f ms, "
                        "slowest convergence after heal %.2f s\n",
                        bounds[k], st[k].runs, st[k].failures,
                        st[k].elections, st[k].handovers,
                        st[k].min_gap == UINT64_MAX
                                ? -1.0
                                : (double)st[k].min_gap / 1e6,
                        (double)st[k].max_converge / 1e9);
                failures += st[k].failures;
        }
        fprintf(stderr, "drift sim: %zu runs, %.1f s wall\n", runs,
                wall_since(&t0));
        assert_int_equal(failures, 0);
}

/* How one lease race went (test_drift_out_of_bound). */
typedef struct race {
        simc_t ck;
        uint64_t stepped_down;        /* n1 stopped leading (sim time) */
        uint64_t elected;             /* the next leader started */
        size_t next;                  /* that leader's index */
} race_t;

#define RACE_SEED 1
#define RACE_CUT (5 * S)

static void set_race_prio(hb_node_config_t *cfg, size_t i, void *user)
{
        static const uint32_t prio[] = { 200, 150, 100 };

        (void)user;
        cfg->coord.priority = prio[i];
}

/*
 * A race only the lease decides. Three nodes configured for clocks within
 * 1,000 ppm, the election delay at its 1 ms floor (the random delay is
 * margin the lease does not count on); n1 (priority 200) leads. At 3 s
 * the clocks change rate: n1's to `leader_ppm`, n2's and n3's to
 * `follower_ppm`. At RACE_CUT n1 is cut off from n2 both ways and its
 * heartbeats to n3 are lost (n3's still reach it: it stays quorate). n2
 * (priority 150) and n3 convict n1, wait out their promise and elect n2;
 * n3 then names a later term, but as a follower, and nothing of n2
 * reaches n1: n1 steps down when its lease runs out, on its clock.
 */
static void lease_race(int32_t leader_ppm, int32_t follower_ppm, race_t *out)
{
        hbsim_config_t cfg;
        hbsim_t *s;
        const hbsim_event_t *ev;
        size_t ne, i;

        memset(out, 0, sizeof(*out));
        config(&cfg, 3, RACE_SEED);
        cfg.node.coord.clock_drift_ppm = 1000;
        cfg.node.coord.election_delay_ns = 1 * MS;
        cfg.node_config = set_race_prio;
        assert_int_equal(hbsim_new(&s, &cfg), 0);
        simc_init(&out->ck, 3, RACE_SEED, "HBEAT_ELECTION",
                  "test_sim_election");
        out->ck.quiet = true;
        hbsim_set_observer(s, observe, &out->ck);
        hbsim_run_until(s, 3 * S);
        assert_true(hbsim_is_leader(s, 0));
        assert_int_equal(hbsim_set_clock_rate(s, 0, leader_ppm), 0);
        assert_int_equal(hbsim_set_clock_rate(s, 1, follower_ppm), 0);
        assert_int_equal(hbsim_set_clock_rate(s, 2, follower_ppm), 0);
        hbsim_run_until(s, RACE_CUT);
        assert_false(out->ck.failed);
        assert_true(hbsim_is_leader(s, 0));
        hbsim_cut(s, 0, 1, true);
        hbsim_cut(s, 1, 0, true);
        hbsim_cut(s, 0, 2, true);
        hbsim_run_until(s, RACE_CUT + 5 * S);
        ev = hbsim_events(s, &ne);
        for (i = 0; i < ne; i++) {
                const hb_event_t *e = &ev[i].ev;

                if (ev[i].at_ns < RACE_CUT || e->type != HB_EVENT_ROLE)
                        continue;
                if (ev[i].observer == 0 && e->old_role == HB_ROLE_LEADER &&
                    e->new_role != HB_ROLE_LEADER && !out->stepped_down)
                        out->stepped_down = ev[i].at_ns;
                if (ev[i].observer != 0 && e->new_role == HB_ROLE_LEADER &&
                    e->old_role != HB_ROLE_LEADER && !out->elected) {
                        out->elected = ev[i].at_ns;
                        out->next = ev[i].observer;
                }
        }
        if (getenv("HBEAT_ELECTION_VERBOSE"))
                simc_dump_roles(s);
        hbsim_free(s);
        assert_true(out->stepped_down != 0);
        assert_true(out->elected != 0);
        assert_int_equal(out->next, 1); /* n2 */
}

/* One race: with `overlap`, the checker must report two acting leaders
 * from n2's election until n1 steps down; without, n1 steps down first. */
static void race_case(const char *what, int32_t leader_ppm,
                      int32_t follower_ppm, bool overlap)
{
        race_t r;

        lease_race(leader_ppm, follower_ppm, &r);
        if (!overlap) {
                fprintf(stderr,
                        "lease race, %s: n1 steps down at %.3f ms, n2 is "
                        "elected %.3f ms later\n",
                        what, (double)r.stepped_down / 1e6,
                        (double)(r.elected - r.stepped_down) / 1e6);
                assert_false(r.ck.failed);
                assert_true(r.elected > r.stepped_down);
                return;
        }
        fprintf(stderr,
                "lease race, %s: n2 elected at %.3f ms, n1 steps down "
                "%.3f ms later; checker (expected): \"%s\" at %.3f ms\n",
                what, (double)r.elected / 1e6,
                (double)(r.stepped_down - r.elected) / 1e6, r.ck.why,
                (double)r.ck.failed_at / 1e6);
        assert_true(r.ck.failed);
        assert_non_null(strstr(r.ck.why, "2 acting leaders at once"));
        assert_true(r.stepped_down > r.elected);
        assert_int_equal(r.ck.failed_at, r.elected);
}

/*
 * The lease argument is tight, and the checker catches a clock outside
 * the bound the nodes are configured for (1,000 ppm): at the bound, the
 * worst way round (n1 slow, n2 and n3 fast), n1 steps down first; with
 * n1's clock 30 % slow, or n2's and n3's 30 % fast, both lead at once.
 * Then the smallest slowdown of n1's clock, in steps of 250 ppm, at which
 * they overlap: a few times the bound (the margin is what rho buys plus
 * about a round trip).
 */
static void test_drift_out_of_bound(void **state)
{
        race_t r;
        int32_t ppm;

        (void)state;
        race_case("n1 -1000 ppm, n2 and n3 +1000 ppm (at the bound)", -1000,
                  1000, false);
        race_case("n1's clock 30 % slow (-300000 ppm)", -300000, 0, true);
        race_case("n2's and n3's clocks 30 % fast (+300000 ppm)", 0, 300000,
                  true);
        for (ppm = 1000; ppm <= 50000; ppm += 250) {
                lease_race(-ppm, 0, &r);
                if (r.ck.failed)
                        break;
        }
        fprintf(stderr, "lease race: two leaders from n1's clock -%" PRId32
                " ppm on (%.2f x the bound), %.3f ms of overlap\n", ppm,
                (double)ppm / 1000, r.ck.failed ?
                (double)(r.stepped_down - r.elected) / 1e6 : 0.0);
        assert_true(r.ck.failed);
        assert_true(ppm > 1000);
}

/*
 * Issue 9: at 20-30 % loss the old 3-interval lease expired 2-4 times a
 * minute with no peer ever suspect. The lease now derives from the
 * followers' detectors, so it may give way only with them: every
 * `lease expired` must come with a suspicion near it (within 2 s before
 * to 0.5 s after), by a follower of the leader or by the leader of a
 * follower. 10 minutes virtual per run, 3 and 5 nodes, 30 % independent
 * loss on every link at 100 ms and at 20 ms.
 */
static void test_lease_rides_out_loss(void **state)
{
        static const struct {
                uint64_t interval_ns;
                size_t n;
        } runs[] = { { 100 * MS, 3 }, { 100 * MS, 5 }, { 20 * MS, 3 },
                     { 20 * MS, 5 } };
        const uint64_t span = 600 * S;

        (void)state;
        for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
                hbsim_config_t cfg;
                hbsim_t *s;
                const hbsim_event_t *ev;
                size_t ne, expiries = 0, suspicions = 0, dead = 0;

                config(&cfg, runs[r].n, 900 + r);
                hb_node_config_default(&cfg.node, HB_DETECTOR_PHI,
                                       runs[r].interval_ns);
                cfg.node.coord.enabled = true;
                assert_int_equal(hbsim_new(&s, &cfg), 0);
                hbsim_run_until(s, 5 * S);
                hbsim_set_loss(s, 0.30);
                hbsim_run_until(s, 5 * S + span);
                ev = hbsim_events(s, &ne);
                for (size_t i = 0; i < ne; i++) {
                        const hb_event_t *e = &ev[i].ev;
                        uint64_t t = ev[i].at_ns;
                        bool near = false;

                        if (t < 5 * S)
                                continue;
                        if (e->type == HB_EVENT_PEER_STATE) {
                                suspicions += e->new_state == HB_PEER_SUSPECT;
                                dead += e->new_state == HB_PEER_DEAD;
                                continue;
                        }
                        if (e->type != HB_EVENT_ROLE ||
                            e->old_role != HB_ROLE_LEADER || !e->why ||
                            strcmp(e->why, "lease expired") != 0)
                                continue;
                        expiries++;
                        for (size_t k = 0; k < ne && !near; k++) {
                                const hb_event_t *f = &ev[k].ev;

                                near = f->type == HB_EVENT_PEER_STATE &&
                                       (f->new_state == HB_PEER_SUSPECT ||
                                        f->new_state == HB_PEER_DEAD) &&
                                       (ev[k].peer == ev[i].observer ||
                                        ev[k].observer == ev[i].observer) &&
                                       ev[k].at_ns + 2 * S >= t &&
                                       ev[k].at_ns <= t + S / 2;
                        }
                        if (!near)
                                fprintf(stderr, "n%zu: lease expired at "
                                        "%.3f s with no suspicion near "
                                        "(interval %.0f ms, %zu nodes, "
                                        "seed %zu)\n", ev[i].observer + 1,
                                        (double)t / 1e9,
                                        (double)runs[r].interval_ns / 1e6,
                                        runs[r].n, (size_t)(900 + r));
                        assert_true(near);
                }
                fprintf(stderr, "30 %% loss, %.0f ms, %zu nodes, %.0f min: "
                        "%zu lease expiries, %zu suspicions, %zu dead "
                        "verdicts\n", (double)runs[r].interval_ns / 1e6,
                        runs[r].n, (double)span / 60e9, expiries,
                        suspicions, dead);
                hbsim_free(s);
        }
}

/*
 * Topology gossip (docs/gossip.md, "Quorum and election"): the voters'
 * states come from SWIM, the election's messages go to them by id. Cold
 * start and a leader crash, then the randomized campaign with the same
 * faults and the same invariants after every event:
 * HBEAT_ELECTION_GOSSIP_RUNS runs (default 500: 3, 5 and 7 nodes, 9-13 s
 * on the loaded test machine; 3,000 runs passed); a failing seed
 * replays with HBEAT_ELECTION_GOSSIP=1 HBEAT_ELECTION_SEED=... as
 * printed, HBEAT_ELECTION_DEBUG=1 adding every node's member view.
 */
static void test_gossip_cold_start_and_crash(void **state)
{
        (void)state;
        gossip = true;
        for (size_t n = 3; n <= 7; n += 2) {
                for (uint64_t seed = 1; seed <= 5; seed++) {
                        hbsim_config_t cfg;
                        hbsim_t *s;
                        hb_coord_info_t ci;
                        char why[200];
                        size_t l = 0;
                        uint64_t term;

                        config(&cfg, n, seed);
                        assert_int_equal(hbsim_new(&s, &cfg), 0);
                        hbsim_run_until(s, 5 * S);
                        if (!converged(s, n, why, sizeof(why))) {
                                fprintf(stderr, "gossip n=%zu seed %" PRIu64
                                        ": %s\n", n, seed, why);
                                simc_dump_roles(s);
                                fail();
                        }
                        for (size_t i = 0; i < n; i++)
                                if (hbsim_is_leader(s, i))
                                        l = i;
                        hbsim_coord(s, l, &ci);
                        term = ci.term;
                        hbsim_crash(s, l);
                        hbsim_run_until(s, 10 * S);
                        for (size_t i = 0; i < n; i++) {
                                if (i == l)
                                        continue;
                                hbsim_coord(s, i, &ci);
                                if (ci.term <= term || ci.leader_id == 0 ||
                                    ci.leader_id == l + 1) {
                                        fprintf(stderr, "gossip n=%zu seed "
                                                "%" PRIu64 ": n%zu after "
                                                "the crash of n%zu: term %"
                                                PRIu64 " leader n%u\n", n,
                                                seed, i + 1, l + 1, ci.term,
                                                ci.leader_id);
                                        simc_dump_roles(s);
                                        fail();
                                }
                        }
                        assert_int_equal(hbsim_restart(s, l), 0);
                        hbsim_run_until(s, 16 * S);
                        assert_true(converged(s, n, why, sizeof(why)));
                        hbsim_free(s);
                }
        }
        gossip = false;
}

static void test_gossip_random_faults(void **state)
{
        size_t runs = env_size("HBEAT_ELECTION_GOSSIP_RUNS", 500);
        size_t only_n = env_size("HBEAT_ELECTION_NODES", 0);
        static const size_t sizes[] = { 3, 5, 7 };
        struct timespec t0;
        stats_t st;

        (void)state;
        if (getenv("HBEAT_ELECTION_SEED"))
                return; /* a replay: test_random_faults runs it */
        gossip = true;
        stats_init(&st);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (size_t r = 0; r < runs; r++) {
                size_t n = only_n ? only_n : sizes[r % 3];

                (void)one_run(n, r + 1, 0, false, &st);
        }
        gossip = false;
        fprintf(stderr,
                "gossip election sim: %zu runs, %zu failed, %" PRIu64
                " elections, %" PRIu64 " leader starts, smallest handover "
                "gap %.1f ms, slowest convergence after heal %.2f s "
                "(bound %.0f s), %.1f s wall\n",
                st.runs, st.failures, st.elections, st.handovers,
                st.min_gap == UINT64_MAX ? -1.0 : (double)st.min_gap / 1e6,
                (double)st.max_converge / 1e9,
                (double)GOSSIP_HEAL_BOUND / 1e9, wall_since(&t0));
        assert_int_equal(st.failures, 0);
}

/* quorum.two_node: 300 seeded runs of two nodes, same faults, same
 * invariants but overlap (two_node alone does not prevent a split: the
 * resource's safety there is fencing's, test_sim_policy.c);
 * HBEAT_ELECTION_NODES=2 with a seed replays one. */
static void test_two_node_random(void **state)
{
        size_t runs = env_size("HBEAT_ELECTION_RUNS_2", 300);
        stats_t st;

        (void)state;
        stats_init(&st);
        for (size_t r = 0; r < runs; r++)
                (void)one_run(2, r + 1, 0, false, &st);
        fprintf(stderr, "two_node sim: %zu runs, %zu failed\n", runs,
                st.failures);
        assert_int_equal(st.failures, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cold_start),
                cmocka_unit_test(test_leader_crash),
                cmocka_unit_test(test_exit_failover_fast),
                cmocka_unit_test(test_random_faults),
                cmocka_unit_test(test_drift_faults),
                cmocka_unit_test(test_drift_out_of_bound),
                cmocka_unit_test(test_lease_rides_out_loss),
                cmocka_unit_test(test_two_node_random),
                cmocka_unit_test(test_gossip_cold_start_and_crash),
                cmocka_unit_test(test_gossip_random_faults),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
