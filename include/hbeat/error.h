/* SPDX-License-Identifier: MIT */
/**
 * @file error.h
 * @brief libhbeat error codes and time constants (included by every other
 *        public header; include <hbeat/hbeat.h> for everything).
 *
 * libhbeat is the sans-I/O core of hbeat: it never reads a clock, never
 * touches a socket, file, process or thread, and never logs. Every call that
 * depends on time takes `now_ns`, a CLOCK_MONOTONIC reading in nanoseconds
 * supplied by the caller (docs/architecture.md in the hbeat sources).
 *
 * Error convention (libuv style): functions return `>= 0` on success and a
 * negative code on failure. A negative code is either `-errno` (for example
 * `-EINVAL` for a bad argument, `-ENOMEM` when an allocation failed) or one
 * of the project codes below, which live in a block (-10000 .. -10099) clear
 * of errno values and of libuv's codes (-3000 .. -4095).
 * On failure, out-parameters are left untouched.
 */
#ifndef HBEAT_ERROR_H
#define HBEAT_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "hbeat/library.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Project error codes: X(name, value, message).
 * Each wire-decoder error is distinct so that a receiver can count dropped
 * packets per reason (see docs/wire-format.md, "Validation order").
 */
#define HB_ERRNO_MAP(X)                                                        \
        X(ETRUNC, -10001, "message truncated")                                \
        X(EBADMAGIC, -10002, "bad magic")                                     \
        X(EVERSION, -10003, "unknown wire version")                           \
        X(EBADLEN, -10004, "length field does not match datagram")            \
        X(EBADTLV, -10005, "malformed TLV extension")                         \
        X(EBADTAG, -10006, "authentication tag mismatch")                     \
        X(ECLUSTER, -10007, "wrong cluster id")                               \
        X(ETOOBIG, -10008, "message larger than the wire maximum")            \
        X(EBADTYPE, -10009, "unknown message type")                           \
        X(EUNKPEER, -10010, "sender is not a configured peer")                \
        X(EREPLAY, -10011, "replayed or stale message")                       \
        X(ESELF, -10012, "message from this node's own id")                   \
        X(EBADKEY, -10013, "bad key material")                                \
        X(ENOTOURS, -10014, "quoted datagram is not a recent message of ours") \
        X(EBADSRC, -10015, "message from an address that is not the "        \
          "sender's configured one")                                          \
        X(EOLDINC, -10016, "message from an older incarnation of the sender " \
          "than one already accepted")                                        \
        X(EFUTUREINC, -10017, "incarnation further ahead of this node's "     \
          "wall clock than the allowed clock skew")

/** Project error codes. Values are stable across releases. */
enum hb_errno {
#define HB__ERRNO_ENUM(name, val, msg) HB_##name = (val),
        HB_ERRNO_MAP(HB__ERRNO_ENUM)
#undef HB__ERRNO_ENUM
};

/**
 * Describe an error code.
 *
 * @param err  a value returned by a libhbeat function: a project code
 *             (HB_E*), a negative errno, or 0.
 * @return     a static, NUL-terminated English string; never NULL. The
 *             string is owned by the library and valid forever.
 */
HB_EXPORT const char *hb_strerror(int err);

/**
 * Short stable identifier of an error code, for counters and JSON keys:
 * "truncated", "bad_magic", "bad_version", "bad_length", "bad_tlv",
 * "bad_tag", "wrong_cluster", "oversized", "bad_type", "unknown_peer",
 * "replay", "self", "bad_key", "not_ours"; for errno values the errno name in lower case
 * where known ("einval"), else "error".
 *
 * @return a static string owned by the library; never NULL.
 */
HB_EXPORT const char *hb_errname(int err);

/** Nanoseconds per millisecond, for converting configured durations. */
#define HB_NS_PER_MS UINT64_C(1000000)
/** Nanoseconds per second. */
#define HB_NS_PER_S UINT64_C(1000000000)
/** "Never": a deadline that does not exist. */
#define HB_NEVER UINT64_MAX

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_ERROR_H */
