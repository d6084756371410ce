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
 * the "no arrival yet" state, clamping of out-of-order arrivals, and the
 * refinement of crossing times; the ops only see valid, already-clamped
 * input.
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

struct hb__detector_ops {
        hb_detector_kind_t kind;
        const char *name;
        double suspect_threshold;       /* defaults, see detector.h */
        double dead_threshold;
        /* Kind-specific checks of a config whose kind and interval are
         * already valid. 0 or -EINVAL. */
        int (*validate)(const hb_detector_config_t *cfg);
        /* Bytes to allocate for a detector with this valid config: the
         * kind's struct plus its history. Also what hb_detector_memory()
         * reports. */
        size_t (*memory)(const hb_detector_config_t *cfg);
        /* Forget the kind's history. Called once on zeroed memory right
         * after allocation, and by hb_detector_reset(). */
        void (*reset)(hb_detector_t *d);
        /* Record an arrival. `first`: first arrival since creation or
         * reset (interval_ns is then 0 and carries no information);
         * otherwise interval_ns is the clamped inter-arrival time. Base
         * fields (last_ns, arrivals) are already updated. O(1). */
        void (*heartbeat)(hb_detector_t *d, uint64_t interval_ns,
                          bool first);
        /* Suspicion `elapsed_ns` after the last arrival (at least one
         * arrival recorded). Must be non-decreasing in elapsed_ns. O(1). */
        double (*suspicion)(const hb_detector_t *d, uint64_t elapsed_ns);
        /* Estimate of the elapsed time, ns, at which suspicion reaches
         * `threshold` (finite, > 0). May be slightly off or non-finite:
         * detector.c verifies it against suspicion() and corrects it. */
        double (*crossing)(const hb_detector_t *d, double threshold);
        double (*mean_ns)(const hb_detector_t *d);
        double (*std_dev_ns)(const hb_detector_t *d);
};

struct hb_detector {
        const struct hb__detector_ops *ops;
        hb_detector_config_t cfg;       /* validated copy */
        uint64_t last_ns;               /* meaningful iff arrivals > 0 */
        uint64_t arrivals;
        size_t memory;                  /* bytes allocated */
};

extern const struct hb__detector_ops hb__detector_fixed_ops;
extern const struct hb__detector_ops hb__detector_phi_ops;

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
