/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of hb_tcp_keepalive() (include/hbeat/tcp.h): set on a real
 * TCP socket, read back with getsockopt(); milliseconds round up to the
 * kernel's seconds; out-of-range values and non-TCP sockets are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "hbeat/tcp.h"

static int get_int(int fd, int level, int name)
{
        int v = -1;
        socklen_t len = sizeof(v);

        assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
        return v;
}

static void test_set_and_read_back(void **state)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
        assert_int_equal(hb_tcp_keepalive(fd, 5000, 1500, 4, 12000), 0);
        assert_int_equal(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 5);
        /* 1500 ms: the kernel counts whole seconds, rounded up. */
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 2);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 12000);
        close(fd);
}

static void test_ipv6_and_no_user_timeout(void **state)
{
        int fd = socket(AF_INET6, SOCK_STREAM, 0);

        (void)state;
        if (fd < 0)
                skip();
        assert_int_equal(hb_tcp_keepalive(fd, 1, 1, 1, 0), 0);
        assert_int_equal(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 1);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 1);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 1);
        /* 0: the system default is left alone. */
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
        close(fd);
}

static void test_limits(void **state)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(hb_tcp_keepalive(fd, HB_TCP_KEEPALIVE_MAX_MS,
                                          HB_TCP_KEEPALIVE_MAX_MS,
                                          HB_TCP_KEEPALIVE_MAX_COUNT, 0), 0);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 32767);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 127);
        /* Out of range: refused before anything is set. */
        assert_int_equal(hb_tcp_keepalive(fd, 0, 1000, 3, 0), -EINVAL);
        assert_int_equal(hb_tcp_keepalive(fd, 1000, 0, 3, 0), -EINVAL);
        assert_int_equal(hb_tcp_keepalive(fd, 1000, 1000, 0, 0), -EINVAL);
        assert_int_equal(hb_tcp_keepalive(fd, 1000, 1000, 128, 0), -EINVAL);
        assert_int_equal(hb_tcp_keepalive(fd, HB_TCP_KEEPALIVE_MAX_MS + 1,
                                          1000, 3, 0), -EINVAL);
        assert_int_equal(hb_tcp_keepalive(fd, 1000, 1000, 3, UINT32_MAX),
                         -EINVAL);
        assert_int_equal(hb_tcp_keepalive(-1, 1000, 1000, 3, 0), -EINVAL);
        assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 32767);
        close(fd);
}

static void test_not_tcp(void **state)
{
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        int r;

        (void)state;
        assert_true(fd >= 0);
        r = hb_tcp_keepalive(fd, 1000, 1000, 3, 0);
        /* SO_KEEPALIVE is accepted on any socket; the TCP options not. */
        assert_true(r == -ENOPROTOOPT || r == -EOPNOTSUPP);
        close(fd);
        assert_int_equal(hb_tcp_keepalive(fd, 1000, 1000, 3, 0), -EBADF);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_and_read_back),
                cmocka_unit_test(test_ipv6_and_no_user_timeout),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_not_tcp),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
