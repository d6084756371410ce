/* SPDX-License-Identifier: MIT */
/*
 * HTTP push heartbeats (docs/http.md, "Push"): the request's
 * authentication, shared by hbeatd (which verifies) and `hbeatctl push`
 * (which signs). Pure functions: no I/O, no clock (the caller passes the
 * wall clock), no state.
 *
 * A push is `POST /v1/push/PEER` with two headers:
 *
 *   X-Hbeat-Counter: COUNTER    decimal, 1..2^63-1: the sender's wall
 *                               clock in microseconds since the Unix
 *                               epoch, strictly growing per peer
 *   X-Hbeat-Auth: MAC           64 lowercase hex digits: HMAC-SHA-256
 *                               (RFC 2104, libsodium
 *                               crypto_auth_hmacsha256) under the peer's
 *                               32-byte token of the message
 *                               "hbeat-push-v1\nPOST\n/v1/push/PEER\n"
 *                               "PEER\nCOUNTER\n" (COUNTER as sent)
 *
 * The token never travels; a captured request cannot be replayed (its
 * counter is no longer above the last accepted one) nor moved to another
 * peer or path (they are under the MAC), and it ages out of the window.
 */
#ifndef HBP_PUSH_H
#define HBP_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "hbeat/wire.h"

#define HBP_PUSH_PATH_PREFIX "/v1/push/"
#define HBP_PUSH_COUNTER_HEADER "X-Hbeat-Counter"
#define HBP_PUSH_AUTH_HEADER "X-Hbeat-Auth"
/* Hex digits of a MAC, NUL excluded. */
#define HBP_PUSH_MAC_HEX 64
/* Largest body a push may carry (ignored), bytes. */
#define HBP_PUSH_BODY_MAX 1024u
/* Longest counter text, digits. */
#define HBP_PUSH_COUNTER_MAX_DIGITS 19

/* Why a push was refused (an index into the counters; HBP_PUSH_OK is
 * acceptance). */
typedef enum hbp_push_result {
        HBP_PUSH_OK = 0,
        HBP_PUSH_MALFORMED,     /* 400: a header missing or not well formed */
        HBP_PUSH_UNKNOWN_PEER,  /* 401: no push peer of that name */
        HBP_PUSH_BAD_MAC,       /* 401: the MAC does not verify */
        HBP_PUSH_REPLAY,        /* 403: counter not above the last one */
        HBP_PUSH_STALE,         /* 403: counter outside the time window */
        HBP_PUSH_TOO_LARGE,     /* 413: body over HBP_PUSH_BODY_MAX */
        HBP_PUSH_RESULT_COUNT
} hbp_push_result_t;

/* "ok", "malformed", "unknown_peer", "bad_mac", "replay", "stale",
 * "too_large"; "?" out of range. */
const char *hbp_push_result_name(hbp_push_result_t r);

/* The HTTP status hbeatd answers with for `r` (200 for OK). */
unsigned hbp_push_result_status(hbp_push_result_t r);

/*
 * The MAC of a push of `counter` (decimal text, as sent) for `peer`
 * under `key`, as 64 lowercase hex digits and a NUL into `hex` (at least
 * HBP_PUSH_MAC_HEX + 1 bytes). Returns 0, or -EINVAL (NULL argument, a
 * peer name over 63 bytes or a counter over 19 digits).
 */
int hbp_push_mac(const hb_key_t *key, const char *peer, const char *counter,
                 char *hex);

/*
 * Parse a counter header: 1..19 decimal digits, no sign, no leading
 * zero, at most INT64_MAX. 0 and *out set, or -EINVAL.
 */
int hbp_push_parse_counter(const char *text, uint64_t *out);

/*
 * Verify a push for `peer` whose key is `key`: `counter_text` and
 * `mac_hex` are the two headers (NULL when absent); `last` is the last
 * counter accepted for the peer (0: none); `now_us` the verifier's wall
 * clock (µs since the epoch) and `window_us` how far the counter may be
 * from it either way (0: no window). The MAC is checked first (in
 * constant time, crypto_auth_hmacsha256_verify()), so replay and stale
 * tell only a key holder anything. Returns HBP_PUSH_OK with *counter set
 * (the caller then stores it as the new `last`), or the reason
 * (MALFORMED, BAD_MAC, REPLAY, STALE); *counter untouched then.
 */
hbp_push_result_t hbp_push_verify(const hb_key_t *key, const char *peer,
                                  const char *counter_text,
                                  const char *mac_hex, uint64_t last,
                                  uint64_t now_us, uint64_t window_us,
                                  uint64_t *counter);

#endif /* HBP_PUSH_H */
