/* SPDX-License-Identifier: MIT */
/*
 * detector_bertier.c - Bertier, Marin, Sens's adaptable failure detector
 * (HB_DETECTOR_BERTIER, detector.h).
 *
 * Source: M. Bertier, O. Marin, P. Sens, "Implementation and performance
 * evaluation of an adaptable failure detector", DSN 2002. The expected
 * arrival time EA is Chen's (detector_chen.c, struct hb__ea); the safety
 * margin alpha, fixed in Chen's detector, is re-estimated at each arrival
 * with Jacobson's RTT estimator (V. Jacobson, "Congestion avoidance and
 * control", SIGCOMM 1988):
 *
 *     error_k   = A_k - EA_k - delay_k
 *     delay_k+1 = delay_k + gamma error_k
 *     var_k+1   = var_k + gamma (|error_k| - var_k)
 *     alpha_k+1 = beta delay_k+1 + phi var_k+1
 *     tau_k+1   = EA_k+1 + alpha_k+1
 *
 * with EA_k the expected arrival of heartbeat k as estimated before it
 * arrived (for the arrival's own sequence number: a lost heartbeat is not
 * an error). Defaults beta 1, phi 4, gamma 0.1, Bertier et al.'s (Jacobson's
 * retransmission timeout is likewise srtt + 4 rttvar). delay and var start
 * at 0.
 *
 * Suspicion follows chen's convention with the current margin:
 *
 *     suspicion(now) = max(0, (now - EA) / max(alpha, floor))
 *     floor          = max(1 ms, interval / 4)
 *
 * The floor is ours, not the paper's: on a steady network the errors go to
 * 0 and so does alpha, and a margin of a few microseconds would suspect a
 * peer for any scheduling hiccup (and make "k margins" meaningless). It is
 * a quarter interval for the reason phi's sigma floor is (detector_phi.c),
 * and at least 1 ms, the resolution of the sender's timer. Thresholds:
 * suspect 1 (Bertier's tau), dead 16 (16 margins; at the floor, 4
 * intervals past EA, so the dead verdict tolerates three lost heartbeats as
 * the fixed detector's 5 intervals do). docs/detectors.md has the timings.
 *
 * Crossing: exact, EA + threshold x max(alpha, floor). Rebase: as chen.
 * Cost: O(1) heartbeat (chen's plus three multiply-adds), O(1) suspicion.
 * Memory: chen's plus three doubles.
 *
 * Who calls it: only detector.c, through hb__detector_bertier_ops.
 */
#include <errno.h>
#include <math.h>

#include "hbeat/detector.h"
#include "core/detector_impl.h"

#define FLOOR_MIN_NS HB_NS_PER_MS
/* Parameter ranges (also the config loader's). */
#define WEIGHT_MAX 100.0

struct bertier_detector {
        struct hb_detector base;        /* first: see detector_impl.h */
        double delay_ns;                /* Jacobson's mean error, ns */
        struct hb__ea ea;
        double var_ns;                  /* Jacobson's mean deviation, ns */
        double alpha_ns;                /* margin in use, floor applied */
        double floor_ns;
        double beta, phi, gamma;        /* from the config */
        int64_t ring[];                 /* x_i, see struct hb__ea */
};

static struct bertier_detector *bertier_of(hb_detector_t *d)
{
        return (struct bertier_detector *)d;
}

static const struct bertier_detector *bertier_of_const(const hb_detector_t *d)
{
        return (const struct bertier_detector *)d;
}

static int bertier_validate(const hb_detector_config_t *cfg)
{
        if (cfg->window < HB_PHI_WINDOW_MIN ||
            cfg->window > HB_PHI_WINDOW_MAX)
                return -EINVAL;
        /* Written so that NaN fails every check. */
        if (!(cfg->bertier_beta >= 0.0 && cfg->bertier_beta <= WEIGHT_MAX))
                return -EINVAL;
        if (!(cfg->bertier_phi >= 0.0 && cfg->bertier_phi <= WEIGHT_MAX))
                return -EINVAL;
        if (!(cfg->bertier_gamma > 0.0 && cfg->bertier_gamma <= 1.0))
                return -EINVAL;
        return 0;
}

static size_t bertier_memory(const hb_detector_config_t *cfg)
{
        return sizeof(struct bertier_detector) +
               (size_t)cfg->window * sizeof(int64_t);
}

static void bertier_init(hb_detector_t *d, const hb_detector_config_t *cfg)
{
        struct bertier_detector *b = bertier_of(d);
        uint64_t floor_ns = cfg->interval_ns / 4;

        b->beta = cfg->bertier_beta;
        b->phi = cfg->bertier_phi;
        b->gamma = cfg->bertier_gamma;
        b->floor_ns = (double)(floor_ns > FLOOR_MIN_NS ? floor_ns
                                                      : FLOOR_MIN_NS);
        hb__ea_init(&b->ea, cfg->window);
}

static void bertier_reset(hb_detector_t *d)
{
        struct bertier_detector *b = bertier_of(d);

        hb__ea_reset(&b->ea);
        b->delay_ns = 0.0;
        b->var_ns = 0.0;
        b->alpha_ns = b->floor_ns;
}

static void bertier_heartbeat(hb_detector_t *d, uint64_t interval_ns,
                              bool first, uint64_t seq, uint64_t send_ns)
{
        struct bertier_detector *b = bertier_of(d);
        double late, error, alpha;

        (void)interval_ns;      /* absolute times and seqs instead */
        late = hb__ea_arrival(&b->ea, b->ring, d->interval_ns, d->last_ns,
                              seq, send_ns, first);
        if (first)
                return;         /* no prediction to compare with yet */
        error = late - b->delay_ns;
        b->delay_ns += b->gamma * error;
        b->var_ns += b->gamma * (fabs(error) - b->var_ns);
        alpha = b->beta * b->delay_ns + b->phi * b->var_ns;
        b->alpha_ns = alpha > b->floor_ns ? alpha : b->floor_ns;
}

static void bertier_rebase(hb_detector_t *d, uint64_t shift_ns)
{
        hb__ea_rebase(&bertier_of(d)->ea, shift_ns);
}

static double bertier_suspicion(const hb_detector_t *d, uint64_t elapsed_ns)
{
        const struct bertier_detector *b = bertier_of_const(d);
        double s = ((double)elapsed_ns - b->ea.next_ns) / b->alpha_ns;

        return s > 0.0 ? s : 0.0;
}

static double bertier_crossing(const hb_detector_t *d, double threshold)
{
        const struct bertier_detector *b = bertier_of_const(d);

        return b->ea.next_ns + threshold * b->alpha_ns;
}

/* The next expected arrival moves by the change; the margin's floor
 * (interval / 4) follows the interval, its estimate (delay and jitter,
 * not multiples of the interval) is kept. */
static void bertier_set_interval(hb_detector_t *d, uint64_t old_ns,
                                 uint64_t new_ns, double ratio)
{
        struct bertier_detector *b = bertier_of(d);
        uint64_t floor_ns = new_ns / 4;
        double alpha = b->beta * b->delay_ns + b->phi * b->var_ns;

        (void)ratio;
        hb__ea_set_interval(&b->ea, old_ns, new_ns);
        b->floor_ns = (double)(floor_ns > FLOOR_MIN_NS ? floor_ns
                                                      : FLOOR_MIN_NS);
        b->alpha_ns = alpha > b->floor_ns ? alpha : b->floor_ns;
}

static double bertier_mean_ns(const hb_detector_t *d)
{
        return bertier_of_const(d)->ea.next_ns;
}

static double bertier_std_dev_ns(const hb_detector_t *d)
{
        return bertier_of_const(d)->alpha_ns;
}

static const hb_detector_param_t bertier_params[] = {
        HB__PARAM_WINDOW,
        { .key = "bertier_beta", .type = HB_DETECTOR_PARAM_REAL, .unit = "",
          .min = 0, .max = WEIGHT_MAX,
          .offset = offsetof(hb_detector_config_t, bertier_beta),
          .help = "Weight of the estimated delay in the margin." },
        { .key = "bertier_phi", .type = HB_DETECTOR_PARAM_REAL, .unit = "",
          .min = 0, .max = WEIGHT_MAX,
          .offset = offsetof(hb_detector_config_t, bertier_phi),
          .help = "Weight of the estimated delay variation in the "
                  "margin." },
        { .key = "bertier_gamma", .type = HB_DETECTOR_PARAM_REAL, .unit = "",
          .min = 0, .max = 1, .flags = HB_DETECTOR_PARAM_MIN_OPEN,
          .offset = offsetof(hb_detector_config_t, bertier_gamma),
          .help = "Gain of the delay and variation estimators." },
};

const struct hb__detector_ops hb__detector_bertier_ops = {
        .kind = HB_DETECTOR_BERTIER,
        .name = "bertier",
        .suspicion_unit = "margins",
        .params = bertier_params,
        .n_params = HB__N_PARAMS(bertier_params),
        .suspect_threshold = 1.0,
        .dead_threshold = 16.0,
        .validate = bertier_validate,
        .memory = bertier_memory,
        .init = bertier_init,
        .reset = bertier_reset,
        .heartbeat = bertier_heartbeat,
        .rebase = bertier_rebase,
        .suspicion = bertier_suspicion,
        .crossing = bertier_crossing,
        .mean_ns = bertier_mean_ns,
        .std_dev_ns = bertier_std_dev_ns,
        .set_interval = bertier_set_interval,
};
