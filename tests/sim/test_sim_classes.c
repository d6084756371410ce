/* SPDX-License-Identifier: MIT */
/*
 * Peer classes (docs/classes.md) on the simulator, over many seeds: two
 * sites of two nodes; peers on one's own site are in class 0 ("local",
 * 100 ms), peers on the other site in class 1 ("remote", 1 s), fixed
 * detector (suspect after 3 intervals, dead after 5), on both sides.
 *
 *   - nobody is suspected while all run, at 5 % loss;
 *   - a local peer killed is dead at its site-mate within the local
 *     class's bound, a remote one within the remote class's bound, and
 *     not before the class's dead time (so each is judged by its class);
 *   - a node sends its remote peers one heartbeat a second, its local
 *     peer ten.
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
#define SEEDS 20u
#define LOCAL (100 * MS)
#define REMOTE (1000 * MS)

/* Nodes 0, 1 on site A; 2, 3 on site B. */
static uint32_t peer_class(size_t i, size_t j, void *user)
{
        (void)user;
        return (i < 2) == (j < 2) ? 0 : 1;
}

static hbsim_t *make(uint64_t seed, double loss)
{
        hbsim_config_t c;
        hbsim_t *s;

        hbsim_config_default(&c);
        c.n_nodes = 4;
        c.seed = seed;
        c.loss = loss;
        hb_node_config_default(&c.node, HB_DETECTOR_FIXED, LOCAL);
        c.node.cluster_id = 1;
        memset(c.node.key.bytes, 0x5a, sizeof(c.node.key.bytes));
        c.node.n_classes = 1;
        hb_class_config_default(&c.node.classes[0], HB_DETECTOR_FIXED,
                                REMOTE);
        c.peer_class = peer_class;
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

static void t_no_false_suspicion(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                hbsim_t *s = make(seed, 0.05);

                hbsim_run_until(s, 60 * S);
                for (size_t o = 0; o < 4; o++)
                        for (size_t p = 0; p < 4; p++)
                                if (o != p && (first(s, o, p,
                                                     HB_PEER_DEAD, 0) ||
                                               hbsim_state(s, o, p) !=
                                                       HB_PEER_ALIVE)) {
                                        fprintf(stderr, "seed %llu: n%zu "
                                                "sees n%zu %s\n",
                                                (unsigned long long)seed,
                                                o + 1, p + 1,
                                                hb_peer_state_name(
                                                        hbsim_state(s, o,
                                                                    p)));
                                        fail();
                                }
                hbsim_free(s);
        }
}

/* Dead time of the fixed detector: 5 intervals after the last arrival;
 * the last arrival is at most one interval (+ delay, jitter) before the
 * crash. */
static void check_dead(hbsim_t *s, uint64_t seed, size_t obs, size_t peer,
                       uint64_t crash, uint64_t interval)
{
        const hbsim_event_t *d = first(s, obs, peer, HB_PEER_DEAD, crash);

        if (!d || d->at_ns < crash + 4 * interval ||
            d->at_ns > crash + 5 * interval + 10 * MS) {
                fprintf(stderr, "seed %llu: n%zu judged n%zu dead at %s "
                        "%.1f ms after the crash (bound %.0f..%.0f ms)\n",
                        (unsigned long long)seed, obs + 1, peer + 1,
                        d ? "" : "(never)",
                        d ? (double)(d->at_ns - crash) / 1e6 : 0.0,
                        4.0 * (double)interval / 1e6,
                        5.0 * (double)interval / 1e6 + 10);
                fail();
        }
}

static void t_detection_per_class(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
                hbsim_t *s = make(seed, 0.0);
                uint64_t crash = 10 * S + seed * 37 * MS;

                hbsim_run_until(s, crash);
                hbsim_crash(s, 1);      /* site A */
                hbsim_run_until(s, crash + 10 * S);
                check_dead(s, seed, 0, 1, crash, LOCAL);  /* site-mate */
                check_dead(s, seed, 2, 1, crash, REMOTE); /* other site */
                check_dead(s, seed, 3, 1, crash, REMOTE);
                hbsim_free(s);
        }
}

static void t_message_count(void **state)
{
        hbsim_t *s = make(7, 0.0);
        uint64_t before;

        (void)state;
        hbsim_run_until(s, 10 * S);
        before = hbsim_sent(s, 1 /* heartbeat */);
        hbsim_run_until(s, 20 * S);
        /* Per node per second: 10 to its site-mate, 1 to each of two
         * remote peers; 4 nodes. A full mesh at 100 ms would be 120. */
        {
                uint64_t per_s = (hbsim_sent(s, 1) - before) / 10;

                fprintf(stderr, "heartbeats per second, 4 nodes in two "
                        "sites: %llu (full mesh at 100 ms: 120)\n",
                        (unsigned long long)per_s);
                assert_true(per_s >= 46 && per_s <= 50);
        }
        hbsim_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_no_false_suspicion),
                cmocka_unit_test(t_detection_per_class),
                cmocka_unit_test(t_message_count),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
