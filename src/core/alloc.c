/* SPDX-License-Identifier: MIT */
/*
 * Allocation wrappers with failure injection for tests (see alloc.h).
 */
#include <stdlib.h>

#include "core/alloc.h"

/* Allocations left before one fails; negative: never fail. */
static long fail_countdown = -1;

static int should_fail(void)
{
        if (fail_countdown < 0)
                return 0;
        if (fail_countdown == 0) {
                fail_countdown = -1;
                return 1;
        }
        fail_countdown--;
        return 0;
}

void *hb__malloc(size_t size)
{
        return should_fail() ? NULL : malloc(size);
}

void *hb__calloc(size_t n, size_t size)
{
        return should_fail() ? NULL : calloc(n, size);
}

void *hb__realloc(void *p, size_t size)
{
        return should_fail() ? NULL : realloc(p, size);
}

void hb__free(void *p)
{
        free(p);
}

void hb__alloc_fail_after(long n)
{
        fail_countdown = n;
}
