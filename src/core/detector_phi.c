/* SPDX-License-Identifier: MIT */
/*
 * detector_phi.c - phi accrual failure detector (HB_DETECTOR_PHI,
 * detector.h).
 *
 * Hayashibara, Defago, Yared, Katayama, "The phi accrual failure
 * detector", SRDS 2004: instead of a yes/no verdict the detector outputs
 *
 *     phi(t) = -log10(P_later(t - last_arrival)),
 *
 * where P_later(x) is the probability that a heartbeat arrives more than
 * x after the previous one, estimated from a sliding window of recent
 * inter-arrival times assumed normally distributed. phi = 8 means a
 * 1e-8 chance that a heartbeat is still coming.
 *
 * With the refinements of Akka's PhiAccrualFailureDetector (akka-remote):
 * - mean mu and population standard deviation sigma of the last `window`
 *   inter-arrival times, sigma floored at min_std_dev (a perfectly steady
 *   sender would otherwise give sigma ~ 0 and suspicion on the first late
 *   packet);
 * - acceptable_pause added to the mean (tolerates GC or scheduling pauses
 *   and lost heartbeats);
 * - the logistic approximation of the normal CDF (Bowling et al., "A
 *   logistic approximation to the cumulative normal distribution", 2009),
 *   see hb__phi() in detector_impl.h;
 * - bootstrap: the window starts with two samples first_estimate -
 *   first_estimate/4 and first_estimate + first_estimate/4 (Akka's
 *   firstHeartbeat), so that after one arrival suspicion is meaningful
 *   (mean first_estimate, sigma first_estimate/4); real intervals push
 *   them out like any other sample.
 *
 * Exactness: the window is a ring of uint64 ns with a running sum and sum
 * of squares kept in integers (the sum of squares in unsigned __int128),
 * so adding and evicting samples never drifts, however many billions of
 * heartbeats pass. Variance is computed exactly as
 * (n * sum_sq - sum^2) / n^2 and rounded once. Each sample is clamped to
 * SAMPLE_MAX_NS (2^49 ns, ~6.5 days) so that the sums cannot overflow for
 * any window up to HB_PHI_WINDOW_MAX: n * sum_sq < 2^27 * 2^98 < 2^128.
 * A longer silence counts as 6.5 days, which changes no decision.
 *
 * Cost: heartbeat() is O(1) (ring update, then mean, variance and one sqrt
 * cached for suspicion()); suspicion() is O(1): one exp and one log10.
 * One allocation per detector: the struct and its ring (flexible array).
 *
 * Crossing time: phi is inverted analytically. For a target phi T, with
 * P = 10^-T, the logistic form gives e/(1+e) = P, i.e.
 *
 *     0.070566 y^3 + 1.5976 y = g,   g = ln((1 - P) / P),
 *
 * a strictly increasing cubic with one real root (Cardano; y depends on
 * the threshold alone, so a prepared level, hb_detector_level_prepare(),
 * keeps it); then the crossing is last + mu + pause + y sigma. detector.c
 * verifies the estimate against suspicion() and corrects it to within
 * 1 µs above.
 * Saturation: computed phi is finite up to ~308.25 and then jumps to the
 * cap 1e6 (hb__phi()); a threshold in (308.25, 1e6] is therefore reached
 * at that jump (found by the refinement), and a threshold above 1e6 is
 * never reached: HB_NEVER.
 *
 * Who calls it: only detector.c, through hb__detector_phi_ops.
 */
#include <errno.h>
#include <math.h>

#include "hbeat/detector.h"
#include "core/detector_impl.h"

#define SAMPLE_MAX_NS HB__SAMPLE_MAX_NS
#define STD_DEV_MIN_NS UINT64_C(1000)
#define FIRST_ESTIMATE_MIN_NS HB_NS_PER_MS
/* 4 x the largest interval: the default pause (4 x interval) must be
 * valid for every valid interval. */
#define PAUSE_MAX_NS (4 * 3600 * HB_NS_PER_S)
/* Largest values a configuration file gives the floor and the pause
 * (detector.h, hb_detector_param_t.max): an hour, the longest interval;
 * the detector itself has no bound on the floor and takes 4 h of pause. */
#define CONFIG_MAX_NS (3600 * HB_NS_PER_S)

/* Logistic approximation: phi crossing solves A y^3 + B y = g. */
#define LOGIT_A 0.070566
#define LOGIT_B 1.5976

struct phi_detector {
        struct hb_detector base;        /* first: see detector_impl.h */
        uint32_t window;                /* ring slots */
        uint32_t head;                  /* next slot to write */
        unsigned __int128 sum_sq;       /* sum of squared samples, ns^2 */
        uint64_t sum;                   /* sum of samples, ns */
        uint64_t min_std_dev_ns;        /* parameters, from the config */
        uint64_t acceptable_pause_ns;
        uint64_t first_estimate_ns;
        uint32_t count;                 /* samples in the ring */
        /* Cached by update_stats() for suspicion(): */
        double mean_ns;                 /* mu */
        double expected_ns;             /* mu + acceptable pause */
        double std_dev_ns;              /* sigma, after the floor */
        uint64_t ring[];                /* window samples, ns */
};

static struct phi_detector *phi_of(hb_detector_t *d)
{
        return (struct phi_detector *)d;
}

static const struct phi_detector *phi_of_const(const hb_detector_t *d)
{
        return (const struct phi_detector *)d;
}

static int phi_validate(const hb_detector_config_t *cfg)
{
        if (cfg->window < HB_PHI_WINDOW_MIN ||
            cfg->window > HB_PHI_WINDOW_MAX)
                return -EINVAL;
        if (cfg->min_std_dev_ns < STD_DEV_MIN_NS)
                return -EINVAL;
        if (cfg->acceptable_pause_ns > PAUSE_MAX_NS)
                return -EINVAL;
        if (cfg->first_estimate_ns < FIRST_ESTIMATE_MIN_NS)
                return -EINVAL;
        return 0;
}

static size_t phi_memory(const hb_detector_config_t *cfg)
{
        return sizeof(struct phi_detector) +
               (size_t)cfg->window * sizeof(uint64_t);
}

static void update_stats(struct phi_detector *p)
{
        uint64_t n = p->count;
        unsigned __int128 s = p->sum;
        unsigned __int128 num;
        double var, sd;

        /* n >= 2 always: the bootstrap samples are only evicted by newer
         * ones. Population variance, exact numerator (>= 0 by
         * Cauchy-Schwarz), one rounding. */
        num = (unsigned __int128)n * p->sum_sq - s * s;
        var = (double)num / ((double)n * (double)n);
        sd = sqrt(var);
        if (sd < (double)p->min_std_dev_ns)
                sd = (double)p->min_std_dev_ns;
        p->mean_ns = (double)p->sum / (double)n;
        p->expected_ns = p->mean_ns + (double)p->acceptable_pause_ns;
        p->std_dev_ns = sd;
}

static void push(struct phi_detector *p, uint64_t x)
{
        uint32_t window = p->window;

        if (x > SAMPLE_MAX_NS)
                x = SAMPLE_MAX_NS;
        if (p->count == window) {
                uint64_t old = p->ring[p->head];

                p->sum -= old;
                p->sum_sq -= (unsigned __int128)old * old;
        } else {
                p->count++;
        }
        p->ring[p->head] = x;
        p->head = p->head + 1 == window ? 0 : p->head + 1;
        p->sum += x;
        p->sum_sq += (unsigned __int128)x * x;
}

static void phi_init(hb_detector_t *d, const hb_detector_config_t *cfg)
{
        struct phi_detector *p = phi_of(d);

        p->window = cfg->window;
        p->min_std_dev_ns = cfg->min_std_dev_ns;
        p->acceptable_pause_ns = cfg->acceptable_pause_ns;
        p->first_estimate_ns = cfg->first_estimate_ns;
}

static void phi_reset(hb_detector_t *d)
{
        struct phi_detector *p = phi_of(d);
        uint64_t fe = p->first_estimate_ns;
        uint64_t hi = fe > UINT64_MAX - fe / 4 ? UINT64_MAX : fe + fe / 4;

        p->head = 0;
        p->count = 0;
        p->sum = 0;
        p->sum_sq = 0;
        /* Akka's firstHeartbeat. Loading it now rather than at the first
         * arrival is the same to every caller (suspicion is 0 until then)
         * and lets mean/std_dev report the bootstrap values at once. */
        push(p, fe - fe / 4);
        push(p, hi);
        update_stats(p);
}

static void phi_heartbeat(hb_detector_t *d, uint64_t interval_ns, bool first,
                          uint64_t seq, uint64_t send_ns)
{
        struct phi_detector *p = phi_of(d);

        (void)seq;
        (void)send_ns;      /* inter-arrival times only: losses are intervals */
        if (first)
                return;         /* the bootstrap is already in the ring */
        push(p, interval_ns);
        update_stats(p);
}

static double phi_suspicion(const hb_detector_t *d, uint64_t elapsed_ns)
{
        const struct phi_detector *p = phi_of_const(d);

        return hb__phi((double)elapsed_ns, p->expected_ns, p->std_dev_ns);
}

/* y of the crossing (file comment): a function of the threshold alone,
 * so hb_detector_level_prepare() computes it once; its four libm calls
 * cost more than the rest of a crossing. */
static double phi_prepare(double threshold)
{
        /* -ln P for P = 10^-threshold, then g = ln((1 - P) / P) =
         * -ln P + ln(1 - P), with 1 - P = -expm1(ln P): accurate both
         * for tiny thresholds (P -> 1) and huge ones (P underflows). */
        double x = threshold * M_LN10;
        double g = x + log(-expm1(-x));
        /* y^3 + a y - b = 0 with a = B/A > 0, b = g/A: one real root,
         * odd in b. Cardano with the larger cube root u taken first and
         * the other as -a/(3u) (their product), avoiding the cancellation
         * of cbrt(b/2 - sqrt(D)) for large b. */
        double a = LOGIT_B / LOGIT_A;
        double b = fabs(g) / LOGIT_A;
        double h = b / 2.0;
        double u = cbrt(h + sqrt(h * h + a * a * a / 27.0));
        double y = u - a / (3.0 * u);

        if (g < 0.0)
                y = -y;
        return y;
}

static double phi_crossing(const hb_detector_t *d, double y)
{
        const struct phi_detector *p = phi_of_const(d);

        return p->expected_ns + y * p->std_dev_ns;
}

/*
 * Prepared levels: phi >= T decided on y, without the exp and the log10.
 *
 * suspicion() computes y = (t - expected) / sigma and then phi = F(y),
 * F the rounded evaluation of hb__phi(). F approximates the logistic
 * phi(y) = log10(1 + exp(y (B + A y^2))) (A, B the double constants),
 * which is strictly increasing. How far F can be from it: glibc's exp and
 * log10 are within 1 and 2 ulp (its manual's error table), the other
 * steps are correctly rounded, so the exponent z = y (B + A y^2) is off
 * by ~2.5 ulp of itself (z <= 745 before saturation), which moves phi by
 * as many ulp of phi (for y > 0, phi ~ z / ln 10): with the log10's own,
 * ~1e-15 phi + 2e-16. For y <= 0 the argument of the log10 is in
 * [0.5, 1), off by ~5e-16, and phi (<= log10 2) by < 6e-16. So |F(y) -
 * phi(y)| < 2e-15 (1 + phi), and with D = 1e-12 (1 + T), 500 times that:
 *
 *     phi(y) >= T + D  implies  F(y) >= T;   phi(y) <= T - D  implies
 *     F(y) < T.
 *
 * phi is inverted in long double (the cubic of phi_prepare()): y >= b[1]
 * = phi^-1(T + D) is reached, y <= b[0] = phi^-1(T - D) is not, and only
 * in the band between (about 1e-4 ns of elapsed time at the defaults) is
 * F evaluated: reached() says -1. reached() computes y exactly as
 * suspicion() does, so the comparison is on the very y F would get.
 * Thresholds above 300 are left to F: phi saturates at ~308.25 and jumps
 * to the cap (hb__phi()). So are those below 2 D, where T - D <= 0.
 */
#define BAND_REL 1e-12
#define BAND_T_MAX 300.0

/* phi^-1(t) in long double: the root of A y^3 + B y = ln(10^t - 1). */
static long double phi_inverse_l(long double t)
{
        long double x = t * logl(10.0L);
        long double g = x + logl(-expm1l(-x));
        long double a = (long double)LOGIT_B / (long double)LOGIT_A;
        long double h = fabsl(g) / (long double)LOGIT_A / 2.0L;
        long double u = cbrtl(h + sqrtl(h * h + a * a * a / 27.0L));
        long double y = u - a / (3.0L * u);

        return g < 0.0L ? -y : y;
}

static void phi_bounds(double threshold, double b[2])
{
        long double d = BAND_REL * (1.0L + threshold);

        b[0] = b[1] = NAN;
        if (threshold > BAND_T_MAX || threshold <= 2.0L * d)
                return;
        /* Rounded outwards: the band only grows. */
        b[0] = nextafter((double)phi_inverse_l(threshold - d), -INFINITY);
        b[1] = nextafter((double)phi_inverse_l(threshold + d), INFINITY);
}

static int phi_reached(const hb_detector_t *d, const double b[2],
                       uint64_t elapsed_ns)
{
        const struct phi_detector *p = phi_of_const(d);
        /* hb__phi()'s y, to the bit. */
        double y = ((double)elapsed_ns - p->expected_ns) / p->std_dev_ns;

        /* NaN bounds (none kept) fail both. */
        if (y >= b[1])
                return 1;
        if (y <= b[0])
                return 0;
        return -1;
}

/* Keep the shape of the jitter at the new rate: every sample, the
 * bootstrap and the parameters held in units of the interval (floor,
 * pause) scale by the ratio, so a slower sender is not read as missed
 * heartbeats while the window refills (docs/classes.md). */
static void phi_set_interval(hb_detector_t *d, uint64_t old_ns,
                             uint64_t new_ns, double ratio)
{
        struct phi_detector *p = phi_of(d);
        uint32_t n = p->count;

        (void)old_ns;
        (void)new_ns;
        p->sum = 0;
        p->sum_sq = 0;
        for (uint32_t i = 0; i < n; i++) {
                uint32_t k = (p->head + p->window - n + i) % p->window;
                uint64_t x = hb__scale_ns(p->ring[k], ratio, 0,
                                          SAMPLE_MAX_NS);

                p->ring[k] = x;
                p->sum += x;
                p->sum_sq += (unsigned __int128)x * x;
        }
        p->min_std_dev_ns = hb__scale_ns(p->min_std_dev_ns, ratio,
                                         STD_DEV_MIN_NS, PAUSE_MAX_NS);
        p->acceptable_pause_ns = hb__scale_ns(p->acceptable_pause_ns, ratio,
                                              0, PAUSE_MAX_NS);
        p->first_estimate_ns = hb__scale_ns(p->first_estimate_ns, ratio,
                                            FIRST_ESTIMATE_MIN_NS,
                                            SAMPLE_MAX_NS);
        update_stats(p);
}

static double phi_mean_ns(const hb_detector_t *d)
{
        return phi_of_const(d)->mean_ns;
}

static double phi_std_dev_ns(const hb_detector_t *d)
{
        return phi_of_const(d)->std_dev_ns;
}

static const hb_detector_param_t phi_params[] = {
        HB__PARAM_WINDOW,
        { .key = "min_std_dev_ms", .type = HB_DETECTOR_PARAM_MS_FRAC,
          .unit = "ms", .min = HB__MS(STD_DEV_MIN_NS),
          .max = HB__MS(CONFIG_MAX_NS),
          .offset = offsetof(hb_detector_config_t, min_std_dev_ns),
          .help = "Floor for the standard deviation of inter-arrival "
                  "times." },
        { .key = "acceptable_pause_ms", .type = HB_DETECTOR_PARAM_MS,
          .unit = "ms", .min = 0, .max = HB__MS(CONFIG_MAX_NS),
          .offset = offsetof(hb_detector_config_t, acceptable_pause_ns),
          .help = "Pause added to the mean inter-arrival time before "
                  "suspicion grows." },
        HB__PARAM_FIRST_ESTIMATE,
};

const struct hb__detector_ops hb__detector_phi_ops = {
        .kind = HB_DETECTOR_PHI,
        .name = "phi",
        .suspicion_unit = "phi",
        .params = phi_params,
        .n_params = HB__N_PARAMS(phi_params),
        .suspect_threshold = 8.0,
        .dead_threshold = 50.0,
        .validate = phi_validate,
        .memory = phi_memory,
        .init = phi_init,
        .reset = phi_reset,
        .heartbeat = phi_heartbeat,
        .suspicion = phi_suspicion,
        .prepare = phi_prepare,
        .crossing = phi_crossing,
        .bounds = phi_bounds,
        .reached = phi_reached,
        .mean_ns = phi_mean_ns,
        .std_dev_ns = phi_std_dev_ns,
        .set_interval = phi_set_interval,
};
