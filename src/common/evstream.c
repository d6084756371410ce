/* SPDX-License-Identifier: MIT */
/*
 * The event stream's protocol engine: see evstream.h and
 * docs/event-stream.md. No I/O, no clock: bytes in, bytes and frames out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/evstream.h"

#define MAGIC "HBES"
#define LABEL_CLIENT_PROOF "hbeat-events-v1 client proof"
#define LABEL_SERVER_PROOF "hbeat-events-v1 server proof"
#define LABEL_C2S "hbeat-events-v1 client to server"
#define LABEL_S2C "hbeat-events-v1 server to client"

int hbes_buf_reserve(hbes_buf_t *b, size_t n)
{
        if (b->cap - b->len < n) {
                size_t cap = b->cap != 0 ? b->cap : 256;
                uint8_t *d;

                while (cap - b->len < n)
                        cap *= 2;
                d = realloc(b->data, cap);
                if (d == NULL)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        return 0;
}

int hbes_buf_put(hbes_buf_t *b, const void *p, size_t n)
{
        int r = hbes_buf_reserve(b, n);

        if (r < 0)
                return r;
        if (n > 0)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

void hbes_buf_consume(hbes_buf_t *b, size_t n)
{
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
}

void hbes_buf_free(hbes_buf_t *b)
{
        if (b->data != NULL)
                sodium_memzero(b->data, b->cap);
        free(b->data);
        memset(b, 0, sizeof(*b));
}

void hbes_init(hbes_t *s, bool server, const uint8_t key[HBES_KEY_LEN],
               const uint8_t nonce[HBES_NONCE_LEN])
{
        memset(s, 0, sizeof(*s));
        s->server = server;
        s->phase = HBES_WAIT_HELLO;
        memcpy(s->key, key, HBES_KEY_LEN);
        memcpy(server ? s->nonce_s : s->nonce_c, nonce, HBES_NONCE_LEN);
}

/* BLAKE2b-256 keyed with K over `label` and both nonces. */
static void derive(const hbes_t *s, const char *label, uint8_t out[32])
{
        crypto_generichash_state st;

        crypto_generichash_init(&st, s->key, HBES_KEY_LEN, 32);
        crypto_generichash_update(&st, (const uint8_t *)label,
                                  strlen(label));
        crypto_generichash_update(&st, s->nonce_c, HBES_NONCE_LEN);
        crypto_generichash_update(&st, s->nonce_s, HBES_NONCE_LEN);
        crypto_generichash_final(&st, out, 32);
        sodium_memzero(&st, sizeof(st));
}

static int put_hello(const hbes_t *s, hbes_buf_t *out)
{
        uint8_t m[HBES_HELLO_LEN] = { 0 };

        memcpy(m, MAGIC, 4);
        m[4] = HBES_VERSION;
        memcpy(m + 8, s->server ? s->nonce_s : s->nonce_c, HBES_NONCE_LEN);
        return hbes_buf_put(out, m, sizeof(m));
}

/* Our proof and our stream's header into `out`; the keys derived. */
static int put_proof(hbes_t *s, hbes_buf_t *out)
{
        uint8_t m[HBES_PROOF_LEN];
        int r;

        derive(s, s->server ? LABEL_SERVER_PROOF : LABEL_CLIENT_PROOF, m);
        derive(s, s->server ? LABEL_S2C : LABEL_C2S, s->tx_key);
        derive(s, s->server ? LABEL_C2S : LABEL_S2C, s->rx_key);
        crypto_secretstream_xchacha20poly1305_init_push(&s->tx, m + 32,
                                                        s->tx_key);
        r = hbes_buf_put(out, m, sizeof(m));
        sodium_memzero(m, sizeof(m));
        return r;
}

int hbes_start(hbes_t *s, hbes_buf_t *out)
{
        return s->server ? 0 : put_hello(s, out);
}

static int fail(hbes_t *s, int err)
{
        s->phase = HBES_FAILED;
        return err;
}

int hbes_feed(hbes_t *s, const void *data, size_t len)
{
        /* What stays unparsed after hbes_next() is less than one frame;
         * a feed adds at most another frame's worth. */
        if (s->in.len + len > 2 * (4 + HBES_FRAME_MAX + HBES_OVERHEAD))
                return fail(s, -EMSGSIZE);
        return hbes_buf_put(&s->in, data, len);
}

static int on_hello(hbes_t *s, hbes_buf_t *out)
{
        const uint8_t *m = s->in.data;
        int r;

        if (memcmp(m, MAGIC, 4) != 0 || m[4] != HBES_VERSION || m[5] != 0 ||
            m[6] != 0 || m[7] != 0)
                return fail(s, -EPROTO);
        memcpy(s->server ? s->nonce_c : s->nonce_s, m + 8, HBES_NONCE_LEN);
        hbes_buf_consume(&s->in, HBES_HELLO_LEN);
        /* The server answers with its HELLO, the client with its proof. */
        r = s->server ? put_hello(s, out) : put_proof(s, out);
        if (r < 0)
                return fail(s, r);
        s->phase = HBES_WAIT_PROOF;
        return HBES_NEED;
}

static int on_proof(hbes_t *s, hbes_buf_t *out)
{
        uint8_t want[32];
        int ok, r;

        derive(s, s->server ? LABEL_CLIENT_PROOF : LABEL_SERVER_PROOF, want);
        ok = crypto_verify_32(want, s->in.data) == 0;
        sodium_memzero(want, sizeof(want));
        if (!ok)
                return fail(s, -EACCES);
        if (s->server) {
                r = put_proof(s, out);
                if (r < 0)
                        return fail(s, r);
        }
        if (crypto_secretstream_xchacha20poly1305_init_pull(
                    &s->rx, s->in.data + 32, s->rx_key) != 0)
                return fail(s, -EBADMSG);
        hbes_buf_consume(&s->in, HBES_PROOF_LEN);
        s->phase = HBES_OPEN;
        return HBES_GOT_OPEN;
}

static int on_frame(hbes_t *s, hbes_frame_t *f)
{
        unsigned long long plen;
        unsigned char tag;
        uint32_t clen;

        if (s->in.len < 4)
                return HBES_NEED;
        clen = hbes_get_u32(s->in.data);
        if (clen < HBES_OVERHEAD + 1 || clen > HBES_FRAME_MAX + HBES_OVERHEAD)
                return fail(s, -EMSGSIZE);
        if (s->in.len < 4 + (size_t)clen)
                return HBES_NEED;
        if (s->plain_cap < clen) {
                uint8_t *p = realloc(s->plain, clen);

                if (p == NULL)
                        return fail(s, -ENOMEM);
                s->plain = p;
                s->plain_cap = clen;
        }
        if (crypto_secretstream_xchacha20poly1305_pull(
                    &s->rx, s->plain, &plen, &tag, s->in.data + 4, clen,
                    s->in.data, 4) != 0 ||
            tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE ||
            plen < 1)
                return fail(s, -EBADMSG);
        hbes_buf_consume(&s->in, 4 + (size_t)clen);
        f->type = s->plain[0];
        f->body = s->plain + 1;
        f->len = (size_t)plen - 1;
        return HBES_GOT_FRAME;
}

int hbes_next(hbes_t *s, hbes_buf_t *out, hbes_frame_t *f)
{
        switch (s->phase) {
        case HBES_WAIT_HELLO:
                if (s->in.len < HBES_HELLO_LEN)
                        return HBES_NEED;
                return on_hello(s, out);
        case HBES_WAIT_PROOF:
                if (s->in.len < HBES_PROOF_LEN)
                        return HBES_NEED;
                return on_proof(s, out);
        case HBES_OPEN:
                return on_frame(s, f);
        case HBES_FAILED:
        default:
                return -EPROTO;
        }
}

int hbes_send(hbes_t *s, uint8_t type, const void *body, size_t len,
              hbes_buf_t *out)
{
        uint8_t *m;
        size_t clen = 1 + len + HBES_OVERHEAD, at = out->len;
        int r;

        if (s->phase != HBES_OPEN || len >= HBES_FRAME_MAX)
                return -EINVAL;
        m = malloc(1 + len);
        if (m == NULL)
                return -ENOMEM;
        m[0] = type;
        if (len > 0)
                memcpy(m + 1, body, len);
        /* Room for the length and the ciphertext, then fill them in. */
        r = hbes_buf_reserve(out, 4 + clen);
        if (r < 0) {
                free(m);
                return r;
        }
        hbes_put_u32(out->data + at, (uint32_t)clen);
        crypto_secretstream_xchacha20poly1305_push(
                &s->tx, out->data + at + 4, NULL, m, 1 + len,
                out->data + at, 4,
                crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
        out->len = at + 4 + clen;
        sodium_memzero(m, 1 + len);
        free(m);
        return 0;
}

void hbes_wipe(hbes_t *s)
{
        hbes_buf_free(&s->in);
        if (s->plain != NULL)
                sodium_memzero(s->plain, s->plain_cap);
        free(s->plain);
        sodium_memzero(s, sizeof(*s));
}

void hbes_cluster_psk(const hb_key_t *key, const hb_keyring_t *ring,
                      const char *label, uint8_t out[HBES_KEY_LEN])
{
        const hb_key_t *k = key;
        int slot;

        if (ring != NULL && ring->n > 0) {
                slot = hb_keyring_find(ring, ring->primary);
                if (slot >= 0)
                        k = &ring->keys[slot];
        }
        crypto_generichash(out, HBES_KEY_LEN, (const uint8_t *)label,
                           strlen(label), k->bytes, sizeof(k->bytes));
}

const char *hbes_strerror(int err)
{
        switch (err) {
        case -EPROTO:
                return "not the event stream protocol (or another version)";
        case -EACCES:
                return "wrong key (the proof does not match)";
        case -EBADMSG:
                return "a frame does not decrypt (damaged or forged)";
        case -EMSGSIZE:
                return "frame length out of range";
        case -ENOMEM:
                return "out of memory";
        default:
                return "protocol error";
        }
}
