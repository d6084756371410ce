/* SPDX-License-Identifier: MIT */
/*
 * See failalloc.h.
 */
#include <stdlib.h>
#include <string.h>

#include "hbeat/library.h"
#include "failalloc.h"

static long countdown = -1;    /* successes left before the failure */
static bool failed;

void failalloc_after(long n)
{
        countdown = n;
        if (n >= 0)
                failed = false;
}

bool failalloc_failed(void)
{
        return failed;
}

static bool fail_now(void)
{
        if (countdown < 0)
                return false;
        if (countdown-- > 0)
                return false;
        failed = true;
        return true;
}

/* ---- libhbeat: through hb_set_allocator() ----------------------------- */

static void *fa_malloc(size_t size, void *user)
{
        (void)user;
        return fail_now() ? NULL : malloc(size);
}

static void *fa_calloc(size_t n, size_t size, void *user)
{
        (void)user;
        return fail_now() ? NULL : calloc(n, size);
}

static void *fa_realloc(void *p, size_t size, void *user)
{
        (void)user;
        return fail_now() ? NULL : realloc(p, size);
}

static void fa_free(void *p, void *user)
{
        (void)user;
        free(p);
}

__attribute__((constructor)) static void failalloc_install(void)
{
        static const hb_allocator_t a = {
                fa_malloc, fa_calloc, fa_realloc, fa_free, NULL,
        };

        if (hb_set_allocator(&a) < 0)
                abort();
}

/* ---- internal static code: -Wl,--wrap ------------------------------- */

#ifdef FAILALLOC_WRAP
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n)
{
        return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
        return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
        return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
        return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
        return fail_now() ? NULL : __real_strndup(s, n);
}
#endif
