/* SPDX-License-Identifier: MIT */
/**
 * @file qos.h
 * @brief Quality-of-service evaluation of failure detectors on an arrival
 *        trace (pure computation; no I/O). Part of the offline tools'
 *        library (src/tools: hbeat-sim eval, hbeatctl suggest), not of
 *        libhbeat.
 *
 * Metrics of Chen, Toueg and Aguilera, "On the quality of service of
 * failure detectors", IEEE Trans. Computers 51(5), 2002, section 2:
 *
 * - T_D, detection time: from the crash to the moment the detector starts
 *   suspecting permanently (0 if it was already suspecting at the crash);
 * - a mistake: the detector starts suspecting a process that is alive (a
 *   trust -> suspect transition: one mistake however many heartbeats
 *   arrive while it lasts);
 *   lambda_M, mistake rate: mistakes per second of alive time;
 * - T_MR, mistake recurrence time: alive time per mistake, 1 / lambda_M
 *   (section 2.2: lambda_M = 1 / E(T_MR));
 * - T_M, mistake duration: mean time from the start of a mistake until
 *   the next heartbeat ends it;
 * - P_A, query accuracy probability: the fraction of alive time during
 *   which the detector's output (trust) is correct.
 *
 * "Suspecting" means suspicion >= the given threshold; pass the suspect
 * threshold to evaluate suspicion, the dead threshold to evaluate dead
 * verdicts.
 */
#ifndef HBT_QOS_H
#define HBT_QOS_H

#include <stddef.h>
#include <stdint.h>

#include "hbeat/detector.h"
#include "hbeat/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One heartbeat arrival. Public, read/write. */
typedef struct hbt_arrival {
        uint64_t seq;          /**< sender's sequence number, 0 = unknown */
        uint64_t send_ns;      /**< sender's clock at sending, ns;
                                    0 = unknown */
        uint64_t arrival_ns;   /**< observer's monotonic clock, ns */
} hbt_arrival_t;

/** Result of one evaluation. Public, read-only. */
typedef struct hbt_qos_result {
        uint64_t arrivals;           /**< arrivals replayed */
        double alive_s;              /**< observed alive time, s: first
                                          arrival to crash (or end) */
        uint64_t mistakes;           /**< trust -> suspect transitions
                                          while the peer was alive */
        double mistake_rate_per_s;   /**< lambda_M = mistakes / alive_s */
        double mean_recurrence_s;    /**< T_MR = alive_s / mistakes;
                                          NAN if no mistake */
        double mean_mistake_s;       /**< T_M; NAN if no mistake */
        double query_accuracy;       /**< P_A in [0, 1] */
        double detection_s;          /**< T_D; NAN if no crash, INFINITY
                                          if never detected */
} hbt_qos_result_t;

/**
 * Replay `arr[0..n)` (non-decreasing arrival times) through a fresh
 * detector built from `cfg`, judged against `threshold`.
 *
 * @param crash_ns  the sender's crash time (observer clock), or HB_NEVER;
 *                  arrivals after it are ignored.
 * @param end_ns    end of observation (>= the last arrival); with no crash
 *                  the silence after the last arrival up to end_ns counts
 *                  (a suspicion in it is a mistake).
 * @param out       written on success.
 * @return 0; -EINVAL (bad cfg, NULL arguments, n == 0, threshold not
 *         finite and > 0, unordered arrivals, a crash before the first
 *         arrival, end_ns before the last replayed arrival); -ENOMEM.
 *
 * Zero alive time gives lambda_M 0 and P_A 1. T_D does not depend on
 * end_ns. Sequence numbers and send times are passed to the detector as
 * they are (hb_detector_heartbeat_sent()); the detector is never reset,
 * so a trace that spans a restart of the sender is judged as one life.
 *
 * Cost: O(n) with one check of the suspicion per arrival and one
 * crossing computation per mistake; no allocation beyond the detector.
 * Reentrant.
 */
int hbt_qos_evaluate(const hb_detector_config_t *cfg, double threshold,
                    const hbt_arrival_t *arr, size_t n, uint64_t crash_ns,
                    uint64_t end_ns, hbt_qos_result_t *out);

/** What hbt_qos_evaluate_levels() reports as T_D (detection_s). */
typedef enum hbt_qos_td {
        /** The crash at crash_ns, as hbt_qos_evaluate(); NAN without. */
        HBT_QOS_TD_CRASH = 0,
        /** A virtual crash right at the last arrival (crash_ns must be
         *  HB_NEVER): T_D is the time from it to the crossing after it,
         *  the worst case of a crash any time after that heartbeat was
         *  sent. The other metrics are those without a crash, up to
         *  end_ns, except when end_ns is the last arrival: then all are
         *  hbt_qos_evaluate()'s with crash_ns = the last arrival (which
         *  counts a suspicion right at it as a mistake of zero length). */
        HBT_QOS_TD_LAST = 1,
        /** The mean of that over virtual crashes right after each arrival
         *  (crash_ns must be HB_NEVER): the mean of crossing - arrival
         *  over every arrival, INFINITY if one crossing never comes. The
         *  other metrics are those without a crash. */
        HBT_QOS_TD_EACH = 2,
} hbt_qos_td_t;

/**
 * hbt_qos_evaluate() for several thresholds of one configuration in one
 * replay, with a choice of T_D: out[j] is the result for thresholds[j]
 * (with HBT_QOS_TD_CRASH, exactly hbt_qos_evaluate()'s, bit for bit).
 * The detector's state does not depend on the threshold, so a threshold
 * sweep costs one replay, not one per threshold.
 *
 * @param thresholds  n_thr values, each finite and > 0; repeats allowed.
 * @param crash_ns    as hbt_qos_evaluate(); HB_NEVER for
 *                    HBT_QOS_TD_LAST and HBT_QOS_TD_EACH.
 * @param out         n_thr results, written on success only.
 * @return 0; -EINVAL (hbt_qos_evaluate()'s causes, for any threshold;
 *         n_thr == 0; NULL thresholds; an unknown `td`, or a crash_ns
 *         with HBT_QOS_TD_LAST or HBT_QOS_TD_EACH); -ENOMEM.
 *
 * Cost: O(n x n_thr). Per arrival one heartbeat, and per threshold one
 * check of the suspicion (a crossing only per mistake), or with
 * HBT_QOS_TD_EACH one crossing (its verification is two checks; the
 * crossing decides the mistakes too, qos.c). The thresholds are prepared
 * levels (hb_detector_level_prepare()): for phi the checks compare y
 * instead of computing phi. Allocates the detector, and state for the
 * thresholds when there are more than 16. Reentrant: replays may run in
 * parallel threads.
 */
int hbt_qos_evaluate_levels(const hb_detector_config_t *cfg,
                            const double *thresholds, size_t n_thr,
                            const hbt_arrival_t *arr, size_t n,
                            uint64_t crash_ns, uint64_t end_ns,
                            hbt_qos_td_t td, hbt_qos_result_t *out);

#ifdef __cplusplus
}
#endif

#endif /* HBT_QOS_H */
