/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the wire format v2 codec (src/core/wire.c), its key rings
 * and both modes (MAC, AEAD), and of the error strings (src/core/error.c),
 * against include/hbeat/wire.h and docs/wire-format.md.
 *
 * The expected bytes are built here independently of the codec: explicit
 * big-endian helpers of the test's own and tags computed by calling
 * libsodium directly, so a codec bug is not mirrored by the test. Every
 * decode reads from a heap copy of exactly `len` bytes so that ASan builds
 * catch any read past the datagram.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "hbeat/error.h"
#include "hbeat/wire.h"

#define CLUSTER 0x0a0b0c0du
#define SENTINEL 0xa5

static hb_key_t key_a, key_b, key_c;

/* ---- helpers independent of the codec ---------------------------------- */

static void be16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)(v & 0xff);
}

static void be32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void be64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Write a valid tag over buf[0, len - 16) with `key`, as a sender would. */
static void sign(uint8_t *buf, size_t len, const hb_key_t *key)
{
        size_t body = len - HB_WIRE_TAG_LEN;
        assert_int_equal(crypto_generichash(buf + body, HB_WIRE_TAG_LEN, buf,
                                            body, key->bytes, HB_KEY_LEN),
                         0);
}

/* Build a message by hand (v2, MAC mode, key id 0): outer header,
 * inner header, TLV bytes, then a valid tag. */
static size_t build(uint8_t *buf, uint8_t type, uint32_t sender,
                    const uint8_t *tlv, size_t tlv_len, const hb_key_t *key)
{
        size_t len = 44 + tlv_len + 16;
        be16(buf + 0, 0x4842);
        buf[2] = 2;
        buf[3] = 0;     /* mode: MAC */
        buf[4] = 0;     /* key id */
        buf[5] = 0;
        be16(buf + 6, (uint16_t)len);
        be32(buf + 8, CLUSTER);
        buf[12] = type;
        buf[13] = 0;
        be16(buf + 14, 0);
        be32(buf + 16, sender);
        be64(buf + 20, UINT64_C(0x1112131415161718));
        be64(buf + 28, UINT64_C(0x2122232425262728));
        be64(buf + 36, UINT64_C(0x3132333435363738));
        if (tlv_len > 0)
                memcpy(buf + 44, tlv, tlv_len);
        sign(buf, len, key);
        return len;
}

static const hb_keyring_t *R(const hb_key_t *key);

/* hb_wire_encode() and _decode() with the one-key ring of `key`. */
static int enc(uint8_t *buf, size_t cap, const hb_wire_msg_t *m,
               const hb_key_t *key)
{
        return hb_wire_encode(buf, cap, m, R(key), NULL);
}

static int dec(hb_wire_msg_t *d, const uint8_t *buf, size_t len,
               uint32_t cluster, const hb_key_t *key)
{
        return hb_wire_decode(d, buf, len, cluster, R(key), NULL, 0);
}

/* R(), or NULL for a NULL key (argument checks). */
static const hb_keyring_t *ringp(const hb_key_t *key)
{
        return key != NULL ? R(key) : NULL;
}

/* A one-key ring: `key` as id 0, MAC mode (the daemon's one-key form).
 * Four slots, so that calls in one expression do not collide. */
static const hb_keyring_t *R(const hb_key_t *key)
{
        static hb_keyring_t rings[4];
        static unsigned next;
        hb_keyring_t *r = &rings[next++ % 4];

        memset(r, 0, sizeof(*r));
        assert_int_equal(hb_keyring_add(r, 0, key, HB_WIRE_MODE_MAC), 0);
        return r;
}

static hb_wire_msg_t base_msg(uint8_t type)
{
        hb_wire_msg_t m = {
                .type = type,
                .flags = 0,
                .cluster_id = CLUSTER,
                .sender_id = 0xdeadbeefu,
                .incarnation = UINT64_C(1763719000123456),
                .seq = UINT64_C(987654321),
                .send_time_ns = UINT64_C(0xfedcba9876543210),
                .tlv = NULL,
                .tlv_len = 0,
        };
        return m;
}

/*
 * Decode from a heap copy of exactly `len` bytes (ASan: no over-read), with
 * `out` prefilled with a sentinel; on failure check it is untouched.
 */
static int decode_keys(hb_wire_msg_t *out, const uint8_t *bytes, size_t len,
                       uint32_t cluster, const hb_key_t *keys, size_t n_keys)
{
        uint8_t *copy = malloc(len > 0 ? len : 1);
        assert_non_null(copy);
        if (len > 0)
                memcpy(copy, bytes, len);

        hb_wire_msg_t tmp, sentinel;
        memset(&tmp, SENTINEL, sizeof(tmp));
        memset(&sentinel, SENTINEL, sizeof(sentinel));
        /* Key i of `keys` under id i. */
        hb_keyring_t ring;
        memset(&ring, 0, sizeof(ring));
        ring.n = (uint32_t)n_keys;
        for (size_t i = 0; i < n_keys && i < HB_KEYRING_MAX; i++) {
                ring.ids[i] = (uint8_t)i;
                ring.keys[i] = keys[i];
        }
        int r = hb_wire_decode(&tmp, copy, len, cluster, &ring, NULL, 0);
        if (r != 0)
                assert_memory_equal(&tmp, &sentinel, sizeof(tmp));
        else if (tmp.tlv != NULL)
                /* Borrowed from the buffer: rebase onto the caller's. */
                tmp.tlv = bytes + (tmp.tlv - copy);
        free(copy);
        if (out != NULL)
                *out = tmp;
        return r;
}

static int decode(const uint8_t *bytes, size_t len)
{
        return decode_keys(NULL, bytes, len, CLUSTER, &key_a, 1);
}

/* ---- encoding ---------------------------------------------------------- */

static void t_init(void **state)
{
        (void)state;
        assert_int_equal(hb_wire_init(), 0);
        assert_int_equal(hb_wire_init(), 0);
}

static void t_heartbeat_is_56_bytes(void **state)
{
        (void)state;
        uint8_t buf[128];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(HB_WIRE_HEARTBEAT_LEN, 60);
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a), 60);
        assert_int_equal(decode(buf, 60), 0);
}

static void check_roundtrip(uint8_t type, const uint8_t *tlv, size_t tlv_len)
{
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_wire_msg_t m = base_msg(type);
        m.tlv = tlv;
        m.tlv_len = tlv_len;
        int n = enc(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(n, (int)(HB_WIRE_HEARTBEAT_LEN + tlv_len));

        hb_wire_msg_t d;
        assert_int_equal(decode_keys(&d, buf, (size_t)n, CLUSTER, &key_a, 1),
                         0);
        assert_int_equal(d.type, type);
        assert_int_equal(d.flags, 0);
        assert_int_equal(d.cluster_id, CLUSTER);
        assert_int_equal(d.sender_id, m.sender_id);
        assert_true(d.incarnation == m.incarnation);
        assert_true(d.seq == m.seq);
        assert_true(d.send_time_ns == m.send_time_ns);
        assert_int_equal(d.tlv_len, tlv_len);
        if (tlv_len == 0) {
                assert_null(d.tlv);
        } else {
                /* Borrowed from the receive buffer, not copied. */
                assert_ptr_equal(d.tlv, buf + HB_WIRE_HEADER_LEN);
                assert_memory_equal(d.tlv, tlv, tlv_len);
        }

        /* Re-encoding the decoded message gives the same bytes. */
        uint8_t again[HB_WIRE_MAX_LEN];
        assert_int_equal(enc(again, sizeof(again), &d, &key_a), n);
        assert_memory_equal(again, buf, (size_t)n);
}

static const uint8_t tlv3[] = {
        0x00, 0x01, 0x00, 0x03, 'a', 'b', 'c', /* type 1, "abc" */
        0xff, 0xff, 0x00, 0x00,                /* type 0xffff, empty */
        0x80, 0x00, 0x00, 0x02, 0x12, 0x34,    /* type 0x8000, 2 bytes */
};

static void t_roundtrip_heartbeat(void **state)
{
        (void)state;
        check_roundtrip(HB_MSG_HEARTBEAT, NULL, 0);
        check_roundtrip(HB_MSG_HEARTBEAT, tlv3, sizeof(tlv3));
}

static void t_roundtrip_leave(void **state)
{
        (void)state;
        check_roundtrip(HB_MSG_LEAVE, NULL, 0);
        check_roundtrip(HB_MSG_LEAVE, tlv3, sizeof(tlv3));
}

static void t_encode_bytes_exact(void **state)
{
        (void)state;
        hb_wire_msg_t m = {
                .type = HB_MSG_LEAVE,
                .flags = 0x0101,
                .cluster_id = 0x03040506u,
                .sender_id = 0x0708090au,
                .incarnation = UINT64_C(0x0b0c0d0e0f101112),
                .seq = UINT64_C(0x131415161718191a),
                .send_time_ns = UINT64_C(0x1b1c1d1e1f202122),
                .tlv = tlv3,
                .tlv_len = sizeof(tlv3),
        };
        size_t len = 44 + sizeof(tlv3) + 16;
        uint8_t want[128] = {
                0x48, 0x42,             /* magic "HB" */
                0x02,                   /* version */
                0x00,                   /* mode: MAC */
                0x00,                   /* key id */
                0x00,                   /* reserved */
                0x00, (uint8_t)len,     /* length */
                0x03, 0x04, 0x05, 0x06, /* cluster id */
                0x02,                   /* type: leave */
                0x00,                   /* reserved */
                0x01, 0x01,             /* flags */
                0x07, 0x08, 0x09, 0x0a, /* sender id */
                0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
                0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
                0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22,
        };
        memcpy(want + 44, tlv3, sizeof(tlv3));
        assert_int_equal(crypto_generichash(want + len - 16, 16, want,
                                            len - 16, key_a.bytes, 32),
                         0);

        uint8_t got[128];
        memset(got, SENTINEL, sizeof(got));
        assert_int_equal(enc(got, sizeof(got), &m, &key_a),
                         (int)len);
        assert_memory_equal(got, want, len);
        /* Nothing written past the message. */
        for (size_t i = len; i < sizeof(got); i++)
                assert_int_equal(got[i], SENTINEL);
}

/* HB_FLAG_COORD: the 8-byte block sits between the header and the
 * TLVs, round-trips, and is required (encode) and checked for room
 * (decode); a coordination heartbeat is 64 bytes. */
static void t_coord_block(void **state)
{
        (void)state;
        static const uint8_t block[HB_WIRE_COORD_LEN] = {
                0, 0, 0, 9, 0x12, 0x34, 0x0a, 0xbc,
        };
        static const uint8_t tlv[] = { 0x00, 0x09, 0x00, 0x01, 0x77 };
        hb_wire_msg_t m = {
                .type = HB_MSG_HEARTBEAT,
                .flags = HB_FLAG_COORD | HB_FLAG_SUPPORT |
                         (3u << HB_FLAG_ROLE_SHIFT) |
                         (200u << HB_FLAG_PRIORITY_SHIFT),
                .cluster_id = 7, .sender_id = 2, .incarnation = 1, .seq = 5,
                .send_time_ns = 99, .coord = block,
        };
        uint8_t buf[128];
        hb_wire_msg_t d;
        int n;

        n = enc(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(n, HB_WIRE_COORD_HEARTBEAT_LEN);
        assert_int_equal(n, 68);
        assert_memory_equal(buf + HB_WIRE_HEADER_LEN, block, sizeof(block));
        assert_int_equal(dec(&d, buf, (size_t)n, 7, &key_a), 0);
        assert_int_equal(d.flags, m.flags);
        assert_non_null(d.coord);
        assert_memory_equal(d.coord, block, sizeof(block));
        assert_null(d.tlv);
        assert_int_equal(d.tlv_len, 0);

        /* With a TLV after the block. */
        m.tlv = tlv;
        m.tlv_len = sizeof(tlv);
        n = enc(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(n, 68 + (int)sizeof(tlv));
        assert_int_equal(dec(&d, buf, (size_t)n, 7, &key_a), 0);
        assert_memory_equal(d.coord, block, sizeof(block));
        assert_int_equal(d.tlv_len, sizeof(tlv));
        assert_memory_equal(d.tlv, tlv, sizeof(tlv));

        /* No block given with the flag. */
        m.coord = NULL;
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a),
                         -EINVAL);
        /* The flag on an authentic heartbeat with no room for the
         * block: a plain heartbeat, its flag set and re-signed. */
        {
                hb_wire_msg_t plain = {
                        .type = HB_MSG_HEARTBEAT, .cluster_id = 7,
                        .sender_id = 2,
                };
                uint8_t raw[HB_WIRE_HEARTBEAT_LEN];

                n = enc(raw, sizeof(raw), &plain, &key_a);
                assert_int_equal(n, HB_WIRE_HEARTBEAT_LEN);
                raw[15] |= HB_FLAG_COORD;
                assert_int_equal(crypto_generichash(raw + 44, 16, raw, 44,
                                                    key_a.bytes, 32),
                                 0);
                assert_int_equal(dec(&d, raw, sizeof(raw), 7, &key_a),
                                 HB_EBADTLV);
        }
}

/* The promise's 16-bit duration: exact in µs below 4.096 ms, never
 * rounded up, saturating at 4095 << 15 µs. */
static void t_duration_pack(void **state)
{
        (void)state;
        static const uint64_t ns[] = {
                0, 999, 1000, 4095000, 4096000, 4097000, 778300000,
                1250000000, UINT64_C(134000000000), UINT64_MAX,
        };

        assert_int_equal(hb_wire_duration_unpack(hb_wire_duration_pack(0)), 0);
        assert_int_equal(hb_wire_duration_unpack(
                                 hb_wire_duration_pack(4095000)),
                         4095000);
        assert_int_equal(hb_wire_duration_unpack(
                                 hb_wire_duration_pack(4097000)),
                         4096000);
        for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
                uint64_t back = hb_wire_duration_unpack(
                        hb_wire_duration_pack(ns[i]));

                assert_true(back <= ns[i]);
                /* Within 1/2048 (plus the µs truncation) below 134 s. */
                if (ns[i] < UINT64_C(134000000000))
                        assert_true(ns[i] - back <= ns[i] / 2048 + 1000);
        }
        assert_int_equal(hb_wire_duration_unpack(0xffff),
                         (UINT64_C(4095) << 15) * 1000);
        assert_int_equal(hb_wire_duration_pack(UINT64_MAX), 0xffff);
}

/* The example of docs/wire-format.md; its tag was also checked with
 * Python's hashlib.blake2b(msg, key=key, digest_size=16). */
static void t_golden_vector(void **state)
{
        (void)state;
        static const uint8_t want[60] = {
                0x48, 0x42, 0x02, 0x00, 0x01, 0x00, 0x00, 0x3c,
                0x00, 0x00, 0x00, 0x07, 0x01, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x44, 0x17,
                0xd4, 0x7c, 0x68, 0x40, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x1c,
                0xbe, 0x99, 0x1a, 0x08, 0xf5, 0x59, 0xa0, 0x16,
                0xa6, 0xce, 0x61, 0x2c, 0xd4, 0x70, 0x5c, 0x8b,
                0x40, 0x1d, 0xf0, 0x2f,
        };
        hb_key_t k = { { 0 } };
        k.bytes[0] = 0x01;
        hb_wire_msg_t m = {
                .type = HB_MSG_HEARTBEAT,
                .cluster_id = 7,
                .sender_id = 1,
                .incarnation = UINT64_C(1763719000123456),
                .seq = 42,
                .send_time_ns = UINT64_C(123456789000),
        };
        hb_keyring_t ring = { 0 };
        uint8_t got[60];
        assert_int_equal(hb_keyring_add(&ring, 1, &k, HB_WIRE_MODE_MAC), 0);
        assert_int_equal(hb_wire_encode(got, sizeof(got), &m, &ring, NULL),
                         60);
        assert_memory_equal(got, want, 60);

        hb_wire_msg_t d;
        assert_int_equal(hb_wire_decode(&d, want, 60, 7, &ring, NULL, 0), 0);
        assert_int_equal(d.sender_id, 1);
        assert_int_equal(d.key_id, 1);
        assert_true(d.seq == 42);

        char text[HB_KEY_BASE64_LEN];
        assert_int_equal(hb_key_to_base64(text, sizeof(text), &k), 0);
        assert_string_equal(text,
                            "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

static void t_encode_errors(void **state)
{
        (void)state;
        uint8_t buf[HB_WIRE_MAX_LEN + 64], sentinel[sizeof(buf)];
        memset(sentinel, SENTINEL, sizeof(sentinel));
        static uint8_t big[HB_WIRE_MAX_LEN];
        hb_wire_msg_t m;

#define EXPECT_ENC(cap, msgp, keyp, want)                                     \
        do {                                                                  \
                memset(buf, SENTINEL, sizeof(buf));                           \
                assert_int_equal(hb_wire_encode(buf, (cap), (msgp),          \
                                                ringp(keyp),                  \
                                                NULL),                        \
                                 (want));                                     \
                assert_memory_equal(buf, sentinel, sizeof(buf));              \
        } while (0)

        /* -EINVAL: NULL arguments, sender 0, unknown type, tlv NULL. */
        m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(enc(NULL, 64, &m, &key_a), -EINVAL);
        EXPECT_ENC(sizeof(buf), NULL, &key_a, -EINVAL);
        EXPECT_ENC(sizeof(buf), &m, NULL, -EINVAL);
        m.sender_id = 0;
        EXPECT_ENC(sizeof(buf), &m, &key_a, -EINVAL);
        static const uint8_t bad_types[] = { 0, 13, 0x7f, 0xff };
        for (size_t i = 0; i < sizeof(bad_types); i++) {
                m = base_msg(bad_types[i]);
                EXPECT_ENC(sizeof(buf), &m, &key_a, -EINVAL);
        }
        m = base_msg(HB_MSG_HEARTBEAT);
        m.tlv_len = 4;
        EXPECT_ENC(sizeof(buf), &m, &key_a, -EINVAL);

        /* -ENOBUFS: one byte short, and zero. */
        m = base_msg(HB_MSG_HEARTBEAT);
        EXPECT_ENC(59, &m, &key_a, -ENOBUFS);
        EXPECT_ENC(0, &m, &key_a, -ENOBUFS);
        m.tlv = tlv3;
        m.tlv_len = sizeof(tlv3);
        EXPECT_ENC(60 + sizeof(tlv3) - 1, &m, &key_a, -ENOBUFS);
        /* Exactly enough is enough. */
        assert_int_equal(enc(buf, 60 + sizeof(tlv3), &m, &key_a),
                         (int)(60 + sizeof(tlv3)));

        /* HB_ETOOBIG: a well-formed TLV making the message 1201 bytes,
         * even with room in the buffer; and an absurd tlv_len. */
        m = base_msg(HB_MSG_HEARTBEAT);
        memset(big, 0, sizeof(big));
        be16(big + 2, (uint16_t)(HB_WIRE_MAX_LEN - 60 + 1 - 4));
        m.tlv = big;
        m.tlv_len = HB_WIRE_MAX_LEN - 60 + 1;
        EXPECT_ENC(sizeof(buf), &m, &key_a, HB_ETOOBIG);
        m.tlv_len = SIZE_MAX;
        EXPECT_ENC(sizeof(buf), &m, &key_a, HB_ETOOBIG);

        /* HB_EBADTLV: 1-3 bytes, length past the end, trailing bytes. */
        m = base_msg(HB_MSG_HEARTBEAT);
        m.tlv = tlv3;
        for (size_t n = 1; n <= 3; n++) {
                m.tlv_len = n;
                EXPECT_ENC(sizeof(buf), &m, &key_a, HB_EBADTLV);
        }
        m.tlv_len = 6; /* first TLV says 3 value bytes, 2 present */
        EXPECT_ENC(sizeof(buf), &m, &key_a, HB_EBADTLV);
        m.tlv_len = sizeof(tlv3) - 1;
        EXPECT_ENC(sizeof(buf), &m, &key_a, HB_EBADTLV);
        uint8_t trailing[7 + 3];
        memcpy(trailing, tlv3, 7);
        memset(trailing + 7, 0, 3);
        m.tlv = trailing;
        for (size_t n = 8; n <= 10; n++) {
                m.tlv_len = n;
                EXPECT_ENC(sizeof(buf), &m, &key_a, HB_EBADTLV);
        }
#undef EXPECT_ENC
}

static void t_max_size(void **state)
{
        (void)state;
        static uint8_t tlv[HB_WIRE_MAX_LEN - 60];
        static uint8_t buf[HB_WIRE_MAX_LEN];
        memset(tlv, 0x5a, sizeof(tlv));
        be16(tlv, 0x0042);
        be16(tlv + 2, (uint16_t)(sizeof(tlv) - 4));
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        m.tlv = tlv;
        m.tlv_len = sizeof(tlv);
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a),
                         HB_WIRE_MAX_LEN);
        hb_wire_msg_t d;
        assert_int_equal(decode_keys(&d, buf, sizeof(buf), CLUSTER, &key_a,
                                     1),
                         0);
        assert_int_equal(d.tlv_len, sizeof(tlv));
}

/* ---- decoding: each malformed class has its own error ------------------ */

static void t_decode_einval(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT), d;
        hb_key_t keys[HB_KEYRING_MAX + 1] = { key_a, key_b, key_c };
        hb_keyring_t bad;
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, R(&key_a),
                                        NULL),
                         60);
        assert_int_equal(hb_wire_decode(NULL, buf, 60, CLUSTER, R(&key_a),
                                        NULL, 0),
                         -EINVAL);
        assert_int_equal(hb_wire_decode(&d, NULL, 60, CLUSTER, R(&key_a),
                                        NULL, 0),
                         -EINVAL);
        assert_int_equal(hb_wire_decode(&d, buf, 60, CLUSTER, NULL, NULL, 0),
                         -EINVAL);
        /* Invalid rings: empty, too many keys, a primary not in it,
         * duplicate ids, an unknown mode. */
        assert_int_equal(decode_keys(NULL, buf, 60, CLUSTER, keys, 0),
                         -EINVAL);
        assert_int_equal(decode_keys(NULL, buf, 60, CLUSTER, keys,
                                     HB_KEYRING_MAX + 1),
                         -EINVAL);
        assert_int_equal(decode_keys(NULL, buf, 60, CLUSTER, keys,
                                     HB_KEYRING_MAX),
                         0);
        bad = *R(&key_a);
        bad.primary = 9;
        assert_int_equal(hb_wire_decode(&d, buf, 60, CLUSTER, &bad, NULL, 0),
                         -EINVAL);
        bad = *R(&key_a);
        bad.n = 2;
        assert_int_equal(hb_wire_decode(&d, buf, 60, CLUSTER, &bad, NULL, 0),
                         -EINVAL);
        bad = *R(&key_a);
        bad.modes[0] = 2;
        assert_int_equal(hb_wire_decode(&d, buf, 60, CLUSTER, &bad, NULL, 0),
                         -EINVAL);
        /* An AEAD key without a plaintext buffer. */
        bad = *R(&key_a);
        bad.modes[0] = HB_WIRE_MODE_AEAD;
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &bad, NULL),
                         -EINVAL);
}

static void t_oversized(void **state)
{
        (void)state;
        static uint8_t buf[HB_WIRE_MAX_LEN + 1];
        memset(buf, 0, sizeof(buf));
        /* A plausible header claiming the full length. */
        be16(buf, 0x4842);
        buf[2] = 1;
        buf[3] = 1;
        be16(buf + 6, (uint16_t)sizeof(buf));
        be32(buf + 8, CLUSTER);
        be32(buf + 12, 1);
        sign(buf, sizeof(buf), &key_a);
        assert_int_equal(decode(buf, HB_WIRE_MAX_LEN + 1), HB_ETOOBIG);
        /* Oversize wins over every other defect. */
        memset(buf, 0xff, sizeof(buf));
        assert_int_equal(decode(buf, sizeof(buf)), HB_ETOOBIG);
        hb_wire_msg_t d;
        assert_int_equal(dec(&d, buf, SIZE_MAX, CLUSTER, &key_a),
                         HB_ETOOBIG);
}

static void t_truncated(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a), 60);

        /* 0..3 bytes: truncated, whatever they hold. */
        for (size_t n = 0; n < 4; n++)
                assert_int_equal(decode(buf, n), HB_ETRUNC);
        static const uint8_t junk[4] = { 0xff, 0xff, 0xff, 0xff };
        for (size_t n = 0; n < 4; n++)
                assert_int_equal(decode(junk, n), HB_ETRUNC);

        /* 4..59 bytes with valid magic and version. */
        for (size_t n = 4; n < 60; n++)
                assert_int_equal(decode(buf, n), HB_ETRUNC);

        /* Magic and version are checked before the length: a short
         * datagram of another protocol is counted as bad magic. */
        uint8_t other[60];
        memcpy(other, buf, sizeof(other));
        other[0] ^= 0x01;
        for (size_t n = 4; n < 60; n++)
                assert_int_equal(decode(other, n), HB_EBADMAGIC);
        memcpy(other, buf, sizeof(other));
        other[2] = 1;   /* version 1: no key id, 56-byte heartbeats */
        for (size_t n = 4; n < 60; n++)
                assert_int_equal(decode(other, n), HB_EVERSION);
}

static void t_bad_magic(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a), 60);
        static const uint16_t magics[] = { 0x0000, 0x4248, 0x4843, 0x4942,
                                           0xffff };
        for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
                be16(buf, magics[i]);
                sign(buf, 60, &key_a); /* a valid tag does not help */
                assert_int_equal(decode(buf, 60), HB_EBADMAGIC);
        }
}

static void t_bad_version(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a), 60);
        static const uint8_t versions[] = { 0, 1, 3, 0x81, 0xff };
        for (size_t i = 0; i < sizeof(versions); i++) {
                buf[2] = versions[i];
                sign(buf, 60, &key_a);
                assert_int_equal(decode(buf, 60), HB_EVERSION);
        }
}

static void t_bad_length(void **state)
{
        (void)state;
        uint8_t buf[128];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a), 60);

        /* Field larger and smaller than the datagram (tag re-made, so
         * only the length is wrong). */
        static const uint16_t fields[] = { 56, 59, 0, 4, 1200, 0xffff };
        uint8_t cp[64];
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                memcpy(cp, buf, 60);
                be16(cp + 6, fields[i]);
                sign(cp, 60, &key_a);
                assert_int_equal(decode(cp, 60), HB_EBADLEN);
        }

        /* Datagram longer than the field: trailing bytes. */
        memset(buf + 60, 0, sizeof(buf) - 60);
        for (size_t n = 61; n <= 64; n++)
                assert_int_equal(decode(buf, n), HB_EBADLEN);

        /* Datagram shorter than the field: a TLV message cut to 60. */
        m.tlv = tlv3;
        m.tlv_len = sizeof(tlv3);
        int n = enc(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(n, 60 + (int)sizeof(tlv3));
        for (size_t cut = 60; cut < (size_t)n; cut++)
                assert_int_equal(decode(buf, cut), HB_EBADLEN);
        assert_int_equal(decode(buf, (size_t)n), 0);
}

static void t_wrong_cluster(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a), 60);
        assert_int_equal(decode_keys(NULL, buf, 60, CLUSTER + 1, &key_a, 1),
                         HB_ECLUSTER);
        assert_int_equal(decode_keys(NULL, buf, 60, 0, &key_a, 1),
                         HB_ECLUSTER);
        /* Checked before the tag: counted as foreign, not as forged. */
        assert_int_equal(decode_keys(NULL, buf, 60, CLUSTER + 1, &key_b, 1),
                         HB_ECLUSTER);
        /* Cluster id 0 is a valid id. */
        m.cluster_id = 0;
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a), 60);
        assert_int_equal(decode_keys(NULL, buf, 60, 0, &key_a, 1), 0);
}

/* The error a single bit flip at byte `off` must cause. */
static int flip_error(size_t off)
{
        if (off < 2)
                return HB_EBADMAGIC;
        if (off == 2)
                return HB_EVERSION;
        if (off == 3)
                return HB_EMODE;        /* the key's mode is MAC */
        if (off == 4)
                return HB_EUNKEY;       /* the ring holds id 0 only */
        if (off == 6 || off == 7)
                return HB_EBADLEN;
        if (off >= 8 && off < 12)
                return HB_ECLUSTER;
        return HB_EBADTAG;
}

static void check_bit_flips(const uint8_t *tlv, size_t tlv_len)
{
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        m.tlv = tlv;
        m.tlv_len = tlv_len;
        int n = enc(buf, sizeof(buf), &m, &key_a);
        assert_true(n > 0);
        assert_int_equal(decode(buf, (size_t)n), 0);

        unsigned rejected = 0;
        for (size_t off = 0; off < (size_t)n; off++) {
                for (unsigned bit = 0; bit < 8; bit++) {
                        buf[off] ^= (uint8_t)(1u << bit);
                        int r = decode(buf, (size_t)n);
                        if (r != flip_error(off))
                                fail_msg("flip byte %zu bit %u: got %d (%s)",
                                         off, bit, r, hb_errname(r));
                        rejected++;
                        buf[off] ^= (uint8_t)(1u << bit);
                }
        }
        assert_int_equal(rejected, (unsigned)n * 8);
        assert_int_equal(decode(buf, (size_t)n), 0);
}

static void t_bit_flips(void **state)
{
        (void)state;
        check_bit_flips(NULL, 0);
        check_bit_flips(tlv3, sizeof(tlv3));
}

static void t_wrong_key(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        hb_key_t zero = { { 0 } };
        assert_int_equal(enc(buf, sizeof(buf), &m, &key_a), 60);
        assert_int_equal(decode_keys(NULL, buf, 60, CLUSTER, &key_b, 1),
                         HB_EBADTAG);
        assert_int_equal(decode_keys(NULL, buf, 60, CLUSTER, &zero, 1),
                         HB_EBADTAG);
        /* Keys differing in one bit only. */
        hb_key_t near = key_a;
        near.bytes[HB_KEY_LEN - 1] ^= 0x80;
        assert_int_equal(decode_keys(NULL, buf, 60, CLUSTER, &near, 1),
                         HB_EBADTAG);
        /* An all-zero tag. */
        memset(buf + 44, 0, 16);
        assert_int_equal(decode(buf, 60), HB_EBADTAG);
}

static void t_key_rotation(void **state)
{
        (void)state;
        uint8_t buf_a[64], buf_b[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(enc(buf_a, sizeof(buf_a), &m, &key_a),
                         60);
        assert_int_equal(enc(buf_b, sizeof(buf_b), &m, &key_b),
                         60);
        assert_memory_not_equal(buf_a + 44, buf_b + 44, 16);

        /* decode_keys() puts key i under id i: buf_a names id 0. */
        const hb_key_t ab[2] = { key_a, key_b };
        const hb_key_t ba[2] = { key_b, key_a };
        assert_int_equal(decode_keys(NULL, buf_a, 60, CLUSTER, ab, 2), 0);
        assert_int_equal(decode_keys(NULL, buf_b, 60, CLUSTER, ba, 2), 0);
        /* The key is picked by id, not tried: key_b under id 0 does not
         * verify key_a's message even with key_a in the ring (id 1). */
        assert_int_equal(decode_keys(NULL, buf_a, 60, CLUSTER, ba, 2),
                         HB_EBADTAG);

        /* A ring of two ids: each message verifies under its own. */
        hb_keyring_t ring = { 0 }, send = { 0 };
        hb_wire_msg_t d;
        assert_int_equal(hb_keyring_add(&ring, 3, &key_a, 0), 0);
        assert_int_equal(hb_keyring_add(&ring, 200, &key_b, 0), 0);
        assert_int_equal(hb_keyring_add(&ring, 3, &key_c, 0), -EEXIST);
        assert_int_equal(ring.primary, 3);
        assert_int_equal(hb_keyring_validate(&ring), 0);
        assert_int_equal(hb_keyring_find(&ring, 200), 1);
        assert_int_equal(hb_keyring_find(&ring, 4), -1);
        assert_int_equal(hb_keyring_add(&send, 200, &key_b, 0), 0);
        assert_int_equal(hb_wire_encode(buf_b, sizeof(buf_b), &m, &send,
                                        NULL),
                         60);
        assert_int_equal(buf_b[4], 200);
        assert_int_equal(hb_wire_decode(&d, buf_b, 60, CLUSTER, &ring, NULL,
                                        0),
                         0);
        assert_int_equal(d.key_id, 200);
        /* The primary decides what is sent. */
        ring.primary = 200;
        assert_int_equal(hb_wire_encode(buf_a, sizeof(buf_a), &m, &ring,
                                        NULL),
                         60);
        assert_memory_equal(buf_a, buf_b, 60);
        /* An id the ring does not hold: unknown_key, before any MAC (a
         * valid tag under a key of another id does not help). */
        hb_keyring_t other = { 0 };
        assert_int_equal(hb_keyring_add(&other, 7, &key_a, 0), 0);
        assert_int_equal(hb_wire_encode(buf_a, sizeof(buf_a), &m, &other,
                                        NULL),
                         60);
        assert_int_equal(hb_wire_decode(&d, buf_a, 60, CLUSTER, &ring, NULL,
                                        0),
                         HB_EUNKEY);
        /* Removed from the ring: unknown_key too (fail closed). */
        ring.n = 1;
        ring.primary = 3;
        assert_int_equal(hb_wire_decode(&d, buf_b, 60, CLUSTER, &ring, NULL,
                                        0),
                         HB_EUNKEY);
        /* Full ring. */
        for (unsigned i = 1; i < HB_KEYRING_MAX; i++)
                assert_int_equal(hb_keyring_add(&ring, (uint8_t)(10 + i),
                                                &key_c, 0),
                                 0);
        assert_int_equal(hb_keyring_add(&ring, 99, &key_c, 0), -ENOSPC);
        hb_keyring_wipe(&ring);
        assert_int_equal(ring.n, 0);
}

static void t_bad_type(void **state)
{
        (void)state;
        uint8_t buf[64];
        static const uint8_t types[] = { 0, 13, 0x80, 0xff };
        for (size_t i = 0; i < sizeof(types); i++) {
                size_t n = build(buf, types[i], 5, NULL, 0, &key_a);
                assert_int_equal(decode(buf, n), HB_EBADTYPE);
                /* Without a valid tag the type is not even looked at. */
                buf[n - 1] ^= 1;
                assert_int_equal(decode(buf, n), HB_EBADTAG);
        }
        /* Sanity: the builder makes acceptable messages. */
        size_t n = build(buf, HB_MSG_HEARTBEAT, 5, NULL, 0, &key_a);
        assert_int_equal(decode(buf, n), 0);
}

static void t_bad_tlv(void **state)
{
        (void)state;
        uint8_t buf[128], tlv[32];
        size_t n;

        /* 1-3 bytes: not even a TLV header. */
        memset(tlv, 0, sizeof(tlv));
        for (size_t k = 1; k <= 3; k++) {
                n = build(buf, HB_MSG_HEARTBEAT, 5, tlv, k, &key_a);
                assert_int_equal(decode(buf, n), HB_EBADTLV);
        }
        /* Value length running past the end (by one, and by a lot). */
        be16(tlv, 1);
        be16(tlv + 2, 5);
        n = build(buf, HB_MSG_HEARTBEAT, 5, tlv, 4 + 4, &key_a);
        assert_int_equal(decode(buf, n), HB_EBADTLV);
        be16(tlv + 2, 0xffff);
        n = build(buf, HB_MSG_HEARTBEAT, 5, tlv, 4 + 4, &key_a);
        assert_int_equal(decode(buf, n), HB_EBADTLV);
        /* A whole TLV followed by 1-3 trailing bytes. */
        memcpy(tlv, tlv3, 7);
        memset(tlv + 7, 0, 3);
        for (size_t k = 1; k <= 3; k++) {
                n = build(buf, HB_MSG_HEARTBEAT, 5, tlv, 7 + k, &key_a);
                assert_int_equal(decode(buf, n), HB_EBADTLV);
        }
        /* Order: an unknown type is reported before a bad TLV area. */
        n = build(buf, 13, 5, tlv, 8, &key_a);
        assert_int_equal(decode(buf, n), HB_EBADTYPE);
        /* Sanity: exactly one whole TLV is fine. */
        n = build(buf, HB_MSG_HEARTBEAT, 5, tlv, 7, &key_a);
        assert_int_equal(decode(buf, n), 0);
}

/* AEAD mode: 24 bytes more, the inner part unreadable, the outer header
 * authenticated as additional data, the mode bound to the key. */
static void t_aead(void **state)
{
        (void)state;
        uint8_t buf[HB_WIRE_MAX_LEN], plain[HB_WIRE_MAX_LEN];
        uint8_t nonce[HB_WIRE_NONCE_LEN];
        hb_keyring_t ring = { 0 }, clear = { 0 };
        hb_wire_msg_t m = base_msg(HB_MSG_LEAVE), d;
        int n;

        for (size_t i = 0; i < sizeof(nonce); i++)
                nonce[i] = (uint8_t)(i * 11);
        assert_int_equal(hb_keyring_add(&ring, 5, &key_a, HB_WIRE_MODE_AEAD),
                         0);
        assert_int_equal(hb_keyring_add(&clear, 5, &key_a, HB_WIRE_MODE_MAC),
                         0);
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &ring, NULL),
                         -EINVAL);
        n = hb_wire_encode(buf, sizeof(buf), &m, &ring, nonce);
        assert_int_equal(n, 84);
        assert_int_equal(hb_wire_len(HB_WIRE_MODE_AEAD, 0), 84);
        assert_int_equal(buf[3], HB_WIRE_MODE_AEAD);
        assert_int_equal(buf[4], 5);
        assert_memory_equal(buf + 12, nonce, sizeof(nonce));
        /* The sender id and incarnation are nowhere in clear. */
        for (int i = 0; i + 4 <= n; i++)
                assert_false(buf[i] == 0xde && buf[i + 1] == 0xad &&
                             buf[i + 2] == 0xbe && buf[i + 3] == 0xef);
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, CLUSTER, &ring,
                                        plain, sizeof(plain)),
                         0);
        assert_int_equal(d.type, HB_MSG_LEAVE);
        assert_int_equal(d.sender_id, m.sender_id);
        assert_true(d.incarnation == m.incarnation);
        assert_true(d.seq == m.seq);
        assert_int_equal(d.mode, HB_WIRE_MODE_AEAD);
        /* No plaintext buffer, or one too small. */
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, CLUSTER, &ring,
                                        NULL, 0),
                         -EINVAL);
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, CLUSTER, &ring,
                                        plain, (size_t)n - 1),
                         -EINVAL);
        /* Each bit of the message matters (outer header: AD). */
        for (int off = 0; off < n; off++) {
                int r;

                buf[off] ^= 0x10;
                r = hb_wire_decode(&d, buf, (size_t)n, CLUSTER, &ring,
                                   plain, sizeof(plain));
                assert_true(r < 0);
                if (off >= 12 || off == 5)
                        assert_int_equal(r, HB_EBADTAG);
                buf[off] ^= 0x10;
        }
        /* The key says AEAD: a clear message under id 5 is dropped, and
         * an encrypted one at a receiver whose key 5 is clear. */
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, CLUSTER, &clear,
                                        plain, sizeof(plain)),
                         HB_EMODE);
        n = hb_wire_encode(buf, sizeof(buf), &m, &clear, NULL);
        assert_int_equal(n, 60);
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, CLUSTER, &ring,
                                        plain, sizeof(plain)),
                         HB_EMODE);
        /* Short AEAD message: truncated once the mode is known. */
        buf[3] = HB_WIRE_MODE_AEAD;
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, CLUSTER, &ring,
                                        plain, sizeof(plain)),
                         HB_ETRUNC);
        /* With TLVs and the coordination block, the largest message. */
        {
                static uint8_t tlv[HB_WIRE_MAX_LEN - 84 - HB_WIRE_COORD_LEN];
                static const uint8_t block[HB_WIRE_COORD_LEN] = { 1, 2, 3 };

                memset(tlv, 0x33, sizeof(tlv));
                be16(tlv, 0x0042);
                be16(tlv + 2, (uint16_t)(sizeof(tlv) - 4));
                m = base_msg(HB_MSG_HEARTBEAT);
                m.flags = HB_FLAG_COORD;
                m.coord = block;
                m.tlv = tlv;
                m.tlv_len = sizeof(tlv);
                n = hb_wire_encode(buf, sizeof(buf), &m, &ring, nonce);
                assert_int_equal(n, HB_WIRE_MAX_LEN);
                assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, CLUSTER,
                                                &ring, plain, sizeof(plain)),
                                 0);
                assert_memory_equal(d.coord, block, sizeof(block));
                assert_int_equal(d.tlv_len, sizeof(tlv));
                assert_memory_equal(d.tlv, tlv, sizeof(tlv));
                m.tlv_len++;
                assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &ring,
                                                nonce),
                                 HB_ETOOBIG);
        }
}

static void t_sender_zero(void **state)
{
        (void)state;
        uint8_t buf[64];
        size_t n = build(buf, HB_MSG_HEARTBEAT, 0, NULL, 0, &key_a);
        assert_int_equal(decode(buf, n), HB_EUNKPEER);
        n = build(buf, HB_MSG_LEAVE, 0, NULL, 0, &key_a);
        assert_int_equal(decode(buf, n), HB_EUNKPEER);
        /* Order: a bad TLV area is reported before the sender id. */
        static const uint8_t junk[2] = { 0, 0 };
        n = build(buf, HB_MSG_HEARTBEAT, 0, junk, sizeof(junk), &key_a);
        assert_int_equal(decode(buf, n), HB_EBADTLV);
        /* The largest id is valid. */
        n = build(buf, HB_MSG_HEARTBEAT, UINT32_MAX, NULL, 0, &key_a);
        assert_int_equal(decode(buf, n), 0);
}

static void t_flags_ignored(void **state)
{
        (void)state;
        uint8_t buf[64];
        size_t n = build(buf, HB_MSG_HEARTBEAT, 5, NULL, 0, &key_a);
        be16(buf + 14, 0x8001);
        sign(buf, n, &key_a);
        hb_wire_msg_t d;
        assert_int_equal(decode_keys(&d, buf, n, CLUSTER, &key_a, 1), 0);
        assert_int_equal(d.flags, 0x8001);
        assert_int_equal(d.sender_id, 5);
        assert_true(d.incarnation == UINT64_C(0x1112131415161718));
        assert_true(d.seq == UINT64_C(0x2122232425262728));
        assert_true(d.send_time_ns == UINT64_C(0x3132333435363738));
}

/* ---- TLV walker -------------------------------------------------------- */

static void t_tlv_next(void **state)
{
        (void)state;
        const uint8_t *p = tlv3, *v = NULL;
        size_t left = sizeof(tlv3);
        uint16_t type = 0, vlen = 0;

        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, &vlen), 1);
        assert_int_equal(type, 1);
        assert_int_equal(vlen, 3);
        assert_ptr_equal(v, tlv3 + 4);
        assert_ptr_equal(p, tlv3 + 7);
        assert_int_equal(left, sizeof(tlv3) - 7);

        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, &vlen), 1);
        assert_int_equal(type, 0xffff);
        assert_int_equal(vlen, 0);
        assert_ptr_equal(v, tlv3 + 11);

        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, &vlen), 1);
        assert_int_equal(type, 0x8000);
        assert_int_equal(vlen, 2);
        assert_memory_equal(v, "\x12\x34", 2);
        assert_int_equal(left, 0);
        assert_ptr_equal(p, tlv3 + sizeof(tlv3));

        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, &vlen), 0);
        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, &vlen), 0);

        /* An empty sequence, also from a NULL pointer (a decoded message
         * without TLVs). */
        p = NULL;
        left = 0;
        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, &vlen), 0);

        /* Walking a decoded message. */
        uint8_t buf[128];
        hb_wire_msg_t m = base_msg(HB_MSG_LEAVE), d;
        m.tlv = tlv3;
        m.tlv_len = sizeof(tlv3);
        int n = enc(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(dec(&d, buf, (size_t)n, CLUSTER, &key_a),
                         0);
        p = d.tlv;
        left = d.tlv_len;
        int count = 0, r;
        while ((r = hb_wire_tlv_next(&p, &left, &type, &v, &vlen)) == 1)
                count++;
        assert_int_equal(r, 0);
        assert_int_equal(count, 3);
}

static void t_tlv_next_errors(void **state)
{
        (void)state;
        uint8_t bad[8] = { 0, 1, 0, 5, 'x', 'y', 'z', 'w' };
        const uint8_t *p, *v = (const uint8_t *)"s";
        size_t left;
        uint16_t type = 77, vlen = 88;

        /* 1-3 bytes left. */
        for (size_t k = 1; k <= 3; k++) {
                p = bad;
                left = k;
                assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v,
                                                  &vlen),
                                 HB_EBADTLV);
                assert_ptr_equal(p, bad);
                assert_int_equal(left, k);
        }
        /* Value length past the end: 5 claimed, 4 present. */
        p = bad;
        left = sizeof(bad);
        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, &vlen),
                         HB_EBADTLV);
        assert_ptr_equal(p, bad);
        assert_int_equal(left, sizeof(bad));
        assert_int_equal(type, 77);
        assert_int_equal(vlen, 88);
        assert_string_equal((const char *)v, "s");

        /* NULL arguments. */
        left = sizeof(bad);
        assert_int_equal(hb_wire_tlv_next(NULL, &left, &type, &v, &vlen),
                         -EINVAL);
        assert_int_equal(hb_wire_tlv_next(&p, NULL, &type, &v, &vlen),
                         -EINVAL);
        assert_int_equal(hb_wire_tlv_next(&p, &left, NULL, &v, &vlen),
                         -EINVAL);
        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, NULL, &vlen),
                         -EINVAL);
        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, NULL),
                         -EINVAL);
        p = NULL;
        assert_int_equal(hb_wire_tlv_next(&p, &left, &type, &v, &vlen),
                         -EINVAL);
}

/* ---- keys -------------------------------------------------------------- */

static void t_key_base64_roundtrip(void **state)
{
        (void)state;
        for (int i = 0; i < 50; i++) {
                hb_key_t k, back;
                char text[HB_KEY_BASE64_LEN];
                hb_key_generate(&k);
                assert_int_equal(hb_key_to_base64(text, sizeof(text), &k), 0);
                assert_int_equal(strlen(text), 44);
                assert_int_equal(text[43], '=');
                memset(&back, SENTINEL, sizeof(back));
                assert_int_equal(hb_key_from_base64(&back, text), 0);
                assert_memory_equal(back.bytes, k.bytes, HB_KEY_LEN);
        }

        char text[HB_KEY_BASE64_LEN + 8], sentinel[sizeof(text)];
        memset(sentinel, SENTINEL, sizeof(sentinel));
        memset(text, SENTINEL, sizeof(text));
        assert_int_equal(hb_key_to_base64(text, HB_KEY_BASE64_LEN - 1,
                                          &key_a),
                         -ENOBUFS);
        assert_memory_equal(text, sentinel, sizeof(text));
        assert_int_equal(hb_key_to_base64(text, 0, &key_a), -ENOBUFS);
        assert_int_equal(hb_key_to_base64(NULL, 64, &key_a), -EINVAL);
        assert_int_equal(hb_key_to_base64(text, sizeof(text), NULL),
                         -EINVAL);
        assert_memory_equal(text, sentinel, sizeof(text));
        /* Exactly HB_KEY_BASE64_LEN is enough, and NUL-terminated. */
        assert_int_equal(hb_key_to_base64(text, HB_KEY_BASE64_LEN, &key_a),
                         0);
        assert_int_equal(text[44], '\0');
}

static void t_key_base64_whitespace(void **state)
{
        (void)state;
        char b64[HB_KEY_BASE64_LEN], text[96];
        assert_int_equal(hb_key_to_base64(b64, sizeof(b64), &key_b), 0);
        static const char *const fmts[][2] = {
                { "", "\n" },     { "", "\r\n" }, { " ", "" },
                { "\t ", " \n\n" }, { "\n", "\n" },
        };
        for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
                snprintf(text, sizeof(text), "%s%s%s", fmts[i][0], b64,
                         fmts[i][1]);
                hb_key_t k;
                memset(&k, SENTINEL, sizeof(k));
                assert_int_equal(hb_key_from_base64(&k, text), 0);
                assert_memory_equal(k.bytes, key_b.bytes, HB_KEY_LEN);
        }
}

static void t_key_base64_rejects(void **state)
{
        (void)state;
        char b64[HB_KEY_BASE64_LEN];
        assert_int_equal(hb_key_to_base64(b64, sizeof(b64), &key_c), 0);

        /* Other lengths, encoded correctly. */
        uint8_t raw[64];
        memset(raw, 0x3c, sizeof(raw));
        static const size_t lens[] = { 1, 16, 31, 33, 48, 64 };
        char other[128];
        char inner[128];
        char bad[8][128];
        size_t nbad = 0;

        hb_key_t k, sentinel;
        memset(&sentinel, SENTINEL, sizeof(sentinel));
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                sodium_bin2base64(other, sizeof(other), raw, lens[i],
                                  sodium_base64_VARIANT_ORIGINAL);
                k = sentinel;
                assert_int_equal(hb_key_from_base64(&k, other), HB_EBADKEY);
                assert_memory_equal(&k, &sentinel, sizeof(k));
        }

        /* Unpadded; a character outside the alphabet; URL-safe alphabet;
         * whitespace inside; trailing garbage; two keys. */
        snprintf(bad[nbad++], 128, "%.43s", b64);
        snprintf(bad[nbad++], 128, "%s", b64);
        bad[nbad - 1][10] = '!';
        snprintf(bad[nbad++], 128, "%s", b64);
        bad[nbad - 1][0] = '-';
        snprintf(bad[nbad++], 128, "%.20s %s", b64, b64 + 20);
        snprintf(bad[nbad++], 128, "%s x", b64);
        snprintf(bad[nbad++], 128, "%s%s", b64, b64);
        snprintf(bad[nbad++], 128, "%s=", b64);
        for (size_t i = 0; i < nbad; i++) {
                k = sentinel;
                if (hb_key_from_base64(&k, bad[i]) != HB_EBADKEY)
                        fail_msg("accepted \"%s\"", bad[i]);
                assert_memory_equal(&k, &sentinel, sizeof(k));
        }

        /* Non-canonical: last character with non-zero padding bits. */
        snprintf(inner, sizeof(inner), "%s", b64);
        inner[42] = inner[42] == 'B' ? 'C' : 'B';
        k = sentinel;
        /* 'B' and 'C' both carry low bits that 32 bytes cannot use. */
        assert_int_equal(hb_key_from_base64(&k, inner), HB_EBADKEY);

        static const char *const junk[] = { "", " ", "\n", "\t \r\n", "!!!",
                                            "====", "hello world" };
        for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
                k = sentinel;
                assert_int_equal(hb_key_from_base64(&k, junk[i]), HB_EBADKEY);
                assert_memory_equal(&k, &sentinel, sizeof(k));
        }

        assert_int_equal(hb_key_from_base64(NULL, b64), -EINVAL);
        assert_int_equal(hb_key_from_base64(&k, NULL), -EINVAL);
}

static void t_key_generate_wipe(void **state)
{
        (void)state;
        hb_key_t k1, k2, zero = { { 0 } };
        hb_key_generate(&k1);
        hb_key_generate(&k2);
        assert_memory_not_equal(k1.bytes, k2.bytes, HB_KEY_LEN);
        assert_memory_not_equal(k1.bytes, zero.bytes, HB_KEY_LEN);
        hb_key_wipe(&k1);
        assert_memory_equal(k1.bytes, zero.bytes, HB_KEY_LEN);
        hb_key_wipe(NULL);
        hb_key_generate(NULL);
}

/* ---- names ------------------------------------------------------------- */

static void t_errors(void **state)
{
        (void)state;
        static const struct {
                int code;
                const char *msg;
        } map[] = {
#define ROW(name, val, msg) { HB_##name, msg },
                HB_ERRNO_MAP(ROW)
#undef ROW
        };
        static const struct {
                int code;
                const char *name;
        } names[] = {
                { HB_ETRUNC, "truncated" },    { HB_EBADMAGIC, "bad_magic" },
                { HB_EVERSION, "bad_version" }, { HB_EBADLEN, "bad_length" },
                { HB_EBADTLV, "bad_tlv" },      { HB_EBADTAG, "bad_tag" },
                { HB_ECLUSTER, "wrong_cluster" }, { HB_ETOOBIG, "oversized" },
                { HB_EBADTYPE, "bad_type" },    { HB_EUNKPEER, "unknown_peer" },
                { HB_EREPLAY, "replay" },       { HB_ESELF, "self" },
                { HB_EBADKEY, "bad_key" },
                { HB_ENOTOURS, "not_ours" },
                { HB_EUNKEY, "unknown_key" },
                { HB_EMODE, "wrong_encryption" },
                { HB_EBADSRC, "bad_source" },
                { HB_EOLDINC, "old_incarnation" },
                { HB_EFUTUREINC, "future_incarnation" },
        };
        size_t n = sizeof(map) / sizeof(map[0]);
        assert_int_equal(n, sizeof(names) / sizeof(names[0]));

        for (size_t i = 0; i < n; i++) {
                int c = map[i].code;
                assert_true(c <= -10000 && c > -10100);
                const char *s = hb_strerror(c), *e = hb_errname(c);
                assert_non_null(s);
                assert_non_null(e);
                assert_string_equal(s, map[i].msg);
                assert_true(s[0] != '\0');
                assert_string_not_equal(e, "error");
                assert_string_equal(e, names[i].name);
                assert_int_equal(names[i].code, c);
                for (size_t j = 0; j < i; j++) {
                        assert_int_not_equal(map[j].code, c);
                        assert_string_not_equal(hb_strerror(map[j].code), s);
                        assert_string_not_equal(hb_errname(map[j].code), e);
                }
        }

        assert_string_equal(hb_errname(0), "success");
        assert_string_equal(hb_strerror(0), "success");

        static const struct {
                int err;
                const char *name;
        } sys[] = {
                { EINVAL, "einval" },   { ENOMEM, "enomem" },
                { ENOENT, "enoent" },   { EEXIST, "eexist" },
                { ENOBUFS, "enobufs" }, { EIO, "eio" },
                { EACCES, "eacces" },   { EAGAIN, "eagain" },
        };
        for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
                assert_string_equal(hb_errname(-sys[i].err), sys[i].name);
                const char *s = hb_strerror(-sys[i].err);
                assert_true(s[0] != '\0');
                assert_string_not_equal(s, "unknown error");
                assert_string_not_equal(s, "success");
        }
        assert_string_equal(hb_strerror(-EINVAL), "invalid argument");

        /* Not errno values, not project codes. */
        static const int others[] = { 1, EINVAL, -9999, -10000, -10099,
                                      -100000, INT_MIN, INT_MAX };
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
                assert_string_equal(hb_errname(others[i]), "error");
                assert_non_null(hb_strerror(others[i]));
                assert_true(hb_strerror(others[i])[0] != '\0');
        }
}

static void t_msg_type_name(void **state)
{
        (void)state;
        assert_string_equal(hb_msg_type_name(HB_MSG_HEARTBEAT), "heartbeat");
        assert_string_equal(hb_msg_type_name(HB_MSG_LEAVE), "leave");
        assert_string_equal(hb_msg_type_name(0), "unknown");
        assert_string_equal(hb_msg_type_name(HB_MSG_ACK), "ack");
        assert_string_equal(hb_msg_type_name(HB_MSG_VOTE_REQ), "vote_req");
        assert_string_equal(hb_msg_type_name(HB_MSG_VOTE_RESP), "vote_resp");
        assert_string_equal(hb_msg_type_name(HB_MSG_VERDICT), "verdict");
        assert_string_equal(hb_msg_type_name(HB_MSG_PING), "ping");
        assert_string_equal(hb_msg_type_name(HB_MSG_GOSSIP), "gossip");
        assert_string_equal(hb_msg_type_name(HB_MSG_REGION_SUMMARY),
                            "region_summary");
        assert_string_equal(hb_msg_type_name(13), "unknown");
        assert_string_equal(hb_msg_type_name(255), "unknown");
}

static int group_setup(void **state)
{
        (void)state;
        if (hb_wire_init() != 0)
                return -1;
        for (size_t i = 0; i < HB_KEY_LEN; i++) {
                key_a.bytes[i] = (uint8_t)(i + 1);
                key_b.bytes[i] = (uint8_t)(0xa0 ^ (i * 7));
                key_c.bytes[i] = (uint8_t)(0x55 + i * 3);
        }
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(t_init),
                cmocka_unit_test(t_heartbeat_is_56_bytes),
                cmocka_unit_test(t_roundtrip_heartbeat),
                cmocka_unit_test(t_roundtrip_leave),
                cmocka_unit_test(t_encode_bytes_exact),
                cmocka_unit_test(t_golden_vector),
                cmocka_unit_test(t_coord_block),
                cmocka_unit_test(t_duration_pack),
                cmocka_unit_test(t_encode_errors),
                cmocka_unit_test(t_max_size),
                cmocka_unit_test(t_decode_einval),
                cmocka_unit_test(t_oversized),
                cmocka_unit_test(t_truncated),
                cmocka_unit_test(t_bad_magic),
                cmocka_unit_test(t_bad_version),
                cmocka_unit_test(t_bad_length),
                cmocka_unit_test(t_wrong_cluster),
                cmocka_unit_test(t_bit_flips),
                cmocka_unit_test(t_wrong_key),
                cmocka_unit_test(t_key_rotation),
                cmocka_unit_test(t_bad_type),
                cmocka_unit_test(t_bad_tlv),
                cmocka_unit_test(t_sender_zero),
                cmocka_unit_test(t_aead),
                cmocka_unit_test(t_flags_ignored),
                cmocka_unit_test(t_tlv_next),
                cmocka_unit_test(t_tlv_next_errors),
                cmocka_unit_test(t_key_base64_roundtrip),
                cmocka_unit_test(t_key_base64_whitespace),
                cmocka_unit_test(t_key_base64_rejects),
                cmocka_unit_test(t_key_generate_wipe),
                cmocka_unit_test(t_errors),
                cmocka_unit_test(t_msg_type_name),
        };
        return cmocka_run_group_tests(tests, group_setup, NULL);
}
