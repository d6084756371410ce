/* SPDX-License-Identifier: MIT */
/*
 * 1,000 nodes in full mesh on the simulator (issue 13, "simulator at
 * scale"): 999,000 peers in one process, the same core as hbeatd, no
 * event log (the node hook sees every event as it comes).
 *
 *   - no false positive at 0 % loss: nobody is ever suspect or dead at
 *     any observer but the two crashed nodes;
 *   - every crash is seen dead by every live member, within the fixed
 *     detector's bound (dead threshold + one interval + delays);
 *   - every observer's transitions on every peer chain (each event leaves
 *     from the state the previous one entered);
 *   - about n - 1 heartbeats per node per interval;
 *
 * and, small, the regions: a region cut off is dead outside it and
 * alive inside, and alive everywhere again once healed.
 *
 * Prints the wall time, CPU time and peak RSS (docs/benchmarks.md,
 * "Issue 13: scale"). Replay a failure with `hbeat-sim run --nodes 1000
 * --detector fixed --interval-ms 1000 --fault crash:101:1500 --fault
 * crash:701:2000 --duration-s 7 --seed 13`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "sim/arena.h"
#include "sim/sim.h"

#define MS HB_NS_PER_MS
#define S HB_NS_PER_S
#define N 1000u
#define INTERVAL S
#define CRASH_A 100u
#define CRASH_B 700u
#define AT_A (1500 * MS)
#define AT_B (2000 * MS)
#define END (7 * S)

typedef struct check {
        uint8_t *cur;                 /* N x N: last state entered */
        uint64_t dead_a[N], dead_b[N];  /* when each observer saw them
                                           dead (sim time), 0: not */
        size_t false_pos, chain_breaks;
        size_t first_fp_obs, first_fp_peer;
        uint64_t first_fp_at;
} check_t;

static void hook(hbsim_t *sim, size_t o, const hb_event_t *ev, void *user)
{
        check_t *c = user;
        size_t p;

        if (!ev || ev->type != HB_EVENT_PEER_STATE)
                return;
        p = ev->peer_id - 1;
        assert_true(p < N);
        if (c->cur[o * N + p] != ev->old_state)
                c->chain_breaks++;
        c->cur[o * N + p] = (uint8_t)ev->new_state;
        if (ev->new_state != HB_PEER_SUSPECT && ev->new_state != HB_PEER_DEAD)
                return;
        if (p == CRASH_A && hbsim_now(sim) >= AT_A) {
                if (ev->new_state == HB_PEER_DEAD && !c->dead_a[o])
                        c->dead_a[o] = hbsim_now(sim);
                return;
        }
        if (p == CRASH_B && hbsim_now(sim) >= AT_B) {
                if (ev->new_state == HB_PEER_DEAD && !c->dead_b[o])
                        c->dead_b[o] = hbsim_now(sim);
                return;
        }
        if (c->false_pos++ == 0) {
                c->first_fp_obs = o;
                c->first_fp_peer = p;
                c->first_fp_at = hbsim_now(sim);
        }
}

static double secs(const struct timespec *a, const struct timespec *b)
{
        return (double)(b->tv_sec - a->tv_sec) +
               (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void test_full_mesh_1000(void **state)
{
        hbsim_config_t cfg;
        hbsim_t *sim;
        check_t *c = calloc(1, sizeof(*c));
        struct timespec t0, t1, t2;
        struct rusage ru;
        uint64_t bound, hb;
        size_t missing = 0;

        (void)state;
        assert_non_null(c);
        c->cur = calloc((size_t)N * N, 1);
        assert_non_null(c->cur);
        hbsim_config_default(&cfg);
        cfg.n_nodes = N;
        cfg.seed = 13;
        hb_node_config_default(&cfg.node, HB_DETECTOR_FIXED, INTERVAL);
        cfg.node.cluster_id = 1;
        memset(cfg.node.key.bytes, 0x5a, sizeof(cfg.node.key.bytes));
        cfg.no_event_log = true;
        assert_int_equal(hbsim_arena_install(), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(hbsim_new(&sim, &cfg), 0);
        hbsim_set_node_hook(sim, hook, c);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        hbsim_run_until(sim, AT_A);
        hbsim_crash(sim, CRASH_A);
        hbsim_run_until(sim, AT_B);
        hbsim_crash(sim, CRASH_B);
        hbsim_run_until(sim, END);
        clock_gettime(CLOCK_MONOTONIC, &t2);
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr,
                "1000-node mesh, %.0f simulated s: boot %.2f s, run %.2f s "
                "wall, %.2f s CPU, peak RSS %.0f MB, %llu delivered\n",
                (double)END / 1e9, secs(&t0, &t1), secs(&t1, &t2),
                (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                        (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
                                1e6,
                (double)ru.ru_maxrss / 1024,
                (unsigned long long)hbsim_delivered(sim));

        if (c->false_pos)
                fprintf(stderr, "false positive: n%zu saw n%zu at %.3f s "
                                "(%zu in all)\n",
                        c->first_fp_obs + 1, c->first_fp_peer + 1,
                        (double)c->first_fp_at / 1e9, c->false_pos);
        assert_int_equal(c->false_pos, 0);
        assert_int_equal(c->chain_breaks, 0);

        /* The fixed detector's dead verdict: dead_threshold missed
         * intervals after the last heartbeat, which came at most one
         * interval (plus timer and network jitter) before the crash. */
        bound = (uint64_t)(cfg.node.dead_threshold + 2) * INTERVAL;
        for (size_t o = 0; o < N; o++) {
                if (o == CRASH_A || o == CRASH_B)
                        continue;
                if (!c->dead_a[o] || !c->dead_b[o] ||
                    c->dead_a[o] - AT_A > bound ||
                    c->dead_b[o] - AT_B > bound) {
                        if (missing++ < 5)
                                fprintf(stderr, "n%zu: n%u dead at %.3f s, "
                                        "n%u at %.3f s\n",
                                        o + 1, CRASH_A + 1,
                                        (double)c->dead_a[o] / 1e9,
                                        CRASH_B + 1,
                                        (double)c->dead_b[o] / 1e9);
                }
                assert_int_equal(hbsim_state(sim, o, CRASH_A), HB_PEER_DEAD);
                assert_int_equal(hbsim_state(sim, o, CRASH_B), HB_PEER_DEAD);
        }
        assert_int_equal(missing, 0);

        /* Each node heartbeats every peer every interval. */
        hb = hbsim_sent(sim, HB_MSG_HEARTBEAT);
        assert_true(hb > (uint64_t)(N - 2) * (N - 1) * (END / INTERVAL - 2));
        assert_true(hb < (uint64_t)N * (N - 1) * (END / INTERVAL + 1));

        hbsim_free(sim);
        hbsim_arena_uninstall();
        free(c->cur);
        free(c);
}

/* Regions (sim.h): 40 nodes in 4 regions, 20 ms between regions.
 * Region 2 (nodes 10..19) cut off for 3 s: every node outside has every
 * node of region 2 dead, nobody outside region 2 is dead anywhere
 * outside it; healed, everyone is alive again everywhere. */
static void test_region_cut(void **state)
{
        hbsim_config_t cfg;
        hbsim_t *sim;
        const size_t n = 40;

        (void)state;
        hbsim_config_default(&cfg);
        cfg.n_nodes = n;
        cfg.seed = 7;
        cfg.n_regions = 4;
        cfg.region_delay_ns = 20 * MS;
        cfg.region_jitter_ns = 5 * MS;
        assert_int_equal(hbsim_new(&sim, &cfg), 0);
        assert_int_equal(hbsim_n_regions(sim), 4);
        assert_int_equal(hbsim_region(sim, 0), 0);
        assert_int_equal(hbsim_region(sim, 10), 1);
        assert_int_equal(hbsim_region(sim, 39), 3);
        hbsim_run_until(sim, 2 * S);
        hbsim_cut_region(sim, 1, true);
        assert_false(hbsim_reachable(sim, 5, 15));
        assert_false(hbsim_reachable(sim, 15, 25));
        assert_true(hbsim_reachable(sim, 11, 12));
        assert_true(hbsim_reachable(sim, 5, 25));
        hbsim_run_until(sim, 5 * S);
        for (size_t o = 0; o < n; o++)
                for (size_t p = 0; p < n; p++) {
                        bool in_o = hbsim_region(sim, o) == 1;
                        bool in_p = hbsim_region(sim, p) == 1;

                        if (o == p)
                                continue;
                        if (in_o == in_p)
                                assert_int_equal(hbsim_state(sim, o, p),
                                                 HB_PEER_ALIVE);
                        else
                                assert_int_equal(hbsim_state(sim, o, p),
                                                 HB_PEER_DEAD);
                }
        hbsim_cut_region(sim, 1, false);
        hbsim_run_until(sim, 8 * S);
        for (size_t o = 0; o < n; o++)
                for (size_t p = 0; p < n; p++)
                        if (o != p)
                                assert_int_equal(hbsim_state(sim, o, p),
                                                 HB_PEER_ALIVE);
        hbsim_free(sim);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_region_cut),
                cmocka_unit_test(test_full_mesh_1000),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
