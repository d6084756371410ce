/* SPDX-License-Identifier: MIT */
/*
 * The event stream's protocol (docs/event-stream.md), sans-I/O: shared by
 * hbeatd's stream module (src/daemon/stream.c) and `hbeatctl subscribe`
 * (src/cli/cmd_subscribe.c). It takes received bytes and gives back the
 * bytes to send and the frames received; it never touches a socket or a
 * clock, so the unit tests drive both ends in memory
 * (tests/unit/test_evstream.c).
 *
 * Handshake over a pre-shared 32-byte key K (libsodium only):
 *
 *   client -> server  HELLO   "HBES" 1 0 0 0, client nonce Nc (32)
 *   server -> client  HELLO   "HBES" 1 0 0 0, server nonce Ns (32)
 *   client -> server  PROOF   BLAKE2b-256_K("hbeat-events-v1 client
 *                             proof" Nc Ns), secretstream header c->s
 *   server -> client  PROOF   BLAKE2b-256_K("... server proof" Nc Ns),
 *                             secretstream header s->c
 *
 * The client proves the key first, so that a server always learns (and
 * logs) a wrong key; each side checks the other's proof with
 * crypto_verify_32() over its own fresh nonce, so a recorded handshake
 * cannot be replayed. Each direction then is a
 * crypto_secretstream_xchacha20poly1305 stream under its own key
 * (BLAKE2b-256_K of a label and both nonces): frames are encrypted,
 * authenticated, in order, and neither dropped, repeated nor reordered
 * without detection.
 *
 * Frame on the wire: length L (4 bytes, big-endian: the ciphertext's) then
 * L bytes of ciphertext, the length being the secretstream message's
 * additional data. Its plaintext: type (1 byte) and a body (hbes_type).
 * Integers are big-endian.
 */
#ifndef HBES_EVSTREAM_H
#define HBES_EVSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "hbeat/wire.h"

#define HBES_KEY_LEN 32u
#define HBES_NONCE_LEN 32u
/* "HBES", version, 3 reserved zero bytes, nonce. */
#define HBES_HELLO_LEN (8u + HBES_NONCE_LEN)
/* Proof, then the secretstream header. */
#define HBES_PROOF_LEN \
        (32u + crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define HBES_VERSION 1u
/* Largest plaintext frame (type and body), bytes. */
#define HBES_FRAME_MAX 65536u
/* Ciphertext overhead of a frame. */
#define HBES_OVERHEAD crypto_secretstream_xchacha20poly1305_ABYTES

/* Frame types (the first plaintext byte). */
enum hbes_type {
        /* client -> server */
        HBES_SUBSCRIBE = 0x01,  /* mode u8, id (inc u64, seq u64) */
        HBES_ACK = 0x02,        /* id: every event up to it was handled */
        HBES_PONG = 0x03,       /* empty: the answer to a PING */
        /* server -> client */
        HBES_WELCOME = 0x81,    /* inc u64, first u64, next u64, window
                                   u32, ping_ms u32, node name (rest) */
        HBES_EVENT = 0x82,      /* id, JSON object (rest) */
        HBES_GAP = 0x83,        /* reason u8, asked id, resume id */
        HBES_PING = 0x84,       /* empty */
        HBES_ERROR = 0x85,      /* code u8, text (rest); then close */
};

/* HBES_SUBSCRIBE modes. */
enum hbes_mode {
        HBES_FROM_ID = 0,       /* the events after the id given */
        HBES_FROM_OLDEST = 1,   /* every event the server still holds */
        HBES_FROM_NOW = 2,      /* only the events still to come */
};

/* HBES_GAP reasons: events the subscriber asked for are lost. */
enum hbes_gap {
        HBES_GAP_EXPIRED = 1,   /* older than the server's log */
        HBES_GAP_RESTARTED = 2, /* of an earlier run of hbeatd */
};

/* HBES_ERROR codes. */
enum hbes_error {
        HBES_ERR_PROTOCOL = 1,  /* a frame out of place or malformed */
        HBES_ERR_UNKNOWN_ID = 2, /* an id the server never gave */
        HBES_ERR_TIMEOUT = 3,   /* silent, or no ack, for too long */
        HBES_ERR_SHUTDOWN = 4,  /* hbeatd stops */
};

/* An event id: the run of hbeatd (its incarnation) and the event's
 * number in that run (1, 2, ...). Ordered as (inc, seq). */
typedef struct hbes_id {
        uint64_t inc, seq;
} hbes_id_t;

/* A growable byte buffer (data malloc()ed, owned). */
typedef struct hbes_buf {
        uint8_t *data;
        size_t len, cap;
} hbes_buf_t;

/* Room for n more bytes. 0 or -ENOMEM. */
int hbes_buf_reserve(hbes_buf_t *b, size_t n);
/* Append n bytes. 0 or -ENOMEM (nothing appended). */
int hbes_buf_put(hbes_buf_t *b, const void *p, size_t n);
/* Drop the first n bytes (n <= len). */
void hbes_buf_consume(hbes_buf_t *b, size_t n);
/* Free the data (wiped first). */
void hbes_buf_free(hbes_buf_t *b);

enum hbes_phase {
        HBES_WAIT_HELLO,        /* either side: the peer's HELLO */
        HBES_WAIT_PROOF,        /* either side: the peer's PROOF */
        HBES_OPEN,              /* frames both ways */
        HBES_FAILED,            /* an error was returned: drop it */
};

/* One end of a connection. Private; on the caller's memory. */
typedef struct hbes {
        bool server;
        enum hbes_phase phase;
        uint8_t key[HBES_KEY_LEN];
        uint8_t nonce_c[HBES_NONCE_LEN], nonce_s[HBES_NONCE_LEN];
        crypto_secretstream_xchacha20poly1305_state tx, rx;
        uint8_t tx_key[32], rx_key[32];
        hbes_buf_t in;          /* received, not yet parsed */
        uint8_t *plain;         /* the last frame's plaintext */
        size_t plain_cap;
} hbes_t;

/* A frame received: body borrowed from the hbes_t until its next call. */
typedef struct hbes_frame {
        uint8_t type;
        const uint8_t *body;
        size_t len;
} hbes_frame_t;

/*
 * Set up one end with the key and a fresh random nonce (the caller draws
 * it: randombytes_buf()). The client's HELLO, and the server's once it
 * has the client's, are appended to `out` by hbes_start()/hbes_next().
 */
void hbes_init(hbes_t *s, bool server, const uint8_t key[HBES_KEY_LEN],
               const uint8_t nonce[HBES_NONCE_LEN]);

/* The client's first bytes (its HELLO) into `out`; nothing for a server.
 * 0 or -ENOMEM. */
int hbes_start(hbes_t *s, hbes_buf_t *out);

/* Bytes received, at most HBES_FRAME_MAX at a time, each feed followed
 * by hbes_next() until HBES_NEED. 0; -EMSGSIZE when more than two
 * largest frames would wait unparsed (a caller that does not parse);
 * -ENOMEM. */
int hbes_feed(hbes_t *s, const void *data, size_t len);

/* hbes_next() results besides errors. */
#define HBES_NEED 0             /* more bytes needed */
#define HBES_GOT_FRAME 1        /* *f holds a frame */
#define HBES_GOT_OPEN 2         /* the handshake just completed */

/*
 * Parse what was fed: handshake steps append their answer to `out`.
 * Returns HBES_NEED, HBES_GOT_OPEN, HBES_GOT_FRAME (call again: more may
 * follow), or an error, after which the connection must be closed:
 * -EPROTO (not this protocol or version), -EACCES (the peer's proof is
 * wrong: another key), -EBADMSG (a frame that does not decrypt: damaged,
 * forged, replayed or reordered), -EMSGSIZE (a length out of range),
 * -ENOMEM.
 */
int hbes_next(hbes_t *s, hbes_buf_t *out, hbes_frame_t *f);

/* Encrypt one frame (type and `len` bytes of body, len <
 * HBES_FRAME_MAX) into `out`. 0, -EINVAL (not open, too long), -ENOMEM. */
int hbes_send(hbes_t *s, uint8_t type, const void *body, size_t len,
              hbes_buf_t *out);

/* Wipe the keys and free the buffers (the hbes_t may be freed next). */
void hbes_wipe(hbes_t *s);

/*
 * A connection's pre-shared key derived from the cluster's primary key
 * (the ring's primary when `ring` has keys, else `key`): BLAKE2b-256
 * keyed with it of `label` (a NUL-terminated string naming the use, such
 * as "hbeat-gossip-push-pull-v1"), so that each TCP protocol's key is
 * neither another's nor the datagrams'. Used by gossip push-pull
 * (src/daemon/gossip.c) and the reliable transport
 * (src/daemon/reliable.c).
 */
void hbes_cluster_psk(const hb_key_t *key, const hb_keyring_t *ring,
                      const char *label, uint8_t out[HBES_KEY_LEN]);

/* A short text for the errors of hbes_next() ("wrong key", ...). */
const char *hbes_strerror(int err);

/* Big-endian helpers for the bodies. */
static inline void hbes_put_u32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static inline uint32_t hbes_get_u32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void hbes_put_u64(uint8_t *p, uint64_t v)
{
        hbes_put_u32(p, (uint32_t)(v >> 32));
        hbes_put_u32(p + 4, (uint32_t)v);
}

static inline uint64_t hbes_get_u64(const uint8_t *p)
{
        return (uint64_t)hbes_get_u32(p) << 32 | hbes_get_u32(p + 4);
}

/* a < b in stream order. */
static inline bool hbes_id_less(hbes_id_t a, hbes_id_t b)
{
        return a.inc < b.inc || (a.inc == b.inc && a.seq < b.seq);
}

#endif /* HBES_EVSTREAM_H */
