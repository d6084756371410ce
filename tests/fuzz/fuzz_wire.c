/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the wire v1 decoder (src/core/wire.c).
 *
 * Each input is decoded twice:
 *
 * 1. as received, with a fixed key and cluster id: this drives every
 *    framing check (size, magic, version, length, cluster, tag);
 * 2. with a valid tag written over its last 16 bytes and the cluster id
 *    taken from the input: a fuzzer cannot forge a BLAKE2b tag, so without
 *    this pass the checks after authentication (type, TLV area, sender id)
 *    and the TLV walker would never run.
 *
 * Whenever a decode succeeds, the properties checked are: the decoded
 * fields are consistent with the input, re-encoding gives back the input
 * byte for byte, encoding into a buffer one byte short fails with -ENOBUFS,
 * and the TLV area walks to its end without error. A violated property
 * aborts (libFuzzer reports it as a crash).
 *
 * Build: meson -Dfuzz=true with clang, or by hand:
 *   clang -fsanitize=fuzzer,address -Iinclude tests/fuzz/fuzz_wire.c \
 *         src/core/wire.c src/core/error.c -lsodium
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hbeat/wire.h"

#define FUZZ_CLUSTER 0x00000007u

static hb_key_t fuzz_key;
static hb_keyring_t fuzz_ring;

#define CHECK(cond)                                                            \
        do {                                                                   \
                if (!(cond))                                                   \
                        abort();                                               \
        } while (0)

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Properties of a message that decoded successfully from buf[0, len). */
static void check_accepted(const hb_wire_msg_t *m, const uint8_t *buf,
                           size_t len)
{
        static uint8_t out[HB_WIRE_MAX_LEN];

        CHECK(len >= HB_WIRE_HEARTBEAT_LEN && len <= HB_WIRE_MAX_LEN);
        /* The types the decoder knows: 1-6, gossip 7-11, the region
         * summary 12 and the subset verdict 14. */
        CHECK((m->type >= HB_MSG_HEARTBEAT && m->type <= HB_MSG_GOSSIP) ||
              m->type == HB_MSG_REGION_SUMMARY ||
              m->type == HB_MSG_SUBSET_VERDICT);
        CHECK(m->sender_id != 0);
        /* The coordination block (HB_FLAG_COORD, since 0.2) sits between
         * the header and the TLVs. */
        size_t c = (m->flags & HB_FLAG_COORD) ? HB_WIRE_COORD_LEN : 0;

        CHECK(len >= HB_WIRE_HEARTBEAT_LEN + c);
        CHECK((m->coord != NULL) == (c != 0));
        CHECK(m->coord == NULL || m->coord == buf + HB_WIRE_HEADER_LEN);
        CHECK(m->tlv_len == len - HB_WIRE_HEARTBEAT_LEN - c);
        CHECK((m->tlv == NULL) == (m->tlv_len == 0));
        CHECK(m->tlv == NULL || m->tlv == buf + HB_WIRE_HEADER_LEN + c);

        /* Re-encoding reproduces the datagram exactly. */
        CHECK(m->mode == HB_WIRE_MODE_MAC && m->key_id == 0);
        int n = hb_wire_encode(out, sizeof(out), m, &fuzz_ring, NULL);
        CHECK(n >= 0 && (size_t)n == len);
        /* Bytes 5 (outer header) and 13 (inner header) are reserved:
         * written 0, ignored on receipt; the tag differs then. Everything
         * else is reproduced, and with them zeroed the datagram is. */
        static uint8_t zeroed[HB_WIRE_MAX_LEN];
        memcpy(zeroed, buf, len);
        zeroed[5] = 0;
        zeroed[13] = 0;
        CHECK(out[5] == 0 && out[13] == 0);
        CHECK(memcmp(out, zeroed, len - HB_WIRE_TAG_LEN) == 0);
        if (buf[5] == 0 && buf[13] == 0)
                CHECK(memcmp(out, buf, len) == 0);
        CHECK(hb_wire_encode(out, len - 1, m, &fuzz_ring, NULL) == -ENOBUFS);

        /* The TLV area is an exact sequence of TLVs. */
        const uint8_t *p = m->tlv, *value;
        size_t left = m->tlv_len, seen = 0;
        uint16_t type, vlen;
        int r;
        while ((r = hb_wire_tlv_next(&p, &left, &type, &value, &vlen)) == 1) {
                CHECK(value >= m->tlv && value + vlen <= m->tlv + m->tlv_len);
                seen += HB_WIRE_TLV_HEADER_LEN + vlen;
        }
        CHECK(r == 0 && left == 0 && seen == m->tlv_len);
}

static int decode_and_check(const uint8_t *buf, size_t len, uint32_t cluster)
{
        hb_wire_msg_t m;
        static uint8_t plain[HB_WIRE_MAX_LEN];
        int r = hb_wire_decode(&m, buf, len, cluster, &fuzz_ring, plain,
                               sizeof(plain));
        if (r == 0)
                check_accepted(&m, buf, len);
        else
                CHECK(r < 0 && hb_errname(r)[0] != '\0');
        return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        if (hb_wire_init() != 0)
                abort();
        for (size_t i = 0; i < HB_KEY_LEN; i++)
                fuzz_key.bytes[i] = (uint8_t)i;
        /* Id 0 authenticated (the primary), id 1 encrypted: the decoder's
         * key lookup, mode check and both tag checks are reachable. */
        if (hb_keyring_add(&fuzz_ring, 0, &fuzz_key, HB_WIRE_MODE_MAC) != 0 ||
            hb_keyring_add(&fuzz_ring, 1, &fuzz_key, HB_WIRE_MODE_AEAD) != 0)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* Pass 1: the bytes as received. Copied into a buffer of exactly
         * `size` bytes so that ASan sees any read past the datagram. */
        uint8_t *copy = malloc(size > 0 ? size : 1);
        if (copy == NULL)
                return 0;
        if (size > 0)
                memcpy(copy, data, size);
        decode_and_check(copy, size, FUZZ_CLUSTER);

        /* Pass 2: the same bytes made authentic (MAC mode, key id 0). */
        if (size >= HB_WIRE_HEARTBEAT_LEN && size <= HB_WIRE_MAX_LEN) {
                size_t body = size - HB_WIRE_TAG_LEN;

                copy[3] = HB_WIRE_MODE_MAC;
                copy[4] = 0;
                crypto_generichash(copy + body, HB_WIRE_TAG_LEN, copy, body,
                                   fuzz_key.bytes, HB_KEY_LEN);
                int r = decode_and_check(copy, size, be32(copy + 8));
                CHECK(r != HB_EBADTAG && r != HB_ECLUSTER &&
                      r != HB_EUNKEY && r != HB_EMODE);
        }
        free(copy);
        return 0;
}
