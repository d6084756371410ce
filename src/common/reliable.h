/* SPDX-License-Identifier: MIT */
/*
 * The reliable transport's decisions and framing, sans-I/O (hbeatd's
 * src/daemon/reliable.c does the sockets; docs/hierarchy.md "Reliable
 * transport"). Messages the node hints HB_OUTPUT_RELIABLE (node.h) go to
 * their destination over one TCP connection per destination address,
 * each message one frame of the event stream's protocol
 * (common/evstream.h: length prefix, then a
 * crypto_secretstream_xchacha20poly1305 message under a key derived from
 * the cluster key), its plaintext the frame type HBRL_FRAME_MESSAGE and
 * the hbeat message as encoded by the node (wire.h: authenticated end to
 * end already; the stream adds order and retransmission, not trust).
 *
 * One destination's link, hbrl_link_t:
 *
 *   idle --offer--> connecting --opened--> open
 *     ^                 |                    |
 *     |              failed               failed
 *     |                 v                    |
 *     +-- retry time -- backoff <------------+
 *
 * A message offered while the link is not open goes as a datagram
 * (HBRL_CONNECT: and a connection is started; HBRL_DOWN: one is under
 * way or the link waits out its backoff); while it is open, it is
 * written unless HBRL_QUEUE_MAX frames or HBRL_QUEUE_BYTES_MAX bytes are
 * already written and not yet taken by the kernel (HBRL_FULL: a slow or
 * silent peer, the datagram goes instead). Backoff doubles from
 * HBRL_BACKOFF_MIN_NS to HBRL_BACKOFF_MAX_NS after each failure and
 * starts over once a connection opens. No clock: every call takes `now`.
 */
#ifndef HBRL_RELIABLE_H
#define HBRL_RELIABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evstream.h"

/* Frame type of a message (the plaintext's first byte; evstream.h's
 * types are the event stream's, a connection carries one protocol). */
#define HBRL_FRAME_MESSAGE 0x20u
/* Longest message a frame carries, bytes (HB_OUTPUT_MAX_LEN). */
#define HBRL_MSG_MAX 512u
/* Frames written to one destination and not yet completed. */
#define HBRL_QUEUE_MAX 64u
/* ... and their bytes (ciphertext and length prefixes). */
#define HBRL_QUEUE_BYTES_MAX (64u * 1024u)
/* Reconnect backoff after a failure, ns: 100 ms, doubling, 10 s at most. */
#define HBRL_BACKOFF_MIN_NS (100u * 1000000ull)
#define HBRL_BACKOFF_MAX_NS (10000u * 1000000ull)

enum hbrl_state {
        HBRL_IDLE,               /* never connected */
        HBRL_CONNECTING,         /* connect and handshake under way */
        HBRL_OPEN,               /* frames can be written */
        HBRL_BACKOFF,            /* failed; no connection before retry */
};

/* What to do with an offered message (hbrl_offer()). */
enum hbrl_verdict {
        HBRL_SEND = 0,           /* write it as a frame (counted queued) */
        HBRL_CONNECT = 1,        /* send a datagram; start connecting */
        HBRL_DOWN = 2,           /* send a datagram: not connected */
        HBRL_FULL = 3,           /* send a datagram: the queue is full */
};

typedef struct hbrl_link {
        enum hbrl_state state;
        uint64_t retry_ns;       /* HBRL_BACKOFF: connect again from */
        uint64_t backoff_ns;     /* the next failure's wait */
        size_t queued;           /* frames written, not completed */
        size_t queued_bytes;     /* their bytes */
} hbrl_link_t;

/* A link in HBRL_IDLE. */
void hbrl_link_init(hbrl_link_t *l);

/* An offer of a message of `len` bytes whose frame takes `frame_len`
 * bytes on the wire (hbrl_frame_len()), at `now_ns`: see enum
 * hbrl_verdict. HBRL_CONNECT moves the link to HBRL_CONNECTING; HBRL_SEND
 * counts the frame queued until hbrl_written(). */
enum hbrl_verdict hbrl_offer(hbrl_link_t *l, size_t frame_len,
                             uint64_t now_ns);

/* A frame counted by hbrl_offer() left the queue (written or failed).
 * Also taking back a frame that could not be written at all. */
void hbrl_written(hbrl_link_t *l, size_t frame_len);

/* The connection opened (handshake done): backoff starts over. */
void hbrl_opened(hbrl_link_t *l);

/* The connection failed or closed at `now_ns`: HBRL_BACKOFF until
 * now + the backoff, which then doubles (bounded); the queue is gone. */
void hbrl_failed(hbrl_link_t *l, uint64_t now_ns);

/* Bytes on the wire of a frame carrying `len` bytes of message. */
static inline size_t hbrl_frame_len(size_t len)
{
        return 4u + 1u + len + HBES_OVERHEAD;
}

/* Append the frame carrying message `msg` (`len` bytes, 1 ..
 * HBRL_MSG_MAX) to `out` on open stream `es`. 0; -EMSGSIZE (empty or too
 * long: nothing appended); hbes_send()'s errors. */
int hbrl_frame(hbes_t *es, const uint8_t *msg, size_t len, hbes_buf_t *out);

/* The message a received frame carries (borrowed from `f`). 0; -EPROTO
 * (another frame type); -EMSGSIZE (empty or longer than HBRL_MSG_MAX). */
int hbrl_unframe(const hbes_frame_t *f, const uint8_t **msg, size_t *len);

#endif /* HBRL_RELIABLE_H */
