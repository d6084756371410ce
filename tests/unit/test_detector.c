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
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "hbeat/detector.h"

#define MS HB_NS_PER_MS
#define US UINT64_C(1000)
#define T0 (UINT64_C(1000) * HB_NS_PER_S)      /* arbitrary start time */

/* ---- helpers ----------------------------------------------------------- */

#define assert_dbl_eq(a, b)                                                   \
        do {                                                                  \
                double a_ = (a), b_ = (b);                                    \
                if (!(a_ == b_)) {                                            \
                        print_error("%s = %.17g, expected exactly %.17g\n",   \
                                    #a, a_, b_);                              \
                        fail();                                               \
                }                                                             \
        } while (0)

#define assert_rel(a, b, rel)                                                 \
        do {                                                                  \
                double a_ = (a), b_ = (b);                                    \
                if (!(fabs(a_ - b_) <= (rel) * fabs(b_))) {                   \
                        print_error("%s = %.17g, expected %.17g (rel %g)\n",  \
                                    #a, a_, b_, (double)(rel));               \
                        fail();                                               \
                }                                                             \
        } while (0)

/* Relative tolerance plus an absolute one for values near 0, where the
 * documented formula itself loses digits in double (1 - 1/(1 + e) with e
 * large cancels: absolute error ~1e-16). */
#define assert_phi(a, b)                                                      \
        do {                                                                  \
                double a_ = (a), b_ = (b);                                    \
                if (!(fabs(a_ - b_) <= 1e-12 * fabs(b_) + 1e-15)) {           \
                        print_error("%s = %.17g, expected %.17g\n", #a, a_,   \
                                    b_);                                      \
                        fail();                                               \
                }                                                             \
        } while (0)

#define assert_u64_eq(a, b)                                                   \
        do {                                                                  \
                uint64_t a_ = (a), b_ = (b);                                  \
                if (a_ != b_) {                                               \
                        print_error("%s = %llu, expected %llu\n", #a,         \
                                    (unsigned long long)a_,                   \
                                    (unsigned long long)b_);                  \
                        fail();                                               \
                }                                                             \
        } while (0)

/* The documented formula (detector.h), literally, in long double. */
static long double phi_ld(long double t, long double mean, long double sd)
{
        long double y = (t - mean) / sd;
        long double e = expl(-y * (1.5976L + 0.070566L * y * y));

        if (t > mean)
                return -log10l(e / (1.0L + e));
        return -log10l(1.0L - 1.0L / (1.0L + e));
}

/* Smallest integer elapsed time with phi_ld >= thr (bisection). */
static uint64_t crossing_ld(long double mean, long double sd, double thr)
{
        uint64_t lo = 0, hi = UINT64_C(1) << 40;

        while (hi - lo > 1) {
                uint64_t mid = lo + (hi - lo) / 2;

                if (phi_ld((long double)mid, mean, sd) >= thr)
                        hi = mid;
                else
                        lo = mid;
        }
        return hi;
}

static long double mean_of(const uint64_t *x, size_t n)
{
        long double s = 0;

        for (size_t i = 0; i < n; i++)
                s += (long double)x[i];
        return s / n;
}

/* Population standard deviation, two-pass. */
static long double std_of(const uint64_t *x, size_t n)
{
        long double m = mean_of(x, n), s = 0;

        for (size_t i = 0; i < n; i++)
                s += ((long double)x[i] - m) * ((long double)x[i] - m);
        return sqrtl(s / n);
}

static hb_detector_config_t phi_cfg(uint64_t interval_ns, uint32_t window,
                                    uint64_t min_sd_ns, uint64_t pause_ns)
{
        hb_detector_config_t c;

        hb_detector_config_default(&c, HB_DETECTOR_PHI, interval_ns);
        c.window = window;
        c.min_std_dev_ns = min_sd_ns;
        c.acceptable_pause_ns = pause_ns;
        return c;
}

static hb_detector_t *new_det(const hb_detector_config_t *c)
{
        hb_detector_t *d = NULL;

        assert_int_equal(hb_detector_new(&d, c), 0);
        assert_non_null(d);
        return d;
}

static hb_detector_t *new_fixed(uint64_t interval_ns)
{
        hb_detector_config_t c;

        hb_detector_config_default(&c, HB_DETECTOR_FIXED, interval_ns);
        return new_det(&c);
}

/* Feed arrivals: first at `t`, then each interval in turn. Returns the
 * last arrival time. */
static uint64_t feed(hb_detector_t *d, uint64_t t, const uint64_t *iv,
                     size_t n)
{
        hb_detector_heartbeat(d, t);
        for (size_t i = 0; i < n; i++) {
                t += iv[i];
                hb_detector_heartbeat(d, t);
        }
        return t;
}

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
                      16.0);
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
        hb__alloc_fail_after(0);
        assert_int_equal(hb_detector_new(&d, &c), -ENOMEM);
        hb__alloc_fail_after(-1);
        assert_ptr_equal(d, sentinel);
        c.kind = HB_DETECTOR_FIXED;
        hb__alloc_fail_after(0);
        assert_int_equal(hb_detector_new(&d, &c), -ENOMEM);
        hb__alloc_fail_after(-1);
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
        hb__alloc_fail_after(0);
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
        hb__alloc_fail_after(-1);
        hb_detector_free(d);

        /* Every other kind too, with seqs, losses, rebases and adaptive
         * evaluations (every 100 arrivals at the defaults). */
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_config_default(&c, (hb_detector_kind_t)k,
                                           100 * MS);
                d = new_det(&c);
                t = T0;
                hb__alloc_fail_after(0);
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
                hb__alloc_fail_after(-1);
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

static uint64_t xorshift(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

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

        /* fixed ignores all of these. */
        memset(&c, 0xff, sizeof(c));
        c.kind = HB_DETECTOR_FIXED, c.interval_ns = 100 * MS;
        c.bertier_gamma = NAN, c.adaptive_lower = NAN;
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
                 * 500 + 7.1196809 x 25 ms (see test_phi_crossing) */
                { HB_DETECTOR_PHI, 630649666, 677992023 },
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
                cmocka_unit_test(test_kind_validate),
                cmocka_unit_test(test_heartbeat_seq),
                cmocka_unit_test(test_rebase),
                cmocka_unit_test(test_all_kinds_monotonic_crossing),
                cmocka_unit_test(test_default_timings),
                cmocka_unit_test(test_chen_expected_arrival),
                cmocka_unit_test(test_chen_long_run_exact),
                cmocka_unit_test(test_bertier_jacobson),
                cmocka_unit_test(test_phi_exp),
                cmocka_unit_test(test_adaptive_transitions),
                cmocka_unit_test(test_adaptive_percentile_rank),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
