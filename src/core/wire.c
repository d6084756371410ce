/* SPDX-License-Identifier: MIT */
/*
 * Wire format v2: encode, authenticate or encrypt, decode, verify;
 * cluster keys and key rings.
 *
 * What lives here: the codec for the datagrams hbeat nodes exchange
 * (heartbeat, leave, ack, vote request and response), the TLV walker, and the helpers for the cluster
 * pre-shared key (generate, base64 text, wipe). The format is specified
 * byte by byte in docs/wire-format.md and summarised in
 * include/hbeat/wire.h; this file implements exactly that contract.
 *
 * Who calls it: the node core (src/core/node.c) on every datagram sent or
 * received; hbeatctl keygen and the config loader for key text; the fuzz
 * target tests/fuzz/fuzz_wire.c. Everything here is pure: no I/O, no clock,
 * no allocation, no shared state (libsodium must be initialised first, see
 * hb_wire_init()).
 *
 * Rules kept on purpose:
 * - Integers are read and written with the explicit big-endian helpers
 *   below, never by casting a struct over the buffer: the receive buffer
 *   has no alignment guarantee and the compiler would add padding.
 * - Decoding never reads past `len`: every offset is checked against the
 *   datagram length before the bytes are touched.
 * - The validation order is the one documented for hb_wire_decode(); each
 *   step has its own error code so that receivers count drops per reason.
 *   Nothing from the message is trusted (nor copied out) before the tag
 *   has verified; the cluster id is compared first only because doing so
 *   is cheaper than a MAC and lets foreign traffic be counted apart.
 * - Every message names its key id; the receiver looks the key up in its
 *   ring (at most HB_KEYRING_MAX entries) and runs one MAC, never one per
 *   key. An unknown id is HB_EUNKEY, counted apart from forgeries.
 * - MAC mode: the tag is keyed BLAKE2b with a 16-byte output (RFC 7693),
 *   computed by libsodium's one-shot crypto_generichash() and compared in
 *   constant time with crypto_verify_16(). No copy of the message.
 * - AEAD mode: XChaCha20-Poly1305-IETF (libsodium), the outer header as
 *   additional data, the inner part encrypted into the caller's `plain`
 *   buffer on decode. The 24-byte nonce is the caller's (random; this
 *   file draws no randomness, the core stays deterministic).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/bytes.h"
#include "hbeat/wire.h"

/* Field offsets (docs/wire-format.md): the outer header from the start
 * of the message, the inner one from where it starts (OFF_INNER in MAC
 * mode, OFF_INNER + HB_WIRE_NONCE_LEN in AEAD mode). */
enum {
        OFF_MAGIC = 0,
        OFF_VERSION = 2,
        OFF_MODE = 3,
        OFF_KEY_ID = 4,
        OFF_RESERVED = 5,
        OFF_LENGTH = 6,
        OFF_CLUSTER = 8,
        OFF_INNER = 12,
        IN_TYPE = 0,
        IN_RESERVED = 1,
        IN_FLAGS = 2,
        IN_SENDER = 4,
        IN_INCARNATION = 8,
        IN_SEQ = 16,
        IN_SEND_TIME = 24,
        IN_BODY = 32,
};

_Static_assert(OFF_INNER == HB_WIRE_OUTER_LEN, "outer header layout");
_Static_assert(IN_BODY == HB_WIRE_INNER_LEN, "inner header layout");
_Static_assert(HB_WIRE_HEARTBEAT_LEN == 60, "heartbeat length");
_Static_assert(HB_WIRE_MAX_LEN <= UINT16_MAX, "length field is 16 bits");
_Static_assert(HB_WIRE_TAG_LEN == crypto_verify_16_BYTES, "tag length");
_Static_assert(HB_KEY_LEN == crypto_generichash_KEYBYTES, "key length");
_Static_assert(HB_WIRE_TAG_LEN >= crypto_generichash_BYTES_MIN &&
                       HB_WIRE_TAG_LEN <= crypto_generichash_BYTES_MAX,
               "tag length allowed by BLAKE2b");
_Static_assert(HB_WIRE_NONCE_LEN ==
                       crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
               "AEAD nonce length");
_Static_assert(HB_WIRE_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "AEAD tag length");
_Static_assert(HB_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
               "AEAD key length");
_Static_assert(HB_KEY_BASE64_LEN ==
                       sodium_base64_ENCODED_LEN(HB_KEY_LEN,
                                       sodium_base64_VARIANT_ORIGINAL),
               "base64 key length");
_Static_assert(HB_KEYRING_MAX <= 256, "key ids are one byte");

static bool type_known(uint8_t type)
{
        return (type >= HB_MSG_HEARTBEAT && type <= HB_MSG_GOSSIP) ||
               type == HB_MSG_REGION_SUMMARY ||
               type == HB_MSG_SUBSET_VERDICT;
}

static bool mode_known(uint8_t mode)
{
        return mode == HB_WIRE_MODE_MAC || mode == HB_WIRE_MODE_AEAD;
}

/* True if [p, p+n) is an exact sequence of whole TLVs (n == 0 included). */
static bool tlv_well_formed(const uint8_t *p, size_t n)
{
        while (n > 0) {
                if (n < HB_WIRE_TLV_HEADER_LEN)
                        return false;
                size_t vlen = hb__get_u16(p + 2);
                if (vlen > n - HB_WIRE_TLV_HEADER_LEN)
                        return false;
                p += HB_WIRE_TLV_HEADER_LEN + vlen;
                n -= HB_WIRE_TLV_HEADER_LEN + vlen;
        }
        return true;
}

/* tag = BLAKE2b-128(key, msg[0, n)). Cannot fail with these constant
 * sizes; the return value is checked anyway so that a libsodium change
 * shows up as a mismatch rather than an unauthenticated message. */
static int mac(uint8_t tag[HB_WIRE_TAG_LEN], const uint8_t *msg, size_t n,
               const hb_key_t *key)
{
        return crypto_generichash(tag, HB_WIRE_TAG_LEN, msg, n, key->bytes,
                                  HB_KEY_LEN);
}

/*
 * The AEAD key of a ring key: BLAKE2b-256 keyed with the ring key over a
 * fixed label, so one 32-byte secret never serves two primitives (the
 * MAC and the cipher) even if an operator moves a key file from one mode
 * to the other. A KDF in the sense of libsodium's crypto_kdf (which is
 * this same keyed BLAKE2b with a context).
 */
static int aead_key(uint8_t out[HB_KEY_LEN], const hb_key_t *key)
{
        static const uint8_t label[] = "hbeat wire v2 aead";

        return crypto_generichash(out, HB_KEY_LEN, label, sizeof(label) - 1,
                                  key->bytes, HB_KEY_LEN);
}

int hb_wire_init(void)
{
        /* sodium_init(): 0 = initialised now, 1 = already, -1 = failure. */
        return sodium_init() < 0 ? -EIO : 0;
}

int hb_keyring_find(const hb_keyring_t *ring, uint8_t id)
{
        if (ring == NULL)
                return -1;
        for (uint32_t i = 0; i < ring->n && i < HB_KEYRING_MAX; i++)
                if (ring->ids[i] == id)
                        return (int)i;
        return -1;
}

int hb_keyring_validate(const hb_keyring_t *ring)
{
        if (ring == NULL || ring->n < 1 || ring->n > HB_KEYRING_MAX)
                return -EINVAL;
        for (uint32_t i = 0; i < ring->n; i++) {
                if (!mode_known(ring->modes[i]))
                        return -EINVAL;
                for (uint32_t j = 0; j < i; j++)
                        if (ring->ids[j] == ring->ids[i])
                                return -EINVAL;
        }
        return hb_keyring_find(ring, ring->primary) < 0 ? -EINVAL : 0;
}

int hb_keyring_add(hb_keyring_t *ring, uint8_t id, const hb_key_t *key,
                   uint8_t mode)
{
        if (ring == NULL || key == NULL || !mode_known(mode) ||
            ring->n > HB_KEYRING_MAX)
                return -EINVAL;
        if (hb_keyring_find(ring, id) >= 0)
                return -EEXIST;
        if (ring->n == HB_KEYRING_MAX)
                return -ENOSPC;
        if (ring->n == 0)
                ring->primary = id;
        ring->ids[ring->n] = id;
        ring->modes[ring->n] = mode;
        ring->keys[ring->n] = *key;
        ring->n++;
        return 0;
}

void hb_keyring_wipe(hb_keyring_t *ring)
{
        if (ring == NULL)
                return;
        sodium_memzero(ring, sizeof(*ring));
}

size_t hb_wire_len(uint8_t mode, size_t body_len)
{
        return HB_WIRE_HEARTBEAT_LEN + body_len +
               (mode == HB_WIRE_MODE_AEAD ? HB_WIRE_NONCE_LEN : 0);
}

int hb_wire_encode(uint8_t *buf, size_t cap, const hb_wire_msg_t *msg,
                   const hb_keyring_t *ring, const uint8_t *nonce)
{
        if (buf == NULL || msg == NULL || hb_keyring_validate(ring) < 0)
                return -EINVAL;
        int slot = hb_keyring_find(ring, ring->primary);
        const hb_key_t *key = &ring->keys[slot];
        uint8_t mode = ring->modes[slot];
        if (mode == HB_WIRE_MODE_AEAD && nonce == NULL)
                return -EINVAL;
        if (msg->sender_id == 0 || !type_known(msg->type))
                return -EINVAL;
        if (msg->tlv == NULL && msg->tlv_len > 0)
                return -EINVAL;
        size_t c = (msg->flags & HB_FLAG_COORD) ? HB_WIRE_COORD_LEN : 0;
        if (c > 0 && msg->coord == NULL)
                return -EINVAL;
        /* Written so that a huge tlv_len cannot overflow the sum. */
        size_t fixed = hb_wire_len(mode, c);
        if (msg->tlv_len > HB_WIRE_MAX_LEN - fixed)
                return HB_ETOOBIG;
        if (!tlv_well_formed(msg->tlv, msg->tlv_len))
                return HB_EBADTLV;

        size_t len = fixed + msg->tlv_len;
        if (cap < len)
                return -ENOBUFS;

        /* The inner part starts after the nonce in AEAD mode. TLVs
         * first, then the block: memmove copes with either overlapping
         * `buf` (re-encoding in place); the headers are written after
         * them. */
        size_t inner = OFF_INNER +
                       (mode == HB_WIRE_MODE_AEAD ? HB_WIRE_NONCE_LEN : 0);
        uint8_t *in = buf + inner;
        if (msg->tlv_len > 0)
                memmove(in + IN_BODY + c, msg->tlv, msg->tlv_len);
        if (c > 0)
                memmove(in + IN_BODY, msg->coord, c);
        hb__put_u16(buf + OFF_MAGIC, HB_WIRE_MAGIC);
        buf[OFF_VERSION] = HB_WIRE_VERSION;
        buf[OFF_MODE] = mode;
        buf[OFF_KEY_ID] = ring->primary;
        buf[OFF_RESERVED] = 0;
        hb__put_u16(buf + OFF_LENGTH, (uint16_t)len);
        hb__put_u32(buf + OFF_CLUSTER, msg->cluster_id);
        in[IN_TYPE] = msg->type;
        in[IN_RESERVED] = 0;
        hb__put_u16(in + IN_FLAGS, msg->flags);
        hb__put_u32(in + IN_SENDER, msg->sender_id);
        hb__put_u64(in + IN_INCARNATION, msg->incarnation);
        hb__put_u64(in + IN_SEQ, msg->seq);
        hb__put_u64(in + IN_SEND_TIME, msg->send_time_ns);

        size_t body = len - HB_WIRE_TAG_LEN;
        int r;
        if (mode == HB_WIRE_MODE_MAC) {
                r = mac(buf + body, buf, body, key);
        } else {
                uint8_t k[HB_KEY_LEN];

                memcpy(buf + OFF_INNER, nonce, HB_WIRE_NONCE_LEN);
                r = aead_key(k, key);
                if (r == 0)
                        r = crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
                                in, buf + body, NULL, in, body - inner, buf,
                                OFF_INNER, NULL, buf + OFF_INNER, k);
                sodium_memzero(k, sizeof(k));
        }
        if (r != 0) {
                /* Unreachable (sizes are fixed and checked above); kept so
                 * that no unprotected message is ever returned. */
                sodium_memzero(buf, len);
                return -EIO;
        }
        return (int)len;
}

int hb_wire_decode(hb_wire_msg_t *msg, const uint8_t *buf, size_t len,
                   uint32_t cluster_id, const hb_keyring_t *ring,
                   uint8_t *plain, size_t plain_cap)
{
        if (msg == NULL || buf == NULL || hb_keyring_validate(ring) < 0)
                return -EINVAL;

        /* 1-5: framing, each check reading only bytes known to exist. */
        if (len > HB_WIRE_MAX_LEN)
                return HB_ETOOBIG;
        if (len < 4)
                return HB_ETRUNC;
        if (hb__get_u16(buf + OFF_MAGIC) != HB_WIRE_MAGIC)
                return HB_EBADMAGIC;
        if (buf[OFF_VERSION] != HB_WIRE_VERSION)
                return HB_EVERSION;
        if (len < HB_WIRE_HEARTBEAT_LEN)
                return HB_ETRUNC;
        /* 6: the length field must agree with the datagram: catches
         * truncation by the network and trailing garbage alike. */
        if (hb__get_u16(buf + OFF_LENGTH) != len)
                return HB_EBADLEN;
        /* 7: cheap and untrusted, only to count foreign traffic apart. */
        if (hb__get_u32(buf + OFF_CLUSTER) != cluster_id)
                return HB_ECLUSTER;
        /* 8-9: the key by its id, no trial of every key (one MAC per
         * datagram whatever the ring holds); then the key's own mode, so
         * an encrypted key's messages cannot be downgraded to clear ones
         * nor the other way round. Both untrusted until step 11, which
         * covers them. */
        int slot = hb_keyring_find(ring, buf[OFF_KEY_ID]);
        if (slot < 0)
                return HB_EUNKEY;
        uint8_t mode = buf[OFF_MODE];
        if (mode != ring->modes[slot])
                return HB_EMODE;
        const hb_key_t *key = &ring->keys[slot];
        const uint8_t *in;
        size_t inner, body = len - HB_WIRE_TAG_LEN;

        /* 10-11: authenticate (and decrypt). */
        if (mode == HB_WIRE_MODE_MAC) {
                uint8_t want[HB_WIRE_TAG_LEN];

                if (mac(want, buf, body, key) != 0 ||
                    crypto_verify_16(want, buf + body) != 0)
                        return HB_EBADTAG;
                inner = OFF_INNER;
                in = buf + inner;
        } else {
                uint8_t k[HB_KEY_LEN];
                int r;

                inner = OFF_INNER + HB_WIRE_NONCE_LEN;
                if (len < HB_WIRE_HEARTBEAT_LEN + HB_WIRE_NONCE_LEN)
                        return HB_ETRUNC;
                if (plain == NULL || plain_cap < len)
                        return -EINVAL;
                r = aead_key(k, key);
                if (r == 0)
                        r = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
                                plain, NULL, buf + inner, body - inner,
                                buf + body, buf, OFF_INNER, buf + OFF_INNER,
                                k);
                sodium_memzero(k, sizeof(k));
                if (r != 0)
                        return HB_EBADTAG;
                in = plain;
        }

        /* 12-14: the message is authentic; now check what it says. */
        uint8_t type = in[IN_TYPE];
        if (!type_known(type))
                return HB_EBADTYPE;
        uint16_t flags = hb__get_u16(in + IN_FLAGS);
        size_t c = (flags & HB_FLAG_COORD) ? HB_WIRE_COORD_LEN : 0;
        size_t area = body - inner - IN_BODY;
        if (area < c)
                return HB_EBADTLV;
        size_t tlv_len = area - c;
        if (!tlv_well_formed(in + IN_BODY + c, tlv_len))
                return HB_EBADTLV;
        uint32_t sender_id = hb__get_u32(in + IN_SENDER);
        if (sender_id == 0)
                return HB_EUNKPEER;

        msg->type = type;
        msg->flags = flags;
        msg->cluster_id = cluster_id;
        msg->sender_id = sender_id;
        msg->incarnation = hb__get_u64(in + IN_INCARNATION);
        msg->seq = hb__get_u64(in + IN_SEQ);
        msg->send_time_ns = hb__get_u64(in + IN_SEND_TIME);
        msg->tlv = tlv_len > 0 ? in + IN_BODY + c : NULL;
        msg->tlv_len = tlv_len;
        msg->coord = c > 0 ? in + IN_BODY : NULL;
        msg->key_id = buf[OFF_KEY_ID];
        msg->mode = mode;
        return 0;
}

/* Mantissa bits of the packed duration (wire.h). */
#define DUR_MANT_BITS 12
#define DUR_MANT_MAX ((1u << DUR_MANT_BITS) - 1)
#define DUR_EXP_MAX 15u

uint16_t hb_wire_duration_pack(uint64_t ns)
{
        uint64_t us = ns / 1000;
        unsigned e = 0;

        while (us > DUR_MANT_MAX && e < DUR_EXP_MAX) {
                us >>= 1; /* rounds down: never a longer promise */
                e++;
        }
        if (us > DUR_MANT_MAX)
                us = DUR_MANT_MAX;
        return (uint16_t)(e << DUR_MANT_BITS | (unsigned)us);
}

uint64_t hb_wire_duration_unpack(uint16_t packed)
{
        uint64_t m = packed & DUR_MANT_MAX;
        unsigned e = packed >> DUR_MANT_BITS;

        return (m << e) * 1000;
}

int hb_wire_tlv_next(const uint8_t **p, size_t *left, uint16_t *type,
                     const uint8_t **value, uint16_t *vlen)
{
        if (p == NULL || left == NULL || type == NULL || value == NULL ||
            vlen == NULL)
                return -EINVAL;
        if (*left == 0)
                return 0;
        if (*p == NULL)
                return -EINVAL;
        if (*left < HB_WIRE_TLV_HEADER_LEN)
                return HB_EBADTLV;

        const uint8_t *q = *p;
        uint16_t n = hb__get_u16(q + 2);
        if (n > *left - HB_WIRE_TLV_HEADER_LEN)
                return HB_EBADTLV;

        *type = hb__get_u16(q);
        *vlen = n;
        *value = q + HB_WIRE_TLV_HEADER_LEN;
        *p = q + HB_WIRE_TLV_HEADER_LEN + n;
        *left -= HB_WIRE_TLV_HEADER_LEN + (size_t)n;
        return 1;
}

void hb_key_generate(hb_key_t *key)
{
        if (key == NULL)
                return;
        randombytes_buf(key->bytes, sizeof(key->bytes));
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
               c == '\f';
}

int hb_key_from_base64(hb_key_t *key, const char *text)
{
        if (key == NULL || text == NULL)
                return -EINVAL;

        /* Trim surrounding whitespace only (a key file ends in a newline);
         * whitespace inside the text is not accepted, which is why
         * sodium_base642bin()'s `ignore` set is not used. */
        size_t n = strlen(text);
        while (n > 0 && is_space(text[n - 1]))
                n--;
        while (n > 0 && is_space(*text)) {
                text++;
                n--;
        }
        if (n == 0)
                return HB_EBADKEY;

        uint8_t bin[HB_KEY_LEN];
        size_t bin_len = 0;
        const char *end = NULL;
        int r = sodium_base642bin(bin, sizeof(bin), text, n, NULL, &bin_len,
                                  &end, sodium_base64_VARIANT_ORIGINAL);
        /* The whole text must be consumed: sodium stops at the first
         * character outside the alphabet and reports where. A text that
         * decodes to more than HB_KEY_LEN bytes fails inside sodium. */
        if (r == 0 && end == text + n && bin_len == HB_KEY_LEN) {
                memcpy(key->bytes, bin, HB_KEY_LEN);
                r = 0;
        } else {
                r = HB_EBADKEY;
        }
        sodium_memzero(bin, sizeof(bin));
        return r;
}

int hb_key_to_base64(char *out, size_t cap, const hb_key_t *key)
{
        if (out == NULL || key == NULL)
                return -EINVAL;
        if (cap < HB_KEY_BASE64_LEN)
                return -ENOBUFS;
        sodium_bin2base64(out, HB_KEY_BASE64_LEN, key->bytes, HB_KEY_LEN,
                          sodium_base64_VARIANT_ORIGINAL);
        return 0;
}

void hb_key_wipe(hb_key_t *key)
{
        if (key == NULL)
                return;
        sodium_memzero(key->bytes, sizeof(key->bytes));
}

const char *hb_msg_type_name(uint8_t type)
{
        switch (type) {
        case HB_MSG_HEARTBEAT:
                return "heartbeat";
        case HB_MSG_LEAVE:
                return "leave";
        case HB_MSG_ACK:
                return "ack";
        case HB_MSG_VOTE_REQ:
                return "vote_req";
        case HB_MSG_VOTE_RESP:
                return "vote_resp";
        case HB_MSG_VERDICT:
                return "verdict";
        case HB_MSG_PING:
                return "ping";
        case HB_MSG_PING_REQ:
                return "ping_req";
        case HB_MSG_PROBE_ACK:
                return "probe_ack";
        case HB_MSG_PROBE_NACK:
                return "probe_nack";
        case HB_MSG_GOSSIP:
                return "gossip";
        case HB_MSG_REGION_SUMMARY:
                return "region_summary";
        case HB_MSG_SUBSET_VERDICT:
                return "subset_verdict";
        default:
                return "unknown";
        }
}
