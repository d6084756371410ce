/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the detector unit tests (test_detector.c: common
 * behaviour, fixed and phi; test_detector_kinds.c: chen, bertier, phi_exp,
 * adaptive and properties every kind must have). Header-only, static
 * inline, so each test file uses what it needs.
 */
#ifndef HB_TEST_DETECTOR_UTIL_H
#define HB_TEST_DETECTOR_UTIL_H

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "failalloc.h"
#include "float_asserts.h"
#include "hbeat/detector.h"
#define MS HB_NS_PER_MS
#define US UINT64_C(1000)
#define T0 (UINT64_C(1000) * HB_NS_PER_S)      /* arbitrary start time */

/* ---- helpers ----------------------------------------------------------- */

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
static inline long double phi_ld(long double t, long double mean, long double sd)
{
        long double y = (t - mean) / sd;
        long double e = expl(-y * (1.5976L + 0.070566L * y * y));

        if (t > mean)
                return -log10l(e / (1.0L + e));
        return -log10l(1.0L - 1.0L / (1.0L + e));
}

/* Smallest integer elapsed time with phi_ld >= thr (bisection). */
static inline uint64_t crossing_ld(long double mean, long double sd, double thr)
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

static inline long double mean_of(const uint64_t *x, size_t n)
{
        long double s = 0;

        for (size_t i = 0; i < n; i++)
                s += (long double)x[i];
        return s / n;
}

/* Population standard deviation, two-pass. */
static inline long double std_of(const uint64_t *x, size_t n)
{
        long double m = mean_of(x, n), s = 0;

        for (size_t i = 0; i < n; i++)
                s += ((long double)x[i] - m) * ((long double)x[i] - m);
        return sqrtl(s / n);
}

static inline hb_detector_config_t phi_cfg(uint64_t interval_ns, uint32_t window,
                                    uint64_t min_sd_ns, uint64_t pause_ns)
{
        hb_detector_config_t c;

        hb_detector_config_default(&c, HB_DETECTOR_PHI, interval_ns);
        c.window = window;
        c.min_std_dev_ns = min_sd_ns;
        c.acceptable_pause_ns = pause_ns;
        return c;
}

static inline hb_detector_t *new_det(const hb_detector_config_t *c)
{
        hb_detector_t *d = NULL;

        assert_int_equal(hb_detector_new(&d, c), 0);
        assert_non_null(d);
        return d;
}

static inline hb_detector_t *new_fixed(uint64_t interval_ns)
{
        hb_detector_config_t c;

        hb_detector_config_default(&c, HB_DETECTOR_FIXED, interval_ns);
        return new_det(&c);
}

/* Feed arrivals: first at `t`, then each interval in turn. Returns the
 * last arrival time. */
static inline uint64_t feed(hb_detector_t *d, uint64_t t, const uint64_t *iv,
                     size_t n)
{
        hb_detector_heartbeat(d, t);
        for (size_t i = 0; i < n; i++) {
                t += iv[i];
                hb_detector_heartbeat(d, t);
        }
        return t;
}


/* Small deterministic PRNG for long runs. */
static inline uint64_t xorshift(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

#endif /* HB_TEST_DETECTOR_UTIL_H */
