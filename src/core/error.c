/* SPDX-License-Identifier: MIT */
/*
 * Error descriptions: hb_strerror() and hb_errname().
 *
 * What lives here: the text and the short stable identifier of every code a
 * libhbeat function can return: 0, the project codes of HB_ERRNO_MAP
 * (include/hbeat/error.h, block -10000 .. -10099) and the negative errno
 * values that pass through (libuv errors are -errno on Linux).
 *
 * Who calls it: anyone. hbeatd and hbeatctl print hb_strerror(); counters,
 * metrics and JSON keys (the "drops" object of docs/control-protocol.md)
 * use hb_errname(), so those names are part of the external interface and
 * must never change.
 *
 * Why a table of errno names instead of strerror(): strerror() may return a
 * buffer that the next call overwrites and text that depends on the locale,
 * while the header promises static strings that are valid forever. The
 * table holds the errno values libhbeat and its I/O shell can return; text
 * for any other errno comes from glibc's strerrordesc_np() (static, English,
 * thread-safe) where available.
 */
/* For strerrordesc_np() (glibc >= 2.32); meson passes it too, but this
 * file must also build alone (the fuzz target's one-line build). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>

#include "hbeat/error.h"

/* X(errno constant, name, English text). Each constant must be distinct on
 * the target, or the switch below does not compile: EWOULDBLOCK (== EAGAIN)
 * and EOPNOTSUPP (== ENOTSUP on Linux) are left out for that reason. */
#define HB__SYS_ERRNO_MAP(X)                                                   \
        X(EPERM, "eperm", "operation not permitted")                          \
        X(ENOENT, "enoent", "no such file or directory")                      \
        X(ESRCH, "esrch", "no such process")                                  \
        X(EINTR, "eintr", "interrupted system call")                          \
        X(EIO, "eio", "input/output error")                                   \
        X(E2BIG, "e2big", "argument list too long")                           \
        X(EBADF, "ebadf", "bad file descriptor")                              \
        X(ECHILD, "echild", "no child processes")                             \
        X(EAGAIN, "eagain", "resource temporarily unavailable")               \
        X(ENOMEM, "enomem", "cannot allocate memory")                         \
        X(EACCES, "eacces", "permission denied")                              \
        X(EFAULT, "efault", "bad address")                                    \
        X(EBUSY, "ebusy", "device or resource busy")                          \
        X(EEXIST, "eexist", "file exists")                                    \
        X(ENODEV, "enodev", "no such device")                                 \
        X(ENOTDIR, "enotdir", "not a directory")                              \
        X(EISDIR, "eisdir", "is a directory")                                 \
        X(EINVAL, "einval", "invalid argument")                               \
        X(ENFILE, "enfile", "too many open files in system")                  \
        X(EMFILE, "emfile", "too many open files")                            \
        X(ENOSPC, "enospc", "no space left on device")                        \
        X(EROFS, "erofs", "read-only file system")                            \
        X(EPIPE, "epipe", "broken pipe")                                      \
        X(ERANGE, "erange", "numerical result out of range")                  \
        X(ENAMETOOLONG, "enametoolong", "file name too long")                 \
        X(ENOSYS, "enosys", "function not implemented")                       \
        X(ELOOP, "eloop", "too many levels of symbolic links")                \
        X(EBADMSG, "ebadmsg", "bad message")                                  \
        X(EPROTO, "eproto", "protocol error")                                 \
        X(EMSGSIZE, "emsgsize", "message too long")                           \
        X(ENOTSUP, "enotsup", "operation not supported")                      \
        X(EAFNOSUPPORT, "eafnosupport", "address family not supported")       \
        X(EADDRINUSE, "eaddrinuse", "address already in use")                 \
        X(EADDRNOTAVAIL, "eaddrnotavail", "cannot assign requested address")  \
        X(ENETDOWN, "enetdown", "network is down")                            \
        X(ENETUNREACH, "enetunreach", "network is unreachable")               \
        X(ECONNABORTED, "econnaborted", "software caused connection abort")   \
        X(ECONNRESET, "econnreset", "connection reset by peer")               \
        X(ENOBUFS, "enobufs", "no buffer space available")                    \
        X(EISCONN, "eisconn", "socket is already connected")                  \
        X(ENOTCONN, "enotconn", "socket is not connected")                    \
        X(ETIMEDOUT, "etimedout", "connection timed out")                     \
        X(ECONNREFUSED, "econnrefused", "connection refused")                 \
        X(EHOSTUNREACH, "ehostunreach", "no route to host")                   \
        X(EALREADY, "ealready", "operation already in progress")              \
        X(EINPROGRESS, "einprogress", "operation now in progress")            \
        X(ECANCELED, "ecanceled", "operation canceled")

/* errno values are small positive ints; anything beyond this is not one
 * (and negating INT_MIN would overflow). */
#define HB__ERRNO_MAX 4095

const char *hb_strerror(int err)
{
        if (err == 0)
                return "success";

        switch (err) {
#define HB__CASE(name, val, msg) case HB_##name: return msg;
        HB_ERRNO_MAP(HB__CASE)
#undef HB__CASE
        default:
                break;
        }

        if (err < 0 && err >= -HB__ERRNO_MAX) {
                switch (-err) {
#define HB__CASE(code, name, msg) case code: return msg;
                HB__SYS_ERRNO_MAP(HB__CASE)
#undef HB__CASE
                default:
                        break;
                }
#if defined(__GLIBC__) &&                                                      \
        (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
                const char *s = strerrordesc_np(-err);
                if (s != NULL && s[0] != '\0')
                        return s;
#endif
        }
        return "unknown error";
}

const char *hb_errname(int err)
{
        if (err == 0)
                return "success";

        /* Listed explicitly, not derived from the enum names: they are an
         * external interface (counters, JSON keys). A code added to
         * HB_ERRNO_MAP needs a name here; test_wire checks that. */
        switch (err) {
        case HB_ETRUNC:
                return "truncated";
        case HB_EBADMAGIC:
                return "bad_magic";
        case HB_EVERSION:
                return "bad_version";
        case HB_EBADLEN:
                return "bad_length";
        case HB_EBADTLV:
                return "bad_tlv";
        case HB_EBADTAG:
                return "bad_tag";
        case HB_ECLUSTER:
                return "wrong_cluster";
        case HB_ETOOBIG:
                return "oversized";
        case HB_EBADTYPE:
                return "bad_type";
        case HB_EUNKPEER:
                return "unknown_peer";
        case HB_EREPLAY:
                return "replay";
        case HB_ESELF:
                return "self";
        case HB_EBADKEY:
                return "bad_key";
        case HB_ENOTOURS:
                return "not_ours";
        case HB_EBADSRC:
                return "bad_source";
        case HB_EOLDINC:
                return "old_incarnation";
        case HB_EFUTUREINC:
                return "future_incarnation";
        default:
                break;
        }

        if (err < 0 && err >= -HB__ERRNO_MAX) {
                switch (-err) {
#define HB__CASE(code, name, msg) case code: return name;
                HB__SYS_ERRNO_MAP(HB__CASE)
#undef HB__CASE
                default:
                        break;
                }
        }
        return "error";
}
