/* SPDX-License-Identifier: MIT */
/*
 * DOC: hier — topology "hierarchy" (docs/hierarchy.md): regional
 * coordinators under a global one, after seed 004's multi-datacenter
 * design.
 *
 * What lives here, driven by node.c through the hb__hier_*() hooks of
 * node_impl.h (all no-ops when node->hier is NULL):
 *
 *   - who sends heartbeats to whom: a member to its region's coordinator
 *     (to every elector of the region while it knows none), an elector
 *     to the other electors of its region (the regional election's
 *     mesh: election.c unchanged, with votes only for the electors);
 *   - who judges whom: the coordinator its region's members, electors
 *     each other, from heartbeats (node.c's state machine); every other
 *     peer is *driven* (hb__hier_driven()): its state is the latest
 *     summary of its region's (apply());
 *   - region summaries: a coordinator's list of its members that are
 *     not alive, with a version, sent on a change to its region and to
 *     the other coordinators (those copies, and the global level's
 *     votes, hinted HB_OUTPUT_RELIABLE: hbeatd carries them over TCP,
 *     docs/hierarchy.md "Reliable transport"); a coordinator relays the
 *     others' to its region;
 *   - anti-entropy, no message in steady state: a member's heartbeats
 *     carry the digest of the summaries it holds, and so do the global
 *     level's heartbeats every global interval; a coordinator that
 *     finds a digest different from its own sends what the other lacks
 *     (hb__hier_on_beat(), global_digest_in());
 *   - the global level: a coordinator runs an inner hb_node_t whose id
 *     is its region, incarnation its regional term, peers the other
 *     regions: the same election elects the global coordinator, and its
 *     peer states are the region states (unreachable: one
 *     HB_EVENT_REGION, never a dead verdict on the region's members).
 *
 * Rules kept on purpose:
 *   - the global level exists only while this node leads its region,
 *     and goes in the same call that ends the leadership: region r's
 *     vote is held by one process at a time (docs/hierarchy.md,
 *     "Safety");
 *   - a summary never moves a member back to unknown, and an older
 *     regional term's summary is ignored: a deposed coordinator cannot
 *     undo its successor's view.
 *
 * Sans-I/O like the rest of src/core: no clock, no I/O.
 */
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"
#include "core/node_impl.h"

/* The global level's cluster id: the cluster's, xor "HIER". */
#define GLOBAL_CLUSTER_XOR 0x48494552u
/* Summary TLV value: head, then 5 bytes per entry. */
#define SUM_HEAD_LEN 28u
#define SUM_ENTRY_LEN 5u
/* Entries per message so that an encrypted summary fits an output slot. */
#define SUM_ENTRIES                                                         \
        ((HB_OUTPUT_MAX_LEN - HB_WIRE_HEADER_LEN - HB_WIRE_NONCE_LEN -      \
          HB_WIRE_TAG_LEN - HB_WIRE_TLV_HEADER_LEN - SUM_HEAD_LEN) /        \
         SUM_ENTRY_LEN)
/* The global level's promise_max, in global intervals. */
#define GLOBAL_PROMISE_INTERVALS 6u

_Static_assert(SUM_ENTRIES >= 1, "a summary entry fits an output slot");

/* Summary messages of one region kept as received, to repair members
 * (at most CACHE_CHUNKS of its latest version: 2 x CACHE_CHUNKS
 * members not alive in AEAD mode, more in MAC mode). */
#define CACHE_CHUNKS 8u

typedef struct hb_hier_cache {
        uint64_t term;
        uint32_t version;
        uint32_t n;
        uint32_t lo[CACHE_CHUNKS];     /* each chunk's range start */
        uint16_t len[CACHE_CHUNKS];
        uint8_t buf[CACHE_CHUNKS][HB_OUTPUT_MAX_LEN];
} hb_hier_cache_t;

typedef struct hb_hier_region {
        uint32_t coord_id;             /* its coordinator, 0: unknown */
        uint64_t term;                 /* that coordinator's term */
        uint32_t version;              /* of its latest summary */
        uint64_t repaired_ns;          /* our summary last sent to it
                                          for a digest mismatch */
        hb_region_state_t state;       /* as this node sees it */
} hb_hier_region_t;

struct hb_hier {
        bool leading;                  /* this node leads its region */
        uint64_t lead_term;
        uint64_t lead_since_ns;
        uint32_t version;              /* own summary (leading) */
        bool changed;                  /* own summary changed, unsent */
        uint64_t next_announce_ns;     /* to members not heard since */
        uint64_t next_change_ns;       /* a changed summary, not before */
        uint32_t repair_region;        /* TO_COORD_OF's region */
        uint64_t unreachable;          /* map of regions (bit r - 1) */
        uint64_t present;              /* regions in the peer table */
        hb_node_t *global;             /* the global level (leading) */
        hb_role_t g_role;
        uint64_t g_term;
        uint32_t g_leader;
        bool g_est;
        hb_node_t *outer;              /* for the global callback */
        uint64_t now_ns;               /* of the current call */
        uint64_t g_term_max;           /* highest global term seen here,
                                          any global level of this
                                          process */
        uint64_t told_term;            /* highest global term this
                                          region's coordinators told in
                                          heartbeats (GLOBAL_TERM TLV) */
        uint32_t told_leader;          /* the global leader's region as
                                          this region's coordinator's
                                          summaries say (not leading) */
        hb_hier_region_t reg[HB_HIER_REGIONS_MAX + 1];
        hb_hier_cache_t *cache[HB_HIER_REGIONS_MAX + 1];
};

static uint32_t own_region(const hb_node_t *node)
{
        return node->cfg.hier.region;
}

const char *hb_region_state_name(hb_region_state_t state)
{
        switch (state) {
        case HB_REGION_UNKNOWN:
                return "unknown";
        case HB_REGION_REACHABLE:
                return "reachable";
        case HB_REGION_UNREACHABLE:
                return "unreachable";
        }
        return "invalid";
}

int hb__hier_config_validate(const hb_node_config_t *cfg)
{
        const hb_hier_config_t *h = &cfg->hier;

        if (h->reserved8[0] || h->reserved8[1] || h->reserved[0] ||
            h->reserved[1])
                return -EINVAL;
        if (!h->enabled)
                return 0;
        if (h->region == 0 || h->region > HB_HIER_REGIONS_MAX)
                return -EINVAL;
        if (h->global_interval_ns < cfg->interval_ns ||
            h->global_interval_ns > 3600 * HB_NS_PER_S)
                return -EINVAL;
        if (cfg->n_links > 1 || cfg->n_monitors > 0 || cfg->n_classes > 0)
                return -EINVAL;
        /* Not over gossip or monitors in this version. */
        if (cfg->topology != HB_TOPOLOGY_MESH)
                return -EINVAL;
        if (h->elector != cfg->coord.enabled)
                return -EINVAL;
        return 0;
}

int hb__hier_init(hb_node_t *node)
{
        struct hb_hier *h;

        if (!node->cfg.hier.enabled)
                return 0;
        h = hb__calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->g_role = HB_ROLE_NO_QUORUM;
        h->next_announce_ns = HB_NEVER;
        h->outer = node;
        h->present = UINT64_C(1) << (own_region(node) - 1);
        node->hier = h;
        return 0;
}

void hb__hier_free(hb_node_t *node)
{
        if (!node->hier)
                return;
        hb_node_free(node->hier->global);
        for (uint32_t r = 0; r <= HB_HIER_REGIONS_MAX; r++)
                hb__free(node->hier->cache[r]);
        hb__free(node->hier);
        node->hier = NULL;
}

static bool in_own_region(const hb_node_t *node, const hb_peer_t *p)
{
        return p->h_region == own_region(node);
}

bool hb__hier_driven(const hb_node_t *node, const hb_peer_t *p)
{
        if (!node->hier)
                return false;
        if (!in_own_region(node, p))
                return true;
        if (node->cfg.hier.elector && p->h_elector)
                return false; /* the electors' mesh */
        return !node->hier->leading;
}

/*
 * A coordinator relays the other regions' summaries unchanged (signed by
 * their makers), so they arrive from its address, not their sender's.
 * Accepted only from an elector of this node's own region (any elector:
 * a successor relays before its members know it leads); every other
 * message, and a summary from anywhere else, keeps the sender check.
 * A summary is state, not evidence that its sender is alive: a relay
 * keeps no one alive (docs/hierarchy.md, "Trust").
 */
bool hb__hier_relay_ok(const hb_node_t *node,
                       const hb_recv_source_t *source)
{
        if (!node->hier || source == NULL)
                return false;
        for (size_t i = 0; i < node->n_peers; i++) {
                const hb_peer_t *e = node->peers[i];

                if (e->h_elector && in_own_region(node, e) &&
                    source->from_peer(source->ctx, e->id))
                        return true;
        }
        return false;
}

void hb__hier_heard(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        p->h_heard_ns = now_ns;
}

/* ---- events ------------------------------------------------------ */

static void emit_region(hb_node_t *node, uint32_t r, hb_region_state_t to,
                        uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        hb_event_t ev;

        if (h->reg[r].state == to)
                return;
        memset(&ev, 0, sizeof(ev));
        ev.size = sizeof(ev);
        ev.type = HB_EVENT_REGION;
        ev.at_ns = now_ns;
        ev.last_arrival_ns = HB_NEVER;
        ev.region = r;
        ev.old_region_state = h->reg[r].state;
        ev.new_region_state = to;
        h->reg[r].state = to;
        if (to == HB_REGION_UNREACHABLE)
                h->unreachable |= UINT64_C(1) << (r - 1);
        else
                h->unreachable &= ~(UINT64_C(1) << (r - 1));
        node->counters.transitions++;
        if (node->cb)
                node->cb(node->user, &ev);
}

/* A member's view of the map its coordinator sent: events for the
 * regions that went into or out of it. */
static void apply_map(hb_node_t *node, uint64_t map, uint64_t now_ns)
{
        for (uint32_t r = 1; r <= HB_HIER_REGIONS_MAX; r++) {
                bool cut = (map >> (r - 1)) & 1u;

                if (r == own_region(node))
                        continue;
                if (cut)
                        emit_region(node, r, HB_REGION_UNREACHABLE, now_ns);
                else if (node->hier->reg[r].state == HB_REGION_UNREACHABLE)
                        emit_region(node, r, HB_REGION_REACHABLE, now_ns);
        }
}

/* ---- sending ----------------------------------------------------- */

/* Whether region r's global member is alive at this coordinator's
 * global level (true when not a coordinator: nothing to judge by). */
static bool region_heard(const hb_node_t *node, uint32_t r)
{
        const struct hb_hier *h = node->hier;
        hb_peer_info_t pi;

        if (!h->global ||
            hb_node_peer_info(h->global, r, h->now_ns, &pi) < 0)
                return true;
        return pi.state == HB_PEER_ALIVE;
}

/*
 * Queue `buf` (an encoded message) for region r's coordinator, or its
 * electors while it is unknown. A coordinator that does not hear region
 * r's global member (not alive at its global level: never heard since it
 * took over, or silent) sends to every elector of r as well: the
 * coordinator it knows may be gone, and its successor is learned from a
 * summary that only comes once somebody reaches it. Without this, a
 * majority of regions whose coordinators all changed at once kept
 * sending to their predecessors and never elected (the simulator's
 * "every other coordinator crashed"). Steady state: one message.
 */
static void to_region(hb_node_t *node, uint32_t r, uint8_t type,
                      const uint8_t *buf, size_t len, uint8_t hints)
{
        const struct hb_hier *h = node->hier;
        uint32_t cid = h->reg[r].coord_id;

        if (cid != 0 && cid != node->cfg.node_id) {
                if (hb__out_push_raw(node, HB_DEST_PEER, cid, type, buf,
                                     len) != -EMSGSIZE)
                        hb__out_hint_last(node, hints);
                if (region_heard(node, r))
                        return;
        }
        for (size_t i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (p->h_region == r && p->h_elector && p->id != cid &&
                    hb__out_push_raw(node, HB_DEST_PEER, p->id, type, buf,
                                     len) != -EMSGSIZE)
                        hb__out_hint_last(node, hints);
        }
}

/* Queue `buf` for every node of this node's region. */
static void to_own_region(hb_node_t *node, uint8_t type, const uint8_t *buf,
                          size_t len, bool unheard_only)
{
        const struct hb_hier *h = node->hier;

        for (size_t i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (!in_own_region(node, p))
                        continue;
                if (unheard_only &&
                    (p->h_elector || p->h_heard_ns >= h->lead_since_ns ||
                     p->state == HB_PEER_DEAD || p->state == HB_PEER_LEFT))
                        continue;
                (void)hb__out_push_raw(node, HB_DEST_PEER, p->id, type, buf,
                                       len);
        }
}

enum {
        TO_REGION = 1,   /* every node of this region */
        TO_COORDS = 2,   /* every other region's coordinator */
        TO_UNHEARD = 4,  /* this region's members not heard since */
        TO_ONE = 8,      /* node `one` */
        TO_COORD_OF = 16 /* the coordinator of h->repair_region */
};

static void send_chunk(hb_node_t *node, uint8_t *tlv, uint32_t lo,
                       uint32_t hi, size_t n, unsigned to, uint32_t one,
                       uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        size_t len = SUM_HEAD_LEN + n * SUM_ENTRY_LEN;
        uint8_t *v = tlv + HB_WIRE_TLV_HEADER_LEN;
        const hb_out_t *o;
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        size_t blen;

        hb__put_tlv_header(tlv, HB_TLV_REGION_SUMMARY, (uint16_t)len);
        hb__put_u16(v, (uint16_t)own_region(node));
        v[2] = 0;
        /* The global leader's region as this coordinator knows it: its
         * region's nodes can say who holds (docs/wire-format.md). */
        v[3] = (uint8_t)(h->g_role == HB_ROLE_LEADER ||
                                         h->g_role == HB_ROLE_FOLLOWER
                                 ? h->g_leader
                                 : 0);
        hb__put_u32(v + 4, (uint32_t)h->lead_term);
        hb__put_u32(v + 8, h->version);
        hb__put_u64(v + 12, h->unreachable);
        hb__put_u32(v + 20, lo);
        hb__put_u32(v + 24, hi);
        /* Encode once (one sequence number), then copy per target. */
        if (hb__out_push(node, HB_DEST_PEER, node->cfg.node_id,
                         HB_MSG_REGION_SUMMARY, 0, tlv,
                         HB_WIRE_TLV_HEADER_LEN + len, now_ns) < 0 &&
            node->out_n == 0)
                return;
        o = &node->out[(node->out_head + node->out_n - 1) % node->out_cap];
        blen = o->len;
        memcpy(buf, o->buf, blen);
        node->out_n--; /* taken back: copies go out below */
        node->counters.tx_messages--;
        if (to & (TO_REGION | TO_UNHEARD))
                to_own_region(node, HB_MSG_REGION_SUMMARY, buf, blen,
                              !(to & TO_REGION));
        if (to & TO_ONE)
                (void)hb__out_push_raw(node, HB_DEST_PEER, one,
                                       HB_MSG_REGION_SUMMARY, buf, blen);
        /* To other regions: over a reliable stream where the driver has
         * one (HB_OUTPUT_RELIABLE, node.h). */
        if (to & TO_COORD_OF)
                to_region(node, h->repair_region, HB_MSG_REGION_SUMMARY, buf,
                          blen, HB_OUTPUT_RELIABLE);
        if (to & TO_COORDS)
                for (uint32_t r = 1; r <= HB_HIER_REGIONS_MAX; r++)
                        if (r != own_region(node) &&
                            ((h->present >> (r - 1)) & 1u))
                                to_region(node, r, HB_MSG_REGION_SUMMARY, buf,
                                          blen, HB_OUTPUT_RELIABLE);
}

/* This node's region summary (leading), in as many messages as it takes. */
static void send_summary(hb_node_t *node, unsigned to, uint32_t one,
                         uint64_t now_ns)
{
        uint8_t tlv[HB_WIRE_TLV_HEADER_LEN + SUM_HEAD_LEN +
                    SUM_ENTRIES * SUM_ENTRY_LEN];
        uint8_t *e = tlv + HB_WIRE_TLV_HEADER_LEN + SUM_HEAD_LEN;
        uint32_t lo = 1;
        size_t n = 0;

        for (size_t i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (!in_own_region(node, p) || p->state == HB_PEER_ALIVE)
                        continue;
                if (n == SUM_ENTRIES) {
                        send_chunk(node, tlv, lo, p->id - 1, n, to, one,
                                   now_ns);
                        lo = p->id;
                        n = 0;
                }
                hb__put_u32(e + n * SUM_ENTRY_LEN, p->id);
                e[n * SUM_ENTRY_LEN + 4] = (uint8_t)p->state;
                n++;
        }
        send_chunk(node, tlv, lo, UINT32_MAX, n, to, one, now_ns);
}

/* What this node holds of every region's summaries, in 32 bits: the
 * sum of a mix of (region, term, version) over the regions it has
 * heard of (a leader counts its own summary as sent). Not a secret,
 * only a mismatch detector between a member and its coordinator. */
static uint32_t view_digest(const hb_node_t *node)
{
        const struct hb_hier *h = node->hier;
        uint32_t sum = 0;

        for (uint32_t r = 1; r <= HB_HIER_REGIONS_MAX; r++) {
                uint32_t term = (uint32_t)h->reg[r].term;
                uint32_t version = h->reg[r].version, x;

                if (h->leading && r == own_region(node)) {
                        term = (uint32_t)h->lead_term;
                        version = h->version;
                }
                if (term == 0 && version == 0)
                        continue;
                x = (r * UINT32_C(0x9e3779b1)) ^
                    (term * UINT32_C(0x85ebca77)) ^
                    (version * UINT32_C(0xc2b2ae3d));
                x ^= x >> 15;
                x *= UINT32_C(0x2c1b3c6d);
                x ^= x >> 12;
                sum += x;
        }
        return sum;
}

int hb__hier_check_beat(const hb_wire_msg_t *m)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r, found = 0, terms = 0;

        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0) {
                if (type == HB_TLV_GLOBAL_TERM &&
                    (vlen != HB_GLOBAL_TERM_TLV_LEN || terms++ ||
                     hb__get_u64(val) > UINT32_MAX))
                        return HB_EBADTLV;
                if (type != HB_TLV_REGION_VIEW)
                        continue;
                if (vlen != 4 || found++)
                        return HB_EBADTLV;
        }
        return r < 0 ? HB_EBADTLV : 0;
}

/* A member's heartbeat said what it holds: a coordinator sends again
 * what it lacks (its own summary, the other regions' as received), at
 * most once per global interval per member, and not while a change of
 * its own is on its way anyway. */
void hb__hier_on_beat(hb_node_t *node, hb_peer_t *p, const hb_wire_msg_t *m,
                      uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;

        /* The global term our region's coordinator has seen: kept for
         * the day this node succeeds it (global_start()). */
        if (in_own_region(node, p) && p->h_elector) {
                while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0)
                        if (type == HB_TLV_GLOBAL_TERM &&
                            hb__get_u64(val) > h->told_term)
                                h->told_term = hb__get_u64(val);
                cur = m->tlv;
                left = m->tlv_len;
        }
        if (!h->leading || h->changed || !in_own_region(node, p) ||
            hb__hier_driven(node, p) ||
            (p->h_repaired_ns != 0 &&
             now_ns < add_sat(p->h_repaired_ns,
                              node->cfg.hier.global_interval_ns)))
                return;
        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0) {
                if (type != HB_TLV_REGION_VIEW)
                        continue;
                if (hb__get_u32(val) == view_digest(node))
                        return;
                p->h_repaired_ns = now_ns;
                send_summary(node, TO_ONE, p->id, now_ns);
                for (uint32_t r = 1; r <= HB_HIER_REGIONS_MAX; r++) {
                        const hb_hier_cache_t *c = h->cache[r];

                        if (r == own_region(node) || !c)
                                continue;
                        for (uint32_t k = 0; k < c->n; k++)
                                if (c->len[k] > 0)
                                        (void)hb__out_push_raw(
                                                node, HB_DEST_PEER, p->id,
                                                HB_MSG_REGION_SUMMARY,
                                                c->buf[k], c->len[k]);
                }
                return;
        }
}

/* The digest the global level's heartbeats carry: this coordinator's
 * view (the other coordinators compare it with theirs). */
static void set_global_digest(hb_node_t *node)
{
        hb_node_t *g = node->hier->global;
        size_t o = hb__put_tlv_header(g->beat_tlv, HB_TLV_REGION_VIEW, 4);

        hb__put_u32(g->beat_tlv + o, view_digest(node));
        g->beat_tlv_len = o + 4;
}

/* A global heartbeat from region r's coordinator carried its digest: if
 * it differs from ours, send it our region's summary (it lacks it, or we
 * lack one of another region's, which that region's coordinator sends
 * us the same way): anti-entropy at the global interval, no message in
 * steady state. Once per region per global interval, not while a change
 * of ours is on its way anyway. */
static void global_digest_in(hb_node_t *node, const uint8_t *buf, size_t len,
                             uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        uint8_t plain[HB_WIRE_MAX_LEN];
        const uint8_t *cur, *val;
        size_t left;
        uint16_t type, vlen;
        hb_wire_msg_t m;
        uint32_t r;

        if (hb_wire_decode(&m, buf, len,
                           node->cfg.cluster_id ^ GLOBAL_CLUSTER_XOR,
                           &node->ring, plain, sizeof(plain)) < 0 ||
            m.type != HB_MSG_HEARTBEAT)
                return;
        r = m.sender_id;
        if (r == 0 || r > HB_HIER_REGIONS_MAX || r == own_region(node) ||
            h->changed ||
            (h->reg[r].repaired_ns != 0 &&
             now_ns < add_sat(h->reg[r].repaired_ns,
                              node->cfg.hier.global_interval_ns)))
                return;
        cur = m.tlv;
        left = m.tlv_len;
        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0) {
                if (type != HB_TLV_REGION_VIEW || vlen != 4)
                        continue;
                if (hb__get_u32(val) == view_digest(node))
                        return;
                h->reg[r].repaired_ns = now_ns;
                h->repair_region = r;
                send_summary(node, TO_COORD_OF, 0, now_ns);
                return;
        }
}

/* Keep the summary message being received (node->rx_buf), chunk `lo`
 * of (term, version), for repairs; the newest copy of each chunk. Returns
 * whether the chunk is new for that version (a coordinator relays it). */
static bool cache_chunk(hb_node_t *node, uint32_t region, uint64_t term,
                        uint32_t version, uint32_t lo)
{
        struct hb_hier *h = node->hier;
        hb_hier_cache_t *c = h->cache[region];
        uint32_t k;

        if (!c) {
                c = hb__calloc(1, sizeof(*c));
                if (!c)
                        return true; /* no repairs for that region */
                h->cache[region] = c;
        }
        if (c->n == 0 || c->term != term || c->version != version) {
                c->term = term;
                c->version = version;
                c->n = 0;
        }
        for (k = 0; k < c->n && c->lo[k] != lo; k++)
                ;
        if (k == CACHE_CHUNKS)
                return true; /* relayed, not kept */
        c->lo[k] = lo;
        c->len[k] = 0; /* 0: not kept (too long for a relay) */
        if (node->rx_buf && node->rx_len <= HB_OUTPUT_MAX_LEN) {
                memcpy(c->buf[k], node->rx_buf, node->rx_len);
                c->len[k] = (uint16_t)node->rx_len;
        }
        if (k < c->n)
                return false;
        c->n++;
        return true;
}

int hb__hier_queue_beat(hb_node_t *node, uint8_t type, uint16_t flags,
                        const uint8_t *coord, uint64_t now_ns)
{
        const struct hb_hier *h = node->hier;
        uint32_t cid = h->reg[own_region(node)].coord_id;
        bool first = true, to_coord;
        uint8_t tlv[HB_WIRE_TLV_HEADER_LEN + HB_GLOBAL_TERM_TLV_LEN];
        size_t tlv_len = 0;
        int r = 0;

        if (type == HB_MSG_HEARTBEAT && !h->leading) {
                tlv_len = hb__put_tlv_header(tlv, HB_TLV_REGION_VIEW, 4);
                hb__put_u32(tlv + tlv_len, view_digest(node));
                tlv_len += 4;
        } else if (type == HB_MSG_HEARTBEAT && h->g_term_max > 0) {
                /* To the other electors: the global term a successor
                 * must start past (docs/hierarchy.md, "Safety"). */
                tlv_len = hb__put_tlv_header(tlv, HB_TLV_GLOBAL_TERM,
                                             HB_GLOBAL_TERM_TLV_LEN);
                hb__put_u64(tlv + tlv_len, h->g_term_max);
                tlv_len += HB_GLOBAL_TERM_TLV_LEN;
        }
        if (type == HB_MSG_LEAVE)
                return hb__out_push_coord(node, HB_DEST_ALL, 0, type, flags,
                                          coord, NULL, 0, now_ns);
        /* A member that knows its coordinator sends to it alone. */
        to_coord = !node->cfg.hier.elector && cid != 0 && hb__lookup(node, cid);
        for (size_t i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (to_coord ? p->id != cid
                             : !(in_own_region(node, p) && p->h_elector))
                        continue;
                if (first)
                        r = hb__out_push_coord(node, HB_DEST_PEER, p->id, type,
                                               flags, coord,
                                               tlv_len ? tlv : NULL, tlv_len,
                                               now_ns);
                else
                        r = hb__out_dup_last(node, HB_DEST_PEER, p->id);
                if (r < 0)
                        break; /* never a copy of another message */
                first = false;
        }
        return r;
}

/* ---- the global level -------------------------------------------- */

static void drain_global(hb_node_t *node)
{
        struct hb_hier *h = node->hier;
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_output_t out;
        int n;

        if (!h->global)
                return;
        while ((n = hb_node_poll_output(h->global, &out, buf, sizeof(buf))) >
               0) {
                /* Votes may take a reliable stream; heartbeats never:
                 * the global level's detector must see their loss. */
                uint8_t hints = out.type == HB_MSG_HEARTBEAT ||
                                                out.type == HB_MSG_ACK
                                        ? 0
                                        : HB_OUTPUT_RELIABLE;

                if (out.dest == HB_DEST_ALL) {
                        for (uint32_t r = 1; r <= HB_HIER_REGIONS_MAX; r++)
                                if (r != own_region(node) &&
                                    ((h->present >> (r - 1)) & 1u))
                                        to_region(node, r, out.type, buf,
                                                  (size_t)n, hints);
                } else if (out.peer_id >= 1 &&
                           out.peer_id <= HB_HIER_REGIONS_MAX) {
                        to_region(node, out.peer_id, out.type, buf,
                                  (size_t)n, hints);
                }
        }
}

static void global_event(void *user, const hb_event_t *gev)
{
        hb_node_t *node = user;
        struct hb_hier *h = node->hier;
        hb_event_t ev;

        switch (gev->type) {
        case HB_EVENT_PEER_STATE:
                if (gev->peer_id < 1 || gev->peer_id > HB_HIER_REGIONS_MAX)
                        return;
                if (gev->new_state == HB_PEER_DEAD ||
                    gev->new_state == HB_PEER_LEFT)
                        emit_region(node, gev->peer_id,
                                    HB_REGION_UNREACHABLE, h->now_ns);
                else if (gev->new_state != HB_PEER_UNKNOWN)
                        emit_region(node, gev->peer_id,
                                    h->reg[gev->peer_id].state ==
                                                    HB_REGION_UNREACHABLE
                                            ? HB_REGION_REACHABLE
                                            : h->reg[gev->peer_id].state,
                                    h->now_ns);
                h->version++;
                h->changed = true; /* the map rides on the summary */
                return;
        case HB_EVENT_ROLE:
                memset(&ev, 0, sizeof(ev));
                ev.size = sizeof(ev);
                ev.type = HB_EVENT_GLOBAL_ROLE;
                ev.at_ns = h->now_ns;
                ev.last_arrival_ns = HB_NEVER;
                ev.old_role = gev->old_role;
                ev.new_role = gev->new_role;
                ev.term = gev->term;
                ev.leader_id = gev->leader_id;
                ev.established = gev->established;
                ev.why = gev->why;
                if (gev->leader_id != h->g_leader ||
                    (gev->new_role == HB_ROLE_LEADER ||
                     gev->new_role == HB_ROLE_FOLLOWER) !=
                            (h->g_role == HB_ROLE_LEADER ||
                             h->g_role == HB_ROLE_FOLLOWER)) {
                        /* Who leads rides on the summary: tell the
                         * region (and the others) once. */
                        h->version++;
                        h->changed = true;
                }
                if (gev->term > h->g_term_max)
                        h->g_term_max = gev->term;
                h->g_role = gev->new_role;
                h->g_term = gev->term;
                h->g_leader = gev->leader_id;
                h->g_est = gev->established;
                node->counters.transitions++;
                if (node->cb)
                        node->cb(node->user, &ev);
                return;
        case HB_EVENT_TERM:
                /* Not persisted (another process succeeds this one):
                 * told to the region's electors instead. */
                if (gev->term > h->g_term_max)
                        h->g_term_max = gev->term;
                return;
        default:
                return;
        }
}

static void global_start(hb_node_t *node, uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        const hb_node_config_t *c = &node->cfg;
        uint64_t gi = c->hier.global_interval_ns, hold_until, known;
        hb_node_config_t g;

        hb_node_config_default(&g, c->detector.kind, gi);
        g.cluster_id = c->cluster_id ^ GLOBAL_CLUSTER_XOR;
        g.node_id = own_region(node);
        g.incarnation = h->lead_term;
        g.key = c->key;
        g.keyring = node->ring;
        g.random = c->random;
        g.random_user = c->random_user;
        g.rtt_probe_every = 0;
        g.local_pause_ns = 0; /* the outer node's guard covers it */
        g.coord.enabled = true;
        g.coord.seed = c->coord.seed ^ (h->lead_term * UINT64_C(0x9e37));
        g.coord.election_delay_ns = gi;
        g.coord.promise_max_ns = GLOBAL_PROMISE_INTERVALS * gi;
        if (hb_node_new(&h->global, &g, global_event, node) < 0) {
                h->global = NULL;
                return; /* no global level: this region does not vote */
        }
        hb_key_wipe(&g.key);
        hb_keyring_wipe(&g.keyring);
        /* A successor holds its predecessor's promises: see
         * docs/hierarchy.md, "votes across coordinator changes". */
        hold_until = h->lead_term <= 1
                             ? 0
                             : add_sat(now_ns, g.coord.promise_max_ns);
        /* ... and starts past every global term its predecessors told
         * it (and its own, from an earlier leadership), as if it had
         * voted for itself in the next one: the global term, the
         * resource's fencing token, grows across coordinators even when
         * every region of a majority changed its coordinator while the
         * regions that knew the latest term are cut off. */
        known = max_u64(h->told_term, h->g_term_max);
        if (known > 0 && known < UINT32_MAX &&
            hb_node_restore_term(h->global, known + 1, own_region(node)) ==
                    0)
                h->g_term_max = known + 1;
        (void)hb_node_restore_promise(h->global, hold_until);
        for (uint32_t r = 1; r <= HB_HIER_REGIONS_MAX; r++)
                if (r != own_region(node) && ((h->present >> (r - 1)) & 1u))
                        (void)hb_node_peer_add(h->global, r, now_ns);
}

static void global_stop(hb_node_t *node, uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        hb_event_t ev;

        if (!h->global)
                return;
        hb_node_free(h->global);
        h->global = NULL;
        if (h->g_role != HB_ROLE_NO_QUORUM) {
                memset(&ev, 0, sizeof(ev));
                ev.size = sizeof(ev);
                ev.type = HB_EVENT_GLOBAL_ROLE;
                ev.at_ns = now_ns;
                ev.last_arrival_ns = HB_NEVER;
                ev.old_role = h->g_role;
                ev.new_role = HB_ROLE_NO_QUORUM;
                ev.term = h->g_term;
                ev.why = "not coordinator";
                h->g_role = HB_ROLE_NO_QUORUM;
                h->g_leader = 0;
                h->g_est = false;
                node->counters.transitions++;
                if (node->cb)
                        node->cb(node->user, &ev);
        }
}

bool hb__hier_is_global(const hb_node_t *node, const uint8_t *buf,
                        size_t len)
{
        return len >= 12 && buf &&
               hb__get_u32(buf + 8) ==
                       (node->cfg.cluster_id ^ GLOBAL_CLUSTER_XOR);
}

int hb__hier_recv_global(hb_node_t *node, uint64_t now_ns,
                         const uint8_t *buf, size_t len)
{
        struct hb_hier *h = node->hier;
        int r;

        if (!h->global)
                return HB_ECLUSTER; /* not a coordinator (any more) */
        h->now_ns = now_ns;
        set_global_digest(node);
        r = hb_node_recv(h->global, now_ns, buf, len, NULL);
        if (r == 0)
                global_digest_in(node, buf, len, now_ns);
        drain_global(node);
        return r;
}

/* ---- leadership ---------------------------------------------------- */

static void take_over(hb_node_t *node, uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        hb_hier_region_t *own = &h->reg[own_region(node)];

        h->leading = true;
        h->lead_term = node->coord.term;
        h->lead_since_ns = now_ns;
        own->coord_id = node->cfg.node_id;
        own->term = h->lead_term;
        h->version = own->version + 1;
        /* Members are judged from now on as if heard now: the states
         * learned from the predecessor stay (docs/hierarchy.md). */
        for (size_t i = 0; i < node->n_peers; i++) {
                hb_peer_t *p = node->peers[i];

                if (!in_own_region(node, p) || p->h_elector)
                        continue;
                hb_detector_rebase(p->detector, now_ns);
                hb__reschedule(node, p);
        }
        h->changed = true;
        h->next_announce_ns = add_sat(now_ns, node->cfg.interval_ns);
        global_start(node, now_ns);
        drain_global(node);
}

static void step_down(hb_node_t *node, uint64_t now_ns)
{
        struct hb_hier *h = node->hier;

        h->leading = false;
        global_stop(node, now_ns);
        h->next_announce_ns = HB_NEVER;
        h->changed = false;
        h->reg[own_region(node)].version = h->version;
        for (size_t i = 0; i < node->n_peers; i++)
                if (in_own_region(node, node->peers[i]))
                        hb__reschedule(node, node->peers[i]);
}

void hb__hier_finish(hb_node_t *node, uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        bool lead = node->cfg.coord.enabled &&
                    node->coord.role == HB_ROLE_LEADER;

        h->now_ns = now_ns;
        if (lead && h->leading && node->coord.term != h->lead_term) {
                step_down(node, now_ns); /* a new term: a new member */
        }
        if (lead != h->leading) {
                if (lead)
                        take_over(node, now_ns);
                else
                        step_down(node, now_ns);
        }
        /* Changes go out at once, at most every half local interval
                 * (a start-up's fifty arrivals make one summary, not
                 * fifty). */
        if (h->leading && h->changed && node->sending &&
            now_ns >= h->next_change_ns) {
                h->changed = false;
                h->next_change_ns =
                        add_sat(now_ns, node->cfg.interval_ns / 2);
                send_summary(node, TO_REGION | TO_COORDS, 0, now_ns);
        }
}

void hb__hier_tick(hb_node_t *node, uint64_t now_ns)
{
        struct hb_hier *h = node->hier;

        h->now_ns = now_ns;
        hb__hier_finish(node, now_ns);
        if (!h->leading)
                return;
        if (h->global) {
                set_global_digest(node);
                hb_node_tick(h->global, now_ns);
                drain_global(node);
        }
        if (now_ns >= h->next_announce_ns) {
                bool any = false;

                for (size_t i = 0; i < node->n_peers && !any; i++) {
                        const hb_peer_t *p = node->peers[i];

                        any = in_own_region(node, p) && !p->h_elector &&
                              p->h_heard_ns < h->lead_since_ns &&
                              p->state != HB_PEER_DEAD &&
                              p->state != HB_PEER_LEFT;
                }
                if (any) {
                        send_summary(node, TO_UNHEARD, 0, now_ns);
                        h->next_announce_ns =
                                add_sat(now_ns, node->cfg.interval_ns);
                } else {
                        h->next_announce_ns = HB_NEVER;
                }
        }
}

uint64_t hb__hier_deadline(const hb_node_t *node)
{
        const struct hb_hier *h = node->hier;
        uint64_t d;

        if (!h->leading)
                return HB_NEVER;
        d = h->next_announce_ns;
        if (h->changed)
                d = min_u64(d, max_u64(h->next_change_ns,
                                       h->lead_since_ns));
        if (h->global)
                d = min_u64(d, hb_node_next_deadline(h->global));
        return d;
}

void hb__hier_peer_changed(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        struct hb_hier *h = node->hier;

        (void)now_ns;
        if (h->leading && in_own_region(node, p)) {
                h->version++;
                h->changed = true;
        }
}

/* ---- receiving summaries ----------------------------------------- */

static bool state_ok(uint8_t v)
{
        return v == HB_PEER_UNKNOWN || v == HB_PEER_SUSPECT ||
               v == HB_PEER_DEAD || v == HB_PEER_PROBATION ||
               v == HB_PEER_LEFT;
}

int hb__hier_check_summary(const hb_wire_msg_t *m)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r, found = 0;

        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0) {
                uint32_t lo, hi, prev, region;

                if (type != HB_TLV_REGION_SUMMARY)
                        continue;
                if (vlen < SUM_HEAD_LEN ||
                    (vlen - SUM_HEAD_LEN) % SUM_ENTRY_LEN != 0)
                        return HB_EBADTLV;
                region = hb__get_u16(val);
                if (region == 0 || region > HB_HIER_REGIONS_MAX)
                        return HB_EBADTLV;
                lo = hb__get_u32(val + 20);
                hi = hb__get_u32(val + 24);
                if (lo > hi)
                        return HB_EBADTLV;
                prev = lo;
                for (size_t o = SUM_HEAD_LEN; o < vlen; o += SUM_ENTRY_LEN) {
                        uint32_t id = hb__get_u32(val + o);

                        if (id < prev || id > hi ||
                            (o > SUM_HEAD_LEN && id == prev) ||
                            !state_ok(val[o + 4]))
                                return HB_EBADTLV;
                        prev = id;
                }
                found++;
        }
        if (r < 0 || found != 1)
                return HB_EBADTLV;
        return 0;
}

static hb_reason_t reason_for(hb_peer_state_t from, hb_peer_state_t to)
{
        switch (to) {
        case HB_PEER_ALIVE:
                return from == HB_PEER_PROBATION ? HB_REASON_PROBATION_PASSED
                                                 : HB_REASON_HEARTBEAT;
        case HB_PEER_SUSPECT:
                return HB_REASON_SUSPECT_THRESHOLD;
        case HB_PEER_DEAD:
                return from == HB_PEER_UNKNOWN ? HB_REASON_NEVER_HEARD
                                               : HB_REASON_DEAD_THRESHOLD;
        case HB_PEER_LEFT:
                return HB_REASON_LEAVE;
        default:
                return HB_REASON_HEARTBEAT;
        }
}

/* Driven peer p's state becomes what its region's summary says. */
static void apply(hb_node_t *node, hb_peer_t *p, uint8_t v, uint64_t now_ns)
{
        if (!hb__hier_driven(node, p) || p->state == v ||
            v == HB_PEER_UNKNOWN)
                return;
        hb__set_state(node, p, (hb_peer_state_t)v,
                      reason_for(p->state, (hb_peer_state_t)v), now_ns, 0.0);
}

void hb__hier_on_summary(hb_node_t *node, hb_peer_t *from,
                         const hb_wire_msg_t *m, uint64_t now_ns)
{
        struct hb_hier *h = node->hier;
        const uint8_t *cur = m->tlv, *val = NULL;
        size_t left = m->tlv_len, o = SUM_HEAD_LEN;
        uint16_t type, vlen = 0;
        uint32_t region, version, lo, hi;
        uint64_t term, map;
        hb_hier_region_t *rg;
        bool fresh;

        h->now_ns = now_ns;
        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0)
                if (type == HB_TLV_REGION_SUMMARY)
                        break;
        region = hb__get_u16(val);
        term = hb__get_u32(val + 4);
        version = hb__get_u32(val + 8);
        map = hb__get_u64(val + 12);
        lo = hb__get_u32(val + 20);
        hi = hb__get_u32(val + 24);
        rg = &h->reg[region];
        /* Only a node of that region speaks for it, and only with the
         * newest term known for it. */
        if (from->h_region != region || term < rg->term)
                return;
        /* The replay rule of summaries (node.c checks no sequence): an
         * older version of the same coordinator's says nothing new. */
        if (term == rg->term && from->id == rg->coord_id &&
            version < rg->version)
                return;
        if (region == own_region(node) && h->leading &&
            term <= h->lead_term)
                return; /* ours, relayed back, or a deposed one's */
        fresh = term > rg->term || from->id != rg->coord_id ||
                version > rg->version;
        rg->term = term;
        rg->coord_id = from->id;
        rg->version = version;
        /* Every chunk of a new version is news, not only the first. */
        if (cache_chunk(node, region, term, version, lo))
                fresh = true;
        /* The sender speaks: it is alive. */
        apply(node, from, HB_PEER_ALIVE, now_ns);
        for (size_t i = 0; i < node->n_peers; i++) {
                hb_peer_t *p = node->peers[i];
                uint8_t v = HB_PEER_ALIVE;

                if (p->id < lo)
                        continue;
                if (p->id > hi)
                        break;
                if (p->h_region != region || p == from)
                        continue;
                while (o < vlen && hb__get_u32(val + o) < p->id)
                        o += SUM_ENTRY_LEN;
                if (o < vlen && hb__get_u32(val + o) == p->id)
                        v = val[o + 4];
                apply(node, p, v, now_ns);
        }
        if (region == own_region(node) && !h->leading) {
                apply_map(node, map, now_ns);
                h->told_leader = val[3] <= HB_HIER_REGIONS_MAX ? val[3] : 0;
        }
        /* A coordinator relays the others' news to its region. */
        if (h->leading && region != own_region(node) && fresh &&
            node->rx_buf && node->rx_len <= HB_OUTPUT_MAX_LEN)
                to_own_region(node, HB_MSG_REGION_SUMMARY, node->rx_buf,
                              node->rx_len, false);
}

/* ---- public ------------------------------------------------------ */

int hb_node_peer_set_region(hb_node_t *node, uint32_t peer_id,
                            uint32_t region, bool elector)
{
        hb_peer_t *p;

        if (!node || !node->hier || region == 0 ||
            region > HB_HIER_REGIONS_MAX)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        p->h_region = region;
        p->h_elector = elector;
        p->votes = elector && region == own_region(node) ? 1 : 0;
        node->hier->present |= UINT64_C(1) << (region - 1);
        if (node->cfg.coord.enabled)
                hb__coord_recount(node);
        hb__reschedule(node, p);
        return 0;
}

void hb_node_hier_info(const hb_node_t *node, hb_hier_info_t *out)
{
        const struct hb_hier *h;

        if (!out)
                return;
        memset(out, 0, sizeof(*out));
        out->global_role = HB_ROLE_NO_QUORUM;
        if (!node || !node->hier)
                return;
        h = node->hier;
        out->enabled = true;
        out->region = own_region(node);
        out->coordinator = h->leading;
        out->coordinator_id = h->reg[own_region(node)].coord_id;
        out->regional_term = h->reg[own_region(node)].term;
        out->unreachable_map = h->unreachable;
        out->holder_region = h->told_leader;
        if (h->global) {
                hb_coord_info_t gi;

                hb_node_coord_info(h->global, &gi);
                out->global_role = gi.role;
                out->global_term = gi.term;
                out->global_leader = gi.leader_id;
                out->holder_region = gi.role == HB_ROLE_LEADER ||
                                                     gi.role ==
                                                             HB_ROLE_FOLLOWER
                                             ? gi.leader_id
                                             : 0;
                /* Live, not cached: a node that stopped leading its
                 * region never claims (docs/hierarchy.md, "Safety"). */
                out->holds = h->leading &&
                             node->coord.role == HB_ROLE_LEADER &&
                             gi.role == HB_ROLE_LEADER && gi.established;
        }
        if (out->holder_region != 0)
                out->holder_id = out->holder_region == own_region(node) &&
                                                 h->leading
                                         ? node->cfg.node_id
                                         : h->reg[out->holder_region]
                                                   .coord_id;
}
