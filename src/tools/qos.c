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
 *     That check is one suspicion evaluation (an exp and a log10 for phi);
 *     only when it fires is the crossing computed (an inversion plus a
 *     verification, ~10x dearer), so the cost is O(n) with one crossing
 *     per mistake. A gap that reaches the threshold exactly at its end is a
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
 * Who calls it: hbeat-sim eval (src/sim/cmd_eval.c), hbeatctl suggest,
 * bench_eval. Pure code: no I/O, no clock, no logging; the only allocation
 * is the detector.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "hbeat/detector.h"
#include "tools/qos.h"

#define NS_PER_S_F 1e9

struct tally {
        uint64_t mistakes;              /* trust -> suspect transitions */
        uint64_t mistake_ns;            /* total suspected alive time */
        bool suspecting;                /* the output at the end of the
                                           gap just judged */
};

/*
 * The detector suspects at `until`, the end of the gap that started at
 * the arrival `from` (checked by the caller). If it already suspected at
 * the end of the gap before and still does right after the arrival at
 * `from` (an estimate that a late arrival leaves past its expected time:
 * chen, bertier, adaptive), the suspicion goes on through `from`: the same
 * mistake, longer. Otherwise a new one starts at the crossing, or at
 * `from` itself if the arrival leaves it suspecting.
 */
static void add_mistake(struct tally *t, const hb_detector_t *d,
                        double threshold, uint64_t from, uint64_t until)
{
        uint64_t start;

        if (t->suspecting && hb_detector_suspicion(d, from) >= threshold) {
                t->mistake_ns += until - from;
                return;
        }
        start = hb_detector_crossing_ns(d, threshold);
        if (start > until)              /* crossing may be <= 1 µs late */
                start = until;
        t->mistakes++;
        t->mistake_ns += until - start;
        t->suspecting = true;
}

int hbt_qos_evaluate(const hb_detector_config_t *cfg, double threshold,
                    const hbt_arrival_t *arr, size_t n, uint64_t crash_ns,
                    uint64_t end_ns, hbt_qos_result_t *out)
{
        hb_detector_t *d = NULL;
        struct tally t = { 0 };
        hbt_qos_result_t res;
        uint64_t start_ns, stop_ns, last_ns;
        size_t m, i;
        int r;

        if (cfg == NULL || arr == NULL || out == NULL || n == 0 ||
            !isfinite(threshold) || !(threshold > 0.0))
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
        last_ns = arr[m - 1].arrival_ns;
        if (end_ns < last_ns)
                return -EINVAL;
        r = hb_detector_new(&d, cfg);
        if (r < 0)
                return r;

        /* The hot loop: one heartbeat and one suspicion per arrival. */
        hb_detector_heartbeat_sent(d, arr[0].arrival_ns, arr[0].seq,
                                   arr[0].send_ns);
        for (i = 1; i < m; i++) {
                uint64_t a = arr[i].arrival_ns;

                if (hb_detector_suspicion(d, a) >= threshold)
                        add_mistake(&t, d, threshold, arr[i - 1].arrival_ns,
                                    a);
                else
                        t.suspecting = false;
                hb_detector_heartbeat_sent(d, a, arr[i].seq, arr[i].send_ns);
        }

        start_ns = arr[0].arrival_ns;
        res.detection_s = NAN;
        if (crash_ns != HB_NEVER) {
                stop_ns = crash_ns;
                if (hb_detector_suspicion(d, crash_ns) >= threshold) {
                        add_mistake(&t, d, threshold, last_ns, crash_ns);
                        res.detection_s = 0.0;
                } else {
                        uint64_t c = hb_detector_crossing_ns(d, threshold);

                        /* suspicion(crash) < threshold, so c > crash. */
                        res.detection_s =
                                c == HB_NEVER
                                        ? INFINITY
                                        : (double)(c - crash_ns) / NS_PER_S_F;
                }
        } else {
                stop_ns = end_ns;
                if (end_ns > last_ns &&
                    hb_detector_suspicion(d, end_ns) >= threshold)
                        add_mistake(&t, d, threshold, last_ns, end_ns);
        }
        hb_detector_free(d);

        res.arrivals = m;
        res.alive_s = (double)(stop_ns - start_ns) / NS_PER_S_F;
        res.mistakes = t.mistakes;
        if (stop_ns > start_ns) {
                res.mistake_rate_per_s = (double)t.mistakes / res.alive_s;
                res.query_accuracy =
                        1.0 - (double)t.mistake_ns /
                                      (double)(stop_ns - start_ns);
        } else {
                /* No alive time: a mistake could only be of zero length. */
                res.mistake_rate_per_s = t.mistakes ? INFINITY : 0.0;
                res.query_accuracy = 1.0;
        }
        /* T_MR = 1 / lambda_M (Chen et al., section 2.2: lambda_M =
         * 1 / E(T_MR)): alive time per mistake, so the two never
         * disagree, whatever the mistakes' clustering. */
        res.mean_recurrence_s =
                t.mistakes > 0 && stop_ns > start_ns
                        ? res.alive_s / (double)t.mistakes
                        : NAN;
        res.mean_mistake_s =
                t.mistakes ? (double)t.mistake_ns / NS_PER_S_F /
                                     (double)t.mistakes
                           : NAN;
        *out = res;
        return 0;
}
