/* SPDX-License-Identifier: MIT */
/*
 * Seeded multi-node scenarios on the simulator: the real core, real wire
 * encoding and authentication, a simulated network and a virtual clock.
 * Every scenario is reproducible from its seed; a failure prints the
 * hbeat-sim command line that replays it where one exists.
 */
#include <errno.h>
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

static hbsim_t *make(size_t n, uint64_t seed, double loss)
{
        hbsim_config_t c;
        hbsim_t *s;

        hbsim_config_default(&c);
        c.n_nodes = n;
        c.seed = seed;
        c.loss = loss;
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
                if (ev[i].observer == obs && ev[i].peer == peer &&
                    ev[i].ev.new_state == st && ev[i].at_ns >= after)
                        return &ev[i];
        return NULL;
}

static size_t count_state(hbsim_t *s, hb_peer_state_t st)
{
        size_t n, i, c = 0;
        const hbsim_event_t *ev = hbsim_events(s, &n);

        for (i = 0; i < n; i++)
                c += ev[i].ev.new_state == st;
        return c;
}

static void assert_all_alive(hbsim_t *s)
{
        size_t n = hbsim_n_nodes(s);

        for (size_t o = 0; o < n; o++)
                for (size_t p = 0; p < n; p++)
                        if (o != p && hbsim_state(s, o, p) != HB_PEER_ALIVE) {
                                fprintf(stderr, "n%zu sees n%zu %s\n", o + 1,
                                        p + 1,
                                        hb_peer_state_name(
                                                hbsim_state(s, o, p)));
                                fail();
                        }
}

/*
 * Legal transitions only, and each event's old state is the state the
 * previous event for that (observer, peer) left it in.
 */
static void assert_consistent_log(hbsim_t *s)
{
        size_t n_nodes = hbsim_n_nodes(s), n, i;
        const hbsim_event_t *ev = hbsim_events(s, &n);
        hb_peer_state_t *cur = calloc(n_nodes * n_nodes, sizeof(*cur));
        static const int legal[6][6] = {
                /* to: unk alive susp dead prob left     from: */
                { 0, 1, 0, 1, 0, 1 },                 /* unknown */
                { 0, 0, 1, 0, 1, 1 },                 /* alive */
                { 0, 1, 0, 1, 1, 1 },                 /* suspect */
                { 0, 0, 0, 0, 1, 1 },                 /* dead */
                { 0, 1, 0, 1, 0, 1 },                 /* probation */
                { 0, 0, 0, 0, 1, 0 },                 /* left */
        };

        assert_non_null(cur);
        for (i = 0; i < n; i++) {
                hb_peer_state_t *c;

                if (ev[i].ev.type != HB_EVENT_PEER_STATE)
                        continue; /* a local pause: no peer */
                c = &cur[ev[i].observer * n_nodes + ev[i].peer];
                /* A restarted observer starts from unknown again. */
                if (ev[i].ev.old_state == HB_PEER_UNKNOWN)
                        *c = HB_PEER_UNKNOWN;
                assert_int_equal(ev[i].ev.old_state, *c);
                assert_true(legal[ev[i].ev.old_state][ev[i].ev.new_state]);
                *c = ev[i].ev.new_state;
                if (i > 0)
                        assert_true(ev[i].at_ns >= ev[i - 1].at_ns);
        }
        free(cur);
}

static void test_crash_detected_by_all(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 20; seed++) {
                hbsim_t *s = make(5, seed, 0);

                hbsim_run_until(s, 5 * S);
                assert_all_alive(s);
                hbsim_crash(s, 2);
                hbsim_run_until(s, 7 * S);
                for (size_t o = 0; o < 5; o++) {
                        const hbsim_event_t *sus, *dead;

                        if (o == 2)
                                continue;
                        sus = first(s, o, 2, HB_PEER_SUSPECT, 5 * S);
                        dead = first(s, o, 2, HB_PEER_DEAD, 5 * S);
                        if (!dead || dead->at_ns - 5 * S > 1 * S)
                                fprintf(stderr, "replay: hbeat-sim run "
                                        "--nodes 5 --seed %llu --fault "
                                        "crash:3:5000\n",
                                        (unsigned long long)seed);
                        assert_non_null(sus);
                        assert_non_null(dead);
                        assert_true(sus->at_ns <= dead->at_ns);
                        /* 100 ms interval: dead well within 1 s. */
                        assert_true(dead->at_ns - 5 * S < 1 * S);
                }
                /* Nobody else was declared dead. */
                assert_int_equal(count_state(s, HB_PEER_DEAD), 4);

                assert_int_equal(hbsim_restart(s, 2), 0);
                hbsim_run_until(s, 10 * S);
                for (size_t o = 0; o < 5; o++) {
                        if (o == 2)
                                continue;
                        assert_non_null(first(s, o, 2, HB_PEER_PROBATION,
                                              7 * S));
                }
                assert_all_alive(s);
                assert_consistent_log(s);
                hbsim_free(s);
        }
}

static void test_same_seed_same_run(void **state)
{
        hbsim_t *a, *b, *c;

        (void)state;
        a = make(4, 99, 0.2);
        b = make(4, 99, 0.2);
        c = make(4, 100, 0.2);
        hbsim_crash(a, 1);
        hbsim_crash(b, 1);
        hbsim_crash(c, 1);
        hbsim_run_until(a, 60 * S);
        hbsim_run_until(b, 60 * S);
        hbsim_run_until(c, 60 * S);
        assert_int_equal(hbsim_trace_hash(a), hbsim_trace_hash(b));
        assert_int_equal(hbsim_delivered(a), hbsim_delivered(b));
        assert_int_not_equal(hbsim_delivered(a), hbsim_delivered(c));
        hbsim_free(a);
        hbsim_free(b);
        hbsim_free(c);
}

static void test_partition_and_heal(void **state)
{
        static const size_t side[] = { 0, 1 };

        (void)state;
        for (uint64_t seed = 1; seed <= 10; seed++) {
                hbsim_t *s = make(5, seed, 0);

                hbsim_run_until(s, 3 * S);
                hbsim_partition(s, side, 2);
                hbsim_run_until(s, 5 * S);
                for (size_t o = 0; o < 5; o++)
                        for (size_t p = 0; p < 5; p++) {
                                int same = (o < 2) == (p < 2);

                                if (o == p)
                                        continue;
                                assert_int_equal(hbsim_state(s, o, p),
                                                 same ? HB_PEER_ALIVE
                                                      : HB_PEER_DEAD);
                        }
                hbsim_heal(s);
                hbsim_run_until(s, 7 * S);
                assert_all_alive(s);
                for (size_t p = 2; p < 5; p++)
                        assert_non_null(first(s, 0, p, HB_PEER_PROBATION,
                                              5 * S));
                assert_consistent_log(s);
                hbsim_free(s);
        }
}

static void test_loss_no_false_dead(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 10; seed++) {
                hbsim_t *s = make(5, seed, 0.10);

                hbsim_run_until(s, 120 * S);
                if (count_state(s, HB_PEER_DEAD) != 0)
                        fprintf(stderr, "replay: hbeat-sim run --nodes 5 "
                                "--seed %llu --loss 0.1 --duration-s 120\n",
                                (unsigned long long)seed);
                assert_int_equal(count_state(s, HB_PEER_DEAD), 0);
                assert_all_alive(s);
                hbsim_free(s);
        }
}

static void test_pause_and_resume(void **state)
{
        hbsim_t *s = make(3, 7, 0);

        (void)state;
        hbsim_run_until(s, 3 * S);
        hbsim_pause(s, 0);
        hbsim_run_until(s, 5 * S);
        assert_int_equal(hbsim_state(s, 1, 0), HB_PEER_DEAD);
        assert_int_equal(hbsim_state(s, 2, 0), HB_PEER_DEAD);
        hbsim_resume(s, 0);
        /* The paused node finds fresh heartbeats queued in its socket
         * buffer before its timers run: it declares nobody dead. */
        assert_null(first(s, 0, 1, HB_PEER_DEAD, 0));
        assert_null(first(s, 0, 2, HB_PEER_DEAD, 0));
        hbsim_run_until(s, 7 * S);
        assert_non_null(first(s, 1, 0, HB_PEER_PROBATION, 5 * S));
        assert_all_alive(s);
        assert_consistent_log(s);
        hbsim_free(s);
}

static void test_random_faults_invariants(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 40; seed++) {
                hbsim_t *s = make(5, seed, 0.02);
                unsigned r = (unsigned)seed;
                uint64_t t = 2 * S;
                int crashed[5] = { 0 };

                hbsim_run_until(s, t);
                for (int step = 0; step < 30; step++) {
                        size_t i = (size_t)(rand_r(&r) % 5);

                        switch (rand_r(&r) % 6) {
                        case 0:
                                if (!crashed[i]) {
                                        hbsim_crash(s, i);
                                        crashed[i] = 1;
                                }
                                break;
                        case 1:
                                if (crashed[i]) {
                                        assert_int_equal(hbsim_restart(s, i),
                                                         0);
                                        crashed[i] = 0;
                                }
                                break;
                        case 2:
                                hbsim_pause(s, i); /* no-op if crashed */
                                break;
                        case 3:
                                hbsim_resume(s, i);
                                break;
                        case 4:
                                hbsim_partition(s, &i, 1);
                                break;
                        default:
                                hbsim_heal(s);
                                break;
                        }
                        t += (uint64_t)(rand_r(&r) % 1500) * MS;
                        hbsim_run_until(s, t);
                        assert_consistent_log(s);
                }
                /* Repair everything: the cluster must converge. */
                hbsim_heal(s);
                for (size_t i = 0; i < 5; i++) {
                        if (crashed[i])
                                assert_int_equal(hbsim_restart(s, i), 0);
                        hbsim_resume(s, i);
                }
                hbsim_run_until(s, t + 5 * S);
                hbsim_set_loss(s, 0);
                hbsim_run_until(s, t + 8 * S);
                assert_all_alive(s);
                assert_consistent_log(s);
                hbsim_free(s);
        }
}

static void test_hundred_nodes(void **state)
{
        hbsim_t *s = make(100, 3, 0.01);

        (void)state;
        hbsim_run_until(s, 3 * S);
        hbsim_crash(s, 42);
        hbsim_run_until(s, 5 * S);
        for (size_t o = 0; o < 100; o++) {
                const hbsim_event_t *d;

                if (o == 42)
                        continue;
                d = first(s, o, 42, HB_PEER_DEAD, 3 * S);
                assert_non_null(d);
                assert_true(d->at_ns - 3 * S < 1 * S);
        }
        assert_int_equal(count_state(s, HB_PEER_DEAD), 99);
        hbsim_free(s);
}

/* The clock model (sim.h, "Clocks"): without drift every clock is the
 * simulator's; with it, each node's rate is within the bound and fixed by
 * the seed, its clock is monotonic, a deadline converts back to the first
 * simulator time the clock reaches it, and the events carry the node's
 * clock. A crash still gets detected. */
static void test_clock_model(void **state)
{
        hbsim_config_t c;
        hbsim_t *s, *t;
        size_t ne, i;
        const hbsim_event_t *ev;
        uint64_t x = 12345, last[5] = { 0 };

        (void)state;
        s = make(3, 7, 0);
        hbsim_run_until(s, 2 * S);
        for (i = 0; i < 3; i++) {
                assert_int_equal(hbsim_local_now(s, i), 2 * S);
                assert_int_equal(hbsim_global(s, i, 5 * S), 5 * S);
                assert_int_equal(hbsim_clock_rate_ppb(s, i), 0);
        }
        ev = hbsim_events(s, &ne);
        for (i = 0; i < ne; i++)
                assert_int_equal(ev[i].ev.at_ns, ev[i].at_ns);
        hbsim_free(s);

        hbsim_config_default(&c);
        c.clock_drift_ppm = HBSIM_DRIFT_PPM_MAX + 1;
        assert_int_equal(hbsim_new(&s, &c), -EINVAL);
        c.n_nodes = 5;
        c.seed = 11;
        c.clock_drift_ppm = 50000;
        assert_int_equal(hbsim_new(&s, &c), 0);
        assert_int_equal(hbsim_new(&t, &c), 0);
        for (i = 0; i < 5; i++) {
                int64_t r = hbsim_clock_rate_ppb(s, i);

                assert_true(r >= -50000000 && r <= 50000000 && r != 0);
                assert_int_equal(r, hbsim_clock_rate_ppb(t, i));
                assert_int_equal(hbsim_local(s, i, 0), hbsim_local(t, i, 0));
                /* global() is the first time the clock reads >= L. */
                for (int k = 0; k < 1000; k++) {
                        uint64_t l, g;

                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        l = hbsim_local(s, i, 0) + x % (100 * S);
                        g = hbsim_global(s, i, l);
                        assert_true(hbsim_local(s, i, g) >= l);
                        assert_true(g == 0 || hbsim_local(s, i, g - 1) < l);
                }
        }
        hbsim_crash(s, 2);
        hbsim_crash(t, 2);
        hbsim_run_until(s, 8 * S);
        hbsim_run_until(t, 8 * S);
        assert_int_equal(hbsim_trace_hash(s), hbsim_trace_hash(t));
        ev = hbsim_events(s, &ne);
        for (i = 0; i < ne; i++) {
                size_t o = ev[i].observer;

                assert_int_equal(ev[i].ev.at_ns,
                                 hbsim_local(s, o, ev[i].at_ns));
                assert_true(ev[i].ev.at_ns >= last[o]);
                last[o] = ev[i].ev.at_ns;
        }
        for (size_t o = 0; o < 5; o++)
                if (o != 2)
                        assert_int_equal(hbsim_state(s, o, 2), HB_PEER_DEAD);
        /* A rate set at run time goes on from the current reading. */
        x = hbsim_local_now(s, 0);
        assert_int_equal(hbsim_set_clock_rate(s, 0, -300000), 0);
        assert_int_equal(hbsim_local_now(s, 0), x);
        assert_int_equal(hbsim_clock_rate_ppb(s, 0), -300000000);
        assert_int_equal(hbsim_local(s, 0, 18 * S), x + 7 * S);
        assert_int_equal(hbsim_set_clock_rate(s, 0, -1000000), -EINVAL);
        hbsim_run_until(s, 12 * S);
        for (size_t o = 0; o < 5; o++)
                for (size_t p = 0; p < 5; p++)
                        if (o != p && o != 2 && p != 2)
                                assert_int_equal(hbsim_state(s, o, p),
                                                 HB_PEER_ALIVE);
        hbsim_free(s);
        hbsim_free(t);
}


/* Redundant links (docs/links.md): the first HB_EVENT_LINK at or after
 * `after` where `obs` sees link `link` of `peer` enter `st`. */
static const hbsim_event_t *first_link(hbsim_t *s, size_t obs, size_t peer,
                                       uint32_t link, hb_link_state_t st,
                                       uint64_t after)
{
        size_t n, i;
        const hbsim_event_t *ev = hbsim_events(s, &n);

        for (i = 0; i < n; i++)
                if (ev[i].ev.type == HB_EVENT_LINK && ev[i].observer == obs &&
                    ev[i].peer == peer && ev[i].ev.link == link &&
                    ev[i].ev.new_link_state == st && ev[i].at_ns >= after)
                        return &ev[i];
        return NULL;
}

static size_t peer_events_after(hbsim_t *s, uint64_t after)
{
        size_t n, i, c = 0;
        const hbsim_event_t *ev = hbsim_events(s, &n);

        for (i = 0; i < n; i++)
                c += ev[i].ev.type == HB_EVENT_PEER_STATE &&
                     ev[i].at_ns >= after;
        return c;
}

/* Two links between three nodes: one cut between nodes 0 and 1 is a
 * link-down event at both ends within the dead time and nothing else;
 * healed, the link is up after probation; both cut, the peers are dead
 * in the usual time. Loss on each link alone raises no false alarm that
 * two links would not hide. */
static void test_two_links(void **state)
{
        const uint64_t s1 = HB_NS_PER_S;
        const hbsim_event_t *e;
        hbsim_config_t cfg;
        hbsim_t *s;

        (void)state;
        hbsim_config_default(&cfg);
        cfg.seed = 12;
        cfg.node.n_links = 2;
        assert_int_equal(hbsim_new(&s, &cfg), 0);
        hbsim_run_until(s, 5 * s1);
        assert_null(first_link(s, 0, 1, 1, HB_LINK_DOWN, 0));
        assert_non_null(first_link(s, 0, 1, 1, HB_LINK_UP, 0));

        hbsim_cut_link(s, 0, 1, 1, true);
        hbsim_cut_link(s, 1, 0, 1, true);
        hbsim_run_until(s, 10 * s1);
        e = first_link(s, 0, 1, 1, HB_LINK_DOWN, 5 * s1);
        assert_non_null(e);
        assert_true(e->at_ns < 5 * s1 + 2 * s1);
        assert_int_equal(e->ev.new_state, HB_PEER_ALIVE);
        assert_non_null(first_link(s, 1, 0, 1, HB_LINK_DOWN, 5 * s1));
        assert_null(first_link(s, 0, 2, 1, HB_LINK_DOWN, 0));
        assert_null(first_link(s, 0, 1, 0, HB_LINK_DOWN, 0));
        assert_int_equal(peer_events_after(s, 5 * s1), 0);

        hbsim_heal(s);
        hbsim_run_until(s, 15 * s1);
        e = first_link(s, 0, 1, 1, HB_LINK_UP, 10 * s1);
        assert_non_null(e);
        assert_int_equal(e->ev.old_link_state, HB_LINK_PROBATION);
        assert_true(e->at_ns >= 10 * s1 + cfg.node.probation_ns);
        assert_int_equal(peer_events_after(s, 5 * s1), 0);

        hbsim_cut(s, 0, 1, true);
        hbsim_cut(s, 1, 0, true);
        hbsim_run_until(s, 20 * s1);
        e = first(s, 0, 1, HB_PEER_DEAD, 15 * s1);
        assert_non_null(e);
        assert_true(e->at_ns < 15 * s1 + 2 * s1);
        assert_non_null(first(s, 1, 0, HB_PEER_DEAD, 15 * s1));
        assert_null(first(s, 0, 2, HB_PEER_SUSPECT, 0));
        hbsim_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crash_detected_by_all),
                cmocka_unit_test(test_same_seed_same_run),
                cmocka_unit_test(test_partition_and_heal),
                cmocka_unit_test(test_loss_no_false_dead),
                cmocka_unit_test(test_pause_and_resume),
                cmocka_unit_test(test_random_faults_invariants),
                cmocka_unit_test(test_hundred_nodes),
                cmocka_unit_test(test_clock_model),
                cmocka_unit_test(test_two_links),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
