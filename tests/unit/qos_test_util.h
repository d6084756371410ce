/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the QoS evaluator's unit tests (test_qos.c: the
 * metrics, by hand and against an independent evaluator;
 * test_qos_levels.c: several thresholds in one replay against the slow
 * path). Header-only, static inline, so each test file uses what it
 * needs.
 */
#ifndef HB_QOS_TEST_UTIL_H
#define HB_QOS_TEST_UTIL_H

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "failalloc.h"
#include "float_asserts.h"
#include "hbeat/detector.h"
#include "tools/qos.h"

#define MS HB_NS_PER_MS
#define US UINT64_C(1000)
#define T0 (UINT64_C(5000) * HB_NS_PER_S)      /* arbitrary start time */

static inline hb_detector_config_t fixed_cfg(void)
{
        hb_detector_config_t c;

        hb_detector_config_default(&c, HB_DETECTOR_FIXED, 100 * MS);
        return c;
}

/* Arrivals at T0 + ms[i] milliseconds, seq 1, 2, ... */
static inline hbt_arrival_t *arrivals_ms(const uint64_t *ms, size_t n)
{
        hbt_arrival_t *a = calloc(n, sizeof(*a));

        assert_non_null(a);
        for (size_t i = 0; i < n; i++) {
                a[i].seq = i + 1;
                a[i].arrival_ns = T0 + ms[i] * MS;
        }
        return a;
}

/* hbt_qos_evaluate(), which must succeed. */
static inline hbt_qos_result_t eval_ok(const hb_detector_config_t *c,
                                       double thr, const hbt_arrival_t *a,
                                       size_t n, uint64_t crash_ns,
                                       uint64_t end_ns)
{
        hbt_qos_result_t r;

        memset(&r, 0xa5, sizeof(r));
        assert_int_equal(hbt_qos_evaluate(c, thr, a, n, crash_ns, end_ns, &r),
                         0);
        return r;
}

#endif /* HB_QOS_TEST_UTIL_H */
