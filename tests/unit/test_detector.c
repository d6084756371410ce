/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the failure detectors (include/hbeat/detector.h): fixed
 * timeout, phi accrual (normal and exponential models), Chen's NFD-E,
 * Bertier's adaptable detector and the percentile-driven adaptive timeout.
 * Fake clock: times are plain integers.
 *
 * Expected values are computed independently of the library: means and
 * deviations directly from the interval lists, phi from the documented
 * formula evaluated in long double (phi_ld()), crossings by bisection on
 * phi_ld(), and literal constants derived by hand from the published
 * formulas (each one states its arithmetic in a comment).
 */
#include "detector_test_util.h"

/* ---- kinds, defaults, config -------------------------------------------- */

static void test_kind_name_parse(void **state)
{
        hb_detector_kind_t k = (hb_detector_kind_t)0;

        (void)state;
        assert_string_equal(hb_detector_kind_name(HB_DETECTOR_FIXED),
                            "fixed");
        assert_string_equal(hb_detector_kind_name(HB_DETECTOR_PHI), "phi");
        assert_string_equal(hb_detector_kind_name(HB_DETECTOR_CHEN), "chen");
        assert_string_equal(hb_detector_kind_name(HB_DETECTOR_BERTIER),
                            "bertier");
        assert_string_equal(hb_detector_kind_name(HB_DETECTOR_PHI_EXP),
                            "phi_exp");
        assert_string_equal(hb_detector_kind_name(HB_DETECTOR_ADAPTIVE),
                            "adaptive");
        assert_string_equal(hb_detector_kind_name(
                                    (hb_detector_kind_t)HB_DETECTOR_KIND_END),
                            "unknown");
        assert_string_equal(hb_detector_kind_name((hb_detector_kind_t)0),
                            "unknown");
        assert_string_equal(hb_detector_kind_name((hb_detector_kind_t)99),
                            "unknown");

        assert_int_equal(hb_detector_kind_parse("phi", &k), 0);
        assert_int_equal(k, HB_DETECTOR_PHI);
        /* Every kind's name parses back to it. */
        for (int i = HB_DETECTOR_KIND_END - 1; i >= HB_DETECTOR_FIXED; i--) {
                assert_int_equal(hb_detector_kind_parse(
                                         hb_detector_kind_name(
                                                 (hb_detector_kind_t)i),
                                         &k),
                                 0);
                assert_int_equal(k, i);
        }
        assert_int_equal(hb_detector_kind_parse("phi_exp", &k), 0);
        assert_int_equal(k, HB_DETECTOR_PHI_EXP);
        assert_int_equal(hb_detector_kind_parse("fixed", &k), 0);
        assert_int_equal(k, HB_DETECTOR_FIXED);
        assert_int_equal(hb_detector_kind_parse("phi-exp", &k), -EINVAL);
        assert_int_equal(hb_detector_kind_parse("Chen", &k), -EINVAL);

        /* Failures leave *kind untouched. */
        assert_int_equal(hb_detector_kind_parse("PHI", &k), -EINVAL);
        assert_int_equal(hb_detector_kind_parse("ph", &k), -EINVAL);
        assert_int_equal(hb_detector_kind_parse("phi ", &k), -EINVAL);
        assert_int_equal(hb_detector_kind_parse("", &k), -EINVAL);
        assert_int_equal(hb_detector_kind_parse("unknown", &k), -EINVAL);
        assert_int_equal(hb_detector_kind_parse(NULL, &k), -EINVAL);
        assert_int_equal(hb_detector_kind_parse("phi", NULL), -EINVAL);
        assert_int_equal(k, HB_DETECTOR_FIXED);
}

static void test_default_thresholds(void **state)
{
        (void)state;
        assert_dbl_eq(hb_detector_default_suspect_threshold(HB_DETECTOR_PHI),
                      8.0);
        assert_dbl_eq(hb_detector_default_dead_threshold(HB_DETECTOR_PHI),
                      50.0);
        assert_dbl_eq(
                hb_detector_default_suspect_threshold(HB_DETECTOR_FIXED), 3.0);
        assert_dbl_eq(hb_detector_default_dead_threshold(HB_DETECTOR_FIXED),
                      5.0);
        /* Chen: 1 = the freshness point tau, 2 = two margins past EA. */
        assert_dbl_eq(hb_detector_default_suspect_threshold(HB_DETECTOR_CHEN),
                      1.0);
        assert_dbl_eq(hb_detector_default_dead_threshold(HB_DETECTOR_CHEN),
                      2.0);
        /* Bertier: 1 = tau, 16 margins (4 intervals at the floor). */
        assert_dbl_eq(
                hb_detector_default_suspect_threshold(HB_DETECTOR_BERTIER),
                1.0);
        assert_dbl_eq(hb_detector_default_dead_threshold(HB_DETECTOR_BERTIER),
                      16.0);
        assert_dbl_eq(
                hb_detector_default_suspect_threshold(HB_DETECTOR_PHI_EXP),
                3.0);
        assert_dbl_eq(hb_detector_default_dead_threshold(HB_DETECTOR_PHI_EXP),
                      4.0);
        assert_dbl_eq(
                hb_detector_default_suspect_threshold(HB_DETECTOR_ADAPTIVE),
                1.0);
        assert_dbl_eq(
                hb_detector_default_dead_threshold(HB_DETECTOR_ADAPTIVE), 2.0);
        assert_false(hb_detector_default_suspect_threshold(
                             (hb_detector_kind_t)HB_DETECTOR_KIND_END) > 0.0);
        assert_false(hb_detector_default_dead_threshold(
                             (hb_detector_kind_t)0) > 0.0);
}

/* Field by field: padding bytes are unspecified. */
static bool cfg_equal(const hb_detector_config_t *a,
                      const hb_detector_config_t *b)
{
        return a->kind == b->kind && a->interval_ns == b->interval_ns &&
               a->window == b->window &&
               a->min_std_dev_ns == b->min_std_dev_ns &&
               a->acceptable_pause_ns == b->acceptable_pause_ns &&
               a->first_estimate_ns == b->first_estimate_ns &&
               a->chen_alpha_ns == b->chen_alpha_ns &&
               a->bertier_beta == b->bertier_beta &&
               a->bertier_phi == b->bertier_phi &&
               a->bertier_gamma == b->bertier_gamma &&
               a->adaptive_initial_ns == b->adaptive_initial_ns &&
               a->adaptive_min_ns == b->adaptive_min_ns &&
               a->adaptive_max_ns == b->adaptive_max_ns &&
               a->adaptive_dampening_ns == b->adaptive_dampening_ns &&
               a->adaptive_raise == b->adaptive_raise &&
               a->adaptive_lower == b->adaptive_lower &&
               a->adaptive_high_ratio == b->adaptive_high_ratio &&
               a->adaptive_low_ratio == b->adaptive_low_ratio;
}

static void test_config_default(void **state)
{
        hb_detector_config_t c;

        (void)state;
        memset(&c, 0xa5, sizeof(c));
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        assert_int_equal(c.kind, HB_DETECTOR_PHI);
        assert_u64_eq(c.interval_ns, 100 * MS);
        assert_int_equal(c.window, 100);
        assert_u64_eq(c.min_std_dev_ns, 25 * MS);        /* interval / 4 */
        assert_u64_eq(c.acceptable_pause_ns, 400 * MS);  /* 4 x interval */
        assert_u64_eq(c.first_estimate_ns, 100 * MS);
        /* The other kinds' fields are filled too. */
        assert_u64_eq(c.chen_alpha_ns, 300 * MS);          /* 3 x interval */
        assert_dbl_eq(c.bertier_beta, 1.0);
        assert_dbl_eq(c.bertier_phi, 4.0);
        assert_dbl_eq(c.bertier_gamma, 0.1);
        assert_u64_eq(c.adaptive_initial_ns, 300 * MS);    /* 3 x interval */
        assert_u64_eq(c.adaptive_min_ns, 300 * MS);        /* 3 x interval */
        assert_u64_eq(c.adaptive_max_ns, 3000 * MS);       /* 30 x */
        assert_u64_eq(c.adaptive_dampening_ns, 10000 * MS); /* 100 x */
        assert_dbl_eq(c.adaptive_raise, 1.5);
        assert_dbl_eq(c.adaptive_lower, 0.75);
        assert_dbl_eq(c.adaptive_high_ratio, 2.0);
        assert_dbl_eq(c.adaptive_low_ratio, 1.5);
        assert_int_equal(hb_detector_config_validate(&c), 0);

        /* Every kind: the same fields whatever the kind (a config can
         * switch kind), valid at both ends of the interval range. */
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_config_t p;

                hb_detector_config_default(&p, HB_DETECTOR_PHI, 100 * MS);
                hb_detector_config_default(&c, (hb_detector_kind_t)k,
                                           100 * MS);
                assert_int_equal(c.kind, k);
                p.kind = c.kind;
                assert_true(cfg_equal(&c, &p));
                assert_int_equal(hb_detector_config_validate(&c), 0);
                hb_detector_config_default(&c, (hb_detector_kind_t)k, MS);
                assert_int_equal(hb_detector_config_validate(&c), 0);
                hb_detector_config_default(&c, (hb_detector_kind_t)k,
                                           3600 * HB_NS_PER_S);
                assert_int_equal(hb_detector_config_validate(&c), 0);
        }

        hb_detector_config_default(&c, HB_DETECTOR_FIXED, 1 * MS);
        assert_int_equal(c.kind, HB_DETECTOR_FIXED);
        assert_u64_eq(c.interval_ns, 1 * MS);
        assert_int_equal(hb_detector_config_validate(&c), 0);

        /* Defaults are valid at both ends of the interval range. */
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 1 * MS);
        assert_int_equal(hb_detector_config_validate(&c), 0);
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 3600 * HB_NS_PER_S);
        assert_int_equal(hb_detector_config_validate(&c), 0);

        hb_detector_config_default(NULL, HB_DETECTOR_PHI, 100 * MS);
}

static void test_config_validate(void **state)
{
        const uint64_t hour = 3600 * HB_NS_PER_S;
        hb_detector_config_t ok, c;

        (void)state;
        hb_detector_config_default(&ok, HB_DETECTOR_PHI, 100 * MS);
        assert_int_equal(hb_detector_config_validate(&ok), 0);
        assert_int_equal(hb_detector_config_validate(NULL), -EINVAL);

        /* kind */
        c = ok, c.kind = (hb_detector_kind_t)0;
        assert_int_equal(hb_detector_config_validate(&c), -EINVAL);
        c = ok, c.kind = (hb_detector_kind_t)HB_DETECTOR_KIND_END;
        assert_int_equal(hb_detector_config_validate(&c), -EINVAL);

        /* interval: 1 ms .. 1 h, for every kind */
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                c = ok, c.kind = (hb_detector_kind_t)k;
                c.interval_ns = MS - 1;
                assert_int_equal(hb_detector_config_validate(&c), -EINVAL);
                c.interval_ns = MS;
                assert_int_equal(hb_detector_config_validate(&c), 0);
                c.interval_ns = hour;
                assert_int_equal(hb_detector_config_validate(&c), 0);
                c.interval_ns = hour + 1;
                assert_int_equal(hb_detector_config_validate(&c), -EINVAL);
                c.interval_ns = 0;
                assert_int_equal(hb_detector_config_validate(&c), -EINVAL);
        }

        /* window */
        c = ok, c.window = HB_PHI_WINDOW_MIN - 1;
        assert_int_equal(hb_detector_config_validate(&c), -EINVAL);
        c.window = HB_PHI_WINDOW_MIN;
        assert_int_equal(hb_detector_config_validate(&c), 0);
        c.window = HB_PHI_WINDOW_MAX;
        assert_int_equal(hb_detector_config_validate(&c), 0);
        c.window = HB_PHI_WINDOW_MAX + 1;
        assert_int_equal(hb_detector_config_validate(&c), -EINVAL);

        /* min_std_dev >= 1 µs */
        c = ok, c.min_std_dev_ns = US - 1;
        assert_int_equal(hb_detector_config_validate(&c), -EINVAL);
        c.min_std_dev_ns = US;
        assert_int_equal(hb_detector_config_validate(&c), 0);

        /* acceptable pause <= 4 h (4 x the largest interval, so that the
         * default 4 x interval is always valid) */
        c = ok, c.acceptable_pause_ns = 4 * hour + 1;
        assert_int_equal(hb_detector_config_validate(&c), -EINVAL);
        c.acceptable_pause_ns = 4 * hour;
        assert_int_equal(hb_detector_config_validate(&c), 0);
        c.acceptable_pause_ns = 0;
        assert_int_equal(hb_detector_config_validate(&c), 0);

        /* first_estimate >= 1 ms */
        c = ok, c.first_estimate_ns = MS - 1;
        assert_int_equal(hb_detector_config_validate(&c), -EINVAL);
        c.first_estimate_ns = MS;
        assert_int_equal(hb_detector_config_validate(&c), 0);

        /* The phi fields do not apply to the fixed detector. */
        c = ok, c.kind = HB_DETECTOR_FIXED;
        c.window = 0, c.min_std_dev_ns = 0, c.first_estimate_ns = 0;
        assert_int_equal(hb_detector_config_validate(&c), 0);
}

static void test_new_errors(void **state)
{
        hb_detector_t *sentinel = (hb_detector_t *)(uintptr_t)0x1234;
        hb_detector_t *d = sentinel;
        hb_detector_config_t c;

        (void)state;
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        assert_int_equal(hb_detector_new(NULL, &c), -EINVAL);
        assert_int_equal(hb_detector_new(&d, NULL), -EINVAL);
        c.window = 1;
        assert_int_equal(hb_detector_new(&d, &c), -EINVAL);
        assert_ptr_equal(d, sentinel);

        /* Allocation failure: -ENOMEM, *ret untouched. */
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        failalloc_after(0);
        assert_int_equal(hb_detector_new(&d, &c), -ENOMEM);
        failalloc_after(-1);
        assert_ptr_equal(d, sentinel);
        c.kind = HB_DETECTOR_FIXED;
        failalloc_after(0);
        assert_int_equal(hb_detector_new(&d, &c), -ENOMEM);
        failalloc_after(-1);
        assert_ptr_equal(d, sentinel);

        hb_detector_free(NULL);
}

/* One allocation in new, none afterwards: an armed failure injection
 * survives a million heartbeats, suspicion and crossing calls. */
static void test_no_allocation_after_new(void **state)
{
        hb_detector_config_t c = phi_cfg(100 * MS, 100, 25 * MS, 300 * MS);
        hb_detector_t *d = new_det(&c), *d2 = NULL;
        uint64_t t = T0;

        (void)state;
        failalloc_after(0);
        for (int i = 0; i < 1000000; i++) {
                hb_detector_heartbeat(d, t);
                (void)hb_detector_suspicion(d, t + 50 * MS);
                if (i % 1000 == 0)
                        (void)hb_detector_crossing_ns(d, 8.0);
                t += 100 * MS;
        }
        hb_detector_reset(d);
        /* The countdown is still armed: the next allocation fails. */
        assert_int_equal(hb_detector_new(&d2, &c), -ENOMEM);
        assert_null(d2);
        failalloc_after(-1);
        hb_detector_free(d);

        /* Every other kind too, with seqs, losses, rebases and adaptive
         * evaluations (every 100 arrivals at the defaults). */
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_config_default(&c, (hb_detector_kind_t)k,
                                           100 * MS);
                d = new_det(&c);
                t = T0;
                failalloc_after(0);
                for (uint64_t i = 1; i <= 200000; i++) {
                        if (i % 10 != 3)        /* 10 % loss */
                                hb_detector_heartbeat_seq(d, t, i);
                        if (i % 5000 == 0)
                                hb_detector_rebase(d, t + 2 * HB_NS_PER_S);
                        (void)hb_detector_suspicion(d, t + 50 * MS);
                        if (i % 1000 == 0)
                                (void)hb_detector_crossing_ns(d, 1.0);
                        t += 100 * MS + (i * 7919 % 13) * MS;
                }
                hb_detector_reset(d);
                assert_int_equal(hb_detector_new(&d2, &c), -ENOMEM);
                failalloc_after(-1);
                hb_detector_free(d);
        }
}

/* ---- state before any arrival, NULL ----------------------------------- */

static void test_no_arrival(void **state)
{
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_config_t c;
                hb_detector_t *d;

                (void)state;
                hb_detector_config_default(&c, (hb_detector_kind_t)k,
                                           100 * MS);
                d = new_det(&c);
                assert_int_equal(hb_detector_kind(d), k);
                assert_u64_eq(hb_detector_arrivals(d), 0);
                assert_u64_eq(hb_detector_last_arrival_ns(d), HB_NEVER);
                assert_dbl_eq(hb_detector_suspicion(d, T0), 0.0);
                assert_dbl_eq(hb_detector_suspicion(d, UINT64_MAX), 0.0);
                assert_true(hb_detector_available(d, UINT64_MAX, 1e-9));
                assert_u64_eq(hb_detector_crossing_ns(d, 8.0), HB_NEVER);
                assert_u64_eq(hb_detector_crossing_ns(d, 0.0), HB_NEVER);
                hb_detector_free(d);
        }

        /* NULL behaves as a detector without arrivals. */
        assert_dbl_eq(hb_detector_suspicion(NULL, T0), 0.0);
        assert_true(hb_detector_available(NULL, T0, 1.0));
        assert_u64_eq(hb_detector_crossing_ns(NULL, 1.0), HB_NEVER);
        assert_u64_eq(hb_detector_last_arrival_ns(NULL), HB_NEVER);
        assert_u64_eq(hb_detector_arrivals(NULL), 0);
        assert_int_equal(hb_detector_memory(NULL), 0);
        hb_detector_heartbeat(NULL, T0);
        hb_detector_heartbeat_seq(NULL, T0, 1);
        hb_detector_rebase(NULL, T0);
        hb_detector_reset(NULL);
        assert_int_equal(hb_detector_kind(NULL), 0);
        assert_dbl_eq(hb_detector_mean_ns(NULL), 0.0);
        assert_dbl_eq(hb_detector_std_dev_ns(NULL), 0.0);
}

/* ---- fixed ------------------------------------------------------------- */

static void test_fixed_suspicion(void **state)
{
        hb_detector_t *d = new_fixed(100 * MS);

        (void)state;
        hb_detector_heartbeat(d, T0);
        assert_u64_eq(hb_detector_arrivals(d), 1);
        assert_u64_eq(hb_detector_last_arrival_ns(d), T0);
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 0.0);

        /* Exact multiples give exact missed-interval counts. */
        for (uint64_t k = 0; k <= 10; k++)
                assert_dbl_eq(hb_detector_suspicion(d, T0 + k * 100 * MS),
                              (double)k);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 50 * MS), 0.5);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 250 * MS), 2.5);
        /* Before the last arrival: elapsed 0. */
        assert_dbl_eq(hb_detector_suspicion(d, T0 - 1), 0.0);

        /* A new arrival restarts the count. */
        hb_detector_heartbeat(d, T0 + 420 * MS);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 720 * MS), 3.0);
        hb_detector_free(d);
}

static void test_fixed_crossing_available(void **state)
{
        const double thr[] = { 3.0, 5.0, 2.5, 1.0 / 3.0, 0.1, 7.77 };
        hb_detector_t *d = new_fixed(100 * MS);
        uint64_t last = T0 + 123;

        (void)state;
        hb_detector_heartbeat(d, last);
        /* Hand-derived: 3 and 5 missed 100 ms intervals. */
        assert_u64_eq(hb_detector_crossing_ns(d, 3.0), last + 300 * MS);
        assert_u64_eq(hb_detector_crossing_ns(d, 5.0), last + 500 * MS);
        for (size_t i = 0; i < sizeof(thr) / sizeof(*thr); i++) {
                uint64_t t = hb_detector_crossing_ns(d, thr[i]);
                /* The documented rule, in double as the library
                 * computes suspicion: last + ceil(threshold x interval). */
                uint64_t want = last + (uint64_t)ceil(thr[i] *
                                                      (double)(100 * MS));

                assert_u64_eq(t, want);
                assert_true(hb_detector_suspicion(d, t) >= thr[i]);
                assert_true(hb_detector_suspicion(d, t - 1) < thr[i]);
        }

        /* available iff suspicion < threshold */
        assert_true(hb_detector_available(d, last + 299 * MS, 3.0));
        assert_true(hb_detector_available(d, last + 300 * MS - 1, 3.0));
        assert_false(hb_detector_available(d, last + 300 * MS, 3.0));
        assert_false(hb_detector_available(d, last + 301 * MS, 3.0));

        /* Edge thresholds. */
        assert_u64_eq(hb_detector_crossing_ns(d, 0.0), last);
        assert_u64_eq(hb_detector_crossing_ns(d, -1.0), last);
        assert_u64_eq(hb_detector_crossing_ns(d, NAN), HB_NEVER);
        assert_u64_eq(hb_detector_crossing_ns(d, INFINITY), HB_NEVER);
        assert_u64_eq(hb_detector_crossing_ns(d, -INFINITY), HB_NEVER);
        /* 1e12 intervals of 100 ms = 1e20 ns: beyond the clock. */
        assert_u64_eq(hb_detector_crossing_ns(d, 1e12), HB_NEVER);
        /* 1e9 intervals = 1e17 ns: representable. */
        assert_u64_eq(hb_detector_crossing_ns(d, 1e9),
                      last + UINT64_C(100000000000000000));
        hb_detector_free(d);
}

/* ---- phi: bootstrap, statistics, window ------------------------------- */

static void test_phi_bootstrap(void **state)
{
        /* first_estimate 100 ms, floor 1 µs (inactive), no pause. */
        hb_detector_config_t c = phi_cfg(100 * MS, 100, US, 0);
        hb_detector_t *d = new_det(&c);

        (void)state;
        /* Bootstrap samples 75 ms and 125 ms: mean 100 ms, population
         * sigma = 25 ms (hand: deviations +-25 ms). */
        hb_detector_heartbeat(d, T0);
        assert_u64_eq(hb_detector_arrivals(d), 1);
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 25.0 * MS);

        /* Suspicion already meaningful after one arrival. */
        assert_true(hb_detector_suspicion(d, T0 + 1) > 0.0);
        /* At the mean: y = 0, e = 1, phi = log10 2 (hand). */
        assert_rel(hb_detector_suspicion(d, T0 + 100 * MS), 0.30102999566398,
                   1e-12);
        /* y = 1 (t = 125 ms): e = exp(-1.668166) = 0.188596..., phi =
         * -log10(e / (1 + e)) = 0.79950832083956 (hand, 14 digits). */
        assert_rel(hb_detector_suspicion(d, T0 + 125 * MS), 0.79950832083956,
                   1e-12);
        /* y = -1 (t = 75 ms): phi = -log10(1 - 1/(1 + e^1.668166)) =
         * 0.075033032140940 (hand). */
        assert_rel(hb_detector_suspicion(d, T0 + 75 * MS), 0.075033032140940,
                   1e-12);
        /* y = 2 (t = 150 ms): 1.6428278854871 (hand). */
        assert_rel(hb_detector_suspicion(d, T0 + 150 * MS), 1.6428278854871,
                   1e-12);

        /* Second arrival after 100 ms: samples {75, 125, 100} ms, mean
         * 100 ms, sigma = sqrt((625 + 625 + 0) / 3) ms = 20.412 ms. */
        hb_detector_heartbeat(d, T0 + 100 * MS);
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_rel(hb_detector_std_dev_ns(d), sqrt(1250.0 / 3.0) * MS,
                   1e-15);
        hb_detector_free(d);
}

static void test_phi_mean_std_sequence(void **state)
{
        const uint64_t iv[] = { 90 * MS, 110 * MS, 100 * MS, 120 * MS,
                                80 * MS };
        /* The window still holds the two bootstrap samples. */
        const uint64_t all[] = { 75 * MS, 125 * MS, 90 * MS, 110 * MS,
                                 100 * MS, 120 * MS, 80 * MS };
        hb_detector_config_t c = phi_cfg(100 * MS, 100, US, 0);
        hb_detector_t *d = new_det(&c);
        uint64_t last;

        (void)state;
        last = feed(d, T0, iv, 5);
        assert_u64_eq(hb_detector_arrivals(d), 6);
        assert_u64_eq(hb_detector_last_arrival_ns(d), last);
        /* Hand: sum 700 ms / 7 = 100 ms; squared deviations 625 + 625 +
         * 100 + 100 + 0 + 400 + 400 = 2250 ms^2; sigma = sqrt(2250/7) ms
         * = 17.928429 ms. */
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_rel(hb_detector_std_dev_ns(d), sqrt(2250.0 / 7.0) * MS, 1e-15);
        assert_rel(hb_detector_mean_ns(d), (double)mean_of(all, 7), 1e-15);
        assert_rel(hb_detector_std_dev_ns(d), (double)std_of(all, 7), 1e-15);

        /* Suspicion follows the formula with these mu and sigma. */
        for (uint64_t e = 0; e <= 400 * MS; e += 7 * MS + 13) {
                double want = (double)phi_ld(
                        (long double)e, mean_of(all, 7), std_of(all, 7));

                assert_phi(hb_detector_suspicion(d, last + e), want);
        }
        hb_detector_free(d);
}

static void test_phi_window_eviction(void **state)
{
        /* window 4, 10 arrivals = 9 intervals 10, 20, ..., 90 ms. */
        uint64_t iv[9];
        hb_detector_config_t c = phi_cfg(100 * MS, 4, US, 0);
        hb_detector_t *d = new_det(&c);
        uint64_t last;

        (void)state;
        for (int i = 0; i < 9; i++)
                iv[i] = (uint64_t)(i + 1) * 10 * MS;
        last = feed(d, T0, iv, 9);
        assert_u64_eq(hb_detector_arrivals(d), 10);
        /* Only the last 4 count: {60, 70, 80, 90} ms. Hand: mean 75 ms,
         * sigma = sqrt((225 + 25 + 25 + 225) / 4) ms = sqrt(125) ms. */
        assert_dbl_eq(hb_detector_mean_ns(d), 75.0 * MS);
        assert_rel(hb_detector_std_dev_ns(d), sqrt(125.0) * MS, 1e-15);
        assert_rel(hb_detector_mean_ns(d), (double)mean_of(iv + 5, 4), 1e-15);
        assert_rel(hb_detector_std_dev_ns(d), (double)std_of(iv + 5, 4),
                   1e-15);
        assert_rel(hb_detector_suspicion(d, last + 100 * MS),
                   (double)phi_ld(100.0L * MS, mean_of(iv + 5, 4),
                                  std_of(iv + 5, 4)),
                   1e-12);

        /* Eviction of the bootstrap samples: window 2 after 2 real
         * intervals of 100 ms holds only them (sigma 0 -> floor). */
        hb_detector_free(d);
        c = phi_cfg(100 * MS, 2, 3 * US, 0);
        d = new_det(&c);
        hb_detector_heartbeat(d, T0);
        hb_detector_heartbeat(d, T0 + 100 * MS);
        assert_dbl_eq(hb_detector_mean_ns(d), 112.5 * MS); /* {125, 100} */
        hb_detector_heartbeat(d, T0 + 200 * MS);
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 3.0 * US);
        hb_detector_free(d);
}

static void test_phi_min_std_floor(void **state)
{
        hb_detector_config_t c = phi_cfg(100 * MS, 10, 25 * MS, 0);
        hb_detector_t *d = new_det(&c);
        uint64_t t = T0;

        (void)state;
        /* Steady 100 ms: raw sigma 0 once the bootstrap is gone. */
        for (int i = 0; i < 20; i++, t += 100 * MS)
                hb_detector_heartbeat(d, t);
        t -= 100 * MS;
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 25.0 * MS);
        /* phi uses the floored sigma. */
        assert_rel(hb_detector_suspicion(d, t + 150 * MS),
                   (double)phi_ld(150.0L * MS, 100.0L * MS, 25.0L * MS),
                   1e-12);
        hb_detector_free(d);

        /* Alternating 90/110 ms: raw sigma exactly 10 ms (hand). */
        for (int floor_ms = 5; floor_ms <= 15; floor_ms += 10) {
                c = phi_cfg(100 * MS, 10, (uint64_t)floor_ms * MS, 0);
                d = new_det(&c);
                t = T0;
                hb_detector_heartbeat(d, t);
                for (int i = 0; i < 20; i++) {
                        t += (i % 2 ? 110 : 90) * MS;
                        hb_detector_heartbeat(d, t);
                }
                assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
                assert_dbl_eq(hb_detector_std_dev_ns(d),
                              floor_ms < 10 ? 10.0 * MS
                                            : (double)floor_ms * MS);
                hb_detector_free(d);
        }
}

static void test_phi_acceptable_pause(void **state)
{
        const uint64_t pause = 300 * MS;
        hb_detector_config_t ca = phi_cfg(100 * MS, 100, 25 * MS, 0);
        hb_detector_config_t cb = phi_cfg(100 * MS, 100, 25 * MS, pause);
        hb_detector_t *a = new_det(&ca), *b = new_det(&cb);

        (void)state;
        hb_detector_heartbeat(a, T0);
        hb_detector_heartbeat(b, T0);
        /* The pause shifts the curve right by exactly `pause`; mean_ns
         * itself does not include it. */
        assert_dbl_eq(hb_detector_mean_ns(a), hb_detector_mean_ns(b));
        for (uint64_t e = 0; e <= 600 * MS; e += 3 * MS + 7)
                assert_dbl_eq(hb_detector_suspicion(b, T0 + pause + e),
                              hb_detector_suspicion(a, T0 + e));
        /* At elapsed = mean + pause phi is log10 2 (hand). */
        assert_rel(hb_detector_suspicion(b, T0 + 400 * MS), 0.30102999566398,
                   1e-12);
        for (double thr = 1.0; thr <= 16.0; thr *= 2.0) {
                int64_t diff = (int64_t)(hb_detector_crossing_ns(b, thr) -
                                         hb_detector_crossing_ns(a, thr));

                assert_in_range(diff, (int64_t)(pause - US),
                                (int64_t)(pause + US));
        }
        hb_detector_free(a);
        hb_detector_free(b);
}

/* ---- phi: formula, branches, monotonicity ---------------------------- */

static void test_phi_branches(void **state)
{
        /* mu + pause = 400 ms, sigma 25 ms (the defaults at 100 ms). */
        hb_detector_config_t c = phi_cfg(100 * MS, 100, 25 * MS, 300 * MS);
        hb_detector_t *d = new_det(&c);
        const long double m = 400.0L * MS, sd = 25.0L * MS;

        (void)state;
        hb_detector_heartbeat(d, T0);
        /* Below the mean (second branch). */
        for (uint64_t e = 0; e < 400 * MS; e += MS + 1)
                assert_phi(hb_detector_suspicion(d, T0 + e),
                           (double)phi_ld((long double)e, m, sd));
        /* Above the mean (first branch), up to phi ~ 300. */
        for (uint64_t e = 400 * MS + 1; e < 900 * MS; e += MS + 1)
                assert_phi(hb_detector_suspicion(d, T0 + e),
                           (double)phi_ld((long double)e, m, sd));

        /* The branches meet at y = 0 without a step. */
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 400 * MS), log10(2.0));
        assert_true(hb_detector_suspicion(d, T0 + 400 * MS - 1) <=
                    log10(2.0));
        assert_true(hb_detector_suspicion(d, T0 + 400 * MS + 1) >=
                    log10(2.0));
        assert_rel(hb_detector_suspicion(d, T0 + 400 * MS + 1), log10(2.0),
                   1e-7);
        assert_rel(hb_detector_suspicion(d, T0 + 400 * MS - 1), log10(2.0),
                   1e-7);

        /* Far below: >= 0, never negative zero issues; far above: cap. */
        assert_true(hb_detector_suspicion(d, T0) >= 0.0);
        assert_false(signbit(hb_detector_suspicion(d, T0)));
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 3600 * HB_NS_PER_S),
                      1e6);
        assert_dbl_eq(hb_detector_suspicion(d, UINT64_MAX), 1e6);

        /* hb_phi(): the same function, public. */
        assert_dbl_eq(hb_phi(425.0 * MS, 400.0 * MS, 25.0 * MS),
                      hb_detector_suspicion(d, T0 + 425 * MS));
        assert_rel(hb_phi(1.0, 1.0, 1.0), 0.30102999566398, 1e-12);
        assert_rel(hb_phi(2.0, 1.0, 1.0), 0.79950832083956, 1e-12);
        /* sigma <= 0: the limit sigma -> 0+. */
        assert_dbl_eq(hb_phi(2.0, 1.0, 0.0), 1e6);
        assert_dbl_eq(hb_phi(0.5, 1.0, 0.0), 0.0);
        assert_dbl_eq(hb_phi(1.0, 1.0, 0.0), log10(2.0));
        assert_dbl_eq(hb_phi(1e300, 0.0, 1.0), 1e6);
        hb_detector_free(d);
}

static void test_phi_monotonic(void **state)
{
        /* Several shapes: defaults, tight floor, long window. */
        const hb_detector_config_t cfgs[] = {
                phi_cfg(100 * MS, 100, 25 * MS, 300 * MS),
                phi_cfg(10 * MS, 50, US, 0),
                phi_cfg(1000 * MS, 1000, 100 * MS, 3000 * MS),
        };

        (void)state;
        for (size_t k = 0; k < sizeof(cfgs) / sizeof(*cfgs); k++) {
                const hb_detector_config_t *c = &cfgs[k];
                hb_detector_t *d = new_det(c);
                uint64_t t = T0, now = T0, end, mid, step;
                double prev = -1.0;

                /* A jittery history: intervals 0.9 .. 1.1 x interval. */
                for (int i = 0; i < 200; i++) {
                        t = now;
                        hb_detector_heartbeat(d, t);
                        now += c->interval_ns - c->interval_ns / 10 +
                               (uint64_t)(i * 7919 % 200) *
                                       (c->interval_ns / 1000);
                }
                end = hb_detector_crossing_ns(d, 1e6);
                assert_true(end != HB_NEVER);
                /* Fine grid over [last, saturation + 1 s], 100k points. */
                step = (end + HB_NS_PER_S - t) / 100000 + 1;
                for (uint64_t x = t; x <= end + HB_NS_PER_S; x += step) {
                        double s = hb_detector_suspicion(d, x);

                        assert_true(s >= prev);
                        prev = s;
                }
                /* 1 ns steps around the mean (branch change) and around
                 * the saturation jump. */
                mid = t + (uint64_t)(hb_detector_mean_ns(d) +
                                     (double)c->acceptable_pause_ns);
                prev = -1.0;
                for (uint64_t x = mid - 5000; x <= mid + 5000; x++) {
                        double s = hb_detector_suspicion(d, x);

                        assert_true(s >= prev);
                        prev = s;
                }
                prev = -1.0;
                for (uint64_t x = end - 5000; x <= end + 5000; x++) {
                        double s = hb_detector_suspicion(d, x);

                        assert_true(s >= prev);
                        prev = s;
                }
                hb_detector_free(d);
        }
}

/* ---- phi: crossing ----------------------------------------------------- */

static void check_crossing(hb_detector_t *d, uint64_t last, double thr,
                           long double m, long double sd)
{
        uint64_t t = hb_detector_crossing_ns(d, thr);
        uint64_t truth = last + crossing_ld(m, sd, thr);

        assert_true(t != HB_NEVER);
        assert_true(t >= last);
        if (!(hb_detector_suspicion(d, t) >= thr) ||
            !(hb_detector_suspicion(d, t - US) < thr)) {
                print_error("thr %g: t=%llu s(t)=%.17g s(t-1us)=%.17g\n",
                            thr, (unsigned long long)(t - last),
                            hb_detector_suspicion(d, t),
                            hb_detector_suspicion(d, t - US));
                fail();
        }
        /* Within (truth - 1 µs, truth] would be the bound for the
         * library's own curve; against the long double curve allow 2 ns
         * of rounding on the early side. */
        if (t + 2 < truth || t > truth + US) {
                print_error("thr %g: crossing %llu vs true %llu\n", thr,
                            (unsigned long long)(t - last),
                            (unsigned long long)(truth - last));
                fail();
        }
}

static void test_phi_crossing(void **state)
{
        const double thr[] = { 1.0, 8.0, 16.0, 30.0 };
        hb_detector_config_t c = phi_cfg(100 * MS, 100, 25 * MS, 300 * MS);
        hb_detector_t *d = new_det(&c);
        uint64_t last = T0 + 777;

        (void)state;
        hb_detector_heartbeat(d, last);
        for (size_t i = 0; i < 4; i++)
                check_crossing(d, last, thr[i], 400.0L * MS, 25.0L * MS);

        /* Hand: phi 8 <=> 0.070566 y^3 + 1.5976 y = ln(1e8 - 1) =
         * 18.420681, y = 5.2259866; t = 400 + 25 y = 530.64967 ms.
         * phi 16: g = 36.841361, y = 7.1196809, t = 577.99202 ms. */
        assert_in_range(hb_detector_crossing_ns(d, 8.0) - last,
                        530649666 - 1000, 530649666 + 1000);
        assert_in_range(hb_detector_crossing_ns(d, 16.0) - last,
                        577992023 - 1000, 577992023 + 1000);

        /* With a jittery history, several thresholds. */
        {
                uint64_t iv[300], t;
                long double m, sd;

                for (int i = 0; i < 300; i++)
                        iv[i] = 60 * MS +
                                (uint64_t)(i * 104729 % 101) * MS;
                hb_detector_reset(d);
                last = feed(d, T0, iv, 300);
                m = mean_of(iv + 200, 100) + 300.0L * MS;
                sd = std_of(iv + 200, 100);
                /* Above the 25 ms floor, so the measured sigma is used. */
                assert_true(sd > 25.0L * MS);
                assert_rel(hb_detector_std_dev_ns(d), (double)sd, 1e-15);
                for (double x = 0.5; x <= 64.0; x *= 1.37)
                        check_crossing(d, last, x, m, sd);
                t = hb_detector_crossing_ns(d, 8.0);
                assert_false(hb_detector_available(d, t, 8.0));
                assert_true(hb_detector_available(d, t - US, 8.0));
        }
        hb_detector_free(d);
}

static void test_phi_crossing_edges(void **state)
{
        hb_detector_config_t c = phi_cfg(100 * MS, 100, 25 * MS, 300 * MS);
        hb_detector_t *d = new_det(&c);
        const uint64_t last = T0;
        const double tiny[] = { 1e-3, 1e-10, 1e-17, 1e-300, 5e-324 };
        uint64_t t;

        (void)state;
        assert_u64_eq(hb_detector_crossing_ns(d, 1.0), HB_NEVER);
        hb_detector_heartbeat(d, last);
        assert_u64_eq(hb_detector_crossing_ns(d, 0.0), last);
        assert_u64_eq(hb_detector_crossing_ns(d, -5.0), last);
        assert_u64_eq(hb_detector_crossing_ns(d, NAN), HB_NEVER);
        assert_u64_eq(hb_detector_crossing_ns(d, INFINITY), HB_NEVER);
        /* Above the cap: never reached. */
        assert_u64_eq(hb_detector_crossing_ns(d, 1e6 * (1 + 1e-15)),
                      HB_NEVER);
        assert_u64_eq(hb_detector_crossing_ns(d, 1e300), HB_NEVER);

        /* Beyond double's largest finite phi (~308.25) every threshold up
         * to the cap is reached at the same instant, the jump to 1e6. */
        t = hb_detector_crossing_ns(d, 1e6);
        assert_true(t != HB_NEVER);
        assert_dbl_eq(hb_detector_suspicion(d, t), 1e6);
        assert_true(hb_detector_suspicion(d, t - US) < 1e6);
        assert_true(hb_detector_suspicion(d, t - US) > 300.0);
        assert_u64_eq(hb_detector_crossing_ns(d, 1000.0), t);
        assert_u64_eq(hb_detector_crossing_ns(d, 310.0), t);
        /* Just below that limit the analytic estimate holds. */
        check_crossing(d, last, 300.0, 400.0L * MS, 25.0L * MS);

        /* Tiny thresholds: the computed curve is quantized near 0; the
         * answer is still the first time it reaches the threshold. */
        for (size_t i = 0; i < sizeof(tiny) / sizeof(*tiny); i++) {
                t = hb_detector_crossing_ns(d, tiny[i]);
                assert_true(t != HB_NEVER);
                assert_true(hb_detector_suspicion(d, t) >= tiny[i]);
                assert_true(t == last ||
                            hb_detector_suspicion(d, t - US) < tiny[i]);
        }

        /* A last arrival near the end of the clock: no overflow. */
        hb_detector_reset(d);
        hb_detector_heartbeat(d, UINT64_MAX - 550 * MS);
        t = hb_detector_crossing_ns(d, 8.0);
        assert_in_range(t - (UINT64_MAX - 550 * MS), 530649666 - 1000,
                        530649666 + 1000);
        assert_u64_eq(hb_detector_crossing_ns(d, 16.0), HB_NEVER);
        hb_detector_free(d);
}

/* ---- reset, memory, out of order ----------------------------------- */

static void test_reset(void **state)
{
        hb_detector_config_t c = phi_cfg(100 * MS, 10, US, 50 * MS);
        hb_detector_t *d = new_det(&c), *fresh = new_det(&c);
        uint64_t t = T0;

        (void)state;
        for (int i = 0; i < 30; i++, t += (uint64_t)(20 + i * 13) * MS)
                hb_detector_heartbeat(d, t);
        assert_true(hb_detector_mean_ns(d) != 100.0 * MS);

        hb_detector_reset(d);
        assert_u64_eq(hb_detector_arrivals(d), 0);
        assert_u64_eq(hb_detector_last_arrival_ns(d), HB_NEVER);
        assert_dbl_eq(hb_detector_suspicion(d, t + HB_NS_PER_S), 0.0);
        assert_u64_eq(hb_detector_crossing_ns(d, 8.0), HB_NEVER);
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 25.0 * MS);

        /* Afterwards it behaves exactly as a new detector. */
        hb_detector_heartbeat(d, t);
        hb_detector_heartbeat(fresh, t);
        hb_detector_heartbeat(d, t + 80 * MS);
        hb_detector_heartbeat(fresh, t + 80 * MS);
        assert_dbl_eq(hb_detector_mean_ns(d), hb_detector_mean_ns(fresh));
        assert_dbl_eq(hb_detector_std_dev_ns(d),
                      hb_detector_std_dev_ns(fresh));
        for (uint64_t e = 0; e < 700 * MS; e += 11 * MS)
                assert_dbl_eq(hb_detector_suspicion(d, t + e),
                              hb_detector_suspicion(fresh, t + e));
        assert_u64_eq(hb_detector_crossing_ns(d, 8.0),
                      hb_detector_crossing_ns(fresh, 8.0));
        assert_u64_eq(hb_detector_arrivals(d), 2);
        hb_detector_free(d);
        hb_detector_free(fresh);

        /* Fixed too. */
        d = new_fixed(100 * MS);
        hb_detector_heartbeat(d, T0);
        hb_detector_reset(d);
        assert_u64_eq(hb_detector_arrivals(d), 0);
        assert_u64_eq(hb_detector_last_arrival_ns(d), HB_NEVER);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + HB_NS_PER_S), 0.0);
        hb_detector_free(d);
}

static void test_memory(void **state)
{
        /* Header bytes on LP64 (x86-64, aarch64): the 40-byte common base
         * plus each kind's own state; then 8 bytes per window slot. */
        static const struct {
                hb_detector_kind_t kind;
                size_t header;
        } lp64[] = {
                { HB_DETECTOR_FIXED, 40 },      /* base only, no history */
                { HB_DETECTOR_PHI, 128 },
                { HB_DETECTOR_CHEN, 128 },
                { HB_DETECTOR_BERTIER, 176 },
                { HB_DETECTOR_PHI_EXP, 88 },
                { HB_DETECTOR_ADAPTIVE, 144 },
        };
        hb_detector_config_t c = phi_cfg(100 * MS, 100, 25 * MS, 300 * MS);
        hb_detector_t *d100 = new_det(&c), *d4, *dmax, *f;
        size_t header;

        (void)state;
        c.window = 4;
        d4 = new_det(&c);
        c.window = HB_PHI_WINDOW_MAX;
        dmax = new_det(&c);
        f = new_fixed(100 * MS);

        /* 8 bytes per slot plus a fixed header. */
        header = hb_detector_memory(d100) - 800;
        assert_int_equal(hb_detector_memory(d4), header + 4 * 8);
        assert_int_equal(hb_detector_memory(dmax),
                         header + HB_PHI_WINDOW_MAX * 8);
        assert_true(hb_detector_memory(f) > 0);
        assert_true(hb_detector_memory(f) <= header);
        if (sizeof(void *) == 8) {
                /* A default phi detector (100 slots) takes 928 bytes per
                 * peer; the fixed detector 40. */
                assert_int_equal(header, 128);
                assert_int_equal(hb_detector_memory(d100), 928);
                assert_int_equal(hb_detector_memory(f), 40);
        }
        /* Memory does not change with use. */
        for (int i = 0; i < 1000; i++)
                hb_detector_heartbeat(d4, T0 + (uint64_t)i * 100 * MS);
        assert_int_equal(hb_detector_memory(d4), header + 32);
        hb_detector_free(d100);
        hb_detector_free(d4);
        hb_detector_free(dmax);
        hb_detector_free(f);

        /* Every kind: header + 8 x window (fixed: no history), well under
         * 2 KiB per peer at the default window. */
        for (size_t i = 0; i < sizeof(lp64) / sizeof(*lp64); i++) {
                size_t per_slot = lp64[i].kind == HB_DETECTOR_FIXED ? 0 : 8;
                size_t m100, m7;

                hb_detector_config_default(&c, lp64[i].kind, 100 * MS);
                d100 = new_det(&c);
                c.window = 7;
                d4 = new_det(&c);
                m100 = hb_detector_memory(d100);
                m7 = hb_detector_memory(d4);
                assert_int_equal(m100 - m7, 93 * per_slot);
                assert_true(m100 < 1024);
                if (sizeof(void *) == 8)
                        assert_int_equal(m100 - 100 * per_slot,
                                         lp64[i].header);
                for (int j = 0; j < 500; j++)
                        hb_detector_heartbeat(d100,
                                              T0 + (uint64_t)j * 100 * MS);
                assert_int_equal(hb_detector_memory(d100), m100);
                hb_detector_free(d100);
                hb_detector_free(d4);
        }
}

static void test_out_of_order(void **state)
{
        hb_detector_config_t c = phi_cfg(100 * MS, 100, US, 0);
        hb_detector_t *d = new_det(&c);
        const uint64_t samples[] = { 75 * MS, 125 * MS, 0 };

        (void)state;
        hb_detector_heartbeat(d, T0);
        hb_detector_heartbeat(d, T0 - 5 * MS);  /* earlier than last */
        assert_u64_eq(hb_detector_arrivals(d), 2);
        assert_u64_eq(hb_detector_last_arrival_ns(d), T0);
        /* Interval 0 recorded: samples {75, 125, 0} ms. Hand: mean
         * 66.667 ms, sigma = sqrt((8.333^2 + 58.333^2 + 66.667^2) / 3)
         * = 51.370 ms. */
        assert_rel(hb_detector_mean_ns(d), 200.0 / 3.0 * MS, 1e-15);
        assert_rel(hb_detector_std_dev_ns(d), (double)std_of(samples, 3),
                   1e-15);
        assert_rel(hb_detector_std_dev_ns(d), 51.370116691408 * MS, 1e-12);

        /* Equal time: also interval 0. */
        hb_detector_heartbeat(d, T0);
        assert_u64_eq(hb_detector_arrivals(d), 3);
        assert_rel(hb_detector_mean_ns(d), 50.0 * MS, 1e-15);
        hb_detector_free(d);

        /* Fixed: last arrival kept. */
        d = new_fixed(100 * MS);
        hb_detector_heartbeat(d, T0);
        hb_detector_heartbeat(d, T0 - 50 * MS);
        assert_u64_eq(hb_detector_last_arrival_ns(d), T0);
        assert_dbl_eq(hb_detector_suspicion(d, T0 + 300 * MS), 3.0);
        hb_detector_free(d);
}

/* ---- long run exactness ------------------------------------------------ */


static void test_long_run_exact(void **state)
{
        hb_detector_config_t c = phi_cfg(100 * MS, 100, US, 0);
        hb_detector_t *d = new_det(&c);
        uint64_t t = T0, seed = 0x9e3779b97f4a7c15u;

        (void)state;
        hb_detector_heartbeat(d, t);
        /* Noise first: any drift in running sums would persist. */
        for (int i = 0; i < 1000; i++) {
                t += MS + xorshift(&seed) % HB_NS_PER_S;
                hb_detector_heartbeat(d, t);
        }
        /* 10 million identical intervals: mean exact, raw sigma exactly 0
         * (so the 1 µs floor). */
        for (int i = 0; i < 10000000; i++) {
                t += 100 * MS;
                hb_detector_heartbeat(d, t);
        }
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 1.0 * US);
        /* Then alternating 90/110 ms: mean 100 ms, sigma 10 ms exactly
         * (hand: every deviation is +-10 ms). */
        for (int i = 0; i < 1000; i++) {
                t += (i % 2 ? 110 : 90) * MS;
                hb_detector_heartbeat(d, t);
        }
        assert_dbl_eq(hb_detector_mean_ns(d), 100.0 * MS);
        assert_dbl_eq(hb_detector_std_dev_ns(d), 10.0 * MS);
        assert_u64_eq(hb_detector_arrivals(d), 1 + 1000 + 10000000 + 1000);
        hb_detector_free(d);
}

/* Huge silences are clamped, not overflowed. */
static void test_huge_intervals(void **state)
{
        hb_detector_config_t c = phi_cfg(3600 * HB_NS_PER_S, 2, US, 0);
        hb_detector_t *d = new_det(&c);

        (void)state;
        hb_detector_heartbeat(d, 0);
        hb_detector_heartbeat(d, UINT64_MAX / 2);
        hb_detector_heartbeat(d, UINT64_MAX - 1);
        /* Both samples clamped to 2^49 ns: mean 2^49, sigma 0 -> floor. */
        assert_dbl_eq(hb_detector_mean_ns(d), ldexp(1.0, 49));
        assert_dbl_eq(hb_detector_std_dev_ns(d), 1.0 * US);
        assert_true(hb_detector_suspicion(d, UINT64_MAX) >= 0.0);
        hb_detector_free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kind_name_parse),
                cmocka_unit_test(test_default_thresholds),
                cmocka_unit_test(test_config_default),
                cmocka_unit_test(test_config_validate),
                cmocka_unit_test(test_new_errors),
                cmocka_unit_test(test_no_allocation_after_new),
                cmocka_unit_test(test_no_arrival),
                cmocka_unit_test(test_fixed_suspicion),
                cmocka_unit_test(test_fixed_crossing_available),
                cmocka_unit_test(test_phi_bootstrap),
                cmocka_unit_test(test_phi_mean_std_sequence),
                cmocka_unit_test(test_phi_window_eviction),
                cmocka_unit_test(test_phi_min_std_floor),
                cmocka_unit_test(test_phi_acceptable_pause),
                cmocka_unit_test(test_phi_branches),
                cmocka_unit_test(test_phi_monotonic),
                cmocka_unit_test(test_phi_crossing),
                cmocka_unit_test(test_phi_crossing_edges),
                cmocka_unit_test(test_reset),
                cmocka_unit_test(test_memory),
                cmocka_unit_test(test_out_of_order),
                cmocka_unit_test(test_long_run_exact),
                cmocka_unit_test(test_huge_intervals),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
