/* SPDX-License-Identifier: MIT */
/*
 * detector.c - the common part of the failure detectors (detector.h).
 *
 * What lives here: configuration defaults and validation, the parameter
 * schema each kind publishes (hb_detector_param_at(): the kinds' params
 * tables, merged by key for HB_DETECTOR_ALL) and what its suspicion
 * counts, the registry of algorithms (ops tables from detector_fixed.c,
 * detector_phi.c, detector_chen.c, detector_bertier.c, detector_phi_exp.c
 * and detector_adaptive.c, see detector_impl.h), creation and release, the
 * generic "no arrival yet" state, clamping of out-of-order arrivals,
 * rebasing after a local pause, and crossing-time refinement (also from
 * a prepared level, hb_detector_level_prepare()). Each
 * algorithm only turns an arrival history into a suspicion level and gives
 * a first estimate of when that level reaches a threshold.
 *
 * Who calls it: the peer state machine (node.c) keeps one detector per
 * peer, feeds it the local arrival time of each accepted heartbeat and asks
 * for the time at which the suspect or dead threshold will be crossed, so
 * the core keeps one deadline per peer instead of polling; tools (hbeatctl,
 * hbeat-sim, the trace evaluator) use hb_phi() and the same objects.
 *
 * Sources: fixed timeout in missed intervals (the classic k x interval
 * rule); phi accrual, Hayashibara, Defago, Yared, Katayama, "The phi accrual
 * failure detector", SRDS 2004, with the refinements of Akka's
 * PhiAccrualFailureDetector (see detector_phi.c) and with Cassandra's
 * exponential model (detector_phi_exp.c); Chen, Toueg, Aguilera, "On the
 * quality of service of failure detectors", IEEE Trans. Computers 51(5),
 * 2002 (detector_chen.c); Bertier, Marin, Sens, "Implementation and
 * performance evaluation of an adaptable failure detector", DSN 2002
 * (detector_bertier.c); the percentile-driven adaptive timeout of
 * ../shared/seeds/004 (detector_adaptive.c). docs/detectors.md has the
 * formulas, parameters and default timings.
 *
 * Pure code: no clock, no I/O, no logging, no global mutable state.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "hbeat/detector.h"
#include "core/alloc.h"
#include "core/detector_impl.h"

#define INTERVAL_MIN_NS HB_NS_PER_MS
#define INTERVAL_MAX_NS (3600 * HB_NS_PER_S)

/*
 * Crossing refinement: a first step of 1 µs (the precision promised by
 * hb_detector_crossing_ns()), and a few linear steps before galloping, so
 * an estimate a little off costs one or two extra suspicion evaluations.
 */
#define CROSSING_STEP_NS UINT64_C(1000)
#define CROSSING_LINEAR_STEPS 4

static const struct hb__detector_ops *const detector_ops[] = {
        &hb__detector_fixed_ops,
        &hb__detector_phi_ops,
        &hb__detector_chen_ops,
        &hb__detector_bertier_ops,
        &hb__detector_phi_exp_ops,
        &hb__detector_adaptive_ops,
};

#define N_OPS (sizeof(detector_ops) / sizeof(*detector_ops))

static const struct hb__detector_ops *ops_of(hb_detector_kind_t kind)
{
        for (size_t i = 0; i < N_OPS; i++)
                if (detector_ops[i]->kind == kind)
                        return detector_ops[i];
        return NULL;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
        uint64_t r;

        if (__builtin_mul_overflow(a, b, &r))
                return UINT64_MAX;
        return r;
}

void hb_detector_config_default(hb_detector_config_t *cfg,
                                hb_detector_kind_t kind, uint64_t interval_ns)
{
        if (cfg == NULL)
                return;
        /* Every kind's fields are filled whatever `kind` is: each kind
         * ignores the others' fields, and a caller switching kind gets
         * sane values. The reasons for each default are in
         * docs/detectors.md. */
        *cfg = (hb_detector_config_t){
                .kind = kind,
                .interval_ns = interval_ns,
                .window = HB_PHI_WINDOW_DEFAULT,
                .min_std_dev_ns = interval_ns / 4,
                .acceptable_pause_ns = mul_sat(interval_ns, 4),
                .first_estimate_ns = interval_ns,
                .chen_alpha_ns = mul_sat(interval_ns, 3),
                .bertier_beta = 1.0,
                .bertier_phi = 4.0,
                .bertier_gamma = 0.1,
                .adaptive_initial_ns = mul_sat(interval_ns, 3),
                .adaptive_min_ns = mul_sat(interval_ns, 3),
                .adaptive_max_ns = mul_sat(interval_ns, 30),
                .adaptive_dampening_ns =
                        mul_sat(interval_ns, HB_PHI_WINDOW_DEFAULT),
                .adaptive_raise = 1.5,
                .adaptive_lower = 0.75,
                .adaptive_high_ratio = 2.0,
                .adaptive_low_ratio = 1.5,
        };
}

int hb_detector_config_validate(const hb_detector_config_t *cfg)
{
        const struct hb__detector_ops *ops;

        if (cfg == NULL)
                return -EINVAL;
        /* Room for later versions' parameters: 0 is their default. */
        for (size_t i = 0; i < HB_ARRAY_SIZE(cfg->reserved); i++)
                if (cfg->reserved[i] != 0)
                        return -EINVAL;
        ops = ops_of(cfg->kind);
        if (ops == NULL)
                return -EINVAL;
        if (cfg->interval_ns < INTERVAL_MIN_NS ||
            cfg->interval_ns > INTERVAL_MAX_NS)
                return -EINVAL;
        return ops->validate(cfg);
}

double hb_detector_default_suspect_threshold(hb_detector_kind_t kind)
{
        const struct hb__detector_ops *ops = ops_of(kind);

        /* 0 for an unknown kind: "not positive", so any threshold check
         * downstream rejects it. */
        return ops != NULL ? ops->suspect_threshold : 0.0;
}

double hb_detector_default_dead_threshold(hb_detector_kind_t kind)
{
        const struct hb__detector_ops *ops = ops_of(kind);

        return ops != NULL ? ops->dead_threshold : 0.0;
}

int hb_detector_new(hb_detector_t **ret, const hb_detector_config_t *cfg)
{
        const struct hb__detector_ops *ops;
        hb_detector_t *d;
        size_t size;

        if (ret == NULL || hb_detector_config_validate(cfg) < 0)
                return -EINVAL;
        ops = ops_of(cfg->kind);
        size = ops->memory(cfg);
        assert(size >= sizeof(*d));
        d = hb__calloc(1, size);
        if (d == NULL)
                return -ENOMEM;
        d->ops = ops;
        d->interval_ns = cfg->interval_ns;
        d->memory = size;
        ops->init(d, cfg);
        ops->reset(d);
        *ret = d;
        return 0;
}

void hb_detector_free(hb_detector_t *d)
{
        hb__free(d);
}

void hb_detector_reset(hb_detector_t *d)
{
        if (d == NULL)
                return;
        d->last_ns = 0;
        d->arrivals = 0;
        d->ops->reset(d);
}

void hb_detector_rebase(hb_detector_t *d, uint64_t now_ns)
{
        uint64_t shift;

        /* Nothing to move before the first arrival; an earlier `now`
         * would run the detector's clock backwards. */
        if (d == NULL || d->arrivals == 0 || now_ns <= d->last_ns)
                return;
        shift = now_ns - d->last_ns;
        d->last_ns = now_ns;
        if (d->ops->rebase != NULL)
                d->ops->rebase(d, shift);
}

void hb_detector_heartbeat(hb_detector_t *d, uint64_t now_ns)
{
        hb_detector_heartbeat_seq(d, now_ns, 0);
}

void hb_detector_heartbeat_seq(hb_detector_t *d, uint64_t now_ns,
                               uint64_t seq)
{
        hb_detector_heartbeat_sent(d, now_ns, seq, 0);
}

void hb_detector_heartbeat_sent(hb_detector_t *d, uint64_t now_ns,
                                uint64_t seq, uint64_t send_ns)
{
        uint64_t interval_ns = 0;
        bool first;

        if (d == NULL)
                return;
        first = d->arrivals == 0;
        if (first) {
                d->last_ns = now_ns;
        } else if (now_ns > d->last_ns) {
                interval_ns = now_ns - d->last_ns;
                d->last_ns = now_ns;
        }
        /* else: earlier than the last arrival (reordering between links,
         * or a caller's clock mix-up): interval 0, last arrival kept, so
         * time never runs backwards for the detector. */
        d->arrivals++;
        d->ops->heartbeat(d, interval_ns, first, seq, send_ns);
}

int hb_detector_set_interval(hb_detector_t *d, uint64_t interval_ns,
                             uint64_t now_ns)
{
        uint64_t old;

        if (d == NULL || interval_ns < INTERVAL_MIN_NS ||
            interval_ns > INTERVAL_MAX_NS)
                return -EINVAL;
        old = d->interval_ns;
        if (interval_ns == old)
                return 0;
        if (d->ops->set_interval != NULL)
                d->ops->set_interval(d, old, interval_ns,
                                     (double)interval_ns / (double)old);
        d->interval_ns = interval_ns;
        /* Every kind applies the change at once (history rescaled, not
         * restarted): now_ns is kept in the interface for kinds that
         * would date it (detector.h). */
        (void)now_ns;
        return 0;
}

uint64_t hb_detector_interval_ns(const hb_detector_t *d)
{
        return d != NULL ? d->interval_ns : 0;
}

static uint64_t elapsed_at(const hb_detector_t *d, uint64_t now_ns)
{
        return now_ns > d->last_ns ? now_ns - d->last_ns : 0;
}

double hb_detector_suspicion(const hb_detector_t *d, uint64_t now_ns)
{
        if (d == NULL || d->arrivals == 0)
                return 0.0;
        return d->ops->suspicion(d, elapsed_at(d, now_ns));
}

bool hb_detector_available(const hb_detector_t *d, uint64_t now_ns,
                           double threshold)
{
        /* NULL behaves as a detector without arrivals. */
        if (d == NULL || d->arrivals == 0)
                return true;
        return d->ops->suspicion(d, elapsed_at(d, now_ns)) < threshold;
}

/* suspicion(e) >= thr, from a prepared level's bounds `b` when they
 * tell (ops->reached()), else from suspicion() itself. */
static inline bool at_or_above(const hb_detector_t *d, double thr,
                               const double *b, uint64_t e)
{
        if (b != NULL && d->ops->reached != NULL) {
                int r = d->ops->reached(d, b, e);

                if (r >= 0)
                        return r;
        }
        return d->ops->suspicion(d, e) >= thr;
}

/*
 * Smallest elapsed time e in [0, emax] with suspicion(e) >= thr, to within
 * CROSSING_STEP_NS above, or UINT64_MAX if suspicion stays below thr up to
 * emax. Relies only on suspicion being non-decreasing, so any estimate,
 * however wrong (rounding, saturation of phi, a non-finite value), gives a
 * correct answer; a good estimate gives it in two evaluations:
 *
 *   1. g = ceil(estimate), clamped to [0, emax].
 *   2. If suspicion(g) >= thr: step back 1 µs; below thr there means g is
 *      within 1 µs of the crossing: done. Else gallop back (doubling) to
 *      a point below thr (0 at worst, checked).
 *   3. Else step forward 1 µs a few times, then gallop forward to a point
 *      at or above thr (emax at worst; below thr there: never).
 *   4. Bisect the bracket [lo below, hi at or above] down to 1 ns.
 *
 * Every loop is bounded: galloping doubles the step (at most ~64 rounds)
 * and stops at 0 or emax; bisection halves a 64-bit range.
 *
 * `b`: a prepared level's bounds (ops->bounds()), or NULL; each check
 * "suspicion(e) >= thr" asks ops->reached() first, with the same answer
 * (its contract), so the result is the same with or without them.
 */
static uint64_t crossing_elapsed(const hb_detector_t *d, double thr,
                                 double prepared, const double *b,
                                 uint64_t emax)
{
        double est = d->ops->crossing(d, prepared);
        uint64_t step = CROSSING_STEP_NS;
        uint64_t g, lo, hi;

        if (!(est > 0.0))               /* also NaN */
                g = 0;
        else if (est >= (double)emax)
                g = emax;
        else
                g = (uint64_t)ceil(est);
        if (g > emax)
                g = emax;

        if (at_or_above(d, thr, b, g)) {
                hi = g;
                for (;;) {
                        if (hi == 0)
                                return 0;
                        lo = hi > step ? hi - step : 0;
                        if (!at_or_above(d, thr, b, lo))
                                break;
                        hi = lo;
                        if (step < UINT64_MAX / 2)
                                step *= 2;
                }
        } else {
                lo = g;
                for (int i = 0;; i++) {
                        if (lo == emax)
                                return UINT64_MAX;
                        hi = emax - lo > step ? lo + step : emax;
                        if (at_or_above(d, thr, b, hi))
                                break;
                        lo = hi;
                        if (i >= CROSSING_LINEAR_STEPS &&
                            step < UINT64_MAX / 2)
                                step *= 2;
                }
        }
        if (hi - lo <= CROSSING_STEP_NS)
                return hi;
        while (hi - lo > 1) {
                uint64_t mid = lo + (hi - lo) / 2;

                if (at_or_above(d, thr, b, mid))
                        hi = mid;
                else
                        lo = mid;
        }
        return hi;
}

/* The threshold-only part of the estimate (ops->prepare()), for a finite
 * threshold > 0. */
static double prepare(const struct hb__detector_ops *ops, double threshold)
{
        return ops->prepare != NULL ? ops->prepare(threshold) : threshold;
}

/* hb_detector_crossing_ns() once the threshold is known finite and > 0,
 * with `prepared` its prepare() and `b` its bounds (or NULL). */
static uint64_t crossing_ns(const hb_detector_t *d, double threshold,
                            double prepared, const double *b)
{
        uint64_t e;

        /* Above the largest representable time the answer is "never";
         * a crossing exactly at UINT64_MAX reads as HB_NEVER too. */
        e = crossing_elapsed(d, threshold, prepared, b,
                             UINT64_MAX - d->last_ns);
        if (e == UINT64_MAX)
                return HB_NEVER;
        return d->last_ns + e;
}

uint64_t hb_detector_crossing_ns(const hb_detector_t *d, double threshold)
{
        if (d == NULL || d->arrivals == 0 || !isfinite(threshold))
                return HB_NEVER;
        if (threshold <= 0.0)
                return d->last_ns;
        return crossing_ns(d, threshold, prepare(d->ops, threshold), NULL);
}

int hb_detector_level_prepare(hb_detector_level_t *lvl,
                              hb_detector_kind_t kind, double threshold)
{
        const struct hb__detector_ops *ops = ops_of(kind);

        if (lvl == NULL || ops == NULL)
                return -EINVAL;
        *lvl = (hb_detector_level_t){
                .threshold = threshold,
                .kind = kind,
                .prepared = { 0.0, NAN, NAN },
        };
        /* The thresholds crossing_ns() answers without an estimate need
         * no preparation (and phi's would be NaN for them). */
        if (isfinite(threshold) && threshold > 0.0) {
                lvl->prepared[0] = prepare(ops, threshold);
                if (ops->bounds != NULL)
                        ops->bounds(threshold, &lvl->prepared[1]);
        }
        return 0;
}

uint64_t hb_detector_level_crossing_ns(const hb_detector_t *d,
                                       const hb_detector_level_t *lvl)
{
        double threshold;

        if (d == NULL || lvl == NULL || lvl->kind != d->ops->kind ||
            d->arrivals == 0)
                return HB_NEVER;
        /* The same steps as hb_detector_crossing_ns(), so the same
         * answer to the ns: prepare() is not called again, and the
         * bounds answer for suspicion() where they can. */
        threshold = lvl->threshold;
        if (!isfinite(threshold))
                return HB_NEVER;
        if (threshold <= 0.0)
                return d->last_ns;
        return crossing_ns(d, threshold, lvl->prepared[0],
                           &lvl->prepared[1]);
}

bool hb_detector_level_reached(const hb_detector_t *d,
                               const hb_detector_level_t *lvl,
                               uint64_t now_ns)
{
        if (d == NULL || lvl == NULL || lvl->kind != d->ops->kind ||
            d->arrivals == 0)
                return false;
        /* Not-finite and non-positive thresholds keep no bounds (NaN):
         * suspicion() answers. */
        return at_or_above(d, lvl->threshold, &lvl->prepared[1],
                           elapsed_at(d, now_ns));
}

uint64_t hb_detector_last_arrival_ns(const hb_detector_t *d)
{
        if (d == NULL || d->arrivals == 0)
                return HB_NEVER;
        return d->last_ns;
}

uint64_t hb_detector_arrivals(const hb_detector_t *d)
{
        return d != NULL ? d->arrivals : 0;
}

double hb_detector_mean_ns(const hb_detector_t *d)
{
        return d != NULL ? d->ops->mean_ns(d) : 0.0;
}

double hb_detector_std_dev_ns(const hb_detector_t *d)
{
        return d != NULL ? d->ops->std_dev_ns(d) : 0.0;
}

size_t hb_detector_memory(const hb_detector_t *d)
{
        return d != NULL ? d->memory : 0;
}

hb_detector_kind_t hb_detector_kind(const hb_detector_t *d)
{
        /* 0 is no kind: NULL has none. */
        return d != NULL ? d->ops->kind : (hb_detector_kind_t)0;
}

const char *hb_detector_suspicion_unit(hb_detector_kind_t kind)
{
        const struct hb__detector_ops *ops = ops_of(kind);

        return ops != NULL ? ops->suspicion_unit : "";
}

/* Does registry entry `o` list a parameter with this key? */
static bool ops_has_key(const struct hb__detector_ops *o, const char *key)
{
        for (size_t i = 0; i < o->n_params; i++)
                if (strcmp(o->params[i].key, key) == 0)
                        return true;
        return false;
}

/*
 * The i-th distinct parameter over every kind: registry order, then each
 * kind's order; a key is counted where it first appears. Quadratic in a
 * handful of entries: this is a schema lookup, not a hot path.
 */
static const hb_detector_param_t *param_distinct(size_t i)
{
        for (size_t o = 0; o < N_OPS; o++) {
                for (size_t j = 0; j < detector_ops[o]->n_params; j++) {
                        const hb_detector_param_t *p =
                                &detector_ops[o]->params[j];
                        bool seen = false;

                        for (size_t e = 0; e < o && !seen; e++)
                                seen = ops_has_key(detector_ops[e], p->key);
                        if (!seen && i-- == 0)
                                return p;
                }
        }
        return NULL;
}

const hb_detector_param_t *hb_detector_param_at(hb_detector_kind_t kind,
                                                size_t i, unsigned *kinds)
{
        const struct hb__detector_ops *ops;
        const hb_detector_param_t *p;

        if (kind == HB_DETECTOR_ALL) {
                p = param_distinct(i);
        } else {
                ops = ops_of(kind);
                p = ops != NULL && i < ops->n_params ? &ops->params[i] : NULL;
        }
        if (p != NULL && kinds != NULL) {
                *kinds = 0;
                for (size_t o = 0; o < N_OPS; o++)
                        if (ops_has_key(detector_ops[o], p->key))
                                *kinds |= HB_DETECTOR_KIND_BIT(
                                        detector_ops[o]->kind);
        }
        return p;
}

double hb_detector_param_get(const hb_detector_param_t *p,
                             const hb_detector_config_t *cfg)
{
        const char *field;

        if (p == NULL || cfg == NULL)
                return 0.0;
        field = (const char *)cfg + p->offset;
        switch (p->type) {
        case HB_DETECTOR_PARAM_COUNT:
                return *(const uint32_t *)(const void *)field;
        case HB_DETECTOR_PARAM_MS:
        case HB_DETECTOR_PARAM_MS_FRAC:
                return (double)*(const uint64_t *)(const void *)field /
                       (double)HB_NS_PER_MS;
        case HB_DETECTOR_PARAM_REAL:
                return *(const double *)(const void *)field;
        }
        return 0.0;
}

/* 1e10 ms, about four months (detector.h): beyond every range. */
#define PARAM_MS_MAX 1e10

int hb_detector_param_set(const hb_detector_param_t *p,
                          hb_detector_config_t *cfg, double value)
{
        char *field;

        if (p == NULL || cfg == NULL || !isfinite(value))
                return -EINVAL;
        field = (char *)cfg + p->offset;
        switch (p->type) {
        case HB_DETECTOR_PARAM_COUNT:
                if (value < 0 || value > UINT32_MAX || value != floor(value))
                        return -EINVAL;
                *(uint32_t *)(void *)field = (uint32_t)value;
                return 0;
        case HB_DETECTOR_PARAM_MS:
        case HB_DETECTOR_PARAM_MS_FRAC:
                if (value < 0 || value > PARAM_MS_MAX)
                        return -EINVAL;
                *(uint64_t *)(void *)field =
                        (uint64_t)llround(value * (double)HB_NS_PER_MS);
                return 0;
        case HB_DETECTOR_PARAM_REAL:
                *(double *)(void *)field = value;
                return 0;
        }
        return -EINVAL;
}

const char *hb_detector_kind_name(hb_detector_kind_t kind)
{
        const struct hb__detector_ops *ops = ops_of(kind);

        return ops != NULL ? ops->name : "unknown";
}

int hb_detector_kind_parse(const char *name, hb_detector_kind_t *kind)
{
        if (name == NULL || kind == NULL)
                return -EINVAL;
        for (size_t i = 0; i < N_OPS; i++) {
                if (strcmp(name, detector_ops[i]->name) == 0) {
                        *kind = detector_ops[i]->kind;
                        return 0;
                }
        }
        return -EINVAL;
}

double hb_phi(double elapsed_ns, double mean_ns, double std_dev_ns)
{
        /* sd <= 0 is outside the contract; answer the limit sd -> 0+
         * (a step from 0 to the cap, log10 2 exactly at the mean) rather
         * than dividing by zero. */
        if (std_dev_ns <= 0.0) {
                if (elapsed_ns > mean_ns)
                        return HB__PHI_MAX;
                if (elapsed_ns < mean_ns)
                        return 0.0;
                if (elapsed_ns == mean_ns)
                        return log10(2.0);
        }
        return hb__phi(elapsed_ns, mean_ns, std_dev_ns);
}
