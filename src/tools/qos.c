/* SPDX-License-Identifier: MIT */
/*
 * qos.c - quality of service of a failure detector on an arrival trace
 * (qos.h).
 *
 * Metrics of Chen, Toueg and Aguilera, "On the quality of service of
 * failure detectors", IEEE Trans. Computers 51(5), 2002, section 2:
 * detection time T_D, mistake rate lambda_M, mistake recurrence time T_MR,
 * mistake duration T_M and query accuracy probability P_A. The paper
 * defines them on the detector's output over time; here that output is
 * reconstructed exactly, not sampled, from one replay of the trace.
 *
 * Output model. At time t the detector suspects iff suspicion(t) >=
 * threshold (as node.c compares it). Between two arrivals suspicion is
 * non-decreasing (detector.h), so in the silence (a_i, a_{i+1}] the output
 * is "trust" up to the crossing time c_i = hb_detector_crossing_ns() and
 * "suspect" from c_i until the arrival a_{i+1} resets it. Hence:
 *
 *   - gap i ends suspecting iff suspicion(a_{i+1}) >= threshold, checked
 *     on the detector state left by arrival i, before a_{i+1} is fed in.
 *     That check is one suspicion evaluation, or its equivalent from a
 *     prepared level (hb_detector_level_reached(): for phi a comparison
 *     of y instead of an exp and a log10); only when it fires is the
 *     crossing computed, so the cost is O(n) with one crossing per
 *     mistake. A gap that reaches the threshold exactly at its end is a
 *     mistake of zero length (the detector does suspect at that instant).
 *   - a mistake is a transition from trust to suspect of a live peer (the
 *     paper's S-transition), not a gap: an arrival that leaves the
 *     detector suspecting (chen, bertier and adaptive can, after a very
 *     late arrival) does not end the mistake, and the next gap, suspected
 *     from its start, continues it. So a gap that ends suspecting is a
 *     new mistake unless the gap before ended suspecting too and
 *     suspicion(a_i) >= threshold right after arrival i (one more
 *     suspicion evaluation, only when a gap ends suspecting).
 *   - the suspected time of gap i is a_{i+1} - min(c_i, a_{i+1}) (all of
 *     it when the mistake goes on); the min absorbs the up-to-1 µs
 *     lateness allowed to crossing_ns().
 *   - after the last arrival before the crash (crash_ns given): if the
 *     detector already suspects at the crash, that suspicion started as a
 *     mistake (the peer was alive until the crash), truncated at the crash,
 *     and T_D = 0; otherwise T_D = c - crash with c the crossing after the
 *     last arrival, INFINITY if it never comes. T_D does not depend on
 *     end_ns: the crossing is known analytically even when the trace ends
 *     before it.
 *   - without a crash, the silence from the last arrival to end_ns is alive
 *     time and may hold one more mistake, truncated at end_ns.
 *
 * Alive time runs from the first arrival (before it the detector has no
 * opinion) to the crash, or to end_ns without a crash. lambda_M =
 * mistakes / alive time; T_MR = alive time / mistakes = 1 / lambda_M (the
 * paper's relation lambda_M = 1 / E(T_MR), section 2.2; the mean of the
 * intervals between the first and the last mistake would disagree with
 * lambda_M when mistakes come in bursts); T_M = total mistake time /
 * mistakes; P_A = 1 - total mistake time / alive
 * time. Zero alive time (one arrival, nothing after it) gives lambda_M =
 * 0 and P_A = 1: there was no time in which to be wrong. Sums of times are
 * kept in integer nanoseconds, so the result does not depend on rounding
 * order.
 *
 * Seq numbers and send times are passed to the detector as they are
 * (hb_detector_heartbeat_sent()); a trace is one life of the peer and the
 * detector is never reset during a replay.
 *
 * Several thresholds, one replay (hbt_qos_evaluate_levels()). The
 * detector's state does not depend on the threshold, so a replay feeds
 * each arrival once and judges every threshold against that state: a
 * threshold sweep costs one replay. With T_D averaged over virtual crashes
 * after every arrival (HBT_QOS_TD_EACH: hbeat-sim eval --crash-at each)
 * the crossing c_i is computed after every arrival anyway, and it decides
 * the gap's end without a suspicion evaluation: crossing_ns() returns a
 * time at which the threshold is reached and at most 1 µs after the first
 * such time, so suspicion(a) >= threshold if a >= c_i, < threshold if
 * a < c_i - 1 µs, and only in between (a 1 µs window in gaps of ~10^8 ns)
 * is the level asked; that is reached() below. The crossing comes from a
 * prepared level (hb_detector_level_crossing_ns()): the same value to the
 * ns as hb_detector_crossing_ns(), without phi's cubic root per call and
 * mostly without computing phi. Without EACH the crossing is computed
 * only per mistake, as above: one check is cheaper than a crossing,
 * whose verification alone is two.
 *
 * Who calls it: hbeat-sim eval (src/sim/cmd_eval.c), hbeatctl suggest,
 * bench_eval. Pure code: no I/O, no clock, no logging, no shared state
 * (replays may run in parallel threads); the only allocations are the
 * detector and, past LEVELS_ON_STACK thresholds, their state.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hbeat/detector.h"
#include "tools/qos.h"

#define NS_PER_S_F 1e9
/* hb_detector_crossing_ns() is at most this late (detector.h). */
#define CROSSING_SLACK_NS UINT64_C(1000)
/* Thresholds of one replay whose state fits on the stack (the common
 * case: one, or a suspect and a dead threshold); more are allocated. */
#define LEVELS_ON_STACK 16

struct tally {
        uint64_t mistakes;              /* trust -> suspect transitions */
        uint64_t mistake_ns;            /* total suspected alive time */
        bool suspecting;                /* the output at the end of the
                                           gap just judged */
};

/* One threshold of a replay. */
struct level {
        hb_detector_level_t lvl;
        struct tally t;
        uint64_t c;                     /* crossing after the last arrival
                                           fed; HB_NEVER: never, or not
                                           computed (without EACH) */
        long double td_sum;             /* EACH: sum of c_i - a_i, ns */
        bool td_never;                  /* EACH: some c_i never comes */
};

/*
 * suspicion(at) >= threshold, for `at` not before the last arrival, from
 * the crossing `c` after it when known (not HB_NEVER): at or after c the
 * threshold is reached, and more than CROSSING_SLACK_NS before c it is
 * not, since c is at most that late (the file comment). In between, or
 * without c, the level says (hb_detector_level_reached(): the suspicion's
 * answer, for phi mostly without computing it).
 */
static bool reached(const hb_detector_t *d, const struct level *l,
                    uint64_t c, uint64_t at)
{
        if (c != HB_NEVER) {
                if (at >= c)
                        return true;
                if (c - at > CROSSING_SLACK_NS)
                        return false;
        }
        return hb_detector_level_reached(d, &l->lvl, at);
}

/*
 * The detector suspects at `until`, the end of the gap that started at
 * the arrival `from` (checked by the caller); `c` is the crossing after
 * `from`, HB_NEVER if not computed. If it already suspected at the end of
 * the gap before and still does right after the arrival at `from` (an
 * estimate that a late arrival leaves past its expected time: chen,
 * bertier, adaptive), the suspicion goes on through `from`: the same
 * mistake, longer. Otherwise a new one starts at the crossing, or at
 * `from` itself if the arrival leaves it suspecting.
 */
static void add_mistake(struct tally *t, const hb_detector_t *d,
                        const struct level *l, uint64_t c, uint64_t from,
                        uint64_t until)
{
        uint64_t start;

        if (t->suspecting && reached(d, l, c, from)) {
                t->mistake_ns += until - from;
                return;
        }
        /* Not computed, or never: asking again costs nothing then. */
        start = c != HB_NEVER ? c : hb_detector_level_crossing_ns(d, &l->lvl);
        if (start > until)              /* crossing may be <= 1 µs late */
                start = until;
        t->mistakes++;
        t->mistake_ns += until - start;
        t->suspecting = true;
}

/* The gap from the last arrival `from` to the arrival `until`. */
static void judge_gap(struct level *l, const hb_detector_t *d, uint64_t c,
                      uint64_t from, uint64_t until)
{
        if (reached(d, l, c, until))
                add_mistake(&l->t, d, l, c, from, until);
        else
                l->t.suspecting = false;
}

/* EACH: the crossing after the arrival at `from` (the last fed), summed
 * for the mean T_D. */
static uint64_t crossing_each(struct level *l, const hb_detector_t *d,
                              uint64_t from)
{
        uint64_t c = hb_detector_level_crossing_ns(d, &l->lvl);

        if (c == HB_NEVER)
                l->td_never = true;
        else
                l->td_sum += (long double)(c - from);
        return c;
}

/*
 * The hot loop: feed arr[0..m) to `d` and judge every gap for every
 * level; with `each`, compute the crossing after every arrival and sum
 * it for the mean T_D. Leaves each level's crossing after the last
 * arrival in l->c (HB_NEVER without `each`). Two loops rather than one
 * with `each` tested inside: without it, the gap check is all the work
 * per level, and the extra stores and tests cost fixed 17 instructions
 * per arrival, ~15 % (callgrind).
 */
static void replay(hb_detector_t *d, struct level *lv, size_t nl,
                   const hbt_arrival_t *arr, size_t m, bool each)
{
        size_t i, j;

        hb_detector_heartbeat_sent(d, arr[0].arrival_ns, arr[0].seq,
                                   arr[0].send_ns);
        for (i = 1; i < m; i++) {
                uint64_t from = arr[i - 1].arrival_ns, a = arr[i].arrival_ns;

                if (each)
                        for (j = 0; j < nl; j++)
                                judge_gap(&lv[j], d,
                                          crossing_each(&lv[j], d, from),
                                          from, a);
                else
                        for (j = 0; j < nl; j++)
                                judge_gap(&lv[j], d, HB_NEVER, from, a);
                hb_detector_heartbeat_sent(d, a, arr[i].seq, arr[i].send_ns);
        }
        for (j = 0; j < nl; j++)
                lv[j].c = each ? crossing_each(&lv[j], d, arr[m - 1].arrival_ns)
                               : HB_NEVER;
}

/*
 * After the last replayed arrival `last`, a crash at `crash_ns`: if the
 * detector already suspects then, that suspicion started as a mistake
 * (the peer was alive until the crash) and T_D = 0; else T_D runs to the
 * crossing. Returns T_D, s.
 */
static double tail_crash(struct tally *t, const hb_detector_t *d,
                         const struct level *l, uint64_t last,
                         uint64_t crash_ns)
{
        uint64_t c;

        if (reached(d, l, l->c, crash_ns)) {
                add_mistake(t, d, l, l->c, last, crash_ns);
                return 0.0;
        }
        c = l->c != HB_NEVER ? l->c
                             : hb_detector_level_crossing_ns(d, &l->lvl);
        /* suspicion(crash) < threshold, so c > crash. */
        return c == HB_NEVER ? INFINITY : (double)(c - crash_ns) / NS_PER_S_F;
}

/* Without a crash: the silence from `last` to `end_ns` is alive time and
 * may hold one more mistake, truncated at end_ns. */
static void tail_alive(struct tally *t, const hb_detector_t *d,
                       const struct level *l, uint64_t last, uint64_t end_ns)
{
        if (end_ns > last && reached(d, l, l->c, end_ns))
                add_mistake(t, d, l, l->c, last, end_ns);
}

/* The metrics of a tally over alive time [start_ns, stop_ns]. */
static hbt_qos_result_t result_of(const struct tally *t, size_t m,
                                  uint64_t start_ns, uint64_t stop_ns,
                                  double detection_s)
{
        hbt_qos_result_t res;

        res.detection_s = detection_s;
        res.arrivals = m;
        res.alive_s = (double)(stop_ns - start_ns) / NS_PER_S_F;
        res.mistakes = t->mistakes;
        if (stop_ns > start_ns) {
                res.mistake_rate_per_s = (double)t->mistakes / res.alive_s;
                res.query_accuracy =
                        1.0 - (double)t->mistake_ns /
                                      (double)(stop_ns - start_ns);
        } else {
                /* No alive time: a mistake could only be of zero length. */
                res.mistake_rate_per_s = t->mistakes ? INFINITY : 0.0;
                res.query_accuracy = 1.0;
        }
        /* T_MR = 1 / lambda_M (Chen et al., section 2.2: lambda_M =
         * 1 / E(T_MR)): alive time per mistake, so the two never
         * disagree, whatever the mistakes' clustering. */
        res.mean_recurrence_s =
                t->mistakes > 0 && stop_ns > start_ns
                        ? res.alive_s / (double)t->mistakes
                        : NAN;
        res.mean_mistake_s =
                t->mistakes ? (double)t->mistake_ns / NS_PER_S_F /
                                      (double)t->mistakes
                            : NAN;
        return res;
}

/* The result of level `l` after the replay of arr[0..m). */
static hbt_qos_result_t level_result(struct level *l, const hb_detector_t *d,
                                     const hbt_arrival_t *arr, size_t m,
                                     uint64_t crash_ns, uint64_t end_ns,
                                     hbt_qos_td_t td)
{
        uint64_t start_ns = arr[0].arrival_ns, last = arr[m - 1].arrival_ns;
        struct tally at_last;
        double td_s;

        switch (td) {
        case HBT_QOS_TD_CRASH:
                if (crash_ns == HB_NEVER)
                        break;
                td_s = tail_crash(&l->t, d, l, last, crash_ns);
                return result_of(&l->t, m, start_ns, crash_ns, td_s);
        case HBT_QOS_TD_LAST:
                /* The same replay with a crash at the last arrival, for
                 * T_D; when that is also the end of observation, it is
                 * the whole result (a suspicion right at the last
                 * arrival is then a mistake of zero length). */
                at_last = l->t;
                td_s = tail_crash(&at_last, d, l, last, last);
                if (end_ns == last)
                        return result_of(&at_last, m, start_ns, last, td_s);
                tail_alive(&l->t, d, l, last, end_ns);
                return result_of(&l->t, m, start_ns, end_ns, td_s);
        case HBT_QOS_TD_EACH:
                /* No crash, so every arrival was replayed: m = n. */
                tail_alive(&l->t, d, l, last, end_ns);
                td_s = l->td_never ? INFINITY
                                   : (double)(l->td_sum / (long double)m /
                                              1e9L);
                return result_of(&l->t, m, start_ns, end_ns, td_s);
        }
        tail_alive(&l->t, d, l, last, end_ns);
        return result_of(&l->t, m, start_ns, end_ns, NAN);
}

int hbt_qos_evaluate_levels(const hb_detector_config_t *cfg,
                            const double *thresholds, size_t n_thr,
                            const hbt_arrival_t *arr, size_t n,
                            uint64_t crash_ns, uint64_t end_ns,
                            hbt_qos_td_t td, hbt_qos_result_t *out)
{
        struct level stack[LEVELS_ON_STACK], *lv = stack;
        hb_detector_t *d = NULL;
        size_t m, i;
        int r;

        if (cfg == NULL || thresholds == NULL || n_thr == 0 || arr == NULL ||
            out == NULL || n == 0)
                return -EINVAL;
        if (td != HBT_QOS_TD_CRASH && td != HBT_QOS_TD_LAST &&
            td != HBT_QOS_TD_EACH)
                return -EINVAL;
        if (td != HBT_QOS_TD_CRASH && crash_ns != HB_NEVER)
                return -EINVAL;
        for (i = 0; i < n_thr; i++)
                if (!isfinite(thresholds[i]) || !(thresholds[i] > 0.0))
                        return -EINVAL;
        /* Validate everything before any work so that a bad trace costs
         * nothing and `out` stays untouched. The order check covers the
         * arrivals after the crash too: an unordered trace is wrong as a
         * whole, whatever part of it is used. */
        for (i = 1; i < n; i++)
                if (arr[i].arrival_ns < arr[i - 1].arrival_ns)
                        return -EINVAL;
        /* Arrivals up to and including crash_ns are replayed. */
        m = n;
        if (crash_ns != HB_NEVER)
                while (m > 0 && arr[m - 1].arrival_ns > crash_ns)
                        m--;
        if (m == 0)                     /* crash before the first arrival */
                return -EINVAL;
        if (end_ns < arr[m - 1].arrival_ns)
                return -EINVAL;
        r = hb_detector_new(&d, cfg);
        if (r < 0)
                return r;
        if (n_thr > LEVELS_ON_STACK) {
                lv = calloc(n_thr, sizeof(*lv));
                if (lv == NULL) {
                        hb_detector_free(d);
                        return -ENOMEM;
                }
        }
        for (i = 0; i < n_thr; i++) {
                lv[i] = (struct level){ .c = HB_NEVER };
                /* The kind is valid: hb_detector_new() accepted it. */
                (void)hb_detector_level_prepare(&lv[i].lvl, cfg->kind,
                                                thresholds[i]);
        }

        replay(d, lv, n_thr, arr, m, td == HBT_QOS_TD_EACH);
        for (i = 0; i < n_thr; i++)
                out[i] = level_result(&lv[i], d, arr, m, crash_ns, end_ns,
                                      td);
        hb_detector_free(d);
        if (lv != stack)
                free(lv);
        return 0;
}

int hbt_qos_evaluate(const hb_detector_config_t *cfg, double threshold,
                    const hbt_arrival_t *arr, size_t n, uint64_t crash_ns,
                    uint64_t end_ns, hbt_qos_result_t *out)
{
        return hbt_qos_evaluate_levels(cfg, &threshold, 1, arr, n, crash_ns,
                                       end_ns, HBT_QOS_TD_CRASH, out);
}
