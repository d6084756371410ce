/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the event stream's protocol engine (src/common/evstream.c,
 * docs/event-stream.md), both ends in memory: the handshake, frames both
 * ways, byte-by-byte delivery, a wrong key on either side, a foreign
 * protocol, a damaged, replayed or dropped frame, lengths out of range,
 * a peer that floods, and the exact handshake bytes of the document.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/evstream.h"

typedef struct pair {
        hbes_t c, s;
        hbes_buf_t c2s, s2c;     /* bytes in flight each way */
} pair_t;

static const uint8_t key_a[HBES_KEY_LEN] = { 1, 2, 3 };
static const uint8_t key_b[HBES_KEY_LEN] = { 9, 9, 9 };
static const uint8_t nonce_c[HBES_NONCE_LEN] = { 0xc1 };
static const uint8_t nonce_s[HBES_NONCE_LEN] = { 0x5e };

/* Hand what `from` wrote to `to`, then parse; the last result. */
static int deliver(hbes_t *to, hbes_buf_t *in, hbes_buf_t *out,
                   hbes_frame_t *f)
{
        int r = hbes_feed(to, in->data, in->len);

        in->len = 0;
        if (r < 0)
                return r;
        return hbes_next(to, out, f);
}

static void pair_open(pair_t *p, const uint8_t *ks)
{
        hbes_frame_t f;

        memset(p, 0, sizeof(*p));
        hbes_init(&p->c, false, key_a, nonce_c);
        hbes_init(&p->s, true, ks, nonce_s);
        assert_int_equal(hbes_start(&p->s, &p->s2c), 0);
        assert_int_equal(p->s2c.len, 0);
        assert_int_equal(hbes_start(&p->c, &p->c2s), 0);
        assert_int_equal(p->c2s.len, HBES_HELLO_LEN);
        /* HELLO -> server HELLO -> client PROOF. */
        assert_int_equal(deliver(&p->s, &p->c2s, &p->s2c, &f), HBES_NEED);
        assert_int_equal(p->s2c.len, HBES_HELLO_LEN);
        assert_int_equal(deliver(&p->c, &p->s2c, &p->c2s, &f), HBES_NEED);
        assert_int_equal(p->c2s.len, HBES_PROOF_LEN);
}

static void pair_free(pair_t *p)
{
        hbes_wipe(&p->c);
        hbes_wipe(&p->s);
        hbes_buf_free(&p->c2s);
        hbes_buf_free(&p->s2c);
}

static void handshake(pair_t *p)
{
        hbes_frame_t f;

        pair_open(p, key_a);
        assert_int_equal(deliver(&p->s, &p->c2s, &p->s2c, &f),
                         HBES_GOT_OPEN);
        assert_int_equal(p->s2c.len, HBES_PROOF_LEN);
        assert_int_equal(deliver(&p->c, &p->s2c, &p->c2s, &f),
                         HBES_GOT_OPEN);
        assert_int_equal(p->c.phase, HBES_OPEN);
        assert_int_equal(p->s.phase, HBES_OPEN);
}

static void test_handshake_and_frames(void **state)
{
        pair_t p;
        hbes_frame_t f;
        uint8_t body[16];
        int i;

        (void)state;
        handshake(&p);
        /* Client -> server. */
        hbes_put_u64(body, 77);
        hbes_put_u64(body + 8, 5);
        assert_int_equal(hbes_send(&p.c, HBES_ACK, body, 16, &p.c2s), 0);
        assert_int_equal(p.c2s.len, 4 + 1 + 16 + HBES_OVERHEAD);
        assert_int_equal(deliver(&p.s, &p.c2s, &p.s2c, &f), HBES_GOT_FRAME);
        assert_int_equal(f.type, HBES_ACK);
        assert_int_equal(f.len, 16);
        assert_int_equal(hbes_get_u64(f.body), 77);
        assert_int_equal(hbes_get_u64(f.body + 8), 5);
        /* Server -> client: several at once, and an empty body. */
        for (i = 0; i < 3; i++)
                assert_int_equal(hbes_send(&p.s, HBES_EVENT, "{}", 2,
                                           &p.s2c), 0);
        assert_int_equal(hbes_send(&p.s, HBES_PING, NULL, 0, &p.s2c), 0);
        assert_int_equal(hbes_feed(&p.c, p.s2c.data, p.s2c.len), 0);
        p.s2c.len = 0;
        for (i = 0; i < 3; i++) {
                assert_int_equal(hbes_next(&p.c, &p.c2s, &f),
                                 HBES_GOT_FRAME);
                assert_int_equal(f.type, HBES_EVENT);
                assert_memory_equal(f.body, "{}", 2);
        }
        assert_int_equal(hbes_next(&p.c, &p.c2s, &f), HBES_GOT_FRAME);
        assert_int_equal(f.type, HBES_PING);
        assert_int_equal(f.len, 0);
        assert_int_equal(hbes_next(&p.c, &p.c2s, &f), HBES_NEED);
        pair_free(&p);
}

/* Every byte on its own: TCP may cut anywhere. */
static void test_byte_by_byte(void **state)
{
        pair_t p;
        hbes_frame_t f;
        hbes_buf_t wire = { 0 };
        size_t i;
        int r = HBES_NEED, got = 0;

        (void)state;
        handshake(&p);
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, "abc", 3, &wire), 0);
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, "defg", 4, &wire), 0);
        for (i = 0; i < wire.len; i++) {
                assert_int_equal(hbes_feed(&p.c, wire.data + i, 1), 0);
                while ((r = hbes_next(&p.c, &p.c2s, &f)) == HBES_GOT_FRAME) {
                        assert_int_equal(f.len, got == 0 ? 3 : 4);
                        got++;
                }
                assert_int_equal(r, HBES_NEED);
        }
        assert_int_equal(got, 2);
        hbes_buf_free(&wire);
        pair_free(&p);
}

static void test_wrong_key(void **state)
{
        pair_t p;
        hbes_frame_t f;

        (void)state;
        /* The server holds another key: the client's proof fails there,
         * and the server sends nothing back. */
        pair_open(&p, key_b);
        assert_int_equal(deliver(&p.s, &p.c2s, &p.s2c, &f), -EACCES);
        assert_int_equal(p.s2c.len, 0);
        assert_int_equal(p.s.phase, HBES_FAILED);
        assert_int_equal(hbes_next(&p.s, &p.s2c, &f), -EPROTO);
        pair_free(&p);
}

/* A server that does not hold the key cannot pass its proof. */
static void test_server_proof_checked(void **state)
{
        pair_t p;
        hbes_frame_t f;

        (void)state;
        pair_open(&p, key_a);
        assert_int_equal(deliver(&p.s, &p.c2s, &p.s2c, &f), HBES_GOT_OPEN);
        p.s2c.data[3] ^= 1;
        assert_int_equal(deliver(&p.c, &p.s2c, &p.c2s, &f), -EACCES);
        pair_free(&p);
}

/* A proof recorded from another handshake does not pass: fresh nonces. */
static void test_replayed_proof(void **state)
{
        pair_t p;
        hbes_frame_t f;
        uint8_t other[HBES_NONCE_LEN] = { 0x77 };
        hbes_t s2, c2;
        hbes_buf_t out = { 0 }, hello = { 0 };

        (void)state;
        pair_open(&p, key_a);
        /* A second server with another nonce gets the same HELLO, then
         * the proof made for the first. */
        hbes_init(&s2, true, key_a, other);
        hbes_init(&c2, false, key_a, nonce_c);
        assert_int_equal(hbes_start(&c2, &hello), 0);
        assert_int_equal(deliver(&s2, &hello, &out, &f), HBES_NEED);
        out.len = 0;
        assert_int_equal(deliver(&s2, &p.c2s, &out, &f), -EACCES);
        hbes_wipe(&s2);
        hbes_wipe(&c2);
        hbes_buf_free(&out);
        hbes_buf_free(&hello);
        pair_free(&p);
}

static void test_not_the_protocol(void **state)
{
        hbes_t s;
        hbes_buf_t out = { 0 };
        hbes_frame_t f;
        uint8_t m[HBES_HELLO_LEN] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

        (void)state;
        hbes_init(&s, true, key_a, nonce_s);
        assert_int_equal(hbes_feed(&s, m, sizeof(m)), 0);
        assert_int_equal(hbes_next(&s, &out, &f), -EPROTO);
        assert_int_equal(out.len, 0);
        hbes_wipe(&s);
        /* The right magic, another version. */
        memcpy(m, "HBES\x02\0\0\0", 8);
        hbes_init(&s, true, key_a, nonce_s);
        assert_int_equal(hbes_feed(&s, m, sizeof(m)), 0);
        assert_int_equal(hbes_next(&s, &out, &f), -EPROTO);
        hbes_wipe(&s);
}

static void test_damaged_replayed_dropped(void **state)
{
        pair_t p;
        hbes_frame_t f;
        hbes_buf_t one = { 0 }, two = { 0 };

        (void)state;
        /* A flipped bit in the ciphertext. */
        handshake(&p);
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, "x", 1, &p.s2c), 0);
        p.s2c.data[6] ^= 0x10;
        assert_int_equal(deliver(&p.c, &p.s2c, &p.c2s, &f), -EBADMSG);
        pair_free(&p);
        /* A changed length (authenticated as additional data). */
        handshake(&p);
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, "xy", 2, &p.s2c), 0);
        hbes_put_u32(p.s2c.data, hbes_get_u32(p.s2c.data) - 1);
        assert_int_equal(deliver(&p.c, &p.s2c, &p.c2s, &f), -EBADMSG);
        pair_free(&p);
        /* The same frame twice: the second does not decrypt. */
        handshake(&p);
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, "x", 1, &one), 0);
        assert_int_equal(hbes_buf_put(&p.s2c, one.data, one.len), 0);
        assert_int_equal(deliver(&p.c, &p.s2c, &p.c2s, &f), HBES_GOT_FRAME);
        assert_int_equal(hbes_buf_put(&p.s2c, one.data, one.len), 0);
        assert_int_equal(deliver(&p.c, &p.s2c, &p.c2s, &f), -EBADMSG);
        pair_free(&p);
        /* A frame left out: the next one does not decrypt. */
        handshake(&p);
        one.len = 0;
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, "1", 1, &one), 0);
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, "2", 1, &two), 0);
        assert_int_equal(deliver(&p.c, &two, &p.c2s, &f), -EBADMSG);
        pair_free(&p);
        hbes_buf_free(&one);
        hbes_buf_free(&two);
}

static void test_sizes(void **state)
{
        pair_t p;
        hbes_frame_t f;
        static uint8_t big[HBES_FRAME_MAX];
        uint8_t len[4];

        (void)state;
        handshake(&p);
        /* The largest body, and one byte more. */
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, big, HBES_FRAME_MAX - 1,
                                   &p.s2c), 0);
        assert_int_equal(deliver(&p.c, &p.s2c, &p.c2s, &f), HBES_GOT_FRAME);
        assert_int_equal(f.len, HBES_FRAME_MAX - 1);
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, big, HBES_FRAME_MAX,
                                   &p.s2c), -EINVAL);
        /* A length above the largest frame, or below the smallest. */
        hbes_put_u32(len, HBES_FRAME_MAX + HBES_OVERHEAD + 1);
        assert_int_equal(hbes_feed(&p.c, len, 4), 0);
        assert_int_equal(hbes_next(&p.c, &p.c2s, &f), -EMSGSIZE);
        pair_free(&p);
        handshake(&p);
        hbes_put_u32(len, HBES_OVERHEAD);
        assert_int_equal(hbes_feed(&p.c, len, 4), 0);
        assert_int_equal(hbes_next(&p.c, &p.c2s, &f), -EMSGSIZE);
        pair_free(&p);
        /* A largest frame split anywhere, after a partial one: fine;
         * more unparsed bytes than two largest frames: refused. */
        handshake(&p);
        assert_int_equal(hbes_send(&p.s, HBES_EVENT, big, HBES_FRAME_MAX - 1,
                                   &p.s2c), 0);
        assert_int_equal(hbes_feed(&p.c, p.s2c.data, p.s2c.len - 1), 0);
        assert_int_equal(hbes_next(&p.c, &p.c2s, &f), HBES_NEED);
        assert_int_equal(hbes_feed(&p.c, big, sizeof(big)), 0);
        assert_int_equal(hbes_feed(&p.c, big, sizeof(big)), -EMSGSIZE);
        /* Not open yet: nothing to send with. */
        pair_free(&p);
        pair_open(&p, key_a);
        assert_int_equal(hbes_send(&p.c, HBES_PONG, NULL, 0, &p.c2s),
                         -EINVAL);
        pair_free(&p);
}

/* The handshake bytes docs/event-stream.md describes, recomputed here
 * from the document with libsodium's primitives directly. */
static void test_documented_bytes(void **state)
{
        pair_t p;
        hbes_frame_t f;
        uint8_t want[32];
        crypto_generichash_state st;
        static const char label[] = "hbeat-events-v1 client proof";

        (void)state;
        pair_open(&p, key_a);
        crypto_generichash_init(&st, key_a, 32, 32);
        crypto_generichash_update(&st, (const uint8_t *)label,
                                  sizeof(label) - 1);
        crypto_generichash_update(&st, nonce_c, 32);
        crypto_generichash_update(&st, nonce_s, 32);
        crypto_generichash_final(&st, want, 32);
        assert_memory_equal(p.c2s.data, want, 32);
        assert_int_equal(deliver(&p.s, &p.c2s, &p.s2c, &f), HBES_GOT_OPEN);
        pair_free(&p);
        /* HELLO: "HBES", version 1, three zero bytes, the nonce. */
        hbes_init(&p.c, false, key_a, nonce_c);
        memset(&p.c2s, 0, sizeof(p.c2s));
        assert_int_equal(hbes_start(&p.c, &p.c2s), 0);
        assert_memory_equal(p.c2s.data, "HBES\x01\0\0\0", 8);
        assert_memory_equal(p.c2s.data + 8, nonce_c, 32);
        hbes_wipe(&p.c);
        hbes_buf_free(&p.c2s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_handshake_and_frames),
                cmocka_unit_test(test_byte_by_byte),
                cmocka_unit_test(test_wrong_key),
                cmocka_unit_test(test_server_proof_checked),
                cmocka_unit_test(test_replayed_proof),
                cmocka_unit_test(test_not_the_protocol),
                cmocka_unit_test(test_damaged_replayed_dropped),
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_documented_bytes),
        };

        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
