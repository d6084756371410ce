/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the "hierarchy" topology in the node core
 * (src/core/hier.c, docs/hierarchy.md): configuration checks, peer
 * regions, where a member's heartbeats go, the REGION_SUMMARY TLV's
 * validation (bad lengths, ranges, order, states: HB_EBADTLV), and a
 * member's view from summaries (learned states, one region event, stale
 * terms ignored, no judgement by silence), and the reliable transport's
 * hint on the messages between regions. Fake clock.
 *
 * The cluster: 9 nodes, regions 1 {1, 2, 3}, 2 {4, 5, 6}, 3 {7, 8, 9};
 * the first two of each region are its electors.
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

static hb_key_t key(void)
{
        hb_key_t k;

        memset(k.bytes, 0x42, sizeof(k.bytes));
        return k;
}

static uint32_t region_of(uint32_t id)
{
        return (id - 1) / 3 + 1;
}

static bool elector_of(uint32_t id)
{
        return (id - 1) % 3 < 2;
}

static hb_node_config_t cfg_of(uint32_t id)
{
        hb_node_config_t c;

        hb_node_config_default(&c, HB_DETECTOR_FIXED, 100 * MS);
        c.cluster_id = 7;
        c.node_id = id;
        c.incarnation = 1;
        c.key = key();
        c.local_pause_ns = 0;
        c.rtt_probe_every = 0;
        c.hier.enabled = true;
        c.hier.region = region_of(id);
        c.hier.elector = elector_of(id);
        c.hier.global_interval_ns = 250 * MS;
        c.coord.enabled = c.hier.elector;
        return c;
}

static hb_node_t *node_of(uint32_t id, hb_event_cb cb, void *user)
{
        hb_node_config_t c = cfg_of(id);
        hb_node_t *n;

        assert_int_equal(hb_node_new(&n, &c, cb, user), 0);
        for (uint32_t p = 1; p <= 9; p++) {
                if (p == id)
                        continue;
                assert_int_equal(hb_node_peer_add(n, p, T0), 0);
                assert_int_equal(hb_node_peer_set_region(n, p, region_of(p),
                                                         elector_of(p)),
                                 0);
        }
        return n;
}

static void t_config(void **state)
{
        hb_node_config_t c;

        (void)state;
        c = cfg_of(6);
        assert_int_equal(hb_node_config_validate(&c), 0);
        c = cfg_of(4);
        assert_int_equal(hb_node_config_validate(&c), 0); /* an elector */
        c = cfg_of(6);
        c.hier.region = 0;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.hier.region = HB_HIER_REGIONS_MAX + 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.hier.global_interval_ns = 99 * MS; /* below the interval */
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.hier.global_interval_ns = 3601 * HB_NS_PER_S;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.coord.enabled = true; /* a member does not vote */
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(4);
        c.coord.enabled = false; /* an elector does */
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.n_monitors = 1;
        c.monitors[0] = 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.n_links = 2;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.n_classes = 1;
        hb_class_config_default(&c.classes[0], HB_DETECTOR_FIXED,
                                100 * MS);
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.hier.reserved[0] = 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(6);
        c.hier.enabled = false; /* off: the rest is not looked at */
        c.hier.region = 0;
        c.coord.enabled = false;
        assert_int_equal(hb_node_config_validate(&c), 0);
}

static void t_set_region(void **state)
{
        hb_node_config_t c = cfg_of(6);
        hb_node_t *n = node_of(6, NULL, NULL), *mesh;
        hb_peer_info_t pi;

        (void)state;
        assert_int_equal(hb_node_peer_set_region(n, 42, 1, false), -ENOENT);
        assert_int_equal(hb_node_peer_set_region(n, 1, 0, false), -EINVAL);
        assert_int_equal(hb_node_peer_set_region(n, 1, 65, false), -EINVAL);
        assert_int_equal(hb_node_peer_set_region(NULL, 1, 1, false),
                         -EINVAL);
        assert_int_equal(hb_node_peer_info(n, 8, T0, &pi), 0);
        assert_int_equal(pi.region, 3);
        assert_true(pi.elector);
        assert_true(pi.learned);
        c.hier.enabled = false;
        c.hier.region = 0;
        assert_int_equal(hb_node_new(&mesh, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(mesh, 1, T0), 0);
        assert_int_equal(hb_node_peer_set_region(mesh, 1, 1, false),
                         -EINVAL);
        hb_node_free(mesh);
        hb_node_free(n);
}

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

typedef struct sum {
        uint32_t sender, region, term, version, lo, hi;
        uint64_t seq, map;
        const uint32_t *ids;
        const uint8_t *vs;
        size_t k;
        int len_delta;     /* added to the TLV's value length (bad ones) */
        bool twice;        /* two summary TLVs */
} sum_t;

/* An encoded REGION_SUMMARY message as described by `s`. */
static size_t summary(uint8_t *buf, const sum_t *s)
{
        uint8_t tlv[2 * (4 + 28 + 5 * 8) + 8];
        hb_keyring_t ring = { 0 };
        hb_key_t kk = key();
        hb_wire_msg_t m;
        size_t vlen = 28 + 5 * s->k, tl;
        int len;

        memset(tlv, 0, sizeof(tlv));
        tlv[1] = HB_TLV_REGION_SUMMARY;
        tlv[3] = (uint8_t)((int)vlen + s->len_delta);
        tlv[4] = (uint8_t)(s->region >> 8);
        tlv[5] = (uint8_t)s->region;
        put32(tlv + 8, s->term);
        put32(tlv + 12, s->version);
        put32(tlv + 16, (uint32_t)(s->map >> 32));
        put32(tlv + 20, (uint32_t)s->map);
        put32(tlv + 24, s->lo);
        put32(tlv + 28, s->hi);
        for (size_t i = 0; i < s->k; i++) {
                put32(tlv + 32 + 5 * i, s->ids[i]);
                tlv[32 + 5 * i + 4] = s->vs[i];
        }
        tl = (size_t)((int)(4 + vlen) + s->len_delta);
        if (s->twice) {
                memcpy(tlv + tl, tlv, tl);
                tl *= 2;
        }
        memset(&m, 0, sizeof(m));
        m.type = HB_MSG_REGION_SUMMARY;
        m.cluster_id = 7;
        m.sender_id = s->sender;
        m.incarnation = 1;
        m.seq = s->seq;
        m.send_time_ns = T0;
        m.tlv = tlv;
        m.tlv_len = tl;
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        len = hb_wire_encode(buf, 512, &m, &ring, NULL);
        assert_true(len > 0);
        return (size_t)len;
}

static hb_peer_state_t state_of(hb_node_t *n, uint32_t id, uint64_t now)
{
        hb_peer_info_t pi;

        assert_int_equal(hb_node_peer_info(n, id, now, &pi), 0);
        return pi.state;
}

static void t_summary_checks(void **state)
{
        uint8_t buf[512];
        hb_node_t *n = node_of(6, NULL, NULL);
        const uint32_t ids[2] = { 5, 4 }, one[1] = { 5 };
        const uint8_t dead[2] = { HB_PEER_DEAD, HB_PEER_DEAD };
        const uint8_t alive[1] = { HB_PEER_ALIVE }, bogus[1] = { 9 };
        sum_t s = { .sender = 4, .region = 2, .term = 1, .version = 1,
                    .lo = 1, .hi = UINT32_MAX, .seq = 1 };
        size_t len;

        (void)state;
        /* value one byte short of the head, one byte too many, a partial
         * entry */
        for (int d = -1; d <= 4; d += 5) {
                s.len_delta = d;
                len = summary(buf, &s);
                assert_int_equal(hb_node_recv(n, T0, buf, len, NULL),
                                 HB_EBADTLV);
        }
        s.len_delta = 0;
        s.k = 1;
        s.ids = one;
        s.vs = dead;
        s.len_delta = -3; /* 28 + 2: not a whole entry */
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        s.len_delta = 0;
        /* region 0 and beyond 64 */
        s.region = 0;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        s.region = 65;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        s.region = 2;
        /* lo > hi; an id outside the range; out of order; listed alive;
         * a state that does not exist */
        s.lo = 9;
        s.hi = 2;
        s.k = 0;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        s.lo = 1;
        s.hi = 4;
        s.k = 1;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        s.hi = UINT32_MAX;
        s.ids = ids;
        s.k = 2;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        s.ids = one;
        s.k = 1;
        s.vs = alive;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        s.vs = bogus;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        /* two summaries in one message */
        s.vs = dead;
        s.twice = true;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        s.twice = false;
        /* nothing changed by any of them */
        assert_int_equal(state_of(n, 5, T0), HB_PEER_UNKNOWN);
        /* a good one; the same again changes nothing (summaries are
         * state: their replay rule is the version, not the sequence) */
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0), HB_PEER_DEAD);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0), HB_PEER_DEAD);
        /* version 3 says 5 is alive; then version 2 (an older one,
         * replayed or late) saying dead is ignored */
        s.version = 3;
        s.k = 0;
        s.seq = 3;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 1, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0 + 1), HB_PEER_ALIVE);
        s.version = 2;
        s.k = 1;
        s.seq = 4;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 2, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0 + 2), HB_PEER_ALIVE);
        hb_node_free(n);
}

/* A heartbeat from `sender` with `n` REGION_VIEW TLVs of value length
 * `vlen`. */
static size_t beat_view(uint8_t *buf, uint32_t sender, uint64_t seq,
                        size_t n, uint16_t vlen)
{
        uint8_t tlv[2 * (4 + 8)];
        hb_keyring_t ring = { 0 };
        hb_key_t kk = key();
        hb_wire_msg_t m;
        size_t o = 0;
        int len;

        memset(tlv, 0, sizeof(tlv));
        for (size_t i = 0; i < n; i++) {
                tlv[o + 1] = HB_TLV_REGION_VIEW;
                tlv[o + 3] = (uint8_t)vlen;
                o += 4 + vlen;
        }
        memset(&m, 0, sizeof(m));
        m.type = HB_MSG_HEARTBEAT;
        m.cluster_id = 7;
        m.sender_id = sender;
        m.incarnation = 1;
        m.seq = seq;
        m.send_time_ns = T0;
        m.tlv = o ? tlv : NULL;
        m.tlv_len = o;
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        len = hb_wire_encode(buf, 512, &m, &ring, NULL);
        assert_true(len > 0);
        return (size_t)len;
}

/* The view digest on heartbeats: 4 bytes, at most once. */
static void t_view_checks(void **state)
{
        uint8_t buf[512];
        hb_node_t *n = node_of(4, NULL, NULL);
        size_t len;

        (void)state;
        len = beat_view(buf, 5, 1, 1, 3);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        len = beat_view(buf, 5, 1, 1, 5);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        len = beat_view(buf, 5, 1, 2, 4);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        assert_int_equal(state_of(n, 5, T0), HB_PEER_UNKNOWN);
        len = beat_view(buf, 5, 1, 1, 4);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0), HB_PEER_ALIVE);
        len = beat_view(buf, 5, 2, 0, 0); /* none: fine too */
        assert_int_equal(hb_node_recv(n, T0 + 1, buf, len, NULL), 0);
        hb_node_free(n);
}

/* A heartbeat from `sender` with `n` GLOBAL_TERM TLVs of value length
 * `vlen` holding `term` (its first 8 bytes). */
static size_t beat_term(uint8_t *buf, uint32_t sender, uint64_t seq,
                        size_t n, uint16_t vlen, uint64_t term)
{
        uint8_t tlv[2 * (4 + 9)];
        hb_keyring_t ring = { 0 };
        hb_key_t kk = key();
        hb_wire_msg_t m;
        size_t o = 0;
        int len;

        memset(tlv, 0, sizeof(tlv));
        for (size_t i = 0; i < n; i++) {
                tlv[o + 1] = HB_TLV_GLOBAL_TERM;
                tlv[o + 3] = (uint8_t)vlen;
                for (size_t b = 0; b < 8 && b < vlen; b++)
                        tlv[o + 4 + b] = (uint8_t)(term >> (56 - 8 * b));
                o += 4 + vlen;
        }
        memset(&m, 0, sizeof(m));
        m.type = HB_MSG_HEARTBEAT;
        m.cluster_id = 7;
        m.sender_id = sender;
        m.incarnation = 1;
        m.seq = seq;
        m.send_time_ns = T0;
        m.tlv = o ? tlv : NULL;
        m.tlv_len = o;
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        len = hb_wire_encode(buf, 512, &m, &ring, NULL);
        assert_true(len > 0);
        return (size_t)len;
}

/* The global term on a coordinator's heartbeats: 8 bytes, at most
 * 2^32 - 1, at most once; anything else is bad_tlv, nothing changed. */
static void t_global_term_checks(void **state)
{
        uint8_t buf[512];
        hb_node_t *n = node_of(4, NULL, NULL);
        size_t len;

        (void)state;
        len = beat_term(buf, 5, 1, 1, 7, 3);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        len = beat_term(buf, 5, 1, 1, 9, 3);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        len = beat_term(buf, 5, 1, 2, 8, 3);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        len = beat_term(buf, 5, 1, 1, 8, UINT64_C(1) << 32);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        assert_int_equal(state_of(n, 5, T0), HB_PEER_UNKNOWN);
        len = beat_term(buf, 5, 1, 1, 8, 3);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0), HB_PEER_ALIVE);
        hb_node_free(n);
}

/* A member's heartbeat carries its view digest. */
static void t_member_beat_has_view(void **state)
{
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_node_t *n = node_of(6, NULL, NULL);
        hb_output_t out;
        int len;

        (void)state;
        hb_node_tick(n, T0);
        len = hb_node_poll_output(n, &out, buf, sizeof(buf));
        assert_int_equal(out.type, HB_MSG_HEARTBEAT);
        assert_int_equal(len, HB_WIRE_HEARTBEAT_LEN + 8);
        hb_node_free(n);
}

/* Without the topology a summary is a type the node does not take. */
static void t_summary_needs_topology(void **state)
{
        uint8_t buf[512];
        hb_node_config_t c = cfg_of(6);
        sum_t s = { .sender = 4, .region = 2, .term = 1, .version = 1,
                    .lo = 1, .hi = UINT32_MAX, .seq = 1 };
        hb_node_t *n;
        size_t len;

        (void)state;
        c.hier.enabled = false;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 4, T0), 0);
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTYPE);
        hb_node_free(n);
}

/* Destinations of the heartbeats queued by one tick at `t`: a bit per
 * peer id. */
static uint32_t beat_targets(hb_node_t *n, uint64_t t)
{
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_output_t out;
        uint32_t seen = 0;

        hb_node_tick(n, t);
        while (hb_node_poll_output(n, &out, buf, sizeof(buf)) > 0) {
                assert_int_equal(out.dest, HB_DEST_PEER);
                if (out.type == HB_MSG_HEARTBEAT)
                        seen |= 1u << out.peer_id;
        }
        return seen;
}

/* A member heartbeats to its region's electors until a summary names
 * the coordinator, then to the coordinator alone; a newer term moves it
 * on, an older one does not. */
static void t_member_targets(void **state)
{
        uint8_t buf[512];
        hb_node_t *n = node_of(6, NULL, NULL);
        sum_t s = { .sender = 4, .region = 2, .term = 3, .version = 1,
                    .lo = 1, .hi = UINT32_MAX, .seq = 1 };
        hb_hier_info_t hi;
        size_t len;

        (void)state;
        assert_int_equal(beat_targets(n, T0), (1u << 4) | (1u << 5));
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 1 * MS, buf, len, NULL), 0);
        assert_int_equal(beat_targets(n, T0 + 100 * MS), 1u << 4);
        hb_node_hier_info(n, &hi);
        assert_true(hi.enabled);
        assert_false(hi.coordinator);
        assert_int_equal(hi.coordinator_id, 4);
        assert_int_equal(hi.regional_term, 3);
        /* 5 with an older term: ignored */
        s.sender = 5;
        s.term = 2;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 101 * MS, buf, len, NULL), 0);
        assert_int_equal(beat_targets(n, T0 + 200 * MS), 1u << 4);
        /* 5 with a newer one: the coordinator now */
        s.term = 4;
        s.seq = 2;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 201 * MS, buf, len, NULL), 0);
        assert_int_equal(beat_targets(n, T0 + 300 * MS), 1u << 5);
        hb_node_free(n);
}

typedef struct rec {
        hb_event_t ev[32];
        size_t n;
} rec_t;

static void record(void *user, const hb_event_t *ev)
{
        rec_t *r = user;

        if (r->n < 32)
                r->ev[r->n++] = *ev;
}

static size_t count(const rec_t *r, hb_event_type_t type)
{
        size_t k = 0;

        for (size_t i = 0; i < r->n; i++)
                k += r->ev[i].type == type;
        return k;
}

/* A member's view: states learned from its own and relayed summaries,
 * region reachability from its coordinator's map (one event), a summary
 * from outside the region it speaks for ignored, no judgement by
 * silence. */
static void t_member_learns(void **state)
{
        uint8_t buf[512];
        rec_t r = { .n = 0 };
        hb_node_t *n = node_of(6, record, &r);
        const uint32_t five[1] = { 5 }, eight[1] = { 8 };
        const uint8_t dead[1] = { HB_PEER_DEAD };
        sum_t s = { .sender = 4, .region = 2, .term = 1, .version = 1,
                    .lo = 1, .hi = UINT32_MAX, .seq = 1 };
        hb_peer_info_t pi;
        hb_hier_info_t hi;
        size_t len;

        (void)state;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 4, T0), HB_PEER_ALIVE);
        assert_int_equal(state_of(n, 5, T0), HB_PEER_ALIVE);
        assert_int_equal(state_of(n, 8, T0), HB_PEER_UNKNOWN);
        /* region 3's summary (relayed: sender 7), 8 dead */
        s.sender = 7;
        s.region = 3;
        s.ids = eight;
        s.vs = dead;
        s.k = 1;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 1 * MS, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 7, T0 + 1 * MS), HB_PEER_ALIVE);
        assert_int_equal(state_of(n, 9, T0 + 1 * MS), HB_PEER_ALIVE);
        assert_int_equal(state_of(n, 8, T0 + 1 * MS), HB_PEER_DEAD);
        assert_int_equal(hb_node_peer_info(n, 8, T0, &pi), 0);
        assert_true(pi.learned);
        /* 7 cannot speak for region 2 */
        s.region = 2;
        s.ids = five;
        s.seq = 2;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 2 * MS, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0 + 2 * MS), HB_PEER_ALIVE);
        /* the coordinator finds region 3 unreachable: one region event,
         * no member of region 3 changes */
        r.n = 0;
        s.sender = 4;
        s.seq = 2;
        s.k = 0;
        s.map = UINT64_C(1) << 2;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 3 * MS, buf, len, NULL), 0);
        assert_int_equal(count(&r, HB_EVENT_REGION), 1);
        assert_int_equal(count(&r, HB_EVENT_PEER_STATE), 0);
        assert_int_equal(r.ev[0].region, 3);
        assert_int_equal(r.ev[0].new_region_state, HB_REGION_UNREACHABLE);
        hb_node_hier_info(n, &hi);
        assert_int_equal(hi.unreachable_map, UINT64_C(1) << 2);
        assert_int_equal(state_of(n, 7, T0 + 3 * MS), HB_PEER_ALIVE);
        /* said again: no new event; cleared: reachable */
        s.seq = 3;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 4 * MS, buf, len, NULL), 0);
        assert_int_equal(count(&r, HB_EVENT_REGION), 1);
        s.seq = 4;
        s.map = 0;
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv(n, T0 + 5 * MS, buf, len, NULL), 0);
        assert_int_equal(count(&r, HB_EVENT_REGION), 2);
        assert_int_equal(r.ev[1].new_region_state, HB_REGION_REACHABLE);
        /* ten seconds of silence from everyone: a member judges nobody */
        r.n = 0;
        for (uint64_t t = T0; t <= T0 + 10000 * MS; t += 100 * MS)
                hb_node_tick(n, t);
        assert_int_equal(count(&r, HB_EVENT_PEER_STATE), 0);
        assert_int_equal(state_of(n, 5, T0 + 10000 * MS), HB_PEER_ALIVE);
        hb_node_free(n);
}

/* An elector judges the other electors of its region from their
 * heartbeats (the election's mesh) and nobody else. */
static void t_elector_judges_electors(void **state)
{
        rec_t r = { .n = 0 };
        hb_node_t *n = node_of(4, record, &r);
        hb_peer_info_t pi;

        (void)state;
        assert_int_equal(beat_targets(n, T0), 1u << 5);
        for (uint64_t t = T0; t <= T0 + 3000 * MS; t += 100 * MS)
                hb_node_tick(n, t);
        /* 5 never heard: dead by silence; 6 and the other regions:
         * not judged here */
        assert_int_equal(state_of(n, 5, T0 + 3000 * MS), HB_PEER_DEAD);
        assert_int_equal(state_of(n, 6, T0 + 3000 * MS), HB_PEER_UNKNOWN);
        assert_int_equal(state_of(n, 7, T0 + 3000 * MS), HB_PEER_UNKNOWN);
        assert_int_equal(hb_node_peer_info(n, 5, T0, &pi), 0);
        assert_false(pi.learned);
        hb_node_free(n);
}

/* The driver's answer for a datagram that came from node `*ctx`'s
 * address (review F8). */
static bool came_from(const void *ctx, uint32_t peer_id)
{
        return *(const uint32_t *)ctx == peer_id;
}

/* A coordinator relays other regions' summaries unchanged: accepted from
 * an elector of the receiver's own region, from nowhere else; every
 * other message keeps the sender's address check. */
static void t_relay_source(void **state)
{
        uint8_t buf[512];
        hb_node_t *n = node_of(6, NULL, NULL);  /* region 2, electors 4, 5 */
        const uint32_t eight[1] = { 8 };
        const uint8_t dead[1] = { HB_PEER_DEAD };
        sum_t s = { .sender = 7, .region = 3, .term = 1, .version = 1,
                    .lo = 1, .hi = UINT32_MAX, .seq = 1, .ids = eight,
                    .vs = dead, .k = 1 };
        uint32_t from = 4;
        const hb_recv_source_t src = { came_from, &from };
        hb_peer_info_t pi;
        size_t len;

        (void)state;
        /* Relayed by elector 4 of region 2: taken. */
        len = summary(buf, &s);
        assert_int_equal(hb_node_recv_from(n, T0, buf, len, &src, NULL), 0);
        assert_int_equal(state_of(n, 8, T0), HB_PEER_DEAD);
        /* From a non-elector of region 2 (node 6 is itself; take 3 of
         * region 1, an elector elsewhere, and 9, region 3's member). */
        s.version = 2;
        s.vs = (const uint8_t[1]){ HB_PEER_SUSPECT };
        len = summary(buf, &s);
        from = 1;
        assert_int_equal(hb_node_recv_from(n, T0 + 1 * MS, buf, len, &src,
                                           NULL), HB_EBADSRC);
        from = 9;
        assert_int_equal(hb_node_recv_from(n, T0 + 2 * MS, buf, len, &src,
                                           NULL), HB_EBADSRC);
        assert_int_equal(state_of(n, 8, T0 + 2 * MS), HB_PEER_DEAD);
        assert_int_equal(hb_node_peer_info(n, 7, T0 + 2 * MS, &pi), 0);
        assert_int_equal(pi.bad_sources, 2);
        /* From its maker's own address: taken as always. */
        from = 7;
        assert_int_equal(hb_node_recv_from(n, T0 + 3 * MS, buf, len, &src,
                                           NULL), 0);
        /* A heartbeat of 5's relayed by elector 4: the strict check. */
        len = beat_view(buf, 5, 1, 0, 0);
        from = 4;
        assert_int_equal(hb_node_recv_from(n, T0 + 4 * MS, buf, len, &src,
                                           NULL), HB_EBADSRC);
        from = 5;
        assert_int_equal(hb_node_recv_from(n, T0 + 5 * MS, buf, len, &src,
                                           NULL), 0);
        hb_node_free(n);
}

/* Nine nodes, every message delivered, for 5 s: the messages between
 * regions other than heartbeats (summaries to other coordinators, the
 * global votes) carry HB_OUTPUT_RELIABLE; heartbeats and everything
 * inside a region carry no hint. */
static void t_reliable_hints(void **state)
{
        hb_node_t *n[10];
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_output_t out;
        size_t summaries = 0, votes = 0, plain = 0;
        hb_hier_info_t hi;
        int len;

        (void)state;
        for (uint32_t id = 1; id <= 9; id++)
                n[id] = node_of(id, NULL, NULL);
        for (uint64_t t = T0; t < T0 + 5000 * MS; t += 10 * MS) {
                for (uint32_t id = 1; id <= 9; id++)
                        hb_node_tick(n[id], t);
                for (uint32_t id = 1; id <= 9; id++) {
                        while ((len = hb_node_poll_output(n[id], &out, buf,
                                                          sizeof(buf))) >
                               0) {
                                bool cross = region_of(out.peer_id) !=
                                             region_of(id);

                                assert_int_equal(out.dest, HB_DEST_PEER);
                                if (out.type == HB_MSG_HEARTBEAT ||
                                    !cross) {
                                        assert_int_equal(out.hints, 0);
                                        plain++;
                                } else {
                                        assert_int_equal(out.hints,
                                                         HB_OUTPUT_RELIABLE);
                                        if (out.type ==
                                            HB_MSG_REGION_SUMMARY)
                                                summaries++;
                                        else
                                                votes++;
                                }
                                (void)hb_node_recv(n[out.peer_id], t, buf,
                                                   (size_t)len, NULL);
                        }
                }
        }
        assert_true(summaries > 0);
        assert_true(votes > 0);
        assert_true(plain > 0);
        /* The regions did elect a global coordinator over it. */
        hb_node_hier_info(n[9], &hi);
        assert_true(hi.holder_region != 0);
        for (uint32_t id = 1; id <= 9; id++)
                hb_node_free(n[id]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_config),
                cmocka_unit_test(t_set_region),
                cmocka_unit_test(t_summary_checks),
                cmocka_unit_test(t_summary_needs_topology),
                cmocka_unit_test(t_view_checks),
                cmocka_unit_test(t_global_term_checks),
                cmocka_unit_test(t_member_beat_has_view),
                cmocka_unit_test(t_member_targets),
                cmocka_unit_test(t_member_learns),
                cmocka_unit_test(t_relay_source),
                cmocka_unit_test(t_elector_judges_electors),
                cmocka_unit_test(t_reliable_hints),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
