/* SPDX-License-Identifier: MIT */
/*
 * detector_impl.h - private to src/core/detector*.c.
 *
 * The common part of every failure detector (struct hb_detector) and the
 * ops table an algorithm provides to plug into it. Nothing outside the
 * detector files may include this: the rest of libhbeat sees only the
 * opaque hb_detector_t of <hbeat/detector.h>.
 *
 * An algorithm defines a struct whose FIRST member is `struct hb_detector
 * base`, followed by its own state and, if it keeps history, a flexible
 * array, so that one allocation holds everything (no allocation after
 * hb_detector_new()). detector.c owns the generic logic: argument checks,
 * the "no arrival yet" state, clamping of out-of-order arrivals, rebasing,
 * and the refinement of crossing times; the ops only see valid,
 * already-clamped input.
 *
 * Memory: the base keeps only what every kind needs (40 bytes on LP64).
 * Each kind copies the few parameters it uses from the config in init(),
 * rather than the base embedding the whole hb_detector_config_t (144
 * bytes, most of it other kinds' fields): with thousands of peers the
 * difference is real, and the phi figure stays at its historic size.
 *
 * Also here: the expected-arrival estimator of Chen, Toueg and Aguilera
 * (struct hb__ea, detector_chen.c), shared by the chen and bertier kinds.
 */
#ifndef HBEAT_CORE_DETECTOR_IMPL_H
#define HBEAT_CORE_DETECTOR_IMPL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbeat/detector.h"

/* phi is capped here (detector.h): a finite, comparable "certainly dead". */
#define HB__PHI_MAX 1e6

/* Inter-arrival samples are clamped to 2^49 ns (~6.5 days) by every kind
 * that sums them, so that sums over HB_PHI_WINDOW_MAX samples cannot
 * overflow (2^49 x 10^4 < 2^63); a longer silence changes no decision. */
#define HB__SAMPLE_MAX_NS (UINT64_C(1) << 49)

struct hb__detector_ops {
        hb_detector_kind_t kind;
        const char *name;
        const char *suspicion_unit;     /* hb_detector_suspicion_unit() */
        double suspect_threshold;       /* defaults, see detector.h */
        double dead_threshold;
        /* The parameters the kind reads (hb_detector_param_at()), in the
         * order of the configuration file. */
        const hb_detector_param_t *params;
        size_t n_params;
        /* Kind-specific checks of a config whose kind and interval are
         * already valid. 0 or -EINVAL. */
        int (*validate)(const hb_detector_config_t *cfg);
        /* Bytes to allocate for a detector with this valid config: the
         * kind's struct plus its history. Also what hb_detector_memory()
         * reports. */
        size_t (*memory)(const hb_detector_config_t *cfg);
        /* Copy the parameters the kind uses from the valid `cfg`. Called
         * once on zeroed memory right after allocation, before reset(). */
        void (*init)(hb_detector_t *d, const hb_detector_config_t *cfg);
        /* Forget the kind's history. Called once after init(), and by
         * hb_detector_reset(). */
        void (*reset)(hb_detector_t *d);
        /* Record an arrival carrying sequence number `seq` and the
         * sender's send time `send_ns` (each 0: unknown).
         * `first`: first arrival since creation or reset (interval_ns is
         * then 0 and carries no information); otherwise interval_ns is the
         * clamped inter-arrival time. Base fields (last_ns, arrivals) are
         * already updated: last_ns is the (clamped) arrival time. O(1)
         * amortized. */
        void (*heartbeat)(hb_detector_t *d, uint64_t interval_ns, bool first,
                          uint64_t seq, uint64_t send_ns);
        /* Optional (NULL: nothing to do). The last arrival was moved
         * `shift_ns` (> 0) later by hb_detector_rebase(); base last_ns is
         * already updated. Only kinds that keep absolute arrival times
         * need to know. */
        void (*rebase)(hb_detector_t *d, uint64_t shift_ns);
        /* Suspicion `elapsed_ns` after the last arrival (at least one
         * arrival recorded). Must be non-decreasing in elapsed_ns. O(1). */
        double (*suspicion)(const hb_detector_t *d, uint64_t elapsed_ns);
        /* Optional (NULL: the threshold itself). The part of crossing()'s
         * estimate that depends on the threshold (finite, > 0) alone,
         * computed once per threshold by hb_detector_level_prepare()
         * (phi: the root of its cubic, the dearest part of a crossing);
         * hb_detector_crossing_ns() calls it every time. No state. */
        double (*prepare)(double threshold);
        /* Estimate of the elapsed time, ns, at which suspicion reaches
         * the threshold, from `prepared` = prepare(threshold). May be
         * slightly off or non-finite: detector.c verifies it against
         * suspicion() and corrects it. */
        double (*crossing)(const hb_detector_t *d, double prepared);
        /* Optional pair, for kinds whose suspicion() is dear (phi): what
         * a prepared level keeps so that the verification of its
         * crossings can often skip suspicion(). bounds() fills b[0] and
         * b[1] for the threshold (finite, > 0), NaN for "nothing to
         * keep"; once per level, no state. reached() answers
         * suspicion(elapsed_ns) >= threshold from them: 1 or 0, or -1
         * when it cannot tell (then detector.c asks suspicion()). It
         * must never contradict suspicion(): a level's crossings are
         * hb_detector_crossing_ns()'s to the ns. */
        void (*bounds)(double threshold, double b[2]);
        int (*reached)(const hb_detector_t *d, const double b[2],
                       uint64_t elapsed_ns);
        double (*mean_ns)(const hb_detector_t *d);
        double (*std_dev_ns)(const hb_detector_t *d);
        /* Optional (NULL: nothing but the base interval changes). The
         * sender's interval went from old_ns to new_ns (both valid,
         * different; base interval_ns still old_ns): scale what the kind
         * keeps in units of the interval by `ratio` = new / old
         * (hb_detector_set_interval()). */
        void (*set_interval)(hb_detector_t *d, uint64_t old_ns,
                             uint64_t new_ns, double ratio);
};

struct hb_detector {
        const struct hb__detector_ops *ops;
        uint64_t interval_ns;           /* from the validated config */
        uint64_t last_ns;               /* meaningful iff arrivals > 0 */
        uint64_t arrivals;
        size_t memory;                  /* bytes allocated */
};

/* v x ratio (> 0), rounded, within [lo, hi]: a duration kept in units
 * of the interval, after the interval changed (set_interval). */
static inline uint64_t hb__scale_ns(uint64_t v, double ratio, uint64_t lo,
                                    uint64_t hi)
{
        double x = (double)v * ratio;

        if (!(x > (double)lo))
                return lo;
        if (x >= (double)hi)
                return hi;
        return (uint64_t)llround(x);
}

/* ns as the ms of a parameter's range (hb_detector_param_t.min, max). */
#define HB__MS(ns) ((double)(ns) / (double)HB_NS_PER_MS)

/* detector.window, shared by every kind that keeps a history: the same
 * entry in each kind's params (detector.h: a shared key is one field). */
#define HB__PARAM_WINDOW                                                   \
        { .key = "window", .type = HB_DETECTOR_PARAM_COUNT,               \
          .unit = "samples", .min = HB_PHI_WINDOW_MIN,                    \
          .max = HB_PHI_WINDOW_MAX,                                       \
          .offset = offsetof(hb_detector_config_t, window),               \
          .help = "Number of recent arrivals kept per peer." }

/* detector.first_estimate_ms, shared by phi and phi_exp (bootstrap of
 * their mean); not a key of hbeatd's file: the interval is the estimate
 * a live node has. At least 1 ms, as both kinds' validate() require. */
#define HB__PARAM_FIRST_ESTIMATE                                           \
        { .key = "first_estimate_ms", .type = HB_DETECTOR_PARAM_MS_FRAC,  \
          .unit = "ms", .min = HB__MS(HB_NS_PER_MS),                      \
          .max = HB__MS(3600 * HB_NS_PER_S),                              \
          .flags = HB_DETECTOR_PARAM_EXPERT,                              \
          .offset = offsetof(hb_detector_config_t, first_estimate_ns),    \
          .help = "Mean inter-arrival time assumed before the window "    \
                  "holds real samples." }

/* Number of elements of a params array. */
#define HB__N_PARAMS(a) (sizeof(a) / sizeof((a)[0]))

extern const struct hb__detector_ops hb__detector_fixed_ops;
extern const struct hb__detector_ops hb__detector_phi_ops;
extern const struct hb__detector_ops hb__detector_chen_ops;
extern const struct hb__detector_ops hb__detector_bertier_ops;
extern const struct hb__detector_ops hb__detector_phi_exp_ops;
extern const struct hb__detector_ops hb__detector_adaptive_ops;

/*
 * Expected arrival times, Chen, Toueg, Aguilera 2002, section 6 (NFD-E),
 * kept exactly (detector_chen.c has the derivation):
 *
 *     EA_{l+1} = (1/n) sum_i (A_i - eta s_i) + eta (s_l + 1)
 *
 * over the last n arrivals A_i with sequence numbers s_i, or, when
 * heartbeats carry their send times sigma_i (by_send), with eta s_i read
 * as sigma_i:
 *
 *     EA_{l+1} = (1/n) sum_i (A_i - sigma_i) + sigma_l + eta
 *
 * The window holds x_i = (A_i - origin_a) - pos_i as int64 ns in a ring
 * the owner provides (int64_t ring[window] after its struct), where pos_i
 * is the heartbeat's place in the sender's schedule, ns after the first
 * arrival's: eta (s_i - s_1) by seqs, sigma_i - sigma_1 by send times,
 * accumulated arrival by arrival. `sum` is their exact sum. `next_ns`
 * caches EA_{l+1} - last arrival (so the kinds work in elapsed time, and a
 * rebase that moves the last arrival keeps it).
 */
struct hb__ea {
        __int128 sum;                   /* sum of the ring's x_i, ns */
        uint64_t origin_a;              /* A of the first arrival (+ shifts) */
        uint64_t pos_ns;                /* pos of the last arrival */
        uint64_t s_last;                /* seq of the last arrival (counted
                                           when unknown) */
        uint64_t send_last;             /* send time of the last arrival
                                           (counted when unknown), ns */
        uint64_t shift_ns;              /* rebase moves since last arrival */
        double next_ns;                 /* EA_{l+1} - last arrival, ns */
        uint32_t window;                /* ring slots */
        uint32_t head;                  /* next slot to write */
        uint32_t count;                 /* samples in the ring */
        bool by_send;                   /* pos from send times: an arrival
                                           had one */
};

void hb__ea_init(struct hb__ea *ea, uint32_t window);
void hb__ea_reset(struct hb__ea *ea);
/*
 * Record the arrival at `a_ns` (the detector's last_ns) of sequence number
 * `seq` sent at `send_ns` on the sender's clock (each 0 unknown). Returns,
 * for bertier, A - EA of this arrival as predicted before it (0 for the
 * first arrival), ns.
 */
double hb__ea_arrival(struct hb__ea *ea, int64_t *ring, uint64_t interval_ns,
                      uint64_t a_ns, uint64_t seq, uint64_t send_ns,
                      bool first);
/* The sender's interval went from old_ns to new_ns: the next expected
 * arrival moves by the difference. */
void hb__ea_set_interval(struct hb__ea *ea, uint64_t old_ns, uint64_t new_ns);
static inline void hb__ea_rebase(struct hb__ea *ea, uint64_t shift_ns)
{
        ea->shift_ns = ea->shift_ns > UINT64_MAX - shift_ns
                               ? UINT64_MAX
                               : ea->shift_ns + shift_ns;
}

/*
 * phi by Akka's logistic approximation of the normal CDF (detector.h):
 *
 *     y = (t - mean) / sd,  e = exp(-y (1.5976 + 0.070566 y^2))
 *     phi = -log10(e / (1 + e))          if t > mean
 *     phi = -log10(1 - 1 / (1 + e))      otherwise
 *
 * The first branch is evaluated as log10(1 + 1/e), the same value
 * (e/(1+e) = 1/(1 + 1/e)), because that form is a chain of monotonic
 * correctly rounded steps: e/(1+e) is not (its numerator and rounded
 * denominator move together and the quotient can step back by one ulp
 * as e falls), and suspicion must never decrease while time passes. The
 * second branch as written is already monotonic. At t == mean (e == 1)
 * both give log10 2 exactly, so they meet without a step.
 *
 * Saturation: once e < ~5.6e-309, 1/e overflows and phi (then ~308.25)
 * jumps to the cap HB__PHI_MAX. e == 0 is caught before dividing.
 * Requires sd > 0; NaN in gives NaN out. Cost: one exp, one log10.
 */
static inline double hb__phi(double t, double mean, double sd)
{
        double y = (t - mean) / sd;
        double e = exp(-y * (1.5976 + 0.070566 * y * y));
        double phi;

        if (t > mean) {
                if (!(e > 0.0))
                        return HB__PHI_MAX;
                phi = log10(1.0 + 1.0 / e);
        } else {
                phi = -log10(1.0 - 1.0 / (1.0 + e));
        }
        if (phi > HB__PHI_MAX)
                return HB__PHI_MAX;
        /* -log10(1) is -0.0 far below the mean; report +0. */
        return phi + 0.0;
}

#endif /* HBEAT_CORE_DETECTOR_IMPL_H */
