/* SPDX-License-Identifier: MIT */
/**
 * @file subset.h
 * @brief Topology "subset" (docs/subset.md): the hash ring, the choice of
 *        a node's monitors, the majority rule and the wire codec of its
 *        TLVs. Pure functions: no allocation, no I/O, thread-safe.
 *
 * Each node heartbeats to its k successors on a ring of node ids ordered
 * by a 64-bit FNV-1a hash (Fowler, Noll, Vo; the consistent hashing of
 * Karger et al., STOC 1997, with one point per node); they judge it with
 * the configured detector and send their verdicts to every node; every
 * node turns the verdicts of a node's monitors into its state with the
 * majority rule of the "monitors" topology (docs/topologies.md).
 */
#ifndef HBEAT_SUBSET_H
#define HBEAT_SUBSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbeat/library.h"
#include "hbeat/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most nodes one monitor's verdict TLV lists (the nodes it judges: its
 *  k predecessors on a full ring, more while some are dead). */
#define HB_SUBSET_JUDGED_MAX 32u
/** Value length of a verdict TLV with `n` entries: u32 epoch + 5 n. */
#define HB_SUBSET_VERDICT_LEN(n) (4u + 5u * (n))
/** Value length of the digest TLV: u32 entries, u64 hash. */
#define HB_SUBSET_DIGEST_LEN 12u
/** Value length of the origin TLV of a repair: u32 monitor, u64 its
 *  incarnation. */
#define HB_SUBSET_ORIGIN_LEN 12u

/**
 * Ring position of node id `id`: 64-bit FNV-1a over the 4 bytes of `id`
 * in network byte order (the same on every host).
 */
HB_EXPORT uint64_t hb_subset_ring_pos(uint32_t id);

/**
 * Sort `ids` into ring order: ascending hb_subset_ring_pos(), ties by the
 * smaller id. O(n log n), in place.
 * @return 0; -EINVAL if `ids` is NULL while n > 0, or an id is 0 or
 *         appears twice (the array is then sorted but not a ring).
 */
HB_EXPORT int hb_subset_ring_sort(uint32_t *ids, size_t n);

/**
 * A node's monitors: the first `k` ids clockwise after `subject` on
 * `ring` (sorted by hb_subset_ring_sort()), `subject` excluded, skipping
 * the ids for which `skip(ctx, id)` is true (nodes seen dead or left).
 * With fewer than k candidates, all of them. O(n) to find `subject`
 * (binary search is not possible across tie-breaks; callers keep the
 * index) plus O(k + skipped).
 * @param out  room for k ids; filled in ring order.
 * @param skip NULL: skip none.
 * @return the number of monitors written (0 .. k); -EINVAL if `ring`
 *         or `out` is NULL, k is 0 or above HB_SUBSET_K_MAX, or
 *         `subject` is not on the ring.
 */
HB_EXPORT int hb_subset_monitors(const uint32_t *ring, size_t n,
                                 uint32_t subject, uint32_t k,
                                 bool (*skip)(void *ctx, uint32_t id),
                                 void *ctx, uint32_t *out);

/**
 * The verdicts of one node's monitors as one observer counts them:
 * `counting` is how many of the k monitors count (seen alive, suspect or
 * probation, or the observer itself), the rest how many of the counting
 * ones say each verdict (unknown is counting minus the others).
 */
typedef struct hb_subset_tally {
        uint32_t k;        /**< monitors of the node (its set's size) */
        uint32_t counting; /**< monitors that count, <= k */
        uint32_t alive;    /**< of them, saying alive */
        uint32_t suspect;  /**< saying suspect */
        uint32_t dead;     /**< saying dead */
        uint32_t left;     /**< saying left */
} hb_subset_tally_t;

/**
 * The majority rule (docs/subset.md; Q = k / 2 + 1): fewer than Q
 * counting: unchanged (frozen); >= Q left: left; >= Q dead: dead (from
 * unknown with reason never_heard); >= Q suspect or dead: suspect from
 * alive, dead from probation; >= 1 alive: alive from unknown or suspect,
 * probation from dead or left (probation ends by time, the caller's
 * business); else unchanged.
 * @param cur    the node's state at the observer.
 * @param next   set to the new state (to `cur` when unchanged).
 * @param reason set with a change; may be NULL.
 * @return 1 if the state changes, 0 if not; -EINVAL if `t` or `next` is
 *         NULL, k is 0 or above HB_SUBSET_K_MAX, or the counts exceed
 *         k or counting.
 */
HB_EXPORT int hb_subset_combine(const hb_subset_tally_t *t,
                                hb_peer_state_t cur, hb_peer_state_t *next,
                                hb_reason_t *reason);

/** One verdict of a monitor on a node it judges. */
typedef struct hb_subset_verdict {
        uint32_t id;     /**< the judged node */
        uint8_t verdict; /**< hb_peer_state_t: 0 unknown, 1 alive,
                              2 suspect, 3 dead, 5 left */
} hb_subset_verdict_t;

/**
 * Encode HB_TLV_SUBSET_VERDICT (header included) into `buf`: u32 epoch
 * (the monitor's verdict version, grows on every change), then `n`
 * entries of u32 id and u8 verdict, ids strictly ascending.
 * @return bytes written (4 + HB_SUBSET_VERDICT_LEN(n)); -ENOSPC if `cap`
 *         is short; -EINVAL if an argument is NULL (`v` may be NULL with
 *         n 0), n > HB_SUBSET_JUDGED_MAX, ids not strictly ascending or
 *         0, or a verdict not one of the five.
 */
HB_EXPORT int hb_subset_verdict_encode(uint8_t *buf, size_t cap,
                                       uint32_t epoch,
                                       const hb_subset_verdict_t *v,
                                       size_t n);

/**
 * Decode the value of an HB_TLV_SUBSET_VERDICT (as hb_wire_tlv_next()
 * returns it).
 * @param out room for `cap` entries (HB_SUBSET_JUDGED_MAX always fits).
 * @return the number of entries; HB_EBADTLV if the length is not 4 + 5 n
 *         with n <= HB_SUBSET_JUDGED_MAX, ids are not strictly ascending
 *         or 0, or a verdict is not one of the five; -EINVAL if an
 *         argument is NULL or `cap` is too small.
 */
HB_EXPORT int hb_subset_verdict_decode(const uint8_t *val, size_t vlen,
                                       uint32_t *epoch,
                                       hb_subset_verdict_t *out, size_t cap);

/**
 * Fold one (judged node, monitor, verdict) triple into a digest, or take
 * it out again (the same call: XOR of a 64-bit FNV-1a of the triple, so
 * the digest of a set does not depend on order).
 */
HB_EXPORT uint64_t hb_subset_digest_fold(uint64_t digest, uint32_t id,
                                         uint32_t monitor, uint8_t verdict);

/**
 * Encode HB_TLV_SUBSET_DIGEST (header included): u32 entries (triples
 * held), u64 digest.
 * @return 4 + HB_SUBSET_DIGEST_LEN; -ENOSPC; -EINVAL if `buf` is NULL.
 */
HB_EXPORT int hb_subset_digest_encode(uint8_t *buf, size_t cap,
                                      uint32_t entries, uint64_t digest);

/**
 * Decode the value of an HB_TLV_SUBSET_DIGEST.
 * @return 0; HB_EBADTLV if `vlen` is not HB_SUBSET_DIGEST_LEN; -EINVAL
 *         if an argument is NULL.
 */
HB_EXPORT int hb_subset_digest_decode(const uint8_t *val, size_t vlen,
                                      uint32_t *entries, uint64_t *digest);

/**
 * Encode HB_TLV_SUBSET_ORIGIN (header included): u32 `monitor`, u64
 * `incarnation`, the monitor whose verdicts the next
 * HB_TLV_SUBSET_VERDICT of a repair lists (docs/subset.md, "Repair").
 * @return 4 + HB_SUBSET_ORIGIN_LEN; -ENOSPC; -EINVAL if `buf` is NULL
 *         or `monitor` is 0.
 */
HB_EXPORT int hb_subset_origin_encode(uint8_t *buf, size_t cap,
                                      uint32_t monitor,
                                      uint64_t incarnation);

/**
 * Decode the value of an HB_TLV_SUBSET_ORIGIN.
 * @return 0; HB_EBADTLV if `vlen` is not HB_SUBSET_ORIGIN_LEN or the
 *         monitor is 0; -EINVAL if an argument is NULL.
 */
HB_EXPORT int hb_subset_origin_decode(const uint8_t *val, size_t vlen,
                                      uint32_t *monitor,
                                      uint64_t *incarnation);

/** Topology "subset" state of one node (hb_node_subset_info()). Public,
 *  read-only. */
typedef struct hb_subset_info {
        bool enabled;              /**< the topology is on */
        uint32_t k;                /**< configured monitors per node */
        uint32_t n_monitors;       /**< this node's monitors now (< k
                                        with fewer live nodes) */
        uint32_t monitors[HB_SUBSET_K_MAX]; /**< their ids, ring order:
                                        this node heartbeats to them */
        uint32_t n_judged;         /**< peers this node judges (it is one
                                        of their monitors) */
        uint32_t epoch;            /**< version of this node's verdicts */
        uint32_t digest_entries;   /**< triples not "alive" held here */
        uint64_t digest;           /**< their digest (docs/subset.md) */
        uint64_t reserved[4];      /**< 0 */
} hb_subset_info_t;

/**
 * Fill `out` (zeroed, enabled false, when the topology is off). The
 * monitor sets are those of the latest recomputation (a node seen dead
 * or left is skipped).
 */
HB_EXPORT void hb_node_subset_info(const hb_node_t *node,
                                   hb_subset_info_t *out);

/** One peer as the subset topology sees it here
 *  (hb_node_subset_peer()). Public, read-only. */
typedef struct hb_subset_peer_info {
        bool judged;               /**< this node is one of its monitors */
        uint8_t own_verdict;       /**< judged: this node's verdict
                                        (hb_peer_state_t; 0 unknown) */
        uint32_t n_monitors;       /**< its monitors here */
        uint32_t monitors[HB_SUBSET_K_MAX]; /**< their ids, ring order */
        uint8_t verdicts[HB_SUBSET_K_MAX];  /**< the latest verdict of
                                        each on it held here (this
                                        node's own for itself) */
        uint64_t reserved[2];      /**< 0 */
} hb_subset_peer_info_t;

/**
 * The monitors of peer `peer_id` and their verdicts on it, as this node
 * holds them (its state, hb_peer_info_t.state, is their majority).
 * @return 0; -ENOENT (unknown peer); -EINVAL if the topology is off or
 *         an argument is NULL.
 */
HB_EXPORT int hb_node_subset_peer(const hb_node_t *node,
                                  uint32_t peer_id,
                                  hb_subset_peer_info_t *out);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_SUBSET_H */
