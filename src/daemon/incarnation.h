/* SPDX-License-Identifier: MIT */
/*
 * This run's incarnation, persisted and monotonic (incarnation.c).
 */
#ifndef HBD_INCARNATION_H
#define HBD_INCARNATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What hbd_incarnation_next() found and chose. */
typedef struct hbd_incarnation {
        uint64_t incarnation;          /* this run's, µs-like */
        uint64_t wall_us;              /* the wall clock it was given */
        bool had_last;                 /* the file held one */
        uint64_t last;                 /* ...this one */
} hbd_incarnation_t;

/*
 * The rule alone: the wall clock (µs since the epoch), or last + 1 when
 * the clock is not ahead of the last incarnation used.
 * Returns 0, or -EOVERFLOW when last is UINT64_MAX.
 */
int hbd_incarnation_choose(uint64_t wall_us, bool have_last, uint64_t last,
                           uint64_t *out);

/*
 * Read node.incarnation_file at `path` (missing: first start), choose
 * this run's incarnation and write it durably (fsync; the directory is
 * created when missing) before returning.
 * Returns 0 with *out filled, or a negative errno with a message naming
 * the file and the way out in `err`: -EINVAL (damaged file), -EOVERFLOW,
 * or the read/write error.
 */
int hbd_incarnation_next(const char *path, uint64_t wall_us,
                         hbd_incarnation_t *out, char *err, size_t errlen);

#endif /* HBD_INCARNATION_H */
