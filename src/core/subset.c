/* SPDX-License-Identifier: MIT */
/*
 * Topology "subset" (docs/subset.md): the ring of node ids ordered by a
 * 64-bit FNV-1a hash, a node's monitors (its k live successors), the
 * majority rule of the "monitors" topology over them, the codec of the
 * verdict, digest and origin TLVs, the configuration check, and the
 * anti-entropy repair (a digest of the verdicts held on every heartbeat,
 * the table relayed by a monitor whose own digest differs).
 *
 * Consistent hashing after Karger, Lehman, Leighton, Panigrahy, Levine,
 * Lewin, STOC 1997 (one point per node: the ring only chooses monitors,
 * it balances no keys); FNV-1a after Fowler, Noll, Vo
 * (draft-eastlake-fnv). Sans-I/O like the rest of src/core.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hbeat/subset.h"

#include "core/alloc.h"
#include "core/bytes.h"
#include "core/node_impl.h"

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME UINT64_C(0x100000001b3)

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= FNV64_PRIME;
        }
        return h;
}

uint64_t hb_subset_ring_pos(uint32_t id)
{
        uint8_t b[4];

        hb__put_u32(b, id);
        return fnv1a(FNV64_OFFSET, b, sizeof(b));
}

static int ring_cmp(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        uint64_t px = hb_subset_ring_pos(x), py = hb_subset_ring_pos(y);

        if (px != py)
                return px < py ? -1 : 1;
        return x < y ? -1 : x > y;
}

int hb_subset_ring_sort(uint32_t *ids, size_t n)
{
        if (n == 0)
                return 0;
        if (!ids)
                return -EINVAL;
        qsort(ids, n, sizeof(*ids), ring_cmp);
        for (size_t i = 0; i < n; i++)
                if (ids[i] == 0 || (i > 0 && ids[i] == ids[i - 1]))
                        return -EINVAL;
        return 0;
}

int hb_subset_monitors(const uint32_t *ring, size_t n, uint32_t subject,
                       uint32_t k, bool (*skip)(void *ctx, uint32_t id),
                       void *ctx, uint32_t *out)
{
        size_t at = n;
        int got = 0;

        if (!ring || !out || k == 0 || k > HB_SUBSET_K_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (ring[i] == subject) {
                        at = i;
                        break;
                }
        if (at == n)
                return -EINVAL;
        for (size_t step = 1; step < n && (uint32_t)got < k; step++) {
                uint32_t id = ring[(at + step) % n];

                if (skip && skip(ctx, id))
                        continue;
                out[got++] = id;
        }
        return got;
}

int hb_subset_combine(const hb_subset_tally_t *t, hb_peer_state_t cur,
                      hb_peer_state_t *next, hb_reason_t *reason)
{
        hb_peer_state_t to = cur;
        hb_reason_t why = HB_REASON_HEARTBEAT;
        uint32_t q;

        if (!t || !next || t->k == 0 || t->k > HB_SUBSET_K_MAX ||
            t->counting > t->k ||
            (uint64_t)t->alive + t->suspect + t->dead + t->left >
                    t->counting)
                return -EINVAL;
        q = t->k / 2 + 1;
        if (t->counting < q) {
                ; /* frozen */
        } else if (t->left >= q) {
                if (cur != HB_PEER_LEFT) {
                        to = HB_PEER_LEFT;
                        why = HB_REASON_LEAVE;
                }
        } else if (t->dead >= q) {
                if (cur == HB_PEER_UNKNOWN) {
                        to = HB_PEER_DEAD;
                        why = HB_REASON_NEVER_HEARD;
                } else if (cur != HB_PEER_DEAD && cur != HB_PEER_LEFT) {
                        to = HB_PEER_DEAD;
                        why = HB_REASON_DEAD_THRESHOLD;
                }
        } else if (t->suspect + t->dead >= q) {
                if (cur == HB_PEER_ALIVE) {
                        to = HB_PEER_SUSPECT;
                        why = HB_REASON_SUSPECT_THRESHOLD;
                } else if (cur == HB_PEER_PROBATION) {
                        to = HB_PEER_DEAD;
                        why = HB_REASON_SUSPECT_THRESHOLD;
                }
        } else if (t->alive >= 1) {
                if (cur == HB_PEER_UNKNOWN || cur == HB_PEER_SUSPECT)
                        to = HB_PEER_ALIVE;
                else if (cur == HB_PEER_DEAD || cur == HB_PEER_LEFT)
                        to = HB_PEER_PROBATION;
        }
        *next = to;
        if (to == cur)
                return 0;
        if (reason)
                *reason = why;
        return 1;
}

static bool verdict_ok(uint8_t v)
{
        return v == HB_PEER_UNKNOWN || v == HB_PEER_ALIVE ||
               v == HB_PEER_SUSPECT || v == HB_PEER_DEAD || v == HB_PEER_LEFT;
}

int hb_subset_verdict_encode(uint8_t *buf, size_t cap, uint32_t epoch,
                             const hb_subset_verdict_t *v, size_t n)
{
        size_t len = HB_SUBSET_VERDICT_LEN(n);
        uint8_t *p;

        if (!buf || (!v && n > 0) || n > HB_SUBSET_JUDGED_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (v[i].id == 0 || (i > 0 && v[i].id <= v[i - 1].id) ||
                    !verdict_ok(v[i].verdict))
                        return -EINVAL;
        if (cap < HB_WIRE_TLV_HEADER_LEN + len)
                return -ENOSPC;
        p = buf + hb__put_tlv_header(buf, HB_TLV_SUBSET_VERDICT,
                                     (uint16_t)len);
        hb__put_u32(p, epoch);
        p += 4;
        for (size_t i = 0; i < n; i++, p += 5) {
                hb__put_u32(p, v[i].id);
                p[4] = v[i].verdict;
        }
        return (int)(HB_WIRE_TLV_HEADER_LEN + len);
}

int hb_subset_verdict_decode(const uint8_t *val, size_t vlen,
                             uint32_t *epoch, hb_subset_verdict_t *out,
                             size_t cap)
{
        size_t n;

        if (!val || !epoch || !out)
                return -EINVAL;
        if (vlen < 4 || (vlen - 4) % 5 != 0 ||
            (vlen - 4) / 5 > HB_SUBSET_JUDGED_MAX)
                return HB_EBADTLV;
        n = (vlen - 4) / 5;
        if (n > cap)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                const uint8_t *e = val + 4 + 5 * i;
                uint32_t id = hb__get_u32(e);

                if (id == 0 || (i > 0 && id <= out[i - 1].id) ||
                    !verdict_ok(e[4]))
                        return HB_EBADTLV;
                out[i].id = id;
                out[i].verdict = e[4];
        }
        *epoch = hb__get_u32(val);
        return (int)n;
}

uint64_t hb_subset_digest_fold(uint64_t digest, uint32_t id,
                               uint32_t monitor, uint8_t verdict)
{
        uint8_t b[9];

        hb__put_u32(b, id);
        hb__put_u32(b + 4, monitor);
        b[8] = verdict;
        return digest ^ fnv1a(FNV64_OFFSET, b, sizeof(b));
}

int hb_subset_digest_encode(uint8_t *buf, size_t cap, uint32_t entries,
                            uint64_t digest)
{
        uint8_t *p;

        if (!buf)
                return -EINVAL;
        if (cap < HB_WIRE_TLV_HEADER_LEN + HB_SUBSET_DIGEST_LEN)
                return -ENOSPC;
        p = buf + hb__put_tlv_header(buf, HB_TLV_SUBSET_DIGEST,
                                     HB_SUBSET_DIGEST_LEN);
        hb__put_u32(p, entries);
        hb__put_u64(p + 4, digest);
        return (int)(HB_WIRE_TLV_HEADER_LEN + HB_SUBSET_DIGEST_LEN);
}

int hb_subset_digest_decode(const uint8_t *val, size_t vlen,
                            uint32_t *entries, uint64_t *digest)
{
        if (!val || !entries || !digest)
                return -EINVAL;
        if (vlen != HB_SUBSET_DIGEST_LEN)
                return HB_EBADTLV;
        *entries = hb__get_u32(val);
        *digest = hb__get_u64(val + 4);
        return 0;
}

int hb_subset_origin_encode(uint8_t *buf, size_t cap, uint32_t monitor,
                            uint64_t incarnation)
{
        uint8_t *p;

        if (!buf || monitor == 0)
                return -EINVAL;
        if (cap < HB_WIRE_TLV_HEADER_LEN + HB_SUBSET_ORIGIN_LEN)
                return -ENOSPC;
        p = buf + hb__put_tlv_header(buf, HB_TLV_SUBSET_ORIGIN,
                                     HB_SUBSET_ORIGIN_LEN);
        hb__put_u32(p, monitor);
        hb__put_u64(p + 4, incarnation);
        return (int)(HB_WIRE_TLV_HEADER_LEN + HB_SUBSET_ORIGIN_LEN);
}

int hb_subset_origin_decode(const uint8_t *val, size_t vlen,
                            uint32_t *monitor, uint64_t *incarnation)
{
        if (!val || !monitor || !incarnation)
                return -EINVAL;
        if (vlen != HB_SUBSET_ORIGIN_LEN || hb__get_u32(val) == 0)
                return HB_EBADTLV;
        *monitor = hb__get_u32(val);
        *incarnation = hb__get_u64(val + 4);
        return 0;
}

int hb__subset_config_validate(const hb_node_config_t *cfg)
{
        const hb_subset_config_t *s = &cfg->subset;

        if (s->reserved[0] || s->reserved[1] || s->reserved[2])
                return -EINVAL;
        if (cfg->topology != HB_TOPOLOGY_SUBSET)
                return 0;
        if (s->k == 0 || s->k > HB_SUBSET_K_MAX)
                return -EINVAL;
        /* Not with these in this version (docs/subset.md). */
        if (cfg->n_monitors > 0 || cfg->n_links > 1 || cfg->n_classes > 0 ||
            cfg->coord.enabled || cfg->hier.enabled)
                return -EINVAL;
        return 0;
}

/* ---- the node's message flow ------------------------------------- */

/* Sends of one set of verdicts: at the change and after the next two
 * heartbeats (docs/subset.md). */
#define SUBSET_SENDS 3

struct hb_subset {
        uint32_t *ring;                /* this node and its peers, in
                                          ring order */
        size_t n_ring;
        bool ring_dirty;
        uint32_t self_mon[HB_SUBSET_K_MAX]; /* this node's monitors */
        uint32_t n_self_mon;
        size_t self_idx;               /* this node's index in ring */
        uint32_t epoch;                /* grows with every change */
        int sends_left;                /* repeats still due */
        bool busy, again;              /* state_changed() re-entry */
        uint32_t self_vid[HB_SUBSET_VIEW_MAX]; /* the verdicts of this */
        uint8_t self_v[HB_SUBSET_VIEW_MAX];    /* node's monitors on it */
};

int hb__subset_init(hb_node_t *node)
{
        if (node->cfg.topology != HB_TOPOLOGY_SUBSET)
                return 0;
        node->subset = hb__calloc(1, sizeof(*node->subset));
        if (!node->subset)
                return -ENOMEM;
        node->subset->ring_dirty = true;
        return 0;
}

void hb__subset_free(hb_node_t *node)
{
        if (!node->subset)
                return;
        hb__free(node->subset->ring);
        hb__free(node->subset);
        node->subset = NULL;
}

void hb__subset_peers_changed(hb_node_t *node)
{
        if (node->subset)
                node->subset->ring_dirty = true;
}

/* A node this node skips on the ring: seen dead or left. */
static bool gone(const hb_node_t *node, uint32_t id)
{
        const hb_peer_t *q;

        if (id == node->cfg.node_id)
                return false;
        q = hb__lookup(node, id);
        return !q || q->state == HB_PEER_DEAD || q->state == HB_PEER_LEFT;
}

static int rebuild_ring(hb_node_t *node)
{
        struct hb_subset *s = node->subset;
        size_t n = node->n_peers + 1;
        uint32_t *r = hb__realloc(s->ring, n * sizeof(*r));

        if (!r)
                return -ENOMEM;
        s->ring = r;
        r[0] = node->cfg.node_id;
        for (size_t i = 0; i < node->n_peers; i++)
                r[i + 1] = node->peers[i]->id;
        qsort(r, n, sizeof(*r), ring_cmp);
        s->n_ring = n;
        for (size_t i = 0; i < n; i++) {
                hb_peer_t *q;

                if (r[i] == node->cfg.node_id) {
                        s->self_idx = i;
                        continue;
                }
                q = hb__lookup(node, r[i]);
                if (q)
                        q->s_ring_idx = (uint32_t)i;
        }
        s->ring_dirty = false;
        return 0;
}

static uint32_t successors(const hb_node_t *node, size_t at, uint32_t *out)
{
        const struct hb_subset *s = node->subset;
        uint32_t k = node->cfg.subset.k, got = 0;

        for (size_t step = 1; step < s->n_ring && got < k; step++) {
                uint32_t id = s->ring[(at + step) % s->n_ring];

                if (!gone(node, id))
                        out[got++] = id;
        }
        return got;
}

/* Recompute every monitor set from the ring and the states seen here. A
 * node that becomes a monitor of p starts p's detector afresh (its
 * silence so far was not p's: it did not send here). */
static void recompute(hb_node_t *node, uint64_t now_ns)
{
        struct hb_subset *s = node->subset;

        if (s->ring_dirty && rebuild_ring(node) < 0)
                return; /* keep the old sets; retried on the next change */
        s->n_self_mon = successors(node, s->self_idx, s->self_mon);
        for (size_t i = 0; i < node->n_peers; i++) {
                hb_peer_t *p = node->peers[i];
                bool judge = false;

                p->s_n_mon = (uint8_t)successors(node, p->s_ring_idx,
                                                 p->s_mon);
                for (uint32_t j = 0; j < p->s_n_mon; j++)
                        judge |= p->s_mon[j] == node->cfg.node_id;
                if (judge && !p->s_judge) {
                        hb_detector_reset(p->detector);
                        hb_detector_heartbeat(p->detector, now_ns);
                        p->m_raw = HB_PEER_UNKNOWN;
                        p->m_left = false;
                        node->m_changed = true;
                } else if (!judge && p->s_judge) {
                        node->m_changed = true;
                }
                if (judge != p->s_judge) {
                        p->s_judge = judge;
                        hb__reschedule(node, p);
                }
        }
}

static uint8_t view_get(const uint32_t *vid, const uint8_t *v, uint32_t mon)
{
        for (uint32_t i = 0; i < HB_SUBSET_VIEW_MAX; i++)
                if (vid[i] == mon)
                        return v[i];
        return HB_PEER_UNKNOWN;
}

/* Keep monitor `mon`'s verdict `val` in a subject's views (`vid`, `v`),
 * whose monitors are `mons`: its slot, a free one, or one of a node that
 * is no longer a monitor of the subject. */
static void view_put(uint32_t *vid, uint8_t *v, const uint32_t *mons,
                     uint32_t n_mon, uint32_t mon, uint8_t val)
{
        uint32_t slot = HB_SUBSET_VIEW_MAX;

        for (uint32_t i = 0; i < HB_SUBSET_VIEW_MAX; i++) {
                if (vid[i] == mon) {
                        v[i] = val;
                        return;
                }
                if (slot == HB_SUBSET_VIEW_MAX && vid[i] == 0)
                        slot = i;
        }
        /* Full: take the slot of a node that is not a monitor of p. */
        for (uint32_t i = 0; slot == HB_SUBSET_VIEW_MAX &&
                             i < HB_SUBSET_VIEW_MAX; i++) {
                bool cur = false;

                for (uint32_t j = 0; j < n_mon; j++)
                        cur |= mons[j] == vid[i];
                if (!cur)
                        slot = i;
        }
        if (slot == HB_SUBSET_VIEW_MAX)
                return;
        vid[slot] = mon;
        v[slot] = val;
}

static uint8_t view_of(const hb_peer_t *p, uint32_t mon)
{
        return view_get(p->s_vid, p->s_v, mon);
}

static void view_set(hb_peer_t *p, uint32_t mon, uint8_t v)
{
        view_put(p->s_vid, p->s_v, p->s_mon, p->s_n_mon, mon, v);
}

/* The verdict of monitor `mon` on subject `id` as this node holds it:
 * its own when `mon` is this node, the latest heard otherwise. */
static uint8_t held(const hb_node_t *node, uint32_t id, uint32_t mon)
{
        const struct hb_subset *s = node->subset;
        const hb_peer_t *p;

        if (id == node->cfg.node_id)
                return view_get(s->self_vid, s->self_v, mon);
        p = hb__lookup(node, id);
        if (!p)
                return HB_PEER_UNKNOWN;
        if (mon == node->cfg.node_id)
                return p->s_judge ? p->m_raw : HB_PEER_UNKNOWN;
        return view_of(p, mon);
}

/* The digest of the triples (subject, monitor, verdict) held here that
 * are not "alive", over every node of the ring and each of its monitors
 * here (docs/subset.md, "Repair"). O(n k). */
static uint64_t digest_of(const hb_node_t *node, uint32_t *entries)
{
        const struct hb_subset *s = node->subset;
        uint64_t d = 0;
        uint32_t n = 0;

        for (size_t i = 0; i <= node->n_peers; i++) {
                const uint32_t *mons;
                uint32_t id, n_mon;

                if (i == node->n_peers) {
                        id = node->cfg.node_id;
                        mons = s->self_mon;
                        n_mon = s->n_self_mon;
                } else {
                        id = node->peers[i]->id;
                        mons = node->peers[i]->s_mon;
                        n_mon = node->peers[i]->s_n_mon;
                }
                for (uint32_t j = 0; j < n_mon; j++) {
                        uint8_t v = held(node, id, mons[j]);

                        if (v == HB_PEER_ALIVE)
                                continue;
                        d = hb_subset_digest_fold(d, id, mons[j], v);
                        n++;
                }
        }
        *entries = n;
        return d;
}

void hb__subset_combine(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        const hb_class_config_t *cc = hb__class_of(node, p);
        hb_subset_tally_t t = { .k = node->cfg.subset.k };
        hb_peer_state_t next;
        hb_reason_t why = HB_REASON_HEARTBEAT;
        double susp = 0.0;

        p->m_eval_ns = now_ns;
        /* The majority is of p's monitors here; with fewer nodes than
         * k + 1 of all of them. */
        if (p->s_n_mon < t.k)
                t.k = p->s_n_mon;
        if (t.k == 0)
                return;
        for (uint32_t i = 0; i < p->s_n_mon; i++) {
                uint32_t id = p->s_mon[i];
                uint8_t v;

                if (id == node->cfg.node_id) {
                        v = p->m_raw;
                } else {
                        const hb_peer_t *m = hb__lookup(node, id);

                        /* Counts unless seen dead or left (no node is
                         * heard directly here: unknown counts too). */
                        if (!m || m->state == HB_PEER_DEAD ||
                            m->state == HB_PEER_LEFT)
                                continue;
                        v = view_of(p, id);
                }
                t.counting++;
                t.alive += v == HB_PEER_ALIVE;
                t.suspect += v == HB_PEER_SUSPECT;
                t.dead += v == HB_PEER_DEAD;
                t.left += v == HB_PEER_LEFT;
        }
        if (hb_subset_combine(&t, p->state, &next, &why) > 0) {
                if (p->s_judge)
                        susp = hb_detector_suspicion(p->detector, now_ns);
                hb__set_state(node, p, next, why, now_ns,
                              next == HB_PEER_ALIVE ||
                                              next == HB_PEER_PROBATION
                                      ? 0.0
                                      : susp);
                return;
        }
        if (p->state == HB_PEER_PROBATION && t.counting >= t.k / 2 + 1 &&
            t.alive >= 1 && t.suspect + t.dead < t.k / 2 + 1 &&
            now_ns >= add_sat(p->probation_start_ns, cc->probation_ns))
                hb__set_state(node, p, HB_PEER_ALIVE,
                              HB_REASON_PROBATION_PASSED, now_ns, 0.0);
}

void hb__subset_state_changed(hb_node_t *node, hb_peer_t *p,
                              uint64_t now_ns)
{
        struct hb_subset *s = node->subset;

        /* Only a node going or coming back moves monitor sets and who
         * counts (a node counts unless seen dead or left). */
        if (p) {
                bool g = gone(node, p->id);

                if (g == p->s_gone)
                        return;
                p->s_gone = g;
        }
        if (s->busy) {
                s->again = true;
                return;
        }
        s->busy = true;
        do {
                s->again = false;
                recompute(node, now_ns);
                for (size_t i = 0; i < node->n_peers; i++) {
                        hb_peer_t *q = node->peers[i];

                        hb__mon_evaluate(node, q, now_ns);
                        hb__reschedule(node, q);
                }
        } while (s->again);
        s->busy = false;
}

/* A verdict message is either the sender's own (one verdict TLV): 0, or
 * a repair (pairs of origin and verdict TLVs): 1. */
int hb__subset_check_verdict(const hb_wire_msg_t *m)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        hb_subset_verdict_t v[HB_SUBSET_JUDGED_MAX];
        uint32_t epoch, mon;
        uint64_t inc;
        int r, lists = 0, origins = 0;
        bool pending = false;

        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0) {
                if (type == HB_TLV_SUBSET_ORIGIN) {
                        if (pending || hb_subset_origin_decode(
                                               val, vlen, &mon, &inc) < 0)
                                return HB_EBADTLV;
                        pending = true;
                        origins++;
                        continue;
                }
                if (type != HB_TLV_SUBSET_VERDICT)
                        continue;
                if (hb_subset_verdict_decode(val, vlen, &epoch, v,
                                             HB_SUBSET_JUDGED_MAX) < 0 ||
                    (origins > 0 && !pending))
                        return HB_EBADTLV;
                pending = false;
                lists++;
        }
        if (r < 0 || pending || lists == 0 ||
            (origins == 0 && lists != 1) || (origins > 0 && origins != lists))
                return HB_EBADTLV;
        return origins > 0;
}

/* Monitor `mon`'s verdicts (its incarnation `inc`, epoch `epoch`), from
 * itself or relayed: kept unless older than those held. */
static void apply_list(hb_node_t *node, uint32_t mon, uint64_t inc,
                       uint32_t epoch, const hb_subset_verdict_t *v, int n,
                       uint64_t now_ns)
{
        struct hb_subset *s = node->subset;
        hb_peer_t *mp = hb__lookup(node, mon);

        if (!mp)
                return; /* this node itself, or unknown */
        if (inc < mp->s_inc || (inc == mp->s_inc && epoch < mp->s_epoch) ||
            (mp->incarnation != 0 && inc < mp->incarnation))
                return;
        mp->s_inc = inc;
        mp->s_epoch = epoch;
        for (int i = 0; i < n; i++) {
                hb_peer_t *p;

                if (v[i].id == node->cfg.node_id) {
                        view_put(s->self_vid, s->self_v, s->self_mon,
                                 s->n_self_mon, mon, v[i].verdict);
                        continue;
                }
                p = hb__lookup(node, v[i].id);
                if (!p)
                        continue;
                view_set(p, mon, v[i].verdict);
                hb__subset_combine(node, p, now_ns);
                hb__reschedule(node, p);
        }
}

void hb__subset_on_verdict(hb_node_t *node, hb_peer_t *from,
                           const hb_wire_msg_t *m, uint64_t now_ns)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        hb_subset_verdict_t v[HB_SUBSET_JUDGED_MAX];
        uint32_t epoch, mon = from->id;
        uint64_t inc = m->incarnation;
        bool relayed = false;
        int n;

        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0) {
                if (type == HB_TLV_SUBSET_ORIGIN) {
                        (void)hb_subset_origin_decode(val, vlen, &mon, &inc);
                        relayed = true;
                        continue;
                }
                if (type != HB_TLV_SUBSET_VERDICT)
                        continue;
                n = hb_subset_verdict_decode(val, vlen, &epoch, v,
                                             HB_SUBSET_JUDGED_MAX);
                if (n >= 0)
                        apply_list(node, mon, inc, epoch, v, n, now_ns);
        }
        if (!relayed)
                node->counters.subset_verdicts_received++;
}

int hb__subset_check_beat(const hb_wire_msg_t *m)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r, found = 0;

        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0) {
                if (type != HB_TLV_SUBSET_DIGEST)
                        continue;
                if (vlen != HB_SUBSET_DIGEST_LEN || found++)
                        return HB_EBADTLV;
        }
        return r < 0 ? HB_EBADTLV : 0;
}

/* The nodes monitor `mon` (at ring index `at`) judges as this node sees
 * it: those of its predecessors whose monitors here include it (none is
 * further back than k live nodes). Ascending ids into `out`. */
static size_t judged_by(const hb_node_t *node, size_t at, uint32_t mon,
                        hb_subset_verdict_t *out)
{
        const struct hb_subset *s = node->subset;
        uint32_t k = node->cfg.subset.k, live = 0;
        size_t n = 0;

        for (size_t step = 1; step < s->n_ring && live < k &&
                              n < HB_SUBSET_JUDGED_MAX; step++) {
                uint32_t id = s->ring[(at + s->n_ring - step) % s->n_ring];
                const uint32_t *mons;
                uint32_t n_mon;
                bool is = false;

                if (id == node->cfg.node_id) {
                        mons = s->self_mon;
                        n_mon = s->n_self_mon;
                } else {
                        const hb_peer_t *p = hb__lookup(node, id);

                        if (!p)
                                continue;
                        mons = p->s_mon;
                        n_mon = p->s_n_mon;
                }
                for (uint32_t j = 0; j < n_mon; j++)
                        is |= mons[j] == mon;
                if (is) {
                        size_t i = n++;

                        /* Insertion, ascending id. */
                        while (i > 0 && out[i - 1].id > id) {
                                out[i] = out[i - 1];
                                i--;
                        }
                        out[i].id = id;
                        out[i].verdict = held(node, id, mon);
                }
                if (!gone(node, id))
                        live++;
        }
        return n;
}

/* Room for the TLVs of one repair message. */
#define REPAIR_TLV_MAX                                                       \
        (HB_OUTPUT_MAX_LEN - HB_WIRE_HEADER_LEN - HB_WIRE_TAG_LEN -          \
         HB_WIRE_AEAD_EXTRA)

/* Send member `to` every monitor's verdicts held here (its digest
 * differed twice running): pairs of origin and verdict TLVs, as many as
 * fit each message. */
static void send_repair(hb_node_t *node, uint32_t to, uint64_t now_ns)
{
        struct hb_subset *s = node->subset;
        uint8_t buf[REPAIR_TLV_MAX];
        size_t len = 0;

        for (size_t i = 0; i < s->n_ring; i++) {
                hb_subset_verdict_t v[HB_SUBSET_JUDGED_MAX];
                uint8_t one[HB_WIRE_TLV_HEADER_LEN + HB_SUBSET_ORIGIN_LEN +
                            HB_WIRE_TLV_HEADER_LEN +
                            HB_SUBSET_VERDICT_LEN(HB_SUBSET_JUDGED_MAX)];
                uint32_t mon = s->ring[i], epoch;
                uint64_t inc;
                size_t n;
                int a, b;

                if (gone(node, mon))
                        continue; /* a monitor of none */
                if (mon == node->cfg.node_id) {
                        inc = node->cfg.incarnation;
                        epoch = s->epoch;
                } else {
                        const hb_peer_t *mp = hb__lookup(node, mon);

                        if (!mp || (mp->s_inc == 0 && mp->s_epoch == 0))
                                continue; /* nothing heard from it */
                        inc = mp->s_inc;
                        epoch = mp->s_epoch;
                }
                n = judged_by(node, i, mon, v);
                if (n == 0)
                        continue;
                a = hb_subset_origin_encode(one, sizeof(one), mon, inc);
                if (a < 0)
                        continue;
                b = hb_subset_verdict_encode(one + a, sizeof(one) - (size_t)a,
                                             epoch, v, n);
                if (b < 0 || (size_t)(a + b) > sizeof(buf))
                        continue;
                if (len + (size_t)(a + b) > sizeof(buf)) {
                        (void)hb__out_push(node, HB_DEST_PEER, to,
                                           HB_MSG_SUBSET_VERDICT, 0, buf, len,
                                           now_ns);
                        node->counters.subset_repairs_sent++;
                        len = 0;
                }
                memcpy(buf + len, one, (size_t)(a + b));
                len += (size_t)(a + b);
        }
        if (len > 0) {
                (void)hb__out_push(node, HB_DEST_PEER, to,
                                   HB_MSG_SUBSET_VERDICT, 0, buf, len,
                                   now_ns);
                node->counters.subset_repairs_sent++;
        }
}

/* A member's heartbeat carried the digest of what it holds: when it
 * differs from this node's on two heartbeats running (one may only cross
 * a verdict on its way), send it the table, at most once per interval. */
void hb__subset_on_beat(hb_node_t *node, hb_peer_t *p,
                        const hb_wire_msg_t *m, uint64_t now_ns)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        uint32_t entries, mine_n;
        uint64_t digest, mine;

        if (node->subset->ring_dirty || !p->s_judge)
                return;
        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0) {
                if (type != HB_TLV_SUBSET_DIGEST ||
                    hb_subset_digest_decode(val, vlen, &entries, &digest) < 0)
                        continue;
                mine = digest_of(node, &mine_n);
                if (mine == digest && mine_n == entries) {
                        p->s_diff = false;
                        return;
                }
                if (!p->s_diff) {
                        p->s_diff = true;
                        return;
                }
                if (p->s_repaired_ns != 0 &&
                    now_ns < add_sat(p->s_repaired_ns, node->cfg.interval_ns))
                        return;
                p->s_repaired_ns = now_ns;
                send_repair(node, p->id, now_ns);
                return;
        }
}

int hb__subset_queue_beat(hb_node_t *node, uint8_t type, uint16_t flags,
                          const uint8_t *coord, uint64_t now_ns)
{
        struct hb_subset *s = node->subset;
        bool first = true;
        int r = 0, len;
        uint8_t tlv[HB_WIRE_TLV_HEADER_LEN + HB_SUBSET_DIGEST_LEN];
        uint32_t entries;
        uint64_t digest;

        if (s->ring_dirty)
                hb__subset_state_changed(node, NULL, now_ns);
        if (type == HB_MSG_LEAVE)
                return hb__out_push_coord(node, HB_DEST_ALL, 0, type, flags,
                                          coord, NULL, 0, now_ns);
        /* What this node holds, for its monitors to compare (repair). */
        digest = digest_of(node, &entries);
        len = hb_subset_digest_encode(tlv, sizeof(tlv), entries, digest);
        /* The same heartbeat (one sequence number) to each monitor. */
        for (uint32_t i = 0; i < s->n_self_mon; i++) {
                uint32_t id = s->self_mon[i];

                if (first)
                        r = hb__out_push_coord(node, HB_DEST_PEER, id, type,
                                               flags, coord,
                                               len > 0 ? tlv : NULL,
                                               len > 0 ? (size_t)len : 0,
                                               now_ns);
                else
                        r = hb__out_dup_last(node, HB_DEST_PEER, id);
                first = false;
        }
        if (type == HB_MSG_HEARTBEAT && s->sends_left > 0)
                hb__subset_send_verdicts(node, false, now_ns);
        return r;
}

void hb__subset_send_verdicts(hb_node_t *node, bool changed_only,
                              uint64_t now_ns)
{
        struct hb_subset *s = node->subset;
        hb_subset_verdict_t v[HB_SUBSET_JUDGED_MAX];
        uint8_t tlv[HB_WIRE_TLV_HEADER_LEN +
                    HB_SUBSET_VERDICT_LEN(HB_SUBSET_JUDGED_MAX)];
        size_t n = 0;
        int len;

        if (changed_only) {
                if (!node->m_changed)
                        return;
                s->epoch++;
                s->sends_left = SUBSET_SENDS;
        }
        if (s->sends_left <= 0)
                return;
        s->sends_left--;
        node->m_changed = false;
        /* Peers are sorted by id: the entries come out ascending. */
        for (size_t i = 0; i < node->n_peers && n < HB_SUBSET_JUDGED_MAX;
             i++) {
                const hb_peer_t *p = node->peers[i];

                if (!p->s_judge)
                        continue;
                v[n].id = p->id;
                v[n].verdict = p->m_raw;
                n++;
        }
        len = hb_subset_verdict_encode(tlv, sizeof(tlv), s->epoch, v, n);
        if (len > 0 && hb__out_push(node, HB_DEST_ALL, 0,
                                    HB_MSG_SUBSET_VERDICT, 0, tlv,
                                    (size_t)len, now_ns) >= 0)
                node->counters.subset_verdicts_sent++;
}

/* ---- snapshots ---------------------------------------------------- */

void hb_node_subset_info(const hb_node_t *node, hb_subset_info_t *out)
{
        const struct hb_subset *s;

        if (!out)
                return;
        memset(out, 0, sizeof(*out));
        if (!node || !node->subset)
                return;
        s = node->subset;
        out->enabled = true;
        out->k = node->cfg.subset.k;
        out->n_monitors = s->n_self_mon;
        memcpy(out->monitors, s->self_mon,
               s->n_self_mon * sizeof(s->self_mon[0]));
        for (size_t i = 0; i < node->n_peers; i++)
                out->n_judged += node->peers[i]->s_judge;
        out->epoch = s->epoch;
        out->digest = digest_of(node, &out->digest_entries);
}

int hb_node_subset_peer(const hb_node_t *node, uint32_t peer_id,
                        hb_subset_peer_info_t *out)
{
        const hb_peer_t *p;

        if (!node || !out || !node->subset)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        memset(out, 0, sizeof(*out));
        out->judged = p->s_judge;
        out->own_verdict = p->s_judge ? p->m_raw : HB_PEER_UNKNOWN;
        out->n_monitors = p->s_n_mon;
        for (uint32_t i = 0; i < p->s_n_mon; i++) {
                out->monitors[i] = p->s_mon[i];
                out->verdicts[i] = held(node, p->id, p->s_mon[i]);
        }
        return 0;
}
