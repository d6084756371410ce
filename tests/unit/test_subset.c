/* SPDX-License-Identifier: MIT */
/*
 * Topology "subset" (docs/subset.md): the ring, who heartbeats to whom,
 * the majority rule, the TLV codec and the configuration check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hbeat/hbeat.h"

#define MS HB_NS_PER_MS
#define T0 (1000 * HB_NS_PER_S)
#define N 40u

/* Ids 1 .. n in ring order. */
static void ring_of(uint32_t *ring, uint32_t n)
{
        for (uint32_t i = 0; i < n; i++)
                ring[i] = i + 1;
        assert_int_equal(hb_subset_ring_sort(ring, n), 0);
}

static void t_ring_pos(void **state)
{
        (void)state;
        /* FNV-1a 64 over 00 00 00 01 (offset basis cbf29ce484222325,
         * prime 100000001b3), computed independently. */
        assert_true(hb_subset_ring_pos(1) == UINT64_C(0x4d25757f9dce1242));
        assert_true(hb_subset_ring_pos(2) != hb_subset_ring_pos(1));
        assert_true(hb_subset_ring_pos(7) == hb_subset_ring_pos(7));
}

static void t_ring_sort(void **state)
{
        uint32_t ring[N], bad[3] = { 5, 0, 6 }, dup[3] = { 5, 6, 5 };

        (void)state;
        ring_of(ring, N);
        for (uint32_t i = 1; i < N; i++)
                assert_true(hb_subset_ring_pos(ring[i - 1]) <
                            hb_subset_ring_pos(ring[i]));
        /* The hash scatters: ring order is not id order. */
        {
                uint32_t same = 0;

                for (uint32_t i = 0; i < N; i++)
                        same += ring[i] == i + 1;
                assert_true(same < N / 2);
        }
        assert_int_equal(hb_subset_ring_sort(bad, 3), -EINVAL);
        assert_int_equal(hb_subset_ring_sort(dup, 3), -EINVAL);
        assert_int_equal(hb_subset_ring_sort(NULL, 0), 0);
        assert_int_equal(hb_subset_ring_sort(NULL, 2), -EINVAL);
}

static void t_monitors_successors(void **state)
{
        uint32_t ring[N], out[HB_SUBSET_K_MAX];

        (void)state;
        ring_of(ring, N);
        for (uint32_t i = 0; i < N; i++) {
                assert_int_equal(hb_subset_monitors(ring, N, ring[i], 3,
                                                    NULL, NULL, out),
                                 3);
                for (uint32_t j = 0; j < 3; j++)
                        assert_int_equal(out[j], ring[(i + 1 + j) % N]);
        }
}

/* Who heartbeats to whom: on a full ring every node sends k heartbeats
 * and receives k (it monitors exactly its k predecessors). */
static void t_in_degree(void **state)
{
        uint32_t ring[N], out[HB_SUBSET_K_MAX], in[N + 1] = { 0 };

        (void)state;
        ring_of(ring, N);
        for (uint32_t k = 1; k <= HB_SUBSET_K_MAX; k++) {
                memset(in, 0, sizeof(in));
                for (uint32_t i = 0; i < N; i++) {
                        int m = hb_subset_monitors(ring, N, ring[i], k, NULL,
                                                   NULL, out);

                        assert_int_equal(m, (int)k);
                        for (int j = 0; j < m; j++) {
                                assert_int_not_equal(out[j], ring[i]);
                                in[out[j]]++;
                        }
                }
                for (uint32_t id = 1; id <= N; id++)
                        assert_int_equal(in[id], k);
        }
}

static bool skip_set(void *ctx, uint32_t id)
{
        const uint32_t *dead = ctx;

        return id == dead[0] || id == dead[1];
}

static void t_monitors_skip_dead(void **state)
{
        uint32_t ring[N], out[HB_SUBSET_K_MAX], dead[2];

        (void)state;
        ring_of(ring, N);
        /* Two of ring[0]'s three monitors dead: the next live successors
         * take over, in ring order. */
        dead[0] = ring[1];
        dead[1] = ring[3];
        assert_int_equal(hb_subset_monitors(ring, N, ring[0], 3, skip_set,
                                            dead, out),
                         3);
        assert_int_equal(out[0], ring[2]);
        assert_int_equal(out[1], ring[4]);
        assert_int_equal(out[2], ring[5]);
        /* Wrap-around at the end of the ring. */
        assert_int_equal(hb_subset_monitors(ring, N, ring[N - 1], 3, skip_set,
                                            dead, out),
                         3);
        assert_int_equal(out[0], ring[0]);
        assert_int_equal(out[1], ring[2]);
        assert_int_equal(out[2], ring[4]);
}

static void t_monitors_small_and_bad(void **state)
{
        uint32_t ring[3], out[HB_SUBSET_K_MAX];

        (void)state;
        ring_of(ring, 3);
        /* n <= k: every other node. */
        assert_int_equal(hb_subset_monitors(ring, 3, ring[0], 3, NULL, NULL,
                                            out),
                         2);
        assert_int_equal(hb_subset_monitors(ring, 1, ring[0], 3, NULL, NULL,
                                            out),
                         0);
        assert_int_equal(hb_subset_monitors(ring, 3, 99, 3, NULL, NULL, out),
                         -EINVAL);
        assert_int_equal(hb_subset_monitors(ring, 3, ring[0], 0, NULL, NULL,
                                            out),
                         -EINVAL);
        assert_int_equal(hb_subset_monitors(ring, 3, ring[0],
                                            HB_SUBSET_K_MAX + 1, NULL, NULL,
                                            out),
                         -EINVAL);
        assert_int_equal(hb_subset_monitors(NULL, 3, 1, 3, NULL, NULL, out),
                         -EINVAL);
}

static hb_peer_state_t comb(uint32_t counting, uint32_t alive, uint32_t susp,
                            uint32_t dead, uint32_t left,
                            hb_peer_state_t cur, hb_reason_t *why)
{
        hb_subset_tally_t t = { 3, counting, alive, susp, dead, left };
        hb_peer_state_t next = HB_PEER_UNKNOWN;

        assert_true(hb_subset_combine(&t, cur, &next, why) >= 0);
        return next;
}

static void t_majority(void **state)
{
        hb_reason_t why = 0;
        hb_subset_tally_t bad = { 3, 2, 2, 1, 0, 0 };
        hb_peer_state_t next;

        (void)state;
        /* One monitor's cut link: 1 dead, 2 alive: stays alive. */
        assert_int_equal(comb(3, 2, 0, 1, 0, HB_PEER_ALIVE, NULL),
                         HB_PEER_ALIVE);
        /* Two of three dead: dead. */
        assert_int_equal(comb(3, 1, 0, 2, 0, HB_PEER_ALIVE, &why),
                         HB_PEER_DEAD);
        assert_int_equal(why, HB_REASON_DEAD_THRESHOLD);
        assert_int_equal(comb(2, 0, 0, 2, 0, HB_PEER_UNKNOWN, &why),
                         HB_PEER_DEAD);
        assert_int_equal(why, HB_REASON_NEVER_HEARD);
        /* Two of three monitors down: one counts, frozen whatever it
         * says. */
        assert_int_equal(comb(1, 0, 0, 1, 0, HB_PEER_ALIVE, NULL),
                         HB_PEER_ALIVE);
        assert_int_equal(comb(1, 1, 0, 0, 0, HB_PEER_DEAD, NULL),
                         HB_PEER_DEAD);
        /* Suspect and dead make suspect; from probation: dead. */
        assert_int_equal(comb(3, 1, 1, 1, 0, HB_PEER_ALIVE, &why),
                         HB_PEER_SUSPECT);
        assert_int_equal(why, HB_REASON_SUSPECT_THRESHOLD);
        assert_int_equal(comb(3, 1, 1, 1, 0, HB_PEER_PROBATION, NULL),
                         HB_PEER_DEAD);
        /* One alive revives through probation. */
        assert_int_equal(comb(2, 1, 0, 0, 0, HB_PEER_DEAD, &why),
                         HB_PEER_PROBATION);
        assert_int_equal(why, HB_REASON_HEARTBEAT);
        assert_int_equal(comb(2, 1, 1, 0, 0, HB_PEER_SUSPECT, NULL),
                         HB_PEER_ALIVE);
        assert_int_equal(comb(3, 0, 0, 0, 2, HB_PEER_ALIVE, &why),
                         HB_PEER_LEFT);
        assert_int_equal(why, HB_REASON_LEAVE);
        /* All unknown: unchanged. */
        assert_int_equal(comb(3, 0, 0, 0, 0, HB_PEER_UNKNOWN, NULL),
                         HB_PEER_UNKNOWN);
        /* Bad tallies. */
        assert_int_equal(hb_subset_combine(&bad, HB_PEER_ALIVE, &next, NULL),
                         -EINVAL);
        bad = (hb_subset_tally_t){ 3, 4, 0, 0, 0, 0 };
        assert_int_equal(hb_subset_combine(&bad, HB_PEER_ALIVE, &next, NULL),
                         -EINVAL);
        bad = (hb_subset_tally_t){ 0, 0, 0, 0, 0, 0 };
        assert_int_equal(hb_subset_combine(&bad, HB_PEER_ALIVE, &next, NULL),
                         -EINVAL);
}

static void t_verdict_codec(void **state)
{
        hb_subset_verdict_t v[3] = { { 3, HB_PEER_ALIVE },
                                     { 9, HB_PEER_DEAD },
                                     { 12, HB_PEER_SUSPECT } };
        hb_subset_verdict_t out[HB_SUBSET_JUDGED_MAX];
        uint8_t buf[4 + HB_SUBSET_VERDICT_LEN(HB_SUBSET_JUDGED_MAX + 1)];
        uint32_t epoch = 0;
        int len;

        (void)state;
        len = hb_subset_verdict_encode(buf, sizeof(buf), 77, v, 3);
        assert_int_equal(len, 4 + 4 + 15);
        assert_int_equal(buf[0] << 8 | buf[1], HB_TLV_SUBSET_VERDICT);
        assert_int_equal(hb_subset_verdict_decode(buf + 4, (size_t)len - 4,
                                                  &epoch, out,
                                                  HB_SUBSET_JUDGED_MAX),
                         3);
        assert_int_equal(epoch, 77);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(out[i].id, v[i].id);
                assert_int_equal(out[i].verdict, v[i].verdict);
        }
        /* Bad lengths. */
        for (size_t l = 0; l < 4; l++)
                assert_int_equal(hb_subset_verdict_decode(buf + 4, l, &epoch,
                                                          out, 32),
                                 HB_EBADTLV);
        assert_int_equal(hb_subset_verdict_decode(buf + 4, 4 + 14, &epoch,
                                                  out, 32),
                         HB_EBADTLV);
        assert_int_equal(hb_subset_verdict_decode(buf + 4, 4 + 16, &epoch,
                                                  out, 32),
                         HB_EBADTLV);
        memset(buf, 0, sizeof(buf));
        for (uint32_t i = 0; i <= HB_SUBSET_JUDGED_MAX; i++) {
                buf[4 + 4 + 5 * i + 3] = (uint8_t)(i + 1);
                buf[4 + 4 + 5 * i + 4] = HB_PEER_ALIVE;
        }
        assert_int_equal(hb_subset_verdict_decode(
                                 buf + 4,
                                 HB_SUBSET_VERDICT_LEN(HB_SUBSET_JUDGED_MAX +
                                                       1),
                                 &epoch, out, HB_SUBSET_JUDGED_MAX),
                         HB_EBADTLV);
        assert_int_equal(hb_subset_verdict_decode(
                                 buf + 4,
                                 HB_SUBSET_VERDICT_LEN(HB_SUBSET_JUDGED_MAX),
                                 &epoch, out, HB_SUBSET_JUDGED_MAX),
                         HB_SUBSET_JUDGED_MAX);
        /* Bad contents: probation is no verdict; ids not ascending; 0. */
        len = hb_subset_verdict_encode(buf, sizeof(buf), 1, v, 3);
        buf[4 + 4 + 4] = HB_PEER_PROBATION;
        assert_int_equal(hb_subset_verdict_decode(buf + 4, (size_t)len - 4,
                                                  &epoch, out, 32),
                         HB_EBADTLV);
        len = hb_subset_verdict_encode(buf, sizeof(buf), 1, v, 3);
        buf[4 + 4 + 5 + 3] = 2; /* 9 -> 2, below 3 */
        assert_int_equal(hb_subset_verdict_decode(buf + 4, (size_t)len - 4,
                                                  &epoch, out, 32),
                         HB_EBADTLV);
        len = hb_subset_verdict_encode(buf, sizeof(buf), 1, v, 1);
        buf[4 + 4 + 3] = 0;
        assert_int_equal(hb_subset_verdict_decode(buf + 4, (size_t)len - 4,
                                                  &epoch, out, 32),
                         HB_EBADTLV);
        /* The encoder refuses what the decoder would. */
        v[1].id = 3;
        assert_int_equal(hb_subset_verdict_encode(buf, sizeof(buf), 1, v, 3),
                         -EINVAL);
        v[1].id = 9;
        v[2].verdict = HB_PEER_PROBATION;
        assert_int_equal(hb_subset_verdict_encode(buf, sizeof(buf), 1, v, 3),
                         -EINVAL);
        v[2].verdict = HB_PEER_SUSPECT;
        assert_int_equal(hb_subset_verdict_encode(buf, 10, 1, v, 3), -ENOSPC);
}

static void t_digest_codec(void **state)
{
        uint8_t buf[4 + HB_SUBSET_DIGEST_LEN + 1];
        uint64_t d = 0, e = 0, got = 0;
        uint32_t n = 0;

        (void)state;
        /* Order-independent, and folding again takes a triple out. */
        d = hb_subset_digest_fold(d, 5, 6, HB_PEER_DEAD);
        d = hb_subset_digest_fold(d, 7, 6, HB_PEER_ALIVE);
        e = hb_subset_digest_fold(e, 7, 6, HB_PEER_ALIVE);
        e = hb_subset_digest_fold(e, 5, 6, HB_PEER_DEAD);
        assert_true(d == e && d != 0);
        assert_true(hb_subset_digest_fold(d, 5, 6, HB_PEER_SUSPECT) != d);
        e = hb_subset_digest_fold(e, 5, 6, HB_PEER_DEAD);
        assert_true(e == hb_subset_digest_fold(0, 7, 6, HB_PEER_ALIVE));

        assert_int_equal(hb_subset_digest_encode(buf, sizeof(buf), 2, d),
                         4 + HB_SUBSET_DIGEST_LEN);
        assert_int_equal(buf[0] << 8 | buf[1], HB_TLV_SUBSET_DIGEST);
        assert_int_equal(hb_subset_digest_decode(buf + 4,
                                                 HB_SUBSET_DIGEST_LEN, &n,
                                                 &got),
                         0);
        assert_int_equal(n, 2);
        assert_true(got == d);
        assert_int_equal(hb_subset_digest_decode(buf + 4,
                                                 HB_SUBSET_DIGEST_LEN - 1, &n,
                                                 &got),
                         HB_EBADTLV);
        assert_int_equal(hb_subset_digest_decode(buf + 4,
                                                 HB_SUBSET_DIGEST_LEN + 1, &n,
                                                 &got),
                         HB_EBADTLV);
        assert_int_equal(hb_subset_digest_decode(buf + 4, 0, &n, &got),
                         HB_EBADTLV);
        assert_int_equal(hb_subset_digest_encode(buf, 15, 2, d), -ENOSPC);
}

static void t_origin_codec(void **state)
{
        uint8_t buf[4 + HB_SUBSET_ORIGIN_LEN];
        uint64_t inc = 0;
        uint32_t mon = 0;

        (void)state;
        assert_int_equal(hb_subset_origin_encode(buf, sizeof(buf), 9,
                                                 UINT64_C(0x0102030405060708)),
                         4 + HB_SUBSET_ORIGIN_LEN);
        assert_int_equal(buf[0] << 8 | buf[1], HB_TLV_SUBSET_ORIGIN);
        assert_int_equal(buf[2] << 8 | buf[3], HB_SUBSET_ORIGIN_LEN);
        assert_int_equal(hb_subset_origin_decode(buf + 4,
                                                 HB_SUBSET_ORIGIN_LEN, &mon,
                                                 &inc),
                         0);
        assert_int_equal(mon, 9);
        assert_true(inc == UINT64_C(0x0102030405060708));
        assert_int_equal(hb_subset_origin_decode(buf + 4,
                                                 HB_SUBSET_ORIGIN_LEN - 1,
                                                 &mon, &inc),
                         HB_EBADTLV);
        memset(buf + 4, 0, 4); /* monitor 0 */
        assert_int_equal(hb_subset_origin_decode(buf + 4,
                                                 HB_SUBSET_ORIGIN_LEN, &mon,
                                                 &inc),
                         HB_EBADTLV);
        assert_int_equal(hb_subset_origin_encode(buf, sizeof(buf), 0, 1),
                         -EINVAL);
        assert_int_equal(hb_subset_origin_encode(buf, 15, 9, 1), -ENOSPC);
}

static hb_node_config_t cfg_subset(void)
{
        hb_node_config_t c;

        hb_node_config_default(&c, HB_DETECTOR_FIXED, 100 * MS);
        c.cluster_id = 7;
        c.node_id = 1;
        c.incarnation = 1;
        memset(c.key.bytes, 0x42, sizeof(c.key.bytes));
        c.topology = HB_TOPOLOGY_SUBSET;
        return c;
}

static void t_config(void **state)
{
        hb_node_config_t c;
        hb_node_t *node = NULL;

        (void)state;
        c = cfg_subset();
        assert_int_equal(c.subset.k, HB_SUBSET_K_DEFAULT);
        assert_int_equal(hb_node_config_validate(&c), 0);
        c.subset.k = HB_SUBSET_K_MAX;
        assert_int_equal(hb_node_config_validate(&c), 0);
        c.subset.k = 0;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c.subset.k = HB_SUBSET_K_MAX + 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_subset();
        c.subset.reserved[1] = 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_subset();
        c.n_monitors = 1;
        c.monitors[0] = 2;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c.topology = HB_TOPOLOGY_MONITORS; /* the same fields elsewhere */
        assert_int_equal(hb_node_config_validate(&c), 0);
        c = cfg_subset();
        c.n_links = 2;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c.topology = HB_TOPOLOGY_MESH;
        assert_int_equal(hb_node_config_validate(&c), 0);
        c = cfg_subset();
        c.coord.enabled = true;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c.topology = HB_TOPOLOGY_MESH;
        assert_int_equal(hb_node_config_validate(&c), 0);
        c = cfg_subset();
        c.hier.enabled = true;
        c.hier.region = 1;
        c.hier.global_interval_ns = 1000 * MS;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_subset();
        c.topology = HB_TOPOLOGY_SUBSET + 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_subset();
        assert_int_equal(hb_node_new(&node, &c, NULL, NULL), 0);
        hb_node_free(node);
}

/* Node 1 of a 5-node subset cluster (k = 3), peers 2 .. 5 added. */
static hb_node_t *subset_node(void)
{
        hb_node_config_t c = cfg_subset();
        hb_node_t *n;

        c.local_pause_ns = 0;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        for (uint32_t p = 2; p <= 5; p++)
                assert_int_equal(hb_node_peer_add(n, p, T0), 0);
        return n;
}

/* A message of `type` from `sender` (incarnation `inc`, sequence `seq`)
 * with the TLV area `tlv`, authenticated with the test key. */
static size_t msg(uint8_t *buf, uint8_t type, uint32_t sender, uint64_t inc,
                  uint64_t seq, const uint8_t *tlv, size_t tlv_len)
{
        hb_keyring_t ring = { 0 };
        hb_key_t kk;
        hb_wire_msg_t m;
        int len;

        memset(kk.bytes, 0x42, sizeof(kk.bytes));
        memset(&m, 0, sizeof(m));
        m.type = type;
        m.cluster_id = 7;
        m.sender_id = sender;
        m.incarnation = inc;
        m.seq = seq;
        m.send_time_ns = T0;
        m.tlv = tlv;
        m.tlv_len = tlv_len;
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        len = hb_wire_encode(buf, 512, &m, &ring, NULL);
        assert_true(len > 0);
        return (size_t)len;
}

/* One (origin, verdict list) pair into `tlv` at `at`; the new end. */
static size_t pair(uint8_t *tlv, size_t at, uint32_t mon, uint64_t inc,
                   uint32_t epoch, uint32_t id, uint8_t v)
{
        hb_subset_verdict_t e = { .id = id, .verdict = v };
        int a = hb_subset_origin_encode(tlv + at, 64, mon, inc);
        int b;

        assert_true(a > 0);
        b = hb_subset_verdict_encode(tlv + at + (size_t)a, 64, epoch, &e, 1);
        assert_true(b > 0);
        return at + (size_t)a + (size_t)b;
}

/* The verdict held at `n` of monitor `mon` on `id` (UNKNOWN if `mon` is
 * not one of its monitors there). */
static uint8_t held_at(hb_node_t *n, uint32_t id, uint32_t mon)
{
        hb_subset_peer_info_t sp;

        assert_int_equal(hb_node_subset_peer(n, id, &sp), 0);
        for (uint32_t i = 0; i < sp.n_monitors; i++)
                if (sp.monitors[i] == mon)
                        return sp.verdicts[i];
        return 0xff;
}

/* Repairs (docs/subset.md, "Repair"): malformed ones refused whole;
 * relayed lists kept unless older by (incarnation, epoch), replays of
 * the same state accepted (a repair is state, not a sequence); a
 * heartbeat with two digests refused. */
static void t_repair_messages(void **state)
{
        uint8_t buf[512], tlv[256];
        uint32_t ring[5] = { 1, 2, 3, 4, 5 }, mon[HB_SUBSET_K_MAX];
        uint32_t subj = 0, m = 0;
        hb_subset_verdict_t e = { .id = 2, .verdict = HB_PEER_DEAD };
        hb_node_t *n = subset_node();
        size_t len, t;

        (void)state;
        /* A subject (not node 1) and one of its monitors (not node 1,
         * not the relaying node 2). */
        assert_int_equal(hb_subset_ring_sort(ring, 5), 0);
        for (uint32_t s = 3; s <= 5 && !subj; s++) {
                int k = hb_subset_monitors(ring, 5, s, 3, NULL, NULL, mon);

                for (int i = 0; i < k && !subj; i++)
                        if (mon[i] != 1 && mon[i] != 2) {
                                subj = s;
                                m = mon[i];
                        }
        }
        assert_true(subj != 0);
        (void)hb_node_tick(n, T0);
        /* An origin without its list; a list without an origin after
         * one; two lists without origins. */
        t = (size_t)hb_subset_origin_encode(tlv, 64, m, 5);
        len = msg(buf, HB_MSG_SUBSET_VERDICT, 2, 1, 1, tlv, t);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        t = pair(tlv, 0, m, 5, 7, subj, HB_PEER_DEAD);
        t += (size_t)hb_subset_verdict_encode(tlv + t, 64, 1, &e, 1);
        len = msg(buf, HB_MSG_SUBSET_VERDICT, 2, 1, 2, tlv, t);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        t = (size_t)hb_subset_verdict_encode(tlv, 64, 1, &e, 1);
        t += (size_t)hb_subset_verdict_encode(tlv + t, 64, 1, &e, 1);
        len = msg(buf, HB_MSG_SUBSET_VERDICT, 2, 1, 3, tlv, t);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        assert_int_equal(held_at(n, subj, m), HB_PEER_UNKNOWN);

        /* A good repair: kept; the same again (same sequence too):
         * accepted, still kept. */
        t = pair(tlv, 0, m, 5, 7, subj, HB_PEER_DEAD);
        len = msg(buf, HB_MSG_SUBSET_VERDICT, 2, 1, 4, tlv, t);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(held_at(n, subj, m), HB_PEER_DEAD);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        /* Older epoch, or older incarnation: ignored. */
        t = pair(tlv, 0, m, 5, 6, subj, HB_PEER_ALIVE);
        len = msg(buf, HB_MSG_SUBSET_VERDICT, 2, 1, 5, tlv, t);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(held_at(n, subj, m), HB_PEER_DEAD);
        t = pair(tlv, 0, m, 4, 99, subj, HB_PEER_ALIVE);
        len = msg(buf, HB_MSG_SUBSET_VERDICT, 2, 1, 6, tlv, t);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(held_at(n, subj, m), HB_PEER_DEAD);
        /* The monitor itself, restarted (a newer incarnation), epoch 1:
         * kept. */
        e.id = subj;
        e.verdict = HB_PEER_ALIVE;
        t = (size_t)hb_subset_verdict_encode(tlv, 64, 1, &e, 1);
        len = msg(buf, HB_MSG_SUBSET_VERDICT, m, 6, 1, tlv, t);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(held_at(n, subj, m), HB_PEER_ALIVE);

        /* A heartbeat with two digests. */
        t = (size_t)hb_subset_digest_encode(tlv, 64, 0, 0);
        t += (size_t)hb_subset_digest_encode(tlv + t, 64, 0, 0);
        len = msg(buf, HB_MSG_HEARTBEAT, 3, 1, 1, tlv, t);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        hb_node_free(n);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_ring_pos),
                cmocka_unit_test(t_ring_sort),
                cmocka_unit_test(t_monitors_successors),
                cmocka_unit_test(t_in_degree),
                cmocka_unit_test(t_monitors_skip_dead),
                cmocka_unit_test(t_monitors_small_and_bad),
                cmocka_unit_test(t_majority),
                cmocka_unit_test(t_verdict_codec),
                cmocka_unit_test(t_digest_codec),
                cmocka_unit_test(t_origin_codec),
                cmocka_unit_test(t_config),
                cmocka_unit_test(t_repair_messages),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
