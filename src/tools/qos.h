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
 * Cost: O(n) with one suspicion evaluation per arrival and one crossing
 * computation per mistake; no allocation beyond the detector.
 */
int hbt_qos_evaluate(const hb_detector_config_t *cfg, double threshold,
                    const hbt_arrival_t *arr, size_t n, uint64_t crash_ns,
                    uint64_t end_ns, hbt_qos_result_t *out);

#ifdef __cplusplus
}
#endif

#endif /* HBT_QOS_H */
