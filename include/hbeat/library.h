/* SPDX-License-Identifier: MIT */
/**
 * @file library.h
 * @brief libhbeat as a library: symbol export, version, allocator.
 *
 * Included by every other public header. Three things an embedder needs
 * from any C library it depends on (libuv's uv.h and nghttp2's nghttp2.h
 * do the same):
 *
 * - HB_EXPORT marks the public API. libhbeat and libhbeat-uv are built
 *   with hidden symbol visibility, so nothing else is exported: internal
 *   functions (`hb__` prefix) cannot be linked against by mistake, and no
 *   data is exported at all.
 * - The version: the HB_VERSION_* macros give the headers' version,
 *   hb_version() and hb_version_string() the library's, so a caller can
 *   check at run time that it runs with the library it was built for.
 * - The allocator: every allocation of libhbeat and libhbeat-uv goes
 *   through hb_set_allocator()'s functions (libc's by default), so an
 *   embedder can route them into its own allocator, and tests can make
 *   any allocation fail (nghttp2's nghttp2_mem, libuv's
 *   uv_replace_allocator(); libuv's own allocations are libuv's).
 *
 * ABI rules (soname libhbeat.so.0): public structs only ever grow at the
 * end. Structs the caller passes in carry a leading `size` (set by their
 * hb_..._default() or hb_..._init() function), so the library knows which fields a
 * caller built against older headers has set; nested parts of them keep
 * `reserved` room whose zero means "default". Structs the library fills
 * (snapshots, counters) end with `reserved` room, so a newer library never
 * writes past an older caller's struct. Events carry a leading `size` set
 * by the library. Enum values never change.
 */
#ifndef HBEAT_LIBRARY_H
#define HBEAT_LIBRARY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a function of the public API (default visibility). */
#if defined(__GNUC__) || defined(__clang__)
#define HB_EXPORT __attribute__((visibility("default")))
#else
#define HB_EXPORT
#endif

#define HB_VERSION_MAJOR 0
#define HB_VERSION_MINOR 1
#define HB_VERSION_PATCH 0
#define HB_VERSION_STRING "0.1.0"
/** The headers' version as one number: (major << 16) | (minor << 8) |
 *  patch, comparable with hb_version(). */
#define HB_VERSION_HEX                                                        \
        ((HB_VERSION_MAJOR << 16) | (HB_VERSION_MINOR << 8) |                 \
         HB_VERSION_PATCH)

/** The library's version, encoded as HB_VERSION_HEX. A caller built
 *  against headers of another minor version should refuse to run on it
 *  while the major version is 0. */
HB_EXPORT unsigned hb_version(void);

/** The library's version as text, e.g. "0.1.0" (static storage). */
HB_EXPORT const char *hb_version_string(void);

/**
 * An allocator (hb_set_allocator()). `user` is passed to every function.
 * Contract of each function: the C library's (malloc(0) may return NULL
 * or a unique pointer; realloc(NULL, n) allocates; free(NULL) is a no-op);
 * a NULL return means "out of memory" and the library fails the call that
 * needed it with -ENOMEM, leaving its state unchanged.
 */
typedef struct hb_allocator {
        void *(*malloc)(size_t size, void *user);
        void *(*calloc)(size_t n, size_t size, void *user);
        void *(*realloc)(void *p, size_t size, void *user);
        void (*free)(void *p, void *user);
        void *user;
} hb_allocator_t;

/**
 * The allocator in force (libc's, or the last hb_set_allocator()'s).
 * libhbeat-uv allocates through it; so may an embedder's extensions.
 */
HB_EXPORT void hb_get_allocator(hb_allocator_t *out);

/**
 * Route every allocation of libhbeat (and libhbeat-uv) through `a`
 * (copied), or back to the C library's with NULL. Call it before any
 * object is created, or after every object allocated with the previous
 * allocator was freed: memory is always freed by the allocator in force at
 * the time, which must be the one that allocated it. Process-wide and not
 * thread-safe, like uv_replace_allocator().
 *
 * @return 0, or -EINVAL if one of the four functions is NULL.
 */
HB_EXPORT int hb_set_allocator(const hb_allocator_t *a);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_LIBRARY_H */
