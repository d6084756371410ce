/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the event stream's protocol engine
 * (src/common/evstream.c, docs/event-stream.md).
 *
 * The first input byte picks a chunk size (1..256); the rest is fed in
 * chunks of that size, each feed followed by hbes_next() until it needs
 * more, as hbeatd and hbeatctl do, to:
 *
 * 1. a fresh server: the HELLO and PROOF checks (a fuzzer cannot forge a
 *    proof, so it must fail there or need more);
 * 2. a client whose handshake with a real server completed: the frame
 *    length checks and the decryption, which must reject whatever the
 *    fuzzer writes (it cannot forge a secretstream frame).
 *
 * Properties: no crash or sanitizer report; nothing is accepted that was
 * not made with the key; after an error the engine stays failed.
 *
 * Build: meson -Dfuzz=true with clang (meson.build).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/evstream.h"

#define CHECK(cond)                                                            \
        do {                                                                   \
                if (!(cond))                                                   \
                        abort();                                               \
        } while (0)

static const uint8_t key[HBES_KEY_LEN] = { 0x42 };

/* Feed `data` in chunks; the first error, or 0. Frames: none may come. */
static int feed_all(hbes_t *s, const uint8_t *data, size_t len, size_t chunk)
{
        hbes_buf_t out = { 0 };
        hbes_frame_t f;
        int r = 0;

        while (len > 0 && r >= 0) {
                size_t n = len < chunk ? len : chunk;

                r = hbes_feed(s, data, n);
                data += n;
                len -= n;
                while (r >= 0) {
                        r = hbes_next(s, &out, &f);
                        CHECK(r != HBES_GOT_FRAME && r != HBES_GOT_OPEN);
                        if (r == HBES_NEED)
                                break;
                }
        }
        if (r < 0 && r != -ENOMEM) {
                hbes_frame_t g;

                CHECK(s->phase == HBES_FAILED);
                CHECK(hbes_next(s, &out, &g) < 0);
        }
        hbes_buf_free(&out);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint8_t nc[HBES_NONCE_LEN] = { 1 };
        static const uint8_t ns[HBES_NONCE_LEN] = { 2 };
        hbes_buf_t c2s = { 0 }, s2c = { 0 };
        hbes_frame_t f;
        hbes_t s, c;
        size_t chunk;

        if (size < 1)
                return 0;
        if (sodium_init() < 0)
                abort();
        chunk = (size_t)data[0] + 1;
        data++;
        size--;

        /* 1. A server. */
        hbes_init(&s, true, key, ns);
        (void)feed_all(&s, data, size, chunk);
        hbes_wipe(&s);

        /* 2. An open client. */
        hbes_init(&s, true, key, ns);
        hbes_init(&c, false, key, nc);
        CHECK(hbes_start(&c, &c2s) == 0);
        CHECK(hbes_feed(&s, c2s.data, c2s.len) == 0);
        c2s.len = 0;
        CHECK(hbes_next(&s, &s2c, &f) == HBES_NEED);
        CHECK(hbes_feed(&c, s2c.data, s2c.len) == 0);
        s2c.len = 0;
        CHECK(hbes_next(&c, &c2s, &f) == HBES_NEED);
        CHECK(hbes_feed(&s, c2s.data, c2s.len) == 0);
        CHECK(hbes_next(&s, &s2c, &f) == HBES_GOT_OPEN);
        CHECK(hbes_feed(&c, s2c.data, s2c.len) == 0);
        CHECK(hbes_next(&c, &c2s, &f) == HBES_GOT_OPEN);
        (void)feed_all(&c, data, size, chunk);
        hbes_wipe(&c);
        hbes_wipe(&s);
        hbes_buf_free(&c2s);
        hbes_buf_free(&s2c);
        return 0;
}
