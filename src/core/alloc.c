/* SPDX-License-Identifier: MIT */
/*
 * The allocator every allocation of libhbeat goes through (library.h,
 * hb_set_allocator()), and the library's version.
 *
 * The one piece of process-wide state in the library: set once by the
 * embedder (or a test) before objects exist, read on every allocation.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "hbeat/library.h"

static void *libc_malloc(size_t size, void *user)
{
        (void)user;
        return malloc(size);
}

static void *libc_calloc(size_t n, size_t size, void *user)
{
        (void)user;
        return calloc(n, size);
}

static void *libc_realloc(void *p, size_t size, void *user)
{
        (void)user;
        return realloc(p, size);
}

static void libc_free(void *p, void *user)
{
        (void)user;
        free(p);
}

static hb_allocator_t allocator = {
        libc_malloc, libc_calloc, libc_realloc, libc_free, NULL,
};

int hb_set_allocator(const hb_allocator_t *a)
{
        static const hb_allocator_t libc = {
                libc_malloc, libc_calloc, libc_realloc, libc_free, NULL,
        };

        if (!a) {
                allocator = libc;
                return 0;
        }
        if (!a->malloc || !a->calloc || !a->realloc || !a->free)
                return -EINVAL;
        allocator = *a;
        return 0;
}

void hb_get_allocator(hb_allocator_t *out)
{
        if (out)
                *out = allocator;
}

void *hb__malloc(size_t size)
{
        return allocator.malloc(size, allocator.user);
}

void *hb__calloc(size_t n, size_t size)
{
        return allocator.calloc(n, size, allocator.user);
}

void *hb__realloc(void *p, size_t size)
{
        return allocator.realloc(p, size, allocator.user);
}

void hb__free(void *p)
{
        allocator.free(p, allocator.user);
}

unsigned hb_version(void)
{
        return HB_VERSION_HEX;
}

const char *hb_version_string(void)
{
        return HB_VERSION_STRING;
}
