/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by hbeatd and hbeatctl: address text <-> sockaddr,
 * durations for humans, whole-file reads. See util.h for the contracts.
 *
 * Addresses: the resolver is only used for names that look like host names
 * (letters, digits, '.', '-', '_'), so that junk from a config file never
 * reaches DNS, and numeric addresses are tried first with AI_NUMERICHOST so
 * that they never cause a lookup at all. AI_ADDRCONFIG is off on purpose: a
 * loopback-only test host has no "configured" address and would otherwise
 * fail to resolve "localhost".
 */
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hbeat/detector.h"

/* Longest host part accepted, bytes (DNS names are at most 253). */
#define HOST_MAX 255

static void set_err(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (!err || errlen == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

static bool is_hostname_char(char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
               (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
               ch == '_';
}

static int parse_port(const char *text, uint16_t *port, char *err,
                      size_t errlen)
{
        unsigned long v;
        char *end;

        if (text[0] < '0' || text[0] > '9') {
                set_err(err, errlen, "port '%s' is not a number (1..65535)",
                        text);
                return -EINVAL;
        }
        errno = 0;
        v = strtoul(text, &end, 10);
        if (*end != '\0') {
                set_err(err, errlen, "port '%s' is not a number (1..65535)",
                        text);
                return -EINVAL;
        }
        if (errno == ERANGE || v < 1 || v > 65535) {
                set_err(err, errlen, "port %s is out of range (1..65535)",
                        text);
                return -EINVAL;
        }
        *port = (uint16_t)v;
        return 0;
}

int hbu_parse_address(const char *text, struct sockaddr_storage *out,
                      socklen_t *len, char *err, size_t errlen)
{
        char host[HOST_MAX + 1];
        const char *host_start, *port_text;
        struct addrinfo hints, *res = NULL;
        size_t host_len;
        bool bracket = false;
        uint16_t port;
        int r;

        if (!text || !out || !len)
                return -EINVAL;

        if (text[0] == '[') {
                const char *close = strchr(text, ']');

                if (!close) {
                        set_err(err, errlen,
                                "missing ']' after the IPv6 address");
                        return -EINVAL;
                }
                if (close[1] != ':') {
                        set_err(err, errlen, "missing ':PORT' after ']'");
                        return -EINVAL;
                }
                bracket = true;
                host_start = text + 1;
                host_len = (size_t)(close - host_start);
                port_text = close + 2;
        } else {
                const char *colon = strrchr(text, ':');

                if (!colon) {
                        set_err(err, errlen, "missing ':PORT'");
                        return -EINVAL;
                }
                if (memchr(text, ':', (size_t)(colon - text))) {
                        set_err(err, errlen,
                                "an IPv6 address must be written in "
                                "brackets, as in [::1]:7400");
                        return -EINVAL;
                }
                host_start = text;
                host_len = (size_t)(colon - text);
                port_text = colon + 1;
        }
        if (host_len == 0) {
                set_err(err, errlen, "missing host before ':PORT'");
                return -EINVAL;
        }
        if (host_len > HOST_MAX) {
                set_err(err, errlen, "host is longer than %d characters",
                        HOST_MAX);
                return -EINVAL;
        }
        memcpy(host, host_start, host_len);
        host[host_len] = '\0';

        r = parse_port(port_text, &port, err, errlen);
        if (r < 0)
                return r;

        memset(&hints, 0, sizeof hints);
        hints.ai_family = bracket ? AF_INET6 : AF_UNSPEC;
        hints.ai_socktype = SOCK_DGRAM;
        hints.ai_flags = AI_NUMERICHOST;
        r = getaddrinfo(host, NULL, &hints, &res);
        if (r != 0 && bracket) {
                set_err(err, errlen, "'%s' is not an IPv6 address", host);
                return -EINVAL;
        }
        if (r != 0) {
                for (size_t i = 0; i < host_len; i++) {
                        if (!is_hostname_char(host[i])) {
                                set_err(err, errlen,
                                        "'%s' is not an IPv4 address or a "
                                        "host name", host);
                                return -EINVAL;
                        }
                }
                hints.ai_flags = 0;
                r = getaddrinfo(host, NULL, &hints, &res);
                if (r != 0) {
                        set_err(err, errlen, "cannot resolve '%s': %s", host,
                                r == EAI_SYSTEM ? strerror(errno)
                                                : gai_strerror(r));
                        return -ENOENT;
                }
        }
        if (res->ai_addrlen > sizeof *out ||
            (res->ai_family != AF_INET && res->ai_family != AF_INET6)) {
                freeaddrinfo(res);
                set_err(err, errlen, "'%s' has no IPv4 or IPv6 address",
                        host);
                return -ENOENT;
        }
        memset(out, 0, sizeof *out);
        memcpy(out, res->ai_addr, res->ai_addrlen);
        *len = (socklen_t)res->ai_addrlen;
        if (res->ai_family == AF_INET)
                ((struct sockaddr_in *)out)->sin_port = htons(port);
        else
                ((struct sockaddr_in6 *)out)->sin6_port = htons(port);
        freeaddrinfo(res);
        return 0;
}

char *hbu_format_address(const struct sockaddr *sa, char *buf, size_t cap)
{
        char host[NI_MAXHOST];
        socklen_t salen;
        uint16_t port;

        if (!buf || cap == 0)
                return buf;
        if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
                snprintf(buf, cap, "?");
                return buf;
        }
        if (sa->sa_family == AF_INET) {
                salen = sizeof(struct sockaddr_in);
                port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
        } else {
                salen = sizeof(struct sockaddr_in6);
                port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
        }
        if (getnameinfo(sa, salen, host, sizeof host, NULL, 0,
                        NI_NUMERICHOST) != 0) {
                snprintf(buf, cap, "?");
                return buf;
        }
        if (sa->sa_family == AF_INET)
                snprintf(buf, cap, "%s:%u", host, (unsigned)port);
        else
                snprintf(buf, cap, "[%s]:%u", host, (unsigned)port);
        return buf;
}

bool hbu_address_equal(const struct sockaddr *a, const struct sockaddr *b)
{
        if (!a || !b || a->sa_family != b->sa_family)
                return false;
        if (a->sa_family == AF_INET) {
                const struct sockaddr_in *x = (const struct sockaddr_in *)a;
                const struct sockaddr_in *y = (const struct sockaddr_in *)b;

                return x->sin_port == y->sin_port &&
                       x->sin_addr.s_addr == y->sin_addr.s_addr;
        }
        if (a->sa_family == AF_INET6) {
                const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
                const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

                return x->sin6_port == y->sin6_port &&
                       x->sin6_scope_id == y->sin6_scope_id &&
                       memcmp(&x->sin6_addr, &y->sin6_addr,
                              sizeof x->sin6_addr) == 0;
        }
        return false;
}

char *hbu_format_duration_ns(uint64_t ns, char *buf, size_t cap)
{
        static const struct {
                uint64_t div;
                const char *unit;
        } units[] = {
                { UINT64_C(1000000000), "s" },
                { UINT64_C(1000000), "ms" },
                { UINT64_C(1000), "us" },
        };
        char frac_text[16];
        uint64_t whole, thousandths;

        if (!buf || cap == 0)
                return buf;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
                uint64_t div = units[i].div;

                if (ns < div)
                        continue;
                whole = ns / div;
                /* (ns % div) < div <= 1e9, so * 1000 cannot overflow. */
                thousandths = ((ns % div) * 1000 + div / 2) / div;
                if (thousandths == 1000) {
                        whole++;
                        thousandths = 0;
                }
                frac_text[0] = '\0';
                if (thousandths) {
                        size_t n;

                        snprintf(frac_text, sizeof frac_text, ".%03u",
                                 (unsigned)thousandths);
                        n = strlen(frac_text);
                        while (frac_text[n - 1] == '0')
                                frac_text[--n] = '\0';
                }
                snprintf(buf, cap, "%" PRIu64 "%s %s", whole, frac_text,
                         units[i].unit);
                return buf;
        }
        snprintf(buf, cap, "%" PRIu64 " ns", ns);
        return buf;
}

int hbu_read_file(const char *path, char **out, size_t *len)
{
        struct stat st;
        char *buf = NULL, *grown;
        size_t cap = 0, used = 0;
        int fd, r;

        if (!path || !out)
                return -EINVAL;
        /* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto out;
        }
        if (S_ISDIR(st.st_mode)) {
                r = -EISDIR;
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                r = -EINVAL;
                goto out;
        }
        if ((uint64_t)st.st_size > HBU_READ_FILE_MAX) {
                r = -EFBIG;
                goto out;
        }
        /* The size is a hint: the file may change while we read it. */
        cap = (size_t)st.st_size + 1;
        buf = malloc(cap);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        for (;;) {
                ssize_t n;

                if (used + 1 == cap) {
                        if (cap > HBU_READ_FILE_MAX) {
                                r = -EFBIG;
                                goto out;
                        }
                        /* Not realloc(): the old block may hold a secret
                         * (key files) and must be wiped before release. */
                        grown = malloc(cap * 2);
                        if (!grown) {
                                r = -ENOMEM;
                                goto out;
                        }
                        memcpy(grown, buf, used);
                        explicit_bzero(buf, cap);
                        free(buf);
                        buf = grown;
                        cap *= 2;
                }
                n = read(fd, buf + used, cap - 1 - used);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                used += (size_t)n;
        }
        buf[used] = '\0';
        *out = buf;
        buf = NULL;
        if (len)
                *len = used;
        r = 0;
out:
        if (buf) {
                explicit_bzero(buf, cap);
                free(buf);
        }
        close(fd);
        return r;
}

/* fsync() the directory holding `path`, so that a rename in it lasts. */
static int fsync_parent(const char *path)
{
        const char *slash = strrchr(path, '/');
        char *dir;
        int fd, r = 0;

        if (!slash)
                dir = strdup(".");
        else if (slash == path)
                dir = strdup("/");
        else
                dir = strndup(path, (size_t)(slash - path));
        if (!dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        free(dir);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

static int write_file(const char *path, const void *data, size_t len,
                      mode_t mode, bool durable);

int hbu_write_file_durable(const char *path, const void *data, size_t len,
                           mode_t mode)
{
        return write_file(path, data, len, mode, true);
}

int hbu_write_file_replace(const char *path, const void *data, size_t len,
                           mode_t mode)
{
        return write_file(path, data, len, mode, false);
}

static int write_file(const char *path, const void *data, size_t len,
                      mode_t mode, bool durable)
{
        const char *p = data;
        char *tmp = NULL;
        int fd, r = 0;

        if (!path || (!data && len > 0))
                return -EINVAL;
        if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                  mode);
        if (fd < 0) {
                r = -errno;
                free(tmp);
                return r;
        }
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        break;
                }
                p += n;
                len -= (size_t)n;
        }
        /* A failed fsync may have dropped the dirty pages: the file is
         * then unusable, never retried. */
        if (r == 0 && durable && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlink(tmp);
                free(tmp);
                return r;
        }
        free(tmp);
        return durable ? fsync_parent(path) : 0;
}

const char *hbu_kinds_phrase(unsigned kinds, char *buf, size_t cap)
{
        unsigned all = 0, missing;
        size_t used = 0;

        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++)
                all |= HB_DETECTOR_KIND_BIT(k);
        missing = all & ~kinds;
        buf[0] = '\0';
        if (missing == 0 || missing == all)
                return buf;
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++) {
                const char *name = hb_detector_kind_name((hb_detector_kind_t)k);

                if (missing == HB_DETECTOR_KIND_BIT(k)) {
                        snprintf(buf, cap, "all kinds but %s", name);
                        return buf;
                }
                if ((kinds & HB_DETECTOR_KIND_BIT(k)) && used < cap)
                        used += (size_t)snprintf(buf + used, cap - used,
                                                 "%s%s", used ? ", " : "",
                                                 name);
        }
        if (used < cap)
                snprintf(buf + used, cap - used, " only");
        return buf;
}

bool hbu_parse_field(const char **p, const char *key, uint64_t max,
                        uint64_t *out)
{
        size_t kl = strlen(key);
        const char *q = *p;
        uint64_t v = 0;

        if (strncmp(q, key, kl) != 0 || q[kl] != ' ')
                return false;
        q += kl + 1;
        if (*q < '0' || *q > '9')
                return false;
        for (; *q >= '0' && *q <= '9'; q++) {
                if (v > (max - (uint64_t)(*q - '0')) / 10)
                        return false;
                v = v * 10 + (uint64_t)(*q - '0');
        }
        if (*q != '\n')
                return false;
        *p = q + 1;
        *out = v;
        return true;
}
