/* SPDX-License-Identifier: MIT */
/*
 * hbsim arena: an allocator for the cores of a large simulation.
 *
 * A full mesh of n nodes holds n x (n - 1) peers (about 1.4 KiB each with
 * the phi detector): 1.4 GB at 1,000 nodes, touched at random, one
 * heartbeat at a time. Through libc's malloc on 4 KiB pages nearly every
 * peer lookup and every step of a peer-deadline heap sift is a TLB miss
 * (perf: 65 % of a 1,000-node run in the core's hb__heap_sift_down). This
 * allocator, installed with hb_set_allocator() (library.h), carves the
 * core's allocations out of 64 MiB chunks advised MADV_HUGEPAGE, in
 * allocation order, so one node's peers lie together on 2 MiB pages. It
 * changes where the core's memory is, nothing of what the core does.
 *
 * Size classes (16-byte steps to 1 KiB, then four per power of two);
 * freed blocks go to their class's free list; blocks above 256 KiB go to
 * libc. Process-wide and not thread-safe (as hb_set_allocator()): for
 * the single-threaded `hbeat-sim run` and the scale tests. Internal.
 */
#ifndef HBSIM_ARENA_H
#define HBSIM_ARENA_H

#include <stddef.h>

/* Route libhbeat's allocations to the arena. Call before any hb_ object
 * exists; returns 0 or hb_set_allocator()'s error. */
int hbsim_arena_install(void);
/* Back to libc's allocator and release the chunks: every object
 * allocated while installed must be freed first. */
void hbsim_arena_uninstall(void);
/* Bytes of the chunks the arena mapped (large blocks not counted). */
size_t hbsim_arena_bytes(void);

#endif /* HBSIM_ARENA_H */
