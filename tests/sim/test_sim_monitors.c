/* SPDX-License-Identifier: MIT */
/*
 * The "monitors" topology (docs/topologies.md) on the simulator, over
 * many seeds: members push heartbeats to 3 monitors only, a member is
 * dead only when a majority of the monitors says so.
 *
 *   - one monitor's path to a node cut: the node stays alive for every
 *     observer (monitors included);
 *   - a node killed: dead at every observer within the mesh's detection
 *     time (same seed) + one interval + the network delay;
 *   - a monitor killed: the two others keep deciding; two killed: no
 *     decision (frozen), nobody declared dead by one monitor;
 *   - message count per second at 50 nodes, mesh against monitors
 *     (printed; the figures of docs/benchmarks.md).
 *
 * Replay a failure with the seed printed.
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
#define SEEDS 30u
#define INTERVAL (100 * MS)

static hbsim_t *make(size_t n, uint64_t seed, double loss, uint32_t n_mon)
{
        hbsim_config_t c;
        hbsim_t *s;

        hbsim_config_default(&c);
        c.n_nodes = n;
        c.seed = seed;
        c.loss = loss;
        c.node.n_monitors = n_mon;
        for (uint32_t i = 0; i < n_mon; i++)
                c.node.monitors[i] = i + 1; /* nodes 1 .. n_mon */
        assert_int_equal(hbsim_new(&s, &c), 0);
        return s;
}

/* First event at or after `after` where observer sees peer enter `st`. */
static const hbsim_event_t *first(hbsim_t *s, size_t obs, size_t peer,
                                  hb_peer_state_t st, uint64_t after)
{
        size_t n, i;
        const hbsim_event_t *ev = hbsim_events(s, &n);

        for (i = 0; i < n; i++)
                if (ev[i].ev.type == HB_EVENT_PEER_STATE &&
                    ev[i].observer == obs && ev[i].peer == peer &&
                    ev[i].ev.new_state == st && ev[i].at_ns >= after)
                        return &ev[i];
        return NULL;
}

/* Any observer saw `peer` enter `st` at or after `after`. */
static bool anyone(hbsim_t *s, size_t peer, hb_peer_state_t st,
                   uint64_t after)
{
        for (size_t o = 0; o < hbsim_n_nodes(s); o++)
                if (o != peer && first(s, o, peer, st, after))
                        return true;
        return false;
}

static void assert_all_alive(hbsim_t *s, uint64_t seed)
{
        size_t n = hbsim_n_nodes(s);

        for (size_t o = 0; o < n; o++)
                for (size_t p = 0; p < n; p++)
                        if (o != p && hbsim_state(s, o, p) != HB_PEER_ALIVE) {
                                fprintf(stderr, "seed %llu: n%zu sees n%zu "
                                        "%s\n", (unsigned long long)seed,
                                        o + 1, p + 1,
                                        hb_peer_state_name(
                                                hbsim_state(s, o, p)));
                                fail();
                        }
}

/* Legal transitions only, each from the state the previous left. */
static void assert_consistent_log(hbsim_t *s)
{
        size_t n_nodes = hbsim_n_nodes(s), n, i;
        const hbsim_event_t *ev = hbsim_events(s, &n);
        hb_peer_state_t *cur = calloc(n_nodes * n_nodes, sizeof(*cur));
        static const int legal[6][6] = {
                /* to: unk alive susp dead prob left     from: */
                { 0, 1, 0, 1, 0, 1 },                 /* unknown */
                { 0, 0, 1, 1, 1, 1 },                 /* alive */
                { 0, 1, 0, 1, 1, 1 },                 /* suspect */
                { 0, 0, 0, 0, 1, 1 },                 /* dead */
                { 0, 1, 0, 1, 0, 1 },                 /* probation */
                { 0, 0, 0, 0, 1, 0 },                 /* left */
        };

        assert_non_null(cur);
        for (i = 0; i < n; i++) {
                hb_peer_state_t *c;

                if (ev[i].ev.type != HB_EVENT_PEER_STATE)
                        continue;
                c = &cur[ev[i].observer * n_nodes + ev[i].peer];
                if (ev[i].ev.old_state == HB_PEER_UNKNOWN)
                        *c = HB_PEER_UNKNOWN;
                assert_int_equal(ev[i].ev.old_state, *c);
                assert_true(legal[ev[i].ev.old_state][ev[i].ev.new_state]);
                *c = ev[i].ev.new_state;
        }
        free(cur);
}

/* Steady state, with and without loss: everyone alive everywhere, and a
 * member never heard directly by another member. */
static void test_steady(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                hbsim_t *s = make(5, seed, seed % 2 ? 0.0 : 0.02, 3);

                hbsim_run_until(s, 10 * S);
                assert_all_alive(s, seed);
                assert_false(anyone(s, 3, HB_PEER_DEAD, 0));
                assert_false(anyone(s, 4, HB_PEER_DEAD, 0));
                assert_consistent_log(s);
                hbsim_free(s);
        }
}

/* Member n5's path to monitor n1 cut both ways: n1 alone says dead, the
 * majority says alive: n5 stays alive for every observer, n1 included. */
static void test_one_monitor_cut(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                hbsim_t *s = make(5, seed, 0.0, 3);

                hbsim_run_until(s, 3 * S);
                assert_all_alive(s, seed);
                hbsim_cut(s, 0, 4, true);
                hbsim_cut(s, 4, 0, true);
                hbsim_run_until(s, 15 * S);
                if (anyone(s, 4, HB_PEER_SUSPECT, 3 * S) ||
                    anyone(s, 4, HB_PEER_DEAD, 3 * S))
                        fprintf(stderr, "seed %llu: n5 judged by a "
                                "minority\n", (unsigned long long)seed);
                assert_false(anyone(s, 4, HB_PEER_SUSPECT, 3 * S));
                assert_false(anyone(s, 4, HB_PEER_DEAD, 3 * S));
                /* n5 itself sees monitor n1 dead: it judges monitors by
                 * their own heartbeats. */
                assert_int_equal(hbsim_state(s, 4, 0), HB_PEER_DEAD);
                for (size_t o = 0; o < 4; o++)
                        assert_int_equal(hbsim_state(s, o, 4),
                                         HB_PEER_ALIVE);
                assert_consistent_log(s);
                hbsim_free(s);
        }
}

/* Time observer `o` took to see `peer` dead after `t0`; HB_NEVER if
 * never. */
static uint64_t took(hbsim_t *s, size_t o, size_t peer, uint64_t t0)
{
        const hbsim_event_t *d = first(s, o, peer, HB_PEER_DEAD, t0);

        return d ? d->at_ns - t0 : HB_NEVER;
}

/* The mesh's slowest detection of a crash of n5 at t0 (same seed): the
 * dead time the monitors' bound is measured against. */
static uint64_t mesh_detection(uint64_t seed, uint64_t t0)
{
        hbsim_t *s = make(5, seed, 0.0, 0);
        uint64_t worst = 0;

        hbsim_run_until(s, t0);
        hbsim_crash(s, 4);
        hbsim_run_until(s, t0 + 3 * S);
        for (size_t o = 0; o < 4; o++) {
                uint64_t t = took(s, o, 4, t0);

                assert_true(t != HB_NEVER);
                if (t > worst)
                        worst = t;
        }
        hbsim_free(s);
        return worst;
}

/* n5 killed: dead at every observer within the mesh's dead time + one
 * interval (+ 1 ms of network delay), never before its crash. */
static void check_kill(hbsim_t *s, uint64_t seed, uint64_t t0,
                       const bool *up, uint64_t *worst_mon)
{
        uint64_t mesh = mesh_detection(seed, t0);

        for (size_t o = 0; o < 4; o++) {
                uint64_t t;

                if (!up[o])
                        continue;
                t = took(s, o, 4, t0);
                if (t == HB_NEVER || t > mesh + INTERVAL + 1 * MS)
                        fprintf(stderr, "seed %llu: n%zu saw n5 dead "
                                "after %.0f ms (mesh %.0f ms)\n",
                                (unsigned long long)seed, o + 1,
                                t == HB_NEVER ? -1.0 : (double)t / 1e6,
                                (double)mesh / 1e6);
                assert_true(t != HB_NEVER);
                assert_true(t <= mesh + INTERVAL + 1 * MS);
                if (t > *worst_mon)
                        *worst_mon = t;
        }
        assert_false(anyone(s, 4, HB_PEER_DEAD, 0) &&
                     !first(s, 1, 4, HB_PEER_DEAD, t0));
}

static void test_kill_member(void **state)
{
        const bool up[4] = { true, true, true, true };
        uint64_t worst = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                hbsim_t *s = make(5, seed, 0.0, 3);

                hbsim_run_until(s, 5 * S);
                assert_all_alive(s, seed);
                hbsim_crash(s, 4);
                hbsim_run_until(s, 8 * S);
                check_kill(s, seed, 5 * S, up, &worst);
                /* Back: probation, then alive everywhere. */
                assert_int_equal(hbsim_restart(s, 4), 0);
                hbsim_run_until(s, 12 * S);
                for (size_t o = 0; o < 4; o++)
                        assert_non_null(first(s, o, 4, HB_PEER_PROBATION,
                                              8 * S));
                assert_all_alive(s, seed);
                assert_consistent_log(s);
                hbsim_free(s);
        }
        printf("monitors: member killed, slowest detection over %u seeds: "
               "%.0f ms\n", SEEDS, (double)worst / 1e6);
}

/* Monitor n1 killed: n2 and n3 still make a majority of 3; a member
 * killed after is dead at every live observer in the same bound. */
static void test_monitor_dies(void **state)
{
        const bool up[4] = { false, true, true, true };
        uint64_t worst = 0;

        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                hbsim_t *s = make(5, seed, 0.0, 3);

                hbsim_run_until(s, 3 * S);
                hbsim_crash(s, 0);
                hbsim_run_until(s, 5 * S);
                for (size_t o = 1; o < 5; o++)
                        assert_int_equal(hbsim_state(s, o, 0),
                                         HB_PEER_DEAD);
                hbsim_crash(s, 4);
                hbsim_run_until(s, 8 * S);
                check_kill(s, seed, 5 * S, up, &worst);
                assert_consistent_log(s);
                hbsim_free(s);
        }
        printf("monitors: one of 3 monitors dead, member killed, slowest "
               "detection: %.0f ms\n", (double)worst / 1e6);
}

/* Two of three monitors killed: no majority, so no member is declared
 * dead (the states freeze), and the last monitor's own verdict alone
 * decides nothing. */
static void test_no_majority_freezes(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                hbsim_t *s = make(5, seed, 0.0, 3);

                hbsim_run_until(s, 3 * S);
                hbsim_crash(s, 0);
                hbsim_crash(s, 1);
                hbsim_run_until(s, 5 * S);
                hbsim_crash(s, 4);
                hbsim_run_until(s, 10 * S);
                for (size_t o = 2; o < 4; o++)
                        assert_int_equal(hbsim_state(s, o, 4),
                                         HB_PEER_ALIVE);
                assert_false(anyone(s, 3, HB_PEER_DEAD, 0));
                /* A monitor back: decisions again. */
                assert_int_equal(hbsim_restart(s, 0), 0);
                hbsim_run_until(s, 14 * S);
                for (size_t o = 2; o < 4; o++)
                        assert_int_equal(hbsim_state(s, o, 4),
                                         HB_PEER_DEAD);
                assert_consistent_log(s);
                hbsim_free(s);
        }
}

/* 20 nodes, 3 monitors (1 on odd seeds), 12 members killed: more non-alive members than
 * one verdict message holds (6), so each monitor splits its verdicts
 * over id ranges; every live node still sees exactly the killed ones
 * dead, and the others alive. A graceful leave is learnt from the
 * monitors' verdicts as left. */
static void test_many_dead_split_verdicts(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 10; seed++) {
                /* One monitor on odd seeds: its every message decides. */
                hbsim_t *s = make(20, seed, 0.0, seed % 2 ? 1 : 3);

                hbsim_run_until(s, 3 * S);
                assert_all_alive(s, seed);
                for (size_t i = 5; i < 17; i++)
                        hbsim_crash(s, i);
                hbsim_run_until(s, 6 * S);
                for (size_t o = 0; o < 20; o++) {
                        if (o >= 5 && o < 17)
                                continue;
                        for (size_t p = 0; p < 20; p++) {
                                hb_peer_state_t want =
                                        p >= 5 && p < 17 ? HB_PEER_DEAD
                                                         : HB_PEER_ALIVE;

                                if (p == o)
                                        continue;
                                if (hbsim_state(s, o, p) != want)
                                        fprintf(stderr, "seed %llu: n%zu "
                                                "sees n%zu %s\n",
                                                (unsigned long long)seed,
                                                o + 1, p + 1,
                                                hb_peer_state_name(
                                                  hbsim_state(s, o, p)));
                                assert_int_equal(hbsim_state(s, o, p),
                                                 want);
                                /* Dead for good: no verdict said
                                 * otherwise in between. */
                                assert_null(first(s, o, p,
                                                  HB_PEER_PROBATION, 0));
                        }
                }
                /* Member n18 leaves. */
                hbsim_leave(s, 17);
                hbsim_run_until(s, 8 * S);
                for (size_t o = 0; o < 5; o++)
                        assert_int_equal(hbsim_state(s, o, 17),
                                         HB_PEER_LEFT);
                assert_int_equal(hbsim_state(s, 17 + 1, 17),
                                 HB_PEER_LEFT);
                assert_false(anyone(s, 17, HB_PEER_DEAD, 0));
                assert_consistent_log(s);
                hbsim_free(s);
        }
}

/* Random faults, 7 nodes (3 monitors), 1 % loss, 20 s per seed: one
 * monitor-member path at a time cut per member, members crashed and
 * restarted. Invariant: a member is declared dead only when it was
 * down (crashed at or before, restarted no more than 1.5 s before);
 * in the end, everything healed and up, everyone alive everywhere. */
#define RF_NODES 7u
#define RF_DOWNS 64u

typedef struct rf_down {
        size_t node;
        uint64_t from, to;             /* to: HB_NEVER while down */
} rf_down_t;

static uint64_t rf_rand(uint64_t *x)
{
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        return *x;
}

static void test_random_faults(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 20; seed++) {
                hbsim_t *s = make(RF_NODES, seed, 0.01, 3);
                rf_down_t downs[RF_DOWNS];
                size_t n_downs = 0, n_ev, cut_of[RF_NODES];
                bool up[RF_NODES];
                uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
                const hbsim_event_t *ev;

                for (size_t i = 0; i < RF_NODES; i++) {
                        up[i] = true;
                        cut_of[i] = SIZE_MAX; /* monitor cut from i */
                }
                hbsim_run_until(s, 3 * S);
                for (uint64_t t = 3 * S; t < 20 * S; t += 500 * MS) {
                        size_t m = 3 + rf_rand(&x) % (RF_NODES - 3);
                        size_t mon = rf_rand(&x) % 3;

                        switch (rf_rand(&x) % 4) {
                        case 0: /* cut one monitor from member m */
                                if (cut_of[m] != SIZE_MAX)
                                        break;
                                hbsim_cut(s, mon, m, true);
                                hbsim_cut(s, m, mon, true);
                                cut_of[m] = mon;
                                break;
                        case 1: /* heal it */
                                if (cut_of[m] == SIZE_MAX)
                                        break;
                                hbsim_cut(s, cut_of[m], m, false);
                                hbsim_cut(s, m, cut_of[m], false);
                                cut_of[m] = SIZE_MAX;
                                break;
                        case 2: /* crash member m */
                                if (!up[m] || n_downs == RF_DOWNS)
                                        break;
                                hbsim_crash(s, m);
                                up[m] = false;
                                downs[n_downs++] = (rf_down_t){
                                        m, t, HB_NEVER };
                                break;
                        default: /* restart a crashed one */
                                if (up[m])
                                        break;
                                assert_int_equal(hbsim_restart(s, m), 0);
                                up[m] = true;
                                for (size_t k = 0; k < n_downs; k++)
                                        if (downs[k].node == m &&
                                            downs[k].to == HB_NEVER)
                                                downs[k].to = t;
                                break;
                        }
                        hbsim_run_until(s, t + 500 * MS);
                }
                ev = hbsim_events(s, &n_ev);
                for (size_t i = 0; i < n_ev; i++) {
                        bool excused = false;

                        if (ev[i].ev.type != HB_EVENT_PEER_STATE ||
                            ev[i].ev.new_state != HB_PEER_DEAD)
                                continue;
                        /* Monitors are judged by their heartbeats (and
                         * a cut monitor is dead for its member). */
                        if (ev[i].peer < 3)
                                continue;
                        for (size_t k = 0; k < n_downs; k++)
                                if (downs[k].node == ev[i].peer &&
                                    downs[k].from <= ev[i].at_ns &&
                                    (downs[k].to == HB_NEVER ||
                                     ev[i].at_ns <= downs[k].to + 1500 * MS))
                                        excused = true;
                        if (!excused)
                                fprintf(stderr, "seed %llu: n%zu declared "
                                        "n%zu dead at %.3f s while up\n",
                                        (unsigned long long)seed,
                                        ev[i].observer + 1, ev[i].peer + 1,
                                        (double)ev[i].at_ns / 1e9);
                        assert_true(excused);
                }
                for (size_t i = 3; i < RF_NODES; i++) {
                        if (cut_of[i] != SIZE_MAX) {
                                hbsim_cut(s, cut_of[i], i, false);
                                hbsim_cut(s, i, cut_of[i], false);
                        }
                        if (!up[i])
                                assert_int_equal(hbsim_restart(s, i), 0);
                }
                hbsim_set_loss(s, 0.0);
                hbsim_run_until(s, 26 * S);
                assert_all_alive(s, seed);
                assert_consistent_log(s);
                hbsim_free(s);
        }
}

/* Datagrams per second at 50 nodes, 100 ms interval, full mesh against
 * 3 monitors, over 10 s of steady state (RTT probes: an echo request
 * every 10th heartbeat, answered by an ACK). */
static void count(uint32_t n_mon, double *total, double *hb, double *ack,
                  double *verdict)
{
        hbsim_t *s = make(50, 7, 0.0, n_mon);
        uint64_t t0, h0, a0, v0;

        hbsim_run_until(s, 2 * S);
        t0 = hbsim_sent(s, 0);
        h0 = hbsim_sent(s, HB_MSG_HEARTBEAT);
        a0 = hbsim_sent(s, HB_MSG_ACK);
        v0 = hbsim_sent(s, HB_MSG_VERDICT);
        hbsim_run_until(s, 12 * S);
        assert_all_alive(s, 7);
        *total = (double)(hbsim_sent(s, 0) - t0) / 10.0;
        *hb = (double)(hbsim_sent(s, HB_MSG_HEARTBEAT) - h0) / 10.0;
        *ack = (double)(hbsim_sent(s, HB_MSG_ACK) - a0) / 10.0;
        *verdict = (double)(hbsim_sent(s, HB_MSG_VERDICT) - v0) / 10.0;
        hbsim_free(s);
}

static void test_message_count_50(void **state)
{
        double mt, mh, ma, mv, ot, oh, oa, ov;

        (void)state;
        count(0, &mt, &mh, &ma, &mv);
        count(3, &ot, &oh, &oa, &ov);
        printf("50 nodes, 100 ms interval, datagrams per second:\n"
               "  full mesh:   %8.0f (heartbeats %.0f, acks %.0f)\n"
               "  3 monitors:  %8.0f (heartbeats %.0f, acks %.0f, "
               "verdicts %.0f)\n"
               "  ratio:       %8.2f\n",
               mt, mh, ma, ot, oh, oa, ov, mt / ot);
        /* Mesh: 50 x 49 heartbeats per interval. */
        assert_true(mh > 0.99 * 50 * 49 * 10 && mh < 1.01 * 50 * 49 * 10);
        /* Monitors: 47 x 3 + 3 x 49 heartbeats, 3 x 49 verdicts. */
        assert_true(oh < 1.01 * (47 * 3 + 3 * 49) * 10);
        assert_true(ov < 1.01 * 3 * 49 * 10);
        assert_true(ot * 4 < mt);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_steady),
                cmocka_unit_test(test_one_monitor_cut),
                cmocka_unit_test(test_kill_member),
                cmocka_unit_test(test_monitor_dies),
                cmocka_unit_test(test_no_majority_freezes),
                cmocka_unit_test(test_many_dead_split_verdicts),
                cmocka_unit_test(test_random_faults),
                cmocka_unit_test(test_message_count_50),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
