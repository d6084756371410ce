/* SPDX-License-Identifier: MIT */
/*
 * DOC: node_info — what a node says about itself (sans-I/O): names of
 * states and reasons, the drop reasons, snapshots of peers (with their
 * RTT percentiles), counters, identity and memory per peer. Read-only
 * calls (node.h: callable from inside the node's event callback); the
 * state they read belongs to node.c.
 */
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/node_impl.h"
#include "hbeat/node.h"

static const int drop_reasons[] = {
        HB_ETRUNC,   HB_EBADMAGIC, HB_EVERSION, HB_EBADLEN,
        HB_EBADTLV,  HB_EBADTAG,   HB_ECLUSTER, HB_ETOOBIG,
        HB_EBADTYPE, HB_EUNKPEER,  HB_EREPLAY,  HB_ESELF,
        HB_EUNKEY,   HB_EMODE,     HB_EBADSRC,  HB_EOLDINC,
        HB_EFUTUREINC,
};

size_t hb_drop_reason_count(void)
{
        return sizeof(drop_reasons) / sizeof(drop_reasons[0]);
}

int hb_drop_reason_at(size_t i)
{
        return i < hb_drop_reason_count() ? drop_reasons[i] : 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

const char *hb_peer_state_name(hb_peer_state_t state)
{
        switch (state) {
        case HB_PEER_UNKNOWN:
                return "unknown";
        case HB_PEER_ALIVE:
                return "alive";
        case HB_PEER_SUSPECT:
                return "suspect";
        case HB_PEER_DEAD:
                return "dead";
        case HB_PEER_PROBATION:
                return "probation";
        case HB_PEER_LEFT:
                return "left";
        }
        return "invalid";
}

const char *hb_reason_name(hb_reason_t reason)
{
        switch (reason) {
        case HB_REASON_HEARTBEAT:
                return "heartbeat";
        case HB_REASON_SUSPECT_THRESHOLD:
                return "suspect_threshold";
        case HB_REASON_DEAD_THRESHOLD:
                return "dead_threshold";
        case HB_REASON_DEAD_AFTER:
                return "dead_after";
        case HB_REASON_PROBATION_PASSED:
                return "probation_passed";
        case HB_REASON_RESTART:
                return "restart";
        case HB_REASON_LEAVE:
                return "leave";
        case HB_REASON_NEVER_HEARD:
                return "never_heard";
        case HB_REASON_PORT_UNREACHABLE:
                return "port_unreachable";
        }
        return "invalid";
}

/* ------------------------------------------------------------------ */
/* Introspection                                                       */

/* Median, p99 (nearest rank) and latest of an RTT ring (µs), in ns. */
void hb__ring_stats(const uint32_t *ring, size_t n, size_t pos,
                    uint32_t *samples, uint64_t *median_ns, uint64_t *p99_ns,
                    uint64_t *last_ns)
{
        uint32_t v[RTT_WINDOW];
        size_t i, j, rank;

        *samples = (uint32_t)n;
        if (n == 0)
                return;
        /* Insertion sort: 64 values at most, only on introspection. */
        for (i = 0; i < n; i++) {
                uint32_t x = ring[i];

                for (j = i; j > 0 && v[j - 1] > x; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
        *median_ns = (uint64_t)v[(n - 1) / 2] * 1000;
        rank = (99 * n + 99) / 100; /* ceil(0.99 n), 1-based */
        *p99_ns = (uint64_t)v[rank - 1] * 1000;
        *last_ns = (uint64_t)ring[(pos + RTT_WINDOW - 1) % RTT_WINDOW] * 1000;
}

static void rtt_stats(const hb_peer_t *p, hb_peer_info_t *out)
{
        hb__ring_stats(p->rtt_us, p->rtt_count, p->rtt_pos,
                       &out->rtt_samples, &out->rtt_median_ns,
                       &out->rtt_p99_ns, &out->rtt_last_ns);
}

const char *hb_link_state_name(hb_link_state_t state)
{
        switch (state) {
        case HB_LINK_UNKNOWN:
                return "unknown";
        case HB_LINK_UP:
                return "up";
        case HB_LINK_DOWN:
                return "down";
        case HB_LINK_PROBATION:
                return "probation";
        }
        return "?";
}

uint32_t hb_node_links(const hb_node_t *node)
{
        if (!node || node->cfg.n_links < 1)
                return 1;
        return node->cfg.n_links;
}

uint32_t hb_node_peer_link(const hb_node_t *node, uint32_t peer_id)
{
        const hb_peer_t *p = node ? hb__lookup(node, peer_id) : NULL;
        uint64_t best_ns = 0;
        uint32_t best = 0, k;

        if (!p || !p->links)
                return 0;
        for (k = 0; k < node->cfg.n_links; k++)
                if (p->links[k].state == HB_LINK_UP)
                        return k;
        for (k = 0; k < node->cfg.n_links; k++) {
                const hb_link_t *l = &p->links[k];
                uint64_t t;

                if (l->incarnation == 0)
                        continue;
                t = hb_detector_last_arrival_ns(l->detector);
                if (t != HB_NEVER && t > best_ns) {
                        best_ns = t;
                        best = k;
                }
        }
        return best;
}

int hb_node_peer_link_info(const hb_node_t *node, uint32_t peer_id,
                           uint32_t link, uint64_t now_ns,
                           hb_link_info_t *out)
{
        const hb_peer_t *p;
        const hb_link_t *l;

        if (!node || !out)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p || link >= hb_node_links(node))
                return -ENOENT;
        memset(out, 0, sizeof(*out));
        out->peer_id = peer_id;
        out->link = link;
        if (!p->links) {
                /* One link: the peer is the link. */
                static const hb_link_state_t of_peer[] = {
                        [HB_PEER_UNKNOWN] = HB_LINK_UNKNOWN,
                        [HB_PEER_ALIVE] = HB_LINK_UP,
                        [HB_PEER_SUSPECT] = HB_LINK_UP,
                        [HB_PEER_DEAD] = HB_LINK_DOWN,
                        [HB_PEER_PROBATION] = HB_LINK_PROBATION,
                        [HB_PEER_LEFT] = HB_LINK_DOWN,
                };

                out->state = (unsigned)p->state < 6 ? of_peer[p->state]
                                                    : HB_LINK_UNKNOWN;
                out->state_since_ns = p->state_since_ns;
                out->last_arrival_ns =
                        p->incarnation == 0
                                ? HB_NEVER
                                : hb_detector_last_arrival_ns(p->detector);
                out->suspicion = hb_detector_suspicion(p->detector, now_ns);
                out->received = p->received;
                out->seq_gaps = p->seq_gaps;
                out->replays = p->replays;
                out->transitions = p->transitions;
                hb__ring_stats(p->rtt_us, p->rtt_count, p->rtt_pos,
                               &out->rtt_samples, &out->rtt_median_ns,
                               &out->rtt_p99_ns, &out->rtt_last_ns);
                return 0;
        }
        l = &p->links[link];
        out->state = l->state;
        out->state_since_ns = l->state_since_ns;
        out->last_arrival_ns = l->incarnation == 0
                                       ? HB_NEVER
                                       : hb_detector_last_arrival_ns(
                                                 l->detector);
        out->suspicion = hb_detector_suspicion(l->detector, now_ns);
        out->received = l->received;
        out->seq_gaps = l->seq_gaps;
        out->replays = l->replays;
        out->transitions = l->transitions;
        hb__ring_stats(l->rtt_us, l->rtt_count, l->rtt_pos,
                       &out->rtt_samples, &out->rtt_median_ns,
                       &out->rtt_p99_ns, &out->rtt_last_ns);
        return 0;
}

static void fill_info(const hb_node_t *node, const hb_peer_t *p,
                      uint64_t now_ns, hb_peer_info_t *out)
{
        memset(out, 0, sizeof(*out));
        out->id = p->id;
        out->state = p->state;
        out->state_since_ns = p->state_since_ns;
        out->incarnation = p->incarnation;
        out->last_seq = p->last_seq;
        out->last_arrival_ns = p->incarnation == 0
                                       ? HB_NEVER
                                       : hb_detector_last_arrival_ns(
                                                 p->detector);
        out->last_send_time_ns = p->last_send_time_ns;
        out->suspicion = hb_detector_suspicion(p->detector, now_ns);
        out->mean_interval_ns = hb_detector_mean_ns(p->detector);
        out->received = p->received;
        out->seq_gaps = p->seq_gaps;
        out->replays = p->replays;
        out->old_incarnations = p->old_incarnations;
        out->bad_sources = p->bad_sources;
        out->roaming = p->roaming;
        out->region = p->h_region;
        out->elector = p->h_elector;
        out->learned = hb__hier_driven(node, p);
        out->transitions = p->transitions;
        out->coordinating = p->has_coord;
        out->coord_term = p->has_coord ? p->c_term : 0;
        out->coord_role = p->has_coord ? p->c_role : HB_ROLE_NO_QUORUM;
        out->resource_up = p->has_coord &&
                           (p->c_flags & HB_LEADER_FLAG_RESOURCE) != 0;
        rtt_stats(p, out);
        out->class_idx = p->cls;
        out->announced_interval_ns = max_u64(p->ann_interval_ns,
                                             p->ann_next_interval_ns);
        out->interval_ns = p->app_interval_ns != 0
                                   ? p->app_interval_ns
                                   : hb__class_of(node, p)->interval_ns;
}

int hb_node_peer_info(const hb_node_t *node, uint32_t peer_id,
                      uint64_t now_ns, hb_peer_info_t *out)
{
        const hb_peer_t *p;

        if (!node || !out)
                return -EINVAL;
        if (hb__swim_on(node))
                return hb__swim_info(node, peer_id, out);
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        fill_info(node, p, now_ns, out);
        return 0;
}

size_t hb_node_peer_count(const hb_node_t *node)
{
        if (node && hb__swim_on(node))
                return hb__swim_count(node);
        return node ? node->n_peers : 0;
}

int hb_node_peer_at(const hb_node_t *node, size_t i, uint64_t now_ns,
                    hb_peer_info_t *out)
{
        if (!node || !out)
                return -EINVAL;
        if (hb__swim_on(node))
                return hb__swim_info_at(node, i, out);
        if (i >= node->n_peers)
                return -ENOENT;
        fill_info(node, node->peers[i], now_ns, out);
        return 0;
}

void hb_node_counters(const hb_node_t *node, hb_node_counters_t *out)
{
        if (!node || !out)
                return;
        *out = node->counters;
}

uint64_t hb_node_dropped(const hb_node_t *node, int err)
{
        int idx = -err - 10001;

        if (!node || idx < 0 || idx >= HB_N_DROP_REASONS)
                return 0;
        return node->drops[idx];
}

uint32_t hb_node_id(const hb_node_t *node)
{
        return node ? node->cfg.node_id : 0;
}

uint64_t hb_node_incarnation(const hb_node_t *node)
{
        return node ? node->cfg.incarnation : 0;
}

uint64_t hb_node_seq(const hb_node_t *node)
{
        return node ? node->seq : 0;
}

const hb_node_config_t *hb_node_config(const hb_node_t *node)
{
        return node ? &node->cfg : NULL;
}

size_t hb_node_peer_memory(const hb_node_t *node)
{
        size_t det = 0;

        if (!node)
                return 0;
        if (hb__swim_on(node))
                return hb__swim_member_memory();
        if (node->n_peers > 0)
                det = hb_detector_memory(node->peers[0]->detector);
        else {
                hb_detector_t *d;

                if (hb_detector_new(&d, &node->cfg.detector) == 0) {
                        det = hb_detector_memory(d);
                        hb_detector_free(d);
                }
        }
        /* record + detector + sorted-array and heap slots + ~2 hash slots
         * (+ link records and a detector per link with several links) */
        return sizeof(hb_peer_t) + det + 2 * sizeof(hb_peer_t *) +
               2 * sizeof(hb_slot_t) +
               (hb_node_links(node) > 1
                        ? hb_node_links(node) * (sizeof(hb_link_t) + det)
                        : 0);
}

size_t hb_node_key_count(const hb_node_t *node)
{
        return node ? node->ring.n : 0;
}

int hb_node_key_at(const hb_node_t *node, size_t i, hb_key_info_t *out)
{
        if (!node || !out || i >= node->ring.n)
                return -ENOENT;
        memset(out, 0, sizeof(*out));
        out->id = node->ring.ids[i];
        out->mode = node->ring.modes[i];
        out->primary = node->ring.ids[i] == node->ring.primary;
        out->received = node->key_rx[i];
        out->last_received_ns = node->key_last_ns[i];
        return 0;
}
