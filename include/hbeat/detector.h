/* SPDX-License-Identifier: MIT */
/**
 * @file detector.h
 * @brief Failure detectors: turn heartbeat arrival times into suspicion.
 *
 * One interface, several algorithms. A detector is fed the local monotonic
 * arrival time of each accepted heartbeat of one peer and answers, for any
 * later `now_ns`, a suspicion level. The peer state machine (node.h)
 * compares that level with a suspect and a dead threshold.
 *
 * Instead of being polled, a detector can say the exact time at which its
 * suspicion will reach a threshold if no further heartbeat arrives
 * (hb_detector_crossing_ns()): suspicion is non-decreasing in `now_ns`
 * between arrivals for every detector here, so the core schedules one
 * deadline per peer instead of scanning peers periodically.
 *
 * Detectors:
 *
 * - HB_DETECTOR_FIXED — fixed timeout counted in missed intervals.
 *   suspicion(now) = (now - last_arrival) / interval, a real number of
 *   missed heartbeat intervals; a threshold k means "suspect after k missed
 *   intervals" (the classic rule, timeout = k x interval with k in 3..5, as
 *   in Linux-HA Heartbeat's deadtime or keepalived's 3 adverts). Memory:
 *   sizeof the object, no history.
 *
 * - HB_DETECTOR_PHI — phi accrual failure detector, Hayashibara, Defago,
 *   Yared, Katayama, "The phi accrual failure detector", SRDS 2004, with the
 *   refinements of Akka's PhiAccrualFailureDetector (akka-remote):
 *   a bounded window of the last `window` inter-arrival times; their mean
 *   mu and standard deviation sigma (sigma floored at min_std_dev_ns);
 *   an acceptable pause added to the mean; and the logistic approximation
 *   of the normal CDF used by Akka:
 *
 *       t = now - last_arrival
 *       y = (t - (mu + acceptable_pause)) / sigma
 *       e = exp(-y * (1.5976 + 0.070566 * y^2))
 *       phi = -log10(e / (1 + e))        if t > mu + acceptable_pause
 *       phi = -log10(1 - 1 / (1 + e))    otherwise
 *
 *   Before the second arrival the window is bootstrapped as Akka does: two
 *   samples first_estimate - first_estimate/4 and first_estimate +
 *   first_estimate/4. Memory: 8 bytes per window slot plus a fixed header
 *   (hb_detector_memory()).
 *
 * - HB_DETECTOR_CHEN — Chen, Toueg, Aguilera, "On the quality of service
 *   of failure detectors", IEEE Trans. Computers 51(5), 2002, section 6
 *   (NFD-E). Expected arrival of the next heartbeat from the last `window`
 *   arrivals A_i and their send times sigma_i (hb_detector_heartbeat_sent())
 *   or, without those, sequence numbers s_i, sigma_i = interval s_i
 *   (counted when unknown):
 *
 *       EA = (1/n) sum_i (A_i - sigma_i) + sigma_last + interval
 *       suspicion = max(0, (now - EA) / chen_alpha)
 *
 *   Threshold 1 is Chen's freshness point tau = EA + alpha.
 *
 * - HB_DETECTOR_BERTIER — Bertier, Marin, Sens, "Implementation and
 *   performance evaluation of an adaptable failure detector", DSN 2002:
 *   Chen's EA, and a margin re-estimated at each arrival (Jacobson):
 *   error = A - EA - delay; delay += gamma error; var += gamma (|error| -
 *   var); alpha = beta delay + phi var, floored at max(1 ms, interval/4).
 *   suspicion = max(0, (now - EA) / alpha).
 *
 * - HB_DETECTOR_PHI_EXP — phi accrual with the exponential model, as
 *   Apache Cassandra computes it: phi = t / (mean x ln 10), mean of the
 *   last `window` inter-arrival times (bootstrap: one sample
 *   first_estimate), capped at 1e6. Threshold T is reached at
 *   T x 2.3026 x mean.
 *
 * - HB_DETECTOR_ADAPTIVE — timeout adapted to the P50 and P95 of the last
 *   `window` inter-arrival times (docs/detectors.md, "adaptive"): raised by
 *   adaptive_raise when P95 > adaptive_high_ratio x P50, lowered by
 *   adaptive_lower when P95 < adaptive_low_ratio x P50, evaluated at most
 *   once per adaptive_dampening_ns, clamped to [adaptive_min_ns,
 *   adaptive_max_ns]. suspicion = (now - last_arrival) / timeout.
 *
 * docs/detectors.md has each kind's parameters, default timings and
 * memory.
 *
 * Pure code: no I/O, no clock, no logging, no global state.
 */
#ifndef HBEAT_DETECTOR_H
#define HBEAT_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbeat/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Detector algorithms. */
typedef enum hb_detector_kind {
        HB_DETECTOR_FIXED = 1,    /**< fixed timeout in missed intervals */
        HB_DETECTOR_PHI = 2,      /**< phi accrual, normal model
                                       (Hayashibara 2004, Akka) */
        HB_DETECTOR_CHEN = 3,     /**< Chen, Toueg, Aguilera 2002: expected
                                       arrival + safety margin alpha */
        HB_DETECTOR_BERTIER = 4,  /**< Bertier, Marin, Sens 2002: Chen's
                                       estimate + Jacobson-style adaptive
                                       margin */
        HB_DETECTOR_PHI_EXP = 5,  /**< phi accrual, exponential model
                                       (Cassandra) */
        HB_DETECTOR_ADAPTIVE = 6, /**< percentile-driven adaptive timeout
                                       (docs/detectors.md) */
} hb_detector_kind_t;

/** Number of kinds, for iterating HB_DETECTOR_FIXED .. this - 1. */
#define HB_DETECTOR_KIND_END 7

/** Smallest and largest window (phi and every kind with a history), in
 *  samples. */
#define HB_PHI_WINDOW_MIN 2u
#define HB_PHI_WINDOW_MAX 10000u
/** Default window: 100 samples (800 bytes of history per peer). */
#define HB_PHI_WINDOW_DEFAULT 100u

/**
 * Detector parameters. Public, read/write; fill with
 * hb_detector_config_default() and then change fields.
 */
typedef struct hb_detector_config {
        hb_detector_kind_t kind;
        /** Expected heartbeat interval, ns. Range 1 ms .. 1 hour. */
        uint64_t interval_ns;
        /** phi, chen, bertier, phi_exp, adaptive: number of recent arrivals
         *  (inter-arrival samples) kept, HB_PHI_WINDOW_MIN ..
         *  HB_PHI_WINDOW_MAX. Default HB_PHI_WINDOW_DEFAULT. */
        uint32_t window;
        /** phi: floor for the standard deviation, ns, >= 1 µs.
         *  Default interval/4 (Akka's fixed 100 ms at a 1 s interval is
         *  interval/10; a larger floor trades speed for fewer false
         *  suspicions on quiet LANs whose measured sigma is tiny). */
        uint64_t min_std_dev_ns;
        /** phi: acceptable heartbeat pause added to the mean, ns,
         *  0 .. 4 hours. Default 4 x interval (Akka: 3 s at a 1 s
         *  interval); the extra interval buys a ~10x lower false-dead rate
         *  under 10% loss for 100 ms more detection time
         *  (docs/detectors.md). */
        uint64_t acceptable_pause_ns;
        /** phi, phi_exp: bootstrap mean before the window has real
         *  samples, ns, >= 1 ms. Default interval. */
        uint64_t first_estimate_ns;

        /* The fields below belong to the detectors added after the
         * foundation; `window` is shared by every kind that keeps a
         * history (phi, chen, bertier, phi_exp, adaptive). Each field's
         * doc gives its unit, range and default; the kind's section of
         * docs/detectors.md gives the formula. */

        /** chen: safety margin alpha, ns, added to the expected arrival
         *  time; suspicion = (now - EA) / alpha (so threshold 1 is Chen's
         *  freshness point tau = EA + alpha). 1 µs .. 4 h; default
         *  3 x interval. */
        uint64_t chen_alpha_ns;
        /** bertier: weights of the margin estimator (Bertier et al. 2002,
         *  after Jacobson 1988): alpha = beta * delay + phi * var, with
         *  gain gamma. Defaults 1, 4, 0.1; ranges beta, phi 0 .. 100,
         *  gamma (0, 1]. */
        double bertier_beta;
        double bertier_phi;
        double bertier_gamma;
        /** adaptive: starting timeout, ns, within [min, max] (default
         *  3 x interval). */
        uint64_t adaptive_initial_ns;
        /** adaptive: bounds the timeout is clamped to, ns: 1 ms <= min <=
         *  max <= 30 h (defaults 3 x and 30 x interval). */
        uint64_t adaptive_min_ns;
        uint64_t adaptive_max_ns;
        /** adaptive: the rule is evaluated, and the timeout changes, at
         *  most once per this period, ns, 1 ms .. 100 h (default
         *  100 x interval, one default window of heartbeats). */
        uint64_t adaptive_dampening_ns;
        /** adaptive: raise factor (1.5, range 1 .. 10) applied when P95 >
         *  high_ratio (2.0) x P50; lower factor (0.75, range (0, 1])
         *  applied when P95 < low_ratio (1.5) x P50; 1 <= low_ratio <=
         *  high_ratio <= 1000. */
        double adaptive_raise;
        double adaptive_lower;
        double adaptive_high_ratio;
        double adaptive_low_ratio;
        /** Room for parameters of later versions, which take these slots
         *  with 0 meaning their default (library.h, ABI rules); keep 0. */
        uint64_t reserved[8];
} hb_detector_config_t;

/**
 * Fill `cfg` with the defaults for `kind` at heartbeat interval
 * `interval_ns` (see the field docs). Does not validate.
 */
HB_EXPORT void hb_detector_config_default(hb_detector_config_t *cfg,
                                          hb_detector_kind_t kind,
                                          uint64_t interval_ns);

/**
 * Check a configuration.
 * @return 0, or -EINVAL naming no field (callers that need a field name, such
 *         as the config loader, check ranges themselves from the documented
 *         bounds).
 */
HB_EXPORT int hb_detector_config_validate(const hb_detector_config_t *cfg);

/** Default suspect threshold: phi 8 (Akka, Cassandra); fixed 3 intervals;
 *  chen and bertier 1 (the freshness point tau); phi_exp 3; adaptive 1
 *  (the timeout). 0 for an unknown kind. */
HB_EXPORT double hb_detector_default_suspect_threshold(
                                                       hb_detector_kind_t kind);
/** Default dead threshold: phi 50; fixed 5 intervals; chen 2 margins;
 *  bertier 16 margins; phi_exp 4; adaptive 2 timeouts. (phi 50 lands
 *  about two intervals after phi 8 at the defaults; the normal tail is so
 *  thin that phi 16 came only ~47 ms after it and nearly every false
 *  suspicion became a false dead verdict: docs/detectors.md.) */
HB_EXPORT double hb_detector_default_dead_threshold(hb_detector_kind_t kind);

/**
 * What the suspicion level of `kind` counts, for labels and messages
 * ("phi 8.03", "missed intervals 3.20"): "phi" (phi and phi_exp: -log10
 * of the probability that a heartbeat is still coming), "missed
 * intervals" (fixed: silence / interval), "margins" (chen and bertier:
 * safety margins past the expected arrival time, so 1 is the freshness
 * point), "timeouts" (adaptive: silence / current timeout). The thresholds
 * of a node (hb_node_config_t) are in this unit. Static string; "" for an
 * unknown kind.
 */
HB_EXPORT const char *hb_detector_suspicion_unit(hb_detector_kind_t kind);

/**
 * @name Parameter schema
 *
 * Each kind publishes its parameters: the fields of hb_detector_config_t
 * it reads (besides kind and interval), each with the key a configuration
 * file uses for it, its unit, range and a one-line help. hbeatd's
 * configuration (the detector.* keys and their docs), `hbeatctl
 * check-config` and `hbeat-sim eval --set` are built from this table, so
 * a parameter added here is a configuration key everywhere.
 *
 * Defaults are not described here: they are what
 * hb_detector_config_default() computes for an interval; read one with
 * hb_detector_param_get() on a defaulted config.
 * @{
 */

/** How a parameter is held in hb_detector_config_t and written as a key. */
typedef enum hb_detector_param_type {
        /** uint32_t field; a whole number in the key's unit. */
        HB_DETECTOR_PARAM_COUNT = 1,
        /** uint64_t field in ns; the key is in whole milliseconds. */
        HB_DETECTOR_PARAM_MS = 2,
        /** uint64_t field in ns; the key is in milliseconds, fractions
         *  allowed (stored rounded to the ns). */
        HB_DETECTOR_PARAM_MS_FRAC = 3,
        /** double field; a finite number. */
        HB_DETECTOR_PARAM_REAL = 4,
} hb_detector_param_type_t;

/** hb_detector_param_t.flags: the value must be > min (not >= min). */
#define HB_DETECTOR_PARAM_MIN_OPEN (1u << 0)
/** hb_detector_param_t.flags: a tuning knob for tools that replay traces
 *  (hbeat-sim eval), not a key of hbeatd's configuration file, where its
 *  default is the right value for a live node. */
#define HB_DETECTOR_PARAM_EXPERT (1u << 1)

/** Kind `k` as a bit of a set of kinds (hb_detector_param_at()). */
#define HB_DETECTOR_KIND_BIT(k) (1u << (unsigned)(k))
/** hb_detector_param_at(): the parameters of every kind, each once. */
#define HB_DETECTOR_ALL ((hb_detector_kind_t)0)

/**
 * One parameter. Read-only: the core owns every instance (static data,
 * valid for the life of the program).
 */
typedef struct hb_detector_param {
        /** Key of the parameter in a configuration file, under
         *  `detector:` ("window", "chen_alpha_ms"); unique across kinds,
         *  and a key shared by several kinds is the same field with the
         *  same meaning and range in each. Ends in "_ms" exactly for the
         *  _MS types. */
        const char *key;
        hb_detector_param_type_t type;
        /** Unit of the key's values: "ms" for the _MS types, else
         *  "samples" or "" (dimensionless). */
        const char *unit;
        /** Range of the key's values, in its unit (ms for the _MS types),
         *  inclusive unless HB_DETECTOR_PARAM_MIN_OPEN: the range a
         *  configuration file accepts. As far as this one field goes,
         *  hb_detector_config_validate() accepts every value in it; it may
         *  accept more (phi's acceptable pause goes to 4 h so that its
         *  default is valid at every interval, where a configuration file
         *  stops at 1 h), never less. Rules across fields (adaptive: min
         *  <= initial <= max, low_ratio <= high_ratio) are checked by
         *  hb_detector_config_validate() and named in the help. */
        double min, max;
        /** HB_DETECTOR_PARAM_* */
        unsigned flags;
        /** offsetof(hb_detector_config_t, field) */
        size_t offset;
        /** One sentence, capitalised, ending with a full stop; does not
         *  name the kinds (see hb_detector_param_at()'s `kinds`). */
        const char *help;
} hb_detector_param_t;

/**
 * The i-th (0-based) parameter of detector `kind`, in the order a
 * configuration file lists them; with `kind` HB_DETECTOR_ALL, the i-th of
 * the parameters of every kind, each key once (in kind order, then each
 * kind's order).
 *
 * @param kinds  if not NULL, receives the kinds that read this parameter,
 *               as HB_DETECTOR_KIND_BIT() bits (`window`: every kind but
 *               fixed).
 * @return       the parameter (static); NULL when `i` is past the last
 *               one or `kind` is unknown (`*kinds` untouched then).
 *               Iterate with i = 0, 1, ... until NULL.
 */
HB_EXPORT const hb_detector_param_t *hb_detector_param_at(
                                                          hb_detector_kind_t kind,
                                                          size_t i,
                                                          unsigned *kinds);

/**
 * Value of parameter `p` in `cfg`, in the key's unit (a field in ns is
 * returned in ms: 25000000 ns is 25). 0 when `p` or `cfg` is NULL.
 */
HB_EXPORT double hb_detector_param_get(const hb_detector_param_t *p,
                                       const hb_detector_config_t *cfg);

/**
 * Store `value`, in the key's unit, into `cfg`'s field for `p`: a _COUNT
 * parameter takes a whole number 0 .. 2^32-1; the _MS types a finite
 * number 0 .. 1e10 ms (about four months: beyond every range, far from
 * overflow), rounded to the ns (fractions are allowed for both: whole
 * milliseconds are a rule of configuration files, not of the detector);
 * _REAL any finite number. The range [min, max] is not checked: a
 * combination is judged by hb_detector_config_validate().
 *
 * @return 0; -EINVAL (NULL argument, or a value the field cannot hold;
 *         `cfg` untouched).
 */
HB_EXPORT int hb_detector_param_set(const hb_detector_param_t *p,
                                    hb_detector_config_t *cfg, double value);

/** @} */

/** Opaque detector of one peer. */
typedef struct hb_detector hb_detector_t;

/**
 * Create a detector with no arrival recorded yet.
 *
 * @param ret  output: the new detector, owned by the caller, released with
 *             hb_detector_free(). Untouched on failure.
 * @param cfg  parameters (copied).
 * @return     0; -EINVAL for NULL or invalid `cfg`; -ENOMEM.
 */
HB_EXPORT int hb_detector_new(hb_detector_t **ret,
                              const hb_detector_config_t *cfg);

/** Release a detector. NULL is a no-op. */
HB_EXPORT void hb_detector_free(hb_detector_t *d);

/** Forget all history (as after a peer restart): back to "no arrival". */
HB_EXPORT void hb_detector_reset(hb_detector_t *d);

/**
 * Move the last arrival to `now_ns` without recording an inter-arrival
 * sample (history kept). Used after this node's own process was paused:
 * the silence it saw was its own, not the peer's, and must not enter the
 * window. The suspicion curve restarts from `now_ns` as it was from the
 * old last arrival. No-op before the first arrival, for NULL, and for a
 * `now_ns` not later than the last arrival. chen and bertier: if the next
 * arrival has no usable sequence number, their history is moved by the
 * same amount then (docs/detectors.md).
 */
HB_EXPORT void hb_detector_rebase(hb_detector_t *d, uint64_t now_ns);

/**
 * The peer announced a new heartbeat interval (docs/classes.md, "The
 * announced interval"): expect heartbeats every `interval_ns` from now
 * on, without forgetting the history. What each kind does, with ratio r =
 * interval_ns / the previous interval:
 *
 * - fixed: suspicion counts missed intervals of the new interval;
 * - chen, bertier: the next expected arrival moves by the difference of
 *   the intervals (Chen's EA adds one interval to the sender's schedule;
 *   the window holds lateness against that schedule, which the rate does
 *   not change); chen's margin alpha scales by r; bertier's margin keeps
 *   its estimate, its floor becomes max(1 ms, interval / 4);
 * - phi, phi_exp: every inter-arrival sample in the window, the bootstrap
 *   (first_estimate) and, for phi, min_std_dev and acceptable_pause scale
 *   by r, keeping the shape of the jitter;
 * - adaptive: the samples, the current timeout, its bounds and initial
 *   value, and the dampening period scale by r; the next evaluation waits
 *   a full dampening period from the last arrival.
 *
 * So a detector built at interval I and set to I' judges as one built at
 * I' with the same history in units of the interval. Scaled durations are
 * rounded to the ns and kept within the ranges of hb_detector_config_t.
 * hb_detector_reset() keeps the interval set here. Setting the current
 * interval again changes nothing.
 *
 * @param interval_ns  the new interval, ns, 1 ms .. 1 hour
 * @param now_ns       time of the change, monotonic ns; every kind applies
 *                     the change at once, so no kind reads it in this
 *                     version
 * @return 0, or -EINVAL (d NULL, interval out of range; d unchanged)
 */
HB_EXPORT int hb_detector_set_interval(hb_detector_t *d, uint64_t interval_ns,
                                       uint64_t now_ns);

/** The interval the detector expects now, ns: the config's, or the last
 *  hb_detector_set_interval(); 0 for NULL. */
HB_EXPORT uint64_t hb_detector_interval_ns(const hb_detector_t *d);

/**
 * Record the arrival of a heartbeat that carries sequence number `seq`
 * (1, 2, ...; 0 = unknown) and was sent at `send_ns` on the sender's
 * monotonic clock (ns, any origin; 0 = unknown). The detectors that
 * estimate expected arrival times (chen, bertier; Chen et al. 2002,
 * section 6) take the sender's schedule from the send times when the
 * first arrival since creation or reset carries one, else from the
 * sequence numbers (seq x interval): send times stay right when the
 * sender stalls and skips slots without skipping sequence numbers, as
 * hbeatd's own timer does (docs/detectors.md, "chen"). A value not
 * greater than the last one used (duplicate, reordered) counts as
 * unknown, and an unknown one as the last + 1 (send time: + interval).
 * The other kinds ignore both. The two clocks need not agree: only
 * differences of send times are used.
 *
 * @param now_ns  local monotonic arrival time, as hb_detector_heartbeat().
 */
HB_EXPORT void hb_detector_heartbeat_sent(hb_detector_t *d, uint64_t now_ns,
                                          uint64_t seq, uint64_t send_ns);

/**
 * hb_detector_heartbeat_sent() without a send time: the schedule comes
 * from sequence numbers alone (`seq`: 1, 2, ...; 0 = unknown). Use it only
 * for senders whose sequence numbers count their slots.
 * hb_detector_heartbeat() is this with seq 0.
 */
HB_EXPORT void hb_detector_heartbeat_seq(hb_detector_t *d, uint64_t now_ns,
                                         uint64_t seq);

/**
 * Record the arrival of a heartbeat.
 *
 * @param now_ns  local monotonic arrival time, ns. A value earlier than the
 *                last arrival is treated as equal to it (interval 0).
 */
HB_EXPORT void hb_detector_heartbeat(hb_detector_t *d, uint64_t now_ns);

/**
 * Suspicion level at `now_ns`, >= 0: phi and phi_exp: phi (dimensionless,
 * capped at 1e6); fixed: missed intervals; chen, bertier: margins past the
 * expected arrival time (may already be > 0 right after a very late
 * arrival); adaptive: elapsed time / current timeout. 0 when no arrival
 * was recorded yet. Non-decreasing in `now_ns` between two arrivals.
 */
HB_EXPORT double hb_detector_suspicion(const hb_detector_t *d,
                                       uint64_t now_ns);

/**
 * Whether the peer is considered available at `now_ns` under `threshold`:
 * true iff no arrival was recorded yet or suspicion(now) < threshold.
 */
HB_EXPORT bool hb_detector_available(const hb_detector_t *d, uint64_t now_ns,
                                     double threshold);

/**
 * Earliest time (ns, same clock as arrivals) at which suspicion reaches
 * `threshold` if no further heartbeat arrives: the smallest t >=
 * last_arrival with suspicion(t) >= threshold, to within 1 µs above (never
 * below: at the returned time the threshold is reached).
 *
 * @return that time; HB_NEVER if no arrival was recorded yet or threshold is
 *         not finite; last arrival time if threshold <= 0.
 */
HB_EXPORT uint64_t hb_detector_crossing_ns(const hb_detector_t *d,
                                           double threshold);

/**
 * A threshold prepared for hb_detector_level_crossing_ns(), for callers
 * that ask for the same threshold's crossing over and over: the trace
 * evaluator after every arrival of a replay (src/tools/qos.h), a node
 * after every heartbeat. What depends on the threshold alone is computed
 * once. For phi that is the root of the logistic cubic (four libm calls)
 * and the band of y = (t - mean - pause) / sigma in which the rounded phi
 * could be either side of the threshold, so that the crossing's
 * verification compares y with it instead of computing phi (an exp and a
 * log10) twice: several times cheaper. The other kinds' suspicion is a
 * division, and they gain nothing. Public, read-only: filled by
 * hb_detector_level_prepare(). Holds no pointer: copy it freely, use it
 * with any detector of its kind, from any thread.
 */
typedef struct hb_detector_level {
        double threshold;          /**< as given to the prepare call */
        hb_detector_kind_t kind;   /**< the kind it was prepared for */
        double prepared[3];        /**< private: the precomputed part */
        uint64_t reserved[2];      /**< room for later fields (0) */
} hb_detector_level_t;

/**
 * Prepare `threshold` (any value, as hb_detector_crossing_ns() takes it)
 * for detectors of `kind`.
 *
 * @return 0 and fills `*lvl`; -EINVAL (NULL `lvl` or unknown `kind`;
 *         `*lvl` untouched).
 */
HB_EXPORT int hb_detector_level_prepare(hb_detector_level_t *lvl,
                                        hb_detector_kind_t kind,
                                        double threshold);

/**
 * hb_detector_crossing_ns(d, lvl->threshold): the same value to the ns
 * (same estimate, same verification), without recomputing what the
 * threshold alone determines.
 *
 * @return as hb_detector_crossing_ns(); HB_NEVER also for a NULL `lvl`
 *         or one prepared for another kind than `d`'s.
 */
HB_EXPORT uint64_t
hb_detector_level_crossing_ns(const hb_detector_t *d,
                              const hb_detector_level_t *lvl);

/**
 * Whether suspicion at `now_ns` has reached `lvl->threshold`:
 * hb_detector_suspicion(d, now_ns) >= lvl->threshold, the same answer,
 * for phi mostly without computing phi (a comparison of y with the
 * prepared band, hb_detector_level_t). For any threshold but NaN, that is
 * !hb_detector_available(d, now_ns, lvl->threshold).
 *
 * @return as described; false before the first arrival, and for a NULL
 *         `lvl` or one prepared for another kind than `d`'s.
 */
HB_EXPORT bool hb_detector_level_reached(const hb_detector_t *d,
                                         const hb_detector_level_t *lvl,
                                         uint64_t now_ns);

/** Time of the last recorded arrival, ns, or HB_NEVER if none. */
HB_EXPORT uint64_t hb_detector_last_arrival_ns(const hb_detector_t *d);

/** Number of arrivals recorded since creation or the last reset. */
HB_EXPORT uint64_t hb_detector_arrivals(const hb_detector_t *d);

/** phi, phi_exp: current mean inter-arrival time, ns (bootstrap value
 *  before the first real interval); fixed: the configured interval;
 *  adaptive: mean of the window (the interval before any); chen, bertier:
 *  expected arrival time minus last arrival, EA - A_last (the interval
 *  with steady heartbeats; may be negative). */
HB_EXPORT double hb_detector_mean_ns(const hb_detector_t *d);
/** phi: current standard deviation used (after the floor), ns; phi_exp:
 *  the mean (the exponential's deviation); chen: chen_alpha; bertier: the
 *  current margin alpha (after the floor); fixed, adaptive: 0. */
HB_EXPORT double hb_detector_std_dev_ns(const hb_detector_t *d);

/** Bytes of memory owned by the detector (object plus history). */
HB_EXPORT size_t hb_detector_memory(const hb_detector_t *d);

/** The detector's kind. */
HB_EXPORT hb_detector_kind_t hb_detector_kind(const hb_detector_t *d);

/** "fixed", "phi", "chen", "bertier", "phi_exp" or "adaptive"; "unknown"
 *  for other values. */
HB_EXPORT const char *hb_detector_kind_name(hb_detector_kind_t kind);

/**
 * Parse a kind name ("fixed", "phi", "chen", "bertier", "phi_exp",
 * "adaptive"; exact, case-sensitive).
 * @return 0 and sets `*kind`, or -EINVAL.
 */
HB_EXPORT int hb_detector_kind_parse(const char *name,
                                     hb_detector_kind_t *kind);

/**
 * phi for an elapsed time with given mean and deviation, by the logistic
 * approximation above. Exposed for tests, the evaluator and tools.
 * @param elapsed_ns  time since the last arrival, ns
 * @param mean_ns     mean inter-arrival time plus acceptable pause, ns
 * @param std_dev_ns  standard deviation, ns (> 0)
 */
HB_EXPORT double hb_phi(double elapsed_ns, double mean_ns, double std_dev_ns);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_DETECTOR_H */
