/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure injection for the unit tests (failmalloc, after
 * nghttp2's tests/failmalloc_test.c), one countdown for the two ways an
 * allocation can be reached:
 *
 * - libhbeat's (and libhbeat-uv's): through its public allocator hook,
 *   hb_set_allocator() (hbeat/library.h), installed before main() runs —
 *   exactly what an embedder would do, nothing private;
 * - the internal static libraries (config, tools), which call the C
 *   library: tests that exercise them are linked with -Wl,--wrap for
 *   malloc, calloc, realloc, strdup and strndup (meson.build) and built
 *   with FAILALLOC_WRAP, and failalloc.c defines the __wrap_ functions.
 *   Allocations made inside other shared libraries (libyaml, libc) are not
 *   counted.
 */
#ifndef HB_TEST_FAILALLOC_H
#define HB_TEST_FAILALLOC_H

#include <stdbool.h>

/* Make the allocation after `n` more successful ones fail, once (n = 0:
 * the very next one); a negative n stops failing. */
void failalloc_after(long n);

/* Whether the allocation chosen by the last failalloc_after(n >= 0)
 * happened (and failed); failalloc_after(-1) keeps the answer. */
bool failalloc_failed(void);

#endif /* HB_TEST_FAILALLOC_H */
