/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the wire format v1 codec (src/core/wire.c) and of the error
 * strings (src/core/error.c), against include/hbeat/wire.h and
 * docs/wire-format.md.
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

/* Build a message by hand: header fields, TLV bytes, then a valid tag. */
static size_t build(uint8_t *buf, uint8_t type, uint32_t sender,
                    const uint8_t *tlv, size_t tlv_len, const hb_key_t *key)
{
        size_t len = 40 + tlv_len + 16;
        be16(buf + 0, 0x4842);
        buf[2] = 1;
        buf[3] = type;
        be16(buf + 4, 0);
        be16(buf + 6, (uint16_t)len);
        be32(buf + 8, CLUSTER);
        be32(buf + 12, sender);
        be64(buf + 16, UINT64_C(0x1112131415161718));
        be64(buf + 24, UINT64_C(0x2122232425262728));
        be64(buf + 32, UINT64_C(0x3132333435363738));
        if (tlv_len > 0)
                memcpy(buf + 40, tlv, tlv_len);
        sign(buf, len, key);
        return len;
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
        int r = hb_wire_decode(&tmp, copy, len, cluster, keys, n_keys);
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
        assert_int_equal(HB_WIRE_HEARTBEAT_LEN, 56);
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);
        assert_int_equal(decode(buf, 56), 0);
}

static void check_roundtrip(uint8_t type, const uint8_t *tlv, size_t tlv_len)
{
        uint8_t buf[HB_WIRE_MAX_LEN];
        hb_wire_msg_t m = base_msg(type);
        m.tlv = tlv;
        m.tlv_len = tlv_len;
        int n = hb_wire_encode(buf, sizeof(buf), &m, &key_a);
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
        assert_int_equal(hb_wire_encode(again, sizeof(again), &d, &key_a), n);
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
        size_t len = 40 + sizeof(tlv3) + 16;
        uint8_t want[128] = {
                0x48, 0x42,             /* magic "HB" */
                0x01,                   /* version */
                0x02,                   /* type: leave */
                0x01, 0x01,             /* flags */
                0x00, (uint8_t)len,     /* length */
                0x03, 0x04, 0x05, 0x06, /* cluster id */
                0x07, 0x08, 0x09, 0x0a, /* sender id */
                0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
                0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a,
                0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22,
        };
        memcpy(want + 40, tlv3, sizeof(tlv3));
        assert_int_equal(crypto_generichash(want + len - 16, 16, want,
                                            len - 16, key_a.bytes, 32),
                         0);

        uint8_t got[128];
        memset(got, SENTINEL, sizeof(got));
        assert_int_equal(hb_wire_encode(got, sizeof(got), &m, &key_a),
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

        n = hb_wire_encode(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(n, HB_WIRE_COORD_HEARTBEAT_LEN);
        assert_int_equal(n, 64);
        assert_memory_equal(buf + HB_WIRE_HEADER_LEN, block, sizeof(block));
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, 7, &key_a, 1), 0);
        assert_int_equal(d.flags, m.flags);
        assert_non_null(d.coord);
        assert_memory_equal(d.coord, block, sizeof(block));
        assert_null(d.tlv);
        assert_int_equal(d.tlv_len, 0);

        /* With a TLV after the block. */
        m.tlv = tlv;
        m.tlv_len = sizeof(tlv);
        n = hb_wire_encode(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(n, 64 + (int)sizeof(tlv));
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, 7, &key_a, 1), 0);
        assert_memory_equal(d.coord, block, sizeof(block));
        assert_int_equal(d.tlv_len, sizeof(tlv));
        assert_memory_equal(d.tlv, tlv, sizeof(tlv));

        /* No block given with the flag. */
        m.coord = NULL;
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a),
                         -EINVAL);
        /* The flag on an authentic heartbeat with no room for the
         * block: a plain heartbeat, its flag set and re-signed. */
        {
                hb_wire_msg_t plain = {
                        .type = HB_MSG_HEARTBEAT, .cluster_id = 7,
                        .sender_id = 2,
                };
                uint8_t raw[HB_WIRE_HEARTBEAT_LEN];

                n = hb_wire_encode(raw, sizeof(raw), &plain, &key_a);
                assert_int_equal(n, HB_WIRE_HEARTBEAT_LEN);
                raw[5] |= HB_FLAG_COORD;
                assert_int_equal(crypto_generichash(raw + 40, 16, raw, 40,
                                                    key_a.bytes, 32),
                                 0);
                assert_int_equal(hb_wire_decode(&d, raw, sizeof(raw), 7,
                                                 &key_a, 1),
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
        static const uint8_t want[56] = {
                0x48, 0x42, 0x01, 0x01, 0x00, 0x00, 0x00, 0x38,
                0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01,
                0x00, 0x06, 0x44, 0x17, 0xd4, 0x7c, 0x68, 0x40,
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
                0x00, 0x00, 0x00, 0x1c, 0xbe, 0x99, 0x1a, 0x08,
                0x91, 0x7e, 0xa7, 0x2f, 0x63, 0x88, 0xff, 0xac,
                0x07, 0xf7, 0x90, 0xc0, 0xd0, 0x98, 0x4a, 0x6b,
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
        uint8_t got[56];
        assert_int_equal(hb_wire_encode(got, sizeof(got), &m, &k), 56);
        assert_memory_equal(got, want, 56);

        hb_wire_msg_t d;
        assert_int_equal(decode_keys(&d, want, 56, 7, &k, 1), 0);
        assert_int_equal(d.sender_id, 1);
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
                assert_int_equal(hb_wire_encode(buf, (cap), (msgp), (keyp)),  \
                                 (want));                                     \
                assert_memory_equal(buf, sentinel, sizeof(buf));              \
        } while (0)

        /* -EINVAL: NULL arguments, sender 0, unknown type, tlv NULL. */
        m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(hb_wire_encode(NULL, 64, &m, &key_a), -EINVAL);
        EXPECT_ENC(sizeof(buf), NULL, &key_a, -EINVAL);
        EXPECT_ENC(sizeof(buf), &m, NULL, -EINVAL);
        m.sender_id = 0;
        EXPECT_ENC(sizeof(buf), &m, &key_a, -EINVAL);
        static const uint8_t bad_types[] = { 0, 6, 0x7f, 0xff };
        for (size_t i = 0; i < sizeof(bad_types); i++) {
                m = base_msg(bad_types[i]);
                EXPECT_ENC(sizeof(buf), &m, &key_a, -EINVAL);
        }
        m = base_msg(HB_MSG_HEARTBEAT);
        m.tlv_len = 4;
        EXPECT_ENC(sizeof(buf), &m, &key_a, -EINVAL);

        /* -ENOBUFS: one byte short, and zero. */
        m = base_msg(HB_MSG_HEARTBEAT);
        EXPECT_ENC(55, &m, &key_a, -ENOBUFS);
        EXPECT_ENC(0, &m, &key_a, -ENOBUFS);
        m.tlv = tlv3;
        m.tlv_len = sizeof(tlv3);
        EXPECT_ENC(56 + sizeof(tlv3) - 1, &m, &key_a, -ENOBUFS);
        /* Exactly enough is enough. */
        assert_int_equal(hb_wire_encode(buf, 56 + sizeof(tlv3), &m, &key_a),
                         (int)(56 + sizeof(tlv3)));

        /* HB_ETOOBIG: a well-formed TLV making the message 1201 bytes,
         * even with room in the buffer; and an absurd tlv_len. */
        m = base_msg(HB_MSG_HEARTBEAT);
        memset(big, 0, sizeof(big));
        be16(big + 2, (uint16_t)(HB_WIRE_MAX_LEN - 56 + 1 - 4));
        m.tlv = big;
        m.tlv_len = HB_WIRE_MAX_LEN - 56 + 1;
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
        static uint8_t tlv[HB_WIRE_MAX_LEN - 56];
        static uint8_t buf[HB_WIRE_MAX_LEN];
        memset(tlv, 0x5a, sizeof(tlv));
        be16(tlv, 0x0042);
        be16(tlv + 2, (uint16_t)(sizeof(tlv) - 4));
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        m.tlv = tlv;
        m.tlv_len = sizeof(tlv);
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a),
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
        hb_key_t keys[3] = { key_a, key_b, key_c };
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);
        assert_int_equal(hb_wire_decode(NULL, buf, 56, CLUSTER, keys, 1),
                         -EINVAL);
        assert_int_equal(hb_wire_decode(&d, NULL, 56, CLUSTER, keys, 1),
                         -EINVAL);
        assert_int_equal(hb_wire_decode(&d, buf, 56, CLUSTER, NULL, 1),
                         -EINVAL);
        assert_int_equal(decode_keys(NULL, buf, 56, CLUSTER, keys, 0),
                         -EINVAL);
        assert_int_equal(decode_keys(NULL, buf, 56, CLUSTER, keys, 3),
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
        assert_int_equal(hb_wire_decode(&d, buf, SIZE_MAX, CLUSTER, &key_a,
                                        1),
                         HB_ETOOBIG);
}

static void t_truncated(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);

        /* 0..3 bytes: truncated, whatever they hold. */
        for (size_t n = 0; n < 4; n++)
                assert_int_equal(decode(buf, n), HB_ETRUNC);
        static const uint8_t junk[4] = { 0xff, 0xff, 0xff, 0xff };
        for (size_t n = 0; n < 4; n++)
                assert_int_equal(decode(junk, n), HB_ETRUNC);

        /* 4..55 bytes with valid magic and version. */
        for (size_t n = 4; n < 56; n++)
                assert_int_equal(decode(buf, n), HB_ETRUNC);

        /* Magic and version are checked before the length: a short
         * datagram of another protocol is counted as bad magic. */
        uint8_t other[56];
        memcpy(other, buf, sizeof(other));
        other[0] ^= 0x01;
        for (size_t n = 4; n < 56; n++)
                assert_int_equal(decode(other, n), HB_EBADMAGIC);
        memcpy(other, buf, sizeof(other));
        other[2] = 2;
        for (size_t n = 4; n < 56; n++)
                assert_int_equal(decode(other, n), HB_EVERSION);
}

static void t_bad_magic(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);
        static const uint16_t magics[] = { 0x0000, 0x4248, 0x4843, 0x4942,
                                           0xffff };
        for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
                be16(buf, magics[i]);
                sign(buf, 56, &key_a); /* a valid tag does not help */
                assert_int_equal(decode(buf, 56), HB_EBADMAGIC);
        }
}

static void t_bad_version(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);
        static const uint8_t versions[] = { 0, 2, 0x81, 0xff };
        for (size_t i = 0; i < sizeof(versions); i++) {
                buf[2] = versions[i];
                sign(buf, 56, &key_a);
                assert_int_equal(decode(buf, 56), HB_EVERSION);
        }
}

static void t_bad_length(void **state)
{
        (void)state;
        uint8_t buf[128];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);

        /* Field larger and smaller than the datagram (tag re-made, so
         * only the length is wrong). */
        static const uint16_t fields[] = { 57, 55, 0, 4, 1200, 0xffff };
        uint8_t cp[64];
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                memcpy(cp, buf, 56);
                be16(cp + 6, fields[i]);
                sign(cp, 56, &key_a);
                assert_int_equal(decode(cp, 56), HB_EBADLEN);
        }

        /* Datagram longer than the field: trailing bytes. */
        memset(buf + 56, 0, sizeof(buf) - 56);
        for (size_t n = 57; n <= 60; n++)
                assert_int_equal(decode(buf, n), HB_EBADLEN);

        /* Datagram shorter than the field: a TLV message cut to 56. */
        m.tlv = tlv3;
        m.tlv_len = sizeof(tlv3);
        int n = hb_wire_encode(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(n, 56 + (int)sizeof(tlv3));
        for (size_t cut = 56; cut < (size_t)n; cut++)
                assert_int_equal(decode(buf, cut), HB_EBADLEN);
        assert_int_equal(decode(buf, (size_t)n), 0);
}

static void t_wrong_cluster(void **state)
{
        (void)state;
        uint8_t buf[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);
        assert_int_equal(decode_keys(NULL, buf, 56, CLUSTER + 1, &key_a, 1),
                         HB_ECLUSTER);
        assert_int_equal(decode_keys(NULL, buf, 56, 0, &key_a, 1),
                         HB_ECLUSTER);
        /* Checked before the tag: counted as foreign, not as forged. */
        assert_int_equal(decode_keys(NULL, buf, 56, CLUSTER + 1, &key_b, 1),
                         HB_ECLUSTER);
        /* Cluster id 0 is a valid id. */
        m.cluster_id = 0;
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);
        assert_int_equal(decode_keys(NULL, buf, 56, 0, &key_a, 1), 0);
}

/* The error a single bit flip at byte `off` must cause. */
static int flip_error(size_t off)
{
        if (off < 2)
                return HB_EBADMAGIC;
        if (off == 2)
                return HB_EVERSION;
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
        int n = hb_wire_encode(buf, sizeof(buf), &m, &key_a);
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
        assert_int_equal(hb_wire_encode(buf, sizeof(buf), &m, &key_a), 56);
        assert_int_equal(decode_keys(NULL, buf, 56, CLUSTER, &key_b, 1),
                         HB_EBADTAG);
        assert_int_equal(decode_keys(NULL, buf, 56, CLUSTER, &zero, 1),
                         HB_EBADTAG);
        /* Keys differing in one bit only. */
        hb_key_t near = key_a;
        near.bytes[HB_KEY_LEN - 1] ^= 0x80;
        assert_int_equal(decode_keys(NULL, buf, 56, CLUSTER, &near, 1),
                         HB_EBADTAG);
        /* An all-zero tag. */
        memset(buf + 40, 0, 16);
        assert_int_equal(decode(buf, 56), HB_EBADTAG);
}

static void t_key_rotation(void **state)
{
        (void)state;
        uint8_t buf_a[64], buf_b[64];
        hb_wire_msg_t m = base_msg(HB_MSG_HEARTBEAT);
        assert_int_equal(hb_wire_encode(buf_a, sizeof(buf_a), &m, &key_a),
                         56);
        assert_int_equal(hb_wire_encode(buf_b, sizeof(buf_b), &m, &key_b),
                         56);
        assert_memory_not_equal(buf_a + 40, buf_b + 40, 16);

        const hb_key_t ab[2] = { key_a, key_b };
        const hb_key_t ba[2] = { key_b, key_a };
        const hb_key_t bc[2] = { key_b, key_c };
        const hb_key_t ca[2] = { key_c, key_a };
        assert_int_equal(decode_keys(NULL, buf_a, 56, CLUSTER, ab, 2), 0);
        assert_int_equal(decode_keys(NULL, buf_b, 56, CLUSTER, ab, 2), 0);
        assert_int_equal(decode_keys(NULL, buf_a, 56, CLUSTER, ba, 2), 0);
        assert_int_equal(decode_keys(NULL, buf_b, 56, CLUSTER, ba, 2), 0);
        assert_int_equal(decode_keys(NULL, buf_a, 56, CLUSTER, ca, 2), 0);
        assert_int_equal(decode_keys(NULL, buf_a, 56, CLUSTER, bc, 2),
                         HB_EBADTAG);
        /* With n_keys 1 only the first key counts. */
        assert_int_equal(decode_keys(NULL, buf_a, 56, CLUSTER, ba, 1),
                         HB_EBADTAG);
        assert_int_equal(decode_keys(NULL, buf_b, 56, CLUSTER, ba, 1), 0);
}

static void t_bad_type(void **state)
{
        (void)state;
        uint8_t buf[64];
        static const uint8_t types[] = { 0, 6, 0x80, 0xff };
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
        n = build(buf, 9, 5, tlv, 8, &key_a);
        assert_int_equal(decode(buf, n), HB_EBADTYPE);
        /* Sanity: exactly one whole TLV is fine. */
        n = build(buf, HB_MSG_HEARTBEAT, 5, tlv, 7, &key_a);
        assert_int_equal(decode(buf, n), 0);
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
        be16(buf + 4, 0x8001);
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
        int n = hb_wire_encode(buf, sizeof(buf), &m, &key_a);
        assert_int_equal(hb_wire_decode(&d, buf, (size_t)n, CLUSTER, &key_a,
                                        1),
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
        assert_string_equal(hb_msg_type_name(6), "unknown");
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
