/* SPDX-License-Identifier: MIT */
/*
 * Internal allocation wrappers of libhbeat.
 *
 * Every allocation of the core goes through hb__malloc()/hb__calloc()/
 * hb__realloc() so that tests can make the Nth allocation fail and check
 * that every constructor and every growing operation fails cleanly (the
 * idea of nghttp2's tests/failmalloc_test.c). The fail counter is process
 * wide and meant for single-threaded tests only.
 */
#ifndef HB_CORE_ALLOC_H
#define HB_CORE_ALLOC_H

#include <stddef.h>

void *hb__malloc(size_t size);
void *hb__calloc(size_t n, size_t size);
void *hb__realloc(void *p, size_t size);
void hb__free(void *p);

/*
 * Tests only: make the allocation after `n` more successful ones fail
 * (n = 0: the very next one); a negative n disables failure injection.
 * Declared in the test-support header tests/unit/failalloc.h too.
 */
void hb__alloc_fail_after(long n);

#endif /* HB_CORE_ALLOC_H */
