/* SPDX-License-Identifier: MIT */
/*
 * Internal to libhbeat-uv (uv_node.c is its user). UDP transport of the
 * libuv shell: one bound socket that receives in
 * batches (recvmmsg) and sends without ever blocking.
 *
 * Receiving: every datagram is handed to `recv_cb` with its bytes (borrowed
 * for the call) and source address; after each batch the socket read in one
 * go, `batch_cb` runs once, so the caller can re-arm its timers once per
 * batch rather than once per datagram.
 *
 * ICMP errors: with an `unreach` callback the socket is bound with
 * UV_UDP_LINUX_RECVERR (IP_RECVERR / IPV6_RECVERR, see ip(7)). The kernel
 * then queues every ICMP error for a datagram we sent on the socket's
 * error queue and fails the next receive *or send* with the error
 * (ECONNREFUSED for port unreachable). The transport drains that queue
 * (recvmsg MSG_ERRQUEUE): at once when a receive reports the error, and
 * from a zero timer on the loop when a send met it (so `unreach` never
 * runs inside hb__udp_send()); a send that failed that
 * way is retried, since the failure consumed the error and not the
 * datagram. Each port unreachable goes to `unreach` with the original
 * destination, the address of the host that sent the ICMP (the kernel's
 * SO_EE_OFFENDER) and the part of our datagram it quoted (Linux quotes
 * up to 576 bytes of IPv4 in all, so a whole hbeat message; RFC 792 hosts
 * may quote only 8 bytes). Neither is checked here: ICMP is not
 * authenticated, and the caller decides what to believe. The rest is
 * ignored (host or net unreachable from a router
 * say nothing about the process). Draining matters: an entry left in the
 * queue keeps the socket readable (EPOLLERR) for ever, and would be read
 * late, as if new.
 *
 * Sending: hb__udp_send() is uv_udp_try_send(): the datagram goes to the
 * kernel now or not at all (UV_EAGAIN when the socket buffer is full). A
 * heartbeat that cannot leave now is stale by the next interval anyway, so
 * queueing it would only add latency and memory.
 *
 * Ownership: hb__udp_open() returns an object owned by the caller; release it
 * with hb__udp_close(), which frees it from the handle's close callback
 * (libuv rule: memory holding a uv handle is freed only there).
 */
#ifndef HB_IO_UDP_H
#define HB_IO_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

typedef struct hb__udp hb__udp_t;

/* One datagram: `buf` is borrowed for the call. `truncated` is true when
 * the datagram was larger than the receive chunk (64 KiB). */
typedef void (*hb__udp_recv_cb)(void *user, const uint8_t *buf, size_t len,
                               const struct sockaddr *from, int truncated);
/* End of a receive batch (at least one datagram was delivered). */
typedef void (*hb__udp_batch_cb)(void *user);
/* A receive error other than "nothing to read" (rare: ENOMEM, ...). */
typedef void (*hb__udp_error_cb)(void *user, int err);
/* A datagram this socket sent to `to` came back as ICMP port unreachable
 * (IPv4 type 3 code 3, ICMPv6 type 1 code 4): nothing listens there, says
 * `offender` (the ICMP's source address, port 0; family AF_UNSPEC when the
 * kernel gave none). `quote` is the UDP payload the ICMP quoted (`len`
 * bytes, borrowed for the call; at most HB__UDP_QUOTE_MAX). Unverified. */
typedef void (*hb__udp_unreach_cb)(void *user, const struct sockaddr *to,
                                   const struct sockaddr *offender,
                                   const uint8_t *quote, size_t len);

typedef struct hb__udp_callbacks {
        hb__udp_recv_cb recv;
        hb__udp_batch_cb batch;         /* may be NULL */
        hb__udp_error_cb error;         /* may be NULL */
        hb__udp_unreach_cb unreach;     /* may be NULL: ICMP errors are
                                          then not asked for at all */
} hb__udp_callbacks_t;

/* Bytes of a quoted datagram read from the error queue: more than any
 * hbeat message a peer would quote back (HB_WIRE_MAX_LEN is larger, but
 * Linux quotes at most 520 bytes of UDP payload over IPv4). */
#define HB__UDP_QUOTE_MAX 512

/* Datagrams received per recvmmsg() call; libuv's own upper bound. */
#define HB__UDP_BATCH 20
/* libuv hands recvmmsg() fixed 64 KiB chunks of the receive buffer. */
#define HB__UDP_CHUNK (64 * 1024)

/*
 * Bind a UDP socket to `addr` and start receiving.
 *
 * ret:     output, untouched on failure.
 * rcvbuf:  SO_RCVBUF to ask for (the kernel may cap it at rmem_max; see
 *          hb__udp_rcvbuf()); 0 leaves the system default.
 * cbs:     callbacks (copied); `user` is passed to them.
 * Returns 0, or a negative libuv error (UV_EADDRINUSE, UV_EACCES,
 * UV_EADDRNOTAVAIL, ...) or -ENOMEM.
 */
int hb__udp_open(hb__udp_t **ret, uv_loop_t *loop, const struct sockaddr *addr,
                int rcvbuf, const hb__udp_callbacks_t *cbs, void *user);

/*
 * Send one datagram now, never blocking.
 * Returns 0, UV_EAGAIN (socket buffer full: dropped), or another negative
 * libuv error.
 */
int hb__udp_send(hb__udp_t *u, const uint8_t *buf, size_t len,
                const struct sockaddr *to);

/* Kernel receive buffer size actually granted, bytes (0 if unknown). */
int hb__udp_rcvbuf(const hb__udp_t *u);

/* Bind the socket to network interface `name` (SO_BINDTODEVICE, see
 * socket(7): its datagrams leave and are taken only through it; needs
 * CAP_NET_RAW before Linux 5.7). 0 or a negative errno. */
int hb__udp_bind_device(hb__udp_t *u, const char *name);

/*
 * Sending to a group (docs/links.md, "Multicast and broadcast"): on the
 * socket that sends, for `group`'s family, the outgoing interface
 * (IP_MULTICAST_IF with an ip_mreqn / IPV6_MULTICAST_IF; `ifindex` 0
 * leaves the routing table's choice), the TTL / hop limit (`hops`,
 * 1..255) and loopback off (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP 0:
 * this node does not hear its own heartbeats). For an IPv4 address that
 * is not multicast (a broadcast address) SO_BROADCAST instead. 0 or a
 * negative errno.
 */
int hb__udp_group_send(hb__udp_t *u, const struct sockaddr *group,
                       unsigned ifindex, unsigned hops);

/*
 * Receiving from a multicast group: join `group` on interface `ifindex`
 * (IP_ADD_MEMBERSHIP with an ip_mreqn / IPV6_JOIN_GROUP; 0: the kernel's
 * choice) and take only the groups this socket joined (IP_MULTICAST_ALL
 * 0 / IPV6_MULTICAST_ALL 0). A broadcast address needs no join: 0.
 * 0 or a negative errno.
 */
int hb__udp_group_join(hb__udp_t *u, const struct sockaddr *group,
                       unsigned ifindex);

/* The bound address (port chosen by the kernel for port 0). 0 or a
 * negative libuv error. */
int hb__udp_sockname(const hb__udp_t *u, struct sockaddr_storage *out);

/* Whether batch receiving (recvmmsg) is in use. */
int hb__udp_batching(const hb__udp_t *u);

/* Stop receiving, close the socket and free `u` (asynchronously, from the
 * close callback). No callback runs after this call. NULL is a no-op. */
void hb__udp_close(hb__udp_t *u);

#endif /* HB_IO_UDP_H */
