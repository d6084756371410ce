/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the configuration tests (test_config.c: loading, values,
 * errors; test_config_sections.c: reload rules, the knob table, checks,
 * vips, election), each of which includes this once.
 *
 * Every test runs in a fresh temporary directory (mkdtemp) that holds a key
 * file and notify scripts; configs are loaded from strings named "n1.yaml",
 * so relative paths resolve into that directory and messages start with
 * "n1.yaml:LINE:COL: ". Error messages are compared whole: a change of
 * wording, line or column fails the test on purpose.
 */
#ifndef HB_CONFIG_TEST_UTIL_H
#define HB_CONFIG_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "config/config.h"

#ifndef HB_SOURCE_ROOT
#error "HB_SOURCE_ROOT must be defined (meson does it)"
#endif

/* Allocation failures: failalloc_after() (failalloc.h); these binaries
 * are linked with --wrap, so the config code's allocations count. */
#include "failalloc.h"

/* Bytes 0..31, base64: the key every test config uses. */
#define KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* The smallest valid config: lines 1-5. */
#define NODE "node:\n  name: n1\n  id: 1\n"
#define KEY "cluster:\n  key_file: cluster.key\n"
#define MINIMAL NODE KEY

static char tmpdir[1024];  /* the test's directory, also the cwd */
static char origdir[PATH_MAX];

static inline void write_file(const char *path, const char *text,
                              mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        size_t len = strlen(text);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
}

static inline int setup(void **state)
{
        const char *base = getenv("TMPDIR");
        char tmpl[PATH_MAX];

        (void)state;
        if (!getcwd(origdir, sizeof origdir))
                return -1;
        snprintf(tmpl, sizeof tmpl, "%s/hbeat-test-config-XXXXXX",
                 base && base[0] ? base : "/tmp");
        if (!mkdtemp(tmpl) || chdir(tmpl) < 0 ||
            !getcwd(tmpdir, sizeof tmpdir))
                return -1;
        write_file("cluster.key", KEY_B64 "\n", 0600);
        write_file("events.key", KEY_B64 "\n", 0600);
        write_file("notify.sh", "#!/bin/sh\nexit 0\n", 0755);
        write_file("notify.txt", "not a script\n", 0644);
        return 0;
}

static inline int rm_entry(const char *path, const struct stat *st, int flag,
                           struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static inline int teardown(void **state)
{
        (void)state;
        if (chdir(origdir) < 0)
                return -1;
        return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline hbd_config_t *load_named(const char *name, const char *text)
{
        char err[1024] = "";
        hbd_config_t *cfg = NULL;
        int r;

        r = hbd_config_load_string(&cfg, name, text, strlen(text), err,
                                   sizeof err);
        if (r != 0)
                fail_msg("load failed (%d): %s\n--- config:\n%s", r, err,
                         text);
        assert_non_null(cfg);
        return cfg;
}

static inline hbd_config_t *load_ok(const char *text)
{
        return load_named("n1.yaml", text);
}

/* `want` with each '@' replaced by the test directory. */
static inline void expand(const char *want, char *out, size_t cap)
{
        size_t o = 0;

        for (; *want && o + 1 < cap; want++) {
                if (*want == '@') {
                        o += (size_t)snprintf(out + o, cap - o, "%s",
                                              tmpdir);
                        if (o >= cap)
                                o = cap - 1;
                } else {
                        out[o++] = *want;
                }
        }
        out[o] = '\0';
}

/* Load `text` (length `len`), expect failure `code` and message `want`. */
static inline void expect_err_len(const char *text, size_t len, int code,
                                  const char *want, bool prefix_only)
{
        char err[1024] = "", exp[2048];
        hbd_config_t *cfg = NULL;
        int r;

        expand(want, exp, sizeof exp);
        r = hbd_config_load_string(&cfg, "n1.yaml", text, len, err,
                                   sizeof err);
        if (r == 0) {
                hbd_config_free(cfg);
                fail_msg("loaded, expected: %s\n--- config:\n%s", exp, text);
        }
        assert_null(cfg);
        if (r != code)
                fail_msg("code %d, expected %d (%s)", r, code, err);
        if (prefix_only ? strncmp(err, exp, strlen(exp)) != 0
                        : strcmp(err, exp) != 0)
                fail_msg("\n got: %s\nwant: %s%s\n--- config:\n%s", err, exp,
                         prefix_only ? "..." : "", text);
        assert_null(strchr(err, '\n'));
}

static inline void expect_err(const char *text, const char *want)
{
        expect_err_len(text, strlen(text), -EINVAL, want, false);
}

static inline void expect_err_prefix(const char *text, const char *want)
{
        expect_err_len(text, strlen(text), -EINVAL, want, true);
}

static inline uint16_t port_of(const struct sockaddr_storage *ss)
{
        if (ss->ss_family == AF_INET)
                return ntohs(((const struct sockaddr_in *)ss)->sin_port);
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static inline const char *at_dir(const char *rel, char *buf, size_t cap)
{
        int n = snprintf(buf, cap, "%s/%s", tmpdir, rel);

        assert_true(n > 0 && (size_t)n < cap);
        return buf;
}

struct err_case {
        const char *text;
        const char *want;
};

static inline void run_cases(const struct err_case *c, size_t n)
{
        for (size_t i = 0; i < n; i++)
                expect_err(c[i].text, c[i].want);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

#endif /* HB_CONFIG_TEST_UTIL_H */
