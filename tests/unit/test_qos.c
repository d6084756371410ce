/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the QoS evaluator (src/tools/qos.h).
 *
 * The fixed-detector cases are small enough to work out by hand: each
 * expected value is derived in a comment next to it. The phi cases are
 * checked against an independent evaluator written here (reference_eval()):
 * its own window statistics, phi from the documented formula in long
 * double, crossings by bisection, and the metric definitions of Chen,
 * Toueg and Aguilera applied directly.
 */
#include "qos_test_util.h"

/* ---- fixed detector, by hand ------------------------------------------- */

/*
 * Interval 100 ms. Arrivals (ms after T0):
 *
 *     0, 100, 200, 550, 650, 700, 1100, [crash at 1250], 1300
 *
 * gaps: 100, 100, 350, 100, 50, 400. The arrival at 1300 comes after the
 * crash and must be ignored (7 arrivals replayed).
 */
static const uint64_t by_hand_ms[] = { 0, 100, 200, 550, 650, 700, 1100,
                                       1300 };
#define BY_HAND_N (sizeof(by_hand_ms) / sizeof(by_hand_ms[0]))
#define BY_HAND_CRASH (T0 + 1250 * MS)
#define BY_HAND_END (T0 + 2000 * MS)

static void test_fixed_by_hand_k3(void **state)
{
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(by_hand_ms, BY_HAND_N);
        hbt_qos_result_t r;

        (void)state;
        /* k = 3: suspect 300 ms after each arrival.
         * gap 200 -> 550 (350 ms): suspect from 500 to 550: mistake 1,
         *   start 500, duration 50 ms;
         * gap 700 -> 1100 (400 ms): suspect from 1000 to 1100: mistake 2,
         *   start 1000, duration 100 ms;
         * the other gaps are <= 100 ms.
         * After 1100: crossing at 1400; crash at 1250 < 1400, so
         *   T_D = 1400 - 1250 = 150 ms.
         * alive = 1250 - 0 = 1.25 s; lambda_M = 2 / 1.25 = 1.6 /s;
         * T_MR = 1 / lambda_M = 1.25 / 2 = 625 ms;
         * T_M = (50 + 100) / 2 = 75 ms;
         * P_A = 1 - 150 / 1250 = 0.88. */
        r = eval_ok(&c, 3.0, a, BY_HAND_N, BY_HAND_CRASH, BY_HAND_END);
        assert_int_equal(r.arrivals, 7);
        assert_dbl_eq(r.alive_s, 1.25);
        assert_int_equal(r.mistakes, 2);
        assert_dbl_eq(r.mistake_rate_per_s, 1.6);
        assert_dbl_eq(r.mean_recurrence_s, 0.625);
        assert_dbl_eq(r.mean_mistake_s, 0.075);
        assert_near(r.query_accuracy, 0.88, 1e-15);
        assert_dbl_eq(r.detection_s, 0.150);
        free(a);
}

static void test_fixed_by_hand_k35(void **state)
{
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(by_hand_ms, BY_HAND_N);
        hbt_qos_result_t r;

        (void)state;
        /* k = 3.5: suspect 350 ms after each arrival.
         * gap 200 -> 550 is exactly 350 ms: suspicion at 550 is 3.5 >=
         *   3.5, so the detector does suspect at 550: a mistake of zero
         *   length, starting at 550;
         * gap 700 -> 1100: suspect from 1050 to 1100: start 1050, 50 ms.
         * T_MR = 1.25 s / 2 = 625 ms; T_M = (0 + 50) / 2 = 25 ms;
         * P_A = 1 - 50 / 1250 = 0.96;
         * T_D = (1100 + 350) - 1250 = 200 ms. */
        r = eval_ok(&c, 3.5, a, BY_HAND_N, BY_HAND_CRASH, BY_HAND_END);
        assert_int_equal(r.mistakes, 2);
        assert_dbl_eq(r.mean_recurrence_s, 0.625);
        assert_dbl_eq(r.mean_mistake_s, 0.025);
        assert_near(r.query_accuracy, 0.96, 1e-15);
        assert_dbl_eq(r.detection_s, 0.200);
        free(a);
}

static void test_fixed_by_hand_dead_k5(void **state)
{
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(by_hand_ms, BY_HAND_N);
        hbt_qos_result_t r;

        (void)state;
        /* k = 5 (the dead threshold): 500 ms; the longest gap is 400 ms:
         * no mistake, so T_MR and T_M are undefined (NAN), lambda_M = 0,
         * P_A = 1. The crash comes before any crossing:
         * T_D = (1100 + 500) - 1250 = 350 ms. */
        r = eval_ok(&c, 5.0, a, BY_HAND_N, BY_HAND_CRASH, BY_HAND_END);
        assert_int_equal(r.arrivals, 7);
        assert_int_equal(r.mistakes, 0);
        assert_dbl_eq(r.mistake_rate_per_s, 0.0);
        assert_nan(r.mean_recurrence_s);
        assert_nan(r.mean_mistake_s);
        assert_dbl_eq(r.query_accuracy, 1.0);
        assert_dbl_eq(r.detection_s, 0.350);
        free(a);
}

static void test_fixed_one_mistake(void **state)
{
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(by_hand_ms, BY_HAND_N);
        hbt_qos_result_t r;

        (void)state;
        /* k = 3.8: 380 ms. Only the 400 ms gap: suspect from 1080 to 1100,
         * one mistake of 20 ms: T_M = 20 ms, T_MR = 1 / lambda_M = 1.25 s.
         * T_D = 1480 - 1250 = 230 ms. */
        r = eval_ok(&c, 3.8, a, BY_HAND_N, BY_HAND_CRASH, BY_HAND_END);
        assert_int_equal(r.mistakes, 1);
        assert_dbl_eq(r.mean_recurrence_s, 1.25);
        assert_dbl_eq(r.mean_mistake_s, 0.020);
        assert_dbl_eq(r.mistake_rate_per_s, 0.8);      /* 1 / 1.25 */
        assert_dbl_eq(r.detection_s, 0.230);
        free(a);
}

static void test_already_suspecting_at_crash(void **state)
{
        static const uint64_t ms[] = { 0, 100 };
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(ms, 2);
        hbt_qos_result_t r;

        (void)state;
        /* k = 3, last arrival 100: suspect from 400. Crash at 500: the
         * detector was already suspecting, so T_D = 0, and the suspicion
         * from 400 to 500 was a mistake (the peer was alive) truncated at
         * the crash: 1 mistake of 100 ms. alive = 0.5 s, lambda_M = 2 /s,
         * P_A = 1 - 100 / 500 = 0.8. */
        r = eval_ok(&c, 3.0, a, 2, T0 + 500 * MS, T0 + 500 * MS);
        assert_dbl_eq(r.detection_s, 0.0);
        assert_int_equal(r.mistakes, 1);
        assert_dbl_eq(r.mean_mistake_s, 0.1);
        assert_dbl_eq(r.alive_s, 0.5);
        assert_dbl_eq(r.mistake_rate_per_s, 2.0);
        assert_near(r.query_accuracy, 0.8, 1e-15);

        /* Crash exactly at the crossing (400): suspicion is 3 >= 3 at the
         * crash: T_D = 0, a mistake of zero length. */
        r = eval_ok(&c, 3.0, a, 2, T0 + 400 * MS, T0 + 400 * MS);
        assert_dbl_eq(r.detection_s, 0.0);
        assert_int_equal(r.mistakes, 1);
        assert_dbl_eq(r.mean_mistake_s, 0.0);
        assert_dbl_eq(r.query_accuracy, 1.0);

        /* 1 µs earlier the detector does not suspect yet: T_D = 1 µs. */
        r = eval_ok(&c, 3.0, a, 2, T0 + 400 * MS - US, T0 + 400 * MS);
        assert_int_equal(r.mistakes, 0);
        assert_dbl_eq(r.detection_s, 1e-6);
        free(a);
}

static void test_no_crash(void **state)
{
        static const uint64_t ms[] = { 0, 100, 200 };
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(ms, 3);
        hbt_qos_result_t r;

        (void)state;
        /* No crash: T_D undefined. The silence 200 -> end counts as alive
         * time. End at 450: crossing at 500 is after the end: no mistake,
         * alive 0.45 s, P_A 1. */
        r = eval_ok(&c, 3.0, a, 3, HB_NEVER, T0 + 450 * MS);
        assert_nan(r.detection_s);
        assert_int_equal(r.mistakes, 0);
        assert_dbl_eq(r.alive_s, 0.45);
        assert_dbl_eq(r.query_accuracy, 1.0);

        /* End at 600: suspect from 500 to the end, a mistake of 100 ms
         * truncated at the end of the observation. alive 0.6 s,
         * P_A = 1 - 100 / 600 = 5/6, lambda_M = 1 / 0.6. */
        r = eval_ok(&c, 3.0, a, 3, HB_NEVER, T0 + 600 * MS);
        assert_nan(r.detection_s);
        assert_int_equal(r.mistakes, 1);
        assert_dbl_eq(r.mean_mistake_s, 0.1);
        assert_dbl_eq(r.alive_s, 0.6);
        assert_near(r.query_accuracy, 5.0 / 6.0, 1e-15);
        assert_near(r.mistake_rate_per_s, 1.0 / 0.6, 1e-12);

        /* End at the last arrival: no silence to judge. */
        r = eval_ok(&c, 3.0, a, 3, HB_NEVER, T0 + 200 * MS);
        assert_int_equal(r.mistakes, 0);
        assert_dbl_eq(r.alive_s, 0.2);
        free(a);
}

static void test_single_arrival(void **state)
{
        static const uint64_t ms[] = { 0 };
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(ms, 1);
        hbt_qos_result_t r;

        (void)state;
        /* Nothing but one arrival: no alive time, no mistake; lambda_M 0
         * and P_A 1 by the documented convention. */
        r = eval_ok(&c, 3.0, a, 1, HB_NEVER, T0);
        assert_int_equal(r.arrivals, 1);
        assert_dbl_eq(r.alive_s, 0.0);
        assert_int_equal(r.mistakes, 0);
        assert_dbl_eq(r.mistake_rate_per_s, 0.0);
        assert_dbl_eq(r.query_accuracy, 1.0);
        assert_nan(r.detection_s);
        assert_nan(r.mean_mistake_s);

        /* Crash 100 ms after it: crossing at 300 ms: T_D = 200 ms. */
        r = eval_ok(&c, 3.0, a, 1, T0 + 100 * MS, T0 + 100 * MS);
        assert_dbl_eq(r.detection_s, 0.2);
        assert_dbl_eq(r.alive_s, 0.1);

        /* Crash at the arrival itself: T_D = 300 ms, alive time 0. */
        r = eval_ok(&c, 3.0, a, 1, T0, T0);
        assert_dbl_eq(r.detection_s, 0.3);
        assert_dbl_eq(r.alive_s, 0.0);
        assert_dbl_eq(r.query_accuracy, 1.0);
        free(a);
}

static void test_never_detected(void **state)
{
        static const uint64_t ms[] = { 0, 100, 200 };
        hb_detector_config_t c;
        hbt_arrival_t *a = arrivals_ms(ms, 3);
        hbt_qos_result_t r;

        (void)state;
        /* phi is capped at 1e6 (detector.h): a higher threshold is never
         * reached, T_D is infinite. */
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        r = eval_ok(&c, 2e6, a, 3, T0 + 300 * MS, T0 + 300 * MS);
        assert_true(isinf(r.detection_s) && r.detection_s > 0);
        assert_int_equal(r.mistakes, 0);
        free(a);
}

static void test_equal_times_and_late_arrivals(void **state)
{
        /* Duplicate arrival times are allowed (non-decreasing); arrivals
         * after the crash are ignored even if there are many. */
        static const uint64_t ms[] = { 0, 0, 100, 100, 500, 600, 700, 800 };
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(ms, 8);
        hbt_qos_result_t r;

        (void)state;
        /* Replayed: 0, 0, 100, 100, 500 (crash at 550). Gap 100 -> 500:
         * suspect from 400: mistake of 100 ms. T_D = 800 - 550 = 250 ms. */
        r = eval_ok(&c, 3.0, a, 8, T0 + 550 * MS, T0 + 900 * MS);
        assert_int_equal(r.arrivals, 5);
        assert_int_equal(r.mistakes, 1);
        assert_dbl_eq(r.mean_mistake_s, 0.1);
        assert_dbl_eq(r.detection_s, 0.25);
        assert_dbl_eq(r.alive_s, 0.55);
        /* Crash exactly at an arrival: that arrival is replayed. */
        r = eval_ok(&c, 3.0, a, 8, T0 + 600 * MS, T0 + 900 * MS);
        assert_int_equal(r.arrivals, 6);
        assert_dbl_eq(r.detection_s, 0.3);
        free(a);
}

/* ---- phi against an independent evaluator ------------------------------ */

/* The documented phi formula (detector.h), in long double. */
static long double ref_phi(long double t, long double mean, long double sd)
{
        long double y = (t - mean) / sd;
        long double e = expl(-y * (1.5976L + 0.070566L * y * y));

        if (t > mean)
                return -log10l(e / (1.0L + e));
        return -log10l(1.0L - 1.0L / (1.0L + e));
}

struct ref_det {
        const hb_detector_config_t *cfg;
        uint64_t ring[64];
        size_t count, head;
        long double mean, sd;           /* sd after the floor; mean + pause */
        uint64_t last;
};

static void ref_push(struct ref_det *r, uint64_t x)
{
        long double s = 0, v = 0;

        r->ring[r->head] = x;
        r->head = (r->head + 1) % r->cfg->window;
        if (r->count < r->cfg->window)
                r->count++;
        for (size_t i = 0; i < r->count; i++)
                s += r->ring[i];
        s /= r->count;
        for (size_t i = 0; i < r->count; i++)
                v += (r->ring[i] - s) * (r->ring[i] - s);
        v = sqrtl(v / r->count);
        if (v < r->cfg->min_std_dev_ns)
                v = r->cfg->min_std_dev_ns;
        r->mean = s + r->cfg->acceptable_pause_ns;
        r->sd = v;
}

static void ref_init(struct ref_det *r, const hb_detector_config_t *cfg,
                     uint64_t first)
{
        uint64_t fe = cfg->first_estimate_ns;

        memset(r, 0, sizeof(*r));
        r->cfg = cfg;
        assert_true(cfg->window <= 64);
        /* Akka's bootstrap: fe - fe/4 and fe + fe/4. */
        ref_push(r, fe - fe / 4);
        ref_push(r, fe + fe / 4);
        r->last = first;
}

static void ref_arrive(struct ref_det *r, uint64_t t)
{
        ref_push(r, t - r->last);
        r->last = t;
}

/* First time (ns, exact) at which phi >= thr after the last arrival. */
static uint64_t ref_crossing(const struct ref_det *r, double thr)
{
        uint64_t lo = 0, hi = UINT64_C(1) << 40;

        while (hi - lo > 1) {
                uint64_t mid = lo + (hi - lo) / 2;

                if (ref_phi(mid, r->mean, r->sd) >= thr)
                        hi = mid;
                else
                        lo = mid;
        }
        return r->last + hi;
}

struct ref_result {
        uint64_t mistakes, mistake_ns, first_start, last_start;
        long double detection_s;
};

/* Chen et al.'s definitions, applied literally to the reference output:
 * suspect on [crossing, next arrival) whenever the crossing comes before
 * the next arrival (or the crash). */
static struct ref_result reference_eval(const hb_detector_config_t *cfg,
                                        double thr, const hbt_arrival_t *a,
                                        size_t n, uint64_t crash)
{
        struct ref_det d;
        struct ref_result res = { 0 };

        ref_init(&d, cfg, a[0].arrival_ns);
        for (size_t i = 1; i <= n; i++) {
                uint64_t until = i < n ? a[i].arrival_ns : crash;
                uint64_t c = ref_crossing(&d, thr);

                if (c <= until) {
                        if (res.mistakes == 0)
                                res.first_start = c;
                        res.last_start = c;
                        res.mistakes++;
                        res.mistake_ns += until - c;
                }
                if (i == n)
                        res.detection_s =
                                c <= crash ? 0.0L : (c - crash) / 1e9L;
                else
                        ref_arrive(&d, a[i].arrival_ns);
        }
        return res;
}

static void check_phi_against_reference(const hb_detector_config_t *cfg,
                                        double thr, const hbt_arrival_t *a,
                                        size_t n, uint64_t crash,
                                        uint64_t min_mistakes)
{
        struct ref_result ref = reference_eval(cfg, thr, a, n, crash);
        hbt_qos_result_t r = eval_ok(cfg, thr, a, n, crash, crash);
        double alive = (crash - a[0].arrival_ns) / 1e9;
        /* Crossing times: the library's are at most 1 µs late, the
         * reference's exact to 1 ns; the formulas differ in rounding by
         * far less than that. Each mistake may be off by ~1 µs. */
        double tol_s = 2e-6;

        assert_true(ref.mistakes >= min_mistakes);     /* test is useful */
        assert_int_equal(r.mistakes, ref.mistakes);
        assert_int_equal(r.arrivals, n);
        assert_near(r.alive_s, alive, 1e-12);
        assert_near(r.detection_s, (double)ref.detection_s, tol_s);
        if (ref.mistakes > 0) {
                assert_near(r.mean_mistake_s,
                            ref.mistake_ns / 1e9 / ref.mistakes, tol_s);
                assert_near(r.query_accuracy,
                            1.0 - ref.mistake_ns / 1e9 / alive,
                            tol_s * ref.mistakes / alive);
                assert_near(r.mistake_rate_per_s, ref.mistakes / alive,
                            1e-9);
        }
        if (ref.mistakes > 0)
                assert_near(r.mean_recurrence_s, alive / ref.mistakes,
                            1e-9 * alive);
        else
                assert_nan(r.mean_recurrence_s);
}

static void test_phi_small_by_reference(void **state)
{
        /* Window 4, floor 5 ms, no pause: after four 100 ms intervals the
         * window is [100 x4] (mean 100 ms, sigma 0 -> 5 ms), so phi 1 is
         * reached at 100 + 1.2822 x 5 = 106.4 ms: the 200 ms gap after
         * 400 is a mistake from ~506.4 to 600 (~93.6 ms). Then the window
         * holds one 200: mean 125, sigma sqrt(17500 - 15625) = 43.3 ms,
         * crossing at 125 + 1.2822 x 43.3 = 180.5 ms, so the 100 ms gaps
         * are fine, and after 900 the crash at 950 is detected at ~1080.5:
         * T_D ~ 130.5 ms. */
        static const uint64_t ms[] = { 0, 100, 200, 300, 400, 600, 700,
                                       800, 900 };
        hb_detector_config_t c;
        hbt_arrival_t *a = arrivals_ms(ms, 9);
        hbt_qos_result_t r;

        (void)state;
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        c.window = 4;
        c.min_std_dev_ns = 5 * MS;
        c.acceptable_pause_ns = 0;
        r = eval_ok(&c, 1.0, a, 9, T0 + 950 * MS, T0 + 950 * MS);
        assert_int_equal(r.mistakes, 1);
        assert_near(r.mean_mistake_s, 0.0936, 0.0002);
        assert_near(r.detection_s, 0.1305, 0.0002);
        check_phi_against_reference(&c, 1.0, a, 9, T0 + 950 * MS, 1);
        check_phi_against_reference(&c, 0.5, a, 9, T0 + 950 * MS, 1);
        free(a);
}

static void test_phi_random_by_reference(void **state)
{
        enum { N = 3000 };
        static const double thresholds[] = { 0.3, 1.0, 2.0, 3.0, 5.0 };
        hbt_arrival_t *a = calloc(N, sizeof(*a));
        hb_detector_config_t c;
        uint64_t x = 0x9e3779b97f4a7c15u, t = T0, seq = 0;

        (void)state;
        assert_non_null(a);
        /* 100 ms heartbeats, 5 % loss, 0..20 ms of arrival jitter, from a
         * fixed xorshift stream. */
        for (size_t i = 0; i < N;) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                seq++;
                t += 100 * MS;
                if (x % 100 < 5)
                        continue;
                a[i].seq = seq;
                a[i].arrival_ns = t + (x >> 20) % (20 * MS);
                if (i > 0 && a[i].arrival_ns < a[i - 1].arrival_ns)
                        a[i].arrival_ns = a[i - 1].arrival_ns;
                i++;
        }
        hb_detector_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        c.window = 16;
        c.min_std_dev_ns = 2 * MS;
        c.acceptable_pause_ns = 0;
        for (size_t k = 0; k < sizeof(thresholds) / sizeof(*thresholds); k++)
                check_phi_against_reference(&c, thresholds[k], a, N,
                                            a[N - 1].arrival_ns + 50 * MS,
                                            thresholds[k] < 4 ? 10 : 1);
        free(a);
}

/*
 * crossing_ns() may be up to 1 µs late. An arrival that lands after the
 * true crossing but before the reported one is a mistake (the detector
 * does suspect then) of zero length, never a negative one. Search
 * thresholds until the reported crossing is late: for the fixed detector
 * that happens when threshold x interval rounds to an integer just above
 * the first time whose rounded quotient reaches the threshold (1 ns late;
 * about one threshold in four of the form below).
 */
static void test_arrival_inside_crossing_slack(void **state)
{
        hb_detector_config_t c;
        hb_detector_t *d;
        int found = 0;

        (void)state;
        c = fixed_cfg();
        for (int k = 0; k < 1000 && !found; k++) {
                double thr = 1.0 + k * 0.0000731;
                uint64_t cr, lo, hi;
                hbt_arrival_t a[2];
                hbt_qos_result_t r;

                assert_int_equal(hb_detector_new(&d, &c), 0);
                hb_detector_heartbeat(d, T0);
                cr = hb_detector_crossing_ns(d, thr);
                /* True crossing to 1 ns by bisection on suspicion(). */
                lo = T0;
                hi = cr;
                while (hi - lo > 1) {
                        uint64_t mid = lo + (hi - lo) / 2;

                        if (hb_detector_suspicion(d, mid) >= thr)
                                hi = mid;
                        else
                                lo = mid;
                }
                hb_detector_free(d);
                if (hi == cr)
                        continue;
                found = 1;
                a[0] = (hbt_arrival_t){ .seq = 1, .arrival_ns = T0 };
                a[1] = (hbt_arrival_t){ .seq = 2, .arrival_ns = hi };
                r = eval_ok(&c, thr, a, 2, HB_NEVER, hi);
                assert_int_equal(r.mistakes, 1);
                assert_dbl_eq(r.mean_mistake_s, 0.0);
                assert_dbl_eq(r.query_accuracy, 1.0);
        }
        assert_true(found);
}

/* ---- errors ------------------------------------------------------------ */

static void test_errors(void **state)
{
        static const uint64_t ms[] = { 0, 100, 200 };
        hb_detector_config_t c = fixed_cfg(), bad = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(ms, 3);
        hbt_arrival_t unordered[3];
        hbt_qos_result_t r, pattern;
        uint64_t end = T0 + 300 * MS;

        (void)state;
        memset(&pattern, 0x5a, sizeof(pattern));
        r = pattern;
        bad.interval_ns = 0;
        assert_int_equal(hbt_qos_evaluate(NULL, 3, a, 3, HB_NEVER, end, &r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate(&bad, 3, a, 3, HB_NEVER, end, &r),
                         -EINVAL);
        bad = fixed_cfg();
        bad.kind = (hb_detector_kind_t)99;
        assert_int_equal(hbt_qos_evaluate(&bad, 3, a, 3, HB_NEVER, end, &r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate(&c, 3, NULL, 3, HB_NEVER, end, &r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate(&c, 3, a, 0, HB_NEVER, end, &r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate(&c, 3, a, 3, HB_NEVER, end, NULL),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate(&c, 0, a, 3, HB_NEVER, end, &r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate(&c, -1, a, 3, HB_NEVER, end, &r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate(&c, NAN, a, 3, HB_NEVER, end, &r),
                         -EINVAL);
        assert_int_equal(
                hbt_qos_evaluate(&c, INFINITY, a, 3, HB_NEVER, end, &r),
                -EINVAL);
        /* End before the last arrival. */
        assert_int_equal(hbt_qos_evaluate(&c, 3, a, 3, HB_NEVER,
                                         T0 + 150 * MS, &r),
                         -EINVAL);
        /* Crash before the first arrival: nothing to replay. */
        assert_int_equal(hbt_qos_evaluate(&c, 3, a, 3, T0 - 1, end, &r),
                         -EINVAL);
        /* Unordered arrivals, also when the disorder is after the crash. */
        memcpy(unordered, a, sizeof(unordered));
        unordered[2].arrival_ns = unordered[1].arrival_ns - 1;
        assert_int_equal(hbt_qos_evaluate(&c, 3, unordered, 3, HB_NEVER, end,
                                         &r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate(&c, 3, unordered, 3,
                                         T0 + 120 * MS, end, &r),
                         -EINVAL);
        /* Out of memory for the detector. */
        failalloc_after(0);
        assert_int_equal(hbt_qos_evaluate(&c, 3, a, 3, HB_NEVER, end, &r),
                         -ENOMEM);
        failalloc_after(-1);
        /* Failures left the result untouched. */
        assert_memory_equal(&r, &pattern, sizeof(r));
        /* And it still works. */
        assert_int_equal(hbt_qos_evaluate(&c, 3, a, 3, HB_NEVER, end, &r), 0);
        free(a);
}

/* ---- mistakes are transitions; T_MR agrees with lambda_M ---------------- */

/* Independent count of the detector's trust -> suspect transitions over a
 * trace without crash, ending at the last arrival, from suspicion() alone
 * (monotone between arrivals: the output of a gap is trust, then maybe
 * suspect): a transition at an arrival that leaves it suspecting after a
 * trusted gap end, or inside a gap that starts trusting and ends
 * suspecting. *gaps: gaps that end suspecting (the old per-gap count). */
static uint64_t count_transitions(const hb_detector_config_t *cfg,
                                  double thr, const hbt_arrival_t *a,
                                  size_t n, uint64_t *gaps)
{
        hb_detector_t *d;
        uint64_t count = 0;
        bool out = false;

        *gaps = 0;
        assert_int_equal(hb_detector_new(&d, cfg), 0);
        hb_detector_heartbeat_seq(d, a[0].arrival_ns, a[0].seq);
        for (size_t i = 1; i < n; i++) {
                bool at_start =
                        hb_detector_suspicion(d, a[i - 1].arrival_ns) >= thr;
                bool at_end = hb_detector_suspicion(d, a[i].arrival_ns) >= thr;

                if ((!out && at_start) || (!at_start && at_end))
                        count++;
                *gaps += at_end;
                out = at_end;
                hb_detector_heartbeat_seq(d, a[i].arrival_ns, a[i].seq);
        }
        hb_detector_free(d);
        return count;
}

/*
 * Issue 10, defect 3: Chen's estimate takes the sender's schedule as seq x
 * interval, so after a sender stall (seq + 1, arrival + 1 s) the expected
 * arrival runs early for a window's worth of heartbeats and arrivals leave
 * the detector suspecting: one long suspicion, which a per-gap count took
 * for one mistake per heartbeat. Three stalls in 60 s at 100 ms.
 */
static void test_mistakes_are_transitions(void **state)
{
        hb_detector_config_t c;
        hbt_arrival_t *a;
        hbt_qos_result_t r;
        uint64_t t = T0, gaps, want;
        size_t n = 600;

        (void)state;
        hb_detector_config_default(&c, HB_DETECTOR_CHEN, 100 * MS);
        c.window = 20;
        a = calloc(n, sizeof(*a));
        assert_non_null(a);
        for (size_t i = 0; i < n; i++) {
                t += (i % 200 == 150) ? 1000 * MS : 100 * MS;
                a[i].seq = i + 1;
                a[i].arrival_ns = t;
        }
        want = count_transitions(&c, 1.0, a, n, &gaps);
        r = eval_ok(&c, 1.0, a, n, HB_NEVER, a[n - 1].arrival_ns);
        assert_true(want >= 3);         /* the stalls are suspected */
        assert_true(gaps > want);       /* and the old count was wrong */
        assert_int_equal(r.mistakes, want);
        free(a);
}

/* Issue 10, defect 2: T_MR is 1 / lambda_M, even when the mistakes come
 * in a burst (four mistakes within 1.5 s of a 60 s trace: the mean of the
 * intervals between them would say ~0.5 s beside 240 per hour). */
static void test_recurrence_agrees_with_rate(void **state)
{
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a;
        hbt_qos_result_t r;
        uint64_t t = T0;
        size_t n = 600;

        (void)state;
        a = calloc(n, sizeof(*a));
        assert_non_null(a);
        for (size_t i = 0; i < n; i++) {
                t += (i >= 300 && i < 304) ? 450 * MS : 100 * MS;
                a[i].seq = i + 1;
                a[i].arrival_ns = t;
        }
        r = eval_ok(&c, 3.0, a, n, HB_NEVER, a[n - 1].arrival_ns);
        assert_int_equal(r.mistakes, 4);
        assert_near(r.mean_recurrence_s * r.mistake_rate_per_s, 1.0, 1e-12);
        assert_near(r.mean_recurrence_s, r.alive_s / 4, 1e-12);
        free(a);
}

/*
 * Issue 10, defect 1: a sender that stalls skips its missed slots but not
 * seq numbers (hbeatd's timer does this), so seq x interval falls behind
 * the real schedule by each stall. With the send times the heartbeats
 * carry, chen and bertier suspect each 1 s stall once and nothing else;
 * from seqs alone, they go on suspecting a healthy peer after every stall.
 * Also when the first arrival has no send time (a sender clock at 0): the
 * send times take over from the second.
 */
static void test_stalls_by_send_time(void **state)
{
        static const hb_detector_kind_t kinds[] = { HB_DETECTOR_CHEN,
                                                    HB_DETECTOR_BERTIER };
        hbt_arrival_t *a;
        size_t n = 3000;

        (void)state;
        a = calloc(n, sizeof(*a));
        assert_non_null(a);
        for (size_t k = 0; k < 2; k++) {
                hb_detector_config_t c;
                hbt_qos_result_t by_send, by_seq, from_zero;
                uint64_t send = UINT64_C(777) * HB_NS_PER_S;

                hb_detector_config_default(&c, kinds[k], 100 * MS);
                for (size_t i = 0; i < n; i++) {
                        /* Stalls of 1 s at i = 700, 1700, 2700. */
                        send += (i % 1000 == 700) ? 1000 * MS : 100 * MS;
                        a[i].seq = i + 1;
                        a[i].send_ns = send;
                        /* 5 ms delay, +-1 ms of jitter */
                        a[i].arrival_ns = send - UINT64_C(700) * HB_NS_PER_S +
                                          5 * MS + (i * 7919 % 2001) * US -
                                          1 * MS;
                }
                by_send = eval_ok(&c, 1.0, a, n, HB_NEVER,
                                  a[n - 1].arrival_ns);
                a[0].send_ns = 0;
                from_zero = eval_ok(&c, 1.0, a, n, HB_NEVER,
                                    a[n - 1].arrival_ns);
                for (size_t i = 0; i < n; i++)
                        a[i].send_ns = 0;
                by_seq = eval_ok(&c, 1.0, a, n, HB_NEVER,
                                 a[n - 1].arrival_ns);
                print_message("%s: %" PRIu64 " mistakes by send times, %"
                              PRIu64 " by seqs\n",
                              hb_detector_kind_name(kinds[k]),
                              by_send.mistakes, by_seq.mistakes);
                assert_int_equal(by_send.mistakes, 3);
                assert_int_equal(from_zero.mistakes, 3);
                assert_true(by_seq.mistakes >= 2 * by_send.mistakes);
        }
        free(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixed_by_hand_k3),
                cmocka_unit_test(test_fixed_by_hand_k35),
                cmocka_unit_test(test_fixed_by_hand_dead_k5),
                cmocka_unit_test(test_fixed_one_mistake),
                cmocka_unit_test(test_already_suspecting_at_crash),
                cmocka_unit_test(test_no_crash),
                cmocka_unit_test(test_single_arrival),
                cmocka_unit_test(test_never_detected),
                cmocka_unit_test(test_equal_times_and_late_arrivals),
                cmocka_unit_test(test_phi_small_by_reference),
                cmocka_unit_test(test_phi_random_by_reference),
                cmocka_unit_test(test_arrival_inside_crossing_slack),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_mistakes_are_transitions),
                cmocka_unit_test(test_recurrence_agrees_with_rate),
                cmocka_unit_test(test_stalls_by_send_time),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
