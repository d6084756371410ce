/* SPDX-License-Identifier: MIT */
/**
 * @file wire.h
 * @brief hbeat wire format v2: encode, authenticate (or encrypt), decode,
 *        verify; cluster keys and key rings.
 *
 * Byte-by-byte description: docs/wire-format.md. Summary (all integers
 * big-endian, no padding, no struct casts):
 *
 *     off len field                       (outer header: always clear)
 *       0   2 magic 0x4842 ("HB")
 *       2   1 version (2)
 *       3   1 mode: 0 authenticated (HB_WIRE_MODE_MAC), 1 encrypted
 *             (HB_WIRE_MODE_AEAD)
 *       4   1 key id: which key of the receiver's ring verifies it
 *       5   1 reserved (senders write 0, receivers ignore)
 *       6   2 length: total message length in bytes, tag included
 *       8   4 cluster id
 *      12  24 nonce (HB_WIRE_MODE_AEAD only; absent with MAC)
 *             (inner header: clear with MAC, encrypted with AEAD)
 *     +0    1 type (enum hb_msg_type)
 *     +1    1 reserved (0)
 *     +2    2 flags (HB_FLAG_*)
 *     +4    4 sender node id (1 .. 2^32-1; 0 is invalid)
 *     +8    8 incarnation of the sender (grows on every restart)
 *     +16   8 sequence number (per incarnation, starts at 1)
 *     +24   8 sender's monotonic send time, nanoseconds
 *     +32   c coordination block, c = 8 with HB_FLAG_COORD, else 0
 *   +32+c   n TLV extensions: type u16, length u16, value[length]
 *     end  16 tag: MAC mode, keyed BLAKE2b-128 (RFC 7693) over every byte
 *             before it; AEAD mode, the Poly1305 tag of
 *             XChaCha20-Poly1305-IETF with the outer header as additional
 *             data and the inner part as the encrypted plaintext
 *
 * A plain heartbeat (no TLV) is HB_WIRE_HEARTBEAT_LEN = 60 bytes (84
 * encrypted); with coordination on, HB_WIRE_COORD_HEARTBEAT_LEN = 68 (92).
 *
 * Pure code: no I/O, no clock, no allocation, no randomness (the AEAD
 * nonce is the caller's). Thread-safe (no shared state) once libsodium is
 * initialised (hb_wire_init()).
 */
#ifndef HBEAT_WIRE_H
#define HBEAT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbeat/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/** First two bytes of every message: ASCII "HB". */
#define HB_WIRE_MAGIC 0x4842u
/** The only wire version this library speaks (2 since key ids; version
 *  1 had no key id and is dropped as HB_EVERSION). */
#define HB_WIRE_VERSION 2u
/** Outer header length: the part that is never encrypted. */
#define HB_WIRE_OUTER_LEN 12u
/** Inner header length: type, flags, sender, incarnation, sequence,
 *  send time (encrypted in HB_WIRE_MODE_AEAD). */
#define HB_WIRE_INNER_LEN 32u
/** Fixed header length in bytes in MAC mode (before the coordination
 *  block and TLVs). */
#define HB_WIRE_HEADER_LEN (HB_WIRE_OUTER_LEN + HB_WIRE_INNER_LEN)
/** Authentication tag length in bytes (128-bit MAC or Poly1305 tag). */
#define HB_WIRE_TAG_LEN 16u
/** AEAD nonce length in bytes (XChaCha20-Poly1305-IETF). */
#define HB_WIRE_NONCE_LEN 24u
/** What HB_WIRE_MODE_AEAD adds to every message: the nonce. */
#define HB_WIRE_AEAD_EXTRA HB_WIRE_NONCE_LEN
/** Length of a TLV header (type u16 + length u16). */
#define HB_WIRE_TLV_HEADER_LEN 4u
/**
 * Hard maximum message size in bytes. Chosen so that a message plus IPv6
 * (40) and UDP (8) headers fits the IPv6 minimum MTU of 1280 (RFC 8200 §5)
 * with room to spare: a heartbeat is never fragmented.
 */
#define HB_WIRE_MAX_LEN 1200u
/** Length of a plain heartbeat in MAC mode: header + tag, no TLV. */
#define HB_WIRE_HEARTBEAT_LEN (HB_WIRE_HEADER_LEN + HB_WIRE_TAG_LEN)
/** Cluster pre-shared key length in bytes (256 bits). */
#define HB_KEY_LEN 32u
/** Most keys a key ring holds (hb_keyring_t). */
#define HB_KEYRING_MAX 8u

/** How a message is protected (outer header byte 3). Values are stable
 *  on the wire. */
typedef enum hb_wire_mode {
        /** Authenticated, in clear: keyed BLAKE2b-128 tag. */
        HB_WIRE_MODE_MAC = 0,
        /** Authenticated and encrypted: XChaCha20-Poly1305-IETF
         *  (libsodium crypto_aead_xchacha20poly1305_ietf_*), random
         *  24-byte nonce, outer header as additional data. */
        HB_WIRE_MODE_AEAD = 1,
} hb_wire_mode_t;

/** Message types. Values are stable on the wire. */
typedef enum hb_msg_type {
        /** Periodic "I am alive" message. */
        HB_MSG_HEARTBEAT = 1,
        /** Graceful leave: the sender is shutting down on purpose. */
        HB_MSG_LEAVE = 2,
        /** Reply to a heartbeat that carried HB_FLAG_ECHO_REQUEST: echoes
         *  that heartbeat's sequence and send time in an HB_TLV_ECHO, so
         *  its sender measures the round-trip time on its own clock.
         *  ACKs have their own sequence space (replay-checked apart). */
        HB_MSG_ACK = 3,
        /** Candidate asks for a vote: HB_TLV_VOTE {term, candidate
         *  priority}, and HB_TLV_EXITED when the leader it followed
         *  exited. Sent to each peer. */
        HB_MSG_VOTE_REQ = 4,
        /** Answer to a vote request: HB_TLV_VOTE {term, granted}. */
        HB_MSG_VOTE_RESP = 5,
        /** A monitor's verdicts on the members it monitors (topology
         *  "monitors", docs/topologies.md): one HB_TLV_VERDICT. Control
         *  sequence space, like ACKs and votes. Since 0.2. */
        HB_MSG_VERDICT = 6,
        /** Gossip topology (docs/gossip.md), control sequence space,
         *  each with HB_TLV_MEMBER updates piggybacked. A direct probe:
         *  HB_TLV_PROBE {the receiver, nonce}. Since 0.3. */
        HB_MSG_PING = 7,
        /** Indirect probe request: HB_TLV_PROBE {target, nonce}: ping
         *  the target and relay its ack (or a nack). Since 0.3. */
        HB_MSG_PING_REQ = 8,
        /** Probe ack: HB_TLV_PROBE {the member that answered, the
         *  probe's nonce}, direct or relayed. Since 0.3. */
        HB_MSG_PROBE_ACK = 9,
        /** Lifeguard nack: the relay got no ack from the target in
         *  time; HB_TLV_PROBE {target, nonce}. Since 0.3. */
        HB_MSG_PROBE_NACK = 10,
        /** Gossip round: member updates only. Since 0.3. */
        HB_MSG_GOSSIP = 11,
        /** A region's summary (topology "hierarchy", docs/hierarchy.md):
         *  one HB_TLV_REGION_SUMMARY, sent by the region's coordinator
         *  to the other coordinators and to its region, and relayed
         *  unchanged by a coordinator to its region. Control sequence
         *  space, like ACKs and votes. */
        HB_MSG_REGION_SUMMARY = 12,
        /** A monitor's verdicts in the "subset" topology
         *  (docs/subset.md): one HB_TLV_SUBSET_VERDICT, the sender's own
         *  verdicts; or, a repair (relayed verdicts), pairs of
         *  HB_TLV_SUBSET_ORIGIN and HB_TLV_SUBSET_VERDICT, each verdict
         *  list the named monitor's as the sender holds it. Since 0.3. */
        HB_MSG_SUBSET_VERDICT = 14,
} hb_msg_type_t;

/** Header flag: the sender asks the receiver for an HB_MSG_ACK. */
#define HB_FLAG_ECHO_REQUEST 0x0001u
/**
 * Header flag: an HB_WIRE_COORD_LEN-byte coordination block follows the
 * fixed header, before the TLVs (since 0.2; heartbeats of a node with
 * coordination on). Its fields, big-endian:
 *
 *     off len field
 *       0   4 term of the sender (election.h)
 *       4   2 echo: the low 16 bits of the sequence number of the latest
 *             heartbeat the sender accepted from the leader of `term`
 *             (with HB_FLAG_SUPPORT; else 0)
 *       6   2 promise: how long after that heartbeat arrived the sender
 *             votes for no other candidate (hb_wire_duration_pack();
 *             with HB_FLAG_SUPPORT, else 0)
 *
 * and the sender's role, priority and options ride in the header flags
 * (HB_FLAG_ROLE_MASK ... HB_FLAG_PRIORITY_SHIFT), all meaningful only with
 * HB_FLAG_COORD.
 */
#define HB_FLAG_COORD 0x0002u
/** Bits 2-3: the sender's role (enum hb_role of election.h). */
#define HB_FLAG_ROLE_MASK 0x000cu
#define HB_FLAG_ROLE_SHIFT 2
/** The sender is a witness: votes, never stands. */
#define HB_FLAG_WITNESS 0x0010u
/** The sender preempts a leader of lower priority (election.h). */
#define HB_FLAG_PREEMPT 0x0020u
/** The sender's at-most-one resource may be up (policy.h). */
#define HB_FLAG_RESOURCE 0x0040u
/** The sender supports the leader of `term`: echo and promise are set. */
#define HB_FLAG_SUPPORT 0x0080u
/** Bits 8-15: the sender's priority, 0 .. 255. */
#define HB_FLAG_PRIORITY_SHIFT 8
/** Length of the coordination block (HB_FLAG_COORD). */
#define HB_WIRE_COORD_LEN 8u
/** Length of a heartbeat with a coordination block and no TLV. */
#define HB_WIRE_COORD_HEARTBEAT_LEN (HB_WIRE_HEARTBEAT_LEN + HB_WIRE_COORD_LEN)

/** TLV types. */
enum hb_tlv_type {
        /** Echo of a heartbeat: u64 seq, u64 send_time_ns (16 bytes). */
        HB_TLV_ECHO = 1,
        /** Retired in 0.2 (the coordination block of HB_FLAG_COORD
         *  replaced it); the number is not reused. */
        HB_TLV_LEADER = 2,
        /** In vote messages: u64 term, u8 granted (responses) or
         *  priority (requests), u16 promise (responses: how long after
         *  the request arrived the voter votes for no other candidate,
         *  hb_wire_duration_pack(); else 0), 1 byte reserved (12
         *  bytes). */
        HB_TLV_VOTE = 3,
        /** In vote requests: u32 id of the leader the candidate followed
         *  and saw exit (port unreachable, hb_node_peer_unreachable()),
         *  u64 the incarnation of that process as the candidate knew it
         *  (12 bytes; 4 bytes, the id alone, before 0.2). Voters
         *  following that process stop trusting it and void the lease
         *  promise they made to it; one that has heard a later
         *  incarnation ignores the claim. */
        HB_TLV_EXITED = 4,
        /** In verdicts (HB_MSG_VERDICT): u32 lo, u32 hi (an id range,
         *  inclusive), then k entries of u32 member id and u8 verdict
         *  (hb_peer_state_t: 0 unknown, 2 suspect, 3 dead, 5 left), ids
         *  ascending within [lo, hi]: every member the monitor monitors
         *  whose id is in [lo, hi] and is not listed is alive. 8 + 5 k
         *  bytes (docs/wire-format.md). Since 0.2. */
        HB_TLV_VERDICT = 5,
        /** On heartbeats sent with peer classes (docs/classes.md), at
         *  most one: u32 interval_us (the interval the sender keeps now
         *  for the receiver's class), u32 next_interval_us (the one it
         *  will switch to; equal when steady), both 1000 ..
         *  3 600 000 000; u32 class_seq (the class's own heartbeat
         *  counter, 1, 2, ... per incarnation). Another length, a value
         *  out of range, two of them, or one on another message type:
         *  HB_EBADTLV. */
        HB_TLV_INTERVAL = 6,
        /** Gossip probe: u32 target member id, u32 nonce (8 bytes).
         *  Since 0.3. */
        HB_TLV_PROBE = 8,
        /** Gossip member update: u32 member id, u64 run (the member's
         *  process incarnation), u32 SWIM incarnation, u8 state
         *  (hb_peer_state_t: 1 alive, 2 suspect, 3 dead, 5 left), u32
         *  origin (who suspects or declares; the member itself for a
         *  leave), u8 address length a <= HB_GOSSIP_ADDR_MAX, a bytes of
         *  opaque address (22 + a bytes; docs/gossip.md). Since 0.3. */
        HB_TLV_MEMBER = 9,
        /** In region summaries (HB_MSG_REGION_SUMMARY), 28 + 5 k bytes:
         *  u16 region (1 .. 64), u8 flags (0), u8 reserved (0), u32 the
         *  coordinator's regional term, u32 summary version (grows on
         *  every change), u64 map of the regions the coordinator finds
         *  unreachable (bit r - 1 for region r), u32 lo, u32 hi (an id
         *  range, inclusive), then k entries of u32 member id and u8
         *  state (hb_peer_state_t: 0 unknown, 2 suspect, 3 dead,
         *  4 probation, 5 left), ids strictly ascending within [lo, hi]:
         *  every member of the region with an id in [lo, hi] that is not
         *  listed is alive. */
        HB_TLV_REGION_SUMMARY = 12,
        /** On heartbeats of the hierarchy topology (not from a
         *  coordinator) and on its global level's heartbeats: u32
         *  digest of the region summaries the sender holds (their
         *  regions, terms and versions; 4 bytes). A coordinator sends
         *  summaries again when its own digest differs: a node that
         *  lost one is repaired by its next heartbeat. */
        HB_TLV_REGION_VIEW = 13,
        /** In subset verdicts (HB_MSG_SUBSET_VERDICT): u32 epoch, then
         *  n <= 32 entries of u32 node id and u8 verdict
         *  (hb_peer_state_t: 0 unknown, 1 alive, 2 suspect, 3 dead,
         *  5 left), ids strictly ascending: every node the monitor
         *  judges (4 + 5 n bytes; hbeat/subset.h). Since 0.3. */
        HB_TLV_SUBSET_VERDICT = 14,
        /** On heartbeats of the subset topology: u32 triples held, u64
         *  digest of the monitors' verdicts the sender holds (12 bytes;
         *  hbeat/subset.h). Since 0.3. */
        HB_TLV_SUBSET_DIGEST = 15,
        /** In subset repairs (HB_MSG_SUBSET_VERDICT), before each
         *  HB_TLV_SUBSET_VERDICT: u32 the monitor whose verdicts follow,
         *  u64 its incarnation when it sent them (12 bytes;
         *  hbeat/subset.h). Since 0.3. */
        HB_TLV_SUBSET_ORIGIN = 16,
        /** On heartbeats of a hierarchy's region coordinator (to the
         *  other electors of its region): u64 the highest term it has
         *  seen at the global level (at most 2^32 - 1; 8 bytes). Its
         *  successor starts its global level past it, so the global
         *  term, the resource's fencing token, grows across
         *  coordinators (docs/hierarchy.md). Since 0.3. */
        HB_TLV_GLOBAL_TERM = 17,
};
/** Value length of HB_TLV_GLOBAL_TERM. */
#define HB_GLOBAL_TERM_TLV_LEN 8u
/** Value length of HB_TLV_INTERVAL. */
#define HB_INTERVAL_TLV_LEN 12u
/** Length of an ACK in MAC mode: header + ECHO TLV (4 + 16) + tag = 80
 *  bytes (104 encrypted). */
#define HB_WIRE_ACK_LEN (HB_WIRE_HEADER_LEN + HB_WIRE_TLV_HEADER_LEN + 16u + \
                         HB_WIRE_TAG_LEN)

/**
 * Cluster pre-shared key. Secret: wipe with hb_key_wipe() before the memory
 * is released. Read from a key file by the daemon (base64 text, see
 * hb_key_from_base64()).
 */
typedef struct hb_key {
        uint8_t bytes[HB_KEY_LEN];
} hb_key_t;

/**
 * A key ring: the keys a node accepts, each under a one-byte key id that
 * every message names, and the one it sends with (the primary). Key
 * rotation is: add the new key on every node, make it the primary on
 * every node, remove the old one (docs/operations.md, "Key rotation");
 * at no step does a node send under a key another node lacks. After
 * memberlist's keyring (install, use, remove) and WireGuard's
 * one-key-per-id lookup: a receiver picks the key by id, it never tries
 * every key.
 *
 * Each key has its own mode (hb_wire_mode_t): a message whose mode differs
 * from its key's is dropped (HB_EMODE), so a cluster moves from
 * authenticated to encrypted messages by rotating to a key of the other
 * mode, without a split, and no one can downgrade a key's messages.
 *
 * Public, read/write; secret: wipe with hb_keyring_wipe(). Build it with
 * hb_keyring_add() (or fill it directly and check hb_keyring_validate()).
 */
typedef struct hb_keyring {
        uint32_t n;                     /**< keys in use, 0 .. HB_KEYRING_MAX */
        uint8_t primary;                /**< id of the key messages are
                                             sent with; one of ids[] */
        uint8_t reserved[3];            /**< 0 */
        uint8_t ids[HB_KEYRING_MAX];    /**< key ids, distinct */
        uint8_t modes[HB_KEYRING_MAX];  /**< hb_wire_mode_t of each key */
        hb_key_t keys[HB_KEYRING_MAX];  /**< key material */
} hb_keyring_t;

/**
 * Add key `key` under `id` with `mode` (hb_wire_mode_t). The first key
 * added becomes the primary.
 *
 * @return 0; -EEXIST (id already in the ring), -ENOSPC (HB_KEYRING_MAX
 *         keys already), -EINVAL (NULL argument, unknown mode).
 */
HB_EXPORT int hb_keyring_add(hb_keyring_t *ring, uint8_t id,
                             const hb_key_t *key, uint8_t mode);

/**
 * Check a ring: 1 .. HB_KEYRING_MAX keys, distinct ids, known modes, the
 * primary one of them.
 * @return 0, or -EINVAL.
 */
HB_EXPORT int hb_keyring_validate(const hb_keyring_t *ring);

/**
 * The slot (0 .. n-1) of key `id` in the ring, or -1 when absent (or
 * `ring` is NULL). Linear in at most HB_KEYRING_MAX entries.
 */
HB_EXPORT int hb_keyring_find(const hb_keyring_t *ring, uint8_t id);

/** Wipe a ring (sodium_memzero of the whole struct); NULL is a no-op. */
HB_EXPORT void hb_keyring_wipe(hb_keyring_t *ring);

/**
 * A decoded (or to-be-encoded) message.
 *
 * Public, read/write. When filled by hb_wire_decode(), `tlv` and `coord`
 * point into the caller's receive buffer (MAC mode) or plaintext buffer
 * (AEAD mode): borrowed, valid only while that buffer is.
 */
typedef struct hb_wire_msg {
        uint8_t type;              /**< enum hb_msg_type */
        uint16_t flags;            /**< HB_FLAG_* */
        uint32_t cluster_id;       /**< cluster the sender belongs to */
        uint32_t sender_id;        /**< sender node id, 1 .. 2^32-1 */
        uint64_t incarnation;      /**< sender incarnation */
        uint64_t seq;              /**< sequence number within incarnation */
        uint64_t send_time_ns;     /**< sender monotonic clock, ns */
        const uint8_t *tlv;        /**< TLV bytes (borrowed), or NULL */
        size_t tlv_len;            /**< length of `tlv` in bytes */
        /** The HB_WIRE_COORD_LEN bytes of the coordination block
         *  (borrowed), required when `flags` has HB_FLAG_COORD (encode)
         *  and set then (decode); NULL otherwise. Since 0.2. */
        const uint8_t *coord;
        /** Decode: the key id the message named (and verified under);
         *  ignored by encode (the ring's primary is used). Since 0.2. */
        uint8_t key_id;
        /** Decode: the message's hb_wire_mode_t. Since 0.2. */
        uint8_t mode;
} hb_wire_msg_t;

/**
 * Initialise the crypto library (libsodium's sodium_init()). Safe to call
 * more than once and from several threads. Every other function of this
 * header assumes it has been called (hb_node_new() calls it).
 *
 * @return 0, or -EIO if libsodium cannot initialise.
 */
HB_EXPORT int hb_wire_init(void);

/**
 * The length of a message whose coordination block and TLVs take
 * `body_len` bytes, in `mode`: HB_WIRE_HEADER_LEN + body_len +
 * HB_WIRE_TAG_LEN, plus HB_WIRE_NONCE_LEN with HB_WIRE_MODE_AEAD.
 */
HB_EXPORT size_t hb_wire_len(uint8_t mode, size_t body_len);

/**
 * Encode and protect a message with the ring's primary key, in that key's
 * mode.
 *
 * @param buf    output buffer (caller-owned), at least the message length.
 * @param cap    capacity of `buf` in bytes.
 * @param msg    message to encode; `msg->tlv` (may be NULL when tlv_len
 *               is 0) must already be a well-formed TLV sequence;
 *               `msg->key_id` and `msg->mode` are ignored.
 * @param ring   key ring (hb_keyring_validate() must accept it).
 * @param nonce  HB_WIRE_NONCE_LEN random bytes when the primary key's
 *               mode is HB_WIRE_MODE_AEAD (never reuse a nonce under one
 *               key: a fresh random one per message, docs/wire-format.md);
 *               ignored (may be NULL) in MAC mode.
 * @return       the encoded length in bytes (>= HB_WIRE_HEARTBEAT_LEN) on
 *               success; -EINVAL if an argument is NULL, the ring is
 *               invalid, sender_id is 0, the type is unknown, or
 *               HB_FLAG_COORD is set without `msg->coord`; HB_ETOOBIG if
 *               the message would exceed HB_WIRE_MAX_LEN; HB_EBADTLV if
 *               `msg->tlv` is malformed; -ENOBUFS if `cap` is too small
 *               (checked in this order, first failure wins); -EIO if
 *               libsodium fails (not expected). `msg->flags` is written
 *               as given, so a decoded message re-encodes to the same
 *               bytes (MAC mode).
 */
HB_EXPORT int hb_wire_encode(uint8_t *buf, size_t cap,
                             const hb_wire_msg_t *msg,
                             const hb_keyring_t *ring, const uint8_t *nonce);

/**
 * Decode and verify a received datagram. Reads only bytes [0, len) of
 * `buf`. Checks, in this order (first failure wins):
 *
 * 1. len > HB_WIRE_MAX_LEN                       -> HB_ETOOBIG
 * 2. len < 4                                     -> HB_ETRUNC
 * 3. magic != HB_WIRE_MAGIC                      -> HB_EBADMAGIC
 * 4. version != HB_WIRE_VERSION                  -> HB_EVERSION
 * 5. len < HB_WIRE_HEARTBEAT_LEN                 -> HB_ETRUNC
 * 6. length field != len                         -> HB_EBADLEN
 * 7. cluster id != `cluster_id`                  -> HB_ECLUSTER
 * 8. key id not in `ring`                        -> HB_EUNKEY
 * 9. mode differs from that key's mode           -> HB_EMODE
 * 10. AEAD and len < HB_WIRE_HEARTBEAT_LEN + HB_WIRE_NONCE_LEN
 *                                                -> HB_ETRUNC
 * 11. tag does not verify under that key         -> HB_EBADTAG
 * 12. unknown type                               -> HB_EBADTYPE
 * 13. HB_FLAG_COORD but no room for the block, or the TLV area (after
 *     it) not an exact sequence of TLVs          -> HB_EBADTLV
 * 14. sender id 0                                -> HB_EUNKPEER
 *
 * Nothing in the message is trusted before step 11 succeeds; the cluster
 * id, key id and mode are compared first only to count foreign traffic,
 * retired keys and a mode mismatch apart, and cost no MAC.
 *
 * @param msg         output; written only on success. `msg->tlv` and
 *                    `msg->coord` borrow from `buf` (MAC) or `plain`
 *                    (AEAD).
 * @param buf         received bytes (borrowed for the call).
 * @param len         number of bytes received.
 * @param cluster_id  expected cluster id.
 * @param ring        accepted keys. Not NULL.
 * @param plain       AEAD only: where the decrypted inner part goes, at
 *                    least `len` bytes (HB_WIRE_MAX_LEN always suffices);
 *                    may be NULL when no key of the ring is in AEAD mode
 *                    (an AEAD message is then HB_EMODE at step 9 anyway).
 *                    Its content is unspecified after a failure.
 * @param plain_cap   capacity of `plain` in bytes.
 * @return            0 on success; a negative HB_E* code as listed, or
 *                    -EINVAL for NULL arguments, an invalid ring, or an
 *                    AEAD key with `plain` NULL or smaller than `len`.
 */
HB_EXPORT int hb_wire_decode(hb_wire_msg_t *msg, const uint8_t *buf,
                             size_t len, uint32_t cluster_id,
                             const hb_keyring_t *ring, uint8_t *plain,
                             size_t plain_cap);

/**
 * Walk a TLV sequence (from a decoded message).
 *
 * @param p      in/out cursor into the TLV bytes; advanced past the TLV.
 * @param left   in/out bytes remaining from `*p`.
 * @param type   output TLV type.
 * @param value  output pointer to the value (borrowed from `*p`'s buffer).
 * @param vlen   output value length.
 * @return       1 when a TLV was returned, 0 at the end of the sequence,
 *               HB_EBADTLV if the remaining bytes are not a whole TLV;
 *               -EINVAL if an argument is NULL, or `*p` is NULL while
 *               `*left` > 0.
 */
HB_EXPORT int hb_wire_tlv_next(const uint8_t **p, size_t *left, uint16_t *type,
                               const uint8_t **value, uint16_t *vlen);

/**
 * Fill a key with random bytes (libsodium randombytes_buf()).
 * @param key output; NULL is a no-op.
 */
HB_EXPORT void hb_key_generate(hb_key_t *key);

/**
 * Parse a key from base64 text (standard alphabet with padding, as written
 * by hb_key_to_base64(); surrounding whitespace ignored).
 *
 * @param key   output, written only on success.
 * @param text  NUL-terminated text (borrowed).
 * @return      0, or HB_EBADKEY if the text is not base64 or does not decode
 *              to exactly HB_KEY_LEN bytes; -EINVAL for NULL arguments.
 */
HB_EXPORT int hb_key_from_base64(hb_key_t *key, const char *text);

/**
 * Write a key as base64 text plus NUL.
 *
 * @param out  output buffer of at least HB_KEY_BASE64_LEN bytes.
 * @return     0, or -ENOBUFS if `cap` < HB_KEY_BASE64_LEN.
 */
HB_EXPORT int hb_key_to_base64(char *out, size_t cap, const hb_key_t *key);
/** Buffer size for hb_key_to_base64(), NUL included. */
#define HB_KEY_BASE64_LEN 45u

/** Wipe a key (sodium_memzero); NULL is a no-op. */
HB_EXPORT void hb_key_wipe(hb_key_t *key);

/**
 * Pack a duration into the 16 bits of the coordination block's promise
 * (and the vote response's): a minifloat of microseconds, 12-bit
 * mantissa m and 4-bit exponent e, value m << e µs (exact below 4.096 ms,
 * within 1/2048 above, at most 4095 << 15 µs, about 134 s). Rounds
 * *down*, and saturates at the maximum: a promise read back is never
 * longer than the one made.
 *
 * @param ns  duration, nanoseconds (any value).
 * @return    the packed value, (e << 12) | m.
 */
HB_EXPORT uint16_t hb_wire_duration_pack(uint64_t ns);

/** The duration of a packed value, nanoseconds (hb_wire_duration_pack()). */
HB_EXPORT uint64_t hb_wire_duration_unpack(uint16_t packed);

/** Name of a message type ("heartbeat", "leave"), or "unknown". */
HB_EXPORT const char *hb_msg_type_name(uint8_t type);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_WIRE_H */
