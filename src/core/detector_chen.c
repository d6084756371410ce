/* SPDX-License-Identifier: MIT */
/*
 * detector_chen.c - Chen, Toueg, Aguilera's NFD-E (HB_DETECTOR_CHEN,
 * detector.h), and the expected-arrival estimator it shares with
 * detector_bertier.c (struct hb__ea, detector_impl.h).
 *
 * Source: W. Chen, S. Toueg, M. K. Aguilera, "On the quality of service of
 * failure detectors", IEEE Trans. Computers 51(5), 2002, section 6 (NFD-E:
 * the sender's clock is not synchronized with ours, the message delay
 * distribution is unknown and estimated). The sender sends heartbeat s at
 * time s x eta of its own clock; after receiving, at A_i, the heartbeats
 * with sequence numbers s_i of the last n arrivals, the receiver estimates
 * when the next one (s_l + 1) should arrive:
 *
 *     EA_{l+1} = (1/n) sum_i (A_i - eta s_i) + eta (s_l + 1)
 *
 * (each A_i - eta s_i is "send-time origin plus delay" of one heartbeat;
 * their mean is the estimate), and trusts the sender until the freshness
 * point tau_{l+1} = EA_{l+1} + alpha. Here the output is a level rather
 * than trust/suspect:
 *
 *     suspicion(now) = max(0, (now - EA_{l+1}) / alpha)
 *
 * so threshold 1 is Chen's tau, and threshold k means k margins past the
 * expected arrival. Linear in now: the crossing is exact,
 * EA + threshold x alpha (detector.c still checks it against suspicion()).
 *
 * Sequence numbers: the arrival's sequence number when known and newer
 * than the last one (a lost heartbeat then does not shift the estimate);
 * otherwise, seq 0 (unknown) or not newer (duplicate, reordered), the
 * arrival is counted as the next number s_l + 1, as if nothing had been
 * lost (a loss then reads as a delay of eta on that and later samples
 * until it leaves the window). n = `window`; before n arrivals, the mean
 * is over those so far (EA_2 = A_1 + eta).
 *
 * Exactness: x_i = (A_i - origin_a) - eta (s_i - origin_s) relative to the
 * first arrival, computed in 128 bits and kept as int64 (clamped to
 * +-2^62 ns, 146 years: beyond any real history), with their exact sum in
 * 128 bits, so the running sum never drifts. EA_{l+1} - A_l = eta +
 * (sum - n x_l) / n is computed from an exact integer numerator,
 * rounded once, then divided once; suspicion() works in elapsed time from
 * it, one subtraction and one division.
 *
 * Rebase (hb_detector_rebase(), after a pause of this node): the last
 * arrival moves and EA moves with it (EA - last is kept). The history is
 * made to agree lazily, at the next recorded arrival: if that arrival is
 * counted (no usable seq), the origin moves by the same amount, i.e. the
 * whole history is taken as that much later, otherwise the new arrival
 * would look late by the pause; if its seq is known, nothing moves: the
 * sequence numbers already say how much of the silence was the sender's
 * schedule.
 *
 * Cost: heartbeat O(1) (ring update, one 128-bit product and division by
 * n), suspicion O(1). Memory: 8 bytes per window slot plus the header.
 *
 * Who calls it: only detector.c, through hb__detector_chen_ops, and
 * detector_bertier.c (hb__ea_*()).
 */
#include <errno.h>
#include <math.h>

#include "hbeat/detector.h"
#include "core/detector_impl.h"

#define ALPHA_MIN_NS UINT64_C(1000)
/* 4 x the largest interval: the default 3 x interval is always valid. */
#define ALPHA_MAX_NS (4 * 3600 * HB_NS_PER_S)
/* Bound of the stored x_i, ns. */
#define X_MAX ((int64_t)1 << 62)

/* ---- expected arrival (shared with bertier) --------------------------- */

void hb__ea_init(struct hb__ea *ea, uint32_t window)
{
        ea->window = window;
}

void hb__ea_reset(struct hb__ea *ea)
{
        uint32_t window = ea->window;

        *ea = (struct hb__ea){ .window = window };
}

static void ea_push(struct hb__ea *ea, int64_t *ring, int64_t x)
{
        if (ea->count == ea->window)
                ea->sum -= ring[ea->head];
        else
                ea->count++;
        ring[ea->head] = x;
        ea->head = ea->head + 1 == ea->window ? 0 : ea->head + 1;
        ea->sum += x;
}

static int64_t clamp_x(__int128 x)
{
        if (x > X_MAX)
                return X_MAX;
        if (x < -X_MAX)
                return -X_MAX;
        return (int64_t)x;
}

double hb__ea_arrival(struct hb__ea *ea, int64_t *ring, uint64_t interval_ns,
                      uint64_t a_ns, uint64_t seq, bool first)
{
        const __int128 eta = interval_ns;
        __int128 n, num;
        uint64_t s;
        int64_t x;
        double late;

        if (first) {
                s = seq != 0 ? seq : 1;
                ea->origin_a = a_ns;
                ea->origin_s = s;
                ea->s_last = s;
                ea->shift_ns = 0;
                ea_push(ea, ring, 0);
                /* One sample: EA_2 = A_1 - eta s_1 + eta (s_1 + 1). */
                ea->next_ns = (double)interval_ns;
                return 0.0;
        }
        if (seq != 0 && seq > ea->s_last) {
                s = seq;
        } else {
                s = ea->s_last == UINT64_MAX ? UINT64_MAX : ea->s_last + 1;
                /* Counted: the silence a rebase skipped is not in the
                 * sequence numbers, so move the history with it. */
                ea->origin_a = ea->origin_a > UINT64_MAX - ea->shift_ns
                                       ? UINT64_MAX
                                       : ea->origin_a + ea->shift_ns;
        }
        ea->shift_ns = 0;
        /* s >= s_last >= origin_s: the product is < 2^42 x 2^64. */
        x = clamp_x((__int128)a_ns - (__int128)ea->origin_a -
                    eta * (__int128)(s - ea->origin_s));

        /* A - EA as predicted for this arrival before it: x - mean of
         * the window so far, from the exact numerator n x - sum. */
        n = ea->count;
        late = (double)(n * x - ea->sum) / (double)n;

        ea_push(ea, ring, x);
        ea->s_last = s;
        /* EA_{l+1} - A_l = eta + mean(x) - x_l = (n eta + sum - n x) / n. */
        n = ea->count;
        num = n * eta + ea->sum - n * x;
        ea->next_ns = (double)num / (double)n;
        return late;
}

/* ---- the chen kind ----------------------------------------------------- */

struct chen_detector {
        struct hb_detector base;        /* first: see detector_impl.h */
        uint64_t alpha_ns;              /* safety margin, from the config */
        struct hb__ea ea;
        int64_t ring[];                 /* x_i, see struct hb__ea */
};

static struct chen_detector *chen_of(hb_detector_t *d)
{
        return (struct chen_detector *)d;
}

static const struct chen_detector *chen_of_const(const hb_detector_t *d)
{
        return (const struct chen_detector *)d;
}

static int chen_validate(const hb_detector_config_t *cfg)
{
        if (cfg->window < HB_PHI_WINDOW_MIN ||
            cfg->window > HB_PHI_WINDOW_MAX)
                return -EINVAL;
        if (cfg->chen_alpha_ns < ALPHA_MIN_NS ||
            cfg->chen_alpha_ns > ALPHA_MAX_NS)
                return -EINVAL;
        return 0;
}

static size_t chen_memory(const hb_detector_config_t *cfg)
{
        return sizeof(struct chen_detector) +
               (size_t)cfg->window * sizeof(int64_t);
}

static void chen_init(hb_detector_t *d, const hb_detector_config_t *cfg)
{
        struct chen_detector *c = chen_of(d);

        c->alpha_ns = cfg->chen_alpha_ns;
        hb__ea_init(&c->ea, cfg->window);
}

static void chen_reset(hb_detector_t *d)
{
        hb__ea_reset(&chen_of(d)->ea);
}

static void chen_heartbeat(hb_detector_t *d, uint64_t interval_ns, bool first,
                           uint64_t seq)
{
        struct chen_detector *c = chen_of(d);

        (void)interval_ns;      /* absolute times and seqs instead */
        (void)hb__ea_arrival(&c->ea, c->ring, d->interval_ns, d->last_ns, seq,
                             first);
}

static void chen_rebase(hb_detector_t *d, uint64_t shift_ns)
{
        hb__ea_rebase(&chen_of(d)->ea, shift_ns);
}

static double chen_suspicion(const hb_detector_t *d, uint64_t elapsed_ns)
{
        const struct chen_detector *c = chen_of_const(d);
        double s = ((double)elapsed_ns - c->ea.next_ns) / (double)c->alpha_ns;

        return s > 0.0 ? s : 0.0;
}

static double chen_crossing(const hb_detector_t *d, double threshold)
{
        const struct chen_detector *c = chen_of_const(d);

        return c->ea.next_ns + threshold * (double)c->alpha_ns;
}

static double chen_mean_ns(const hb_detector_t *d)
{
        return chen_of_const(d)->ea.next_ns;
}

static double chen_std_dev_ns(const hb_detector_t *d)
{
        return (double)chen_of_const(d)->alpha_ns;
}

static const hb_detector_param_t chen_params[] = {
        HB__PARAM_WINDOW,
        { .key = "chen_alpha_ms", .type = HB_DETECTOR_PARAM_MS_FRAC,
          .unit = "ms", .min = HB__MS(ALPHA_MIN_NS),
          .max = HB__MS(ALPHA_MAX_NS),
          .offset = offsetof(hb_detector_config_t, chen_alpha_ns),
          .help = "Safety margin added to the expected arrival time; "
                  "suspicion 1 is one margin late." },
};

const struct hb__detector_ops hb__detector_chen_ops = {
        .kind = HB_DETECTOR_CHEN,
        .name = "chen",
        .suspicion_unit = "margins",
        .params = chen_params,
        .n_params = HB__N_PARAMS(chen_params),
        .suspect_threshold = 1.0,
        .dead_threshold = 2.0,
        .validate = chen_validate,
        .memory = chen_memory,
        .init = chen_init,
        .reset = chen_reset,
        .heartbeat = chen_heartbeat,
        .rebase = chen_rebase,
        .suspicion = chen_suspicion,
        .crossing = chen_crossing,
        .mean_ns = chen_mean_ns,
        .std_dev_ns = chen_std_dev_ns,
};
