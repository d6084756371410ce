/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of hbt_qos_evaluate_levels() (src/tools/qos.h): several
 * thresholds and every T_D mode in one replay must give, bit for bit,
 * what one replay per threshold gives. Its fast path decides most gaps
 * from the crossing after every arrival and asks prepared levels
 * (hb_detector_level_prepare()) for the rest; the slow path here is the
 * evaluator as it was written before, kept as the reference.
 */
#include "qos_test_util.h"

/*
 * The evaluator as written before hbt_qos_evaluate_levels(), kept here as
 * the slow path the fast one must equal bit for bit: one replay per
 * threshold, a suspicion evaluation per gap, hb_detector_crossing_ns()
 * per mistake (qos.c's output model), and for T_D over virtual crashes
 * after each arrival a second replay with a crossing after every arrival
 * (hbeat-sim eval's mean_detection(), as it was).
 */
struct slow_tally {
        uint64_t mistakes, mistake_ns;
        bool suspecting;
};

static void slow_mistake(struct slow_tally *t, const hb_detector_t *d,
                         double thr, uint64_t from, uint64_t until)
{
        uint64_t start;

        if (t->suspecting && hb_detector_suspicion(d, from) >= thr) {
                t->mistake_ns += until - from;
                return;
        }
        start = hb_detector_crossing_ns(d, thr);
        if (start > until)
                start = until;
        t->mistakes++;
        t->mistake_ns += until - start;
        t->suspecting = true;
}

static hbt_qos_result_t slow_eval(const hb_detector_config_t *cfg,
                                  double thr, const hbt_arrival_t *a,
                                  size_t n, uint64_t crash, uint64_t end)
{
        struct slow_tally t = { 0 };
        hbt_qos_result_t r;
        hb_detector_t *d;
        uint64_t stop, last;
        size_t m = n;

        if (crash != HB_NEVER)
                while (m > 0 && a[m - 1].arrival_ns > crash)
                        m--;
        assert_true(m > 0);
        assert_int_equal(hb_detector_new(&d, cfg), 0);
        hb_detector_heartbeat_sent(d, a[0].arrival_ns, a[0].seq,
                                   a[0].send_ns);
        for (size_t i = 1; i < m; i++) {
                if (hb_detector_suspicion(d, a[i].arrival_ns) >= thr)
                        slow_mistake(&t, d, thr, a[i - 1].arrival_ns,
                                     a[i].arrival_ns);
                else
                        t.suspecting = false;
                hb_detector_heartbeat_sent(d, a[i].arrival_ns, a[i].seq,
                                           a[i].send_ns);
        }
        last = a[m - 1].arrival_ns;
        r.detection_s = NAN;
        if (crash != HB_NEVER) {
                stop = crash;
                if (hb_detector_suspicion(d, crash) >= thr) {
                        slow_mistake(&t, d, thr, last, crash);
                        r.detection_s = 0.0;
                } else {
                        uint64_t c = hb_detector_crossing_ns(d, thr);

                        r.detection_s = c == HB_NEVER
                                                ? INFINITY
                                                : (double)(c - crash) / 1e9;
                }
        } else {
                stop = end;
                if (end > last && hb_detector_suspicion(d, end) >= thr)
                        slow_mistake(&t, d, thr, last, end);
        }
        hb_detector_free(d);
        r.arrivals = m;
        r.alive_s = (double)(stop - a[0].arrival_ns) / 1e9;
        r.mistakes = t.mistakes;
        if (stop > a[0].arrival_ns) {
                r.mistake_rate_per_s = (double)t.mistakes / r.alive_s;
                r.query_accuracy = 1.0 - (double)t.mistake_ns /
                                                 (double)(stop -
                                                          a[0].arrival_ns);
        } else {
                r.mistake_rate_per_s = t.mistakes ? INFINITY : 0.0;
                r.query_accuracy = 1.0;
        }
        r.mean_recurrence_s = t.mistakes > 0 && stop > a[0].arrival_ns
                                      ? r.alive_s / (double)t.mistakes
                                      : NAN;
        r.mean_mistake_s = t.mistakes ? (double)t.mistake_ns / 1e9 /
                                                (double)t.mistakes
                                      : NAN;
        return r;
}

static double slow_mean_td(const hb_detector_config_t *cfg, double thr,
                           const hbt_arrival_t *a, size_t n)
{
        long double sum = 0;
        hb_detector_t *d;
        double out = 0;

        assert_int_equal(hb_detector_new(&d, cfg), 0);
        for (size_t i = 0; i < n; i++) {
                uint64_t c;

                hb_detector_heartbeat_sent(d, a[i].arrival_ns, a[i].seq,
                                           a[i].send_ns);
                c = hb_detector_crossing_ns(d, thr);
                if (c == HB_NEVER) {
                        out = INFINITY;
                        break;
                }
                sum += (long double)(c - hb_detector_last_arrival_ns(d));
        }
        if (out == 0)
                out = (double)(sum / (long double)n / 1e9L);
        hb_detector_free(d);
        return out;
}

/* The result of each T_D mode, composed from slow replays. */
static hbt_qos_result_t slow_td(const hb_detector_config_t *cfg, double thr,
                                const hbt_arrival_t *a, size_t n,
                                uint64_t crash, uint64_t end, hbt_qos_td_t td)
{
        uint64_t last = a[n - 1].arrival_ns;
        hbt_qos_result_t r, at_last;

        switch (td) {
        case HBT_QOS_TD_LAST:
                at_last = slow_eval(cfg, thr, a, n, last, end);
                if (end == last)
                        return at_last;
                r = slow_eval(cfg, thr, a, n, HB_NEVER, end);
                r.detection_s = at_last.detection_s;
                return r;
        case HBT_QOS_TD_EACH:
                r = slow_eval(cfg, thr, a, n, HB_NEVER, end);
                r.detection_s = slow_mean_td(cfg, thr, a, n);
                return r;
        case HBT_QOS_TD_CRASH:
                break;
        }
        return slow_eval(cfg, thr, a, n, crash, end);
}

static uint64_t xorshift(uint64_t *x)
{
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        return *x;
}

/*
 * A time near the crossing c of `thr` (c late by up to 1 µs): by `r`, the
 * first time at which the threshold is reached (found by bisection), the
 * last before it, c itself, 1 µs before c, or anywhere in c +- 1.5 µs.
 */
static uint64_t near_crossing(const hb_detector_t *d, double thr, uint64_t c,
                              uint64_t r)
{
        uint64_t lo = c - 1001, hi = c;

        while (hi - lo > 1) {
                uint64_t mid = lo + (hi - lo) / 2;

                if (hb_detector_suspicion(d, mid) >= thr)
                        hi = mid;
                else
                        lo = mid;
        }
        switch (r % 6) {
        case 0:
        case 1:
                return hi;
        case 2:
                return lo;
        case 3:
                return c;
        case 4:
                return c - 1000;
        }
        return c - 1500 + (r >> 8) % 3001;
}

/*
 * n arrivals of 100 ms heartbeats: 1..40 ms of delay, 3 % loss, a sender
 * stall of 0.3..1.5 s in 200 heartbeats (its send times say so), bursts
 * of arrivals at one instant, and with `near` (a detector of that
 * configuration) every third arrival placed at the crossing of `thr`
 * after the one before, or within 1.5 µs of it (near_crossing()): the
 * slack in which the fast path must ask the suspicion.
 * Send times 0 (unknown) when !with_send.
 */
static hbt_arrival_t *random_trace(size_t n, uint64_t seed, bool with_send,
                                   const hb_detector_config_t *near,
                                   double thr)
{
        hbt_arrival_t *a = calloc(n, sizeof(*a));
        hb_detector_t *d = NULL;
        uint64_t x = seed, send = UINT64_C(42) * HB_NS_PER_S, seq = 0;

        assert_non_null(a);
        if (near != NULL)
                assert_int_equal(hb_detector_new(&d, near), 0);
        for (size_t i = 0; i < n;) {
                uint64_t r = xorshift(&x), t;

                seq++;
                send += 100 * MS;
                if (r % 200 == 7)
                        send += 300 * MS + (r >> 16) % (1200 * MS);
                if ((r >> 8) % 100 < 3)
                        continue;               /* lost */
                t = send + T0 - UINT64_C(42) * HB_NS_PER_S + MS +
                    (r >> 24) % (40 * MS);
                if (d != NULL && i > 0 && i % 3 == 0) {
                        uint64_t c = hb_detector_crossing_ns(d, thr);

                        if (c != HB_NEVER && c < t + 2 * HB_NS_PER_S)
                                t = near_crossing(d, thr, c, r >> 32);
                }
                if (i > 0 && ((r >> 40) % 50 == 0 ||
                              t < a[i - 1].arrival_ns))
                        t = a[i - 1].arrival_ns;
                a[i] = (hbt_arrival_t){
                        .seq = seq,
                        .send_ns = with_send ? send : 0,
                        .arrival_ns = t,
                };
                if (d != NULL)
                        hb_detector_heartbeat_sent(d, t, seq, a[i].send_ns);
                i++;
        }
        hb_detector_free(d);
        return a;
}

static void assert_same_result(const hbt_qos_result_t *fast,
                               const hbt_qos_result_t *slow,
                               hb_detector_kind_t kind, double thr,
                               hbt_qos_td_t td)
{
        if (memcmp(fast, slow, sizeof(*fast)) == 0)
                return;
        print_error("%s thr %g td %d: fast / slow\n"
                    "  arrivals %" PRIu64 " / %" PRIu64 "\n"
                    "  mistakes %" PRIu64 " / %" PRIu64 "\n"
                    "  alive %.17g / %.17g\n  T_M %.17g / %.17g\n"
                    "  P_A %.17g / %.17g\n  T_D %.17g / %.17g\n",
                    hb_detector_kind_name(kind), thr, (int)td,
                    fast->arrivals, slow->arrivals, fast->mistakes,
                    slow->mistakes, fast->alive_s, slow->alive_s,
                    fast->mean_mistake_s, slow->mean_mistake_s,
                    fast->query_accuracy, slow->query_accuracy,
                    fast->detection_s, slow->detection_s);
        fail();
}

/* Every threshold at once, and each alone, against the slow path. */
static void check_levels(const hb_detector_config_t *cfg,
                         const double *thr, size_t n_thr,
                         const hbt_arrival_t *a, size_t n, uint64_t crash,
                         uint64_t end, hbt_qos_td_t td)
{
        hbt_qos_result_t *fast = calloc(n_thr, sizeof(*fast)), one;

        assert_non_null(fast);
        assert_int_equal(hbt_qos_evaluate_levels(cfg, thr, n_thr, a, n,
                                                 crash, end, td, fast),
                         0);
        for (size_t j = 0; j < n_thr; j++) {
                hbt_qos_result_t slow = slow_td(cfg, thr[j], a, n, crash,
                                                end, td);

                assert_same_result(&fast[j], &slow, cfg->kind, thr[j], td);
                assert_int_equal(hbt_qos_evaluate_levels(cfg, &thr[j], 1, a,
                                                         n, crash, end, td,
                                                         &one),
                                 0);
                assert_same_result(&one, &slow, cfg->kind, thr[j], td);
        }
        free(fast);
}

/*
 * A threshold whose crossing, after one arrival, comes late (above the
 * first time that reaches it; test_arrival_inside_crossing_slack() has
 * the search), so that arrivals placed there test the slack; 1 if none
 * of the candidates is (phi, phi_exp: their estimate is exact).
 */
static double late_threshold(const hb_detector_config_t *cfg)
{
        for (int k = 0; k < 1000; k++) {
                double thr = 1.0 + k * 0.0000731;
                hb_detector_t *d;
                uint64_t c;
                bool late;

                assert_int_equal(hb_detector_new(&d, cfg), 0);
                hb_detector_heartbeat(d, T0);
                c = hb_detector_crossing_ns(d, thr);
                late = c != HB_NEVER && c > T0 &&
                       hb_detector_suspicion(d, c - 1) >= thr;
                hb_detector_free(d);
                if (late)
                        return thr;
        }
        return 1.0;
}

/*
 * hbt_qos_evaluate_levels() against the slow path, for every kind, every
 * T_D mode, crash or not, end at or after the last arrival, on random
 * traces with and without send times and on traces whose arrivals land
 * in the crossings' 1 µs slack. 19 thresholds (past the 16 kept on the
 * stack), tiny to beyond phi's cap.
 */
static void test_levels_same_as_slow_path(void **state)
{
        double thr[] = { 0.01, 0.2, 0.5, 1.0, 1.3, 2.0, 3.0, 4.0, 5.0, 8.0,
                         12.0, 16.0, 30.0, 50.0, 120.0, 300.0, 5e5, 2e6,
                         0 /* the late one, below */ };
        enum { N = 2500, N_THR = sizeof(thr) / sizeof(*thr) };

        (void)state;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                hb_detector_config_t c;

                hb_detector_config_default(&c, (hb_detector_kind_t)k,
                                           100 * MS);
                c.window = 20;
                /* adaptive: re-evaluated every 2 s, so it moves. */
                c.adaptive_dampening_ns = 2 * HB_NS_PER_S;
                thr[N_THR - 1] = late_threshold(&c);
                for (int v = 0; v < 4; v++) {
                        /* 0, 1: random, with and without send times;
                         * 2, 3: near the crossings of the late threshold
                         * and of the default suspect threshold. */
                        double near =
                                v == 2 ? thr[N_THR - 1]
                                       : hb_detector_default_suspect_threshold(
                                                 c.kind);
                        uint64_t seed = UINT64_C(0x9e3779b97f4a7c15) +
                                        (uint64_t)(k * 4 + v);
                        hbt_arrival_t *a = random_trace(
                                N, seed, v != 1, v >= 2 ? &c : NULL, near);
                        uint64_t last = a[N - 1].arrival_ns;
                        uint64_t mid = a[N / 2].arrival_ns;

                        for (int td = HBT_QOS_TD_CRASH;
                             td <= HBT_QOS_TD_EACH; td++) {
                                check_levels(&c, thr, N_THR, a, N, HB_NEVER,
                                             last, (hbt_qos_td_t)td);
                                check_levels(&c, thr, N_THR, a, N, HB_NEVER,
                                             last + 3 * HB_NS_PER_S,
                                             (hbt_qos_td_t)td);
                        }
                        /* A crash at an arrival, between two, after the
                         * last. */
                        check_levels(&c, thr, N_THR, a, N, mid, last,
                                     HBT_QOS_TD_CRASH);
                        check_levels(&c, thr, N_THR, a, N, mid + 150 * MS,
                                     last, HBT_QOS_TD_CRASH);
                        check_levels(&c, thr, N_THR, a, N, last + 400 * MS,
                                     last + 400 * MS, HBT_QOS_TD_CRASH);
                        free(a);
                }
        }
}

static void test_levels_errors(void **state)
{
        static const uint64_t ms[] = { 0, 100, 200 };
        const double thr[] = { 3.0, 5.0 }, bad[] = { 3.0, NAN };
        hb_detector_config_t c = fixed_cfg();
        hbt_arrival_t *a = arrivals_ms(ms, 3);
        hbt_qos_result_t r[2], pattern[2];
        uint64_t end = T0 + 300 * MS;

        (void)state;
        memset(pattern, 0x5a, sizeof(pattern));
        memcpy(r, pattern, sizeof(r));
        assert_int_equal(hbt_qos_evaluate_levels(&c, NULL, 2, a, 3, HB_NEVER,
                                                 end, HBT_QOS_TD_CRASH, r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate_levels(&c, thr, 0, a, 3, HB_NEVER,
                                                 end, HBT_QOS_TD_CRASH, r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate_levels(&c, bad, 2, a, 3, HB_NEVER,
                                                 end, HBT_QOS_TD_CRASH, r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate_levels(&c, thr, 2, a, 3, HB_NEVER,
                                                 end, (hbt_qos_td_t)3, r),
                         -EINVAL);
        /* A crash with a virtual one. */
        assert_int_equal(hbt_qos_evaluate_levels(&c, thr, 2, a, 3,
                                                 T0 + 150 * MS, end,
                                                 HBT_QOS_TD_LAST, r),
                         -EINVAL);
        assert_int_equal(hbt_qos_evaluate_levels(&c, thr, 2, a, 3,
                                                 T0 + 150 * MS, end,
                                                 HBT_QOS_TD_EACH, r),
                         -EINVAL);
        failalloc_after(0);
        assert_int_equal(hbt_qos_evaluate_levels(&c, thr, 2, a, 3, HB_NEVER,
                                                 end, HBT_QOS_TD_EACH, r),
                         -ENOMEM);
        failalloc_after(-1);
        assert_memory_equal(r, pattern, sizeof(r));
        assert_int_equal(hbt_qos_evaluate_levels(&c, thr, 2, a, 3, HB_NEVER,
                                                 end, HBT_QOS_TD_EACH, r),
                         0);
        /* Steady 100 ms: crossings 300 and 500 ms after each arrival. */
        assert_dbl_eq(r[0].detection_s, 0.3);
        assert_dbl_eq(r[1].detection_s, 0.5);
        assert_int_equal(r[0].mistakes, 0);
        free(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_levels_same_as_slow_path),
                cmocka_unit_test(test_levels_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
