/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the serial link's framing (src/io/serial_link.c): a frame
 * byte by byte, frames split at every byte, garbage before, between and
 * inside frames, lengths of 0 and above HB_WIRE_MAX_LEN, a frame cut in
 * half; then the I/O part over a pseudo-terminal pair (openpty): a
 * message written at one end is read whole at the other.
 */
#include <errno.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/serial_link.h"

#define MAX_GOT 16

typedef struct got {
        size_t n;
        size_t len[MAX_GOT];
        uint8_t msg[MAX_GOT][HB_WIRE_MAX_LEN];
} got_t;

static void on_msg(void *user, const uint8_t *buf, size_t len)
{
        got_t *g = user;

        assert_true(g->n < MAX_GOT);
        assert_true(len <= HB_WIRE_MAX_LEN);
        memcpy(g->msg[g->n], buf, len);
        g->len[g->n++] = len;
}

static void fill(uint8_t *m, size_t len, uint8_t seed)
{
        for (size_t i = 0; i < len; i++)
                m[i] = (uint8_t)(seed + i * 7);
}

static void test_frame_layout(void **state)
{
        uint8_t out[HB__SERIAL_FRAME_MAX], msg[HB_WIRE_MAX_LEN + 1];

        (void)state;
        fill(msg, sizeof msg, 1);
        assert_int_equal(hb__serial_frame(out, msg, 300), 306);
        assert_memory_equal(out, "HBSL", 4);
        assert_int_equal(out[4], 0x01);
        assert_int_equal(out[5], 0x2c);
        assert_memory_equal(out + 6, msg, 300);
        assert_int_equal(hb__serial_frame(out, msg, 0), 0);
        assert_int_equal(hb__serial_frame(out, msg, HB_WIRE_MAX_LEN),
                         HB__SERIAL_FRAME_MAX);
        assert_int_equal(hb__serial_frame(out, msg, HB_WIRE_MAX_LEN + 1), 0);
}

/* Two frames fed in every split: each message comes out once, whole. */
static void test_split_reads(void **state)
{
        uint8_t a[100], b[HB_WIRE_MAX_LEN], s[2 * HB__SERIAL_FRAME_MAX];
        size_t n;

        (void)state;
        fill(a, sizeof a, 3);
        fill(b, sizeof b, 9);
        n = hb__serial_frame(s, a, sizeof a);
        n += hb__serial_frame(s + n, b, sizeof b);
        for (size_t cut = 0; cut <= n; cut++) {
                hb__serial_rx_t rx = { 0 };
                got_t g = { 0 };

                hb__serial_rx_feed(&rx, s, cut, on_msg, &g);
                hb__serial_rx_feed(&rx, s + cut, n - cut, on_msg, &g);
                assert_int_equal(g.n, 2);
                assert_int_equal(g.len[0], sizeof a);
                assert_memory_equal(g.msg[0], a, sizeof a);
                assert_int_equal(g.len[1], sizeof b);
                assert_memory_equal(g.msg[1], b, sizeof b);
                assert_int_equal(rx.garbage_bytes, 0);
                assert_int_equal(rx.len, 0);
        }
        /* One byte at a time. */
        {
                hb__serial_rx_t rx = { 0 };
                got_t g = { 0 };

                for (size_t i = 0; i < n; i++)
                        hb__serial_rx_feed(&rx, s + i, 1, on_msg, &g);
                assert_int_equal(g.n, 2);
                assert_memory_equal(g.msg[1], b, sizeof b);
        }
}

/* Garbage (with false starts of the magic), a zero and an oversize
 * length, a frame cut short by the next one: the reader finds every
 * whole frame after them. */
static void test_resync(void **state)
{
        static const uint8_t junk[] = "xxHBHBSxHBS\0HBSL\0\0HBSL\xff\xff" "zz";
        uint8_t m1[40], m2[50], s[1024], f[HB__SERIAL_FRAME_MAX];
        size_t n = 0, fl;
        hb__serial_rx_t rx = { 0 };
        got_t g = { 0 };

        (void)state;
        fill(m1, sizeof m1, 5);
        fill(m2, sizeof m2, 77);
        memcpy(s + n, junk, sizeof junk - 1);
        n += sizeof junk - 1;
        n += hb__serial_frame(s + n, m1, sizeof m1);
        memcpy(s + n, "\x04\x04HB", 4);   /* noise ending in a half magic */
        n += 4;
        /* A frame cut in half (its writer restarted): its header claims
         * 50 bytes, 10 follow, then a whole frame. */
        fl = hb__serial_frame(f, m2, sizeof m2);
        memcpy(s + n, f, 16);
        n += 16;
        n += hb__serial_frame(s + n, m2, sizeof m2);
        n += hb__serial_frame(s + n, m1, sizeof m1);
        (void)fl;
        hb__serial_rx_feed(&rx, s, n, on_msg, &g);
        /* m1; then the cut frame swallows the start of the next frame
         * (its length covers it) and garbage follows, but the frame after
         * is found again. */
        assert_true(g.n >= 2);
        assert_int_equal(g.len[0], sizeof m1);
        assert_memory_equal(g.msg[0], m1, sizeof m1);
        assert_int_equal(g.len[g.n - 1], sizeof m1);
        assert_memory_equal(g.msg[g.n - 1], m1, sizeof m1);
        assert_true(rx.garbage_bytes >= sizeof junk - 1);
        assert_int_equal(rx.len, 0);
}

/* A long run of garbage with no magic never fills the buffer and a frame
 * after it still comes out; an oversize length is skipped. */
static void test_oversize_and_flood(void **state)
{
        static uint8_t s[8192];
        uint8_t m[10];
        size_t n;
        hb__serial_rx_t rx = { 0 };
        got_t g = { 0 };

        (void)state;
        memset(s, 'H', 5000);
        n = 5000;
        memcpy(s + n, "HBSL\x04\xb1", 6);       /* 1201 > HB_WIRE_MAX_LEN */
        n += 6;
        fill(m, sizeof m, 1);
        n += hb__serial_frame(s + n, m, sizeof m);
        hb__serial_rx_feed(&rx, s, n, on_msg, &g);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.len[0], sizeof m);
        assert_memory_equal(g.msg[0], m, sizeof m);
        assert_int_equal(rx.garbage_bytes, 5000 + 6);
}

static void test_baud(void **state)
{
        (void)state;
        assert_true(hb__serial_baud_ok(115200));
        assert_true(hb__serial_baud_ok(9600));
        assert_false(hb__serial_baud_ok(0));
        assert_false(hb__serial_baud_ok(115201));
}

/* ---- over a pty ------------------------------------------------------ */

static void on_stop(void *user, const uint8_t *buf, size_t len)
{
        got_t *g = user;

        on_msg(g, buf, len);
}

static void on_timeout(uv_timer_t *t)
{
        uv_stop(t->loop);
}

static void test_pty_roundtrip(void **state)
{
        uv_loop_t loop;
        uv_timer_t timer;
        hb__serial_t *a = NULL, *b = NULL;
        int ma, sa, mb, sb;
        char na[64], nb[64];
        uint8_t m[200], buf[4096];
        got_t g = { 0 };

        (void)state;
        assert_int_equal(openpty(&ma, &sa, na, NULL, NULL), 0);
        assert_int_equal(openpty(&mb, &sb, nb, NULL, NULL), 0);
        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(hb__serial_open(&a, &loop, na, 0, on_stop, &g), 0);
        assert_int_equal(hb__serial_open(&b, &loop, nb, 115200, on_stop, &g),
                         0);
        assert_int_equal(hb__serial_open(&b, &loop, "/dev/null", 0, on_stop,
                                         &g), -EINVAL);
        assert_int_equal(hb__serial_open(&b, &loop, nb, 1234, on_stop, &g),
                         -EINVAL);
        fill(m, sizeof m, 42);
        assert_int_equal(hb__serial_write(a, m, sizeof m), 0);
        assert_int_equal(hb__serial_write(a, m, 0), -EMSGSIZE);
        /* The relay: what a wrote comes out of its master; into b's. */
        {
                ssize_t r = 0, w;
                size_t got = 0;

                while (got < sizeof m + HB__SERIAL_HDR_LEN) {
                        r = read(ma, buf + got, sizeof buf - got);
                        assert_true(r > 0);
                        got += (size_t)r;
                }
                assert_memory_equal(buf, "HBSL", 4);
                w = write(mb, "noise", 5);
                assert_int_equal(w, 5);
                w = write(mb, buf, got);
                assert_int_equal(w, (ssize_t)got);
        }
        assert_int_equal(uv_timer_init(&loop, &timer), 0);
        assert_int_equal(uv_timer_start(&timer, on_timeout, 200, 0), 0);
        uv_run(&loop, UV_RUN_DEFAULT);
        assert_int_equal(g.n, 1);
        assert_int_equal(g.len[0], sizeof m);
        assert_memory_equal(g.msg[0], m, sizeof m);
        assert_int_equal(hb__serial_garbage(b), 5);
        hb__serial_close(a);
        hb__serial_close(b);
        uv_close((uv_handle_t *)&timer, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        assert_int_equal(uv_loop_close(&loop), 0);
        close(ma);
        close(mb);
        close(sa);
        close(sb);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_frame_layout),
                cmocka_unit_test(test_split_reads),
                cmocka_unit_test(test_resync),
                cmocka_unit_test(test_oversize_and_flood),
                cmocka_unit_test(test_baud),
                cmocka_unit_test(test_pty_roundtrip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
