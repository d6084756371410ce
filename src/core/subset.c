/* SPDX-License-Identifier: MIT */
/*
 * Topology "subset" (docs/subset.md): the ring of node ids ordered by a
 * 64-bit FNV-1a hash, a node's monitors (its k live successors), the
 * majority rule of the "monitors" topology over them, the codec of the
 * verdict and digest TLVs, and the configuration check.
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
