/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the reliable transport's sans-I/O part
 * (src/common/reliable.c): the link's states and queue bounds with a
 * fake clock, the reconnect backoff's bounds, and the framing of
 * messages over two stream ends in memory (a message in, the same
 * message out; sizes and foreign frame types refused); the derived key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/reliable.h"

#define MS 1000000ull

static void test_link_connects_lazily(void **state)
{
        hbrl_link_t l;

        (void)state;
        hbrl_link_init(&l);
        assert_int_equal(l.state, HBRL_IDLE);
        /* The first offer starts the connection and goes as a datagram;
         * so does every one until the connection opens. */
        assert_int_equal(hbrl_offer(&l, 100, 0), HBRL_CONNECT);
        assert_int_equal(l.state, HBRL_CONNECTING);
        assert_int_equal(hbrl_offer(&l, 100, 1 * MS), HBRL_DOWN);
        assert_int_equal(l.queued, 0);
        hbrl_opened(&l);
        assert_int_equal(hbrl_offer(&l, 100, 2 * MS), HBRL_SEND);
        assert_int_equal(l.queued, 1);
        assert_int_equal(l.queued_bytes, 100);
        hbrl_written(&l, 100);
        assert_int_equal(l.queued, 0);
        assert_int_equal(l.queued_bytes, 0);
}

static void test_queue_bounds(void **state)
{
        hbrl_link_t l;
        size_t i, big = HBRL_QUEUE_BYTES_MAX / 4;

        (void)state;
        hbrl_link_init(&l);
        assert_int_equal(hbrl_offer(&l, 10, 0), HBRL_CONNECT);
        hbrl_opened(&l);
        /* At most HBRL_QUEUE_MAX frames in flight... */
        for (i = 0; i < HBRL_QUEUE_MAX; i++)
                assert_int_equal(hbrl_offer(&l, 10, 0), HBRL_SEND);
        assert_int_equal(hbrl_offer(&l, 10, 0), HBRL_FULL);
        assert_int_equal(l.queued, HBRL_QUEUE_MAX);
        /* ... room again as soon as one is written. */
        hbrl_written(&l, 10);
        assert_int_equal(hbrl_offer(&l, 10, 0), HBRL_SEND);
        for (i = 0; i < HBRL_QUEUE_MAX; i++)
                hbrl_written(&l, 10);
        assert_int_equal(l.queued, 0);
        assert_int_equal(l.queued_bytes, 0);
        /* ... and at most HBRL_QUEUE_BYTES_MAX bytes. */
        for (i = 0; i < 4; i++)
                assert_int_equal(hbrl_offer(&l, big, 0), HBRL_SEND);
        assert_int_equal(hbrl_offer(&l, 1, 0), HBRL_FULL);
        assert_int_equal(l.queued_bytes, HBRL_QUEUE_BYTES_MAX);
        /* More completions than writes never underflow. */
        for (i = 0; i < 10; i++)
                hbrl_written(&l, big);
        assert_int_equal(l.queued, 0);
        assert_int_equal(l.queued_bytes, 0);
}

static void test_backoff_bounded(void **state)
{
        hbrl_link_t l;
        uint64_t now = 1000 * MS, wait = HBRL_BACKOFF_MIN_NS;
        int i;

        (void)state;
        hbrl_link_init(&l);
        for (i = 0; i < 20; i++) {
                assert_int_equal(hbrl_offer(&l, 10, now), HBRL_CONNECT);
                hbrl_failed(&l, now);
                assert_int_equal(l.state, HBRL_BACKOFF);
                assert_int_equal(l.retry_ns, now + wait);
                /* No attempt before the retry time: datagrams. */
                assert_int_equal(hbrl_offer(&l, 10, now + wait - 1),
                                 HBRL_DOWN);
                now += wait;
                wait = wait * 2 > HBRL_BACKOFF_MAX_NS ? HBRL_BACKOFF_MAX_NS
                                                       : wait * 2;
        }
        assert_int_equal(l.backoff_ns, HBRL_BACKOFF_MAX_NS);
        /* An open connection starts the backoff over, and a failure of
         * an open one drops its queue. */
        assert_int_equal(hbrl_offer(&l, 10, now), HBRL_CONNECT);
        hbrl_opened(&l);
        assert_int_equal(l.backoff_ns, HBRL_BACKOFF_MIN_NS);
        assert_int_equal(hbrl_offer(&l, 10, now), HBRL_SEND);
        hbrl_failed(&l, now);
        assert_int_equal(l.queued, 0);
        assert_int_equal(l.retry_ns, now + HBRL_BACKOFF_MIN_NS);
        assert_int_equal(hbrl_offer(&l, 10, now), HBRL_DOWN);
}

/* Two ends of a stream, open. */
typedef struct pair {
        hbes_t c, s;
        hbes_buf_t c2s, s2c;
} pair_t;

static int deliver(hbes_t *to, hbes_buf_t *in, hbes_buf_t *out,
                   hbes_frame_t *f)
{
        int r = hbes_feed(to, in->data, in->len);

        in->len = 0;
        return r < 0 ? r : hbes_next(to, out, f);
}

static void pair_open(pair_t *p)
{
        uint8_t key[HBES_KEY_LEN] = { 7 }, nc[HBES_NONCE_LEN] = { 1 },
                ns[HBES_NONCE_LEN] = { 2 };
        hbes_frame_t f;

        memset(p, 0, sizeof(*p));
        hbes_init(&p->c, false, key, nc);
        hbes_init(&p->s, true, key, ns);
        assert_int_equal(hbes_start(&p->c, &p->c2s), 0);
        assert_int_equal(deliver(&p->s, &p->c2s, &p->s2c, &f), HBES_NEED);
        assert_int_equal(deliver(&p->c, &p->s2c, &p->c2s, &f), HBES_NEED);
        assert_int_equal(deliver(&p->s, &p->c2s, &p->s2c, &f),
                         HBES_GOT_OPEN);
        assert_int_equal(deliver(&p->c, &p->s2c, &p->c2s, &f),
                         HBES_GOT_OPEN);
}

static void pair_free(pair_t *p)
{
        hbes_wipe(&p->c);
        hbes_wipe(&p->s);
        hbes_buf_free(&p->c2s);
        hbes_buf_free(&p->s2c);
}

static void test_framing(void **state)
{
        uint8_t msg[HBRL_MSG_MAX + 1];
        const uint8_t *got;
        hbes_frame_t f;
        size_t len, i;
        pair_t p;

        (void)state;
        for (i = 0; i < sizeof(msg); i++)
                msg[i] = (uint8_t)(i * 7);
        pair_open(&p);
        /* Two messages in one read: each comes out whole, in order, and
         * the wire length is hbrl_frame_len()'s. */
        assert_int_equal(hbrl_frame(&p.c, msg, 60, &p.c2s), 0);
        assert_int_equal(p.c2s.len, hbrl_frame_len(60));
        assert_int_equal(hbrl_frame(&p.c, msg + 1, HBRL_MSG_MAX, &p.c2s), 0);
        assert_int_equal(p.c2s.len,
                         hbrl_frame_len(60) + hbrl_frame_len(HBRL_MSG_MAX));
        assert_int_equal(deliver(&p.s, &p.c2s, &p.s2c, &f), HBES_GOT_FRAME);
        assert_int_equal(hbrl_unframe(&f, &got, &len), 0);
        assert_int_equal(len, 60);
        assert_memory_equal(got, msg, 60);
        assert_int_equal(hbes_next(&p.s, &p.s2c, &f), HBES_GOT_FRAME);
        assert_int_equal(hbrl_unframe(&f, &got, &len), 0);
        assert_int_equal(len, HBRL_MSG_MAX);
        assert_memory_equal(got, msg + 1, HBRL_MSG_MAX);
        assert_int_equal(hbes_next(&p.s, &p.s2c, &f), HBES_NEED);
        /* Sizes out of range are refused, nothing written. */
        assert_int_equal(hbrl_frame(&p.c, msg, 0, &p.c2s), -EMSGSIZE);
        assert_int_equal(hbrl_frame(&p.c, msg, HBRL_MSG_MAX + 1, &p.c2s),
                         -EMSGSIZE);
        assert_int_equal(hbrl_frame(&p.c, NULL, 10, &p.c2s), -EMSGSIZE);
        assert_int_equal(p.c2s.len, 0);
        /* A frame of another type, an empty one, one too long. */
        assert_int_equal(hbes_send(&p.c, HBES_ACK, msg, 8, &p.c2s), 0);
        assert_int_equal(deliver(&p.s, &p.c2s, &p.s2c, &f), HBES_GOT_FRAME);
        assert_int_equal(hbrl_unframe(&f, &got, &len), -EPROTO);
        assert_int_equal(hbes_send(&p.c, HBRL_FRAME_MESSAGE, NULL, 0,
                                   &p.c2s), 0);
        assert_int_equal(deliver(&p.s, &p.c2s, &p.s2c, &f), HBES_GOT_FRAME);
        assert_int_equal(hbrl_unframe(&f, &got, &len), -EMSGSIZE);
        assert_int_equal(hbes_send(&p.c, HBRL_FRAME_MESSAGE, msg,
                                   HBRL_MSG_MAX + 1, &p.c2s), 0);
        assert_int_equal(deliver(&p.s, &p.c2s, &p.s2c, &f), HBES_GOT_FRAME);
        assert_int_equal(hbrl_unframe(&f, &got, &len), -EMSGSIZE);
        /* A frame not yet open cannot be sent. */
        pair_free(&p);
        memset(&p, 0, sizeof(p));
        hbes_init(&p.c, false, (uint8_t[HBES_KEY_LEN]){ 0 },
                  (uint8_t[HBES_NONCE_LEN]){ 0 });
        assert_int_equal(hbrl_frame(&p.c, msg, 10, &p.c2s), -EINVAL);
        pair_free(&p);
}

static void test_cluster_psk(void **state)
{
        hb_key_t k1, k2;
        hb_keyring_t ring;
        uint8_t a[HBES_KEY_LEN], b[HBES_KEY_LEN], c[HBES_KEY_LEN];

        (void)state;
        memset(&k1, 1, sizeof(k1));
        memset(&k2, 2, sizeof(k2));
        memset(&ring, 0, sizeof(ring));
        hbes_cluster_psk(&k1, NULL, "hbeat-reliable-v1", a);
        hbes_cluster_psk(&k1, &ring, "hbeat-gossip-push-pull-v1", b);
        /* Another label, another key. */
        assert_memory_not_equal(a, b, sizeof(a));
        hbes_cluster_psk(&k1, &ring, "hbeat-reliable-v1", b);
        assert_memory_equal(a, b, sizeof(a));
        /* A ring: its primary, not the key. */
        ring.n = 2;
        ring.ids[0] = 1;
        ring.ids[1] = 2;
        ring.keys[0] = k1;
        ring.keys[1] = k2;
        ring.primary = 2;
        hbes_cluster_psk(&k1, &ring, "hbeat-reliable-v1", c);
        assert_memory_not_equal(a, c, sizeof(a));
        hbes_cluster_psk(&k2, NULL, "hbeat-reliable-v1", b);
        assert_memory_equal(b, c, sizeof(b));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_link_connects_lazily),
                cmocka_unit_test(test_queue_bounds),
                cmocka_unit_test(test_backoff_bounded),
                cmocka_unit_test(test_framing),
                cmocka_unit_test(test_cluster_psk),
        };

        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
