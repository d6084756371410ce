/* SPDX-License-Identifier: MIT */
/*
 * DOC: serial_link — heartbeats over a point-to-point tty
 * (serial_link.h).
 *
 * A tty is a byte stream: each message goes in a frame with a magic and a
 * length so that the reader finds message boundaries again after noise
 * or a frame cut in half (a node restarted mid-write). The frame carries
 * no checksum: the message is authenticated (a MAC or AEAD tag), so a
 * corrupt frame fails in the core like a corrupt datagram; a corrupt
 * length is caught by the bound or, at worst, swallows the next frame or
 * two before the reader resynchronises on the magic.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "io/mem.h"
#include "io/serial_link.h"

size_t hb__serial_frame(uint8_t *out, const uint8_t *msg, size_t len)
{
        if (len == 0 || len > HB_WIRE_MAX_LEN)
                return 0;
        memcpy(out, HB__SERIAL_MAGIC, 4);
        out[4] = (uint8_t)(len >> 8);
        out[5] = (uint8_t)len;
        memcpy(out + HB__SERIAL_HDR_LEN, msg, len);
        return HB__SERIAL_HDR_LEN + len;
}

/* Drop `n` bytes from the front of the buffer. */
static void rx_skip(hb__serial_rx_t *rx, size_t n)
{
        memmove(rx->buf, rx->buf + n, rx->len - n);
        rx->len -= n;
}

/* Whether the buffer, from offset `at`, could be the start of a frame
 * (the bytes there match the magic as far as they go). */
static bool magic_at(const hb__serial_rx_t *rx, size_t at)
{
        size_t n = rx->len - at < 4 ? rx->len - at : 4;

        return memcmp(rx->buf + at, HB__SERIAL_MAGIC, n) == 0;
}

/* Hand out every complete frame in the buffer; drop garbage before the
 * next possible magic. */
static void rx_frames(hb__serial_rx_t *rx, hb__serial_recv_cb recv,
                      void *user)
{
        size_t at, n;

        while (rx->len > 0) {
                if (!magic_at(rx, 0)) {
                        for (at = 1; at < rx->len && !magic_at(rx, at); at++)
                                ;
                        rx->garbage_bytes += at;
                        rx_skip(rx, at);
                        continue;
                }
                if (rx->len < HB__SERIAL_HDR_LEN)
                        return;
                n = (size_t)rx->buf[4] << 8 | rx->buf[5];
                if (n == 0 || n > HB_WIRE_MAX_LEN) {
                        /* Not a frame: look for the next magic. */
                        rx->garbage_bytes++;
                        rx_skip(rx, 1);
                        continue;
                }
                if (rx->len < HB__SERIAL_HDR_LEN + n)
                        return;
                rx->frames++;
                recv(user, rx->buf + HB__SERIAL_HDR_LEN, n);
                rx_skip(rx, HB__SERIAL_HDR_LEN + n);
        }
}

void hb__serial_rx_feed(hb__serial_rx_t *rx, const uint8_t *buf, size_t len,
                        hb__serial_recv_cb recv, void *user)
{
        /* After rx_frames() the buffer holds less than one whole frame,
         * so there is always room for at least one more byte. */
        while (len > 0) {
                size_t room = sizeof(rx->buf) - rx->len;
                size_t n = len < room ? len : room;

                memcpy(rx->buf + rx->len, buf, n);
                rx->len += n;
                buf += n;
                len -= n;
                rx_frames(rx, recv, user);
        }
}

static const struct {
        uint32_t baud;
        speed_t speed;
} rates[] = {
        { 9600, B9600 },       { 19200, B19200 },     { 38400, B38400 },
        { 57600, B57600 },     { 115200, B115200 },   { 230400, B230400 },
        { 460800, B460800 },   { 921600, B921600 },   { 1000000, B1000000 },
        { 1500000, B1500000 }, { 2000000, B2000000 }, { 3000000, B3000000 },
        { 4000000, B4000000 },
};

static int speed_of(uint32_t baud, speed_t *out)
{
        for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
                if (rates[i].baud == baud) {
                        *out = rates[i].speed;
                        return 0;
                }
        return -EINVAL;
}

bool hb__serial_baud_ok(uint32_t baud)
{
        speed_t s;

        return speed_of(baud, &s) == 0;
}

/* ---- I/O ------------------------------------------------------------ */

struct hb__serial {
        uv_poll_t poll;
        int fd;
        bool closing;
        hb__serial_recv_cb recv;
        void *user;
        hb__serial_rx_t rx;
        uint8_t tx[HB__SERIAL_FRAME_MAX];   /* unfinished frame's tail */
        size_t tx_off, tx_len;
        uint64_t dropped, errors;
};

static void on_poll(uv_poll_t *h, int status, int events);

static void watch(hb__serial_t *s)
{
        int ev = UV_READABLE;

        if (s->tx_off < s->tx_len)
                ev |= UV_WRITABLE;
        (void)uv_poll_start(&s->poll, ev, on_poll);
}

/* Write the unfinished frame's tail; 0, -EAGAIN (some left) or -errno. */
static int tx_more(hb__serial_t *s)
{
        while (s->tx_off < s->tx_len) {
                ssize_t w = write(s->fd, s->tx + s->tx_off,
                                  s->tx_len - s->tx_off);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return -EAGAIN;
                if (w < 0) {
                        int e = -errno;

                        s->errors++;
                        s->tx_off = s->tx_len = 0;
                        return e;
                }
                s->tx_off += (size_t)w;
        }
        s->tx_off = s->tx_len = 0;
        return 0;
}

int hb__serial_write(hb__serial_t *s, const uint8_t *buf, size_t len)
{
        int r;

        if (s == NULL || s->closing)
                return -EINVAL;
        if (len == 0 || len > HB_WIRE_MAX_LEN)
                return -EMSGSIZE;
        if (s->tx_off < s->tx_len) {
                /* The last frame is not out yet: the tty is full. */
                s->dropped++;
                return -EAGAIN;
        }
        s->tx_len = hb__serial_frame(s->tx, buf, len);
        s->tx_off = 0;
        r = tx_more(s);
        if (r == -EAGAIN && s->tx_off == 0) {
                /* Nothing of it went out: drop it whole. */
                s->tx_len = 0;
                s->dropped++;
                return -EAGAIN;
        }
        if (r == -EAGAIN) {
                watch(s);       /* the rest when writable */
                return 0;
        }
        return r;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
        hb__serial_t *s = h->data;
        uint8_t buf[512];
        ssize_t n;

        if (s->closing)
                return;
        if (status < 0) {
                s->errors++;
                return;
        }
        if (events & UV_WRITABLE) {
                (void)tx_more(s);
                watch(s);
        }
        if (!(events & UV_READABLE))
                return;
        for (;;) {
                n = read(s->fd, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n <= 0) {
                        /* Hang-up or I/O error: stop reading (else the
                         * poll would report it forever); the link goes
                         * down in the core. */
                        s->errors++;
                        (void)uv_poll_stop(&s->poll);
                        return;
                }
                hb__serial_rx_feed(&s->rx, buf, (size_t)n, s->recv,
                                   s->user);
                if (s->closing)
                        return;
        }
}

static int set_raw(int fd, uint32_t baud)
{
        struct termios t;
        speed_t sp;

        if (speed_of(baud, &sp) < 0)
                return -EINVAL;
        if (tcgetattr(fd, &t) != 0)
                return errno == ENOTTY ? -EINVAL : -errno;
        cfmakeraw(&t);
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cflag &= ~(tcflag_t)(CRTSCTS | CSTOPB);
        t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        if (cfsetispeed(&t, sp) != 0 || cfsetospeed(&t, sp) != 0)
                return -EINVAL;
        if (tcsetattr(fd, TCSANOW, &t) != 0)
                return -errno;
        return 0;
}

int hb__serial_open(hb__serial_t **ret, uv_loop_t *loop, const char *path,
                    uint32_t baud, hb__serial_recv_cb recv, void *user)
{
        hb__serial_t *s;
        int fd, r;

        if (!ret || !loop || !path || !recv)
                return -EINVAL;
        if (baud == 0)
                baud = 115200;
        if (!hb__serial_baud_ok(baud))
                return -EINVAL;
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = set_raw(fd, baud);
        if (r == 0)
                (void)tcflush(fd, TCIOFLUSH);   /* stale bytes */
        s = r == 0 ? hb__io_calloc(1, sizeof(*s)) : NULL;
        if (r == 0 && s == NULL)
                r = -ENOMEM;
        if (r == 0) {
                r = uv_poll_init(loop, &s->poll, fd);
                if (r < 0)
                        hb__io_free(s);
        }
        if (r < 0) {
                (void)close(fd);
                return r;
        }
        s->fd = fd;
        s->recv = recv;
        s->user = user;
        s->poll.data = s;
        (void)uv_poll_start(&s->poll, UV_READABLE, on_poll);
        *ret = s;
        return 0;
}

uint64_t hb__serial_dropped(const hb__serial_t *s)
{
        return s ? s->dropped : 0;
}

uint64_t hb__serial_errors(const hb__serial_t *s)
{
        return s ? s->errors : 0;
}

uint64_t hb__serial_garbage(const hb__serial_t *s)
{
        return s ? s->rx.garbage_bytes : 0;
}

static void on_closed(uv_handle_t *h)
{
        hb__serial_t *s = h->data;

        (void)close(s->fd);
        hb__io_free(s);
}

void hb__serial_close(hb__serial_t *s)
{
        if (s == NULL || s->closing)
                return;
        s->closing = true;
        uv_close((uv_handle_t *)&s->poll, on_closed);
}
