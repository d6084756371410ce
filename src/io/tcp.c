/* SPDX-License-Identifier: MIT */
/*
 * TCP keepalive on an application socket (include/hbeat/tcp.h): five
 * setsockopt() calls, checked, in the order tcp(7) documents them.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hbeat/tcp.h"

static int set_int(int fd, int level, int name, int value)
{
        if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
                return -errno;
        return 0;
}

/* ms to the kernel's whole seconds, rounded up (1 at least). */
static int seconds(uint32_t ms)
{
        return (int)((ms + 999u) / 1000u);
}

int hb_tcp_keepalive(int fd, uint32_t idle_ms, uint32_t interval_ms,
                     uint32_t count, uint32_t user_timeout_ms)
{
        int r;

        if (fd < 0 || idle_ms == 0 || idle_ms > HB_TCP_KEEPALIVE_MAX_MS ||
            interval_ms == 0 || interval_ms > HB_TCP_KEEPALIVE_MAX_MS ||
            count == 0 || count > HB_TCP_KEEPALIVE_MAX_COUNT ||
            user_timeout_ms > (uint32_t)INT_MAX)
                return -EINVAL;
        r = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
        if (r == 0)
                r = set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, seconds(idle_ms));
        if (r == 0)
                r = set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL,
                            seconds(interval_ms));
        if (r == 0)
                r = set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, (int)count);
        if (r == 0 && user_timeout_ms > 0)
                r = set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
                            (int)user_timeout_ms);
        return r;
}
