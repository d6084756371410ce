/* SPDX-License-Identifier: MIT */
/*
 * DOC: disk_link — heartbeats through a shared disk (disk_link.h).
 *
 * As Pacemaker's SBD does with its slots (sbd(8)), every node writes its
 * own slot and reads all of them; unlike SBD the slot holds the node's
 * authenticated heartbeat message, so the receiving core checks it as any
 * datagram (key, replay: a slot that did not change is not fed again, and
 * one that was rewritten with old bytes is a replay the core drops).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "io/disk_link.h"
#include "io/mem.h"

/* A request running for more than this many intervals counts as stuck. */
#define STUCK_INTERVALS 4u

struct hb__disk {
        uv_loop_t *loop;
        uv_file fd;
        bool direct;
        bool closing;
        uint32_t slot_size, n_slots, own_slot;
        uint64_t interval_ms;
        hb__disk_recv_cb recv;
        void *user;

        uv_timer_t timer;
        bool timer_open;

        uv_fs_t rreq;                  /* the read of all slots */
        bool reading;
        uint64_t read_start_ms;
        uint8_t *rbuf;                 /* n_slots * slot_size, aligned */
        uint8_t *prev;                 /* last bytes seen, per slot */

        uv_fs_t wreq;                  /* the write of our slot */
        bool writing;
        uint64_t write_start_ms;
        uint8_t *wbuf;                 /* slot_size, aligned */
        uint8_t next[4096];            /* the latest message, with header */
        size_t next_len;               /* 0: nothing new to write */
        bool primed;                   /* the first read was taken */
        bool stuck_counted_r, stuck_counted_w;
        uint64_t errors;
};

static void *aligned(size_t align, size_t size)
{
        void *p = NULL;

        if (posix_memalign(&p, align, size) != 0)
                return NULL;
        memset(p, 0, size);
        return p;
}

static void maybe_free(hb__disk_t *d)
{
        if (!d->closing || d->reading || d->writing || d->timer_open)
                return;
        if (d->fd >= 0) {
                uv_fs_t req;

                (void)uv_fs_close(NULL, &req, d->fd, NULL);
                uv_fs_req_cleanup(&req);
        }
        free(d->rbuf);
        free(d->wbuf);
        hb__io_free(d->prev);
        hb__io_free(d);
}

static void start_write(hb__disk_t *d);

static void on_write(uv_fs_t *req)
{
        hb__disk_t *d = req->data;

        if (req->result < 0 || (size_t)req->result != d->slot_size)
                d->errors++;
        uv_fs_req_cleanup(req);
        d->writing = false;
        if (d->closing) {
                maybe_free(d);
                return;
        }
        start_write(d);
}

static void start_write(hb__disk_t *d)
{
        uv_buf_t b;

        if (d->writing || d->next_len == 0 || d->closing)
                return;
        memset(d->wbuf, 0, d->slot_size);
        memcpy(d->wbuf, d->next, d->next_len);
        d->next_len = 0;
        b = uv_buf_init((char *)d->wbuf, d->slot_size);
        d->wreq.data = d;
        if (uv_fs_write(d->loop, &d->wreq, d->fd, &b, 1,
                        (int64_t)d->own_slot * d->slot_size,
                        on_write) < 0) {
                d->errors++;
                return;
        }
        d->writing = true;
        d->stuck_counted_w = false;
        d->write_start_ms = uv_now(d->loop);
}

int hb__disk_write(hb__disk_t *d, const uint8_t *buf, size_t len)
{
        if (!d || d->closing)
                return -EINVAL;
        if (len == 0 || len > d->slot_size - HB__DISK_HDR_LEN)
                return -EMSGSIZE;
        memset(d->next, 0, HB__DISK_HDR_LEN);
        memcpy(d->next, HB__DISK_MAGIC, 4);
        d->next[4] = (uint8_t)(len >> 8);
        d->next[5] = (uint8_t)len;
        memcpy(d->next + HB__DISK_HDR_LEN, buf, len);
        d->next_len = HB__DISK_HDR_LEN + len;
        start_write(d);
        return 0;
}

/* Feed every other slot whose bytes changed since the last read. The
 * first read only records the slots: what they hold was written before
 * we started, perhaps by a node long stopped, and one stale heartbeat
 * must not make it look alive; a live node's slot changes within an
 * interval. */
static void on_read(uv_fs_t *req)
{
        hb__disk_t *d = req->data;
        size_t want = (size_t)d->n_slots * d->slot_size;
        ssize_t got = req->result;

        uv_fs_req_cleanup(req);
        d->reading = false;
        if (d->closing) {
                maybe_free(d);
                return;
        }
        if (got < 0) {
                d->errors++;
                return;
        }
        if ((size_t)got < want)        /* a short file: the rest is 0 */
                memset(d->rbuf + got, 0, want - (size_t)got);
        if (!d->primed) {
                memcpy(d->prev, d->rbuf, want);
                d->primed = true;
                return;
        }
        for (uint32_t s = 0; s < d->n_slots; s++) {
                const uint8_t *p = d->rbuf + (size_t)s * d->slot_size;
                uint8_t *old = d->prev + (size_t)s * d->slot_size;
                size_t len;

                if (s == d->own_slot ||
                    memcmp(p, old, d->slot_size) == 0)
                        continue;
                memcpy(old, p, d->slot_size);
                if (memcmp(p, HB__DISK_MAGIC, 4) != 0)
                        continue;
                len = (size_t)p[4] << 8 | p[5];
                if (len == 0 || len > d->slot_size - HB__DISK_HDR_LEN)
                        continue;
                d->recv(d->user, p + HB__DISK_HDR_LEN, len);
                if (d->closing)
                        return;
        }
}

static void on_timer(uv_timer_t *t)
{
        hb__disk_t *d = t->data;
        uint64_t now = uv_now(d->loop);
        uint64_t stuck = STUCK_INTERVALS * d->interval_ms;
        uv_buf_t b;

        if (d->writing && !d->stuck_counted_w &&
            now - d->write_start_ms > stuck) {
                d->stuck_counted_w = true;
                d->errors++;
        }
        if (d->reading) {
                if (!d->stuck_counted_r && now - d->read_start_ms > stuck) {
                        d->stuck_counted_r = true;
                        d->errors++;
                }
                return;
        }
        b = uv_buf_init((char *)d->rbuf, d->n_slots * d->slot_size);
        d->rreq.data = d;
        if (uv_fs_read(d->loop, &d->rreq, d->fd, &b, 1, 0, on_read) < 0) {
                d->errors++;
                return;
        }
        d->reading = true;
        d->stuck_counted_r = false;
        d->read_start_ms = now;
}

int hb__disk_open(hb__disk_t **ret, uv_loop_t *loop, const char *path,
                  uint32_t slot_size, uint32_t n_slots, uint32_t own_slot,
                  uint64_t interval_ms, hb__disk_recv_cb recv, void *user)
{
        hb__disk_t *d;
        uv_fs_t req;
        int fd;

        if (!ret || !loop || !path || !recv || interval_ms == 0 ||
            (slot_size != 512 && slot_size != 4096) || n_slots == 0 ||
            n_slots > HB__DISK_SLOTS_MAX || own_slot >= n_slots)
                return -EINVAL;
        d = hb__io_calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->loop = loop;
        d->fd = -1;
        d->slot_size = slot_size;
        d->n_slots = n_slots;
        d->own_slot = own_slot;
        d->interval_ms = interval_ms;
        d->recv = recv;
        d->user = user;
        d->rbuf = aligned(slot_size, (size_t)n_slots * slot_size);
        d->wbuf = aligned(slot_size, slot_size);
        d->prev = hb__io_calloc(n_slots, slot_size);
        if (!d->rbuf || !d->wbuf || !d->prev) {
                d->closing = true;
                maybe_free(d);
                return -ENOMEM;
        }
        /* Synchronous: once, at start. */
        fd = uv_fs_open(NULL, &req, path, O_RDWR | O_DIRECT | O_DSYNC, 0,
                        NULL);
        uv_fs_req_cleanup(&req);
        d->direct = fd >= 0;
        if (fd == UV_EINVAL) {         /* tmpfs and others: no O_DIRECT */
                fd = uv_fs_open(NULL, &req, path, O_RDWR | O_DSYNC, 0, NULL);
                uv_fs_req_cleanup(&req);
        }
        if (fd < 0) {
                d->closing = true;
                maybe_free(d);
                return fd;
        }
        d->fd = fd;
        (void)uv_timer_init(loop, &d->timer);
        d->timer.data = d;
        d->timer_open = true;
        (void)uv_timer_start(&d->timer, on_timer, 0, interval_ms);
        *ret = d;
        return 0;
}

bool hb__disk_direct(const hb__disk_t *d)
{
        return d && d->direct;
}

uint64_t hb__disk_errors(const hb__disk_t *d)
{
        return d ? d->errors : 0;
}

static void on_timer_closed(uv_handle_t *h)
{
        hb__disk_t *d = h->data;

        d->timer_open = false;
        maybe_free(d);
}

void hb__disk_close(hb__disk_t *d)
{
        if (!d || d->closing)
                return;
        d->closing = true;
        d->next_len = 0;
        uv_close((uv_handle_t *)&d->timer, on_timer_closed);
}
