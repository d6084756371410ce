/* SPDX-License-Identifier: MIT */
/**
 * @file tcp.h
 * @brief TCP keepalive for application sockets (libhbeat-uv).
 *
 * A TCP connection that nobody writes to can stay "established" for
 * ever after the other host lost power or a firewall dropped its state:
 * nothing is sent, so nothing fails. TCP keepalive makes the kernel
 * probe such a connection and reset it when the probes go unanswered;
 * TCP_USER_TIMEOUT bounds how long data already written may stay
 * unacknowledged before the kernel gives up on the connection.
 *
 * This checks the connection and the remote kernel only, never the
 * application: a peer process that is hung, paused (SIGSTOP) or in a
 * busy loop still has its kernel answer every probe. That is the job
 * of heartbeats, which the application itself sends. Long-lived TCP
 * streams of an HA system want both (docs/tcp-keepalive.md).
 *
 * Linux socket options set, tcp(7) and socket(7):
 *
 *   SO_KEEPALIVE     on
 *   TCP_KEEPIDLE     idle_ms / 1000 (rounded up): idle time before the
 *                    first probe
 *   TCP_KEEPINTVL    interval_ms / 1000 (rounded up): between probes
 *   TCP_KEEPCNT      count: unanswered probes before the reset
 *   TCP_USER_TIMEOUT user_timeout_ms: longest time written data may stay
 *                    unacknowledged (0 leaves the system default); it
 *                    also caps the keepalive when set (tcp(7))
 *
 * A dead peer is detected after about idle + interval x count when the
 * connection is idle, and after user_timeout_ms when data is pending.
 */
#ifndef HBEAT_TCP_H
#define HBEAT_TCP_H

#include <stdint.h>

#include "hbeat/library.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest idle_ms and interval_ms: the kernel's limit (32767 s). */
#define HB_TCP_KEEPALIVE_MAX_MS (32767u * 1000u)
/** Largest count: the kernel's limit (127). */
#define HB_TCP_KEEPALIVE_MAX_COUNT 127u

/**
 * Turn TCP keepalive on for the connected or listening TCP socket `fd`
 * and set its timing (see the file comment for the options).
 *
 * @param fd              a TCP socket (IPv4 or IPv6); borrowed.
 * @param idle_ms         idle time before the first probe, ms,
 *                        1..HB_TCP_KEEPALIVE_MAX_MS; the kernel counts in
 *                        whole seconds, so it is rounded up to one.
 * @param interval_ms     time between probes, ms, same range and rounding.
 * @param count           probes left unanswered before the connection is
 *                        reset, 1..HB_TCP_KEEPALIVE_MAX_COUNT.
 * @param user_timeout_ms TCP_USER_TIMEOUT in ms, 0..UINT32_MAX/2; 0 keeps
 *                        the system's behaviour (retransmit for about 15
 *                        minutes, tcp_retries2).
 * @return 0; -EINVAL for a negative fd or a value out of range (nothing
 *         set); or the negative errno of the first setsockopt() that
 *         failed (-EBADF, -ENOTSOCK, -ENOPROTOOPT for a socket that is
 *         not TCP): options before it may be set already.
 */
HB_EXPORT int hb_tcp_keepalive(int fd, uint32_t idle_ms, uint32_t interval_ms,
                               uint32_t count, uint32_t user_timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_TCP_H */
