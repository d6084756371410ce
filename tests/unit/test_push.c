/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the HTTP push authentication (src/common/push.c): the
 * MAC against an independent HMAC-SHA-256 (Python's hmac module), and
 * the acceptance rules: malformed headers, a wrong MAC, a MAC for
 * another peer or counter, a replayed or older counter, a counter
 * outside the time window.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/push.h"

/* hmac.new(b'\x42' * 32, b'hbeat-push-v1\nPOST\n/v1/push/app\napp\n'
 *          b'1700000000000000\n', hashlib.sha256).hexdigest() */
static const char *const VECTOR =
        "1ced27af910e4e975d5238467b5267ef2c99c2f748d93375430300c464905eab";

#define NOW 1700000000000000ull
#define WINDOW (300ull * 1000000ull)

static hb_key_t key42(void)
{
        hb_key_t k;

        memset(k.bytes, 0x42, sizeof k.bytes);
        return k;
}

static void test_mac_vector(void **state)
{
        hb_key_t k = key42();
        char hex[HBP_PUSH_MAC_HEX + 1];

        (void)state;
        assert_int_equal(hbp_push_mac(&k, "app", "1700000000000000", hex), 0);
        assert_string_equal(hex, VECTOR);
        assert_int_equal(hbp_push_mac(&k, "app", "12345678901234567890",
                                      hex), -EINVAL);
        assert_int_equal(hbp_push_mac(NULL, "app", "1", hex), -EINVAL);
}

static void test_counter_parse(void **state)
{
        uint64_t c = 0;

        (void)state;
        assert_int_equal(hbp_push_parse_counter("1", &c), 0);
        assert_int_equal(c, 1);
        assert_int_equal(hbp_push_parse_counter("9223372036854775807", &c),
                         0);
        assert_int_equal(hbp_push_parse_counter("9223372036854775808", &c),
                         -EINVAL);
        assert_int_equal(hbp_push_parse_counter("0", &c), -EINVAL);
        assert_int_equal(hbp_push_parse_counter("01", &c), -EINVAL);
        assert_int_equal(hbp_push_parse_counter("-1", &c), -EINVAL);
        assert_int_equal(hbp_push_parse_counter("1 ", &c), -EINVAL);
        assert_int_equal(hbp_push_parse_counter("", &c), -EINVAL);
}

static void test_verify(void **state)
{
        hb_key_t k = key42(), other;
        char bad[HBP_PUSH_MAC_HEX + 1];
        uint64_t c = 0;

        (void)state;
        memset(other.bytes, 0x43, sizeof other.bytes);
        /* Good. */
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         VECTOR, 0, NOW, WINDOW, &c),
                         HBP_PUSH_OK);
        assert_int_equal(c, NOW);
        /* Replayed: the counter is no longer above the last one. */
        c = 7;
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         VECTOR, NOW, NOW, WINDOW, &c),
                         HBP_PUSH_REPLAY);
        assert_int_equal(c, 7);
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         VECTOR, NOW + 1, NOW, WINDOW, &c),
                         HBP_PUSH_REPLAY);
        /* Another key, another peer, another counter: bad MAC. */
        assert_int_equal(hbp_push_verify(&other, "app", "1700000000000000",
                                         VECTOR, 0, NOW, WINDOW, &c),
                         HBP_PUSH_BAD_MAC);
        assert_int_equal(hbp_push_verify(&k, "db", "1700000000000000",
                                         VECTOR, 0, NOW, WINDOW, &c),
                         HBP_PUSH_BAD_MAC);
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000001",
                                         VECTOR, 0, NOW, WINDOW, &c),
                         HBP_PUSH_BAD_MAC);
        memcpy(bad, VECTOR, sizeof bad);
        bad[0] = bad[0] == '0' ? '1' : '0';
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000", bad,
                                         0, NOW, WINDOW, &c),
                         HBP_PUSH_BAD_MAC);
        /* Uppercase hex is the same MAC. */
        for (size_t i = 0; i < HBP_PUSH_MAC_HEX; i++)
                bad[i] = (char)(VECTOR[i] >= 'a' ? VECTOR[i] - 32
                                                 : VECTOR[i]);
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000", bad,
                                         0, NOW, WINDOW, &c),
                         HBP_PUSH_OK);
        /* Malformed: missing, short, not hex, bad counter. */
        assert_int_equal(hbp_push_verify(&k, "app", NULL, VECTOR, 0, NOW,
                                         WINDOW, &c), HBP_PUSH_MALFORMED);
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         NULL, 0, NOW, WINDOW, &c),
                         HBP_PUSH_MALFORMED);
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         "abcd", 0, NOW, WINDOW, &c),
                         HBP_PUSH_MALFORMED);
        memcpy(bad, VECTOR, sizeof bad);
        bad[10] = 'g';
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000", bad,
                                         0, NOW, WINDOW, &c),
                         HBP_PUSH_MALFORMED);
        assert_int_equal(hbp_push_verify(&k, "app", "x", VECTOR, 0, NOW,
                                         WINDOW, &c), HBP_PUSH_MALFORMED);
        /* Outside the window either way: stale (after the MAC). */
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         VECTOR, 0, NOW + WINDOW + 1,
                                         WINDOW, &c), HBP_PUSH_STALE);
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         VECTOR, 0, NOW - WINDOW - 1,
                                         WINDOW, &c), HBP_PUSH_STALE);
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         VECTOR, 0, NOW - WINDOW,
                                         WINDOW, &c), HBP_PUSH_OK);
        /* No window: any time. */
        assert_int_equal(hbp_push_verify(&k, "app", "1700000000000000",
                                         VECTOR, 0, 5, 0, &c), HBP_PUSH_OK);
}

static void test_names(void **state)
{
        (void)state;
        assert_string_equal(hbp_push_result_name(HBP_PUSH_BAD_MAC),
                            "bad_mac");
        assert_int_equal(hbp_push_result_status(HBP_PUSH_OK), 200);
        assert_int_equal(hbp_push_result_status(HBP_PUSH_UNKNOWN_PEER), 401);
        assert_int_equal(hbp_push_result_status(HBP_PUSH_REPLAY), 403);
        assert_int_equal(hbp_push_result_status(HBP_PUSH_TOO_LARGE), 413);
        assert_string_equal(hbp_push_result_name(HBP_PUSH_RESULT_COUNT), "?");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mac_vector),
                cmocka_unit_test(test_counter_parse),
                cmocka_unit_test(test_verify),
                cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
