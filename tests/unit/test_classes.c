/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of peer classes in the node core (docs/classes.md): config
 * checks, hb_node_peer_set_class(), and each peer judged with its own
 * class's detector and thresholds (a local peer at 100 ms, a remote one
 * at 1 s, on one observer). Fake clock.
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

/* Node `id`, fixed detector at `interval_ns`; class 1 "remote": fixed at
 * 1 s. */
static hb_node_config_t cfg_of(uint32_t id, uint64_t interval_ns)
{
        hb_node_config_t c;

        hb_node_config_default(&c, HB_DETECTOR_FIXED, interval_ns);
        c.cluster_id = 7;
        c.node_id = id;
        c.incarnation = 1;
        c.key = key();
        c.local_pause_ns = 0;
        c.n_classes = 1;
        hb_class_config_default(&c.classes[0], HB_DETECTOR_FIXED,
                                1000 * MS);
        return c;
}

typedef struct {
        uint32_t peer[16];
        hb_peer_state_t to[16];
        uint64_t at[16];
        size_t n;
} rec_t;

static void record(void *user, const hb_event_t *ev)
{
        rec_t *r = user;

        if (ev->type != HB_EVENT_PEER_STATE || r->n >= 16)
                return;
        r->peer[r->n] = ev->peer_id;
        r->to[r->n] = ev->new_state;
        r->at[r->n] = ev->at_ns;
        r->n++;
}

/* `from` sends a heartbeat that `to` receives at `now`. */
static void beat(hb_node_t *from, hb_node_t *to, uint64_t now)
{
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_output_t out;
        int len;

        assert_int_equal(hb_node_heartbeat_now(from, now), 0);
        while ((len = hb_node_poll_output(from, &out, buf, sizeof(buf))) > 0)
                if (out.dest == HB_DEST_ALL)
                        break;
        assert_true(len > 0);
        assert_int_equal(hb_node_recv(to, now, buf, (size_t)len, NULL), 0);
}

static void t_config(void **state)
{
        hb_node_config_t c;

        (void)state;
        c = cfg_of(1, 100 * MS);
        assert_int_equal(hb_node_config_validate(&c), 0);
        c.n_classes = HB_CLASSES_MAX + 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(1, 100 * MS);
        c.classes[0].interval_ns = 0;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(1, 100 * MS);
        c.classes[0].detector.interval_ns = 2000 * MS; /* not the class's */
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = cfg_of(1, 100 * MS);
        c.classes[0].dead_threshold = c.classes[0].suspect_threshold / 2;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        /* Unused slots past n_classes are not checked. */
        c = cfg_of(1, 100 * MS);
        c.classes[1].interval_ns = 0;
        assert_int_equal(hb_node_config_validate(&c), 0);
}

static void t_set_class_errors(void **state)
{
        hb_node_config_t c = cfg_of(1, 100 * MS);
        hb_node_t *n;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_set_class(NULL, 2, 1, T0), -EINVAL);
        assert_int_equal(hb_node_peer_set_class(n, 2, 2, T0), -EINVAL);
        assert_int_equal(hb_node_peer_set_class(n, 9, 1, T0), -ENOENT);
        assert_int_equal(hb_node_peer_set_class(n, 2, 1, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 2, 1, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 2, 0, T0), 0);
        hb_node_free(n);
}

/*
 * Observer 1; peer 2 local (class 0, fixed 100 ms), peer 3 remote
 * (class 1, fixed 1 s). Both beat at their rate for a while, then stop:
 * the fixed detector suspects after 3 intervals and declares dead after
 * 5, each peer by its own class's interval.
 */
static void t_detection_per_class(void **state)
{
        hb_node_config_t ca = cfg_of(1, 100 * MS);
        hb_node_config_t cb = cfg_of(2, 100 * MS);
        hb_node_config_t cc = cfg_of(3, 1000 * MS);
        hb_node_t *a, *b, *c;
        uint64_t now = T0, last_b, last_c;
        rec_t r = { 0 };

        (void)state;
        assert_int_equal(hb_node_new(&a, &ca, record, &r), 0);
        assert_int_equal(hb_node_new(&b, &cb, NULL, NULL), 0);
        assert_int_equal(hb_node_new(&c, &cc, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(a, 2, T0), 0);
        assert_int_equal(hb_node_peer_add(a, 3, T0), 0);
        assert_int_equal(hb_node_peer_add(b, 1, T0), 0);
        assert_int_equal(hb_node_peer_add(c, 1, T0), 0);
        assert_int_equal(hb_node_peer_set_class(a, 3, 1, T0), 0);
        assert_int_equal(hb_node_leave(a, T0), 0); /* a sends nothing */

        for (int i = 0; i <= 50; i++, now += 100 * MS) {
                beat(b, a, now);
                if (i % 10 == 0)
                        beat(c, a, now);
        }
        last_b = now - 100 * MS;
        last_c = T0 + 5000 * MS;
        /* Remote stays alive with 1 s gaps; both alive now. */
        assert_int_equal(r.n, 2);
        for (uint64_t t = now; t <= last_c + 6000 * MS; t += 10 * MS)
                hb_node_tick(a, t);
        assert_int_equal(r.n, 6);
        assert_int_equal(r.peer[2], 2);
        assert_int_equal(r.to[2], HB_PEER_SUSPECT);
        assert_int_equal(r.at[2], last_b + 300 * MS);
        assert_int_equal(r.peer[3], 2);
        assert_int_equal(r.to[3], HB_PEER_DEAD);
        assert_int_equal(r.at[3], last_b + 500 * MS);
        assert_int_equal(r.peer[4], 3);
        assert_int_equal(r.to[4], HB_PEER_SUSPECT);
        assert_int_equal(r.at[4], last_c + 3000 * MS);
        assert_int_equal(r.peer[5], 3);
        assert_int_equal(r.to[5], HB_PEER_DEAD);
        assert_int_equal(r.at[5], last_c + 5000 * MS);
        hb_node_free(a);
        hb_node_free(b);
        hb_node_free(c);
}

/* A reconfigure that drops the class puts its peers back in class 0; one
 * that keeps it keeps them there. */
static void t_reconfigure(void **state)
{
        hb_node_config_t c = cfg_of(1, 100 * MS);
        rec_t r = { 0 };
        hb_node_t *n;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, record, &r), 0);
        assert_int_equal(hb_node_peer_add(n, 3, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 3, 1, T0), 0);
        assert_int_equal(hb_node_leave(n, T0), 0);
        /* Never heard: dead after 5 intervals of its class. */
        assert_int_equal(hb_node_next_deadline(n), T0 + 5000 * MS);
        c.probation_ns = 600 * MS; /* any change; the class is kept */
        assert_int_equal(hb_node_reconfigure(n, &c, T0), 0);
        assert_int_equal(hb_node_next_deadline(n), T0 + 5000 * MS);
        c.n_classes = 0;
        assert_int_equal(hb_node_reconfigure(n, &c, T0), 0);
        assert_int_equal(hb_node_next_deadline(n), T0 + 500 * MS);
        assert_int_equal(hb_node_peer_set_class(n, 3, 1, T0), -EINVAL);
        hb_node_free(n);
}

/*
 * The sender: one schedule per class. Over 2 s (ticks every 10 ms) peer
 * 2 (class 0, 100 ms) gets a heartbeat every 100 ms and peer 3 (class
 * 1, 1 s) every second, each as an HB_DEST_BEAT copy for it alone; the
 * node's deadline is the earlier of the two schedules.
 */
static void t_send_schedule(void **state)
{
        hb_node_config_t c = cfg_of(1, 100 * MS);
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        uint64_t first3 = 0, last3 = 0;
        size_t to2 = 0, to3 = 0, other = 0;
        hb_output_t out;
        hb_node_t *n;
        int len;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_add(n, 3, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 3, 1, T0), 0);
        for (uint64_t t = T0; t < T0 + 2000 * MS; t += 10 * MS) {
                hb_node_tick(n, t);
                while ((len = hb_node_poll_output(n, &out, buf,
                                                  sizeof(buf))) > 0) {
                        if (out.dest == HB_DEST_BEAT && out.peer_id == 2) {
                                to2++;
                        } else if (out.dest == HB_DEST_BEAT &&
                                   out.peer_id == 3) {
                                if (to3++ == 0)
                                        first3 = t;
                                last3 = t;
                        } else {
                                other++;
                        }
                }
        }
        assert_int_equal(to2, 20);
        assert_int_equal(to3, 2);
        assert_int_equal(first3, T0);
        assert_int_equal(last3, T0 + 1000 * MS);
        assert_int_equal(other, 0);
        /* Next: class 0 at T0 + 2 s, class 1 at T0 + 2 s too. */
        assert_int_equal(hb_node_next_deadline(n), T0 + 2000 * MS);
        /* One sequence space: 22 heartbeats sent. */
        assert_int_equal(hb_node_seq(n), 22);
        /* A leave stops both schedules. */
        assert_int_equal(hb_node_leave(n, T0 + 2000 * MS), 0);
        assert_int_equal(hb_node_next_deadline(n), T0 + 5000 * MS);
        hb_node_free(n);
}

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

/* A message of `type` from node 2 (incarnation 1, `seq`) carrying `n`
 * INTERVAL TLVs of value length `vlen` (12 is right): {iv, iv, cseq}. */
static size_t interval_msg2(uint8_t *buf, uint8_t type, uint64_t seq,
                            uint32_t iv, uint32_t next, uint32_t cseq, int n,
                            uint16_t vlen)
{
        uint8_t tlv[2 * (4 + 16)];
        hb_keyring_t ring = { 0 };
        hb_key_t kk = key();
        hb_wire_msg_t m;
        size_t o = 0;
        int len;

        memset(tlv, 0, sizeof(tlv));
        for (int i = 0; i < n; i++) {
                tlv[o + 1] = HB_TLV_INTERVAL;
                tlv[o + 3] = (uint8_t)vlen;
                put32(tlv + o + 4, iv);
                put32(tlv + o + 8, next);
                put32(tlv + o + 12, cseq);
                o += 4 + vlen;
        }
        memset(&m, 0, sizeof(m));
        m.type = type;
        m.cluster_id = 7;
        m.sender_id = 2;
        m.incarnation = 1;
        m.seq = seq;
        m.send_time_ns = T0;
        m.tlv = tlv;
        m.tlv_len = o;
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        len = hb_wire_encode(buf, 256, &m, &ring, NULL);
        assert_true(len > 0);
        return (size_t)len;
}

static size_t interval_msg(uint8_t *buf, uint8_t type, uint64_t seq,
                           uint32_t iv, uint32_t cseq, int n, uint16_t vlen)
{
        return interval_msg2(buf, type, seq, iv, iv, cseq, n, vlen);
}

typedef struct {
        size_t n;
        hb_event_t ev[8];
} mis_rec_t;

static void record_mismatch(void *user, const hb_event_t *ev)
{
        mis_rec_t *r = user;

        if (ev->type == HB_EVENT_CLASS_MISMATCH && r->n < 8)
                r->ev[r->n++] = *ev;
}

/* Peer 2's heartbeat (seq = class_seq = k) announcing iv / next (µs),
 * received at `now` on link `link`. */
static void announce(hb_node_t *n, uint32_t k, uint32_t iv_us,
                     uint32_t next_us, uint32_t link, uint64_t now)
{
        uint8_t buf[256];
        size_t len = interval_msg2(buf, HB_MSG_HEARTBEAT, k, iv_us, next_us,
                                   k, 1, 12);

        assert_int_equal(hb_node_recv_link(n, now, link, buf, len, NULL,
                                           NULL), 0);
}

/*
 * The receiver follows the announced interval (docs/classes.md): a static
 * class takes exactly its interval, and an announcement outside it counts
 * class_mismatch with one event naming both intervals; an adaptive class
 * widens its detector (and dead_after, a default) as soon as a rise is
 * announced, within its bounds.
 */
static void t_announced_interval(void **state)
{
        hb_node_config_t c = cfg_of(1, 100 * MS);
        hb_node_counters_t ctr;
        hb_peer_info_t pi;
        mis_rec_t rec = { 0 };
        hb_node_t *n;
        uint64_t t = T0;
        uint32_t k = 0;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, record_mismatch, &rec), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 2, 1, T0), 0);
        announce(n, ++k, 1000000, 1000000, 0, t);
        assert_int_equal(hb_node_peer_info(n, 2, t, &pi), 0);
        assert_int_equal(pi.class_idx, 1);
        assert_int_equal(pi.announced_interval_ns, 1000 * MS);
        assert_int_equal(pi.interval_ns, 1000 * MS);
        /* 2 s against a static 1 s: counted each time, told once. */
        t += 2000 * MS;
        announce(n, ++k, 2000000, 2000000, 0, t);
        t += 2000 * MS;
        announce(n, ++k, 2000000, 2000000, 0, t);
        hb_node_counters(n, &ctr);
        assert_int_equal(ctr.class_mismatch, 2);
        assert_int_equal(rec.n, 1);
        assert_int_equal(rec.ev[0].peer_id, 2);
        assert_int_equal(rec.ev[0].class_idx, 1);
        assert_int_equal(rec.ev[0].old_interval_ns, 1000 * MS);
        assert_int_equal(rec.ev[0].new_interval_ns, 2000 * MS);
        assert_int_equal(hb_node_peer_info(n, 2, t, &pi), 0);
        assert_int_equal(pi.announced_interval_ns, 2000 * MS);
        assert_int_equal(pi.interval_ns, 1000 * MS);
        /* Still judged at 1 s: suspect (3 missed) by t + 3 s. */
        hb_node_tick(n, t + 3100 * MS);
        assert_int_equal(hb_node_peer_info(n, 2, t + 3100 * MS, &pi), 0);
        assert_int_equal(pi.state, HB_PEER_SUSPECT);
        hb_node_free(n);

        /* Adaptive class 0.5 .. 5 s, starting at 1 s. */
        hb_class_adaptive_default(&c.classes[0].adaptive, 500 * MS,
                                  5000 * MS);
        memset(&rec, 0, sizeof(rec));
        t = T0;
        k = 0;
        assert_int_equal(hb_node_new(&n, &c, record_mismatch, &rec), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 2, 1, T0), 0);
        for (int i = 0; i < 5; i++, t += 1000 * MS)
                announce(n, ++k, 1000000, 1000000, 0, t);
        t -= 1000 * MS;
        /* A rise to 2 s announced: expected from the first notice. */
        announce(n, ++k, 1000000, 2000000, 0, t + 1000 * MS);
        t += 1000 * MS;
        assert_int_equal(hb_node_peer_info(n, 2, t, &pi), 0);
        assert_int_equal(pi.interval_ns, 2000 * MS);
        assert_int_equal(pi.announced_interval_ns, 2000 * MS);
        hb_node_tick(n, t + 5900 * MS);
        assert_int_equal(hb_node_peer_info(n, 2, t + 5900 * MS, &pi), 0);
        assert_int_equal(pi.state, HB_PEER_ALIVE);
        hb_node_tick(n, t + 6100 * MS);
        assert_int_equal(hb_node_peer_info(n, 2, t + 6100 * MS, &pi), 0);
        assert_int_equal(pi.state, HB_PEER_SUSPECT);
        /* dead_after followed: 4 x 2 s after the suspicion (the fixed
         * dead threshold, 5 missed = 10 s, comes first otherwise). */
        hb_node_tick(n, t + 9900 * MS);
        assert_int_equal(hb_node_peer_info(n, 2, t + 9900 * MS, &pi), 0);
        assert_int_equal(pi.state, HB_PEER_SUSPECT);
        t += 10100 * MS;
        hb_node_tick(n, t);
        assert_int_equal(hb_node_peer_info(n, 2, t, &pi), 0);
        assert_int_equal(pi.state, HB_PEER_DEAD);
        assert_int_equal(rec.n, 0);
        /* Beyond the bounds: the nearest bound, and a mismatch. */
        announce(n, ++k, 10000000, 10000000, 0, t);
        assert_int_equal(hb_node_peer_info(n, 2, t, &pi), 0);
        assert_int_equal(pi.interval_ns, 5000 * MS);
        assert_int_equal(rec.n, 1);
        assert_int_equal(rec.ev[0].old_interval_ns, 5000 * MS);
        assert_int_equal(rec.ev[0].new_interval_ns, 10000 * MS);
        /* A reclassification forgets it until the next announcement. */
        assert_int_equal(hb_node_peer_set_class(n, 2, 0, t), 0);
        assert_int_equal(hb_node_peer_info(n, 2, t, &pi), 0);
        assert_int_equal(pi.interval_ns, 100 * MS);
        hb_node_free(n);
}

/* Echo requests ride on every rtt_probe_every-th heartbeat of each
 * class, counted on class_seq (docs/classes.md): the remote class is
 * probed every 10 s, not whenever the global sequence happens to hit a
 * multiple of 10 on one of its heartbeats. */
static void t_echo_per_class(void **state)
{
        hb_node_config_t c = cfg_of(1, 100 * MS);
        uint8_t buf[HB_OUTPUT_MAX_LEN], plain[HB_WIRE_MAX_LEN];
        hb_keyring_t ring = { 0 };
        hb_key_t kk = key();
        hb_output_t out;
        hb_wire_msg_t m;
        hb_node_t *n;
        int len, beats[2] = { 0, 0 }, echoes[2] = { 0, 0 };

        (void)state;
        c.rtt_probe_every = 10;
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_add(n, 3, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 3, 1, T0), 0);
        /* Out of schedule: no echo request with classes. */
        assert_int_equal(hb_node_heartbeat_now(n, T0), 0);
        for (uint64_t t = T0; t < T0 + 40000 * MS; t += 100 * MS) {
                hb_node_tick(n, t);
                while ((len = hb_node_poll_output(n, &out, buf,
                                                  sizeof(buf))) > 0) {
                        const uint8_t *cur, *val;
                        size_t left;
                        uint16_t type, vlen;
                        uint32_t cs;
                        int k;

                        assert_int_equal(hb_wire_decode(&m, buf, (size_t)len,
                                                        7, &ring, plain,
                                                        sizeof(plain)),
                                         0);
                        if (out.dest == HB_DEST_ALL) {
                                assert_false(m.flags & HB_FLAG_ECHO_REQUEST);
                                continue;
                        }
                        k = out.peer_id == 3;
                        cur = m.tlv;
                        left = m.tlv_len;
                        assert_int_equal(hb_wire_tlv_next(&cur, &left, &type,
                                                          &val, &vlen),
                                         1);
                        cs = (uint32_t)val[8] << 24 | (uint32_t)val[9] << 16 |
                             (uint32_t)val[10] << 8 | val[11];
                        beats[k]++;
                        assert_int_equal((int)cs, beats[k]);
                        if (m.flags & HB_FLAG_ECHO_REQUEST) {
                                echoes[k]++;
                                assert_int_equal(cs % 10, 0);
                        } else {
                                assert_int_not_equal(cs % 10, 0);
                        }
                }
        }
        assert_int_equal(beats[0], 400);
        assert_int_equal(echoes[0], 40);
        assert_int_equal(beats[1], 40);
        assert_int_equal(echoes[1], 4);
        hb_node_free(n);
}

/* With links, each link counts its loss on class_seq too. */
static void t_link_class_seq(void **state)
{
        hb_node_config_t c = cfg_of(1, 100 * MS);
        hb_link_info_t li;
        hb_node_t *n;

        (void)state;
        c.n_links = 2;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 2, 1, T0), 0);
        /* Global seq 10, 20, 40 = class_seq 1, 2, 4 on link 1. */
        {
                uint8_t buf[256];
                const uint32_t seq[] = { 10, 20, 40 }, cs[] = { 1, 2, 4 };

                for (int i = 0; i < 3; i++) {
                        size_t len = interval_msg2(buf, HB_MSG_HEARTBEAT,
                                                   seq[i], 1000000, 1000000,
                                                   cs[i], 1, 12);

                        assert_int_equal(hb_node_recv_link(
                                                 n, T0 + (uint64_t)i * 1000 *
                                                                 MS,
                                                 1, buf, len, NULL, NULL),
                                         0);
                }
        }
        assert_int_equal(hb_node_peer_link_info(n, 2, 1, T0 + 2000 * MS,
                                                &li), 0);
        assert_int_equal(li.seq_gaps, 1);
        hb_node_free(n);
}

/*
 * The INTERVAL TLV (docs/classes.md): every class heartbeat carries the
 * class's interval and counter; the receiver counts loss on the class
 * counter (a remote peer's global sequence skips the local class's
 * heartbeats), and a malformed TLV drops the message as bad_tlv.
 */
static void t_interval_tlv(void **state)
{
        hb_node_config_t c = cfg_of(1, 100 * MS);
        uint8_t buf[256];
        hb_peer_info_t pi;
        hb_node_t *n;
        size_t len;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        /* Global seq 1, 11, 21, 41: class_seq 1, 2, 3, 5 (one lost). */
        len = interval_msg(buf, HB_MSG_HEARTBEAT, 1, 1000000, 1, 1, 12);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), 0);
        len = interval_msg(buf, HB_MSG_HEARTBEAT, 11, 1000000, 2, 1, 12);
        assert_int_equal(hb_node_recv(n, T0 + 1000 * MS, buf, len, NULL), 0);
        len = interval_msg(buf, HB_MSG_HEARTBEAT, 21, 1000000, 3, 1, 12);
        assert_int_equal(hb_node_recv(n, T0 + 2000 * MS, buf, len, NULL), 0);
        assert_int_equal(hb_node_peer_info(n, 2, T0 + 2000 * MS, &pi), 0);
        assert_int_equal(pi.seq_gaps, 0);
        len = interval_msg(buf, HB_MSG_HEARTBEAT, 41, 1000000, 5, 1, 12);
        assert_int_equal(hb_node_recv(n, T0 + 4000 * MS, buf, len, NULL), 0);
        assert_int_equal(hb_node_peer_info(n, 2, T0 + 4000 * MS, &pi), 0);
        assert_int_equal(pi.seq_gaps, 1);
        /* Malformed: dropped, nothing changes. */
        len = interval_msg(buf, HB_MSG_HEARTBEAT, 42, 1000000, 6, 1, 8);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        len = interval_msg(buf, HB_MSG_HEARTBEAT, 42, 999, 6, 1, 12);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        len = interval_msg(buf, HB_MSG_HEARTBEAT, 42, 1000000, 6, 2, 12);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        len = interval_msg(buf, HB_MSG_LEAVE, 42, 1000000, 6, 1, 12);
        assert_int_equal(hb_node_recv(n, T0, buf, len, NULL), HB_EBADTLV);
        assert_int_equal(hb_node_peer_info(n, 2, T0 + 4000 * MS, &pi), 0);
        assert_int_equal(pi.last_seq, 41);
        assert_int_equal(pi.state, HB_PEER_ALIVE);
        hb_node_free(n);
}

/* The sender puts the class's interval and counter in each class's
 * heartbeat. */
static void t_interval_tlv_sent(void **state)
{
        hb_node_config_t c = cfg_of(1, 100 * MS);
        uint8_t buf[HB_OUTPUT_MAX_LEN], plain[HB_WIRE_MAX_LEN];
        hb_keyring_t ring = { 0 };
        hb_key_t kk = key();
        hb_output_t out;
        hb_wire_msg_t m;
        hb_node_t *n;
        int len, seen = 0;

        (void)state;
        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 3, T0), 0);
        assert_int_equal(hb_node_peer_set_class(n, 3, 1, T0), 0);
        for (uint64_t t = T0; t <= T0 + 2000 * MS; t += 100 * MS) {
                hb_node_tick(n, t);
                while ((len = hb_node_poll_output(n, &out, buf,
                                                  sizeof(buf))) > 0) {
                        const uint8_t *cur, *val;
                        size_t left;
                        uint16_t type, vlen;

                        assert_int_equal(out.dest, HB_DEST_BEAT);
                        assert_int_equal(hb_wire_decode(&m, buf, (size_t)len,
                                                        7, &ring, plain,
                                                        sizeof(plain)),
                                         0);
                        cur = m.tlv;
                        left = m.tlv_len;
                        assert_int_equal(hb_wire_tlv_next(&cur, &left, &type,
                                                          &val, &vlen),
                                         1);
                        assert_int_equal(type, HB_TLV_INTERVAL);
                        assert_int_equal(vlen, 12);
                        assert_int_equal(val[0] << 24 | val[1] << 16 |
                                                 val[2] << 8 | val[3],
                                         1000000);
                        assert_int_equal(val[11], ++seen);
                }
        }
        assert_int_equal(seen, 3);
        hb_node_free(n);
}

/* ---- the adaptive rule on a two-node pump -------------------------------- */

#define PUMP_Q 256

typedef struct {
        uint64_t at;
        uint32_t to;            /* node index 0, 1 */
        size_t len;
        uint8_t buf[HB_OUTPUT_MAX_LEN];
} pump_msg_t;

typedef struct {
        uint64_t send[256];     /* node 0's class beats: send time, */
        uint32_t iv[256];       /* interval and next interval, µs */
        uint32_t next[256];
        size_t n;
        uint64_t ev_at[32];     /* node 0's HB_EVENT_INTERVAL */
        uint64_t ev_old[32], ev_new[32];
        size_t n_ev;
        int suspicions;
} pump_rec_t;

static void pump_event(void *user, const hb_event_t *ev)
{
        pump_rec_t *r = user;

        if (ev->type == HB_EVENT_INTERVAL && r->n_ev < 32) {
                assert_int_equal(ev->class_idx, 1);
                assert_true(ev->rtt_max_ns >= 200 * MS);
                r->ev_at[r->n_ev] = ev->at_ns;
                r->ev_old[r->n_ev] = ev->old_interval_ns;
                r->ev_new[r->n_ev++] = ev->new_interval_ns;
        }
        if (ev->type == HB_EVENT_PEER_STATE &&
            (ev->new_state == HB_PEER_SUSPECT ||
             ev->new_state == HB_PEER_DEAD))
                r->suspicions++;
}

/* Within the pump's 1 ms step. */
static bool near(uint64_t a, uint64_t b)
{
        return a + MS > b && a < b + MS;
}

/* Node 0's heartbeat `buf`: note its INTERVAL TLV. */
static void note_beat(pump_rec_t *r, const uint8_t *buf, size_t len,
                      uint64_t now)
{
        uint8_t plain[HB_WIRE_MAX_LEN];
        hb_keyring_t ring = { 0 };
        hb_key_t kk = key();
        hb_wire_msg_t m;
        const uint8_t *cur, *val;
        size_t left;
        uint16_t type, vlen;

        assert_int_equal(hb_keyring_add(&ring, 0, &kk, HB_WIRE_MODE_MAC), 0);
        assert_int_equal(hb_wire_decode(&m, buf, len, 7, &ring, plain,
                                        sizeof(plain)), 0);
        if (m.type != HB_MSG_HEARTBEAT || r->n >= 256)
                return;
        cur = m.tlv;
        left = m.tlv_len;
        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0) {
                if (type != HB_TLV_INTERVAL)
                        continue;
                r->send[r->n] = now;
                r->iv[r->n] = (uint32_t)val[0] << 24 |
                              (uint32_t)val[1] << 16 |
                              (uint32_t)val[2] << 8 | val[3];
                r->next[r->n] = (uint32_t)val[4] << 24 |
                                (uint32_t)val[5] << 16 |
                                (uint32_t)val[6] << 8 | val[7];
                r->n++;
        }
}

/*
 * Two nodes 100 ms apart each way, each the other's only peer in an
 * adaptive class (200 ms .. 5 s from 500 ms, fixed detector): the
 * interval rises towards 10 x RTT (2 s); each rise is an event, carried
 * as next_interval on exactly 3 heartbeats still sent at the old
 * interval, then taken; the receiver expects it from the first notice
 * and suspects nothing.
 */
static void t_adaptive_announce(void **state)
{
        hb_node_config_t c[2];
        hb_node_t *n[2];
        pump_rec_t rec[2];
        static pump_msg_t q[PUMP_Q];
        size_t nq = 0, ev = 0, rises = 0;
        hb_peer_info_t pi;

        (void)state;
        memset(rec, 0, sizeof(rec));
        for (int i = 0; i < 2; i++) {
                c[i] = cfg_of((uint32_t)i + 1, 100 * MS);
                c[i].rtt_probe_every = 1;
                hb_class_config_default(&c[i].classes[0], HB_DETECTOR_FIXED,
                                        500 * MS);
                hb_class_adaptive_default(&c[i].classes[0].adaptive,
                                          200 * MS, 5000 * MS);
                c[i].classes[0].adaptive.dampening_ns = 2000 * MS;
                assert_int_equal(hb_node_new(&n[i], &c[i], pump_event,
                                             &rec[i]), 0);
                assert_int_equal(hb_node_peer_add(n[i], 2 - (uint32_t)i, T0),
                                 0);
                assert_int_equal(hb_node_peer_set_class(n[i],
                                                        2 - (uint32_t)i, 1,
                                                        T0), 0);
        }
        for (uint64_t t = T0; t < T0 + 40000 * MS; t += MS) {
                for (size_t k = 0; k < nq;) {
                        if (q[k].at > t) {
                                k++;
                                continue;
                        }
                        (void)hb_node_recv(n[q[k].to], t, q[k].buf, q[k].len,
                                           NULL);
                        q[k] = q[--nq];
                }
                for (int i = 0; i < 2; i++) {
                        hb_output_t out;
                        uint8_t buf[HB_OUTPUT_MAX_LEN];
                        int len;

                        hb_node_tick(n[i], t);
                        while ((len = hb_node_poll_output(n[i], &out, buf,
                                                          sizeof(buf))) > 0) {
                                if (i == 0)
                                        note_beat(&rec[0], buf, (size_t)len,
                                                  t);
                                assert_true(nq < PUMP_Q);
                                q[nq].at = t + 100 * MS;
                                q[nq].to = 1 - (uint32_t)i;
                                q[nq].len = (size_t)len;
                                memcpy(q[nq].buf, buf, (size_t)len);
                                nq++;
                        }
                }
        }
        assert_int_equal(rec[0].suspicions + rec[1].suspicions, 0);
        assert_true(rec[0].n_ev >= 2);
        /* Each rise: the first beat at or after its event carries it as
         * next on 3 beats at the old interval, then it is taken. */
        for (size_t e = 0; e < rec[0].n_ev; e++) {
                uint32_t o = (uint32_t)(rec[0].ev_old[e] / 1000);
                uint32_t w = (uint32_t)(rec[0].ev_new[e] / 1000);
                size_t b = 0;

                if (w < o)
                        continue;
                rises++;
                while (b < rec[0].n && rec[0].send[b] < rec[0].ev_at[e])
                        b++;
                assert_true(b + 3 < rec[0].n);
                for (size_t k = 0; k < 3; k++) {
                        assert_int_equal(rec[0].iv[b + k], o);
                        assert_int_equal(rec[0].next[b + k], w);
                        if (k > 0)
                                assert_true(near(rec[0].send[b + k] -
                                                         rec[0].send[b + k -
                                                                     1],
                                                 (uint64_t)o * 1000));
                }
                /* Taken (the next rise may be announced at once: the
                 * evaluation waited for the announcements). */
                assert_int_equal(rec[0].iv[b + 3], w);
                assert_true(rec[0].next[b + 3] >= w);
                assert_true(near(rec[0].send[b + 3] - rec[0].send[b + 2],
                                 (uint64_t)w * 1000));
                ev++;
        }
        assert_true(rises >= 2);
        assert_int_equal(ev, rises);
        /* The receiver follows the sender's current interval. */
        assert_int_equal(hb_node_peer_info(n[1], 1, T0 + 40000 * MS, &pi),
                         0);
        assert_int_equal(pi.interval_ns, hb_node_class_interval_ns(n[0], 1));
        assert_true(pi.interval_ns >= 1500 * MS);
        for (int i = 0; i < 2; i++)
                hb_node_free(n[i]);
}

/* The first time a node became a candidate (HB_EVENT_ROLE). */
static void record_candidate(void *user, const hb_event_t *ev)
{
        uint64_t *at = user;

        if (ev->type == HB_EVENT_ROLE && ev->new_role == HB_ROLE_CANDIDATE &&
            *at == 0)
                *at = ev->at_ns;
}

/*
 * docs/classes.md, "Election and per-class timing": the election's
 * liveness timings count in the slowest class that holds a voter. Node 1
 * (100 ms) with a local voter 2 (beating) and a remote voter 3 (class 1,
 * 1 s, never heard): it listens 4 x 1 s before it stands. With the remote
 * peer given no vote, 4 x 100 ms. promise_max covers the slowest class.
 */
static uint64_t first_candidacy(uint32_t remote_votes)
{
        hb_node_config_t c1 = cfg_of(1, 100 * MS);
        hb_node_config_t c2 = cfg_of(2, 100 * MS);
        hb_node_t *a, *b;
        uint64_t at = 0, now;

        c1.coord.enabled = true;
        assert_int_equal(hb_node_new(&a, &c1, record_candidate, &at), 0);
        assert_int_equal(hb_node_new(&b, &c2, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(a, 2, T0), 0);
        assert_int_equal(hb_node_peer_add(a, 3, T0), 0);
        assert_int_equal(hb_node_peer_set_class(a, 3, 1, T0), 0);
        assert_int_equal(hb_node_peer_set_votes(a, 3, remote_votes), 0);
        assert_int_equal(hb_node_peer_add(b, 1, T0), 0);
        /* No earlier run's promises to wait out. */
        assert_int_equal(hb_node_restore_promise(a, T0), 0);
        for (now = T0; now < T0 + 8000 * MS && at == 0; now += 50 * MS) {
                if ((now - T0) % (100 * MS) == 0)
                        beat(b, a, now);
                hb_node_tick(a, now);
        }
        hb_node_free(a);
        hb_node_free(b);
        assert_true(at != 0);
        return at - T0;
}

static void t_election_timing(void **state)
{
        hb_node_config_t one = cfg_of(1, 100 * MS);
        hb_node_config_t slow;
        uint64_t with, without;

        (void)state;
        /* Listening before standing: the remote voter's 1 s, or 100 ms. */
        with = first_candidacy(1);
        without = first_candidacy(0);
        assert_true(with >= 4000 * MS);
        assert_true(without < 1000 * MS);

        /* promise_max: the remote class's, as if it were the node's. */
        hb_node_config_default(&slow, HB_DETECTOR_FIXED, 1000 * MS);
        assert_int_equal(hb_coord_promise_max(&one, &with), 0);
        assert_int_equal(hb_coord_promise_max(&slow, &without), 0);
        assert_int_equal(with, without);
        one.n_classes = 0;
        assert_int_equal(hb_coord_promise_max(&one, &without), 0);
        assert_true(without < with);
        /* An adaptive class counts at its slowest. */
        one.n_classes = 1;
        hb_class_adaptive_default(&one.classes[0].adaptive, 500 * MS,
                                  4000 * MS);
        assert_int_equal(hb_coord_promise_max(&one, &without), 0);
        assert_true(without >= 4 * with - 4 * MS);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_config),
                cmocka_unit_test(t_set_class_errors),
                cmocka_unit_test(t_detection_per_class),
                cmocka_unit_test(t_reconfigure),
                cmocka_unit_test(t_send_schedule),
                cmocka_unit_test(t_interval_tlv),
                cmocka_unit_test(t_interval_tlv_sent),
                cmocka_unit_test(t_announced_interval),
                cmocka_unit_test(t_link_class_seq),
                cmocka_unit_test(t_echo_per_class),
                cmocka_unit_test(t_adaptive_announce),
                cmocka_unit_test(t_election_timing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
