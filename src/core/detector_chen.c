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
 * The sender's schedule: send times when heartbeats carry them. Chen's
 * sender sends heartbeat s at s x eta, so seq x eta is its send time; a
 * real sender is not that regular. When hbeatd (or a JVM, a VM) stalls,
 * its timer skips the slots it missed but the next heartbeat still takes
 * seq + 1, so seq x eta falls behind the real send times by the stall
 * and every later EA runs early by it until the stall leaves the window:
 * a healthy peer suspected at every heartbeat after each stall. So when
 * the first arrival carries its send time sigma (hbeatd's heartbeats
 * always do; 0 = unknown), eta s_i is read as sigma_i throughout:
 *
 *     EA_{l+1} = (1/n) sum_i (A_i - sigma_i) + sigma_l + eta
 *
 * (the mean of "clock offset plus delay", plus the next send time as the
 * sender's clock predicts it). Loss and stalls then move nothing: the
 * send times say where the sender was. Only differences of send times
 * are used, so the two clocks need no synchronisation; their drift rate
 * biases the mean by drift x n x eta / 2, as it does with seqs.
 *
 * Otherwise sequence numbers: the arrival's sequence number when known
 * and newer than the last one (a lost heartbeat then does not shift the
 * estimate). In both modes an arrival without a usable value (0, or not
 * newer than the last one: duplicate, reordered) is counted as the next
 * one, s_l + 1 (or sigma_l + eta), as if nothing had been lost (a loss
 * then reads as a delay of eta on that and later samples until it leaves
 * the window). Send times take over from the first arrival that carries
 * one (the schedule goes on from that heartbeat's place, so the history
 * stays valid). n = `window`; before n arrivals, the mean is over those so far
 * (EA_2 = A_1 + eta).
 *
 * Exactness: x_i = (A_i - origin_a) - pos_i, where pos_i is the
 * heartbeat's place in the schedule in ns after the first arrival's
 * (eta (s_i - s_1), or sigma_i - sigma_1, summed arrival by arrival in
 * integers), computed in 128 bits and kept as int64 (clamped to
 * +-2^62 ns, 146 years: beyond any real history), with their exact sum in
 * 128 bits, so the running sum never drifts. EA_{l+1} - A_l = eta +
 * (sum - n x_l) / n is computed from an exact integer numerator,
 * rounded once, then divided once; suspicion() works in elapsed time from
 * it, one subtraction and one division.
 *
 * Rebase (hb_detector_rebase(), after a pause of this node): the last
 * arrival moves and EA moves with it (EA - last is kept). The history is
 * made to agree lazily, at the next recorded arrival: if that arrival is
 * counted (no usable seq or send time), the origin moves by the same
 * amount, i.e. the whole history is taken as that much later, otherwise
 * the new arrival would look late by the pause; if its seq (send time) is
 * known, nothing moves: it already says how much of the silence was the
 * sender's schedule.
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

/* a + b, saturating at UINT64_MAX. */
static uint64_t add_sat(uint64_t a, __int128 b)
{
        __int128 r = (__int128)a + b;

        return r > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

double hb__ea_arrival(struct hb__ea *ea, int64_t *ring, uint64_t interval_ns,
                      uint64_t a_ns, uint64_t seq, uint64_t send_ns,
                      bool first)
{
        const __int128 eta = interval_ns;
        __int128 n, num;
        bool counted;
        int64_t x;
        double late;

        if (first) {
                ea->origin_a = a_ns;
                ea->pos_ns = 0;
                ea->s_last = seq != 0 ? seq : 1;
                ea->send_last = send_ns;
                ea->by_send = send_ns != 0;
                ea->shift_ns = 0;
                ea_push(ea, ring, 0);
                /* One sample: EA_2 = A_1 - eta s_1 + eta (s_1 + 1). */
                ea->next_ns = (double)interval_ns;
                return 0.0;
        }
        /* Where the sender's schedule puts this heartbeat, ns after the
         * first: by send times, or by seqs until a send time is known. */
        if (ea->by_send) {
                counted = send_ns == 0 || send_ns <= ea->send_last;
                if (!counted) {
                        ea->pos_ns = add_sat(ea->pos_ns,
                                             send_ns - ea->send_last);
                        ea->send_last = send_ns;
                } else {
                        ea->pos_ns = add_sat(ea->pos_ns, eta);
                        ea->send_last = add_sat(ea->send_last, eta);
                }
        } else {
                counted = seq == 0 || seq <= ea->s_last;
                /* < 2^64 x 2^64: no overflow in 128 bits. */
                ea->pos_ns = add_sat(ea->pos_ns,
                                     counted ? eta
                                             : eta * (seq - ea->s_last));
                if (send_ns != 0) {
                        /* From here on, send times: the schedule goes on
                         * from this heartbeat, so the history stays. */
                        ea->by_send = true;
                        ea->send_last = send_ns;
                }
        }
        if (seq != 0 && seq > ea->s_last)
                ea->s_last = seq;
        else if (counted && ea->s_last < UINT64_MAX)
                ea->s_last++;
        if (counted) {
                /* The silence a rebase skipped is not in the sender's
                 * schedule, so move the history with it. */
                ea->origin_a = add_sat(ea->origin_a, ea->shift_ns);
        }
        ea->shift_ns = 0;
        x = clamp_x((__int128)a_ns - (__int128)ea->origin_a -
                    (__int128)ea->pos_ns);

        /* A - EA as predicted for this arrival before it: x - mean of
         * the window so far, from the exact numerator n x - sum. */
        n = ea->count;
        late = (double)(n * x - ea->sum) / (double)n;

        ea_push(ea, ring, x);
        /* EA_{l+1} - A_l = eta + mean(x) - x_l = (n eta + sum - n x) / n. */
        n = ea->count;
        num = n * eta + ea->sum - n * x;
        ea->next_ns = (double)num / (double)n;
        return late;
}

void hb__ea_set_interval(struct hb__ea *ea, uint64_t old_ns, uint64_t new_ns)
{
        /* EA_{l+1} - A_l = eta + mean(x) - x_l: only eta changes. The
         * history x_i is lateness against the sender's schedule, which
         * does not depend on the rate; later positions by seq count the
         * new eta. */
        ea->next_ns += (double)new_ns - (double)old_ns;
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
                           uint64_t seq, uint64_t send_ns)
{
        struct chen_detector *c = chen_of(d);

        (void)interval_ns;      /* absolute times and seqs instead */
        (void)hb__ea_arrival(&c->ea, c->ring, d->interval_ns, d->last_ns, seq,
                             send_ns, first);
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

/* The next expected arrival moves by the change; the margin, a multiple
 * of the interval by default, scales with it. */
static void chen_set_interval(hb_detector_t *d, uint64_t old_ns,
                              uint64_t new_ns, double ratio)
{
        struct chen_detector *c = chen_of(d);

        hb__ea_set_interval(&c->ea, old_ns, new_ns);
        c->alpha_ns = hb__scale_ns(c->alpha_ns, ratio, ALPHA_MIN_NS,
                                   ALPHA_MAX_NS);
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
        .set_interval = chen_set_interval,
};
