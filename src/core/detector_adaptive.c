/* SPDX-License-Identifier: MIT */
/*
 * detector_adaptive.c - percentile-driven adaptive timeout
 * (HB_DETECTOR_ADAPTIVE, detector.h).
 *
 * Source: the "adaptive timeout strategy" of the heartbeat guide in
 * ../shared/seeds/004 (also sketched in 003): measure P50 and P95 over a
 * window; if P95 > 2 x P50 (congestion) raise the timeout by 50 %, if
 * P95 < 1.5 x P50 (calm) lower it by 25 %, at most one adjustment per
 * dampening period, clamped to bounds. The guide measures latency; a
 * heartbeat receiver sees inter-arrival times, so those are the samples
 * here (the last `window` of them; their spread is the receiver's view of
 * delay jitter and loss).
 *
 *     suspicion(now) = (now - last_arrival) / timeout
 *
 * so threshold 1 is the timeout itself; defaults suspect 1, dead 2.
 *
 * Evaluation: at an arrival, when at least `dampening` has passed since
 * the previous evaluation (or since the first arrival) and the window
 * holds at least min(window, 20) samples. One evaluation, at most one
 * change:
 *
 *     P95 > high_ratio x P50  ->  timeout x raise
 *     P95 < low_ratio x P50   ->  timeout x lower
 *     then clamp to [min, max], rounded to the ns.
 *
 * The guide evaluates every 60 s and changes at most every 5 min; here
 * both are the dampening period, so the percentile work is done once per
 * period, never per heartbeat.
 *
 * Percentiles: nearest rank, P_p = the k-th smallest sample with
 * k = ceil(p n / 100) (n = 100: P50 the 50th, P95 the 95th smallest).
 * Selected without sorting and without scratch memory: a binary search on
 * the value, each step counting the samples <= the midpoint, over the
 * range [min, max] of the window. Samples are < 2^49 ns, so at most 50
 * counting passes of O(window) each, plus one for the range: O(window)
 * per evaluation with a bounded constant (~5 µs at window 100), and no
 * O(window log window) sort; heartbeats in between are O(1).
 *
 * Crossing: exact, threshold x timeout. Rebase: nothing to do (intervals
 * only; the skipped silence never enters the window).
 *
 * Who calls it: only detector.c, through hb__detector_adaptive_ops.
 */
#include <errno.h>
#include <math.h>

#include "hbeat/detector.h"
#include "core/detector_impl.h"

#define TIMEOUT_MIN_NS HB_NS_PER_MS
/* 30 x the largest interval (the default max at 1 h). */
#define TIMEOUT_MAX_NS (30 * 3600 * HB_NS_PER_S)
#define DAMPENING_MIN_NS HB_NS_PER_MS
/* 100 x the largest interval (the default dampening at 1 h). */
#define DAMPENING_MAX_NS (100 * 3600 * HB_NS_PER_S)
#define RAISE_MAX 10.0
#define RATIO_MAX 1000.0
/* Fewest samples an evaluation looks at (fewer if the window is smaller):
 * with 20, P95 is the 19th of 20, not the largest. */
#define EVAL_MIN_SAMPLES 20u

struct adaptive_detector {
        struct hb_detector base;        /* first: see detector_impl.h */
        uint32_t window;                /* ring slots */
        uint32_t head;                  /* next slot to write */
        uint64_t timeout_ns;            /* current timeout */
        uint64_t last_eval_ns;          /* arrival time of last evaluation */
        uint64_t sum;                   /* sum of samples, for mean_ns() */
        /* From the config: */
        uint64_t initial_ns, min_ns, max_ns, dampening_ns;
        double raise, lower, high_ratio, low_ratio;
        uint32_t count;                 /* samples in the ring */
        uint64_t ring[];                /* inter-arrival times, ns */
};

static struct adaptive_detector *ad_of(hb_detector_t *d)
{
        return (struct adaptive_detector *)d;
}

static const struct adaptive_detector *ad_of_const(const hb_detector_t *d)
{
        return (const struct adaptive_detector *)d;
}

static int ad_validate(const hb_detector_config_t *cfg)
{
        if (cfg->window < HB_PHI_WINDOW_MIN ||
            cfg->window > HB_PHI_WINDOW_MAX)
                return -EINVAL;
        if (cfg->adaptive_min_ns < TIMEOUT_MIN_NS ||
            cfg->adaptive_max_ns > TIMEOUT_MAX_NS ||
            cfg->adaptive_initial_ns < cfg->adaptive_min_ns ||
            cfg->adaptive_initial_ns > cfg->adaptive_max_ns)
                return -EINVAL;
        if (cfg->adaptive_dampening_ns < DAMPENING_MIN_NS ||
            cfg->adaptive_dampening_ns > DAMPENING_MAX_NS)
                return -EINVAL;
        /* Written so that NaN fails every check. 1 disables a
         * direction. */
        if (!(cfg->adaptive_raise >= 1.0 && cfg->adaptive_raise <= RAISE_MAX))
                return -EINVAL;
        if (!(cfg->adaptive_lower > 0.0 && cfg->adaptive_lower <= 1.0))
                return -EINVAL;
        /* P95 >= P50 always, so ratios below 1 mean nothing; low above
         * high would make both rules true at once. */
        if (!(cfg->adaptive_high_ratio >= 1.0 &&
              cfg->adaptive_high_ratio <= RATIO_MAX))
                return -EINVAL;
        if (!(cfg->adaptive_low_ratio >= 1.0 &&
              cfg->adaptive_low_ratio <= cfg->adaptive_high_ratio))
                return -EINVAL;
        return 0;
}

static size_t ad_memory(const hb_detector_config_t *cfg)
{
        return sizeof(struct adaptive_detector) +
               (size_t)cfg->window * sizeof(uint64_t);
}

static void ad_init(hb_detector_t *d, const hb_detector_config_t *cfg)
{
        struct adaptive_detector *a = ad_of(d);

        a->window = cfg->window;
        a->initial_ns = cfg->adaptive_initial_ns;
        a->min_ns = cfg->adaptive_min_ns;
        a->max_ns = cfg->adaptive_max_ns;
        a->dampening_ns = cfg->adaptive_dampening_ns;
        a->raise = cfg->adaptive_raise;
        a->lower = cfg->adaptive_lower;
        a->high_ratio = cfg->adaptive_high_ratio;
        a->low_ratio = cfg->adaptive_low_ratio;
}

static void ad_reset(hb_detector_t *d)
{
        struct adaptive_detector *a = ad_of(d);

        a->head = 0;
        a->count = 0;
        a->sum = 0;
        a->last_eval_ns = 0;
        a->timeout_ns = a->initial_ns;
}

/* The k-th smallest (1-based, 1 <= k <= n) of x[0..n-1]: binary search on
 * the value; the answer is always one of the samples. */
static uint64_t kth_smallest(const uint64_t *x, uint32_t n, uint32_t k)
{
        uint64_t lo = UINT64_MAX, hi = 0;

        for (uint32_t i = 0; i < n; i++) {
                lo = x[i] < lo ? x[i] : lo;
                hi = x[i] > hi ? x[i] : hi;
        }
        while (lo < hi) {
                uint64_t mid = lo + (hi - lo) / 2;
                uint32_t c = 0;

                for (uint32_t i = 0; i < n; i++)
                        c += x[i] <= mid;
                if (c >= k)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return lo;
}

static void evaluate(struct adaptive_detector *a)
{
        uint32_t n = a->count;
        /* Nearest rank: ceil(n / 2) and ceil(95 n / 100). */
        double p50 = (double)kth_smallest(a->ring, n, (n + 1) / 2);
        double p95 = (double)kth_smallest(a->ring, n,
                                          (uint32_t)(((uint64_t)n * 95 +
                                                      99) / 100));
        double t = (double)a->timeout_ns;

        if (p95 > a->high_ratio * p50)
                t *= a->raise;
        else if (p95 < a->low_ratio * p50)
                t *= a->lower;
        else
                return;
        if (t <= (double)a->min_ns)
                a->timeout_ns = a->min_ns;
        else if (t >= (double)a->max_ns)
                a->timeout_ns = a->max_ns;
        else
                a->timeout_ns = (uint64_t)llround(t);
}

static void ad_heartbeat(hb_detector_t *d, uint64_t interval_ns, bool first,
                         uint64_t seq, uint64_t send_ns)
{
        struct adaptive_detector *a = ad_of(d);
        uint32_t need = a->window < EVAL_MIN_SAMPLES ? a->window
                                                     : EVAL_MIN_SAMPLES;
        uint64_t x = interval_ns;

        (void)seq;
        (void)send_ns;      /* inter-arrival times only */
        if (first) {
                a->last_eval_ns = d->last_ns;
                return;
        }
        if (x > HB__SAMPLE_MAX_NS)
                x = HB__SAMPLE_MAX_NS;
        if (a->count == a->window)
                a->sum -= a->ring[a->head];
        else
                a->count++;
        a->ring[a->head] = x;
        a->head = a->head + 1 == a->window ? 0 : a->head + 1;
        a->sum += x;

        /* last_ns never moves back, and last_eval_ns was a last_ns. */
        if (a->count >= need &&
            d->last_ns - a->last_eval_ns >= a->dampening_ns) {
                a->last_eval_ns = d->last_ns;
                evaluate(a);
        }
}

static double ad_suspicion(const hb_detector_t *d, uint64_t elapsed_ns)
{
        return (double)elapsed_ns / (double)ad_of_const(d)->timeout_ns;
}

static double ad_crossing(const hb_detector_t *d, double threshold)
{
        return threshold * (double)ad_of_const(d)->timeout_ns;
}

/* Samples, timeout, bounds and dampening scale with the interval (their
 * defaults are multiples of it); the dampening period restarts at the
 * last arrival, so the rescaled window is not judged at once. */
static void ad_set_interval(hb_detector_t *d, uint64_t old_ns,
                            uint64_t new_ns, double ratio)
{
        struct adaptive_detector *a = ad_of(d);
        uint32_t n = a->count;

        (void)old_ns;
        (void)new_ns;
        a->sum = 0;
        for (uint32_t i = 0; i < n; i++) {
                uint32_t k = (a->head + a->window - n + i) % a->window;

                a->ring[k] = hb__scale_ns(a->ring[k], ratio, 0,
                                          HB__SAMPLE_MAX_NS);
                a->sum += a->ring[k];
        }
        a->min_ns = hb__scale_ns(a->min_ns, ratio, TIMEOUT_MIN_NS,
                                 TIMEOUT_MAX_NS);
        a->max_ns = hb__scale_ns(a->max_ns, ratio, a->min_ns,
                                 TIMEOUT_MAX_NS);
        a->initial_ns = hb__scale_ns(a->initial_ns, ratio, a->min_ns,
                                     a->max_ns);
        a->timeout_ns = hb__scale_ns(a->timeout_ns, ratio, a->min_ns,
                                     a->max_ns);
        a->dampening_ns = hb__scale_ns(a->dampening_ns, ratio,
                                       DAMPENING_MIN_NS, DAMPENING_MAX_NS);
        if (d->arrivals > 0)
                a->last_eval_ns = d->last_ns;
}

static double ad_mean_ns(const hb_detector_t *d)
{
        const struct adaptive_detector *a = ad_of_const(d);

        /* Before any interval: the interval the peer is meant to keep. */
        if (a->count == 0)
                return (double)d->interval_ns;
        return (double)a->sum / (double)a->count;
}

static double ad_std_dev_ns(const hb_detector_t *d)
{
        (void)d;        /* not estimated: the rule uses percentiles */
        return 0.0;
}

#define AD_MS(key_, field_, min_, max_, help_)                              \
        { .key = key_, .type = HB_DETECTOR_PARAM_MS, .unit = "ms",          \
          .min = HB__MS(min_), .max = HB__MS(max_),                         \
          .offset = offsetof(hb_detector_config_t, field_), .help = help_ }
#define AD_REAL(key_, field_, min_, max_, flags_, help_)                    \
        { .key = key_, .type = HB_DETECTOR_PARAM_REAL, .unit = "",          \
          .min = min_, .max = max_, .flags = flags_,                        \
          .offset = offsetof(hb_detector_config_t, field_), .help = help_ }

static const hb_detector_param_t ad_params[] = {
        HB__PARAM_WINDOW,
        AD_MS("adaptive_initial_ms", adaptive_initial_ns, TIMEOUT_MIN_NS,
              TIMEOUT_MAX_NS, "Starting timeout; within [adaptive_min_ms, "
              "adaptive_max_ms]."),
        AD_MS("adaptive_min_ms", adaptive_min_ns, TIMEOUT_MIN_NS,
              TIMEOUT_MAX_NS, "Smallest timeout."),
        AD_MS("adaptive_max_ms", adaptive_max_ns, TIMEOUT_MIN_NS,
              TIMEOUT_MAX_NS, "Largest timeout."),
        AD_MS("adaptive_dampening_ms", adaptive_dampening_ns,
              DAMPENING_MIN_NS, DAMPENING_MAX_NS,
              "The timeout is re-evaluated, and changes, at most once per "
              "this period."),
        AD_REAL("adaptive_raise", adaptive_raise, 1, RAISE_MAX, 0,
                "Factor applied to the timeout when P95 > high_ratio x "
                "P50; 1 never raises."),
        AD_REAL("adaptive_lower", adaptive_lower, 0, 1,
                HB_DETECTOR_PARAM_MIN_OPEN,
                "Factor applied to the timeout when P95 < low_ratio x "
                "P50; 1 never lowers."),
        AD_REAL("adaptive_high_ratio", adaptive_high_ratio, 1, RATIO_MAX, 0,
                "P95/P50 above which the timeout is raised."),
        AD_REAL("adaptive_low_ratio", adaptive_low_ratio, 1, RATIO_MAX, 0,
                "P95/P50 below which the timeout is lowered; <= "
                "adaptive_high_ratio."),
};

const struct hb__detector_ops hb__detector_adaptive_ops = {
        .kind = HB_DETECTOR_ADAPTIVE,
        .name = "adaptive",
        .suspicion_unit = "timeouts",
        .params = ad_params,
        .n_params = HB__N_PARAMS(ad_params),
        .suspect_threshold = 1.0,
        .dead_threshold = 2.0,
        .validate = ad_validate,
        .memory = ad_memory,
        .init = ad_init,
        .reset = ad_reset,
        .heartbeat = ad_heartbeat,
        .suspicion = ad_suspicion,
        .crossing = ad_crossing,
        .mean_ns = ad_mean_ns,
        .std_dev_ns = ad_std_dev_ns,
        .set_interval = ad_set_interval,
};
