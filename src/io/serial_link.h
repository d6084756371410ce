/* SPDX-License-Identifier: MIT */
/*
 * Internal to libhbeat-uv (uv_node.c is its user). The serial link
 * (docs/links.md, "Serial link"): a point-to-point tty carries the
 * messages the core sends to all (heartbeats, leaves), each in a frame:
 *
 *   0..3   magic "HBSL" (0x48 0x42 0x53 0x4c)
 *   4..5   message length n, big endian, 1 .. HB_WIRE_MAX_LEN
 *   6..    the message, exactly as the core produced it (n bytes)
 *
 * The reader accumulates bytes and resynchronises on the magic after
 * garbage (line noise, a frame cut by a restart); a length of 0 or above
 * HB_WIRE_MAX_LEN is garbage too. The framing code (hb__serial_frame,
 * hb__serial_rx_feed) is pure: no I/O, unit tested on its own.
 *
 * I/O: the tty is opened O_RDWR | O_NOCTTY | O_NONBLOCK, set raw
 * (cfmakeraw), CLOCAL, CREAD, no flow control, at the given baud rate;
 * a uv_poll_t watches it. Writes never block the loop: a frame the tty
 * cannot take whole is finished when it becomes writable, and a frame
 * offered while one is unfinished is dropped (counted).
 *
 * Ownership: hb__serial_open() returns an object owned by the caller;
 * hb__serial_close() closes the tty and frees it once the poll handle is
 * closed.
 */
#ifndef HB_IO_SERIAL_LINK_H
#define HB_IO_SERIAL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "hbeat/wire.h"

#define HB__SERIAL_MAGIC "HBSL"
#define HB__SERIAL_HDR_LEN 6u
#define HB__SERIAL_FRAME_MAX (HB__SERIAL_HDR_LEN + HB_WIRE_MAX_LEN)

/* A complete message (borrowed for the call). */
typedef void (*hb__serial_recv_cb)(void *user, const uint8_t *buf,
                                   size_t len);

/* The deframer's state: bytes of a frame not yet complete. */
typedef struct hb__serial_rx {
        uint8_t buf[HB__SERIAL_FRAME_MAX];
        size_t len;
        uint64_t garbage_bytes;        /* skipped while resynchronising */
        uint64_t frames;               /* complete messages handed out */
} hb__serial_rx_t;

/* Frame `len` bytes of `msg` into `out` (room for HB__SERIAL_FRAME_MAX).
 * Returns the frame's length, or 0 if len is 0 or > HB_WIRE_MAX_LEN. */
size_t hb__serial_frame(uint8_t *out, const uint8_t *msg, size_t len);

/* Feed `len` received bytes; `recv` gets every complete message in
 * order. Pure: keeps its state in `rx` (zero it before first use). */
void hb__serial_rx_feed(hb__serial_rx_t *rx, const uint8_t *buf, size_t len,
                        hb__serial_recv_cb recv, void *user);

/* Whether `baud` is a rate the link supports (9600 .. 4000000, the
 * standard termios rates). */
bool hb__serial_baud_ok(uint32_t baud);

typedef struct hb__serial hb__serial_t;

/*
 * Open the tty at `path` at `baud` (0: 115200) and start reading.
 * Returns 0, -EINVAL (bad baud, not a tty), -ENOMEM or a negative errno
 * from open(2) / tcsetattr(3).
 */
int hb__serial_open(hb__serial_t **ret, uv_loop_t *loop, const char *path,
                    uint32_t baud, hb__serial_recv_cb recv, void *user);

/* Send one message as a frame, without blocking: 0 if written (or its
 * tail queued for when the tty is writable); -EAGAIN if dropped because
 * the tty's buffer is full or a frame is unfinished; -EMSGSIZE; another
 * negative errno on a write error. */
int hb__serial_write(hb__serial_t *s, const uint8_t *buf, size_t len);

/* Frames dropped (buffer full), write errors, garbage bytes so far. */
uint64_t hb__serial_dropped(const hb__serial_t *s);
uint64_t hb__serial_errors(const hb__serial_t *s);
uint64_t hb__serial_garbage(const hb__serial_t *s);

void hb__serial_close(hb__serial_t *s);

#endif
