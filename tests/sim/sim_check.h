/* SPDX-License-Identifier: MIT */
/*
 * The election invariants, shared by the simulated campaigns
 * (test_sim_election.c, test_sim_policy.c), checked after every simulated
 * event:
 *
 *   1. election safety: never two nodes in role leader, both quorate, in
 *      the same term;
 *   2. no overlap: at no instant are two running nodes in role leader
 *      (any terms); the smallest gap between one leader's end and the
 *      next one's start is kept (the lease margin);
 *   3. terms never decrease per node, across restarts (the simulator
 *      restores what HB_EVENT_TERM made durable).
 *
 * A violation prints what and the command that replays the run.
 */
#ifndef HB_TESTS_SIM_CHECK_H
#define HB_TESTS_SIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

#define SIMC_MAX_NODES 7

typedef struct simc {
        size_t n;
        uint64_t seed;
        const char *replay;               /* "HBEAT_ELECTION": the prefix
                                             of the replay variables */
        const char *prog;                 /* "test_sim_election" */
        uint64_t max_term[SIMC_MAX_NODES];
        bool was_leader[SIMC_MAX_NODES];
        uint64_t leader_end[SIMC_MAX_NODES]; /* last time it stopped
                                                leading */
        uint64_t min_gap_ns;              /* smallest handover gap */
        uint64_t handovers;
        bool split_ok;                    /* two_node: invariants 1 and
                                             2 are not checked (both
                                             halves of a split are
                                             quorate and may lead, even
                                             in one term; fencing is what
                                             keeps two_node safe) */
        const char *replay_extra;         /* more replay variables
                                             ("HBEAT_ELECTION_DRIFT_PPM=
                                             1000 "), or NULL */
        bool quiet;                       /* print nothing on a violation
                                             (a test that expects one) */
        bool failed;
        uint64_t failed_at;               /* hbsim_now() of the first
                                             violation */
        char why[256];
} simc_t;

/* Priorities of a run with preempt on everywhere: hbsim_config_t's
 * node_config with a simc_prio_t as its user pointer. */
typedef struct simc_prio {
        uint32_t prio[SIMC_MAX_NODES];
} simc_prio_t;

void simc_set_prio(hb_node_config_t *cfg, size_t i, void *user);

void simc_init(simc_t *c, size_t n, uint64_t seed, const char *replay,
               const char *prog);
/* Record the first violation of the run and print it with its replay. */
void simc_fail(simc_t *c, hbsim_t *s, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Invariants 1-3 now. */
void simc_election(simc_t *c, hbsim_t *s);
/* Every role, term and quorum event (peer events too with
 * HBEAT_ELECTION_PEERS set), for a replayed seed, at simulator time (and
 * the node's own clock's reading when it differs). */
void simc_dump_roles(hbsim_t *s);

#endif /* HB_TESTS_SIM_CHECK_H */
