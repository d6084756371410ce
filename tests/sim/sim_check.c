/* SPDX-License-Identifier: MIT */
/* The election invariants of the simulated campaigns (sim_check.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_check.h"

void simc_init(simc_t *c, size_t n, uint64_t seed, const char *replay,
               const char *prog)
{
        memset(c, 0, sizeof(*c));
        c->n = n;
        c->seed = seed;
        c->replay = replay;
        c->prog = prog;
        c->min_gap_ns = UINT64_MAX;
}

void simc_fail(simc_t *c, hbsim_t *s, const char *fmt, ...)
{
        va_list ap;

        if (c->failed)
                return;
        c->failed = true;
        c->failed_at = hbsim_now(s);
        va_start(ap, fmt);
        vsnprintf(c->why, sizeof(c->why), fmt, ap);
        va_end(ap);
        if (c->quiet)
                return;
        fprintf(stderr,
                "invariant violated at %.3f ms: %s\n"
                "replay: %s_SEED=%" PRIu64 " %s_NODES=%zu %sbuild/%s\n",
                (double)hbsim_now(s) / 1e6, c->why, c->replay, c->seed,
                c->replay, c->n, c->replay_extra ? c->replay_extra : "",
                c->prog);
}

void simc_election(simc_t *c, hbsim_t *s)
{
        hb_coord_info_t ci[SIMC_MAX_NODES];
        bool up[SIMC_MAX_NODES], lead[SIMC_MAX_NODES];
        uint64_t now = hbsim_now(s);
        size_t i, j, acting = 0;

        for (i = 0; i < c->n; i++) {
                up[i] = hbsim_coord(s, i, &ci[i]);
                lead[i] = hbsim_is_leader(s, i);
                acting += lead[i];
                if (up[i]) {
                        /* 3: terms never go back, restarts included. */
                        if (ci[i].term < c->max_term[i])
                                simc_fail(c, s,
                                          "n%zu term went back %" PRIu64
                                          " -> %" PRIu64,
                                          i + 1, c->max_term[i], ci[i].term);
                        c->max_term[i] = ci[i].term;
                }
        }
        /* 1: one quorate leader per term. */
        for (i = 0; i < c->n; i++)
                for (j = i + 1; j < c->n; j++)
                        if (up[i] && up[j] && !c->split_ok &&
                            ci[i].role == HB_ROLE_LEADER &&
                            ci[j].role == HB_ROLE_LEADER && ci[i].quorate &&
                            ci[j].quorate && ci[i].term == ci[j].term)
                                simc_fail(c, s,
                                          "n%zu and n%zu both leader in "
                                          "term %" PRIu64,
                                          i + 1, j + 1, ci[i].term);
        /* 2: never two acting leaders at once. */
        if (acting > 1 && !c->split_ok)
                simc_fail(c, s, "%zu acting leaders at once", acting);
        for (i = 0; i < c->n; i++) {
                if (lead[i] && !c->was_leader[i]) {
                        /* Margin: since the last other leader stopped. */
                        for (j = 0; j < c->n; j++) {
                                uint64_t gap;

                                if (j == i || c->leader_end[j] == 0)
                                        continue;
                                gap = now - c->leader_end[j];
                                if (gap < c->min_gap_ns &&
                                    gap < 10 * HB_NS_PER_S)
                                        c->min_gap_ns = gap;
                        }
                        c->handovers++;
                }
                if (!lead[i] && c->was_leader[i])
                        c->leader_end[i] = now;
                c->was_leader[i] = lead[i];
        }
}

void simc_dump_roles(hbsim_t *s)
{
        size_t ne, i;
        const hbsim_event_t *ev = hbsim_events(s, &ne);

        for (i = 0; i < ne; i++) {
                const hb_event_t *e = &ev[i].ev;
                char local[48] = "";

                /* The node's own clock, when it is not the simulator's. */
                if (e->at_ns != ev[i].at_ns)
                        snprintf(local, sizeof(local), " [its clock %.3f ms]",
                                 (double)e->at_ns / 1e6);
                if (e->type == HB_EVENT_ROLE || e->type == HB_EVENT_TERM ||
                    e->type == HB_EVENT_QUORUM)
                        fprintf(stderr,
                                "%10.3f ms n%zu: %s %s -> %s term %" PRIu64
                                " leader n%u voted n%u (%s)%s\n",
                                (double)ev[i].at_ns / 1e6, ev[i].observer + 1,
                                e->type == HB_EVENT_ROLE    ? "role"
                                : e->type == HB_EVENT_TERM ? "term"
                                                           : "quorum",
                                hb_role_name(e->old_role),
                                hb_role_name(e->new_role), e->term,
                                e->leader_id, e->voted_for, e->why, local);
                else if (getenv("HBEAT_ELECTION_PEERS"))
                        fprintf(stderr, "%10.3f ms n%zu: n%zu %s -> %s%s\n",
                                (double)ev[i].at_ns / 1e6, ev[i].observer + 1,
                                ev[i].peer + 1,
                                hb_peer_state_name(e->old_state),
                                hb_peer_state_name(e->new_state), local);
        }
}

void simc_set_prio(hb_node_config_t *cfg, size_t i, void *user)
{
        const simc_prio_t *pp = user;

        cfg->coord.priority = pp->prio[i];
        cfg->coord.preempt = true;
}
