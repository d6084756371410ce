/* SPDX-License-Identifier: MIT */
/*
 * Internal to libhbeat-uv (uv_node.c is its user). The disk link
 * (docs/links.md, "Disk link"): each node owns one slot of a shared block
 * device or file and writes its latest heartbeat there; it reads every
 * slot once per interval and hands each slot whose bytes changed to its
 * caller as a datagram received on the link.
 *
 * Slot layout (slot_size bytes, at offset slot * slot_size):
 *   0..3   magic "HBDK"
 *   4..5   message length, big endian (1 .. slot_size - 8)
 *   6..7   zero
 *   8..    the message, as the core produced it; the rest zero.
 *
 * I/O: the file is opened O_DIRECT | O_DSYNC (without O_DIRECT if the
 * file system refuses it, see hb__disk_direct()); reads and writes run in
 * libuv's threadpool (uv_fs_read / uv_fs_write), never on the loop, with
 * at most one read and one write in flight: a device that does not answer
 * only stops feeding heartbeats (the link goes down in the core), it never
 * blocks the loop. Buffers are aligned to slot_size (posix_memalign).
 *
 * Ownership: hb__disk_open() returns an object owned by the caller;
 * hb__disk_close() stops it and frees it once no request is in flight.
 */
#ifndef HB_IO_DISK_LINK_H
#define HB_IO_DISK_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define HB__DISK_MAGIC "HBDK"
#define HB__DISK_HDR_LEN 8u
#define HB__DISK_SLOTS_MAX 256u

typedef struct hb__disk hb__disk_t;

/* A changed slot's message (borrowed for the call). */
typedef void (*hb__disk_recv_cb)(void *user, const uint8_t *buf,
                                 size_t len);

/*
 * Open `path` and start reading every `interval_ms` (>= 1).
 * slot_size: 512 or 4096; n_slots: 1 .. HB__DISK_SLOTS_MAX; own_slot <
 * n_slots. Returns 0, -EINVAL, -ENOMEM or a negative libuv error from
 * open(2) (UV_ENOENT, UV_EACCES...).
 */
int hb__disk_open(hb__disk_t **ret, uv_loop_t *loop, const char *path,
                  uint32_t slot_size, uint32_t n_slots, uint32_t own_slot,
                  uint64_t interval_ms, hb__disk_recv_cb recv, void *user);

/* The message to write into our slot: written now if no write is in
 * flight, else when it finishes (only the latest is kept). Longer than
 * slot_size - 8: dropped, -EMSGSIZE. */
int hb__disk_write(hb__disk_t *d, const uint8_t *buf, size_t len);

/* Whether the file is open with O_DIRECT. */
bool hb__disk_direct(const hb__disk_t *d);

/* Requests finished with an error, and those taking more than 4
 * intervals (stuck) so far. */
uint64_t hb__disk_errors(const hb__disk_t *d);

void hb__disk_close(hb__disk_t *d);

#endif
