/* SPDX-License-Identifier: MIT */
/*
 * detector_fixed.c - fixed timeout counted in missed intervals
 * (HB_DETECTOR_FIXED, detector.h).
 *
 * The classic heartbeat rule: a peer that has been silent for k heartbeat
 * intervals is suspected (timeout = k x interval, k usually 3..5; see the
 * heartbeat guides in ../shared/seeds/003 and 004). Suspicion is the real
 * number of intervals missed since the last arrival,
 *
 *     suspicion(now) = (now - last_arrival) / interval,
 *
 * so thresholds read "3 missed intervals" (suspect) and "5" (dead). It
 * keeps no history and does not adapt to the measured arrival pattern; it
 * is the baseline the accrual detectors are compared with, and the right
 * choice when the interval is tightly controlled.
 *
 * Who calls it: only detector.c, through hb__detector_fixed_ops. The
 * crossing time is exact: last + ceil(threshold x interval); detector.c
 * still checks it against suspicion() to absorb the rounding of the
 * product and of the division.
 */
#include <errno.h>
#include <math.h>

#include "hbeat/detector.h"
#include "core/detector_impl.h"

static int fixed_validate(const hb_detector_config_t *cfg)
{
        /* Only the interval matters, and detector.c checked it. The other
         * kinds' fields are ignored, not validated: they do not apply. */
        (void)cfg;
        return 0;
}

static size_t fixed_memory(const hb_detector_config_t *cfg)
{
        (void)cfg;
        return sizeof(struct hb_detector);
}

static void fixed_init(hb_detector_t *d, const hb_detector_config_t *cfg)
{
        /* The interval is in the base already. */
        (void)d;
        (void)cfg;
}

static void fixed_reset(hb_detector_t *d)
{
        (void)d;
}

static void fixed_heartbeat(hb_detector_t *d, uint64_t interval_ns,
                            bool first, uint64_t seq, uint64_t send_ns)
{
        /* Only the last arrival matters; detector.c records it. */
        (void)d;
        (void)interval_ns;
        (void)first;
        (void)seq;
        (void)send_ns;
}

static double fixed_suspicion(const hb_detector_t *d, uint64_t elapsed_ns)
{
        return (double)elapsed_ns / (double)d->interval_ns;
}

static double fixed_crossing(const hb_detector_t *d, double threshold)
{
        return ceil(threshold * (double)d->interval_ns);
}

static double fixed_mean_ns(const hb_detector_t *d)
{
        return (double)d->interval_ns;
}

static double fixed_std_dev_ns(const hb_detector_t *d)
{
        (void)d;
        return 0.0;
}

/* No parameter but the interval: no history, nothing to tune. */
const struct hb__detector_ops hb__detector_fixed_ops = {
        .kind = HB_DETECTOR_FIXED,
        .name = "fixed",
        .suspicion_unit = "missed intervals",
        .params = NULL,
        .n_params = 0,
        .suspect_threshold = 3.0,
        .dead_threshold = 5.0,
        .validate = fixed_validate,
        .memory = fixed_memory,
        .init = fixed_init,
        .reset = fixed_reset,
        .heartbeat = fixed_heartbeat,
        .suspicion = fixed_suspicion,
        .crossing = fixed_crossing,
        .mean_ns = fixed_mean_ns,
        .std_dev_ns = fixed_std_dev_ns,
};
