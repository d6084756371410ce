/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the node core: peer state machine, replay protection,
 * deadlines, peer table, reconfiguration, allocation failures.
 * Fake clock: every time is a literal; nothing sleeps.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "failalloc.h"
#include "hbeat/hbeat.h"

#define MS HB_NS_PER_MS
#define T0 (1000 * HB_NS_PER_S) /* arbitrary monotonic origin */

#define MAX_EVENTS 64

typedef struct recorder {
        hb_event_t ev[MAX_EVENTS];
        size_t n;
} recorder_t;

static void record(void *user, const hb_event_t *ev)
{
        recorder_t *r = user;

        assert_true(r->n < MAX_EVENTS);
        r->ev[r->n++] = *ev;
}

static hb_key_t test_key(uint8_t fill)
{
        hb_key_t k;

        memset(k.bytes, fill, sizeof(k.bytes));
        return k;
}

/* Fixed detector, 100 ms: suspect at 3 missed intervals, dead at 5. */
static hb_node_config_t fixed_cfg(uint32_t id, uint64_t incarnation)
{
        hb_node_config_t c;

        hb_node_config_default(&c, HB_DETECTOR_FIXED, 100 * MS);
        c.cluster_id = 7;
        c.node_id = id;
        c.incarnation = incarnation;
        c.key = test_key(0x42);
        c.dead_after_ns = 0;
        c.probation_ns = 500 * MS;
        /* The tests jump their fake clock past this node's own heartbeat
         * slots: that is not a local pause. */
        c.local_pause_ns = 0;
        return c;
}

/* The next message `n` queued for destination `dest` (others skipped),
 * copied into buf; its length, or 0 if there is none. */
static int take(hb_node_t *n, hb_dest_t dest, uint8_t *buf, size_t cap)
{
        hb_output_t out;
        int len;

        while ((len = hb_node_poll_output(n, &out, buf, cap)) > 0)
                if (out.dest == dest)
                        return len;
        return len;
}

/* A heartbeat from `n` sent at `now`, as a peer would receive it; its
 * length, or -ENOBUFS if cap is too small for it (it stays queued). */
static int build_hb(hb_node_t *n, uint64_t now, uint8_t *buf, size_t cap)
{
        assert_int_equal(hb_node_heartbeat_now(n, now), 0);
        return take(n, HB_DEST_ALL, buf, cap);
}

/* The same for a leave. */
static int build_leave(hb_node_t *n, uint64_t now, uint8_t *buf,
                       size_t cap)
{
        assert_int_equal(hb_node_leave(n, now), 0);
        return take(n, HB_DEST_ALL, buf, cap);
}

/* The ring of a node in the one-key form: `key` as id 0. */
static const hb_keyring_t *ring_of(const hb_key_t *key)
{
        static hb_keyring_t ring;

        memset(&ring, 0, sizeof(ring));
        assert_int_equal(hb_keyring_add(&ring, 0, key, HB_WIRE_MODE_MAC), 0);
        return &ring;
}

typedef struct pair {
        hb_node_t *a;    /* observer, id 1 */
        hb_node_t *b;    /* observed, id 2 */
        recorder_t rec;  /* a's events */
} pair_t;

static void pair_init(pair_t *t, const hb_node_config_t *ca)
{
        hb_node_config_t cb = fixed_cfg(2, 1000);

        memset(t, 0, sizeof(*t));
        assert_int_equal(hb_node_new(&t->a, ca, record, &t->rec), 0);
        assert_int_equal(hb_node_new(&t->b, &cb, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(t->a, 2, T0), 0);
        /* The observer sends nothing here: without a heartbeat schedule
         * of its own, its next deadline is its peer's alone. */
        assert_int_equal(hb_node_leave(t->a, T0), 0);
}

static void pair_free(pair_t *t)
{
        hb_node_free(t->a);
        hb_node_free(t->b);
}

/* b sends a heartbeat that a receives at `now`. */
static int beat(pair_t *t, uint64_t now)
{
        uint8_t buf[HB_WIRE_MAX_LEN];
        int n = build_hb(t->b, now, buf, sizeof(buf));

        assert_true(n > 0);
        return hb_node_recv(t->a, now, buf, (size_t)n, NULL);
}

static hb_peer_state_t state_of(hb_node_t *n, uint32_t id, uint64_t now)
{
        hb_peer_info_t pi;

        assert_int_equal(hb_node_peer_info(n, id, now, &pi), 0);
        return pi.state;
}

static void expect_event(const recorder_t *r, size_t i, hb_peer_state_t from,
                         hb_peer_state_t to, hb_reason_t why, uint64_t at)
{
        assert_true(i < r->n);
        assert_int_equal(r->ev[i].type, HB_EVENT_PEER_STATE);
        assert_int_equal(r->ev[i].peer_id, 2);
        assert_int_equal(r->ev[i].old_state, from);
        assert_int_equal(r->ev[i].new_state, to);
        assert_int_equal(r->ev[i].reason, why);
        assert_int_equal(r->ev[i].at_ns, at);
}

/* ------------------------------------------------------------------ */

static void test_config_validation(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_t *n = (hb_node_t *)0x1;

        (void)state;
        assert_int_equal(hb_node_config_validate(&c), 0);
        c.node_id = 0;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), -EINVAL);
        assert_ptr_equal(n, (hb_node_t *)0x1); /* untouched on failure */
        c = fixed_cfg(1, 1);
        c.dead_threshold = 2; /* below suspect (3) */
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = fixed_cfg(1, 1);
        c.interval_ns = 0;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = fixed_cfg(1, 1);
        c.suspect_threshold = NAN;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = fixed_cfg(1, 1);
        c.probation_ns = 3601 * HB_NS_PER_S;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        /* ABI: a struct not made by hb_node_config_default(), or reserved
         * room a later version's settings would use. */
        c = fixed_cfg(1, 1);
        c.size = sizeof(c) - 8;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = fixed_cfg(1, 1);
        c.detector.reserved[7] = 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c = fixed_cfg(1, 1);
        c.coord.reserved[0] = 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);

        hb_node_config_default(&c, HB_DETECTOR_PHI, 200 * MS);
        assert_true(c.suspect_threshold == 8.0);
        assert_true(c.dead_threshold == 50.0);
        assert_int_equal(c.dead_after_ns, 800 * MS);
        assert_int_equal(c.probation_ns, 1000 * MS);
        assert_int_equal(c.detector.interval_ns, 200 * MS);
}

static void test_peer_table_errors(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_t *n;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 0, T0), -EINVAL);
        assert_int_equal(hb_node_peer_add(n, 1, T0), -EINVAL);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), -EEXIST);
        assert_int_equal(hb_node_peer_remove(n, 3), -ENOENT);
        assert_int_equal(hb_node_peer_remove(n, 2), 0);
        assert_int_equal(hb_node_peer_count(n), 0);
        /* No peers, but its first heartbeat is due at once. */
        assert_int_equal(hb_node_next_deadline(n), 0);
        hb_node_free(n);
        hb_node_free(NULL);
}

static void test_alive_suspect_dead(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        pair_t t;
        uint64_t now = T0;
        int i;

        (void)state;
        pair_init(&t, &c);
        assert_int_equal(state_of(t.a, 2, now), HB_PEER_UNKNOWN);

        assert_int_equal(beat(&t, now), 0);
        expect_event(&t.rec, 0, HB_PEER_UNKNOWN, HB_PEER_ALIVE,
                     HB_REASON_HEARTBEAT, now);
        for (i = 0; i < 10; i++) {
                now += 100 * MS;
                assert_int_equal(beat(&t, now), 0);
        }
        assert_int_equal(t.rec.n, 1);
        /* Fixed detector: suspect exactly 3 intervals after the last. */
        assert_int_equal(hb_node_next_deadline(t.a), now + 300 * MS);

        hb_node_tick(t.a, now + 299 * MS);
        assert_int_equal(t.rec.n, 1);
        hb_node_tick(t.a, now + 300 * MS);
        assert_int_equal(t.rec.n, 2);
        expect_event(&t.rec, 1, HB_PEER_ALIVE, HB_PEER_SUSPECT,
                     HB_REASON_SUSPECT_THRESHOLD, now + 300 * MS);
        assert_true(fabs(t.rec.ev[1].suspicion - 3.0) < 1e-9);
        assert_int_equal(t.rec.ev[1].last_arrival_ns, now);

        assert_int_equal(hb_node_next_deadline(t.a), now + 500 * MS);
        hb_node_tick(t.a, now + 500 * MS);
        expect_event(&t.rec, 2, HB_PEER_SUSPECT, HB_PEER_DEAD,
                     HB_REASON_DEAD_THRESHOLD, now + 500 * MS);
        assert_int_equal(hb_node_next_deadline(t.a), HB_NEVER);
        pair_free(&t);
}

static void test_dead_after(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        pair_t t;

        (void)state;
        c.dead_after_ns = 150 * MS;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        hb_node_tick(t.a, T0 + 300 * MS);
        assert_int_equal(state_of(t.a, 2, T0 + 300 * MS), HB_PEER_SUSPECT);
        assert_int_equal(hb_node_next_deadline(t.a), T0 + 450 * MS);
        hb_node_tick(t.a, T0 + 450 * MS);
        expect_event(&t.rec, 2, HB_PEER_SUSPECT, HB_PEER_DEAD,
                     HB_REASON_DEAD_AFTER, T0 + 450 * MS);
        pair_free(&t);
}

static void test_suspect_recovers(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        pair_t t;

        (void)state;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        hb_node_tick(t.a, T0 + 350 * MS);
        assert_int_equal(state_of(t.a, 2, T0 + 350 * MS), HB_PEER_SUSPECT);
        assert_int_equal(beat(&t, T0 + 400 * MS), 0);
        expect_event(&t.rec, 2, HB_PEER_SUSPECT, HB_PEER_ALIVE,
                     HB_REASON_HEARTBEAT, T0 + 400 * MS);
        assert_int_equal(hb_node_next_deadline(t.a), T0 + 700 * MS);
        pair_free(&t);
}

static void test_probation(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        pair_t t;
        uint64_t now;

        (void)state;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        hb_node_tick(t.a, T0 + 10 * HB_NS_PER_S); /* alive->suspect->dead */
        assert_int_equal(t.rec.n, 3);
        expect_event(&t.rec, 1, HB_PEER_ALIVE, HB_PEER_SUSPECT,
                     HB_REASON_SUSPECT_THRESHOLD, T0 + 10 * HB_NS_PER_S);
        expect_event(&t.rec, 2, HB_PEER_SUSPECT, HB_PEER_DEAD,
                     HB_REASON_DEAD_THRESHOLD, T0 + 10 * HB_NS_PER_S);

        /* Comes back (same incarnation): probation, history reset. */
        now = T0 + 20 * HB_NS_PER_S;
        assert_int_equal(beat(&t, now), 0);
        expect_event(&t.rec, 3, HB_PEER_DEAD, HB_PEER_PROBATION,
                     HB_REASON_HEARTBEAT, now);
        assert_true(t.rec.ev[3].suspicion == 0.0);
        assert_int_equal(t.rec.ev[3].last_arrival_ns, now);
        /* Silent during probation: back to dead at the suspect threshold. */
        assert_int_equal(hb_node_next_deadline(t.a), now + 300 * MS);
        hb_node_tick(t.a, now + 300 * MS);
        expect_event(&t.rec, 4, HB_PEER_PROBATION, HB_PEER_DEAD,
                     HB_REASON_SUSPECT_THRESHOLD, now + 300 * MS);

        /* Back again, steady this time: alive after 500 ms. */
        now += HB_NS_PER_S;
        assert_int_equal(beat(&t, now), 0);
        expect_event(&t.rec, 5, HB_PEER_DEAD, HB_PEER_PROBATION,
                     HB_REASON_HEARTBEAT, now);
        for (int i = 1; i <= 4; i++) {
                assert_int_equal(beat(&t, now + (uint64_t)i * 100 * MS), 0);
                hb_node_tick(t.a, now + (uint64_t)i * 100 * MS);
        }
        assert_int_equal(t.rec.n, 6);
        assert_int_equal(hb_node_next_deadline(t.a), now + 500 * MS);
        hb_node_tick(t.a, now + 500 * MS);
        expect_event(&t.rec, 6, HB_PEER_PROBATION, HB_PEER_ALIVE,
                     HB_REASON_PROBATION_PASSED, now + 500 * MS);
        pair_free(&t);
}

static void test_never_heard(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        pair_t t;

        (void)state;
        pair_init(&t, &c);
        /* Unknown peers go straight to dead at the dead threshold. */
        assert_int_equal(hb_node_next_deadline(t.a), T0 + 500 * MS);
        hb_node_tick(t.a, T0 + 500 * MS);
        assert_int_equal(t.rec.n, 1);
        expect_event(&t.rec, 0, HB_PEER_UNKNOWN, HB_PEER_DEAD,
                     HB_REASON_NEVER_HEARD, T0 + 500 * MS);
        assert_int_equal(t.rec.ev[0].incarnation, 0);
        assert_int_equal(t.rec.ev[0].last_arrival_ns, HB_NEVER);
        pair_free(&t);
}

/* Port unreachable (process exit): dead at once, only from a state in
 * which the peer was heard; ignored when not trusted. */
static void test_port_unreachable(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_counters_t k;
        pair_t t;

        (void)state;
        pair_init(&t, &c);
        /* Unknown (maybe not started yet): unchanged. */
        assert_int_equal(hb_node_peer_unreachable(t.a, 2, T0), 0);
        assert_int_equal(t.rec.n, 0);
        assert_int_equal(hb_node_peer_unreachable(t.a, 9, T0), -ENOENT);
        assert_int_equal(hb_node_peer_unreachable(NULL, 2, T0), -EINVAL);
        assert_int_equal(beat(&t, T0), 0);
        assert_int_equal(t.rec.n, 1); /* unknown -> alive */
        /* Alive, 30 ms after a heartbeat: dead now, no suspect first. */
        assert_int_equal(hb_node_peer_unreachable(t.a, 2, T0 + 30 * MS), 1);
        assert_int_equal(t.rec.n, 2);
        expect_event(&t.rec, 1, HB_PEER_ALIVE, HB_PEER_DEAD,
                     HB_REASON_PORT_UNREACHABLE, T0 + 30 * MS);
        assert_string_equal(hb_reason_name(HB_REASON_PORT_UNREACHABLE),
                            "port_unreachable");
        /* Dead already: nothing more; no timer for it. */
        assert_int_equal(hb_node_peer_unreachable(t.a, 2, T0 + 40 * MS), 0);
        assert_int_equal(t.rec.n, 2);
        assert_int_equal(hb_node_next_deadline(t.a), HB_NEVER);
        /* It comes back (restarted or not): probation as usual, and
         * probation is cut short by another exit. */
        assert_int_equal(beat(&t, T0 + HB_NS_PER_S), 0);
        expect_event(&t.rec, 2, HB_PEER_DEAD, HB_PEER_PROBATION,
                     HB_REASON_HEARTBEAT, T0 + HB_NS_PER_S);
        assert_int_equal(hb_node_peer_unreachable(t.a, 2,
                                                  T0 + HB_NS_PER_S + MS), 1);
        expect_event(&t.rec, 3, HB_PEER_PROBATION, HB_PEER_DEAD,
                     HB_REASON_PORT_UNREACHABLE, T0 + HB_NS_PER_S + MS);
        hb_node_counters(t.a, &k);
        assert_int_equal(k.port_unreachable, 4);
        pair_free(&t);

        /* Not trusted: counted, ignored. */
        c.trust_port_unreachable = false;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        assert_int_equal(hb_node_peer_unreachable(t.a, 2, T0 + 30 * MS), 0);
        assert_int_equal(t.rec.n, 1);
        hb_node_counters(t.a, &k);
        assert_int_equal(k.port_unreachable, 1);
        pair_free(&t);
}

/* An ICMP read off a socket counts only when its quote is a recent
 * message of this node: the forgeries a host that never saw our traffic
 * can make are refused, counted, and change nothing. */
static void test_port_unreachable_quoted(void **state)
{
        hb_node_config_t ca = fixed_cfg(1, 5), cb = fixed_cfg(2, 1000);
        hb_node_config_t old = fixed_cfg(1, 4), rogue = fixed_cfg(1, 5);
        uint8_t mine[HB_WIRE_MAX_LEN], theirs[HB_WIRE_MAX_LEN];
        uint8_t stale[HB_WIRE_MAX_LEN], forged[HB_WIRE_MAX_LEN];
        uint8_t junk[HB_WIRE_HEARTBEAT_LEN];
        hb_node_t *a, *b, *prev, *other;
        hb_node_counters_t k;
        hb_wire_msg_t m;
        recorder_t rec;
        int n_mine, n_theirs, n_stale, n_forged, r;
        const uint64_t t1 = T0 + 10 * MS;

        (void)state;
        memset(&rec, 0, sizeof(rec));
        assert_int_equal(hb_node_new(&a, &ca, record, &rec), 0);
        assert_int_equal(hb_node_new(&b, &cb, NULL, NULL), 0);
        assert_int_equal(hb_node_new(&prev, &old, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(a, 2, T0), 0);
        n_theirs = build_hb(b, T0, theirs, sizeof(theirs));
        assert_int_equal(hb_node_recv(a, T0, theirs, (size_t)n_theirs, NULL),
                         0);
        assert_int_equal(rec.n, 1); /* unknown -> alive */
        n_mine = build_hb(a, t1, mine, sizeof(mine));
        /* Our own heartbeat, from our previous incarnation. */
        n_stale = build_hb(prev, t1, stale, sizeof(stale));
        /* Signed with the cluster key, our id and incarnation, but a
         * sequence we never used (only a key holder can do this). */
        assert_int_equal(hb_wire_decode(&m, mine, (size_t)n_mine, 7,
                                        ring_of(&ca.key), NULL, 0),
                         0);
        m.seq += 100;
        n_forged = hb_wire_encode(forged, sizeof(forged), &m,
                                  ring_of(&ca.key), NULL);
        assert_true(n_forged > 0);
        memset(junk, 0xa5, sizeof(junk));

        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, theirs,
                                                         (size_t)n_theirs,
                                                         t1 + MS),
                         HB_ENOTOURS);
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, stale,
                                                         (size_t)n_stale,
                                                         t1 + MS),
                         HB_ENOTOURS);
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, forged,
                                                         (size_t)n_forged,
                                                         t1 + MS),
                         HB_ENOTOURS);
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, NULL, 0,
                                                         t1 + MS),
                         HB_ENOTOURS);
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, junk,
                                                         sizeof(junk),
                                                         t1 + MS),
                         HB_EBADMAGIC);
        /* RFC 792's minimum quote: 8 bytes of the datagram. */
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, mine, 8,
                                                         t1 + MS),
                         HB_ETRUNC);
        /* Another cluster key (a node of another cluster quoting its
         * own traffic). */
        rogue.key = test_key(0x43);
        assert_int_equal(hb_node_new(&other, &rogue, NULL, NULL), 0);
        r = build_hb(other, t1, stale, sizeof(stale));
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, stale,
                                                         (size_t)r, t1 + MS),
                         HB_EBADTAG);
        hb_node_free(other);
        /* Ours, but sent before `now` by more than 4 intervals (400 ms):
         * an old ICMP replayed; and "sent" after `now`. */
        assert_int_equal(hb_node_peer_unreachable_quoted(
                                 a, 2, mine, (size_t)n_mine,
                                 t1 + 400 * MS + 1),
                         HB_ENOTOURS);
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, mine,
                                                         (size_t)n_mine,
                                                         t1 - 1),
                         HB_ENOTOURS);
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 9, mine,
                                                         (size_t)n_mine,
                                                         t1 + MS),
                         -ENOENT);
        assert_int_equal(hb_node_peer_unreachable_quoted(NULL, 2, mine,
                                                         (size_t)n_mine,
                                                         t1 + MS),
                         -EINVAL);
        assert_int_equal(rec.n, 1); /* nothing changed */
        hb_node_counters(a, &k);
        assert_int_equal(k.port_unreachable, 9);
        assert_int_equal(k.port_unreachable_rejected, 9);

        /* The real thing: our heartbeat, quoted back one RTT later. */
        assert_int_equal(hb_node_peer_unreachable_quoted(a, 2, mine,
                                                         (size_t)n_mine,
                                                         t1 + 400 * MS),
                         1);
        assert_int_equal(rec.n, 2);
        expect_event(&rec, 1, HB_PEER_ALIVE, HB_PEER_DEAD,
                     HB_REASON_PORT_UNREACHABLE, t1 + 400 * MS);
        hb_node_counters(a, &k);
        assert_int_equal(k.port_unreachable, 10);
        assert_int_equal(k.port_unreachable_rejected, 9);
        hb_node_free(a);
        hb_node_free(b);
        hb_node_free(prev);
}

static void test_leave_and_return(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_recv_info_t info;
        pair_t t;
        int n;

        (void)state;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        n = build_leave(t.b, T0 + 50 * MS, buf, sizeof(buf));
        assert_int_equal(n, HB_WIRE_HEARTBEAT_LEN);
        assert_int_equal(hb_node_recv(t.a, T0 + 50 * MS, buf, (size_t)n,
                                      &info),
                         0);
        assert_int_equal(info.type, HB_MSG_LEAVE);
        assert_int_equal(info.sender_id, 2);
        expect_event(&t.rec, 1, HB_PEER_ALIVE, HB_PEER_LEFT, HB_REASON_LEAVE,
                     T0 + 50 * MS);
        assert_int_equal(hb_node_next_deadline(t.a), HB_NEVER);
        hb_node_tick(t.a, T0 + 100 * HB_NS_PER_S);
        assert_int_equal(t.rec.n, 2); /* left peers are never declared dead */

        /* The same bytes again are a replay, not a second leave. */
        assert_int_equal(hb_node_recv(t.a, T0 + 60 * MS, buf, (size_t)n,
                                      NULL),
                         HB_EREPLAY);
        assert_int_equal(beat(&t, T0 + HB_NS_PER_S), 0);
        expect_event(&t.rec, 2, HB_PEER_LEFT, HB_PEER_PROBATION,
                     HB_REASON_HEARTBEAT, T0 + HB_NS_PER_S);
        pair_free(&t);
}

static void test_restart_new_incarnation(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_config_t cb2 = fixed_cfg(2, 2000);
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_node_t *b2;
        hb_peer_info_t pi;
        pair_t t;
        int n;

        (void)state;
        pair_init(&t, &c);
        for (int i = 0; i < 5; i++)
                assert_int_equal(beat(&t, T0 + (uint64_t)i * 100 * MS), 0);

        assert_int_equal(hb_node_new(&b2, &cb2, NULL, NULL), 0);
        n = build_hb(b2, T0 + 450 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(t.a, T0 + 450 * MS, buf, (size_t)n,
                                      NULL),
                         0);
        expect_event(&t.rec, 1, HB_PEER_ALIVE, HB_PEER_PROBATION,
                     HB_REASON_RESTART, T0 + 450 * MS);
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + 450 * MS, &pi), 0);
        assert_int_equal(pi.incarnation, 2000);
        assert_int_equal(pi.last_seq, 1);

        /* The old incarnation is now stale, even with a higher seq, and
         * said so apart from replays (review F6). */
        assert_int_equal(beat(&t, T0 + 460 * MS), HB_EOLDINC);
        assert_int_equal(hb_node_dropped(t.a, HB_EOLDINC), 1);
        assert_int_equal(hb_node_dropped(t.a, HB_EREPLAY), 0);
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + 460 * MS, &pi), 0);
        assert_int_equal(pi.old_incarnations, 1);
        hb_node_free(b2);
        pair_free(&t);
}

/* A driver's answer for hb_recv_source_t: the datagram came from the
 * address of peer *ctx (0: from no peer's). Records who was asked. */
static uint32_t source_asked;

static bool from_peer_at(const void *ctx, uint32_t peer_id)
{
        source_asked = peer_id;
        return *(const uint32_t *)ctx == peer_id;
}

/*
 * Review F8: authentic heartbeats relayed from another address must not
 * keep a peer alive whose own path is cut; a roaming peer may move.
 */
static void test_source_checked(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        uint8_t buf[HB_WIRE_MAX_LEN];
        const uint32_t relay = 0, peer2 = 2;
        const hb_recv_source_t from_relay = { from_peer_at, &relay };
        const hb_recv_source_t from_2 = { from_peer_at, &peer2 };
        const hb_recv_source_t broken = { NULL, &peer2 };
        hb_peer_info_t pi;
        pair_t t;
        int n;

        (void)state;
        pair_init(&t, &c);
        n = build_hb(t.b, T0, buf, sizeof(buf));
        assert_int_equal(hb_node_recv_from(t.a, T0, buf, (size_t)n,
                                           &from_relay, NULL),
                         HB_EBADSRC);
        assert_int_equal(source_asked, 2); /* the authenticated sender */
        assert_int_equal(state_of(t.a, 2, T0), HB_PEER_UNKNOWN);
        assert_int_equal(t.rec.n, 0);
        /* Nothing was taken from it: the same bytes from the peer's own
         * address are still new. */
        assert_int_equal(hb_node_recv_from(t.a, T0, buf, (size_t)n, &from_2,
                                           NULL),
                         0);
        assert_int_equal(state_of(t.a, 2, T0), HB_PEER_ALIVE);
        /* Not checked (hb_node_recv()). */
        n = build_hb(t.b, T0 + 100 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv_from(t.a, T0 + 100 * MS, buf,
                                           (size_t)n, NULL, NULL),
                         0);
        /* A forgery is dropped before anyone is asked. */
        source_asked = 99;
        buf[n - 1] ^= 1;
        assert_int_equal(hb_node_recv_from(t.a, T0 + 100 * MS, buf,
                                           (size_t)n, &from_relay, NULL),
                         HB_EBADTAG);
        assert_int_equal(source_asked, 99);
        /* Roaming: any address. */
        assert_int_equal(hb_node_peer_set_roaming(t.a, 2, true), 0);
        n = build_hb(t.b, T0 + 200 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv_from(t.a, T0 + 200 * MS, buf,
                                           (size_t)n, &from_relay, NULL),
                         0);
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + 200 * MS, &pi), 0);
        assert_true(pi.roaming);
        assert_int_equal(pi.bad_sources, 1);
        assert_int_equal(pi.received, 3);
        assert_int_equal(hb_node_dropped(t.a, HB_EBADSRC), 1);
        assert_int_equal(hb_node_peer_set_roaming(t.a, 9, true), -ENOENT);
        assert_int_equal(hb_node_recv_from(t.a, T0, buf, (size_t)n, &broken,
                                           NULL),
                         -EINVAL);
        pair_free(&t);
}

/*
 * Review F9: one authentic message with a huge incarnation made its
 * sender dead for good. A new incarnation may be at most
 * incarnation_ahead_max ahead of the receiver's wall clock; the operator
 * can forget a peer's incarnation (F6, F9).
 */
static void test_incarnation_bound_and_forget(void **state)
{
        const uint64_t wall_ns = 1700000000ull * HB_NS_PER_S;
        const uint64_t wall_us = wall_ns / 1000;
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_config_t cf = fixed_cfg(2, UINT64_MAX);
        hb_node_config_t cn = fixed_cfg(2, wall_us + 3000000000ull);
        hb_node_config_t cr = fixed_cfg(2, wall_us - 60000000ull);
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_node_t *forger, *near, *stepped;
        hb_peer_info_t pi;
        pair_t t;
        int n;

        (void)state;
        c.incarnation_ahead_max_ns = 3600 * HB_NS_PER_S;
        pair_init(&t, &c);
        assert_int_equal(hb_node_new(&forger, &cf, NULL, NULL), 0);
        assert_int_equal(hb_node_new(&near, &cn, NULL, NULL), 0);
        assert_int_equal(hb_node_new(&stepped, &cr, NULL, NULL), 0);
        /* No wall clock given yet: no bound. */
        assert_int_equal(beat(&t, T0), 0); /* incarnation 1000 */
        hb_node_set_wall_clock(t.a, wall_ns);
        /* 2^64-1 is refused; the peer's current incarnation goes on. */
        n = build_hb(forger, T0 + 10 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(t.a, T0 + 10 * MS, buf, (size_t)n,
                                      NULL),
                         HB_EFUTUREINC);
        assert_int_equal(hb_node_dropped(t.a, HB_EFUTUREINC), 1);
        assert_int_equal(beat(&t, T0 + 100 * MS), 0);
        /* 50 min ahead is within the hour: accepted, a restart. */
        n = build_hb(near, T0 + 150 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(t.a, T0 + 150 * MS, buf, (size_t)n,
                                      NULL),
                         0);
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + 150 * MS, &pi), 0);
        assert_int_equal(pi.incarnation, wall_us + 3000000000ull);
        /* Its current incarnation stays accepted when this node's clock
         * steps back. */
        hb_node_set_wall_clock(t.a, wall_ns - 7200 * HB_NS_PER_S);
        n = build_hb(near, T0 + 200 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(t.a, T0 + 200 * MS, buf, (size_t)n,
                                      NULL),
                         0);
        hb_node_set_wall_clock(t.a, wall_ns);
        /* The real peer restarts with its clock behind: every message of
         * it is from an older incarnation... */
        for (int i = 0; i < 3; i++) {
                n = build_hb(stepped, T0 + (uint64_t)(300 + i * 100) * MS,
                             buf, sizeof(buf));
                assert_int_equal(hb_node_recv(t.a, T0 + (uint64_t)(300 +
                                              i * 100) * MS, buf, (size_t)n,
                                              NULL),
                                 HB_EOLDINC);
        }
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + 500 * MS, &pi), 0);
        assert_int_equal(pi.old_incarnations, 3);
        /* ...until the operator forgets the incarnation seen. */
        assert_int_equal(hb_node_peer_forget(t.a, 2), 0);
        n = build_hb(stepped, T0 + 600 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(t.a, T0 + 600 * MS, buf, (size_t)n,
                                      NULL),
                         0);
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + 600 * MS, &pi), 0);
        assert_int_equal(pi.incarnation, wall_us - 60000000ull);
        assert_int_equal(pi.state, HB_PEER_PROBATION); /* a restart */
        /* Replay protection is back at once. */
        assert_int_equal(hb_node_recv(t.a, T0 + 610 * MS, buf, (size_t)n,
                                      NULL),
                         HB_EREPLAY);
        n = build_hb(near, T0 + 700 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(t.a, T0 + 700 * MS, buf, (size_t)n,
                                      NULL),
                         0); /* newer: a restart as ever */
        assert_int_equal(hb_node_peer_forget(t.a, 9), -ENOENT);
        c.incarnation_ahead_max_ns = 31 * 24 * 3600 * HB_NS_PER_S;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        hb_node_free(forger);
        hb_node_free(near);
        hb_node_free(stepped);
        pair_free(&t);
}

static void test_replay_and_gaps(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        uint8_t h1[HB_WIRE_MAX_LEN], h2[HB_WIRE_MAX_LEN];
        hb_peer_info_t pi;
        hb_node_counters_t cnt;
        pair_t t;
        int n1, n2;

        (void)state;
        pair_init(&t, &c);
        n1 = build_hb(t.b, T0, h1, sizeof(h1)); /* seq 1 */
        for (int i = 0; i < 3; i++) /* seq 2..4 lost */
                assert_true(build_hb(t.b, T0, h2,
                                                    sizeof(h2)) > 0);
        n2 = build_hb(t.b, T0, h2, sizeof(h2)); /* seq 5 */
        assert_int_equal(hb_node_recv(t.a, T0, h1, (size_t)n1, NULL), 0);
        assert_int_equal(hb_node_recv(t.a, T0, h1, (size_t)n1, NULL),
                         HB_EREPLAY);
        assert_int_equal(hb_node_recv(t.a, T0 + 1, h2, (size_t)n2, NULL), 0);
        assert_int_equal(hb_node_recv(t.a, T0 + 2, h1, (size_t)n1, NULL),
                         HB_EREPLAY); /* reordered late: stale */
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + 2, &pi), 0);
        assert_int_equal(pi.seq_gaps, 3);
        assert_int_equal(pi.replays, 2);
        assert_int_equal(pi.received, 2);
        assert_int_equal(pi.last_seq, 5);
        hb_node_counters(t.a, &cnt);
        assert_int_equal(cnt.rx_accepted, 2);
        assert_int_equal(cnt.rx_dropped, 2);
        assert_int_equal(hb_node_dropped(t.a, HB_EREPLAY), 2);
        pair_free(&t);
}

static void test_drop_reasons(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_config_t other = fixed_cfg(3, 1);
        hb_node_config_t selfc = fixed_cfg(1, 5);
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_node_t *o, *s;
        pair_t t;
        int n;

        (void)state;
        pair_init(&t, &c);
        /* Unknown peer (id 3 is not configured). */
        assert_int_equal(hb_node_new(&o, &other, NULL, NULL), 0);
        n = build_hb(o, T0, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(t.a, T0, buf, (size_t)n, NULL),
                         HB_EUNKPEER);
        /* Our own id (e.g. a looped-back packet or a duplicate id). */
        assert_int_equal(hb_node_new(&s, &selfc, NULL, NULL), 0);
        n = build_hb(s, T0, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(t.a, T0, buf, (size_t)n, NULL),
                         HB_ESELF);
        /* Bad tag from a peer with the wrong key. */
        n = build_hb(t.b, T0, buf, sizeof(buf));
        buf[n - 1] ^= 1;
        assert_int_equal(hb_node_recv(t.a, T0, buf, (size_t)n, NULL),
                         HB_EBADTAG);
        /* Garbage. */
        assert_int_equal(hb_node_recv(t.a, T0, (const uint8_t *)"xyz", 3,
                                      NULL),
                         HB_ETRUNC);

        assert_int_equal(hb_node_dropped(t.a, HB_EUNKPEER), 1);
        assert_int_equal(hb_node_dropped(t.a, HB_ESELF), 1);
        assert_int_equal(hb_node_dropped(t.a, HB_EBADTAG), 1);
        assert_int_equal(hb_node_dropped(t.a, HB_ETRUNC), 1);
        assert_int_equal(hb_node_dropped(t.a, -EINVAL), 0);
        assert_int_equal(t.rec.n, 0); /* nothing changed */
        assert_int_equal(state_of(t.a, 2, T0), HB_PEER_UNKNOWN);
        for (size_t i = 0; i < hb_drop_reason_count(); i++)
                assert_true(hb_drop_reason_at(i) <= -10001);
        assert_int_equal(hb_drop_reason_at(hb_drop_reason_count()), 0);
        hb_node_free(o);
        hb_node_free(s);
        pair_free(&t);
}

/* A ring of `n` keys test_key(0x40 + id) for ids[0..n), sending with
 * `primary`, in `mode`. */
static void set_ring(hb_node_config_t *c, const uint8_t *ids, size_t n,
                     uint8_t primary)
{
        hb_keyring_wipe(&c->keyring);
        for (size_t i = 0; i < n; i++) {
                hb_key_t k = test_key((uint8_t)(0x40 + ids[i]));

                assert_int_equal(hb_keyring_add(&c->keyring, ids[i], &k,
                                                 HB_WIRE_MODE_MAC),
                                 0);
        }
        c->keyring.primary = primary;
}

/* A rolling rotation 1 -> 2 on a running pair, each step reconfigured on
 * one node at a time: every heartbeat is accepted at every step (no
 * suspicion), the receive counts follow the key used, and after the old
 * key is removed a message under it is unknown_key (fail closed). */
static void test_key_rotation(void **state)
{
        static const uint8_t k1[] = { 1 }, k12[] = { 1, 2 }, k2[] = { 2 };
        hb_node_config_t ca = fixed_cfg(1, 1), cb = fixed_cfg(2, 1000);
        hb_node_t *old_b;
        hb_key_info_t ki;
        uint8_t buf[HB_WIRE_MAX_LEN];
        uint64_t now = T0;
        pair_t t;
        int n;

        (void)state;
        set_ring(&ca, k1, 1, 1);
        set_ring(&cb, k1, 1, 1);
        memset(&t, 0, sizeof(t));
        assert_int_equal(hb_node_new(&t.a, &ca, record, &t.rec), 0);
        assert_int_equal(hb_node_new(&t.b, &cb, NULL, NULL), 0);
        assert_int_equal(hb_node_new(&old_b, &cb, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(t.a, 2, T0), 0);
        assert_int_equal(hb_node_leave(t.a, T0), 0);
        assert_int_equal(beat(&t, now += MS), 0);

        /* Add key 2 everywhere (b first), primary still 1. */
        set_ring(&cb, k12, 2, 1);
        assert_int_equal(hb_node_reconfigure(t.b, &cb, now), 0);
        assert_int_equal(beat(&t, now += MS), 0);
        set_ring(&ca, k12, 2, 1);
        assert_int_equal(hb_node_reconfigure(t.a, &ca, now), 0);
        assert_int_equal(beat(&t, now += MS), 0);
        /* Counts kept across the reconfigure for id 1. */
        assert_int_equal(hb_node_key_count(t.a), 2);
        assert_int_equal(hb_node_key_at(t.a, 0, &ki), 0);
        assert_int_equal(ki.id, 1);
        assert_true(ki.primary);
        assert_int_equal(ki.received, 3);
        assert_int_equal(hb_node_key_at(t.a, 1, &ki), 0);
        assert_int_equal(ki.id, 2);
        assert_int_equal(ki.received, 0);
        assert_true(ki.last_received_ns == HB_NEVER);

        /* Switch the primary to 2 (b first): a accepts both. */
        set_ring(&cb, k12, 2, 2);
        assert_int_equal(hb_node_reconfigure(t.b, &cb, now), 0);
        assert_int_equal(beat(&t, now += MS), 0);
        set_ring(&ca, k12, 2, 2);
        assert_int_equal(hb_node_reconfigure(t.a, &ca, now), 0);
        assert_int_equal(beat(&t, now += MS), 0);
        assert_int_equal(hb_node_key_at(t.a, 1, &ki), 0);
        assert_int_equal(ki.received, 2);
        assert_true(ki.primary);
        assert_true(ki.last_received_ns == now);

        /* Remove key 1 everywhere. */
        set_ring(&cb, k2, 1, 2);
        assert_int_equal(hb_node_reconfigure(t.b, &cb, now), 0);
        set_ring(&ca, k2, 1, 2);
        assert_int_equal(hb_node_reconfigure(t.a, &ca, now), 0);
        assert_int_equal(beat(&t, now += MS), 0);
        assert_int_equal(hb_node_key_count(t.a), 1);
        assert_int_equal(hb_node_key_at(t.a, 1, &ki), -ENOENT);
        /* Never a suspicion: one event, unknown -> alive. */
        assert_int_equal(t.rec.n, 1);
        assert_int_equal(state_of(t.a, 2, now), HB_PEER_ALIVE);

        /* A node left with key 1 only is cut off: unknown_key. */
        n = build_hb(old_b, now + 1, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(hb_node_recv(t.a, now + 1, buf, (size_t)n, NULL),
                         HB_EUNKEY);
        assert_int_equal(hb_node_dropped(t.a, HB_EUNKEY), 1);
        /* A ring without its primary, or with a duplicate id, is refused
         * and the node keeps its ring. */
        ca.keyring.primary = 1;
        assert_int_equal(hb_node_reconfigure(t.a, &ca, now), -EINVAL);
        set_ring(&ca, k12, 2, 2);
        ca.keyring.ids[0] = 2;
        assert_int_equal(hb_node_reconfigure(t.a, &ca, now), -EINVAL);
        assert_int_equal(beat(&t, now += MS), 0);
        hb_node_free(old_b);
        pair_free(&t);
}

static void fake_random(void *user, uint8_t *buf, size_t len)
{
        unsigned *ctr = user;

        for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t)(*ctr + i);
        (*ctr)++;
}

/* Encrypted keys: the nonce comes from cfg.random (the core draws none);
 * a node without it is refused; a pair runs encrypted; a clear node is
 * dropped as wrong_encryption. */
static void test_aead_pair(void **state)
{
        hb_node_config_t ca = fixed_cfg(1, 1), cb = fixed_cfg(2, 1000);
        hb_node_config_t cc = fixed_cfg(2, 1000);
        hb_key_t k = test_key(0x61);
        unsigned ctr = 0;
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_node_t *clear;
        pair_t t;
        int n;

        (void)state;
        assert_int_equal(hb_keyring_add(&ca.keyring, 4, &k, HB_WIRE_MODE_AEAD),
                         0);
        cb.keyring = ca.keyring;
        assert_int_equal(hb_node_config_validate(&ca), -EINVAL);
        ca.random = cb.random = fake_random;
        ca.random_user = cb.random_user = &ctr;
        assert_int_equal(hb_keyring_add(&cc.keyring, 4, &k, HB_WIRE_MODE_MAC),
                         0);
        memset(&t, 0, sizeof(t));
        assert_int_equal(hb_node_new(&t.a, &ca, record, &t.rec), 0);
        assert_int_equal(hb_node_new(&t.b, &cb, NULL, NULL), 0);
        assert_int_equal(hb_node_new(&clear, &cc, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(t.a, 2, T0), 0);
        assert_int_equal(hb_node_leave(t.a, T0), 0);
        n = build_hb(t.b, T0 + MS, buf, sizeof(buf));
        assert_int_equal(n, HB_WIRE_HEARTBEAT_LEN + HB_WIRE_NONCE_LEN);
        assert_true(ctr > 0);
        assert_int_equal(hb_node_recv(t.a, T0 + MS, buf, (size_t)n, NULL), 0);
        assert_int_equal(state_of(t.a, 2, T0 + MS), HB_PEER_ALIVE);
        n = build_hb(clear, T0 + 2 * MS, buf, sizeof(buf));
        assert_int_equal(n, HB_WIRE_HEARTBEAT_LEN);
        assert_int_equal(hb_node_recv(t.a, T0 + 2 * MS, buf, (size_t)n,
                                      NULL),
                         HB_EMODE);
        assert_int_equal(hb_node_dropped(t.a, HB_EMODE), 1);
        hb_node_free(clear);
        pair_free(&t);
}

static void test_pause_reports_both_transitions(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        pair_t t;

        (void)state;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        /* The observer itself was stopped for a minute: one late tick. */
        hb_node_tick(t.a, T0 + 60 * HB_NS_PER_S);
        assert_int_equal(t.rec.n, 3);
        assert_int_equal(t.rec.ev[1].new_state, HB_PEER_SUSPECT);
        assert_int_equal(t.rec.ev[2].new_state, HB_PEER_DEAD);
        pair_free(&t);
}

/* Reference deadline for the fixed config used by the bulk tests. */
static uint64_t ref_deadline(const hb_peer_info_t *pi, uint64_t added)
{
        switch (pi->state) {
        case HB_PEER_UNKNOWN:
                return added + 500 * MS;
        case HB_PEER_ALIVE:
                return pi->last_arrival_ns + 300 * MS;
        case HB_PEER_SUSPECT:
                return pi->last_arrival_ns + 500 * MS;
        case HB_PEER_PROBATION: {
                uint64_t s = pi->last_arrival_ns + 300 * MS;
                uint64_t e = pi->state_since_ns + 500 * MS;

                return s < e ? s : e;
        }
        default:
                return HB_NEVER;
        }
}

static void test_many_peers_heap_and_index(void **state)
{
        enum { N = 2000 };
        hb_node_config_t ca = fixed_cfg(1, 1);
        hb_node_t *a;
        hb_node_t **senders;
        uint8_t buf[HB_WIRE_MAX_LEN];
        uint64_t now = T0;
        unsigned seed = 12345;

        (void)state;
        assert_int_equal(hb_node_new(&a, &ca, NULL, NULL), 0);
        /* A pure observer: without a heartbeat schedule of its own, its
         * next deadline is its peers' alone. */
        assert_int_equal(hb_node_leave(a, T0), 0);
        senders = calloc(N + 2, sizeof(*senders));
        assert_non_null(senders);
        /* Ids spread out so the hash index sees collisions. */
        for (uint32_t i = 2; i < N + 2; i++) {
                hb_node_config_t cs = fixed_cfg(i * 64, 1);

                assert_int_equal(hb_node_new(&senders[i], &cs, NULL, NULL),
                                 0);
                assert_int_equal(hb_node_peer_add(a, i * 64, T0), 0);
        }
        for (int round = 0; round < 20000; round++) {
                uint32_t i = 2 + (uint32_t)(rand_r(&seed) % N);
                int n;

                now += (uint64_t)(rand_r(&seed) % 200) * 1000;
                n = build_hb(senders[i], now, buf,
                                            sizeof(buf));
                assert_int_equal(hb_node_recv(a, now, buf, (size_t)n, NULL),
                                 0);
                if (round % 97 == 0)
                        hb_node_tick(a, now);
        }
        hb_node_tick(a, now);
        /* Remove every third peer, then check index and heap. */
        for (uint32_t i = 2; i < N + 2; i += 3)
                assert_int_equal(hb_node_peer_remove(a, i * 64), 0);
        {
                uint64_t min = HB_NEVER;
                uint32_t prev = 0;

                for (uint32_t i = 2; i < N + 2; i++) {
                        hb_peer_info_t pi;
                        int r = hb_node_peer_info(a, i * 64, now, &pi);

                        if ((i - 2) % 3 == 0) {
                                assert_int_equal(r, -ENOENT);
                                continue;
                        }
                        assert_int_equal(r, 0);
                        uint64_t d = ref_deadline(&pi, T0);
                        if (d < min)
                                min = d;
                }
                assert_int_equal(hb_node_next_deadline(a), min);
                for (size_t k = 0; k < hb_node_peer_count(a); k++) {
                        hb_peer_info_t pi;

                        assert_int_equal(hb_node_peer_at(a, k, now, &pi), 0);
                        assert_true(pi.id > prev);
                        prev = pi.id;
                }
        }
        /* Everyone goes silent: ticking at each deadline in turn must
         * bring every peer to dead and leave nothing scheduled. */
        while (hb_node_next_deadline(a) != HB_NEVER)
                hb_node_tick(a, hb_node_next_deadline(a));
        for (size_t k = 0; k < hb_node_peer_count(a); k++) {
                hb_peer_info_t pi;

                assert_int_equal(hb_node_peer_at(a, k, now, &pi), 0);
                assert_int_equal(pi.state, HB_PEER_DEAD);
        }
        for (uint32_t i = 2; i < N + 2; i++)
                hb_node_free(senders[i]);
        free(senders);
        hb_node_free(a);
}

static void test_reconfigure(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_config_t c2;
        pair_t t;

        (void)state;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        assert_int_equal(hb_node_next_deadline(t.a), T0 + 300 * MS);

        c2 = c;
        c2.suspect_threshold = 4;
        assert_int_equal(hb_node_reconfigure(t.a, &c2, T0 + 10 * MS), 0);
        assert_int_equal(hb_node_next_deadline(t.a), T0 + 400 * MS);

        /* New interval: detectors rebuilt, last arrival kept. */
        c2.interval_ns = 200 * MS;
        c2.detector.interval_ns = 200 * MS;
        assert_int_equal(hb_node_reconfigure(t.a, &c2, T0 + 20 * MS), 0);
        assert_int_equal(hb_node_next_deadline(t.a), T0 + 800 * MS);
        assert_int_equal(state_of(t.a, 2, T0 + 20 * MS), HB_PEER_ALIVE);

        c2.node_id = 9;
        assert_int_equal(hb_node_reconfigure(t.a, &c2, T0), -EINVAL);
        c2 = c;
        c2.cluster_id = 8;
        assert_int_equal(hb_node_reconfigure(t.a, &c2, T0), -EINVAL);
        assert_int_equal(hb_node_config(t.a)->suspect_threshold, 4);
        pair_free(&t);
}

/* Any parameter of the kind rebuilds the detectors, not only phi's
 * (hb_node_reconfigure(): "detector kind or parameters"). */
static void test_reconfigure_kind_params(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_config_t c2;
        pair_t t;

        (void)state;
        hb_detector_config_default(&c.detector, HB_DETECTOR_CHEN, 100 * MS);
        c.suspect_threshold = 1;
        c.dead_threshold = 2;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        /* Expected arrival T0 + 100 ms, plus one margin of 300 ms. */
        assert_int_equal(hb_node_next_deadline(t.a), T0 + 400 * MS);
        c2 = c;
        c2.detector.chen_alpha_ns = 600 * MS;
        assert_int_equal(hb_node_reconfigure(t.a, &c2, T0 + 10 * MS), 0);
        assert_int_equal(hb_node_next_deadline(t.a), T0 + 700 * MS);
        pair_free(&t);
}

static void test_build_errors(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_node_t *n;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_poll_output(n, &(hb_output_t){ 0 }, buf,
                                             sizeof(buf)),
                         0);
        assert_int_equal(hb_node_heartbeat_now(n, T0), 0);
        assert_int_equal(hb_node_seq(n), 1);
        /* Too small a buffer: the message stays queued. */
        assert_int_equal(hb_node_poll_output(n, &(hb_output_t){ 0 }, buf,
                                             59),
                         -ENOBUFS);
        assert_int_equal(hb_node_output_pending(n), 1);
        assert_int_equal(hb_node_poll_output(n, &(hb_output_t){ 0 }, buf,
                                             60),
                         60);
        assert_int_equal(hb_node_output_pending(n), 0);
        assert_int_equal(hb_node_poll_output(NULL, &(hb_output_t){ 0 }, buf,
                                             56),
                         -EINVAL);
        assert_int_equal(hb_node_heartbeat_now(NULL, T0), -EINVAL);
        assert_int_equal(hb_node_id(n), 1);
        assert_int_equal(hb_node_incarnation(n), 1);
        assert_true(hb_node_peer_memory(n) > 0);
        hb_node_free(n);
}

static void test_memory_bound(void **state)
{
        hb_node_config_t c;
        hb_node_t *n;

        (void)state;
        hb_node_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        c.node_id = 1;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        /* The budget: at most 2 KiB per monitored peer. */
        assert_true(hb_node_peer_memory(n) <= 2048);
        hb_node_free(n);
}

/* Every allocation in new/add/remove/reconfigure may fail cleanly. */
static void test_alloc_failures(void **state)
{
        (void)state;
        for (long fail = 0; fail < 200; fail++) {
                hb_node_config_t c = fixed_cfg(1, 1);
                hb_node_config_t c2;
                hb_node_t *n = NULL;
                int r, added = 0, failed = 0;

                failalloc_after(fail);
                r = hb_node_new(&n, &c, NULL, NULL);
                if (r < 0) {
                        assert_int_equal(r, -ENOMEM);
                        assert_null(n);
                        continue;
                }
                for (uint32_t id = 2; id < 40; id++) {
                        r = hb_node_peer_add(n, id, T0);
                        if (r == 0)
                                added++;
                        else {
                                assert_int_equal(r, -ENOMEM);
                                failed = 1;
                        }
                }
                c2 = c;
                c2.interval_ns = c2.detector.interval_ns = 50 * MS;
                r = hb_node_reconfigure(n, &c2, T0);
                assert_true(r == 0 || r == -ENOMEM);
                if (r == -ENOMEM) {
                        failed = 1;
                        assert_int_equal(hb_node_config(n)->interval_ns,
                                         100 * MS);
                }
                failalloc_after(-1);
                assert_int_equal(hb_node_peer_count(n), (size_t)added);
                for (size_t k = 0; k < hb_node_peer_count(n); k++) {
                        hb_peer_info_t pi;

                        assert_int_equal(hb_node_peer_at(n, k, T0, &pi), 0);
                        assert_int_equal(hb_node_peer_info(n, pi.id, T0, &pi),
                                         0);
                }
                hb_node_free(n);
                if (!failed)
                        break; /* no allocation left to fail */
        }
        failalloc_after(-1);
}

static void test_rtt_echo(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_config_t cb = fixed_cfg(2, 1000);
        uint8_t buf[HB_WIRE_MAX_LEN], ack[HB_WIRE_MAX_LEN];
        hb_recv_info_t info;
        hb_peer_info_t pi;
        hb_node_counters_t cnt;
        hb_node_t *a, *b;
        size_t ack_len;
        int n;

        (void)state;
        cb.rtt_probe_every = 2; /* every 2nd heartbeat asks for an echo */
        assert_int_equal(hb_node_new(&a, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_new(&b, &cb, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(a, 2, T0), 0);
        assert_int_equal(hb_node_peer_add(b, 1, T0), 0);

        /* seq 1: no echo asked. */
        n = build_hb(b, T0, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(a, T0 + 1 * MS, buf, (size_t)n, &info),
                         0);
        assert_int_equal(hb_node_output_pending(a), 0);
        /* seq 2: echo asked; a answers with a 76-byte ACK to its source. */
        n = build_hb(b, T0 + 100 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv(a, T0 + 101 * MS, buf, (size_t)n,
                                      &info),
                         0);
        assert_int_equal(info.type, HB_MSG_HEARTBEAT);
        assert_int_equal(info.seq, 2);
        {
                hb_output_t out;

                n = hb_node_poll_output(a, &out, ack, sizeof(ack));
                assert_int_equal(n, HB_WIRE_ACK_LEN);
                assert_int_equal(out.dest, HB_DEST_REPLY);
                assert_int_equal(out.peer_id, 2);
                assert_int_equal(out.type, HB_MSG_ACK);
                ack_len = (size_t)n;
        }

        /* b receives the ACK 3 ms after it sent seq 2: RTT 3 ms. */
        assert_int_equal(hb_node_recv(b, T0 + 103 * MS, ack, ack_len, &info),
                         0);
        assert_int_equal(info.type, HB_MSG_ACK);
        assert_int_equal(info.rtt_ns, 3 * MS);
        assert_int_equal(hb_node_output_pending(b), 0);
        assert_int_equal(hb_node_peer_info(b, 1, T0 + 103 * MS, &pi), 0);
        assert_int_equal(pi.rtt_samples, 1);
        assert_int_equal(pi.rtt_median_ns, 3 * MS);
        assert_int_equal(pi.rtt_p99_ns, 3 * MS);
        assert_int_equal(pi.rtt_last_ns, 3 * MS);
        /* An ACK is proof of nothing for the detector: state untouched
         * (b never got a heartbeat from a, so a is still unknown). */
        assert_int_equal(pi.state, HB_PEER_UNKNOWN);
        /* The same ACK again is a replay. */
        assert_int_equal(hb_node_recv(b, T0 + 104 * MS, ack, ack_len, NULL),
                         HB_EREPLAY);
        hb_node_counters(a, &cnt);
        assert_int_equal(cnt.acks_sent, 1);
        hb_node_counters(b, &cnt);
        assert_int_equal(cnt.rtt_samples, 1);

        /* Percentiles over several samples: 1..10 ms -> median 5, p99 10. */
        for (uint64_t k = 1; k <= 10; k++) {
                uint64_t t = T0 + k * HB_NS_PER_S;

                n = build_hb(b, t, buf, sizeof(buf));
                assert_int_equal(hb_node_recv(a, t, buf, (size_t)n, &info),
                                 0);
                if (hb_node_output_pending(a) == 0) {
                        n = build_hb(b, t, buf, sizeof(buf));
                        assert_int_equal(hb_node_recv(a, t, buf, (size_t)n,
                                                      &info),
                                         0);
                }
                ack_len = (size_t)take(a, HB_DEST_REPLY, ack, sizeof(ack));
                assert_int_equal(ack_len, HB_WIRE_ACK_LEN);
                assert_int_equal(hb_node_recv(b, t + k * MS, ack, ack_len,
                                              NULL),
                                 0);
        }
        assert_int_equal(hb_node_peer_info(b, 1, T0, &pi), 0);
        assert_int_equal(pi.rtt_samples, 11);
        /* samples {3,1,2,...,10}: sorted 1,2,3,3,4,...,10 -> median 5th */
        assert_int_equal(pi.rtt_median_ns, 5 * MS);
        assert_int_equal(pi.rtt_p99_ns, 10 * MS);
        assert_int_equal(pi.rtt_last_ns, 10 * MS);

        /* b is paused after sending an echo request; the ack waits in its
         * buffer and is read after the resume: no sample (it would
         * measure b's pause, not the network). */
        {
                uint64_t t = T0 + 20 * HB_NS_PER_S;

                n = build_hb(b, t, buf, sizeof(buf));
                assert_int_equal(hb_node_recv(a, t, buf, (size_t)n, &info),
                                 0);
                if (hb_node_output_pending(a) == 0) {
                        n = build_hb(b, t, buf, sizeof(buf));
                        assert_int_equal(hb_node_recv(a, t, buf, (size_t)n,
                                                      &info),
                                         0);
                }
                ack_len = (size_t)take(a, HB_DEST_REPLY, ack, sizeof(ack));
                hb_node_local_pause(b, t + 3 * HB_NS_PER_S, 3 * HB_NS_PER_S);
                assert_int_equal(hb_node_recv(b, t + 3 * HB_NS_PER_S, ack,
                                              ack_len, &info),
                                 0);
                assert_int_equal(info.rtt_ns, 0);
                assert_int_equal(hb_node_peer_info(b, 1, t, &pi), 0);
                assert_int_equal(pi.rtt_samples, 11);
        }
        hb_node_free(a);
        hb_node_free(b);
}

static void test_local_pause_guard(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        pair_t t;
        uint64_t resume = T0 + 2 * HB_NS_PER_S;

        (void)state;
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        assert_int_equal(t.rec.n, 1);
        /* The observer was stopped for 2 s; before it ticks it learns of
         * the pause: no conviction, b judged as if heard at resume. */
        hb_node_local_pause(t.a, resume, 2 * HB_NS_PER_S);
        hb_node_tick(t.a, resume);
        assert_int_equal(t.rec.n, 2);
        assert_int_equal(t.rec.ev[1].type, HB_EVENT_LOCAL_PAUSE);
        assert_int_equal(t.rec.ev[1].paused_ns, 2 * HB_NS_PER_S);
        assert_int_equal(t.rec.ev[1].at_ns, resume);
        assert_int_equal(state_of(t.a, 2, resume), HB_PEER_ALIVE);
        assert_int_equal(hb_node_next_deadline(t.a), resume + 300 * MS);
        /* A heartbeat 50 ms later: no sample of the artificial 50 ms
         * interval either, the deadline simply moves. */
        assert_int_equal(beat(&t, resume + 50 * MS), 0);
        assert_int_equal(hb_node_next_deadline(t.a), resume + 350 * MS);
        /* A peer really dead during the pause is still found, one full
         * detection time after the resume. */
        hb_node_tick(t.a, resume + 350 * MS);
        assert_int_equal(state_of(t.a, 2, resume + 350 * MS),
                         HB_PEER_SUSPECT);
        hb_node_tick(t.a, resume + 550 * MS);
        assert_int_equal(state_of(t.a, 2, resume + 550 * MS), HB_PEER_DEAD);
        {
                hb_node_counters_t cnt;

                hb_node_counters(t.a, &cnt);
                assert_int_equal(cnt.local_pauses, 1);
        }
        pair_free(&t);
}

/* Count the messages queued for `dest` and drain the queue. */
static size_t drain(hb_node_t *n, hb_dest_t dest)
{
        uint8_t buf[HB_OUTPUT_MAX_LEN];
        hb_output_t out;
        size_t k = 0;

        while (hb_node_poll_output(n, &out, buf, sizeof(buf)) > 0)
                k += out.dest == dest;
        return k;
}

static void test_send_schedule(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_node_counters_t cnt;
        recorder_t rec = { .n = 0 };
        hb_node_t *n;

        (void)state;
        c.local_pause_ns = 250 * MS;
        assert_int_equal(hb_node_new(&n, &c, record, &rec), 0);
        /* The first heartbeat is due at once. */
        assert_int_equal(hb_node_next_deadline(n), 0);
        hb_node_tick(n, T0);
        assert_int_equal(drain(n, HB_DEST_ALL), 1);
        assert_int_equal(hb_node_seq(n), 1);
        assert_int_equal(hb_node_next_deadline(n), T0 + 100 * MS);
        /* Early: nothing. Late by 3 ms: sent, the slot stays absolute. */
        hb_node_tick(n, T0 + 99 * MS);
        assert_int_equal(drain(n, HB_DEST_ALL), 0);
        hb_node_tick(n, T0 + 103 * MS);
        assert_int_equal(drain(n, HB_DEST_ALL), 1);
        assert_int_equal(hb_node_next_deadline(n), T0 + 200 * MS);
        /* Behind by more than an interval: one heartbeat, not a burst,
         * and the schedule is re-based on now. */
        hb_node_tick(n, T0 + 350 * MS);
        assert_int_equal(drain(n, HB_DEST_ALL), 1);
        assert_int_equal(hb_node_next_deadline(n), T0 + 450 * MS);
        hb_node_counters(n, &cnt);
        assert_int_equal(cnt.send_late, 1);
        assert_int_equal(cnt.local_pauses, 0); /* 150 ms: not a pause */
        assert_int_equal(rec.n, 0);
        /* Late by more than local_pause_ns: the node did not run. */
        hb_node_tick(n, T0 + 750 * MS);
        assert_int_equal(rec.n, 1);
        assert_int_equal(rec.ev[0].type, HB_EVENT_LOCAL_PAUSE);
        assert_int_equal(rec.ev[0].paused_ns, 300 * MS);
        assert_int_equal(drain(n, HB_DEST_ALL), 1);
        assert_int_equal(hb_node_next_deadline(n), T0 + 850 * MS);
        /* Once per pause. */
        hb_node_tick(n, T0 + 760 * MS);
        hb_node_counters(n, &cnt);
        assert_int_equal(cnt.local_pauses, 1);
        assert_int_equal(cnt.send_late, 2);
        /* A new interval keeps the phase: last slot + the new interval. */
        c.interval_ns = 200 * MS;
        c.detector.interval_ns = 200 * MS;
        assert_int_equal(hb_node_reconfigure(n, &c, T0 + 800 * MS), 0);
        assert_int_equal(hb_node_next_deadline(n), T0 + 950 * MS);
        /* Leave: a leave for everyone, and no heartbeat ever after. */
        assert_int_equal(hb_node_leave(n, T0 + 900 * MS), 0);
        {
                uint8_t buf[HB_OUTPUT_MAX_LEN];
                hb_output_t out;

                assert_int_equal(hb_node_poll_output(n, &out, buf,
                                                     sizeof(buf)),
                                 HB_WIRE_HEARTBEAT_LEN);
                assert_int_equal(out.type, HB_MSG_LEAVE);
                assert_int_equal(out.dest, HB_DEST_ALL);
        }
        assert_int_equal(hb_node_next_deadline(n), HB_NEVER);
        hb_node_tick(n, T0 + 10 * HB_NS_PER_S);
        assert_int_equal(drain(n, HB_DEST_ALL), 0);
        assert_int_equal(rec.n, 1); /* a node that left is never late */
        hb_node_free(n);
}

/* The node finds its own pause on the receive path, before the backlog
 * that waited in its socket buffer; echoes in that backlog get no ACK. */
static void test_pause_found_on_recv(void **state)
{
        hb_node_config_t ca = fixed_cfg(1, 1), cb = fixed_cfg(2, 1000);
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_node_counters_t cnt;
        recorder_t rec = { .n = 0 };
        hb_node_t *a, *b;
        uint64_t now = T0, resume;

        (void)state;
        ca.local_pause_ns = 200 * MS;
        cb.rtt_probe_every = 1; /* every heartbeat asks for an echo */
        assert_int_equal(hb_node_new(&a, &ca, record, &rec), 0);
        assert_int_equal(hb_node_new(&b, &cb, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(a, 2, T0), 0);
        for (int i = 0; i < 10; i++, now += 100 * MS) {
                int n = build_hb(b, now, buf, sizeof(buf));

                hb_node_tick(a, now);
                assert_int_equal(hb_node_recv(a, now, buf, (size_t)n, NULL),
                                 0);
                assert_int_equal(drain(a, HB_DEST_REPLY), 1);
        }
        assert_int_equal(rec.n, 1); /* unknown -> alive */
        /* a stops for 3 s; b's heartbeats wait in a's buffer. */
        resume = now + 3 * HB_NS_PER_S;
        for (int i = 0; i < 5; i++) {
                int n = build_hb(b, now + (uint64_t)i * 100 * MS, buf,
                                 sizeof(buf));

                assert_int_equal(hb_node_recv(a, resume + (uint64_t)i * 1000,
                                              buf, (size_t)n, NULL),
                                 0);
        }
        assert_int_equal(rec.n, 2);
        assert_int_equal(rec.ev[1].type, HB_EVENT_LOCAL_PAUSE);
        assert_true(rec.ev[1].paused_ns > 3 * HB_NS_PER_S - 200 * MS);
        assert_int_equal(drain(a, HB_DEST_REPLY), 0);
        hb_node_tick(a, resume + 10 * 1000);
        assert_int_equal(rec.n, 2); /* no conviction */
        assert_int_equal(state_of(a, 2, resume), HB_PEER_ALIVE);
        hb_node_counters(a, &cnt);
        assert_int_equal(cnt.acks_withheld, 5);
        assert_int_equal(cnt.local_pauses, 1);
        /* Fresh echo requests after the burst are answered again. */
        {
                int n = build_hb(b, resume + 100 * MS, buf, sizeof(buf));

                assert_int_equal(hb_node_recv(a, resume + 100 * MS, buf,
                                              (size_t)n, NULL),
                                 0);
                assert_int_equal(drain(a, HB_DEST_REPLY), 1);
        }
        hb_node_free(a);
        hb_node_free(b);
}

static void test_output_queue_bound(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_wire_msg_t m;
        hb_node_counters_t cnt;
        hb_output_t out;
        hb_node_t *n;
        int len;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        /* Room grows to 64 + 2 per peer = 66; beyond, the oldest go. */
        for (int i = 0; i < 66; i++)
                assert_int_equal(hb_node_heartbeat_now(n, T0), 0);
        for (int i = 0; i < 4; i++)
                assert_int_equal(hb_node_heartbeat_now(n, T0), -ENOBUFS);
        assert_int_equal(hb_node_output_pending(n), 66);
        hb_node_counters(n, &cnt);
        assert_int_equal(cnt.output_dropped, 4);
        len = hb_node_poll_output(n, &out, buf, sizeof(buf));
        assert_true(len > 0);
        assert_int_equal(hb_wire_decode(&m, buf, (size_t)len, 7,
                                        ring_of(&c.key), NULL, 0),
                         0);
        assert_int_equal(m.seq, 5); /* 1..4 were dropped */
        hb_node_free(n);

        /* A queue that cannot grow drops the oldest instead. */
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        for (int i = 0; i < 16; i++)
                assert_int_equal(hb_node_heartbeat_now(n, T0), 0);
        failalloc_after(0);
        assert_int_equal(hb_node_heartbeat_now(n, T0), -ENOBUFS);
        failalloc_after(-1);
        assert_int_equal(hb_node_output_pending(n), 16);
        hb_node_free(n);
}

static void test_local_pause_keeps_phi_history(void **state)
{
        hb_node_config_t c;
        pair_t t;
        hb_peer_info_t before, after;
        uint64_t now = T0;

        (void)state;
        hb_node_config_default(&c, HB_DETECTOR_PHI, 100 * MS);
        c.cluster_id = 7;
        c.node_id = 1;
        c.incarnation = 1;
        c.key = test_key(0x42);
        c.local_pause_ns = 0; /* reported by hand below */
        pair_init(&t, &c);
        for (int i = 0; i < 20; i++, now += 100 * MS)
                assert_int_equal(beat(&t, now), 0);
        assert_int_equal(hb_node_peer_info(t.a, 2, now, &before), 0);
        now += 5 * HB_NS_PER_S;
        hb_node_local_pause(t.a, now, 5 * HB_NS_PER_S);
        /* The backlog: five heartbeats read from the socket buffer in a
         * burst right after the resume. */
        for (int i = 0; i < 5; i++)
                assert_int_equal(beat(&t, now + (uint64_t)i * 10 * 1000), 0);
        /* The first heartbeat sent after the resume: a cut interval. */
        assert_int_equal(beat(&t, now + 70 * MS), 0);
        assert_int_equal(hb_node_peer_info(t.a, 2, now, &after), 0);
        /* Neither the 5 s silence, nor the burst, nor the cut interval
         * entered the window: the mean is unchanged. */
        assert_true(after.mean_interval_ns == before.mean_interval_ns);
        assert_int_equal(after.state, HB_PEER_ALIVE);
        /* From then on, heartbeats are samples again. */
        assert_int_equal(beat(&t, now + 270 * MS), 0);
        assert_int_equal(hb_node_peer_info(t.a, 2, now, &after), 0);
        assert_true(after.mean_interval_ns > before.mean_interval_ns);
        pair_free(&t);
}

static void test_names(void **state)
{
        (void)state;
        assert_string_equal(hb_peer_state_name(HB_PEER_PROBATION),
                            "probation");
        assert_string_equal(hb_peer_state_name(HB_PEER_LEFT), "left");
        assert_string_equal(hb_peer_state_name((hb_peer_state_t)99),
                            "invalid");
        assert_string_equal(hb_reason_name(HB_REASON_NEVER_HEARD),
                            "never_heard");
        assert_string_equal(hb_reason_name(HB_REASON_DEAD_AFTER),
                            "dead_after");
}


/* ------------------------------------------------------------------ */
/* Redundant links (docs/links.md)                                     */

/* a (id 1) with two links observing b (id 2). */
static void links_init(pair_t *t)
{
        hb_node_config_t ca = fixed_cfg(1, 1);

        ca.n_links = 2;
        pair_init(t, &ca);
}

/* b sends one heartbeat at `now`; it arrives on link 0 if `l0`, on link
 * 1 if `l1` (same bytes on both, as a sender does). */
static void beat_links(pair_t *t, uint64_t now, bool l0, bool l1)
{
        uint8_t buf[HB_WIRE_MAX_LEN];
        int n = build_hb(t->b, now, buf, sizeof(buf));

        assert_true(n > 0);
        if (l0)
                assert_int_equal(hb_node_recv_link(t->a, now, 0, buf,
                                                   (size_t)n, NULL, NULL),
                                 0);
        if (l1)
                assert_int_equal(hb_node_recv_link(t->a, now, 1, buf,
                                                   (size_t)n, NULL, NULL),
                                 0);
}

/* Heartbeats every 100 ms over [from, to), ticking the node as it asks. */
static uint64_t run_links(pair_t *t, uint64_t from, uint64_t to, bool l0,
                          bool l1)
{
        uint64_t now;

        for (now = from; now < to; now += 100 * MS) {
                while (hb_node_next_deadline(t->a) <= now)
                        hb_node_tick(t->a, hb_node_next_deadline(t->a));
                beat_links(t, now, l0, l1);
        }
        while (hb_node_next_deadline(t->a) < to)
                hb_node_tick(t->a, hb_node_next_deadline(t->a));
        return now;
}

static const hb_event_t *find_link_ev(const recorder_t *r, uint32_t link,
                                      hb_link_state_t to, size_t from)
{
        for (size_t i = from; i < r->n; i++)
                if (r->ev[i].type == HB_EVENT_LINK &&
                    r->ev[i].link == link && r->ev[i].new_link_state == to)
                        return &r->ev[i];
        return NULL;
}

static size_t count_peer_ev(const recorder_t *r)
{
        size_t n = 0;

        for (size_t i = 0; i < r->n; i++)
                n += r->ev[i].type == HB_EVENT_PEER_STATE;
        return n;
}

static hb_link_state_t link_state(hb_node_t *n, uint32_t link, uint64_t now)
{
        hb_link_info_t li;

        assert_int_equal(hb_node_peer_link_info(n, 2, link, now, &li), 0);
        return li.state;
}

/* One link silent: that link goes down within its dead time (5
 * intervals with the fixed detector), the peer stays alive, and its
 * suspicion is the live link's (the minimum). */
static void test_links_one_silent(void **state)
{
        const hb_event_t *e;
        hb_peer_info_t pi;
        hb_link_info_t li;
        pair_t t;

        (void)state;
        links_init(&t);
        assert_int_equal(hb_node_links(t.a), 2);
        run_links(&t, T0, T0 + 1000 * MS, true, true);
        assert_non_null(find_link_ev(&t.rec, 0, HB_LINK_UP, 0));
        assert_non_null(find_link_ev(&t.rec, 1, HB_LINK_UP, 0));
        assert_int_equal(state_of(t.a, 2, T0 + 1000 * MS), HB_PEER_ALIVE);
        /* Link 0 cut at T0 + 1 s: last heartbeat on it at T0 + 900 ms. */
        run_links(&t, T0 + 1000 * MS, T0 + 3000 * MS, false, true);
        e = find_link_ev(&t.rec, 0, HB_LINK_DOWN, 0);
        assert_non_null(e);
        assert_int_equal(e->old_link_state, HB_LINK_UP);
        assert_int_equal(e->reason, HB_REASON_DEAD_THRESHOLD);
        assert_true(e->at_ns <= T0 + 900 * MS + 500 * MS + MS);
        assert_int_equal(e->new_state, HB_PEER_ALIVE); /* peer unchanged */
        assert_null(find_link_ev(&t.rec, 1, HB_LINK_DOWN, 0));
        /* The only peer event: unknown -> alive. */
        assert_int_equal(count_peer_ev(&t.rec), 1);
        assert_int_equal(state_of(t.a, 2, T0 + 3000 * MS), HB_PEER_ALIVE);
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + 3000 * MS, &pi), 0);
        assert_true(pi.suspicion < 3.0);
        assert_int_equal(hb_node_peer_link_info(t.a, 2, 0, T0 + 3000 * MS,
                                                &li),
                         0);
        assert_int_equal(li.state, HB_LINK_DOWN);
        assert_true(li.suspicion >= 5.0);
        assert_int_equal(li.received, 10);
        assert_int_equal(link_state(t.a, 1, T0 + 3000 * MS), HB_LINK_UP);
        /* Control messages take the live link. */
        assert_int_equal(hb_node_peer_link(t.a, 2), 1);
        assert_int_equal(hb_node_peer_link_info(t.a, 2, 2, T0, &li), -ENOENT);

        /* Heal: link 0 in probation, then up after probation_ns. */
        run_links(&t, T0 + 3000 * MS, T0 + 3300 * MS, true, true);
        assert_int_equal(link_state(t.a, 0, T0 + 3300 * MS),
                         HB_LINK_PROBATION);
        run_links(&t, T0 + 3300 * MS, T0 + 4000 * MS, true, true);
        e = find_link_ev(&t.rec, 0, HB_LINK_UP, 2);
        assert_non_null(e);
        assert_int_equal(e->old_link_state, HB_LINK_PROBATION);
        assert_int_equal(e->reason, HB_REASON_PROBATION_PASSED);
        assert_int_equal(hb_node_peer_link(t.a, 2), 0);
        assert_int_equal(count_peer_ev(&t.rec), 1);
        pair_free(&t);
}

/* Every link silent: the peer is dead in the usual time. */
static void test_links_all_silent(void **state)
{
        pair_t t;
        size_t i;

        (void)state;
        links_init(&t);
        run_links(&t, T0, T0 + 1000 * MS, true, true);
        run_links(&t, T0 + 1000 * MS, T0 + 1500 * MS, false, true);
        /* Now both: last heartbeat on link 1 at T0 + 1400 ms. */
        while (hb_node_next_deadline(t.a) <= T0 + 3000 * MS)
                hb_node_tick(t.a, hb_node_next_deadline(t.a));
        assert_non_null(find_link_ev(&t.rec, 0, HB_LINK_DOWN, 0));
        assert_non_null(find_link_ev(&t.rec, 1, HB_LINK_DOWN, 0));
        assert_int_equal(state_of(t.a, 2, T0 + 3000 * MS), HB_PEER_DEAD);
        for (i = 0; i < t.rec.n; i++)
                if (t.rec.ev[i].type == HB_EVENT_PEER_STATE &&
                    t.rec.ev[i].new_state == HB_PEER_DEAD)
                        break;
        assert_true(i < t.rec.n);
        /* Dead as with one link: 5 intervals after the last heartbeat. */
        assert_true(t.rec.ev[i].at_ns <= T0 + 1400 * MS + 500 * MS + MS);
        assert_true(t.rec.ev[i].at_ns >= T0 + 1400 * MS + 300 * MS);
        pair_free(&t);
}

/* Replay protection per link: a copy on the other link is not a replay,
 * the same copy twice on one link is. */
static void test_links_replay(void **state)
{
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_node_counters_t c;
        hb_peer_info_t pi;
        pair_t t;
        int n;

        (void)state;
        links_init(&t);
        n = build_hb(t.b, T0, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(hb_node_recv_link(t.a, T0, 0, buf, (size_t)n,
                                           NULL, NULL), 0);
        assert_int_equal(hb_node_recv_link(t.a, T0, 0, buf, (size_t)n,
                                           NULL, NULL), HB_EREPLAY);
        assert_int_equal(hb_node_recv_link(t.a, T0 + MS, 1, buf, (size_t)n,
                                           NULL, NULL), 0);
        assert_int_equal(hb_node_recv_link(t.a, T0 + MS, 1, buf, (size_t)n,
                                           NULL, NULL), HB_EREPLAY);
        assert_int_equal(hb_node_recv(t.a, T0 + MS, buf, (size_t)n, NULL),
                         HB_EREPLAY);
        assert_int_equal(hb_node_recv_link(t.a, T0, 2, buf, (size_t)n,
                                           NULL, NULL), -EINVAL);
        hb_node_counters(t.a, &c);
        assert_int_equal(c.link_copies, 1);
        assert_int_equal(c.rx_accepted, 2);
        assert_int_equal(hb_node_peer_info(t.a, 2, T0 + MS, &pi), 0);
        assert_int_equal(pi.received, 1);
        assert_int_equal(pi.replays, 3);
        /* Reordered across links: seq 3 on link 0 before seq 2 on link
         * 1; link 1 takes seq 2 (new there), the peer has it already. */
        n = build_hb(t.b, T0 + 100 * MS, buf, sizeof(buf)); /* seq 2 */
        {
                uint8_t buf3[HB_WIRE_MAX_LEN];
                int n3 = build_hb(t.b, T0 + 200 * MS, buf3, sizeof(buf3));

                assert_int_equal(hb_node_recv_link(t.a, T0 + 200 * MS, 0,
                                                   buf3, (size_t)n3, NULL,
                                                   NULL), 0);
        }
        assert_int_equal(hb_node_recv_link(t.a, T0 + 210 * MS, 1, buf,
                                           (size_t)n, NULL, NULL), 0);
        hb_node_counters(t.a, &c);
        assert_int_equal(c.link_copies, 2);
        pair_free(&t);
}

/* Configuration: at most HB_LINKS_MAX links; not changed by reconfigure;
 * one link has no link events and derives its link from the peer. */
static void test_links_config(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        hb_link_info_t li;
        hb_node_t *n;
        pair_t t;

        (void)state;
        c.n_links = HB_LINKS_MAX + 1;
        assert_int_equal(hb_node_config_validate(&c), -EINVAL);
        c.n_links = HB_LINKS_MAX;
        assert_int_equal(hb_node_config_validate(&c), 0);
        assert_int_equal(hb_node_new(&n, &c, NULL, NULL), 0);
        c.n_links = 2;
        assert_int_equal(hb_node_reconfigure(n, &c, T0), -EINVAL);
        c.n_links = HB_LINKS_MAX;
        c.interval_ns = 200 * MS;
        c.detector.interval_ns = 200 * MS;
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_reconfigure(n, &c, T0), 0);
        hb_node_free(n);

        c = fixed_cfg(1, 1);
        pair_init(&t, &c);
        assert_int_equal(beat(&t, T0), 0);
        assert_int_equal(hb_node_peer_link_info(t.a, 2, 0, T0, &li), 0);
        assert_int_equal(li.state, HB_LINK_UP);
        assert_int_equal(li.received, 1);
        assert_int_equal(hb_node_peer_link_info(t.a, 2, 1, T0, &li),
                         -ENOENT);
        assert_int_equal(find_link_ev(&t.rec, 0, HB_LINK_UP, 0), NULL);
        assert_string_equal(hb_link_state_name(HB_LINK_PROBATION),
                            "probation");
        pair_free(&t);
}

/* A leave on any link: left, links forgotten without events; the peer
 * back: its links come up again. */
static void test_links_leave(void **state)
{
        uint8_t buf[HB_WIRE_MAX_LEN];
        size_t before;
        pair_t t;
        int n;

        (void)state;
        links_init(&t);
        run_links(&t, T0, T0 + 500 * MS, true, true);
        n = build_leave(t.b, T0 + 500 * MS, buf, sizeof(buf));
        assert_int_equal(hb_node_recv_link(t.a, T0 + 500 * MS, 1, buf,
                                           (size_t)n, NULL, NULL), 0);
        assert_int_equal(hb_node_recv_link(t.a, T0 + 501 * MS, 0, buf,
                                           (size_t)n, NULL, NULL), 0);
        assert_int_equal(state_of(t.a, 2, T0 + 501 * MS), HB_PEER_LEFT);
        before = t.rec.n;
        assert_int_equal(hb_node_next_deadline(t.a), HB_NEVER);
        assert_int_equal(link_state(t.a, 0, T0 + 501 * MS), HB_LINK_UNKNOWN);
        assert_int_equal(t.rec.n, before);

        /* Back much later, first on link 0 only: link 1 is judged from
         * the return, not from the leave (no instant never_heard). */
        beat_links(&t, T0 + 5000 * MS, true, false);
        assert_int_equal(state_of(t.a, 2, T0 + 5000 * MS),
                         HB_PEER_PROBATION);
        assert_int_equal(link_state(t.a, 0, T0 + 5000 * MS), HB_LINK_UP);
        assert_true(hb_node_next_deadline(t.a) > T0 + 5100 * MS);
        hb_node_tick(t.a, T0 + 5100 * MS);
        assert_int_equal(link_state(t.a, 1, T0 + 5100 * MS),
                         HB_LINK_UNKNOWN);
        beat_links(&t, T0 + 5100 * MS, true, true);
        assert_int_equal(link_state(t.a, 1, T0 + 5100 * MS), HB_LINK_UP);
        pair_free(&t);
}

/* Link events only for peers heard over links: a peer fed by
 * hb_node_peer_heard() (pull, push) or never heard has none; a link that
 * never carries anything, once the peer is heard on another, goes down
 * (never_heard) one dead time after that first datagram. */
static void test_links_never_heard(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        const hb_event_t *e;
        recorder_t rec = { .n = 0 };
        hb_node_t *n;
        pair_t t;

        (void)state;
        c.n_links = 2;
        assert_int_equal(hb_node_new(&n, &c, record, &rec), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_add(n, 3, T0), 0);
        for (uint64_t now = T0; now < T0 + 3000 * MS; now += 100 * MS) {
                assert_int_equal(hb_node_peer_heard(n, 2, now), 0);
                hb_node_tick(n, now);
        }
        for (size_t i = 0; i < rec.n; i++)
                assert_int_not_equal(rec.ev[i].type, HB_EVENT_LINK);
        assert_int_equal(state_of(n, 3, T0 + 3000 * MS), HB_PEER_DEAD);
        hb_node_free(n);

        links_init(&t);
        run_links(&t, T0 + 2000 * MS, T0 + 4000 * MS, true, false);
        e = find_link_ev(&t.rec, 1, HB_LINK_DOWN, 0);
        assert_non_null(e);
        assert_int_equal(e->reason, HB_REASON_NEVER_HEARD);
        assert_int_equal(e->old_link_state, HB_LINK_UNKNOWN);
        assert_true(e->at_ns >= T0 + 2000 * MS + 400 * MS);
        assert_true(e->at_ns <= T0 + 2000 * MS + 500 * MS + MS);
        assert_int_equal(state_of(t.a, 2, T0 + 4000 * MS), HB_PEER_ALIVE);
        pair_free(&t);
}

/* A held peer is not judged: silence during the hold does not make it
 * suspect or dead; on release it is judged as if heard then. */
static void test_peer_hold(void **state)
{
        hb_node_config_t c = fixed_cfg(1, 1);
        recorder_t rec = { .n = 0 };
        hb_peer_info_t pi;
        hb_node_t *n;

        (void)state;
        assert_int_equal(hb_node_new(&n, &c, record, &rec), 0);
        assert_int_equal(hb_node_peer_add(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_heard(n, 2, T0), 0);
        assert_int_equal(hb_node_peer_heard(n, 2, T0 + 100 * MS), 0);
        assert_int_equal(hb_node_peer_info(n, 2, T0 + 100 * MS, &pi), 0);
        assert_int_equal(pi.state, HB_PEER_ALIVE);
        assert_int_equal(hb_node_peer_hold(n, 2, true, T0 + 150 * MS), 1);
        assert_int_equal(hb_node_peer_hold(n, 2, true, T0 + 150 * MS), 0);
        assert_true(hb_node_peer_held(n, 2));
        rec.n = 0;
        hb_node_tick(n, T0 + 3600 * HB_NS_PER_S);
        assert_int_equal(hb_node_peer_info(n, 2, T0 + 3600 * HB_NS_PER_S,
                                           &pi), 0);
        assert_int_equal(pi.state, HB_PEER_ALIVE);
        for (size_t i = 0; i < rec.n; i++)
                assert_int_not_equal(rec.ev[i].type, HB_EVENT_PEER_STATE);
        /* Released: judged from the release on, so still alive just
         * after it, and suspect only after the usual silence. */
        assert_int_equal(hb_node_peer_hold(n, 2, false,
                                           T0 + 3600 * HB_NS_PER_S), 1);
        assert_false(hb_node_peer_held(n, 2));
        hb_node_tick(n, T0 + 3600 * HB_NS_PER_S + 50 * MS);
        assert_int_equal(hb_node_peer_info(n, 2, T0 + 3600 * HB_NS_PER_S +
                                           50 * MS, &pi), 0);
        assert_int_equal(pi.state, HB_PEER_ALIVE);
        hb_node_tick(n, T0 + 3600 * HB_NS_PER_S + 2000 * MS);
        assert_int_equal(hb_node_peer_info(n, 2, T0 + 3600 * HB_NS_PER_S +
                                           2000 * MS, &pi), 0);
        assert_int_equal(pi.state, HB_PEER_DEAD);
        assert_int_equal(hb_node_peer_hold(n, 9, true, T0), -ENOENT);
        assert_int_equal(hb_node_peer_hold(NULL, 2, true, T0), -EINVAL);
        assert_false(hb_node_peer_held(n, 9));
        hb_node_free(n);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_validation),
                cmocka_unit_test(test_peer_table_errors),
                cmocka_unit_test(test_alive_suspect_dead),
                cmocka_unit_test(test_dead_after),
                cmocka_unit_test(test_suspect_recovers),
                cmocka_unit_test(test_probation),
                cmocka_unit_test(test_never_heard),
                cmocka_unit_test(test_port_unreachable),
                cmocka_unit_test(test_port_unreachable_quoted),
                cmocka_unit_test(test_leave_and_return),
                cmocka_unit_test(test_restart_new_incarnation),
                cmocka_unit_test(test_replay_and_gaps),
                cmocka_unit_test(test_source_checked),
                cmocka_unit_test(test_incarnation_bound_and_forget),
                cmocka_unit_test(test_drop_reasons),
                cmocka_unit_test(test_key_rotation),
                cmocka_unit_test(test_aead_pair),
                cmocka_unit_test(test_pause_reports_both_transitions),
                cmocka_unit_test(test_many_peers_heap_and_index),
                cmocka_unit_test(test_reconfigure),
                cmocka_unit_test(test_reconfigure_kind_params),
                cmocka_unit_test(test_build_errors),
                cmocka_unit_test(test_memory_bound),
                cmocka_unit_test(test_alloc_failures),
                cmocka_unit_test(test_rtt_echo),
                cmocka_unit_test(test_local_pause_guard),
                cmocka_unit_test(test_local_pause_keeps_phi_history),
                cmocka_unit_test(test_send_schedule),
                cmocka_unit_test(test_pause_found_on_recv),
                cmocka_unit_test(test_output_queue_bound),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_peer_hold),
                cmocka_unit_test(test_links_one_silent),
                cmocka_unit_test(test_links_all_silent),
                cmocka_unit_test(test_links_replay),
                cmocka_unit_test(test_links_config),
                cmocka_unit_test(test_links_leave),
                cmocka_unit_test(test_links_never_heard),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
