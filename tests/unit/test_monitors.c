/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the "monitors" topology in the node core
 * (src/core/monitors.c, docs/topologies.md): configuration checks, where
 * heartbeats and verdicts go, the VERDICT TLV's validation, verdicts only
 * from monitors, and a member's state from the verdicts. Fake clock.
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

/* Node `id` of a 5-node cluster (peers: the 4 others), `n_mon` monitors
 * 1 .. n_mon; fixed detector at 100 ms. */
static hb_node_config_t cfg_of(uint32_t id, uint32_t n_mon)
{
        hb_node_config_t c;

        hb_node_config_default(&c, HB_DETECTOR_FIXED, 100 * MS);
        c.cluster_id = 7;
        c.node_id = id;
        c.incarnation = 1;
        c.key = key();
        c.local_pause_ns = 0;
        c.n_monitors = n_mon;
        for (uint32_t i = 0; i < n_mon; i++)
                c.monitors[i] = i + 1;
        return c;
}

static hb_node_t *node_of(uint32_t id, uint32_t n_mon, hb_event_cb cb,
                          void *user)
{
        hb_node_config_t c = cfg_of(id, n_mon);
        hb_node_t *n;

        assert_int_equal(hb_node_new(&n, &c, cb, user), 0);
        for (uint32_t p = 1; p <= 5; p++)
                if (p != id)
                        assert_int_equal(hb_node_peer_add(n, p, T0), 0);
        return n;
}

static void t_config(void **state)
{
        hb_node_config_t c;

        (void)state;
        c = cfg_of(4, 3);
        assert_int_equal(hb_node_config_validate(&c), 0);
        c = cfg_of(1, 3);
        assert_int_equal(hb_node_config_validate(&c), 0); /* a monitor */
        c = cfg_of(4, 3);
        c.n_monitors = HB_MONITORS_MAX + 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(4, 3);
        c.monitors[2] = 1; /* twice */
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(4, 3);
        c.monitors[1] = 0;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(4, 3);
        c.n_links = 2;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(4, 3);
        c.coord.enabled = true;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
}

/* A member queues its heartbeat once per monitor, the same bytes (one
 * sequence number), and nothing for all. */
static void t_member_fans_out(void **state)
{
        uint8_t first[HB_OUTPUT_MAX_LEN], buf[HB_OUTPUT_MAX_LEN];
        hb_node_t *n = node_of(4, 3, NULL, NULL);
        hb_output_t out;
        int len, first_len = 0;
        uint32_t seen = 0;

        (void)state;
        hb_node_tick(n, T0);
        while ((len = hb_node_poll_output(n, &out, buf, sizeof(buf))) > 0) {
                assert_int_equal(out.dest, HB_DEST_PEER);
                assert_int_equal(out.type, HB_MSG_HEARTBEAT);
                assert_true(out.peer_id >= 1 && out.peer_id <= 3);
                seen |= 1u << out.peer_id;
                if (first_len == 0) {
                        first_len = len;
                        memcpy(first, buf, (size_t)len);
                } else {
                        assert_int_equal(len, first_len);
                        assert_memory_equal(buf, first, (size_t)len);
                }
        }
        assert_int_equal(seen, 0xe); /* 1, 2 and 3 */
        assert_int_equal(hb_node_seq(n), 1);
        hb_node_free(n);
}

/* The next queued message of type `type`; its length or 0. */
static int next_of(hb_node_t *n, uint8_t type, hb_output_t *out,
                   uint8_t *buf)
{
        int len;

        while ((len = hb_node_poll_output(n, out, buf,
                                          HB_OUTPUT_MAX_LEN)) > 0)
                if (out->type == type)
                        return len;
        return 0;
}

/* A monitor heartbeats to all, then sends its verdicts to all: members
 * 4 and 5 never heard are listed unknown, monitors 2 and 3 not at all. */
static void t_monitor_sends_verdicts(void **state)
{
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_node_t *n = node_of(1, 3, NULL, NULL);
        hb_key_t kk = key();
        hb_keyring_t ring = { 0 };
        const uint8_t *cur, *val;
        size_t left;
        uint16_t type, vlen;
        hb_wire_msg_t m;
        hb_output_t out;
        int len;

        (void)state;
        hb_node_tick(n, T0);
        len = hb_node_poll_output(n, &out, buf, sizeof(buf));
        assert_true(len > 0);
        assert_int_equal(out.type, HB_MSG_HEARTBEAT);
        assert_int_equal(out.dest, HB_DEST_ALL);
        len = next_of(n, HB_MSG_VERDICT, &out, buf);
        assert_true(len > 0);
        assert_int_equal(out.dest, HB_DEST_ALL);
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        assert_int_equal(hb_wire_decode(&m, buf, (size_t)len, 7, &ring,
                                        NULL, 0), 0);
        assert_int_equal(m.type, HB_MSG_VERDICT);
        cur = m.tlv;
        left = m.tlv_len;
        assert_int_equal(hb_wire_tlv_next(&cur, &left, &type, &val, &vlen),
                         1);
        assert_int_equal(type, HB_TLV_VERDICT);
        assert_int_equal(vlen, 8 + 2 * 5);
        assert_int_equal(val[3], 1);                    /* lo */
        assert_int_equal(val[4] & val[5] & val[6] & val[7], 0xff); /* hi */
        assert_int_equal(val[11], 4);
        assert_int_equal(val[12], HB_PEER_UNKNOWN);
        assert_int_equal(val[16], 5);
        assert_int_equal(val[17], HB_PEER_UNKNOWN);
        hb_node_free(n);
}

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

/* A verdict from `sender`: range [lo, hi], entries (id, v) x k. */
static size_t verdict(uint8_t *buf, uint32_t sender, uint64_t seq,
                      uint32_t lo, uint32_t hi, const uint32_t *ids,
                      const uint8_t *vs, size_t k)
{
        uint8_t tlv[4 + 8 + 5 * 8];
        hb_keyring_t ring = { 0 };
        hb_key_t kk = key();
        hb_wire_msg_t m;
        int len;

        memset(tlv, 0, sizeof(tlv));
        tlv[1] = HB_TLV_VERDICT;
        tlv[3] = (uint8_t)(8 + 5 * k);
        put32(tlv + 4, lo);
        put32(tlv + 8, hi);
        for (size_t i = 0; i < k; i++) {
                put32(tlv + 12 + 5 * i, ids[i]);
                tlv[12 + 5 * i + 4] = vs[i];
        }
        memset(&m, 0, sizeof(m));
        m.type = HB_MSG_VERDICT;
        m.cluster_id = 7;
        m.sender_id = sender;
        m.incarnation = 1;
        m.seq = seq;
        m.send_time_ns = T0;
        m.tlv = tlv;
        m.tlv_len = 4 + 8 + 5 * k;
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        len = hb_wire_encode(buf, 256, &m, &ring, NULL);
        assert_true(len > 0);
        return (size_t)len;
}

static void t_verdict_checks(void **state)
{
        uint8_t buf[256];
        hb_node_t *n = node_of(4, 1, NULL, NULL);
        hb_node_t *mesh = node_of(4, 0, NULL, NULL);
        const uint32_t ids[2] = { 5, 3 };
        const uint8_t dead[2] = { HB_PEER_DEAD, HB_PEER_DEAD };
        const uint8_t bad[1] = { HB_PEER_ALIVE };
        size_t len;

        (void)state;
        /* lo > hi */
        len = verdict(buf, 1, 1, 9, 2, NULL, NULL, 0);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        /* an id outside the range */
        len = verdict(buf, 1, 2, 1, 4, ids, dead, 1);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        /* ids out of order */
        len = verdict(buf, 1, 3, 1, 9, ids, dead, 2);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        /* "alive" is never listed */
        len = verdict(buf, 1, 4, 1, 9, ids, bad, 1);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        /* from a member, not a monitor */
        len = verdict(buf, 5, 1, 1, 9, NULL, NULL, 0);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTYPE);
        /* with the mesh topology */
        len = verdict(buf, 1, 5, 1, 9, NULL, NULL, 0);
        assert_int_equal(hb_node_recv(mesh, T0, buf, len, NULL),
                         HB_EBADTYPE);
        /* a good one; then played again: replay */
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EREPLAY);
        hb_node_free(n);
        hb_node_free(mesh);
}

typedef struct rec {
        hb_event_t ev[16];
        size_t n;
} rec_t;

static void record(void *user, const hb_event_t *ev)
{
        rec_t *r = user;

        if (ev->type == HB_EVENT_PEER_STATE && r->n < 16)
                r->ev[r->n++] = *ev;
}

static hb_peer_state_t state_of(hb_node_t *n, uint32_t id, uint64_t now)
{
        hb_peer_info_t pi;

        assert_int_equal(hb_node_peer_info(n, id, now, &pi), 0);
        return pi.state;
}

/* One monitor (majority 1): a member follows its verdicts; the monitor
 * itself is judged by its heartbeats. A member never judges another
 * member by silence. */
static void t_member_follows_verdicts(void **state)
{
        uint8_t buf[256];
        rec_t r = { .n = 0 };
        hb_node_t *n = node_of(4, 1, record, &r);
        const uint32_t five[1] = { 5 };
        const uint8_t dead[1] = { HB_PEER_DEAD };
        size_t len;

        (void)state;
        /* Monitor 1 must be alive here for its verdicts to count: give
         * it heartbeats through hb_node_peer_heard(). */
        assert_int_equal(hb_node_peer_heard(n, 1, T0), 0);
        len = verdict(buf, 1, 1, 1, UINT32_MAX, NULL, NULL, 0);
        assert_int_equal(hb_node_recv(n, T0 + 1 * MS, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0 + 1 * MS), HB_PEER_ALIVE);
        assert_int_equal(state_of(n, 2, T0 + 1 * MS), HB_PEER_ALIVE);
        /* Two seconds without a word from 5, the monitor heard: 5 stays
         * alive (only the monitor judges it). */
        for (uint64_t t = T0; t <= T0 + 2000 * MS; t += 100 * MS) {
                assert_int_equal(hb_node_peer_heard(n, 1, t), 0);
                hb_node_tick(n, t);
        }
        assert_int_equal(state_of(n, 5, T0 + 2000 * MS), HB_PEER_ALIVE);
        len = verdict(buf, 1, 2, 1, UINT32_MAX, five, dead, 1);
        assert_int_equal(hb_node_recv(n, T0 + 2001 * MS, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0 + 2001 * MS), HB_PEER_DEAD);
        assert_int_equal(r.ev[r.n - 1].peer_id, 5);
        assert_int_equal(r.ev[r.n - 1].reason, HB_REASON_DEAD_THRESHOLD);
        /* Back: probation, then alive after probation_ns of verdicts. */
        len = verdict(buf, 1, 3, 1, UINT32_MAX, NULL, NULL, 0);
        assert_int_equal(hb_node_recv(n, T0 + 2100 * MS, buf, len, NULL), 0);
        assert_int_equal(state_of(n, 5, T0 + 2100 * MS),
                         HB_PEER_PROBATION);
        hb_node_tick(n, T0 + 2100 * MS + hb_node_config(n)->probation_ns);
        assert_int_equal(state_of(n, 5, T0 + 3000 * MS), HB_PEER_ALIVE);
        /* A port-unreachable report about a member is the monitors'
         * business. */
        assert_int_equal(hb_node_peer_unreachable(n, 5, T0 + 3000 * MS), 0);
        assert_int_equal(state_of(n, 5, T0 + 3000 * MS), HB_PEER_ALIVE);
        hb_node_free(n);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_config),
                cmocka_unit_test(t_member_fans_out),
                cmocka_unit_test(t_monitor_sends_verdicts),
                cmocka_unit_test(t_verdict_checks),
                cmocka_unit_test(t_member_follows_verdicts),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
