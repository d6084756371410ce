/* SPDX-License-Identifier: MIT */
/*
 * Internal to libhbeat-uv: its allocations go through libhbeat's
 * allocator (hb_get_allocator(), library.h), like libhbeat's own, so an
 * embedder's hb_set_allocator() and the tests' failing allocator cover
 * both libraries. Allocations are rare here (setup, peer list growth),
 * so looking the allocator up each time costs nothing that matters.
 */
#ifndef HB_IO_MEM_H
#define HB_IO_MEM_H

#include <stddef.h>

#include "hbeat/library.h"

static inline void *hb__io_malloc(size_t size)
{
        hb_allocator_t a;

        hb_get_allocator(&a);
        return a.malloc(size, a.user);
}

static inline void *hb__io_calloc(size_t n, size_t size)
{
        hb_allocator_t a;

        hb_get_allocator(&a);
        return a.calloc(n, size, a.user);
}

static inline void *hb__io_realloc(void *p, size_t size)
{
        hb_allocator_t a;

        hb_get_allocator(&a);
        return a.realloc(p, size, a.user);
}

static inline void hb__io_free(void *p)
{
        hb_allocator_t a;

        hb_get_allocator(&a);
        a.free(p, a.user);
}

#endif /* HB_IO_MEM_H */
