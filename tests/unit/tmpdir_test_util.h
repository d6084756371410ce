/* SPDX-License-Identifier: MIT */
/*
 * A scratch directory per test group (cmocka group setup/teardown): made
 * under $TMPDIR (else /tmp) as PREFIX-XXXXXX, removed with everything in
 * it. Shared by the tests that write trace files (test_trace.c,
 * test_trace_input.c).
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

#endif
