/* SPDX-License-Identifier: MIT */
/*
 * Internal allocation wrappers of libhbeat: every allocation of the core
 * (and of libhbeat-uv) goes through hb__malloc()/hb__calloc()/
 * hb__realloc()/hb__free(), which call the allocator installed with
 * hb_set_allocator() (library.h). Tests install a failing allocator
 * through that public hook (tests/unit/failalloc.h) to check that every
 * constructor and every growing operation fails cleanly (the idea of
 * nghttp2's tests/failmalloc_test.c).
 */
#ifndef HB_CORE_ALLOC_H
#define HB_CORE_ALLOC_H

#include <stddef.h>

void *hb__malloc(size_t size);
void *hb__calloc(size_t n, size_t size);
void *hb__realloc(void *p, size_t size);
void hb__free(void *p);

/* Number of elements of an array (not a pointer). */
#define HB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* HB_CORE_ALLOC_H */
