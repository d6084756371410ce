/* SPDX-License-Identifier: MIT */
/*
 * Topology "monitors" (docs/topologies.md): members push their heartbeats
 * to a configured set of monitors only; the monitors judge every member
 * with their own detectors, exchange their verdicts and send them to
 * every member; every node turns the verdicts of the monitors into the
 * member's state, declaring it dead only when a strict majority of the
 * configured monitors says dead.
 *
 * After the push-based "central monitor, which you can replicate"
 * design, made safe against one monitor's cut link by the majority
 * rule (the quorum idea of replicated state machines applied to one
 * question per member: is it dead).
 *
 * Who is judged how:
 *   - a monitor is judged by everyone from its heartbeats (monitors
 *     heartbeat to every peer): node.c's state machine, as in the mesh;
 *   - every other member ("driven" peer) by the monitors' verdicts: its
 *     state here changes only in combine() below. A monitor counts its
 *     own verdict (m_raw, from its detector) with the others' (m_view).
 *
 * Combination over the configured monitors (M of them, majority
 * Q = M / 2 + 1); a monitor counts while its peer state here is alive,
 * suspect or probation (this node itself, if a monitor, always):
 *   fewer than Q monitors count  -> no change (frozen: the safe side,
 *                                   nobody is declared dead by a
 *                                   minority, nobody revived either)
 *   >= Q say left                -> left
 *   >= Q say dead                -> dead
 *   >= Q say suspect or dead     -> suspect
 *   >= 1 says alive              -> alive (through probation after
 *                                   dead or left)
 *   otherwise (all unknown)      -> no change
 *
 * Sans-I/O like the rest of src/core: no clock, no I/O.
 */

#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "core/node_impl.h"

/* Bytes of the verdict TLV value: lo, hi, then 5 per entry. */
#define VERDICT_HEAD_LEN 8u
#define VERDICT_ENTRY_LEN 5u
/* Entries per message so that an encrypted verdict fits 128 bytes (the
 * output slot before 0.3; the wire format of 0.2 stays). */
#define VERDICT_SLOT_LEN 128u
#define VERDICT_ENTRIES                                                     \
        ((VERDICT_SLOT_LEN - HB_WIRE_HEADER_LEN - HB_WIRE_NONCE_LEN -       \
          HB_WIRE_TAG_LEN - HB_WIRE_TLV_HEADER_LEN - VERDICT_HEAD_LEN) /    \
         VERDICT_ENTRY_LEN)

_Static_assert(VERDICT_ENTRIES >= 1, "a verdict entry fits an output slot");

int hb__mon_index(const hb_node_config_t *cfg, uint32_t id)
{
        for (uint32_t i = 0; i < cfg->n_monitors && i < HB_MONITORS_MAX; i++)
                if (cfg->monitors[i] == id)
                        return (int)i;
        return -1;
}

int hb__mon_config_validate(const hb_node_config_t *cfg)
{
        if (cfg->n_monitors == 0)
                return 0;
        if (cfg->n_monitors > HB_MONITORS_MAX)
                return -EINVAL;
        /* First version: one link, no election (docs/topologies.md). */
        if (cfg->n_links > 1 || cfg->coord.enabled)
                return -EINVAL;
        for (uint32_t i = 0; i < cfg->n_monitors; i++) {
                if (cfg->monitors[i] == 0)
                        return -EINVAL;
                for (uint32_t j = 0; j < i; j++)
                        if (cfg->monitors[j] == cfg->monitors[i])
                                return -EINVAL;
        }
        return 0;
}

void hb__mon_init(hb_node_t *node)
{
        node->m_self = hb__mon_index(&node->cfg, node->cfg.node_id);
}

static bool is_monitor(const hb_node_t *node)
{
        return node->m_self >= 0;
}

/* This node judges `p` itself: a monitor, or in the subset topology one
 * of p's monitors. */
static bool judges(const hb_node_t *node, const hb_peer_t *p)
{
        return node->subset ? p->s_judge : is_monitor(node);
}

/* A monitor's own verdict on driven peer `p` from its detector. */
static uint8_t raw_verdict(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        const hb_class_config_t *c = hb__class_of(node, p);
        double s;

        if (p->m_left)
                return HB_PEER_LEFT;
        if (p->m_raw == HB_PEER_DEAD)
                return HB_PEER_DEAD; /* until a heartbeat: hb__mon_heard */
        s = hb_detector_suspicion(p->detector, now_ns);
        if (p->incarnation == 0)
                return s >= c->dead_threshold ? HB_PEER_DEAD
                                              : HB_PEER_UNKNOWN;
        if (s >= c->dead_threshold)
                return HB_PEER_DEAD;
        if (s < c->suspect_threshold)
                return HB_PEER_ALIVE;
        if (p->m_raw != HB_PEER_SUSPECT)
                p->m_suspect_since_ns = now_ns;
        if (c->dead_after_ns > 0 &&
            now_ns >= add_sat(p->m_suspect_since_ns, c->dead_after_ns))
                return HB_PEER_DEAD;
        return HB_PEER_SUSPECT;
}

static void update_raw(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        uint8_t v;

        if (!judges(node, p))
                return;
        v = raw_verdict(node, p, now_ns);
        if (v != p->m_raw) {
                p->m_raw = v;
                node->m_changed = true;
        }
}

/* Monitor i counts: this node, or a monitor peer heard lately. */
static bool monitor_counts(const hb_node_t *node, uint32_t i)
{
        const hb_peer_t *m;

        if ((int)i == node->m_self)
                return true;
        m = hb__lookup(node, node->cfg.monitors[i]);
        return m && (m->state == HB_PEER_ALIVE ||
                     m->state == HB_PEER_SUSPECT ||
                     m->state == HB_PEER_PROBATION);
}

/* Turn the monitors' verdicts into p's state (see the table above). */
static void combine(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        const hb_node_config_t *c = &node->cfg;
        const hb_class_config_t *cc = hb__class_of(node, p);
        uint32_t q = c->n_monitors / 2 + 1, counting = 0;
        uint32_t n_alive = 0, n_susp = 0, n_dead = 0, n_left = 0;
        double s = 0.0;

        if (node->subset) {
                hb__subset_combine(node, p, now_ns);
                return;
        }
        p->m_eval_ns = now_ns;
        for (uint32_t i = 0; i < c->n_monitors; i++) {
                uint8_t v;

                if (!monitor_counts(node, i))
                        continue;
                counting++;
                v = (int)i == node->m_self ? p->m_raw : p->m_view[i];
                if (v == HB_PEER_ALIVE)
                        n_alive++;
                else if (v == HB_PEER_SUSPECT)
                        n_susp++;
                else if (v == HB_PEER_DEAD)
                        n_dead++;
                else if (v == HB_PEER_LEFT)
                        n_left++;
        }
        if (counting < q)
                return;
        if (is_monitor(node))
                s = hb_detector_suspicion(p->detector, now_ns);
        if (n_left >= q) {
                if (p->state != HB_PEER_LEFT)
                        hb__set_state(node, p, HB_PEER_LEFT, HB_REASON_LEAVE,
                                      now_ns, s);
        } else if (n_dead >= q) {
                if (p->state == HB_PEER_UNKNOWN)
                        hb__set_state(node, p, HB_PEER_DEAD,
                                      HB_REASON_NEVER_HEARD, now_ns, s);
                else if (p->state != HB_PEER_DEAD &&
                         p->state != HB_PEER_LEFT)
                        hb__set_state(node, p, HB_PEER_DEAD,
                                      HB_REASON_DEAD_THRESHOLD, now_ns, s);
        } else if (n_susp + n_dead >= q) {
                if (p->state == HB_PEER_ALIVE)
                        hb__set_state(node, p, HB_PEER_SUSPECT,
                                      HB_REASON_SUSPECT_THRESHOLD, now_ns, s);
                else if (p->state == HB_PEER_PROBATION)
                        hb__set_state(node, p, HB_PEER_DEAD,
                                      HB_REASON_SUSPECT_THRESHOLD, now_ns, s);
        } else if (n_alive >= 1) {
                switch (p->state) {
                case HB_PEER_UNKNOWN:
                case HB_PEER_SUSPECT:
                        hb__set_state(node, p, HB_PEER_ALIVE,
                                      HB_REASON_HEARTBEAT, now_ns, 0.0);
                        break;
                case HB_PEER_DEAD:
                case HB_PEER_LEFT:
                        hb__set_state(node, p, HB_PEER_PROBATION,
                                      HB_REASON_HEARTBEAT, now_ns, 0.0);
                        break;
                case HB_PEER_PROBATION:
                        if (now_ns >= add_sat(p->probation_start_ns,
                                              cc->probation_ns))
                                hb__set_state(node, p, HB_PEER_ALIVE,
                                              HB_REASON_PROBATION_PASSED,
                                              now_ns, 0.0);
                        break;
                case HB_PEER_ALIVE:
                        break;
                }
        }
}

bool hb__mon_fresh_history(const hb_node_t *node, const hb_peer_t *p)
{
        (void)node;
        return p->m_raw == HB_PEER_UNKNOWN || p->m_raw == HB_PEER_DEAD ||
               p->m_left;
}

void hb__mon_heard(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        if (!judges(node, p))
                return; /* members do not judge driven peers themselves */
        p->m_left = false;
        if (p->m_raw == HB_PEER_DEAD)
                p->m_raw = HB_PEER_UNKNOWN; /* the latch ends */
        update_raw(node, p, now_ns);
        combine(node, p, now_ns);
}

void hb__mon_leave(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        if (!judges(node, p))
                return; /* learnt from the monitors' verdicts */
        p->m_left = true;
        update_raw(node, p, now_ns);
        combine(node, p, now_ns);
}

void hb__mon_evaluate(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        if (!p->held) /* hb_node_peer_hold(): not judged by silence */
                update_raw(node, p, now_ns);
        combine(node, p, now_ns);
}

uint64_t hb__mon_deadline(const hb_node_t *node, const hb_peer_t *p)
{
        const hb_class_config_t *c = hb__class_of(node, p);
        uint64_t d = HB_NEVER;

        /* Probation ends by a combination at its end (not again once
         * one at or after it left the peer on probation). */
        if (p->state == HB_PEER_PROBATION &&
            add_sat(p->probation_start_ns, c->probation_ns) > p->m_eval_ns)
                d = add_sat(p->probation_start_ns, c->probation_ns);
        if (!judges(node, p) || p->m_left || p->held)
                return d;
        switch (p->m_raw) {
        case HB_PEER_UNKNOWN:
                return min_u64(d, hb_detector_crossing_ns(p->detector,
                                                          c->dead_threshold));
        case HB_PEER_ALIVE:
                return min_u64(d, hb_detector_crossing_ns(
                                          p->detector, c->suspect_threshold));
        case HB_PEER_SUSPECT:
                d = min_u64(d, hb_detector_crossing_ns(p->detector,
                                                       c->dead_threshold));
                if (c->dead_after_ns > 0)
                        d = min_u64(d, add_sat(p->m_suspect_since_ns,
                                               c->dead_after_ns));
                return d;
        default:
                return d;
        }
}

void hb__mon_monitor_changed(hb_node_t *node, const hb_peer_t *m,
                             uint64_t now_ns)
{
        int mi = hb__mon_index(&node->cfg, m->id);
        bool gone = m->state == HB_PEER_DEAD || m->state == HB_PEER_LEFT;

        for (size_t i = 0; i < node->n_peers; i++) {
                hb_peer_t *p = node->peers[i];

                if (!hb__mon_driven(node, p))
                        continue;
                /* A monitor that went away forgets what it said: back,
                 * it counts from its next verdicts, not stale ones. */
                if (gone && mi >= 0)
                        p->m_view[mi] = HB_PEER_UNKNOWN;
                combine(node, p, now_ns);
                hb__reschedule(node, p);
        }
}

int hb__mon_check_verdict(const hb_wire_msg_t *m)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r, found = 0;

        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0) {
                uint32_t lo, hi, prev;

                if (type != HB_TLV_VERDICT)
                        continue;
                if (vlen < VERDICT_HEAD_LEN ||
                    (vlen - VERDICT_HEAD_LEN) % VERDICT_ENTRY_LEN != 0)
                        return HB_EBADTLV;
                lo = hb__get_u32(val);
                hi = hb__get_u32(val + 4);
                if (lo > hi)
                        return HB_EBADTLV;
                prev = lo;
                for (size_t o = VERDICT_HEAD_LEN; o < vlen;
                     o += VERDICT_ENTRY_LEN) {
                        uint32_t id = hb__get_u32(val + o);
                        uint8_t v = val[o + 4];

                        if (id < prev || id > hi ||
                            (o > VERDICT_HEAD_LEN && id == prev))
                                return HB_EBADTLV;
                        if (v != HB_PEER_UNKNOWN && v != HB_PEER_SUSPECT &&
                            v != HB_PEER_DEAD && v != HB_PEER_LEFT)
                                return HB_EBADTLV;
                        prev = id;
                }
                found++;
        }
        if (r < 0 || found != 1)
                return HB_EBADTLV;
        return 0;
}

void hb__mon_on_verdict(hb_node_t *node, hb_peer_t *from,
                        const hb_wire_msg_t *m, uint64_t now_ns)
{
        const uint8_t *cur = m->tlv, *val = NULL;
        size_t left = m->tlv_len, o;
        uint16_t type, vlen = 0;
        int mi = hb__mon_index(&node->cfg, from->id);
        uint32_t lo, hi;

        if (mi < 0)
                return;
        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0)
                if (type == HB_TLV_VERDICT)
                        break;
        lo = hb__get_u32(val);
        hi = hb__get_u32(val + 4);
        o = VERDICT_HEAD_LEN;
        /* Peers sorted by id: walk them and the entries together. */
        for (size_t i = 0; i < node->n_peers; i++) {
                hb_peer_t *p = node->peers[i];
                uint8_t v = HB_PEER_ALIVE;

                if (p->id < lo)
                        continue;
                if (p->id > hi)
                        break;
                while (o < vlen && hb__get_u32(val + o) < p->id)
                        o += VERDICT_ENTRY_LEN;
                if (o < vlen && hb__get_u32(val + o) == p->id)
                        v = val[o + 4];
                if (!hb__mon_driven(node, p))
                        continue;
                p->m_view[mi] = v;
                combine(node, p, now_ns);
                hb__reschedule(node, p);
        }
}

int hb__mon_queue_beat(hb_node_t *node, uint8_t type, uint16_t flags,
                       const uint8_t *coord, uint64_t now_ns)
{
        bool first = true;
        int r = 0;

        if (node->subset)
                return hb__subset_queue_beat(node, type, flags, coord,
                                             now_ns);
        /* Monitors heartbeat to everyone; a leave goes to everyone. */
        if (is_monitor(node) || type == HB_MSG_LEAVE) {
                r = hb__out_push_coord(node, HB_DEST_ALL, 0, type, flags,
                                       coord, NULL, 0, now_ns);
                if (type == HB_MSG_HEARTBEAT)
                        hb__mon_send_verdicts(node, false, now_ns);
                return r;
        }
        /* A member: the same heartbeat (one sequence number) to each
         * monitor. */
        for (uint32_t i = 0; i < node->cfg.n_monitors; i++) {
                uint32_t id = node->cfg.monitors[i];

                if (!hb__lookup(node, id))
                        continue;
                if (first)
                        r = hb__out_push_coord(node, HB_DEST_PEER, id, type,
                                               flags, coord, NULL, 0, now_ns);
                else
                        r = hb__out_dup_last(node, HB_DEST_PEER, id);
                if (r < 0)
                        break; /* never a copy of another message */
                first = false;
        }
        return r;
}

static void push_verdict(hb_node_t *node, uint8_t *tlv, uint32_t lo,
                         uint32_t hi, size_t n, uint64_t now_ns)
{
        size_t len = VERDICT_HEAD_LEN + n * VERDICT_ENTRY_LEN;

        hb__put_tlv_header(tlv, HB_TLV_VERDICT, (uint16_t)len);
        hb__put_u32(tlv + HB_WIRE_TLV_HEADER_LEN, lo);
        hb__put_u32(tlv + HB_WIRE_TLV_HEADER_LEN + 4, hi);
        (void)hb__out_push(node, HB_DEST_ALL, 0, HB_MSG_VERDICT, 0, tlv,
                           HB_WIRE_TLV_HEADER_LEN + len, now_ns);
}

void hb__mon_send_verdicts(hb_node_t *node, bool changed_only,
                           uint64_t now_ns)
{
        uint8_t tlv[HB_WIRE_TLV_HEADER_LEN + VERDICT_HEAD_LEN +
                    VERDICT_ENTRIES * VERDICT_ENTRY_LEN];
        uint8_t *e = tlv + HB_WIRE_TLV_HEADER_LEN + VERDICT_HEAD_LEN;
        uint32_t lo = 1;
        size_t n = 0;

        if (node->subset) {
                hb__subset_send_verdicts(node, changed_only, now_ns);
                return;
        }
        if (!is_monitor(node) || (changed_only && !node->m_changed))
                return;
        node->m_changed = false;
        /* Ranges of ids, each with at most VERDICT_ENTRIES members that
         * are not alive; the last range runs to the top id. */
        for (size_t i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (!hb__mon_driven(node, p) || p->m_raw == HB_PEER_ALIVE)
                        continue;
                if (n == VERDICT_ENTRIES) {
                        push_verdict(node, tlv, lo, p->id - 1, n, now_ns);
                        lo = p->id;
                        n = 0;
                }
                hb__put_u32(e + n * VERDICT_ENTRY_LEN, p->id);
                e[n * VERDICT_ENTRY_LEN + 4] = p->m_raw;
                n++;
        }
        push_verdict(node, tlv, lo, UINT32_MAX, n, now_ns);
}
