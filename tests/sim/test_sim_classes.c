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
 *   - adaptive remote class (200 ms .. 5 s, fixed detector, so a
 *     receiver that did not follow would suspect): the cross-site RTT
 *     rises 5 ms -> 200 ms and the interval rises to ~10 x RTT, each rise
 *     expected by the receivers before the sender takes it, nobody
 *     suspected; the RTT falls back and the interval comes down, one step
 *     per `hold` evaluations (hbsim_set_delay()).
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

/* ---- adaptive interval (docs/classes.md, "Adaptive interval") ---------- */

#define AD_MIN (200 * MS)
#define AD_START (500 * MS)
#define AD_MAX (5000 * MS)
#define AD_DAMP (2 * S)
#define AD_HOLD 3u

/* Watches, after every simulated event, that a receiver expects a rise of
 * the remote class's interval before its sender takes it (every change
 * announced), and counts the moves of node 0's remote class. */
typedef struct {
        uint64_t last_iv;
        int rises_unannounced;
        int changes;
} ad_watch_t;

static void ad_observe(hbsim_t *s, void *user)
{
        ad_watch_t *w = user;
        hb_node_t *n0 = hbsim_node(s, 0);
        uint64_t iv;

        if (!n0)
                return;
        iv = hb_node_class_interval_ns(n0, 1);
        if (iv == w->last_iv)
                return;
        w->changes++;
        if (iv > w->last_iv) {
                /* Node 0's remote peers (site B: nodes 2 and 3) already
                 * judge it at the new interval. */
                for (size_t r = 2; r < 4; r++) {
                        hb_peer_info_t pi;
                        hb_node_t *rn = hbsim_node(s, r);

                        if (rn && hb_node_peer_info(rn, 1, hbsim_local_now(
                                                                  s, r),
                                                    &pi) == 0 &&
                            pi.interval_ns < iv)
                                w->rises_unannounced++;
                }
        }
        w->last_iv = iv;
}

static hbsim_t *make_adaptive(uint64_t seed, ad_watch_t *w)
{
        hbsim_config_t c;
        hb_class_config_t *rc;
        hbsim_t *s;

        hbsim_config_default(&c);
        c.n_nodes = 4;
        c.seed = seed;
        c.delay_ns = 2500 * 1000;       /* RTT 5 ms */
        c.jitter_ns = 200 * 1000;
        hb_node_config_default(&c.node, HB_DETECTOR_PHI, LOCAL);
        c.node.cluster_id = 1;
        c.node.rtt_probe_every = 2;
        memset(c.node.key.bytes, 0x5a, sizeof(c.node.key.bytes));
        c.node.n_classes = 1;
        rc = &c.node.classes[0];
        hb_class_config_default(rc, HB_DETECTOR_FIXED, AD_START);
        hb_class_adaptive_default(&rc->adaptive, AD_MIN, AD_MAX);
        rc->adaptive.dampening_ns = AD_DAMP;
        rc->adaptive.hold = AD_HOLD;
        c.peer_class = peer_class;
        assert_int_equal(hbsim_new(&s, &c), 0);
        w->last_iv = AD_START;
        hbsim_set_observer(s, ad_observe, w);
        return s;
}

/* Every cross-site path: one-way delay `d`. */
static void set_remote_delay(hbsim_t *s, uint64_t d)
{
        for (size_t i = 0; i < 4; i++)
                for (size_t j = 0; j < 4; j++)
                        if ((i < 2) != (j < 2))
                                assert_int_equal(hbsim_set_delay(s, i, j, d),
                                                 0);
}

/* HB_EVENT_INTERVAL of node 0 (remote class) at or after `after`, in
 * order: count, and the new interval of the last. */
static uint64_t last_at;

static size_t intervals(hbsim_t *s, uint64_t after, uint64_t *last,
                        uint64_t *first_at, uint64_t *min_gap)
{
        size_t n, i, k = 0;
        const hbsim_event_t *ev = hbsim_events(s, &n);
        uint64_t prev_at = 0;

        *min_gap = HB_NEVER;
        for (i = 0; i < n; i++) {
                const hb_event_t *e = &ev[i].ev;

                if (e->type != HB_EVENT_INTERVAL || ev[i].observer != 0 ||
                    ev[i].at_ns < after)
                        continue;
                assert_int_equal(e->class_idx, 1);
                assert_true(e->new_interval_ns >= AD_MIN &&
                            e->new_interval_ns <= AD_MAX);
                /* One bounded step at a time. */
                assert_true(e->new_interval_ns <=
                                    e->old_interval_ns * 3 / 2 + 1000 &&
                            e->new_interval_ns + 1000 >=
                                    e->old_interval_ns * 4 / 5);
                if (k == 0)
                        *first_at = ev[i].at_ns;
                else if (ev[i].at_ns - prev_at < *min_gap)
                        *min_gap = ev[i].at_ns - prev_at;
                prev_at = ev[i].at_ns;
                last_at = ev[i].at_ns;
                *last = e->new_interval_ns;
                k++;
        }
        return k;
}

/* No peer of anyone suspected or dead. */
static void check_no_suspicion(hbsim_t *s, uint64_t seed)
{
        size_t n, i;
        const hbsim_event_t *ev = hbsim_events(s, &n);

        for (i = 0; i < n; i++)
                if (ev[i].ev.type == HB_EVENT_PEER_STATE &&
                    (ev[i].ev.new_state == HB_PEER_SUSPECT ||
                     ev[i].ev.new_state == HB_PEER_DEAD)) {
                        fprintf(stderr, "seed %llu: n%zu suspected n%zu at "
                                "%.3f s (%s)\n", (unsigned long long)seed,
                                ev[i].observer + 1, ev[i].peer + 1,
                                (double)ev[i].at_ns / 1e9,
                                hb_peer_state_name(ev[i].ev.new_state));
                        fail();
                }
}

/*
 * The remote path's RTT rises 5 ms -> 200 ms: the remote class's interval
 * rises within its bounds, every rise is expected by the receivers before
 * the sender takes it, nobody is suspected; RTT back to 5 ms: the interval
 * comes back down within a few periods (each period's largest RTT
 * sample decides), one step per `hold` evaluations, to its minimum.
 */
static void t_adaptive(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 5; seed++) {
                ad_watch_t w = { 0 };
                hbsim_t *s = make_adaptive(seed, &w);
                uint64_t last = 0, first_at = 0, gap, t_rise, t_fall;
                size_t k;

                /* Settles near the minimum (10 x 5 ms is below it),
                 * within the hysteresis. */
                hbsim_run_until(s, 120 * S);
                assert_true(hb_node_class_interval_ns(hbsim_node(s, 0), 1) <=
                            AD_MIN * 6 / 5);
                t_rise = hbsim_now(s);
                set_remote_delay(s, 100 * MS);
                hbsim_run_until(s, t_rise + 120 * S);
                k = intervals(s, t_rise, &last, &first_at, &gap);
                fprintf(stderr, "seed %llu: RTT 200 ms: %zu rises, first "
                        "after %.1f s, last after %.1f s, to %.0f ms\n",
                        (unsigned long long)seed, k,
                        (double)(first_at - t_rise) / 1e9,
                        (double)(last_at - t_rise) / 1e9,
                        (double)last / 1e6);
                assert_true(k >= 3);
                /* ~10 x RTT p99 (200 ms + jitter), within hysteresis. */
                assert_true(last >= 1600 * MS && last <= 2600 * MS);
                assert_int_equal(hb_node_class_interval_ns(hbsim_node(s, 0),
                                                           1), last);
                assert_int_equal(w.rises_unannounced, 0);
                check_no_suspicion(s, seed);

                t_fall = hbsim_now(s);
                set_remote_delay(s, 2500 * 1000);
                hbsim_run_until(s, t_fall + 900 * S);
                k = intervals(s, t_fall, &last, &first_at, &gap);
                fprintf(stderr, "seed %llu: RTT 5 ms again: %zu falls, first "
                        "after %.1f s, last after %.1f s, to %.0f ms, at "
                        "least %.1f s apart\n", (unsigned long long)seed, k,
                        (double)(first_at - t_fall) / 1e9,
                        (double)(last_at - t_fall) / 1e9, (double)last / 1e6,
                        (double)gap / 1e9);
                assert_true(k >= 3);
                /* Within a few periods of the path becoming fast, not
                 * once 64 echoes have aged out of the RTT window. */
                assert_true(first_at - t_fall <= 30 * S);
                assert_true(last <= AD_MIN * 6 / 5);
                /* A fall needs `hold` evaluations in a row agreeing. */
                assert_true(gap >= AD_HOLD * AD_DAMP - AD_DAMP / 2);
                check_no_suspicion(s, seed);
                hbsim_free(s);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_no_false_suspicion),
                cmocka_unit_test(t_detection_per_class),
                cmocka_unit_test(t_message_count),
                cmocka_unit_test(t_adaptive),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
