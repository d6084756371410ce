/* SPDX-License-Identifier: MIT */
/*
 * HTTP push heartbeats: the MAC and the acceptance rules (push.h,
 * docs/http.md "Push"). HMAC-SHA-256 is libsodium's
 * (crypto_auth_hmacsha256, RFC 2104 / RFC 4231), verified in constant
 * time by crypto_auth_hmacsha256_verify(); hex by sodium_hex2bin() and
 * sodium_bin2hex().
 */
#include "common/push.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

static const char *const names[HBP_PUSH_RESULT_COUNT] = {
        [HBP_PUSH_OK] = "ok",
        [HBP_PUSH_MALFORMED] = "malformed",
        [HBP_PUSH_UNKNOWN_PEER] = "unknown_peer",
        [HBP_PUSH_BAD_MAC] = "bad_mac",
        [HBP_PUSH_REPLAY] = "replay",
        [HBP_PUSH_STALE] = "stale",
        [HBP_PUSH_TOO_LARGE] = "too_large",
};

static const unsigned statuses[HBP_PUSH_RESULT_COUNT] = {
        [HBP_PUSH_OK] = 200,
        [HBP_PUSH_MALFORMED] = 400,
        [HBP_PUSH_UNKNOWN_PEER] = 401,
        [HBP_PUSH_BAD_MAC] = 401,
        [HBP_PUSH_REPLAY] = 403,
        [HBP_PUSH_STALE] = 403,
        [HBP_PUSH_TOO_LARGE] = 413,
};

const char *hbp_push_result_name(hbp_push_result_t r)
{
        if ((unsigned)r >= HBP_PUSH_RESULT_COUNT)
                return "?";
        return names[r];
}

unsigned hbp_push_result_status(hbp_push_result_t r)
{
        if ((unsigned)r >= HBP_PUSH_RESULT_COUNT)
                return 500;
        return statuses[r];
}

/* The signed message into `msg` (cap bytes); its length, or -EINVAL. */
static int message(const char *peer, const char *counter, char *msg,
                   size_t cap)
{
        int n;

        if (strlen(peer) > 63 || strlen(counter) >
                                         HBP_PUSH_COUNTER_MAX_DIGITS)
                return -EINVAL;
        n = snprintf(msg, cap, "hbeat-push-v1\nPOST\n%s%s\n%s\n%s\n",
                     HBP_PUSH_PATH_PREFIX, peer, peer, counter);
        if (n < 0 || (size_t)n >= cap)
                return -EINVAL;
        return n;
}

int hbp_push_mac(const hb_key_t *key, const char *peer, const char *counter,
                 char *hex)
{
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        char msg[256];
        int n;

        if (!key || !peer || !counter || !hex)
                return -EINVAL;
        n = message(peer, counter, msg, sizeof msg);
        if (n < 0)
                return n;
        crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (size_t)n,
                               key->bytes);
        sodium_bin2hex(hex, HBP_PUSH_MAC_HEX + 1, mac, sizeof mac);
        return 0;
}

int hbp_push_parse_counter(const char *text, uint64_t *out)
{
        uint64_t v = 0;
        size_t n;

        if (!text || !out)
                return -EINVAL;
        n = strlen(text);
        if (n == 0 || n > HBP_PUSH_COUNTER_MAX_DIGITS || text[0] == '0')
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (text[i] < '0' || text[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t)(text[i] - '0');
        }
        if (v > (uint64_t)INT64_MAX)
                return -EINVAL;
        *out = v;
        return 0;
}

hbp_push_result_t hbp_push_verify(const hb_key_t *key, const char *peer,
                                  const char *counter_text,
                                  const char *mac_hex, uint64_t last,
                                  uint64_t now_us, uint64_t window_us,
                                  uint64_t *counter)
{
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        char msg[256];
        size_t bin_len = 0;
        const char *end = NULL;
        uint64_t c;
        int n;

        if (!key || !peer || !counter_text || !mac_hex ||
            hbp_push_parse_counter(counter_text, &c) < 0 ||
            strlen(mac_hex) != HBP_PUSH_MAC_HEX ||
            sodium_hex2bin(mac, sizeof mac, mac_hex, HBP_PUSH_MAC_HEX, NULL,
                           &bin_len, &end) != 0 ||
            bin_len != sizeof mac || *end != '\0')
                return HBP_PUSH_MALFORMED;
        n = message(peer, counter_text, msg, sizeof msg);
        if (n < 0)
                return HBP_PUSH_MALFORMED;
        if (crypto_auth_hmacsha256_verify(mac, (const unsigned char *)msg,
                                          (size_t)n, key->bytes) != 0)
                return HBP_PUSH_BAD_MAC;
        if (c <= last)
                return HBP_PUSH_REPLAY;
        if (window_us > 0 &&
            (c > now_us + window_us || c + window_us < now_us))
                return HBP_PUSH_STALE;
        if (counter)
                *counter = c;
        return HBP_PUSH_OK;
}
