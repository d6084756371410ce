/* SPDX-License-Identifier: MIT */
/*
 * See metrics.h. Names follow the Prometheus conventions
 * (https://prometheus.io/docs/practices/naming/): the `hbeat_` prefix,
 * base units (seconds, bytes) in the name, `_total` for counters, a
 * state as a set of 0/1 gauges with a `state` label, the process
 * collector's names as the official client libraries write them.
 *
 * The metrics module remembers, per peer (by id, sorted), the transitions
 * per (from, to, reason), the false suspicions (suspect -> alive: the
 * peer was suspected and came back without being declared dead) and an
 * RTT histogram; and for the node the failover durations: from the
 * moment this node lost its leader (every coordination event carries the
 * leader it follows; a leader follows itself) to the moment it has one
 * again — a follower following a new leader, or this node's own
 * leadership established (election.md). The first election after
 * start-up is not a failover. A peer removed on reload loses its series
 * (HBD_EV_PEERS); one added starts from zero.
 *
 * The module keeps nothing when HTTP is off (no one can scrape).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daemon/metrics.h"
#include "daemon/prom.h"

/* Distinct (from, to, reason) kept per peer: the state machine (node.h)
 * has fewer legal transitions than this. */
#define MAX_KINDS 32

/* RTT bucket bounds, s: a LAN's 100 µs to a WAN's 2 s. */
static const double rtt_bounds_s[] = {
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
        0.05, 0.1, 0.25, 0.5, 1, 2,
};

/* Failover bounds, s: detection plus election, 50 ms to minutes. */
static const double failover_bounds_s[] = {
        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
};

typedef struct transition_kind {
        uint8_t from, to, reason;
        uint64_t count;
} transition_kind_t;

typedef struct peer_metrics {
        uint32_t id;
        transition_kind_t kinds[MAX_KINDS];
        size_t n_kinds;
        uint64_t false_suspicions;
        hbd_hist_t rtt;
} peer_metrics_t;

typedef struct metrics {
        hbd_ctx_t *ctx;
        peer_metrics_t **peers;        /* sorted by id */
        size_t n_peers;
        hbd_hist_t failover;
        bool had_leader;               /* the last coordination event
                                          named a leader */
        bool leaderless;               /* a failover is under way */
        uint64_t lost_at_ns;           /* since when */
        uint64_t failovers_started;
        /* Topology "hierarchy" (docs/hierarchy.md). */
        uint64_t region_events[3];     /* by new hb_region_state_t */
        uint64_t global_role_changes;
} metrics_t;

/* ---- per-peer memory ------------------------------------------------- */

static size_t peer_lower(const metrics_t *m, uint32_t id)
{
        size_t lo = 0, hi = m->n_peers;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (m->peers[mid]->id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static peer_metrics_t *peer_find(const metrics_t *m, uint32_t id)
{
        size_t i = peer_lower(m, id);

        return i < m->n_peers && m->peers[i]->id == id ? m->peers[i] : NULL;
}

/* Peer `id`'s record, made on first use; NULL when out of memory (the
 * sample is lost, nothing else). */
static peer_metrics_t *peer_get(metrics_t *m, uint32_t id)
{
        peer_metrics_t *p = peer_find(m, id), **arr;
        size_t i;

        if (p != NULL)
                return p;
        p = calloc(1, sizeof(*p));
        arr = realloc(m->peers, (m->n_peers + 1) * sizeof(*arr));
        if (p == NULL || arr == NULL) {
                free(p);
                if (arr != NULL)
                        m->peers = arr;
                return NULL;
        }
        m->peers = arr;
        p->id = id;
        hbd_hist_init(&p->rtt, rtt_bounds_s,
                      sizeof(rtt_bounds_s) / sizeof(rtt_bounds_s[0]));
        i = peer_lower(m, id);
        memmove(&m->peers[i + 1], &m->peers[i],
                (m->n_peers - i) * sizeof(*m->peers));
        m->peers[i] = p;
        m->n_peers++;
        return p;
}

/* Forget peers the node no longer has (a reload removed them). */
static void prune(metrics_t *m)
{
        uint64_t now = uv_hrtime();
        hb_peer_info_t pi;
        size_t i, k = 0;

        for (i = 0; i < m->n_peers; i++) {
                if (hb_node_peer_info(m->ctx->node, m->peers[i]->id, now,
                                      &pi) == 0)
                        m->peers[k++] = m->peers[i];
                else
                        free(m->peers[i]);
        }
        m->n_peers = k;
}

/* ---- events ---------------------------------------------------------- */

static void count_transition(metrics_t *m, const hb_event_t *ev)
{
        peer_metrics_t *p = peer_get(m, ev->peer_id);
        size_t i;

        if (p == NULL)
                return;
        if (ev->old_state == HB_PEER_SUSPECT &&
            ev->new_state == HB_PEER_ALIVE)
                p->false_suspicions++;
        for (i = 0; i < p->n_kinds; i++) {
                transition_kind_t *k = &p->kinds[i];

                if (k->from == ev->old_state && k->to == ev->new_state &&
                    k->reason == ev->reason) {
                        k->count++;
                        return;
                }
        }
        if (p->n_kinds == MAX_KINDS)
                return; /* not reached: see MAX_KINDS */
        p->kinds[p->n_kinds++] = (transition_kind_t){
                .from = (uint8_t)ev->old_state,
                .to = (uint8_t)ev->new_state,
                .reason = (uint8_t)ev->reason,
                .count = 1,
        };
}

/* A coordination event: does this node follow a leader (itself
 * included, once established)? See the top. */
static void track_leader(metrics_t *m, const hb_event_t *ev)
{
        uint32_t self = hb_node_id(m->ctx->node);
        bool has = ev->leader_id != 0;

        if (m->had_leader && !has && !m->leaderless) {
                m->leaderless = true;
                m->lost_at_ns = ev->at_ns;
                m->failovers_started++;
        }
        m->had_leader = has;
        if (m->leaderless && has &&
            (ev->leader_id != self || ev->established)) {
                m->leaderless = false;
                hbd_hist_observe(&m->failover,
                                 (double)(ev->at_ns - m->lost_at_ns) /
                                 (double)HB_NS_PER_S);
        }
}

static void on_event(void *state, const hbd_event_t *ev)
{
        metrics_t *m = state;
        peer_metrics_t *p;

        if (m == NULL)
                return;
        switch (ev->kind) {
        case HBD_EV_CORE:
                if (ev->core->type == HB_EVENT_PEER_STATE)
                        count_transition(m, ev->core);
                else if (ev->core->type == HB_EVENT_ROLE ||
                         ev->core->type == HB_EVENT_QUORUM ||
                         ev->core->type == HB_EVENT_TERM)
                        track_leader(m, ev->core);
                else if (ev->core->type == HB_EVENT_REGION &&
                         (unsigned)ev->core->new_region_state < 3)
                        m->region_events[ev->core->new_region_state]++;
                else if (ev->core->type == HB_EVENT_GLOBAL_ROLE)
                        m->global_role_changes++;
                return;
        case HBD_EV_RTT:
                p = peer_get(m, ev->rtt.peer_id);
                if (p != NULL)
                        hbd_hist_observe(&p->rtt, (double)ev->rtt.rtt_ns /
                                                  (double)HB_NS_PER_S);
                return;
        case HBD_EV_PEERS:
                prune(m);
                return;
        default:
                return;
        }
}

/* ---- the module's families ------------------------------------------- */

/* The peer's configured name ("?" for none). */
static const char *peer_name(const hbd_ctx_t *ctx, uint32_t id)
{
        const char *name = hbd_name(ctx, id);

        return name != NULL ? name : "?";
}

/* Topology "hierarchy" (docs/hierarchy.md): region events, this node's
 * region and coordinator, its global role, unreachable regions. */
static void hier_metrics(const metrics_t *m, hbd_prom_t *out)
{
        hb_hier_info_t hi;
        char r[16];

        hb_node_hier_info(m->ctx->node, &hi);
        hbd_prom_family(out, "hbeat_region_events_total", "counter",
                        "Region events seen here, by the state entered "
                        "(one per cut region, not per member).");
        for (unsigned st = HB_REGION_REACHABLE; st <= HB_REGION_UNREACHABLE;
             st++)
                hbd_prom_u64(out, (const char *[]){
                        "state", hb_region_state_name(st), NULL },
                        m->region_events[st]);
        hbd_prom_family(out, "hbeat_region_unreachable", "gauge",
                        "1 for each region this node finds unreachable.");
        for (uint32_t k = 1; k <= HB_HIER_REGIONS_MAX; k++) {
                if (!(hi.unreachable_map & (UINT64_C(1) << (k - 1))))
                        continue;
                snprintf(r, sizeof(r), "%" PRIu32, k);
                hbd_prom_u64(out, (const char *[]){ "region", r, NULL }, 1);
        }
        hbd_prom_family(out, "hbeat_region_coordinator", "gauge",
                        "1 while this node coordinates its region.");
        hbd_prom_u64(out, NULL, hi.coordinator ? 1 : 0);
        hbd_prom_family(out, "hbeat_region_coordinator_id", "gauge",
                        "Node id of this node's region's coordinator (0: "
                        "none known).");
        hbd_prom_u64(out, NULL, hi.coordinator_id);
        hbd_prom_family(out, "hbeat_global_role_changes_total", "counter",
                        "Changes of this node's role at the global level.");
        hbd_prom_u64(out, NULL, m->global_role_changes);
        hbd_prom_family(out, "hbeat_global_holder", "gauge",
                        "1 while this node's region holds the cluster's "
                        "at-most-one resource (global coordinator, "
                        "established).");
        hbd_prom_u64(out, NULL, hi.holds ? 1 : 0);
}

/* Topology "subset" (docs/subset.md): this node's monitors, the
 * members it judges, its verdict and repair traffic. */
static void subset_metrics(const metrics_t *m, hbd_prom_t *out)
{
        hb_subset_info_t si;
        hb_node_counters_t nc;

        hb_node_subset_info(m->ctx->node, &si);
        hb_node_counters(m->ctx->node, &nc);
        hbd_prom_family(out, "hbeat_subset_monitor", "gauge",
                        "1 for each node this node heartbeats to (its "
                        "monitors on the hash ring).");
        for (uint32_t i = 0; i < si.n_monitors; i++)
                hbd_prom_u64(out, (const char *[]){
                        "peer", peer_name(m->ctx, si.monitors[i]), NULL },
                        1);
        hbd_prom_family(out, "hbeat_subset_judged", "gauge",
                        "Members this node judges (it is one of their "
                        "monitors).");
        hbd_prom_u64(out, NULL, si.n_judged);
        hbd_prom_family(out, "hbeat_subset_verdicts_sent_total", "counter",
                        "Verdict messages this node sent (each to every "
                        "peer).");
        hbd_prom_u64(out, NULL, nc.subset_verdicts_sent);
        hbd_prom_family(out, "hbeat_subset_verdicts_received_total",
                        "counter",
                        "Verdict messages accepted from monitors.");
        hbd_prom_u64(out, NULL, nc.subset_verdicts_received);
        hbd_prom_family(out, "hbeat_subset_repairs_sent_total", "counter",
                        "Repair messages (relayed verdicts) sent to a "
                        "member whose digest differed.");
        hbd_prom_u64(out, NULL, nc.subset_repairs_sent);
}

static void module_metrics(void *state, hbd_prom_t *out)
{
        const metrics_t *m = state;
        const hbd_ctx_t *ctx;
        hbd_hist_t empty;
        size_t i, k;

        if (m == NULL)
                return;
        ctx = m->ctx;
        hbd_hist_init(&empty, rtt_bounds_s,
                      sizeof(rtt_bounds_s) / sizeof(rtt_bounds_s[0]));

        hbd_prom_family(out, "hbeat_peer_transitions_total", "counter",
                        "Peer state transitions, by old state, new state "
                        "and reason (docs/states.md).");
        for (i = 0; i < m->n_peers; i++) {
                const peer_metrics_t *p = m->peers[i];
                const char *name = peer_name(ctx, p->id);

                for (k = 0; k < p->n_kinds; k++) {
                        const transition_kind_t *t = &p->kinds[k];

                        hbd_prom_u64(out, (const char *[]){
                                "peer", name,
                                "from", hb_peer_state_name(t->from),
                                "to", hb_peer_state_name(t->to),
                                "reason", hb_reason_name(t->reason), NULL },
                                t->count);
                }
        }

        /* Every peer has a series, from 0; the configured peers are the
         * node's (reload.c keeps them so), with their names at hand. */
        hbd_prom_family(out, "hbeat_peer_false_suspicions_total", "counter",
                        "Suspicions that ended with the peer alive again, "
                        "never declared dead (suspect -> alive).");
        for (i = 0; i < ctx->cfg->n_peers; i++) {
                const hbd_peer_conf_t *pc = &ctx->cfg->peers[i];
                const peer_metrics_t *p = peer_find(m, pc->id);

                hbd_prom_u64(out, (const char *[]){ "peer", pc->name, NULL },
                             p != NULL ? p->false_suspicions : 0);
        }

        hbd_prom_family(out, "hbeat_peer_rtt_seconds", "histogram",
                        "Round-trip times measured by echo (heartbeat "
                        "with an echo request, its ACK).");
        for (i = 0; i < ctx->cfg->n_peers; i++) {
                const hbd_peer_conf_t *pc = &ctx->cfg->peers[i];
                const peer_metrics_t *p = peer_find(m, pc->id);

                hbd_prom_hist(out, (const char *[]){ "peer", pc->name, NULL },
                              p != NULL ? &p->rtt : &empty);
        }

        hbd_prom_family(out, "hbeat_failover_duration_seconds", "histogram",
                        "From this node losing its leader to its following "
                        "a new one (or its own leadership established).");
        hbd_prom_hist(out, NULL, &m->failover);
        hbd_prom_family(out, "hbeat_failovers_started_total", "counter",
                        "Times this node lost its leader.");
        hbd_prom_u64(out, NULL, m->failovers_started);
        hbd_prom_family(out, "hbeat_leaderless", "gauge",
                        "1 while this node has lost its leader and has no "
                        "new one yet.");
        hbd_prom_u64(out, NULL, m->leaderless ? 1 : 0);
        if (ctx->cfg->node.hier.enabled)
                hier_metrics(m, out);
        if (ctx->cfg->node.topology == HB_TOPOLOGY_SUBSET)
                subset_metrics(m, out);
}

static int module_start(hbd_ctx_t *ctx, void **state)
{
        metrics_t *m;

        *state = NULL;
        if (ctx->cfg->http_listen == NULL)
                return 0;
        m = calloc(1, sizeof(*m));
        if (m == NULL)
                return -ENOMEM;
        m->ctx = ctx;
        hbd_hist_init(&m->failover, failover_bounds_s,
                      sizeof(failover_bounds_s) /
                      sizeof(failover_bounds_s[0]));
        *state = m;
        return 0;
}

static void module_stop(void *state, void (*done)(void *), void *arg)
{
        metrics_t *m = state;
        size_t i;

        if (m != NULL) {
                for (i = 0; i < m->n_peers; i++)
                        free(m->peers[i]);
                free(m->peers);
                free(m);
        }
        done(arg);
}

/* Keeps nothing that depends on the configuration but the peer set,
 * which HBD_EV_PEERS reports; http.listen cannot change on reload. */
const hbd_module_t hbd_metrics_module = {
        .name = "metrics",
        .events = HBD_EV_CORE | HBD_EV_RTT | HBD_EV_PEERS,
        .start = module_start,
        .on_event = on_event,
        .metrics = module_metrics,
        .stop = module_stop,
};

/* ---- the node's families --------------------------------------------- */

static const hb_peer_state_t all_states[] = {
        HB_PEER_UNKNOWN, HB_PEER_ALIVE, HB_PEER_SUSPECT, HB_PEER_DEAD,
        HB_PEER_PROBATION, HB_PEER_LEFT,
};
#define N_STATES (sizeof(all_states) / sizeof(all_states[0]))

/* One counter family with one unlabelled sample. */
static void counter1(hbd_prom_t *out, const char *name, const char *help,
                     uint64_t v)
{
        hbd_prom_family(out, name, "counter", help);
        hbd_prom_u64(out, NULL, v);
}

static void gauge1(hbd_prom_t *out, const char *name, const char *help,
                   double v)
{
        hbd_prom_family(out, name, "gauge", help);
        hbd_prom_double(out, NULL, v);
}

/* One peer, read once per scrape: hb_node_peer_at() computes RTT
 * percentiles and the suspicion, and names are found by a linear search;
 * each family then reads this. */
typedef struct peer_snap {
        hb_peer_info_t pi;
        hb_uv_peer_counters_t pc;
        const char *name;
} peer_snap_t;

/* Per-peer families read from the node and the adapter. */
static void peer_families(hbd_ctx_t *ctx, hbd_prom_t *out, uint64_t now)
{
        size_t i, s, n = hb_node_peer_count(ctx->node), k = 0;
        uint64_t by_state[N_STATES] = { 0 };
        peer_snap_t *snap;
        static const struct {
                const char *name, *help;
                size_t off;
        } traffic[] = {
                { "hbeat_peer_heartbeats_sent_total",
                  "Heartbeats sent to the peer.",
                  offsetof(hb_uv_peer_counters_t, tx_heartbeats) },
                { "hbeat_peer_heartbeats_received_total",
                  "Heartbeats from the peer accepted.",
                  offsetof(hb_uv_peer_counters_t, rx_heartbeats) },
                { "hbeat_peer_sent_bytes_total",
                  "UDP payload bytes sent to the peer (all messages).",
                  offsetof(hb_uv_peer_counters_t, tx_bytes) },
                { "hbeat_peer_received_bytes_total",
                  "UDP payload bytes from the peer accepted (all "
                  "messages).",
                  offsetof(hb_uv_peer_counters_t, rx_bytes) },
        };

        snap = calloc(n ? n : 1, sizeof(*snap));
        if (snap == NULL) {
                out->oom = true;
                return;
        }
        for (i = 0; i < n; i++) {
                peer_snap_t *p = &snap[k];

                if (hb_node_peer_at(ctx->node, i, now, &p->pi) < 0)
                        continue;
                /* Pull peers have no traffic: zeros. */
                (void)hb_uv_node_peer_counters(ctx->un, p->pi.id, &p->pc);
                p->name = peer_name(ctx, p->pi.id);
                for (s = 0; s < N_STATES; s++)
                        if (p->pi.state == all_states[s])
                                by_state[s]++;
                k++;
        }
        hbd_prom_family(out, "hbeat_peer_state", "gauge",
                        "1 for the peer's current state, 0 for the others.");
        for (i = 0; i < k; i++)
                for (s = 0; s < N_STATES; s++)
                        hbd_prom_u64(out, (const char *[]){
                                "peer", snap[i].name,
                                "state", hb_peer_state_name(all_states[s]),
                                NULL }, snap[i].pi.state == all_states[s]);
        hbd_prom_family(out, "hbeat_peers", "gauge",
                        "Peers in each state.");
        for (s = 0; s < N_STATES; s++)
                hbd_prom_u64(out, (const char *[]){
                        "state", hb_peer_state_name(all_states[s]), NULL },
                        by_state[s]);
        hbd_prom_family(out, "hbeat_peer_suspicion", "gauge",
                        "The detector's current suspicion of the peer (phi "
                        "or missed intervals, docs/detectors.md).");
        for (i = 0; i < k; i++)
                hbd_prom_double(out, (const char *[]){
                        "peer", snap[i].name, NULL }, snap[i].pi.suspicion);
        hbd_prom_family(out, "hbeat_peer_sequence_gaps_total", "counter",
                        "Heartbeat sequence numbers skipped (lost or "
                        "dropped heartbeats).");
        for (i = 0; i < k; i++)
                hbd_prom_u64(out, (const char *[]){
                        "peer", snap[i].name, NULL }, snap[i].pi.seq_gaps);
        for (s = 0; s < sizeof(traffic) / sizeof(traffic[0]); s++) {
                hbd_prom_family(out, traffic[s].name, "counter",
                                traffic[s].help);
                for (i = 0; i < k; i++) {
                        uint64_t v;

                        memcpy(&v, (const char *)&snap[i].pc +
                               traffic[s].off, sizeof(v));
                        hbd_prom_u64(out, (const char *[]){
                                "peer", snap[i].name, NULL }, v);
                }
        }
        free(snap);
}

/* Per-(peer, link) families (docs/links.md): state, suspicion, RTT,
 * heartbeats and gaps on each link. With one link the link is the peer
 * (named "default"). Pull peers have no link. */
static void link_families(hbd_ctx_t *ctx, hbd_prom_t *out, uint64_t now)
{
        static const hb_link_state_t states[] = {
                HB_LINK_UNKNOWN, HB_LINK_UP, HB_LINK_DOWN, HB_LINK_PROBATION,
        };
        static const struct {
                const char *name, *type, *help;
        } fam[] = {
                { "hbeat_link_state", "gauge",
                  "1 for the link's current state, 0 for the others." },
                { "hbeat_link_up", "gauge",
                  "1 while heartbeats arrive on this link of the peer." },
                { "hbeat_link_suspicion", "gauge",
                  "The link's own detector's suspicion." },
                { "hbeat_link_rtt_median_seconds", "gauge",
                  "Median round-trip time on the link (last 64 echoes); "
                  "absent before the first." },
                { "hbeat_link_rtt_p99_seconds", "gauge",
                  "99th percentile round-trip time on the link." },
                { "hbeat_link_heartbeats_received_total", "counter",
                  "Heartbeats and leaves accepted on the link." },
                { "hbeat_link_sequence_gaps_total", "counter",
                  "Heartbeat sequence numbers never seen on the link "
                  "(loss on this path)." },
                { "hbeat_link_transitions_total", "counter",
                  "Link state changes." },
        };
        size_t n = hb_node_peer_count(ctx->node);
        uint32_t nl = hb_node_links(ctx->node);

        for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
                hbd_prom_family(out, fam[f].name, fam[f].type, fam[f].help);
                for (size_t i = 0; i < n; i++) {
                        const hbd_peer_conf_t *pc;
                        hb_peer_info_t pi;

                        if (hb_node_peer_at(ctx->node, i, now, &pi) < 0)
                                continue;
                        pc = hbd_config_peer(ctx->cfg, pi.id);
                        if (pc != NULL && pc->external)
                                continue;
                        for (uint32_t k = 0; k < nl; k++) {
                                const char *peer = peer_name(ctx, pi.id);
                                const char *link = hbd_link_name(ctx->cfg, k);
                                const char *lab[] = { "peer", peer, "link",
                                                      link, NULL };
                                hb_link_info_t li;

                                if (hb_node_peer_link_info(ctx->node, pi.id,
                                                           k, now, &li) < 0)
                                        continue;
                                switch (f) {
                                case 0:
                                        for (size_t s = 0; s < 4; s++)
                                                hbd_prom_u64(out,
                                                        (const char *[]){
                                                        "peer", peer,
                                                        "link", link,
                                                        "state",
                                                        hb_link_state_name(
                                                                states[s]),
                                                        NULL },
                                                        li.state ==
                                                                states[s]);
                                        break;
                                case 1:
                                        hbd_prom_u64(out, lab,
                                                     li.state == HB_LINK_UP);
                                        break;
                                case 2:
                                        hbd_prom_double(out, lab,
                                                        li.suspicion);
                                        break;
                                case 3:
                                case 4:
                                        if (li.rtt_samples > 0)
                                                hbd_prom_double(out, lab,
                                                        (f == 3
                                                         ? li.rtt_median_ns
                                                         : li.rtt_p99_ns) /
                                                                1e9);
                                        break;
                                case 5:
                                        hbd_prom_u64(out, lab, li.received);
                                        break;
                                case 6:
                                        hbd_prom_u64(out, lab, li.seq_gaps);
                                        break;
                                default:
                                        hbd_prom_u64(out, lab,
                                                     li.transitions);
                                        break;
                                }
                        }
                }
        }
}

static void node_families(hbd_ctx_t *ctx, hbd_prom_t *out)
{
        hb_node_counters_t nc;
        hb_uv_counters_t uc;
        size_t i;

        hb_node_counters(ctx->node, &nc);
        hb_uv_node_counters(ctx->un, &uc);
        hbd_prom_family(out, "hbeat_build_info", "gauge",
                        "1, labelled with the version of hbeatd.");
        hbd_prom_u64(out, (const char *[]){ "version", HB_VERSION_STRING,
                                            NULL }, 1);
        counter1(out, "hbeat_received_messages_total",
                 "Messages accepted (heartbeats, leaves, ACKs, votes).",
                 nc.rx_accepted);
        hbd_prom_family(out, "hbeat_dropped_messages_total", "counter",
                        "Datagrams dropped, by reason (docs/wire-format.md).");
        for (i = 0; i < hb_drop_reason_count(); i++) {
                int reason = hb_drop_reason_at(i);

                hbd_prom_u64(out, (const char *[]){
                        "reason", hb_errname(reason), NULL },
                        hb_node_dropped(ctx->node, reason));
        }
        counter1(out, "hbeat_sent_datagrams_total", "Datagrams sent.",
                 uc.tx_datagrams);
        hbd_prom_family(out, "hbeat_send_failures_total", "counter",
                        "Datagrams not sent: socket buffer full (eagain) "
                        "or another error.");
        hbd_prom_u64(out, (const char *[]){ "reason", "eagain", NULL },
                     uc.tx_eagain);
        hbd_prom_u64(out, (const char *[]){ "reason", "error", NULL },
                     uc.tx_errors);
        counter1(out, "hbeat_output_dropped_total",
                 "Queued messages dropped because the output queue could "
                 "not grow.", nc.output_dropped);
        counter1(out, "hbeat_local_pauses_total",
                 "Times this process found it had not run (SIGSTOP, VM "
                 "pause) and suspended convictions.", nc.local_pauses);
        counter1(out, "hbeat_send_late_total",
                 "Times the heartbeat schedule was re-based because a "
                 "tick came more than an interval late.", nc.send_late);
        counter1(out, "hbeat_port_unreachable_reports_total",
                 "ICMP port unreachable reports for known peers.",
                 nc.port_unreachable);
        counter1(out, "hbeat_class_mismatch_total",
                 "Heartbeats whose announced interval was outside the "
                 "bounds of the class this node gives their sender.",
                 nc.class_mismatch);
        counter1(out, "hbeat_class_interval_changes_total",
                 "Changes of an adaptive class's heartbeat interval.",
                 nc.interval_changes);
        counter1(out, "hbeat_rtt_samples_total",
                 "ACKs that gave a round-trip time sample.", nc.rtt_samples);
        counter1(out, "hbeat_reloads_total", "Successful reloads.",
                 ctx->reloads);
        counter1(out, "hbeat_reload_failures_total", "Rejected reloads.",
                 ctx->reload_failures);
        gauge1(out, "hbeat_heartbeat_interval_seconds",
               "The configured heartbeat interval.",
               (double)hb_node_config(ctx->node)->interval_ns /
               (double)HB_NS_PER_S);
        if (ctx->cfg->n_classes > 0) {
                /* Peer classes (docs/classes.md): the interval each class
                 * sends at now (an adaptive class's moves). */
                hbd_prom_family(out, "hbeat_class_interval_seconds",
                                "gauge",
                                "The heartbeat interval each peer class "
                                "sends at now.");
                for (uint32_t c = 0; c <= ctx->cfg->n_classes; c++)
                        hbd_prom_double(
                                out,
                                (const char *[]){
                                        "class",
                                        c == 0 ? "default"
                                               : ctx->cfg->classes[c - 1]
                                                         .name,
                                        NULL },
                                (double)hb_node_class_interval_ns(ctx->node,
                                                                  c) /
                                        (double)HB_NS_PER_S);
        }
}

static void coord_families(hbd_ctx_t *ctx, hbd_prom_t *out)
{
        static const hb_role_t roles[] = {
                HB_ROLE_NO_QUORUM, HB_ROLE_FOLLOWER, HB_ROLE_CANDIDATE,
                HB_ROLE_LEADER,
        };
        hb_coord_info_t ci;
        size_t i;

        hb_node_coord_info(ctx->node, &ci);
        gauge1(out, "hbeat_election_enabled",
               "1 when quorum and leader election are on (election."
               "enabled); the coordination metrics exist only then.",
               ci.enabled);
        if (!ci.enabled)
                return;
        hbd_prom_family(out, "hbeat_role", "gauge",
                        "1 for this node's current role, 0 for the others.");
        for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
                hbd_prom_u64(out, (const char *[]){
                        "role", hb_role_name(roles[i]), NULL },
                        ci.role == roles[i]);
        gauge1(out, "hbeat_term", "The current election term.",
               (double)ci.term);
        gauge1(out, "hbeat_quorate", "1 when this node's partition has a "
               "quorum.", ci.quorate);
        gauge1(out, "hbeat_leader_established", "1 when this node leads "
               "and its leadership is established.", ci.established);
        gauge1(out, "hbeat_has_leader", "1 when this node follows a "
               "leader (or leads).", ci.leader_id != 0);
        gauge1(out, "hbeat_votes_present", "Votes of this node and its "
               "alive peers.", ci.votes_present);
        gauge1(out, "hbeat_votes_expected", "Votes of the whole cluster.",
               ci.expected_votes);
        gauge1(out, "hbeat_votes_quorum", "Votes a quorum needs.",
               ci.quorum_votes);
        counter1(out, "hbeat_elections_started_total",
                 "Elections this node started as a candidate.",
                 ci.elections_started);
}

/* ---- the process collector ------------------------------------------- */

/* Seconds since the epoch at boot (/proc/stat "btime"); 0 if unknown. */
static uint64_t boot_time_s(void)
{
        char line[256];
        uint64_t btime = 0;
        FILE *f = fopen("/proc/stat", "re");

        if (f == NULL)
                return 0;
        while (fgets(line, sizeof(line), f) != NULL)
                if (sscanf(line, "btime %" SCNu64, &btime) == 1)
                        break;
        fclose(f);
        return btime;
}

/*
 * As the official clients (client_golang's process collector, via
 * procfs): /proc/self/stat's utime + stime (clock ticks), starttime
 * (ticks after boot), vsize (bytes), rss (pages); open fds counted in
 * /proc/self/fd; the soft RLIMIT_NOFILE. A figure that cannot be read is
 * left out.
 */
static void process_families(hbd_prom_t *out)
{
        unsigned long long utime, stime, start, vsize;
        long long rss;
        long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
        uint64_t btime = boot_time_s();
        char buf[1024], *p;
        struct rlimit rl;
        size_t len;
        DIR *dir;
        FILE *f;

        f = fopen("/proc/self/stat", "re");
        len = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f != NULL)
                fclose(f);
        buf[len] = '\0';
        /* After the command name, which may hold spaces and ')': field 3
         * (state) on; utime is field 14, starttime 22, vsize 23, rss 24
         * (proc(5)). */
        p = strrchr(buf, ')');
        if (p != NULL && ticks > 0 && page > 0 &&
            sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                   "%llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
                   &utime, &stime, &start, &vsize, &rss) == 5) {
                hbd_prom_family(out, "process_cpu_seconds_total", "counter",
                                "Total user and system CPU time spent in "
                                "seconds.");
                hbd_prom_double(out, NULL, (double)(utime + stime) /
                                           (double)ticks);
                gauge1(out, "process_virtual_memory_bytes",
                       "Virtual memory size in bytes.", (double)vsize);
                gauge1(out, "process_resident_memory_bytes",
                       "Resident memory size in bytes.",
                       (double)rss * (double)page);
                if (btime != 0)
                        gauge1(out, "process_start_time_seconds",
                               "Start time of the process since unix epoch "
                               "in seconds.", (double)btime +
                               (double)start / (double)ticks);
        }
        dir = opendir("/proc/self/fd");
        if (dir != NULL) {
                struct dirent *de;
                uint64_t fds = 0;

                while ((de = readdir(dir)) != NULL)
                        if (de->d_name[0] != '.')
                                fds++;
                closedir(dir);
                gauge1(out, "process_open_fds",
                       "Number of open file descriptors.", (double)fds);
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
                gauge1(out, "process_max_fds",
                       "Maximum number of open file descriptors.",
                       rl.rlim_cur == RLIM_INFINITY ? INFINITY
                                                    : (double)rl.rlim_cur);
}

/* ---- the document ------------------------------------------------------ */

char *hbd_metrics_text(hbd_ctx_t *ctx, size_t *len)
{
        uint64_t now = uv_hrtime();
        hbd_prom_t out;
        char *text;

        hbd_prom_init(&out);
        node_families(ctx, &out);
        peer_families(ctx, &out, now);
        link_families(ctx, &out, now);
        coord_families(ctx, &out);
        hbd_bus_metrics(ctx, &out);
        process_families(&out);
        text = hbd_prom_take(&out, len);
        hbd_prom_free(&out);
        return text;
}
