/* SPDX-License-Identifier: MIT */
/*
 * A scratch directory per test group (cmocka group setup/teardown): made
 * under $TMPDIR (else /tmp) as PREFIX-XXXXXX, removed with everything in
 * it; and slurp(), a whole file read back. Shared by the tests that write
 * trace files (test_trace.c, test_trace_input.c). Include after
 * <cmocka.h>.
 */
#ifndef HBEAT_TESTS_TMPDIR_TEST_UTIL_H
#define HBEAT_TESTS_TMPDIR_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

static char tmpdir[256];

/* 0, or -1 (mkdtemp failed). */
static int tmpdir_make(const char *prefix)
{
        const char *base = getenv("TMPDIR");

        snprintf(tmpdir, sizeof(tmpdir), "%s/%s-XXXXXX",
                 base && base[0] ? base : "/tmp", prefix);
        return mkdtemp(tmpdir) ? 0 : -1;
}

/* 0, or -1 (rm failed). */
static int tmpdir_remove(void)
{
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

/* The whole file at `path`, NUL-terminated (length in *len); the caller
 * frees it. Fails the test if it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        assert_true(n >= 0);
        rewind(f);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        *len = (size_t)n;
        return buf;
}

#endif
