/* SPDX-License-Identifier: MIT */
/*
 * Topology "subset" (docs/subset.md) in the simulator: 200 nodes, each
 * heartbeating to its 3 successors on the hash ring. Invariants after
 * every event (the node hook): each transition starts from the state
 * the observer last entered, and no node that is up is ever declared
 * dead (nor suspect, at 0 loss).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sim.h"

#define MS HB_NS_PER_MS
#define S HB_NS_PER_S
#define N 200u
#define K 3u
#define INTERVAL S

typedef struct check {
        uint8_t cur[N][N];            /* last state entered, per observer */
        bool down[N];                 /* crashed by the test */
        uint64_t dead_at[N][N];       /* first dead verdict (sim time) */
        bool no_suspect;              /* 0 loss: not even suspect */
        size_t chain_breaks, false_dead, false_suspect;
} check_t;

static void hook(hbsim_t *sim, size_t o, const hb_event_t *ev, void *user)
{
        check_t *c = user;
        size_t p;

        if (!ev || ev->type != HB_EVENT_PEER_STATE)
                return;
        p = ev->peer_id - 1;
        assert_true(p < N);
        if (c->cur[o][p] != ev->old_state)
                c->chain_breaks++;
        c->cur[o][p] = (uint8_t)ev->new_state;
        if (ev->new_state == HB_PEER_DEAD) {
                if (!c->dead_at[o][p])
                        c->dead_at[o][p] = hbsim_now(sim);
                if (!c->down[p])
                        c->false_dead++;
        }
        if (ev->new_state == HB_PEER_SUSPECT && !c->down[p] && c->no_suspect)
                c->false_suspect++;
}

static hbsim_t *start(check_t *c, double loss, uint64_t seed)
{
        hbsim_config_t cfg;
        hbsim_t *sim;

        hbsim_config_default(&cfg);
        cfg.n_nodes = N;
        cfg.seed = seed;
        cfg.loss = loss;
        hb_node_config_default(&cfg.node, HB_DETECTOR_FIXED, INTERVAL);
        cfg.node.cluster_id = 1;
        cfg.node.topology = HB_TOPOLOGY_SUBSET;
        cfg.node.subset.k = K;
        memset(cfg.node.key.bytes, 0x5a, sizeof(cfg.node.key.bytes));
        cfg.no_event_log = true;
        assert_int_equal(hbsim_new(&sim, &cfg), 0);
        hbsim_set_node_hook(sim, hook, c);
        return sim;
}

/* Monitors of node index x (ids are index + 1), on the full ring. */
static void monitors_of(size_t x, uint32_t *out)
{
        uint32_t ring[N];

        for (uint32_t i = 0; i < N; i++)
                ring[i] = i + 1;
        assert_int_equal(hb_subset_ring_sort(ring, N), 0);
        assert_int_equal(hb_subset_monitors(ring, N, (uint32_t)x + 1, K,
                                            NULL, NULL, out),
                         (int)K);
}

static void crash(hbsim_t *sim, check_t *c, size_t i)
{
        c->down[i] = true;
        hbsim_crash(sim, i);
}

static void check_invariants(const check_t *c)
{
        assert_int_equal(c->chain_breaks, 0);
        assert_int_equal(c->false_dead, 0);
        assert_int_equal(c->false_suspect, 0);
}

/* The dead time of the fixed detector (dead_threshold missed intervals
 * after the last heartbeat, at most one interval before the crash). */
static uint64_t dead_time(void)
{
        hb_node_config_t c;

        hb_node_config_default(&c, HB_DETECTOR_FIXED, INTERVAL);
        return (uint64_t)(c.dead_threshold + 1) * INTERVAL;
}

/* 1 % loss: a crash is known dead by every live node within the dead
 * time + 3 intervals (one of jitter, two for the verdict's repeats on
 * the next heartbeats when the first copy is lost). */
static void test_crash_known_by_all(void **state)
{
        check_t *c = calloc(1, sizeof(*c));
        hbsim_t *sim;
        const size_t x = 57;
        const uint64_t at = 10 * S, bound = dead_time() + 3 * INTERVAL;
        uint64_t worst = 0;

        (void)state;
        assert_non_null(c);
        sim = start(c, 0.01, 7);
        hbsim_run_until(sim, at);
        crash(sim, c, x);
        hbsim_run_until(sim, at + bound + 5 * S);
        for (size_t o = 0; o < N; o++) {
                if (o == x)
                        continue;
                assert_int_equal(hbsim_state(sim, o, x), HB_PEER_DEAD);
                assert_true(c->dead_at[o][x] > at);
                if (c->dead_at[o][x] - at > worst)
                        worst = c->dead_at[o][x] - at;
        }
        fprintf(stderr, "subset 200 nodes, 1%% loss: all know after %.3f s "
                        "(bound %.3f s)\n",
                (double)worst / 1e9, (double)bound / 1e9);
        assert_true(worst <= bound);
        check_invariants(c);
        hbsim_free(sim);
        free(c);
}

/* One monitor's link to X cut both ways: X stays alive everywhere (no
 * suspect either, at 0 loss). */
static void test_cut_link_not_dead(void **state)
{
        check_t *c = calloc(1, sizeof(*c));
        hbsim_t *sim;
        uint32_t mon[K];
        const size_t x = 91;

        (void)state;
        assert_non_null(c);
        c->no_suspect = true;
        sim = start(c, 0.0, 3);
        monitors_of(x, mon);
        hbsim_run_until(sim, 10 * S);
        hbsim_cut(sim, x, mon[0] - 1, true);
        hbsim_cut(sim, mon[0] - 1, x, true);
        hbsim_run_until(sim, 40 * S);
        for (size_t o = 0; o < N; o++)
                if (o != x)
                        assert_int_equal(hbsim_state(sim, o, x),
                                         HB_PEER_ALIVE);
        check_invariants(c);
        hbsim_free(sim);
        free(c);
}

/* Two of X's three monitors crash with X: X is frozen (not dead) at an
 * observer until that observer sees both monitors dead; then the ring
 * moves X to live successors, which declare it dead (never heard) one
 * dead time later. */
static void test_two_monitors_down_frozen_then_repaired(void **state)
{
        check_t *c = calloc(1, sizeof(*c));
        hbsim_t *sim;
        uint32_t mon[K];
        const size_t x = 140;
        const uint64_t at = 10 * S;
        const uint64_t bound = 2 * (dead_time() + 3 * INTERVAL);
        uint64_t worst = 0;

        (void)state;
        assert_non_null(c);
        sim = start(c, 0.0, 5);
        monitors_of(x, mon);
        hbsim_run_until(sim, at);
        crash(sim, c, x);
        crash(sim, c, mon[0] - 1);
        crash(sim, c, mon[1] - 1);
        hbsim_run_until(sim, at + bound + 5 * S);
        for (size_t o = 0; o < N; o++) {
                uint64_t m0, m1;

                if (c->down[o])
                        continue;
                m0 = c->dead_at[o][mon[0] - 1];
                m1 = c->dead_at[o][mon[1] - 1];
                assert_true(m0 && m1);
                assert_int_equal(hbsim_state(sim, o, x), HB_PEER_DEAD);
                /* Frozen while a majority of its monitors counted. */
                assert_true(c->dead_at[o][x] >= (m0 > m1 ? m0 : m1));
                if (c->dead_at[o][x] - at > worst)
                        worst = c->dead_at[o][x] - at;
        }
        fprintf(stderr, "subset: two of three monitors down: X dead "
                        "everywhere after %.3f s (bound %.3f s)\n",
                (double)worst / 1e9, (double)bound / 1e9);
        assert_true(worst <= bound);
        check_invariants(c);
        hbsim_free(sim);
        free(c);
}

/* Repairs queued by every node so far (docs/subset.md, "Repair"). */
static uint64_t repairs(hbsim_t *sim)
{
        uint64_t sum = 0;

        for (size_t i = 0; i < N; i++) {
                hb_node_counters_t nc;
                hb_node_t *node = hbsim_node(sim, i);

                if (!node)
                        continue;
                hb_node_counters(node, &nc);
                sum += nc.subset_repairs_sent;
        }
        return sum;
}

static bool in(const uint32_t *set, size_t n, size_t idx)
{
        for (size_t i = 0; i < n; i++)
                if (set[i] == idx + 1)
                        return true;
        return false;
}

/* Observer O never gets a verdict from X's monitors (their paths to O
 * cut one way for the whole test, O neither judges them nor is judged by
 * them): it learns X's death only from the digest repair of its own
 * monitors, within the dead time + 6 intervals (dissemination, two
 * heartbeats of O with a differing digest, the repair). */
static void test_repair_lost_verdicts(void **state)
{
        check_t *c = calloc(1, sizeof(*c));
        hbsim_t *sim;
        uint32_t mon[K], m2[K];
        const size_t x = 33;
        const uint64_t at = 10 * S, bound = dead_time() + 6 * INTERVAL;
        size_t o = N;
        uint64_t first = 0;

        (void)state;
        assert_non_null(c);
        c->no_suspect = true;
        monitors_of(x, mon);
        for (size_t cand = 0; cand < N && o == N; cand++) {
                bool ok = cand != x && !in(mon, K, cand);

                monitors_of(cand, m2);
                for (size_t i = 0; ok && i < K; i++)
                        ok = !in(m2, K, mon[i] - 1) && m2[i] != x + 1;
                for (size_t i = 0; ok && i < K; i++) {
                        monitors_of(mon[i] - 1, m2);
                        ok = !in(m2, K, cand);
                }
                if (ok)
                        o = cand;
        }
        assert_true(o < N);
        sim = start(c, 0.0, 13);
        for (size_t i = 0; i < K; i++)
                hbsim_cut(sim, mon[i] - 1, o, true);
        hbsim_run_until(sim, at);
        crash(sim, c, x);
        hbsim_run_until(sim, at + bound + 5 * S);
        for (size_t i = 0; i < N; i++)
                if (i != x && i != o && c->dead_at[i][x] &&
                    (!first || c->dead_at[i][x] < first))
                        first = c->dead_at[i][x];
        assert_int_equal(hbsim_state(sim, o, x), HB_PEER_DEAD);
        assert_true(first > at && c->dead_at[o][x] > first);
        fprintf(stderr, "subset: verdicts lost to one node: dead there "
                        "%.3f s after the crash, %.3f s after the first "
                        "(bound %.3f s), %llu repairs\n",
                (double)(c->dead_at[o][x] - at) / 1e9,
                (double)(c->dead_at[o][x] - first) / 1e9,
                (double)bound / 1e9, (unsigned long long)repairs(sim));
        assert_true(c->dead_at[o][x] - at <= bound);
        check_invariants(c);
        hbsim_free(sim);
        free(c);
}

/* A node restarts with an empty table: within 4 intervals it holds
 * every member alive again, and a crash before its restart dead (both
 * learned from its monitors' repairs: no verdict changes meanwhile). */
static void test_restart_converges(void **state)
{
        check_t *c = calloc(1, sizeof(*c));
        hbsim_t *sim;
        const size_t r = 120, x = 7;
        const uint64_t at = 30 * S, bound = 4 * INTERVAL;

        (void)state;
        assert_non_null(c);
        c->no_suspect = true;
        sim = start(c, 0.0, 17);
        hbsim_run_until(sim, 5 * S);
        crash(sim, c, x);
        hbsim_run_until(sim, at);
        assert_int_equal(hbsim_state(sim, r, x), HB_PEER_DEAD);
        memset(c->cur[r], 0, sizeof(c->cur[r]));
        memset(c->dead_at[r], 0, sizeof(c->dead_at[r]));
        assert_int_equal(hbsim_restart(sim, r), 0);
        hbsim_run_until(sim, at + bound);
        for (size_t p = 0; p < N; p++) {
                if (p == r)
                        continue;
                assert_int_equal(hbsim_state(sim, r, p),
                                 p == x ? HB_PEER_DEAD : HB_PEER_ALIVE);
        }
        fprintf(stderr, "subset: restarted node converged within %.3f s "
                        "(%llu repairs)\n", (double)bound / 1e9,
                (unsigned long long)repairs(sim));
        check_invariants(c);
        hbsim_free(sim);
        free(c);
}

/* 0 loss, 60 s: no suspect or dead at all; heartbeats are k per node
 * per interval; no repair in the steady state (after 30 s). */
static void test_no_false_dead(void **state)
{
        check_t *c = calloc(1, sizeof(*c));
        hbsim_t *sim;
        uint64_t hb, rep;

        (void)state;
        assert_non_null(c);
        c->no_suspect = true;
        sim = start(c, 0.0, 11);
        hbsim_run_until(sim, 30 * S);
        rep = repairs(sim);
        hbsim_run_until(sim, 60 * S);
        assert_int_equal(repairs(sim), rep);
        for (size_t o = 0; o < N; o++)
                for (size_t p = 0; p < N; p++)
                        if (o != p)
                                assert_int_equal(hbsim_state(sim, o, p),
                                                 HB_PEER_ALIVE);
        hb = hbsim_sent(sim, HB_MSG_HEARTBEAT);
        assert_true(hb >= (uint64_t)N * K * 59);
        assert_true(hb <= (uint64_t)N * K * 61);
        check_invariants(c);
        hbsim_free(sim);
        free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crash_known_by_all),
                cmocka_unit_test(test_cut_link_not_dead),
                cmocka_unit_test(test_two_monitors_down_frozen_then_repaired),
                cmocka_unit_test(test_no_false_dead),
                cmocka_unit_test(test_repair_lost_verdicts),
                cmocka_unit_test(test_restart_converges),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
