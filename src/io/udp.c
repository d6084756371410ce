/* SPDX-License-Identifier: MIT */
/*
 * UDP transport (see udp.h): batch receive with recvmmsg through libuv's
 * UV_UDP_RECVMMSG, non-blocking sends with uv_udp_try_send.
 *
 * Receive buffer lifecycle. With UV_UDP_RECVMMSG, libuv asks alloc_cb for
 * one buffer, splits it into 64 KiB chunks (one per datagram, at most 20),
 * and then calls recv_cb:
 *   - once per datagram with UV_UDP_MMSG_CHUNK: the bytes live inside the
 *     big buffer, which must NOT be released yet;
 *   - once more with UV_UDP_MMSG_FREE (nread 0, addr NULL): the batch is
 *     over, release the buffer;
 *   - or, when nothing was read or on error, once without either flag:
 *     release the buffer.
 * So the rule is "release exactly when UV_UDP_MMSG_CHUNK is not set".
 *
 * The buffer is 20 x 64 KiB = 1.25 MiB. Rather than malloc()ing and
 * freeing that on every batch (an mmap/munmap pair for glibc at this size),
 * the transport owns one such buffer and "allocating" marks it in use,
 * "releasing" marks it free. libuv never asks for a second buffer before
 * the first one is released; if it ever did, alloc falls back to malloc
 * and release frees exactly that allocation, so the rule above still holds.
 *
 * The end of a batch (MMSG_FREE, or the release after a single datagram
 * when recvmmsg is unavailable) triggers batch_cb once if any datagram was
 * delivered since the last one.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/errqueue.h>

#include "io/mem.h"
#include "io/udp.h"

struct hb__udp {
        uv_udp_t handle;
        hb__udp_callbacks_t cbs;
        void *user;
        char *rbuf;                    /* persistent receive buffer */
        size_t rbuf_len;
        bool rbuf_in_use;
        size_t delivered;              /* datagrams since the last batch_cb */
        int rcvbuf;
        int batching;
        bool closing;
        uv_timer_t drain_timer;        /* drains the error queue on the next
                                          loop iteration (see send) */
        int handles;                   /* open libuv handles; freed at 0 */
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        hb__udp_t *u = h->data;

        (void)suggested;
        if (!u->rbuf_in_use) {
                u->rbuf_in_use = true;
                *buf = uv_buf_init(u->rbuf, (unsigned)u->rbuf_len);
                return;
        }
        /* Not expected with libuv 1.44; stay correct anyway. */
        buf->base = hb__io_malloc(u->rbuf_len);
        buf->len = buf->base != NULL ? u->rbuf_len : 0;
}

static void release(hb__udp_t *u, const uv_buf_t *buf)
{
        if (buf->base == NULL)
                return;
        if (buf->base == u->rbuf)
                u->rbuf_in_use = false;
        else
                hb__io_free(buf->base);
}

/* The ICMP's source (SO_EE_OFFENDER, right after the extended error in
 * the control message), copied out of the cmsg so its alignment does not
 * matter; AF_UNSPEC when the control message is too short for it. */
static void offender_of(const struct sock_extended_err *e,
                        const struct cmsghdr *c,
                        struct sockaddr_storage *out)
{
        const uint8_t *at = (const uint8_t *)(e + 1);
        sa_family_t family;
        size_t room, want;

        memset(out, 0, sizeof(*out));
        if (c->cmsg_len < CMSG_LEN(sizeof(*e)))
                return;
        room = c->cmsg_len - CMSG_LEN(sizeof(*e));
        if (room < sizeof(family))
                return;
        memcpy(&family, at + offsetof(struct sockaddr, sa_family),
               sizeof(family));
        want = family == AF_INET    ? sizeof(struct sockaddr_in)
               : family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                    : 0;
        if (want != 0 && room >= want)
                memcpy(out, at, want);
}

/* ICMP errors the socket's error queue holds (see udp.h). Returns how
 * many entries were read. */
static size_t drain_errqueue(hb__udp_t *u)
{
        uv_os_fd_t fd;
        size_t n = 0;

        if (u->cbs.unreach == NULL ||
            uv_fileno((const uv_handle_t *)&u->handle, &fd) < 0)
                return 0;
        for (;;) {
                union {
                        char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
                                            sizeof(struct sockaddr_in6))];
                        struct cmsghdr align;
                } control;
                struct sockaddr_storage to;
                uint8_t data[HB__UDP_QUOTE_MAX];
                ssize_t got;
                struct iovec iov = { .iov_base = data,
                                     .iov_len = sizeof(data) };
                struct msghdr m = {
                        .msg_name = &to,
                        .msg_namelen = sizeof(to),
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf),
                };
                struct cmsghdr *c;

                memset(&to, 0, sizeof(to));
                got = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        break; /* EAGAIN: empty */
                }
                n++;
                for (c = CMSG_FIRSTHDR(&m); c != NULL;
                     c = CMSG_NXTHDR(&m, c)) {
                        const struct sock_extended_err *e;
                        struct sockaddr_storage offender;
                        bool port;

                        if (!((c->cmsg_level == SOL_IP &&
                               c->cmsg_type == IP_RECVERR) ||
                              (c->cmsg_level == SOL_IPV6 &&
                               c->cmsg_type == IPV6_RECVERR)))
                                continue;
                        e = (const struct sock_extended_err *)(const void *)
                                CMSG_DATA(c);
                        port = (e->ee_origin == SO_EE_ORIGIN_ICMP &&
                                e->ee_type == 3 && e->ee_code == 3) ||
                               (e->ee_origin == SO_EE_ORIGIN_ICMP6 &&
                                e->ee_type == 1 && e->ee_code == 4);
                        if (!port || m.msg_namelen == 0 || u->closing)
                                continue;
                        offender_of(e, c, &offender);
                        /* MSG_TRUNC: more was quoted than we read; what
                         * we have is a prefix, which the caller's check
                         * of the whole message then refuses. */
                        u->cbs.unreach(u->user, (const struct sockaddr *)&to,
                                       (const struct sockaddr *)&offender,
                                       data, (size_t)got);
                }
        }
        return n;
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags)
{
        hb__udp_t *u = h->data;

        if (nread < 0) {
                /* An ICMP error surfaced as a receive error: its details
                 * are in the error queue, and it is not a receive error. */
                if (drain_errqueue(u) == 0 && u->cbs.error != NULL &&
                    !u->closing)
                        u->cbs.error(u->user, (int)nread);
        } else if (addr != NULL && !u->closing) {
                /* A datagram (possibly empty: the core counts it). */
                u->cbs.recv(u->user, (const uint8_t *)buf->base,
                            (size_t)nread, addr,
                            (flags & UV_UDP_PARTIAL) != 0);
                u->delivered++;
        }
        if (flags & UV_UDP_MMSG_CHUNK)
                return;         /* a slice of the batch buffer: keep it */

        release(u, buf);
        if (u->delivered > 0 && !u->closing) {
                u->delivered = 0;
                if (u->cbs.batch != NULL)
                        u->cbs.batch(u->user);
        }
}

static void on_close(uv_handle_t *h)
{
        hb__udp_t *u = h->data;

        if (--u->handles > 0)
                return;
        hb__io_free(u->rbuf);
        hb__io_free(u);
}

static void on_drain_timer(uv_timer_t *t)
{
        hb__udp_t *u = t->data;

        if (!u->closing)
                (void)drain_errqueue(u);
}

/* An ICMP error was consumed where callbacks must not run (inside a
 * send): read the queue from the loop, right after this callback. */
static void schedule_drain(hb__udp_t *u)
{
        if (u->cbs.unreach != NULL && !u->closing &&
            !uv_is_active((const uv_handle_t *)&u->drain_timer))
                (void)uv_timer_start(&u->drain_timer, on_drain_timer, 0, 0);
}

int hb__udp_open(hb__udp_t **ret, uv_loop_t *loop, const struct sockaddr *addr,
                int rcvbuf, const hb__udp_callbacks_t *cbs, void *user)
{
        hb__udp_t *u;
        int r;

        if (ret == NULL || loop == NULL || addr == NULL || cbs == NULL ||
            cbs->recv == NULL)
                return UV_EINVAL;
        if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)
                return UV_EAFNOSUPPORT;

        u = hb__io_calloc(1, sizeof(*u));
        if (u == NULL)
                return UV_ENOMEM;
        u->rbuf_len = (size_t)HB__UDP_BATCH * HB__UDP_CHUNK;
        u->rbuf = hb__io_malloc(u->rbuf_len);
        if (u->rbuf == NULL) {
                hb__io_free(u);
                return UV_ENOMEM;
        }
        u->cbs = *cbs;
        u->user = user;

        r = uv_udp_init_ex(loop, &u->handle,
                           (unsigned)addr->sa_family | UV_UDP_RECVMMSG);
        if (r < 0) {
                /* The handle was not initialised: plain free is right. */
                hb__io_free(u->rbuf);
                hb__io_free(u);
                return r;
        }
        u->handle.data = u;
        u->handles = 1;
        r = uv_timer_init(loop, &u->drain_timer);
        if (r < 0)
                goto fail;
        u->drain_timer.data = u;
        u->handles = 2;

        r = uv_udp_bind(&u->handle, addr,
                        cbs->unreach != NULL ? UV_UDP_LINUX_RECVERR : 0);
        if (r < 0)
                goto fail;

        if (rcvbuf > 0) {
                int value = rcvbuf;

                /* Best effort: the kernel caps it at net.core.rmem_max. */
                (void)uv_recv_buffer_size((uv_handle_t *)&u->handle, &value);
        }
        u->rcvbuf = 0;
        if (uv_recv_buffer_size((uv_handle_t *)&u->handle, &u->rcvbuf) < 0)
                u->rcvbuf = 0;
        u->batching = uv_udp_using_recvmmsg(&u->handle);

        r = uv_udp_recv_start(&u->handle, on_alloc, on_recv);
        if (r < 0)
                goto fail;

        *ret = u;
        return 0;

fail:
        u->closing = true;
        if (u->handles == 2)
                uv_close((uv_handle_t *)&u->drain_timer, on_close);
        uv_close((uv_handle_t *)&u->handle, on_close);
        return r;
}

int hb__udp_send(hb__udp_t *u, const uint8_t *buf, size_t len,
                const struct sockaddr *to)
{
        uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
        int r, tries;

        if (u == NULL || u->closing)
                return UV_EBADF;
        r = uv_udp_try_send(&u->handle, &b, 1, to);
        /* With IP_RECVERR, an ICMP error that came back for an earlier
         * datagram (to any destination) fails the next send with it, and
         * that datagram is not sent (the kernel checks sk_err before
         * building it). The error is consumed by the failure: send again,
         * and have the queue read. A lasting local error fails again. */
        for (tries = 0; r < 0 && r != UV_EAGAIN && u->cbs.unreach != NULL &&
                        tries < 2;
             tries++) {
                schedule_drain(u);
                r = uv_udp_try_send(&u->handle, &b, 1, to);
        }
        return r < 0 ? r : 0;
}

int hb__udp_bind_device(hb__udp_t *u, const char *name)
{
        uv_os_fd_t fd;
        int r;

        if (u == NULL || name == NULL || name[0] == '\0')
                return UV_EINVAL;
        r = uv_fileno((const uv_handle_t *)&u->handle, &fd);
        if (r < 0)
                return r;
        if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                       (socklen_t)strlen(name) + 1) < 0)
                return -errno;
        return 0;
}

static int set_int_opt(int fd, int level, int name, int value)
{
        return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno
                                                                     : 0;
}

static bool is_multicast(const struct sockaddr *a)
{
        if (a->sa_family == AF_INET)
                return IN_MULTICAST(ntohl(
                        ((const struct sockaddr_in *)(const void *)a)
                                ->sin_addr.s_addr));
        return a->sa_family == AF_INET6 &&
               IN6_IS_ADDR_MULTICAST(
                       &((const struct sockaddr_in6 *)(const void *)a)
                                ->sin6_addr);
}

int hb__udp_group_send(hb__udp_t *u, const struct sockaddr *group,
                       unsigned ifindex, unsigned hops)
{
        uv_os_fd_t fd;
        int r;

        if (u == NULL || group == NULL || hops < 1 || hops > 255)
                return -EINVAL;
        r = uv_fileno((const uv_handle_t *)&u->handle, &fd);
        if (r < 0)
                return r;
        if (!is_multicast(group))
                return group->sa_family == AF_INET
                               ? set_int_opt(fd, SOL_SOCKET, SO_BROADCAST, 1)
                               : -EINVAL;
        if (group->sa_family == AF_INET) {
                struct ip_mreqn m;

                memset(&m, 0, sizeof(m));
                m.imr_ifindex = (int)ifindex;
                if (ifindex != 0 &&
                    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m,
                               sizeof(m)) < 0)
                        return -errno;
                r = set_int_opt(fd, IPPROTO_IP, IP_MULTICAST_TTL,
                                (int)hops);
                if (r == 0)
                        r = set_int_opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
                return r;
        }
        if (ifindex != 0) {
                r = set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
                                (int)ifindex);
                if (r < 0)
                        return r;
        }
        r = set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, (int)hops);
        if (r == 0)
                r = set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
        return r;
}

int hb__udp_group_join(hb__udp_t *u, const struct sockaddr *group,
                       unsigned ifindex)
{
        uv_os_fd_t fd;
        int r;

        if (u == NULL || group == NULL)
                return -EINVAL;
        if (!is_multicast(group))
                return group->sa_family == AF_INET ? 0 : -EINVAL;
        r = uv_fileno((const uv_handle_t *)&u->handle, &fd);
        if (r < 0)
                return r;
        if (group->sa_family == AF_INET) {
                struct ip_mreqn m;

                memset(&m, 0, sizeof(m));
                m.imr_multiaddr =
                        ((const struct sockaddr_in *)(const void *)group)
                                ->sin_addr;
                m.imr_ifindex = (int)ifindex;
                if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m,
                               sizeof(m)) < 0)
                        return -errno;
                return set_int_opt(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
        } else {
                struct ipv6_mreq m;

                memset(&m, 0, sizeof(m));
                m.ipv6mr_multiaddr =
                        ((const struct sockaddr_in6 *)(const void *)group)
                                ->sin6_addr;
                m.ipv6mr_interface = ifindex;
                if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m,
                               sizeof(m)) < 0)
                        return -errno;
                return set_int_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);
        }
}

int hb__udp_rcvbuf(const hb__udp_t *u)
{
        return u != NULL ? u->rcvbuf : 0;
}

int hb__udp_sockname(const hb__udp_t *u, struct sockaddr_storage *out)
{
        int len = (int)sizeof(*out);

        if (u == NULL || u->closing)
                return UV_EBADF;
        return uv_udp_getsockname(&u->handle, (struct sockaddr *)out, &len);
}

int hb__udp_batching(const hb__udp_t *u)
{
        return u != NULL ? u->batching : 0;
}

void hb__udp_close(hb__udp_t *u)
{
        if (u == NULL || u->closing)
                return;
        u->closing = true;
        /* recv_stop first: it clears libuv's recv_cb, which ends a batch
         * loop in progress; the persistent buffer is freed in on_close
         * whatever state it is in. */
        uv_udp_recv_stop(&u->handle);
        uv_close((uv_handle_t *)&u->drain_timer, on_close);
        uv_close((uv_handle_t *)&u->handle, on_close);
}
