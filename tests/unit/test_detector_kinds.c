/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the detectors added after the foundation (chen, bertier,
 * phi_exp, adaptive) and of the properties every kind must have:
 * validation, sequence-aware arrivals, rebase, monotonic suspicion, exact
 * crossing times, default timings. Fake clock. Expected values are
 * computed by hand from the published formulas (arithmetic in comments).
 */
#include "detector_test_util.h"

/* ---- every kind: validation, heartbeat_seq, rebase ----------------------- */

static hb_detector_t *new_kind(hb_detector_kind_t kind, uint64_t interval_ns)
{
        hb_detector_config_t c;

        hb_detector_config_default(&c, kind, interval_ns);
        return new_det(&c);
}

#define ASSERT_VALID(c_, want)                                                \
        assert_int_equal(hb_detector_config_validate(&(c_)), (want))

static void test_kind_validate(void **state)
{
        const uint64_t hour = 3600 * HB_NS_PER_S;
        hb_detector_config_t ok, c;

        (void)state;
        /* chen: window 2 .. 10000, alpha 1 µs .. 4 h; the phi fields do
         * not apply. */
        hb_detector_config_default(&ok, HB_DETECTOR_CHEN, 100 * MS);
        ASSERT_VALID(ok, 0);
        c = ok, c.chen_alpha_ns = US - 1;
        ASSERT_VALID(c, -EINVAL);
        c.chen_alpha_ns = US;
        ASSERT_VALID(c, 0);
        c.chen_alpha_ns = 4 * hour;
        ASSERT_VALID(c, 0);
        c.chen_alpha_ns = 4 * hour + 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.window = 1;
        ASSERT_VALID(c, -EINVAL);
        c.window = HB_PHI_WINDOW_MAX + 1;
        ASSERT_VALID(c, -EINVAL);
        c.window = HB_PHI_WINDOW_MAX;
        ASSERT_VALID(c, 0);
        c = ok, c.min_std_dev_ns = 0, c.first_estimate_ns = 0;
        c.bertier_gamma = NAN, c.adaptive_raise = 0;
        ASSERT_VALID(c, 0);

        /* bertier: beta, phi 0 .. 100, gamma (0, 1], NaN refused. */
        hb_detector_config_default(&ok, HB_DETECTOR_BERTIER, 100 * MS);
        ASSERT_VALID(ok, 0);
        c = ok, c.bertier_beta = 0.0, c.bertier_phi = 0.0;
        ASSERT_VALID(c, 0);
        c.bertier_beta = 100.0, c.bertier_phi = 100.0;
        ASSERT_VALID(c, 0);
        c = ok, c.bertier_beta = -0.001;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.bertier_beta = 100.001;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.bertier_beta = NAN;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.bertier_phi = -1.0;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.bertier_phi = INFINITY;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.bertier_gamma = 0.0;
        ASSERT_VALID(c, -EINVAL);
        c.bertier_gamma = 1e-9;
        ASSERT_VALID(c, 0);
        c.bertier_gamma = 1.0;
        ASSERT_VALID(c, 0);
        c.bertier_gamma = 1.0001;
        ASSERT_VALID(c, -EINVAL);
        c.bertier_gamma = NAN;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.window = 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.chen_alpha_ns = 0;    /* chen's, not bertier's */
        ASSERT_VALID(c, 0);

        /* phi_exp: window and first_estimate (>= 1 ms) only. */
        hb_detector_config_default(&ok, HB_DETECTOR_PHI_EXP, 100 * MS);
        ASSERT_VALID(ok, 0);
        c = ok, c.first_estimate_ns = MS - 1;
        ASSERT_VALID(c, -EINVAL);
        c.first_estimate_ns = MS;
        ASSERT_VALID(c, 0);
        c = ok, c.window = 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.min_std_dev_ns = 0, c.acceptable_pause_ns = UINT64_MAX;
        ASSERT_VALID(c, 0);

        /* adaptive: 1 ms <= min <= initial <= max <= 30 h, dampening
         * 1 ms .. 100 h, raise 1 .. 10, lower (0, 1], 1 <= low_ratio <=
         * high_ratio <= 1000. */
        hb_detector_config_default(&ok, HB_DETECTOR_ADAPTIVE, 100 * MS);
        ASSERT_VALID(ok, 0);
        c = ok, c.adaptive_min_ns = MS - 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_min_ns = MS, c.adaptive_initial_ns = MS;
        ASSERT_VALID(c, 0);
        c = ok, c.adaptive_initial_ns = c.adaptive_min_ns - 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_initial_ns = c.adaptive_max_ns + 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_initial_ns = c.adaptive_max_ns;
        ASSERT_VALID(c, 0);
        c = ok, c.adaptive_max_ns = 30 * hour;
        ASSERT_VALID(c, 0);
        c.adaptive_max_ns = 30 * hour + 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_min_ns = c.adaptive_max_ns + 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_dampening_ns = MS - 1;
        ASSERT_VALID(c, -EINVAL);
        c.adaptive_dampening_ns = MS;
        ASSERT_VALID(c, 0);
        c.adaptive_dampening_ns = 100 * hour;
        ASSERT_VALID(c, 0);
        c.adaptive_dampening_ns = 100 * hour + 1;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_raise = 0.999;
        ASSERT_VALID(c, -EINVAL);
        c.adaptive_raise = 1.0;
        ASSERT_VALID(c, 0);
        c.adaptive_raise = 10.0;
        ASSERT_VALID(c, 0);
        c.adaptive_raise = 10.001;
        ASSERT_VALID(c, -EINVAL);
        c.adaptive_raise = NAN;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_lower = 0.0;
        ASSERT_VALID(c, -EINVAL);
        c.adaptive_lower = 1.0;
        ASSERT_VALID(c, 0);
        c.adaptive_lower = 1.001;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_high_ratio = 0.999;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_high_ratio = 1000.0;
        ASSERT_VALID(c, 0);
        c.adaptive_high_ratio = 1000.5;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_low_ratio = 0.999;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_low_ratio = c.adaptive_high_ratio;
        ASSERT_VALID(c, 0);
        c.adaptive_low_ratio = c.adaptive_high_ratio * 1.001;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.adaptive_low_ratio = NAN;
        ASSERT_VALID(c, -EINVAL);
        c = ok, c.window = 1;
        ASSERT_VALID(c, -EINVAL);

        /* fixed ignores all of these... */
        memset(&c, 0xff, sizeof(c));
        c.kind = HB_DETECTOR_FIXED, c.interval_ns = 100 * MS;
        c.bertier_gamma = NAN, c.adaptive_lower = NAN;
        ASSERT_VALID(c, -EINVAL);
        /* ...but not the room kept for later versions, which must be 0. */
        memset(c.reserved, 0, sizeof(c.reserved));
        ASSERT_VALID(c, 0);
}

/* hb_detector_heartbeat(d, t) is hb_detector_heartbeat_seq(d, t, 0); the
 * kinds that work on intervals ignore the seq. */
static void test_heartbeat_seq(void **state)
{
        (void)state;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_t *a = new_kind((hb_detector_kind_t)k, 100 * MS);
                hb_detector_t *b = new_kind((hb_detector_kind_t)k, 100 * MS);
                hb_detector_t *c = new_kind((hb_detector_kind_t)k, 100 * MS);
                bool seq_kind = k == HB_DETECTOR_CHEN ||
                                k == HB_DETECTOR_BERTIER;
                uint64_t t = T0, seq = 1;

                for (int i = 0; i < 150; i++) {
                        hb_detector_heartbeat(a, t);
                        hb_detector_heartbeat_seq(b, t, 0);
                        hb_detector_heartbeat_seq(c, t, seq);
                        /* Every 7th heartbeat lost: a seq gap. */
                        seq += i % 7 == 6 ? 2 : 1;
                        t += (i % 7 == 6 ? 200 : 100) * MS +
                             (uint64_t)(i * 37 % 11) * MS;
                }
                t -= 50 * MS;
                assert_u64_eq(hb_detector_arrivals(c), 150);
                for (uint64_t e = 0; e < 3 * HB_NS_PER_S; e += 7 * MS) {
                        assert_dbl_eq(hb_detector_suspicion(a, t + e),
                                      hb_detector_suspicion(b, t + e));
                        if (!seq_kind)
                                assert_dbl_eq(hb_detector_suspicion(a, t + e),
                                              hb_detector_suspicion(c,
                                                                    t + e));
                }
                assert_u64_eq(hb_detector_crossing_ns(a, 1.0),
                              hb_detector_crossing_ns(b, 1.0));
                if (seq_kind) {
                        /* Counted, each loss makes every later sample look
                         * one interval late, so the older part of the
                         * window pulls EA too early; with the seqs the
                         * losses are not delays and EA is later. */
                        assert_true(hb_detector_mean_ns(c) >
                                    hb_detector_mean_ns(a));
                } else {
                        assert_u64_eq(hb_detector_crossing_ns(a, 1.0),
                                      hb_detector_crossing_ns(c, 1.0));
                }
                hb_detector_free(a);
                hb_detector_free(b);
                hb_detector_free(c);
        }
}

/*
 * Rebase: the last arrival moves, nothing else. The suspicion curve is the
 * same curve started later, and after the next heartbeat the detector is
 * the one that never saw the skipped silence (a twin fed the same
 * history, then one more heartbeat 100 ms after the original last).
 */
static void test_rebase(void **state)
{
        const double thr[] = { 0.5, 1.0, 2.0, 8.0 };
        const uint64_t pause = 5 * HB_NS_PER_S;

        (void)state;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                for (int with_seq = 0; with_seq <= 1; with_seq++) {
                        hb_detector_t *d =
                                new_kind((hb_detector_kind_t)k, 100 * MS);
                        hb_detector_t *twin =
                                new_kind((hb_detector_kind_t)k, 100 * MS);
                        uint64_t t = T0, last, seq = 0;
                        double before[64], mean, sd;
                        uint64_t cross[4];
                        size_t n = 0;

                        /* No arrival yet: a no-op. */
                        hb_detector_rebase(d, T0);
                        assert_u64_eq(hb_detector_arrivals(d), 0);
                        assert_u64_eq(hb_detector_last_arrival_ns(d),
                                      HB_NEVER);

                        for (int i = 0; i < 40; i++) {
                                seq++;
                                hb_detector_heartbeat_seq(d, t,
                                                          with_seq ? seq : 0);
                                hb_detector_heartbeat_seq(twin, t,
                                                          with_seq ? seq : 0);
                                t += 90 * MS + (uint64_t)(i * 13 % 21) * MS;
                        }
                        last = hb_detector_last_arrival_ns(d);
                        mean = hb_detector_mean_ns(d);
                        sd = hb_detector_std_dev_ns(d);
                        for (uint64_t e = 0; e < 1600 * MS; e += 25 * MS)
                                before[n++] = hb_detector_suspicion(d,
                                                                    last + e);
                        for (size_t i = 0; i < 4; i++)
                                cross[i] = hb_detector_crossing_ns(d, thr[i]) -
                                           last;

                        /* Not later than the last arrival: a no-op. */
                        hb_detector_rebase(d, last - 1);
                        hb_detector_rebase(d, last);
                        assert_u64_eq(hb_detector_last_arrival_ns(d), last);

                        hb_detector_rebase(d, last + pause);
                        assert_u64_eq(hb_detector_last_arrival_ns(d),
                                      last + pause);
                        assert_u64_eq(hb_detector_arrivals(d), 40);
                        assert_dbl_eq(hb_detector_mean_ns(d), mean);
                        assert_dbl_eq(hb_detector_std_dev_ns(d), sd);
                        n = 0;
                        for (uint64_t e = 0; e < 1600 * MS; e += 25 * MS)
                                assert_dbl_eq(hb_detector_suspicion(
                                                      d, last + pause + e),
                                              before[n++]);
                        for (size_t i = 0; i < 4; i++)
                                assert_u64_eq(hb_detector_crossing_ns(d,
                                                                      thr[i]),
                                              last + pause + cross[i]);

                        /* Next heartbeat 100 ms after the rebase. With
                         * seqs, the sender kept its schedule: 50 more
                         * heartbeats were sent (and lost) in the pause. */
                        hb_detector_heartbeat_seq(twin, last + 100 * MS,
                                                  with_seq ? seq + 1 : 0);
                        hb_detector_heartbeat_seq(d, last + pause + 100 * MS,
                                                  with_seq ? seq + 51 : 0);
                        assert_u64_eq(hb_detector_arrivals(d), 41);
                        assert_dbl_eq(hb_detector_mean_ns(d),
                                      hb_detector_mean_ns(twin));
                        assert_dbl_eq(hb_detector_std_dev_ns(d),
                                      hb_detector_std_dev_ns(twin));
                        for (uint64_t e = 0; e < 1600 * MS; e += 25 * MS)
                                assert_dbl_eq(
                                        hb_detector_suspicion(
                                                d, last + pause + 100 * MS + e),
                                        hb_detector_suspicion(
                                                twin, last + 100 * MS + e));
                        hb_detector_free(d);
                        hb_detector_free(twin);
                }
        }
}

/* ---- every kind: monotonicity, crossing, default timings ----------------- */

static void check_kind_crossing(hb_detector_t *d, double thr)
{
        uint64_t last = hb_detector_last_arrival_ns(d);
        uint64_t t = hb_detector_crossing_ns(d, thr);

        assert_true(t != HB_NEVER);
        assert_true(t >= last);
        if (!(hb_detector_suspicion(d, t) >= thr) ||
            (t > last && !(hb_detector_suspicion(d, t - US) < thr))) {
                print_error("%s thr %g: t-last=%llu s(t)=%.17g "
                            "s(t-1us)=%.17g\n",
                            hb_detector_kind_name(hb_detector_kind(d)), thr,
                            (unsigned long long)(t - last),
                            hb_detector_suspicion(d, t),
                            hb_detector_suspicion(d, t - US));
                fail();
        }
        assert_false(hb_detector_available(d, t, thr));
        if (t > last)
                assert_true(hb_detector_available(d, t - US, thr));
}

static void test_all_kinds_monotonic_crossing(void **state)
{
        const double thr[] = { 1e-3, 0.3, 0.5, 1.0, 1.7, 2.0, 3.0, 4.0,
                               5.0, 8.0, 16.0, 40.0, 300.0 };

        (void)state;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                for (int hist = 0; hist < 3; hist++) {
                        hb_detector_t *d =
                                new_kind((hb_detector_kind_t)k, 100 * MS);
                        uint64_t t = T0, last, end, step, seq = 0;
                        double prev = -1.0;

                        /* 0: steady; 1: jitter + 10 % loss with seqs;
                         * 2: the same without seqs. */
                        for (int i = 0; i < 400; i++) {
                                bool lost = hist > 0 && i % 10 == 4;

                                seq++;
                                if (!lost)
                                        hb_detector_heartbeat_seq(
                                                d, t, hist == 1 ? seq : 0);
                                t += 100 * MS;
                                if (hist > 0)
                                        t += (uint64_t)(i * 7919 % 41) * MS -
                                             20 * MS;
                        }
                        last = hb_detector_last_arrival_ns(d);
                        end = hb_detector_crossing_ns(d, 300.0);
                        assert_true(end != HB_NEVER);
                        step = (end + HB_NS_PER_S - last) / 50000 + 1;
                        for (uint64_t x = last; x <= end + HB_NS_PER_S;
                             x += step) {
                                double s = hb_detector_suspicion(d, x);

                                assert_true(s >= prev);
                                prev = s;
                        }
                        for (size_t i = 0; i < sizeof(thr) / sizeof(*thr);
                             i++) {
                                uint64_t c = hb_detector_crossing_ns(d,
                                                                     thr[i]);

                                check_kind_crossing(d, thr[i]);
                                /* 1 ns steps around the crossing. */
                                prev = -1.0;
                                for (uint64_t x = c > last + 2000
                                                          ? c - 2000
                                                          : last;
                                     x <= c + 2000; x++) {
                                        double s = hb_detector_suspicion(d,
                                                                         x);

                                        assert_true(s >= prev);
                                        prev = s;
                                }
                        }
                        hb_detector_free(d);
                }
        }
}

/* hb_detector_level_reached() is suspicion() >= threshold around the
 * crossing `c` (HB_NEVER: a second after the last arrival) and far before
 * and after it. */
static void check_level_reached(const hb_detector_t *d,
                                const hb_detector_level_t *lv, uint64_t c)
{
        uint64_t last = hb_detector_last_arrival_ns(d);
        const int64_t off[] = { -2000000, -1001, -1000, -999, -1, 0, 1,
                                1000, 3000000000 };

        if (c == HB_NEVER)
                c = last + HB_NS_PER_S;
        for (size_t i = 0; i < sizeof(off) / sizeof(*off); i++) {
                uint64_t t = c + (uint64_t)off[i];

                if (off[i] < 0 && c - last < (uint64_t)-off[i])
                        t = last;
                if (hb_detector_level_reached(d, lv, t) !=
                    (hb_detector_suspicion(d, t) >= lv->threshold)) {
                        print_error("%s thr %.17g: reached(%+lld from the "
                                    "crossing) wrong\n",
                                    hb_detector_kind_name(lv->kind),
                                    lv->threshold, (long long)off[i]);
                        fail();
                }
        }
}

/*
 * A prepared level gives hb_detector_crossing_ns()'s answer to the ns,
 * and hb_detector_available()'s around it, for every kind, at thresholds
 * from tiny to past phi's saturation (~308.25) and cap (1e6), and the
 * edge values crossing_ns() answers without an estimate; after every
 * arrival of a jittery, lossy history.
 */
static void test_level_crossing(void **state)
{
        const double thr[] = { 1e-9, 1e-3, 0.3, 1.0, 1.7, 3.0, 8.0, 16.0,
                               50.0, 300.0, 308.3, 5e5, 1e6, 2e6, 0.0,
                               -1.0, NAN, INFINITY, -INFINITY };
        enum { N_THR = sizeof(thr) / sizeof(*thr) };
        hb_detector_level_t lv[N_THR], pattern;

        (void)state;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_t *d = new_kind((hb_detector_kind_t)k, 100 * MS);
                uint64_t t = T0, late;

                for (size_t j = 0; j < N_THR; j++) {
                        assert_int_equal(hb_detector_level_prepare(
                                                 &lv[j],
                                                 (hb_detector_kind_t)k,
                                                 thr[j]),
                                         0);
                        /* No arrival yet. */
                        assert_u64_eq(hb_detector_level_crossing_ns(d, &lv[j]),
                                      HB_NEVER);
                        assert_false(hb_detector_level_reached(d, &lv[j], T0));
                }
                for (int i = 0; i < 300; i++) {
                        /* 100 ms, 0..40 ms of jitter, a loss in 10 and a
                         * stall of 1.2 s in 100. */
                        t += 100 * MS + (uint64_t)(i * 7919 % 41) * MS;
                        if (i % 10 == 4)
                                t += 100 * MS;
                        if (i % 100 == 50)
                                t += 1200 * MS;
                        hb_detector_heartbeat_sent(d, t, (uint64_t)i + 1,
                                                   t - 5 * MS);
                        for (size_t j = 0; j < N_THR; j++) {
                                uint64_t c = hb_detector_crossing_ns(d,
                                                                     thr[j]);

                                assert_u64_eq(
                                        hb_detector_level_crossing_ns(d,
                                                                      &lv[j]),
                                        c);
                                check_level_reached(d, &lv[j], c);
                        }
                }
                /* A level of another kind, or none, even long after
                 * the last arrival. */
                late = t + 1000 * HB_NS_PER_S;
                assert_int_equal(hb_detector_level_prepare(
                                         &lv[0],
                                         k == HB_DETECTOR_PHI
                                                 ? HB_DETECTOR_FIXED
                                                 : HB_DETECTOR_PHI,
                                         3.0),
                                 0);
                assert_u64_eq(hb_detector_level_crossing_ns(d, &lv[0]),
                              HB_NEVER);
                assert_false(hb_detector_level_reached(d, &lv[0], late));
                assert_u64_eq(hb_detector_level_crossing_ns(d, NULL),
                              HB_NEVER);
                assert_false(hb_detector_level_reached(d, NULL, late));
                assert_u64_eq(hb_detector_level_crossing_ns(NULL, &lv[1]),
                              HB_NEVER);
                assert_false(hb_detector_level_reached(NULL, &lv[1], late));
                hb_detector_free(d);
        }
        /* Errors leave the level untouched. */
        memset(&pattern, 0x5a, sizeof(pattern));
        lv[0] = pattern;
        assert_int_equal(hb_detector_level_prepare(NULL, HB_DETECTOR_PHI,
                                                   8.0),
                         -EINVAL);
        assert_int_equal(hb_detector_level_prepare(&lv[0],
                                                   (hb_detector_kind_t)0,
                                                   8.0),
                         -EINVAL);
        assert_int_equal(hb_detector_level_prepare(&lv[0],
                                                   HB_DETECTOR_KIND_END,
                                                   8.0),
                         -EINVAL);
        assert_memory_equal(&lv[0], &pattern, sizeof(pattern));
        /* Filled as documented. */
        assert_int_equal(hb_detector_level_prepare(&lv[0], HB_DETECTOR_CHEN,
                                                   1.5),
                         0);
        assert_dbl_eq(lv[0].threshold, 1.5);
        assert_int_equal(lv[0].kind, HB_DETECTOR_CHEN);
        assert_u64_eq(lv[0].reserved[0], 0);
        assert_u64_eq(lv[0].reserved[1], 0);
}

/*
 * phi's prepared levels decide most checks of a crossing's verification,
 * and hb_detector_level_reached(), on y instead of computing phi
 * (detector_phi.c, phi_bounds()), which must never change an answer:
 * random configurations (sigma floor from 1 µs,
 * pauses, windows down to 2), jittery histories with long silences, and
 * thresholds spread log-uniformly over 1e-4 .. 1e4 plus a few uniform in
 * 0 .. 320 (past the 300 where the bounds stop).
 */
static void test_phi_level_random(void **state)
{
        uint64_t x = UINT64_C(88172645463325252);
        enum { N_THR = 40 };

        (void)state;
        for (int k = 0; k < 60; k++) {
                hb_detector_level_t lv[N_THR];
                double thr[N_THR];
                hb_detector_config_t c;
                hb_detector_t *d;
                uint64_t iv, t = T0;

                iv = MS + xorshift(&x) % (1000 * MS);
                hb_detector_config_default(&c, HB_DETECTOR_PHI, iv);
                c.window = 2 + (uint32_t)(xorshift(&x) % 200);
                c.min_std_dev_ns = US + xorshift(&x) % (iv / 2);
                c.acceptable_pause_ns =
                        xorshift(&x) % 2 ? 0 : xorshift(&x) % (4 * iv);
                d = new_det(&c);
                for (int j = 0; j < N_THR; j++) {
                        double u = (double)(xorshift(&x) >> 11) /
                                   9007199254740992.0;

                        thr[j] = j < 32 ? pow(10.0, 8.0 * u - 4.0)
                                        : 320.0 * u;
                        assert_int_equal(hb_detector_level_prepare(
                                                 &lv[j], HB_DETECTOR_PHI,
                                                 thr[j]),
                                         0);
                }
                for (int i = 0; i < 250; i++) {
                        t += iv / 2 + xorshift(&x) % iv;
                        if (xorshift(&x) % 50 == 0)
                                t += iv * (xorshift(&x) % 20);
                        hb_detector_heartbeat(d, t);
                        for (int j = 0; j < N_THR; j++) {
                                uint64_t cr = hb_detector_crossing_ns(d,
                                                                      thr[j]);

                                assert_u64_eq(
                                        hb_detector_level_crossing_ns(d,
                                                                      &lv[j]),
                                        cr);
                                check_level_reached(d, &lv[j], cr);
                        }
                }
                hb_detector_free(d);
        }
}

/*
 * The default timings at 100 ms with steady heartbeats (window + 1
 * arrivals, as hbeatctl check-config does), as docs/detectors.md states
 * them: time from the last heartbeat to the suspect and dead thresholds.
 */
static void test_default_timings(void **state)
{
        static const struct {
                hb_detector_kind_t kind;
                uint64_t suspect_ns, dead_ns;
        } want[] = {
                /* 3 and 5 intervals */
                { HB_DETECTOR_FIXED, 300000000, 500000000 },
                /* mu + pause + y sigma = 500 + 5.2259866 x 25 ms and
                 * 500 + 11.1319802 x 25 ms (phi 50: g = 50 ln 10 =
                 * 115.129255, 0.070566 y^3 + 1.5976 y = g by bisection) */
                { HB_DETECTOR_PHI, 630649666, 778299504 },
                /* EA = last + 100 ms; + 1 and 2 alpha of 300 ms */
                { HB_DETECTOR_CHEN, 400000000, 700000000 },
                /* EA = last + 100 ms; alpha at its floor 25 ms: + 25 and
                 * + 16 x 25 = 400 ms */
                { HB_DETECTOR_BERTIER, 125000000, 500000000 },
                /* T x ln 10 x 100 ms: 3 x 230.2585093 = 690.7755279,
                 * 4 x 230.2585093 = 921.0340372 ms */
                { HB_DETECTOR_PHI_EXP, 690775527, 921034037 },
                /* timeout 300 ms (lowering is clamped at min = 300) */
                { HB_DETECTOR_ADAPTIVE, 300000000, 600000000 },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
                hb_detector_t *d = new_kind(want[i].kind, 100 * MS);
                double s = hb_detector_default_suspect_threshold(
                        want[i].kind);
                double x = hb_detector_default_dead_threshold(want[i].kind);
                uint64_t last = 0;

                for (uint64_t j = 1; j <= HB_PHI_WINDOW_DEFAULT + 1; j++) {
                        last = j * 100 * MS;
                        hb_detector_heartbeat_seq(d, last, j);
                }
                /* The true crossing rounded down, then at most 1 µs late
                 * (exact for all but the two phi). */
                assert_in_range(hb_detector_crossing_ns(d, s) - last,
                                want[i].suspect_ns, want[i].suspect_ns + US);
                assert_in_range(hb_detector_crossing_ns(d, x) - last,
                                want[i].dead_ns, want[i].dead_ns + US);
                if (want[i].kind != HB_DETECTOR_PHI &&
                    want[i].kind != HB_DETECTOR_PHI_EXP) {
                        assert_u64_eq(hb_detector_crossing_ns(d, s) - last,
                                      want[i].suspect_ns);
                        assert_u64_eq(hb_detector_crossing_ns(d, x) - last,
                                      want[i].dead_ns);
                }
                hb_detector_free(d);
        }
}

/* ---- chen ---------------------------------------------------------------- */

static hb_detector_t *new_chen(uint32_t window, uint64_t alpha_ns)
{
        hb_detector_config_t c;

        hb_detector_config_default(&c, HB_DETECTOR_CHEN, 100 * MS);
        c.window = window;
        c.chen_alpha_ns = alpha_ns;
        return new_det(&c);
}

static void test_chen_expected_arrival(void **state)
{
        hb_detector_t *d = new_chen(4, 50 * MS);

        (void)state;
        /* eta = 100 ms, alpha = 50 ms, window n = 4. Heartbeats 1, 2, 3,
         * (4 lost), 5 arrive at 10, 112, 208, 414 ms (after T0).
         * A_i - eta s_i: 10 - 100 = -90, 112 - 200 = -88, 208 - 300 = -92,
         * 414 - 500 = -86 ms; mean -89 ms;
         * EA_6 = -89 + 100 x (5 + 1) = 511 ms, tau = 511 + 50 = 561 ms. */
        hb_detector_heartbeat_seq(d, T0 + 10 * MS, 1);
        /* One arrival: EA_2 = A_1 + eta. */
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 50.0 * MS);
        assert_u64_eq(hb_detector_crossing_ns(d, 1.0), T0 + 160 * MS);
        hb_detector_heartbeat_seq(d, T0 + 112 * MS, 2);
        hb_detector_heartbeat_seq(d, T0 + 208 * MS, 3);
        hb_detector_heartbeat_seq(d, T0 + 414 * MS, 5);
        assert_dbl_eq(hb_detector_mean_ns(d), 97.0 * MS);  /* 511 - 414 */
        /* suspicion = max(0, (now - EA) / alpha) */
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 414 * MS), 0.0);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 511 * MS), 0.0);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 536 * MS), 0.5);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 561 * MS), 1.0);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 611 * MS), 2.0);
        assert_u64_eq(hb_detector_crossing_ns(d, 1.0), T0 + 561 * MS);
        assert_u64_eq(hb_detector_crossing_ns(d, 2.0), T0 + 611 * MS);
        assert_u64_eq(hb_detector_crossing_ns(d, 0.5), T0 + 536 * MS);
        assert_false(hb_detector_available(d, T0 + 561 * MS, 1.0));
        assert_true(hb_detector_available(d, T0 + 561 * MS - 1, 1.0));

        /* Heartbeat 6 at 512 ms (512 - 600 = -88) evicts heartbeat 1:
         * mean of {-88, -92, -86, -88} = -88.5 ms, EA_7 = -88.5 + 700 =
         * 611.5 ms, i.e. 99.5 ms after 512. */
        hb_detector_heartbeat_seq(d, T0 + 512 * MS, 6);
        assert_dbl_eq(hb_detector_mean_ns(d), 99.5 * MS);
        assert_u64_eq(hb_detector_crossing_ns(d, 1.0),
                      T0 + 661 * MS + 500 * US);

        /* A duplicate (seq 6 again) at 530 ms is counted as seq 7:
         * 530 - 700 = -170; {-92, -86, -88, -170} mean -109, EA_8 = -109 +
         * 800 = 691 ms, 161 ms after 530. */
        hb_detector_heartbeat_seq(d, T0 + 530 * MS, 6);
        assert_dbl_eq(hb_detector_mean_ns(d), 161.0 * MS);
        hb_detector_free(d);

        /* The same arrivals with unknown seqs: counted 1, 2, 3, 4, so the
         * loss reads as a delay. A_i - eta s_i: -90, -88, -92, 414 - 400 =
         * +14; mean -64; EA_5 = -64 + 500 = 436 ms (22 ms after 414),
         * tau = 486 ms. */
        d = new_chen(4, 50 * MS);
        hb_detector_heartbeat(d, T0 + 10 * MS);
        hb_detector_heartbeat(d, T0 + 112 * MS);
        hb_detector_heartbeat(d, T0 + 208 * MS);
        hb_detector_heartbeat(d, T0 + 414 * MS);
        assert_dbl_eq(hb_detector_mean_ns(d), 22.0 * MS);
        assert_u64_eq(hb_detector_crossing_ns(d, 1.0), T0 + 486 * MS);
        /* Then 512 ms counted as 5: +12; {-88, -92, 14, 12} mean -38.5;
         * EA_6 = 561.5 ms, 49.5 ms after 512. */
        hb_detector_heartbeat(d, T0 + 512 * MS);
        assert_dbl_eq(hb_detector_mean_ns(d), 49.5 * MS);
        hb_detector_free(d);

        /* A very late heartbeat: EA before the arrival itself, so
         * suspicion is already positive at the arrival (Chen's tau has
         * passed). 0, 100, 200 then 550 ms (seqs 1-4): -100, -100, -100,
         * +150, mean -37.5; EA_5 = 462.5 ms = 550 - 87.5. */
        d = new_chen(4, 50 * MS);
        hb_detector_heartbeat_seq(d, T0, 1);
        hb_detector_heartbeat_seq(d, T0 + 100 * MS, 2);
        hb_detector_heartbeat_seq(d, T0 + 200 * MS, 3);
        hb_detector_heartbeat_seq(d, T0 + 550 * MS, 4);
        assert_dbl_eq(hb_detector_mean_ns(d), -87.5 * MS);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 550 * MS), 1.75);
        assert_u64_eq(hb_detector_crossing_ns(d, 1.0), T0 + 550 * MS);
        assert_u64_eq(hb_detector_crossing_ns(d, 2.0),
                      T0 + 562 * MS + 500 * US);
        hb_detector_free(d);
}

/* Sums stay exact over a long run with noise, then steady heartbeats give
 * EA exactly one interval after the last arrival. */
static void test_chen_long_run_exact(void **state)
{
        hb_detector_t *d = new_chen(100, 300 * MS);
        uint64_t t = T0, seed = 0x9e3779b97f4a7c15u, seq = 1;

        (void)state;
        for (int i = 0; i < 1000; i++) {
                hb_detector_heartbeat_seq(d, t, seq);
                seq += 1 + xorshift(&seed) % 3;
                t += MS + xorshift(&seed) % HB_NS_PER_S;
        }
        for (int i = 0; i < 1000000; i++) {
                hb_detector_heartbeat_seq(d, t, seq++);
                t += 100 * MS;
        }
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_u64_eq(hb_detector_crossing_ns(d, 1.0),
                      t - 100 * MS + 400 * MS);
        hb_detector_free(d);
}

/* ---- bertier ------------------------------------------------------------- */

static void test_bertier_jacobson(void **state)
{
        hb_detector_config_t c;
        hb_detector_t *d;
        uint64_t t;

        (void)state;
        /* Defaults: eta 100 ms, window 100, beta 1, phi 4, gamma 0.1,
         * floor max(1 ms, 100/4 ms) = 25 ms. */
        hb_detector_config_default(&c, HB_DETECTOR_BERTIER, 100 * MS);
        d = new_det(&c);

        /* 1: seq 1 at 0 ms. x = A - eta s relative to the first: 0.
         * delay = var = 0, alpha = floor 25 ms; EA_2 = 100 ms. */
        hb_detector_heartbeat_seq(d, T0, 1);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 25.0 * MS);
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);

        /* 2: seq 2 at 160 ms, x = 60. EA_2 = 100: error = 160 - 100 - 0 =
         * 60; delay = 0 + 0.1 x 60 = 6; var = 0 + 0.1 x (60 - 0) = 6;
         * alpha = 1 x 6 + 4 x 6 = 30 ms (> floor).
         * EA_3 = mean(0, 60) + 100 x (3 - 1) = 230 ms (times from the
         * first arrival), 70 ms after 160. */
        hb_detector_heartbeat_seq(d, T0 + 160 * MS, 2);
        assert_rel(hb_detector_std_dev_ns(d), 30.0 * MS, 1e-12);
        assert_dbl_eq(hb_detector_mean_ns(d), 70.0 * MS);

        /* 3: seq 3 at 200 ms, x = 0. error = 200 - 230 - 6 = -36;
         * delay = 6 - 3.6 = 2.4; var = 6 + 0.1 x (36 - 6) = 9;
         * alpha = 2.4 + 36 = 38.4 ms. EA_4 = mean(0, 60, 0) + 300 = 320,
         * 120 ms after 200. */
        hb_detector_heartbeat_seq(d, T0 + 200 * MS, 3);
        assert_rel(hb_detector_std_dev_ns(d), 38.4 * MS, 1e-12);
        assert_dbl_eq(hb_detector_mean_ns(d), 120.0 * MS);

        /* 4: seq 5 at 450 ms (4 lost), x = 50. Expected for seq 5:
         * mean(0, 60, 0) + 400 = 420, so error = 450 - 420 - 2.4 = 27.6 (the
         * loss itself is no error); delay = 2.4 + 2.76 = 5.16;
         * var = 9 + 0.1 x (27.6 - 9) = 10.86; alpha = 5.16 + 4 x 10.86 =
         * 48.6 ms. EA_6 = mean(0, 60, 0, 50) + 500 = 527.5 ms, 77.5 ms after
         * 450; tau = 527.5 + 48.6 = 576.1 ms. */
        hb_detector_heartbeat_seq(d, T0 + 450 * MS, 5);
        assert_rel(hb_detector_std_dev_ns(d), 48.6 * MS, 1e-12);
        assert_dbl_eq(hb_detector_mean_ns(d), 77.5 * MS);
        t = hb_detector_crossing_ns(d, 1.0);
        assert_in_range(t, T0 + 576100 * US, T0 + 576100 * US + US);
        assert_rel(hb_detector_suspicion(d, T0 + 576100 * US), 1.0, 1e-9);
        /* 16 margins: 527.5 + 16 x 48.6 = 1305.1 ms. */
        assert_in_range(hb_detector_crossing_ns(d, 16.0), T0 + 1305100 * US,
                        T0 + 1305100 * US + US);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 527500 * US), 0.0);

        /* On schedule from then on, the errors die away and alpha falls
         * back to the floor. */
        for (uint64_t s = 6; s < 400; s++)
                hb_detector_heartbeat_seq(d, T0 + (s - 1) * 100 * MS, s);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 25.0 * MS);
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        hb_detector_free(d);

        /* The floor is max(1 ms, interval / 4). */
        d = new_kind(HB_DETECTOR_BERTIER, 2 * MS);
        hb_detector_heartbeat(d, T0);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 1.0 * MS);
        hb_detector_free(d);
        d = new_kind(HB_DETECTOR_BERTIER, 8 * MS);
        hb_detector_heartbeat(d, T0);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 2.0 * MS);
        hb_detector_free(d);

        /* beta and phi weigh delay and var: beta 2, phi 1, gamma 0.5.
         * Arrivals 0 and 160 ms (seqs 1, 2): error 60, delay 30, var 30,
         * alpha = 2 x 30 + 1 x 30 = 90 ms. */
        c.bertier_beta = 2.0, c.bertier_phi = 1.0, c.bertier_gamma = 0.5;
        d = new_det(&c);
        hb_detector_heartbeat_seq(d, T0, 1);
        hb_detector_heartbeat_seq(d, T0 + 160 * MS, 2);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 90.0 * MS);
        hb_detector_free(d);
}

/* ---- phi_exp ------------------------------------------------------------- */

static void test_phi_exp(void **state)
{
        hb_detector_config_t c;
        hb_detector_t *d;
        const uint64_t iv[] = { 80 * MS, 120 * MS, 140 * MS, 60 * MS };
        uint64_t last, t;

        (void)state;
        hb_detector_config_default(&c, HB_DETECTOR_PHI_EXP, 100 * MS);
        c.window = 4;
        d = new_det(&c);

        /* Bootstrap: one sample first_estimate = 100 ms. phi = t / (mean
         * ln 10): at t = mean, 1 / ln 10 = 0.43429448190325182. */
        hb_detector_heartbeat(d, T0);
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 100.0 * MS);
        assert_rel(hb_detector_suspicion(d, T0 + 100 * MS),
                   0.43429448190325182, 1e-15);
        assert_dbl_eq(hb_detector_suspicion(d, T0), 0.0);
        /* Crossing analytic: T x ln 10 x mean. Cassandra's 8: 18.42068 x
         * 100 ms = 1842.0680744 ms; 3: 690.7755279 ms; 4: 921.0340372. */
        assert_in_range(hb_detector_crossing_ns(d, 8.0) - T0, 1842068074,
                        1842068075);
        assert_in_range(hb_detector_crossing_ns(d, 3.0) - T0, 690775527,
                        690775528);
        assert_in_range(hb_detector_crossing_ns(d, 4.0) - T0, 921034037,
                        921034038);
        check_kind_crossing(d, 8.0);
        check_kind_crossing(d, 0.25);

        /* Intervals 80, 120, 140: {100, 80, 120, 140}, mean 110 ms. Then
         * 60 evicts the bootstrap: {80, 120, 140, 60}, mean 100 ms; at
         * 300 ms phi = 3 / ln 10 = 1.3028834457097555. */
        hb_detector_reset(d);
        last = feed(d, T0, iv, 3);
        assert_dbl_eq(hb_detector_mean_ns(d), 110.0 * MS);
        assert_rel(hb_detector_suspicion(d, last + 110 * MS),
                   0.43429448190325182, 1e-15);
        hb_detector_heartbeat(d, last + 60 * MS);
        last += 60 * MS;
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_rel(hb_detector_suspicion(d, last + 300 * MS),
                   1.3028834457097555, 1e-15);

        /* Capped at 1e6 like phi; above the cap never reached. */
        assert_dbl_eq(hb_detector_suspicion(d, UINT64_MAX), 1e6);
        t = hb_detector_crossing_ns(d, 1e6);
        assert_true(t != HB_NEVER);
        assert_dbl_eq(hb_detector_suspicion(d, t), 1e6);
        assert_u64_eq(hb_detector_crossing_ns(d, 2e6), HB_NEVER);
        hb_detector_free(d);

        /* Zero intervals (reordered arrivals): mean floored at 1 µs. */
        c.window = 2;
        d = new_det(&c);
        hb_detector_heartbeat(d, T0);
        hb_detector_heartbeat(d, T0);
        hb_detector_heartbeat(d, T0);
        assert_dbl_eq(hb_detector_mean_ns(d), 1.0 * US);
        assert_true(isfinite(hb_detector_suspicion(d, T0 + 1)));
        hb_detector_free(d);
}

/* ---- adaptive ------------------------------------------------------------ */

/* Current timeout: where suspicion reaches 1 (exact: threshold x
 * timeout). */
static uint64_t timeout_of(const hb_detector_t *d)
{
        return hb_detector_crossing_ns(d, 1.0) -
               hb_detector_last_arrival_ns(d);
}

/* Feed `n` intervals of `iv_ms` each after the last arrival. */
static void feed_ms(hb_detector_t *d, int n, uint64_t iv_ms)
{
        for (int i = 0; i < n; i++)
                hb_detector_heartbeat(d, hb_detector_last_arrival_ns(d) +
                                                 iv_ms * MS);
}

static void feed_cycle(hb_detector_t *d, const uint64_t *iv_ms, size_t n)
{
        for (size_t i = 0; i < n; i++)
                feed_ms(d, 1, iv_ms[i]);
}

static void test_adaptive_transitions(void **state)
{
        /* 300, 300, 100 x 4: 1 s, 6 intervals (congestion). */
        const uint64_t congested[] = { 300, 300, 100, 100, 100, 100 };
        /* 150, 150, 100 x 7: 1 s, 9 intervals (P95/P50 = 1.5 at most). */
        const uint64_t mild[] = { 150, 150, 100, 100, 100, 100, 100, 100,
                                  100 };
        hb_detector_config_t c;
        hb_detector_t *d;

        (void)state;
        hb_detector_config_default(&c, HB_DETECTOR_ADAPTIVE, 100 * MS);
        c.window = 20;
        c.adaptive_initial_ns = 300 * MS;
        c.adaptive_min_ns = 200 * MS;
        c.adaptive_max_ns = 600 * MS;
        c.adaptive_dampening_ns = 1000 * MS;
        d = new_det(&c);

        /* First arrival at 0: suspicion = elapsed / 300 ms. */
        hb_detector_heartbeat(d, T0);
        assert_u64_eq(timeout_of(d), 300 * MS);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 150 * MS), 0.5);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 600 * MS), 2.0);

        /* Steady 100 ms. At 1 s only 10 samples (< min(window, 20) = 20):
         * no evaluation, even though the dampening period has passed. */
        feed_ms(d, 19, 100);
        assert_u64_eq(hb_detector_last_arrival_ns(d), T0 + 1900 * MS);
        assert_u64_eq(timeout_of(d), 300 * MS);
        /* At 2 s, 20 samples of 100: P50 = P95 = 100 < 1.5 x 100: lower,
         * 300 x 0.75 = 225 ms. */
        feed_ms(d, 1, 100);
        assert_u64_eq(timeout_of(d), 225 * MS);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 2225 * MS), 1.0);
        /* Dampening: nothing changes before 3 s. */
        feed_ms(d, 9, 100);
        assert_u64_eq(timeout_of(d), 225 * MS);
        /* 3 s: lower to 168.75, clamped to min 200; 4 s: stays at 200. */
        feed_ms(d, 1, 100);
        assert_u64_eq(timeout_of(d), 200 * MS);
        feed_ms(d, 10, 100);
        assert_u64_eq(timeout_of(d), 200 * MS);

        /* Congestion from 4 s. Cycle 1 ends at 5 s; the window's last 20
         * samples: 14 x 100 (steady) + 300, 300, 100 x 4: sorted,
         * 18 x 100 then 2 x 300: P50 (10th) = 100, P95 (19th) = 300 >
         * 2 x 100: raise, 200 x 1.5 = 300 ms. Not before 5 s. */
        feed_cycle(d, congested, 2);
        assert_u64_eq(timeout_of(d), 200 * MS);
        feed_cycle(d, congested + 2, 4);
        assert_u64_eq(hb_detector_last_arrival_ns(d), T0 + 5000 * MS);
        assert_u64_eq(timeout_of(d), 300 * MS);
        /* Cycle 2 (6 s): 8 x 100 + 2 cycles = 16 x 100, 4 x 300: raise to
         * 450. Cycle 3 (7 s): 14 x 100, 6 x 300: raise to 675, clamped to
         * max 600. */
        feed_cycle(d, congested, 6);
        assert_u64_eq(timeout_of(d), 450 * MS);
        feed_cycle(d, congested, 6);
        assert_u64_eq(timeout_of(d), 600 * MS);

        /* Milder: at 8 s the window still holds 3 x 300 (P95 = 300):
         * raise, 900 clamped to 600. At 9 s: 100, 100 (cycle 3) + 2 mild
         * cycles: 16 x 100, 4 x 150: P95 = 150, neither > 200 nor < 150:
         * kept. At 10 s (steady 100 x 10): 18 x 100, 2 x 150: kept. */
        feed_cycle(d, mild, 9);
        assert_u64_eq(timeout_of(d), 600 * MS);
        feed_cycle(d, mild, 9);
        assert_u64_eq(timeout_of(d), 600 * MS);
        feed_ms(d, 10, 100);
        assert_u64_eq(hb_detector_last_arrival_ns(d), T0 + 10000 * MS);
        assert_u64_eq(timeout_of(d), 600 * MS);
        /* Calm again: 600 x 0.75 = 450 (11 s), 337.5 (12 s), 253.125
         * (13 s), 189.84375 clamped to 200 (14 s). */
        feed_ms(d, 10, 100);
        assert_u64_eq(timeout_of(d), 450 * MS);
        feed_ms(d, 10, 100);
        assert_u64_eq(timeout_of(d), 337500 * US);
        feed_ms(d, 10, 100);
        assert_u64_eq(timeout_of(d), 253125 * US);
        feed_ms(d, 10, 100);
        assert_u64_eq(timeout_of(d), 200 * MS);
        /* The window mean is the mean inter-arrival time. */
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);

        /* Reset: back to the initial timeout and no history. */
        hb_detector_reset(d);
        hb_detector_heartbeat(d, T0);
        assert_u64_eq(timeout_of(d), 300 * MS);
        hb_detector_free(d);
}

/* Nearest-rank percentiles at window 100: P95 is the 95th smallest. One
 * evaluation, at the 100th interval (dampening = the span fed). */
static void test_adaptive_percentile_rank(void **state)
{
        (void)state;
        for (int n300 = 5; n300 <= 6; n300++) {
                hb_detector_config_t c;
                hb_detector_t *d;

                hb_detector_config_default(&c, HB_DETECTOR_ADAPTIVE,
                                           100 * MS);
                c.adaptive_min_ns = 100 * MS;
                c.adaptive_dampening_ns =
                        (uint64_t)(n300 * 300 + (100 - n300) * 100) * MS;
                d = new_det(&c);
                hb_detector_heartbeat(d, T0);
                /* The long intervals first, so none is evicted. */
                feed_ms(d, n300, 300);
                feed_ms(d, 99 - n300, 100);
                assert_u64_eq(timeout_of(d), 300 * MS);
                feed_ms(d, 1, 100);
                /* 5 x 300: the 95th smallest is 100, P95 = P50 = 100:
                 * lower to 225. 6 x 300: the 95th is 300 > 2 x 100:
                 * raise to 450. */
                assert_u64_eq(timeout_of(d), n300 == 5 ? 225 * MS : 450 * MS);
                hb_detector_free(d);
        }
}

/* ---- the parameter schema (detector.h) --------------------------------- */

/* Set every parameter of `kind` to its min (nudged in when the bound is
 * open) or max at once: the cross-field rules (adaptive min <= initial <=
 * max, low_ratio <= high_ratio) then hold too. */
static void params_at_bound(hb_detector_config_t *c, hb_detector_kind_t kind,
                            bool max)
{
        const hb_detector_param_t *p;

        for (size_t i = 0; (p = hb_detector_param_at(kind, i, NULL)); i++) {
                double v = max ? p->max : p->min;

                if (!max && (p->flags & HB_DETECTOR_PARAM_MIN_OPEN))
                        v = p->min + (p->max - p->min) / 1024;
                assert_int_equal(hb_detector_param_set(p, c, v), 0);
                assert_true(hb_detector_param_get(p, c) == v);
        }
}

static void test_param_schema(void **state)
{
        const hb_detector_param_t *p, *q;
        size_t n_all = 0, n_kind_total = 0;
        unsigned kinds;

        (void)state;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_kind_t kind = (hb_detector_kind_t)k;
                hb_detector_config_t c;

                for (size_t i = 0; (p = hb_detector_param_at(kind, i, &kinds));
                     i++) {
                        size_t klen = strlen(p->key);
                        bool ms = p->type == HB_DETECTOR_PARAM_MS ||
                                  p->type == HB_DETECTOR_PARAM_MS_FRAC;

                        n_kind_total++;
                        assert_true(kinds & HB_DETECTOR_KIND_BIT(kind));
                        /* Units in names: _ms keys are exactly the ms
                         * fields. */
                        assert_int_equal(ms, klen > 3 &&
                                                     strcmp(p->key + klen - 3,
                                                            "_ms") == 0);
                        assert_int_equal(ms, strcmp(p->unit, "ms") == 0);
                        assert_true(p->min < p->max);
                        assert_non_null(p->help);
                        assert_true(p->help[strlen(p->help) - 1] == '.');
                        for (size_t j = 0; j < i; j++)
                                assert_string_not_equal(
                                        hb_detector_param_at(kind, j,
                                                             NULL)->key,
                                        p->key);
                        /* The default fits the range at these intervals. */
                        for (uint64_t iv = MS; iv <= 1000 * MS; iv *= 10) {
                                double v;

                                hb_detector_config_default(&c, kind, iv);
                                v = hb_detector_param_get(p, &c);
                                assert_true(v <= p->max);
                                assert_true((p->flags &
                                             HB_DETECTOR_PARAM_MIN_OPEN)
                                                    ? v > p->min
                                                    : v >= p->min);
                        }
                }
                /* Both ends of every range are valid for the detector. */
                hb_detector_config_default(&c, kind, 100 * MS);
                params_at_bound(&c, kind, false);
                ASSERT_VALID(c, 0);
                hb_detector_config_default(&c, kind, 100 * MS);
                params_at_bound(&c, kind, true);
                ASSERT_VALID(c, 0);
                assert_true(hb_detector_suspicion_unit(kind)[0] != '\0');
        }
        assert_null(hb_detector_param_at(HB_DETECTOR_FIXED, 0, NULL));
        assert_null(hb_detector_param_at((hb_detector_kind_t)99, 0, NULL));
        assert_string_equal(hb_detector_suspicion_unit(HB_DETECTOR_PHI),
                            "phi");
        assert_string_equal(hb_detector_suspicion_unit(HB_DETECTOR_PHI_EXP),
                            "phi");
        assert_string_equal(hb_detector_suspicion_unit(HB_DETECTOR_FIXED),
                            "missed intervals");
        assert_string_equal(hb_detector_suspicion_unit(HB_DETECTOR_CHEN),
                            "margins");
        assert_string_equal(hb_detector_suspicion_unit(HB_DETECTOR_ADAPTIVE),
                            "timeouts");
        assert_string_equal(hb_detector_suspicion_unit((hb_detector_kind_t)0),
                            "");

        /* HB_DETECTOR_ALL: every key once; a key shared by kinds is the
         * same field, unit, range and help in each. */
        for (size_t i = 0; (p = hb_detector_param_at(HB_DETECTOR_ALL, i,
                                                     &kinds)); i++) {
                unsigned seen = 0;

                n_all++;
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(
                                hb_detector_param_at(HB_DETECTOR_ALL, j,
                                                     NULL)->key, p->key);
                for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END;
                     k++) {
                        for (size_t j = 0; (q = hb_detector_param_at(
                                                    (hb_detector_kind_t)k, j,
                                                    NULL)); j++) {
                                if (strcmp(q->key, p->key) != 0)
                                        continue;
                                seen |= HB_DETECTOR_KIND_BIT(k);
                                assert_int_equal(q->type, p->type);
                                assert_int_equal(q->offset, p->offset);
                                assert_int_equal(q->flags, p->flags);
                                assert_true(q->min == p->min &&
                                            q->max == p->max);
                                assert_string_equal(q->help, p->help);
                        }
                }
                assert_int_equal(seen, kinds);
        }
        p = hb_detector_param_at(HB_DETECTOR_ALL, 0, &kinds);
        assert_string_equal(p->key, "window");
        assert_int_equal(kinds, HB_DETECTOR_KIND_BIT(HB_DETECTOR_PHI) |
                                HB_DETECTOR_KIND_BIT(HB_DETECTOR_CHEN) |
                                HB_DETECTOR_KIND_BIT(HB_DETECTOR_BERTIER) |
                                HB_DETECTOR_KIND_BIT(HB_DETECTOR_PHI_EXP) |
                                HB_DETECTOR_KIND_BIT(HB_DETECTOR_ADAPTIVE));
        /* window x 5 kinds, first_estimate_ms x 2. */
        assert_int_equal(n_kind_total, n_all + 4 + 1);
}

static void test_param_get_set(void **state)
{
        const hb_detector_param_t *win = NULL, *pause = NULL, *beta = NULL;
        const hb_detector_param_t *p;
        hb_detector_config_t c, before;

        (void)state;
        for (size_t i = 0; (p = hb_detector_param_at(HB_DETECTOR_ALL, i,
                                                     NULL)); i++) {
                if (strcmp(p->key, "window") == 0)
                        win = p;
                if (strcmp(p->key, "acceptable_pause_ms") == 0)
                        pause = p;
                if (strcmp(p->key, "bertier_beta") == 0)
                        beta = p;
        }
        assert_non_null(win);
        assert_non_null(pause);
        assert_non_null(beta);
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        /* Read in the key's unit: ns fields in ms. */
        assert_true(hb_detector_param_get(pause, &c) == 400.0);
        assert_true(hb_detector_param_get(win, &c) == 100.0);
        assert_int_equal(hb_detector_param_set(pause, &c, 12.5), 0);
        assert_u64_eq(c.acceptable_pause_ns, 12500 * US);
        assert_int_equal(hb_detector_param_set(win, &c, 7), 0);
        assert_int_equal(c.window, 7);
        assert_int_equal(hb_detector_param_set(beta, &c, -3), 0);
        assert_true(c.bertier_beta == -3.0);
        /* What the field cannot hold leaves it untouched. */
        before = c;
        assert_int_equal(hb_detector_param_set(win, &c, 2.5), -EINVAL);
        assert_int_equal(hb_detector_param_set(win, &c, -1), -EINVAL);
        assert_int_equal(hb_detector_param_set(win, &c, 5e9), -EINVAL);
        assert_int_equal(hb_detector_param_set(pause, &c, -0.5), -EINVAL);
        assert_int_equal(hb_detector_param_set(pause, &c, 2e10), -EINVAL);
        assert_int_equal(hb_detector_param_set(beta, &c, NAN), -EINVAL);
        assert_int_equal(hb_detector_param_set(beta, &c, INFINITY), -EINVAL);
        assert_int_equal(hb_detector_param_set(NULL, &c, 1), -EINVAL);
        assert_int_equal(hb_detector_param_set(win, NULL, 1), -EINVAL);
        assert_memory_equal(&c, &before, sizeof c);
        assert_true(hb_detector_param_get(NULL, &c) == 0.0);
        assert_true(hb_detector_param_get(win, NULL) == 0.0);
}

/* ---- hb_detector_set_interval() ------------------------------------------ */

/* Feed n heartbeats at `iv` (send times and seqs), with jitter j_i x iv /
 * 100 on the arrival for the kinds that read inter-arrival times only
 * (chen and bertier read lateness against the send schedule, which a
 * new rate does not scale: a steady 1 ms transit there). */
static uint64_t feed_sched(hb_detector_t *d, hb_detector_kind_t k, int n,
                           uint64_t iv)
{
        static const int jit[] = { 0, 3, -2, 5, 1, -4, 2, 0, -1, 4 };
        bool ea = k == HB_DETECTOR_CHEN || k == HB_DETECTOR_BERTIER;
        uint64_t a = T0;

        for (int i = 0; i < n; i++) {
                uint64_t send = T0 + (uint64_t)i * iv;

                a = ea ? send + MS
                       : send + iv + (uint64_t)((int64_t)iv / 100 *
                                                jit[i % 10]);
                hb_detector_heartbeat_sent(d, a, (uint64_t)i + 1, send);
        }
        return a;
}

static void test_set_interval(void **state)
{
        const double thr[] = { 1.0, 2.0, 3.0, 8.0, 16.0 };

        (void)state;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_kind_t kind = (hb_detector_kind_t)k;
                hb_detector_t *d = new_kind(kind, 100 * MS);
                hb_detector_t *slow = new_kind(kind, 1000 * MS);
                hb_detector_t *fast = new_kind(kind, 100 * MS);
                uint64_t ld, ls, lf;

                assert_int_equal(hb_detector_set_interval(NULL, 100 * MS, T0),
                                 -EINVAL);
                assert_int_equal(hb_detector_set_interval(d, MS - 1, T0),
                                 -EINVAL);
                assert_int_equal(hb_detector_set_interval(
                                         d, 3600 * HB_NS_PER_S + 1, T0),
                                 -EINVAL);
                assert_u64_eq(hb_detector_interval_ns(d), 100 * MS);
                /* Before any arrival: only the interval. */
                assert_int_equal(hb_detector_set_interval(d, 100 * MS, T0), 0);

                ld = feed_sched(d, kind, 50, 100 * MS);
                lf = feed_sched(fast, kind, 50, 100 * MS);
                ls = feed_sched(slow, kind, 50, 1000 * MS);

                /* 100 ms -> 1 s: judged as a detector of 1 s with the
                 * same history in units of the interval. */
                assert_int_equal(hb_detector_set_interval(d, 1000 * MS, ld),
                                 0);
                assert_u64_eq(hb_detector_interval_ns(d), 1000 * MS);
                assert_rel(hb_detector_mean_ns(d), hb_detector_mean_ns(slow),
                           1e-6);
                for (size_t i = 0; i < sizeof(thr) / sizeof(thr[0]); i++) {
                        double a = (double)(hb_detector_crossing_ns(d, thr[i]) -
                                            ld);
                        double b = (double)(hb_detector_crossing_ns(slow,
                                                                    thr[i]) -
                                            ls);

                        if (fabs(a - b) > 1e-6 * b + 5 * US) {
                                print_error("%s thr %g: %.0f ns, a 1 s "
                                            "detector %.0f ns\n",
                                            hb_detector_kind_name(kind),
                                            thr[i], a, b);
                                fail();
                        }
                        /* Nothing suspected within 1.2 new intervals. */
                        if (thr[i] >= hb_detector_default_suspect_threshold(
                                              kind))
                                assert_true(hb_detector_available(
                                        d, ld + 1200 * MS, thr[i]));
                }
                /* ... and back: the 100 ms detector it was. */
                assert_int_equal(hb_detector_set_interval(d, 100 * MS,
                                                          ld + MS), 0);
                for (size_t i = 0; i < sizeof(thr) / sizeof(thr[0]); i++) {
                        double a = (double)(hb_detector_crossing_ns(d, thr[i]) -
                                            ld);
                        double b = (double)(hb_detector_crossing_ns(fast,
                                                                    thr[i]) -
                                            lf);

                        assert_true(fabs(a - b) <= 1e-6 * b + 5 * US);
                }
                /* A reset keeps the interval set. */
                assert_int_equal(hb_detector_set_interval(d, 1000 * MS, ld),
                                 0);
                hb_detector_reset(d);
                hb_detector_reset(slow);
                hb_detector_heartbeat(d, T0);
                hb_detector_heartbeat(slow, T0);
                assert_u64_eq(hb_detector_interval_ns(d), 1000 * MS);
                assert_u64_eq(hb_detector_crossing_ns(d, thr[0]),
                              hb_detector_crossing_ns(slow, thr[0]));
                hb_detector_free(d);
                hb_detector_free(slow);
                hb_detector_free(fast);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kind_validate),
                cmocka_unit_test(test_heartbeat_seq),
                cmocka_unit_test(test_rebase),
                cmocka_unit_test(test_all_kinds_monotonic_crossing),
                cmocka_unit_test(test_level_crossing),
                cmocka_unit_test(test_phi_level_random),
                cmocka_unit_test(test_default_timings),
                cmocka_unit_test(test_chen_expected_arrival),
                cmocka_unit_test(test_chen_long_run_exact),
                cmocka_unit_test(test_bertier_jacobson),
                cmocka_unit_test(test_phi_exp),
                cmocka_unit_test(test_adaptive_transitions),
                cmocka_unit_test(test_adaptive_percentile_rank),
                cmocka_unit_test(test_param_schema),
                cmocka_unit_test(test_param_get_set),
                cmocka_unit_test(test_set_interval),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
