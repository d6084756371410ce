/* SPDX-License-Identifier: MIT */
/*
 * detector_phi_exp.c - phi accrual failure detector with the exponential
 * model, as Apache Cassandra computes it (HB_DETECTOR_PHI_EXP,
 * detector.h).
 *
 * Same idea as detector_phi.c (Hayashibara et al., SRDS 2004): phi(t) =
 * -log10(P_later(t)), the probability that a heartbeat comes later than t
 * after the previous one. Cassandra (org.apache.cassandra.gms
 * FailureDetector / ArrivalWindow) models inter-arrival times as
 * exponentially distributed with the mean of a window of recent
 * intervals, P_later(t) = exp(-t / mean), hence
 *
 *     phi(t) = -log10(exp(-t / mean)) = PHI_FACTOR x t / mean,
 *     PHI_FACTOR = 1 / ln 10 = 0.4342944819...
 *
 * Linear in t: a threshold T is reached at t = T x ln(10) x mean
 * (Cassandra's convict threshold 8: 18.42 x mean). The exponential has a
 * heavy tail compared with the normal model: it does not tighten on a
 * regular LAN (sigma plays no part) and tolerates WAN-like spread; it is
 * the conservative one. docs/detectors.md compares the two.
 *
 * Differences from Cassandra, on purpose:
 * - every interval enters the window; Cassandra drops intervals above its
 *   initial value (2 x gossip interval) so that a restart gap does not
 *   inflate the mean; here a restart resets the detector instead, and a
 *   loss is information the model should see;
 * - bootstrap: one sample first_estimate_ns (default the interval) is in
 *   the window from the start, where Cassandra uses 2 x its gossip
 *   interval; like any sample it leaves after `window` real ones;
 * - the mean is floored at 1 µs (intervals of 0 from reordered arrivals
 *   could otherwise give a zero mean) and phi is capped at 1e6, as the
 *   normal model's.
 *
 * Exactness: a ring of uint64 ns with an exact running sum (samples
 * clamped to 2^49 ns); mean and mean x ln 10 are cached at each arrival.
 * Cost: O(1) heartbeat, O(1) suspicion (one division). Memory: 8 bytes per
 * window slot plus the header.
 *
 * Who calls it: only detector.c, through hb__detector_phi_exp_ops.
 */
#include <errno.h>
#include <math.h>

#include "hbeat/detector.h"
#include "core/detector_impl.h"

#define MEAN_MIN_NS 1000.0
#define FIRST_ESTIMATE_MIN_NS HB_NS_PER_MS

struct phi_exp_detector {
        struct hb_detector base;        /* first: see detector_impl.h */
        uint32_t window;                /* ring slots */
        uint32_t head;                  /* next slot to write */
        uint64_t first_estimate_ns;     /* from the config */
        uint64_t sum;                   /* sum of samples, ns */
        double mean_ns;                 /* sum / count, floored */
        double scale_ns;                /* mean x ln 10: phi = t / scale */
        uint32_t count;                 /* samples in the ring */
        uint64_t ring[];                /* window samples, ns */
};

static struct phi_exp_detector *pe_of(hb_detector_t *d)
{
        return (struct phi_exp_detector *)d;
}

static const struct phi_exp_detector *pe_of_const(const hb_detector_t *d)
{
        return (const struct phi_exp_detector *)d;
}

static int pe_validate(const hb_detector_config_t *cfg)
{
        if (cfg->window < HB_PHI_WINDOW_MIN ||
            cfg->window > HB_PHI_WINDOW_MAX)
                return -EINVAL;
        if (cfg->first_estimate_ns < FIRST_ESTIMATE_MIN_NS)
                return -EINVAL;
        return 0;
}

static size_t pe_memory(const hb_detector_config_t *cfg)
{
        return sizeof(struct phi_exp_detector) +
               (size_t)cfg->window * sizeof(uint64_t);
}

static void pe_push(struct phi_exp_detector *p, uint64_t x)
{
        if (x > HB__SAMPLE_MAX_NS)
                x = HB__SAMPLE_MAX_NS;
        if (p->count == p->window)
                p->sum -= p->ring[p->head];
        else
                p->count++;
        p->ring[p->head] = x;
        p->head = p->head + 1 == p->window ? 0 : p->head + 1;
        p->sum += x;
        p->mean_ns = (double)p->sum / (double)p->count;
        if (p->mean_ns < MEAN_MIN_NS)
                p->mean_ns = MEAN_MIN_NS;
        p->scale_ns = p->mean_ns * M_LN10;
}

static void pe_init(hb_detector_t *d, const hb_detector_config_t *cfg)
{
        struct phi_exp_detector *p = pe_of(d);

        p->window = cfg->window;
        p->first_estimate_ns = cfg->first_estimate_ns;
}

static void pe_reset(hb_detector_t *d)
{
        struct phi_exp_detector *p = pe_of(d);

        p->head = 0;
        p->count = 0;
        p->sum = 0;
        /* Loaded now rather than at the first arrival, as phi does: the
         * same to callers, and mean_ns() reports it at once. */
        pe_push(p, p->first_estimate_ns);
}

static void pe_heartbeat(hb_detector_t *d, uint64_t interval_ns, bool first,
                         uint64_t seq, uint64_t send_ns)
{
        (void)seq;
        (void)send_ns;      /* inter-arrival times only */
        if (first)
                return;         /* the bootstrap is already in the ring */
        pe_push(pe_of(d), interval_ns);
}

static double pe_suspicion(const hb_detector_t *d, uint64_t elapsed_ns)
{
        double phi = (double)elapsed_ns / pe_of_const(d)->scale_ns;

        return phi < HB__PHI_MAX ? phi : HB__PHI_MAX;
}

static double pe_crossing(const hb_detector_t *d, double threshold)
{
        return threshold * pe_of_const(d)->scale_ns;
}

/* The samples and the bootstrap scale with the interval, as phi's. */
static void pe_set_interval(hb_detector_t *d, uint64_t old_ns,
                            uint64_t new_ns, double ratio)
{
        struct phi_exp_detector *p = pe_of(d);
        uint32_t n = p->count;

        (void)old_ns;
        (void)new_ns;
        p->sum = 0;
        for (uint32_t i = 0; i < n; i++) {
                uint32_t k = (p->head + p->window - n + i) % p->window;

                p->ring[k] = hb__scale_ns(p->ring[k], ratio, 0,
                                          HB__SAMPLE_MAX_NS);
                p->sum += p->ring[k];
        }
        p->first_estimate_ns = hb__scale_ns(p->first_estimate_ns, ratio,
                                            FIRST_ESTIMATE_MIN_NS,
                                            HB__SAMPLE_MAX_NS);
        p->mean_ns = (double)p->sum / (double)p->count;
        if (p->mean_ns < MEAN_MIN_NS)
                p->mean_ns = MEAN_MIN_NS;
        p->scale_ns = p->mean_ns * M_LN10;
}

static double pe_mean_ns(const hb_detector_t *d)
{
        return pe_of_const(d)->mean_ns;
}

static double pe_std_dev_ns(const hb_detector_t *d)
{
        /* The exponential's standard deviation is its mean. */
        return pe_of_const(d)->mean_ns;
}

static const hb_detector_param_t pe_params[] = {
        HB__PARAM_WINDOW,
        HB__PARAM_FIRST_ESTIMATE,
};

const struct hb__detector_ops hb__detector_phi_exp_ops = {
        .kind = HB_DETECTOR_PHI_EXP,
        .name = "phi_exp",
        .suspicion_unit = "phi",
        .params = pe_params,
        .n_params = HB__N_PARAMS(pe_params),
        .suspect_threshold = 3.0,
        .dead_threshold = 4.0,
        .validate = pe_validate,
        .memory = pe_memory,
        .init = pe_init,
        .reset = pe_reset,
        .heartbeat = pe_heartbeat,
        .suspicion = pe_suspicion,
        .crossing = pe_crossing,
        .mean_ns = pe_mean_ns,
        .std_dev_ns = pe_std_dev_ns,
        .set_interval = pe_set_interval,
};
