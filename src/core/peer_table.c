/* SPDX-License-Identifier: MIT */
/*
 * DOC: peer_table — where a node keeps its peers, and finds them again.
 *
 * What lives here: the three structures of struct hb_node (node_impl.h)
 * that hold the peer records, and their growing / shrinking operations:
 *
 * - node->peers: array of record pointers sorted by id. It gives a stable
 *   order for introspection (hb_node_peer_at()) and per-peer loops;
 *   binary search finds an id's position for insert and remove.
 * - node->slots: hash index id -> record, open addressing with linear
 *   probing and Fibonacci hashing (ids are often small consecutive
 *   integers). Id 0 marks an empty slot; 0 is never a peer id. At most
 *   half full (n_slots >= 2 * n_peers, a power of two), so probes stay
 *   short. Removal re-inserts the rest of the probe cluster instead of
 *   leaving tombstones, so lookups never slow down with churn.
 * - node->heap: binary min-heap of the peers that have a deadline, keyed
 *   on deadline_ns, each record knowing its heap_index. It has the same
 *   capacity as the sorted array, so moving a peer in it cannot fail.
 *
 * Who calls what: only node.c, with the node's invariants held between
 * calls (every peer in all of peers and slots; in the heap exactly when
 * its deadline_ns != HB_NEVER). election.c only reads, through
 * hb__lookup(). Growth follows the core's all-or-nothing rule: on
 * -ENOMEM the table is as it was.
 *
 * Why some of it is in node_impl.h: hb__lookup() and the heap operations
 * (hb__heap_update() and what it calls) run for every datagram and every
 * heartbeat. They are `static inline` in the header so that node.c
 * compiles them as it did when they were its own static functions (no
 * call through the PLT: the library is built without LTO, and hb__
 * symbols are not hidden). What is here runs only when peers are added
 * or removed, or when the node is created.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/node_impl.h"

/* ------------------------------------------------------------------ */
/* Hash index: id -> peer                                              */

static void slots_insert(hb_slot_t *slots, size_t n_slots, hb_peer_t *p)
{
        size_t mask = n_slots - 1;
        size_t i = hb__slot_of(p->id, n_slots);

        while (slots[i].id != 0)
                i = (i + 1) & mask;
        slots[i].id = p->id;
        slots[i].peer = p;
}

int hb__slots_rebuild(hb_node_t *node, size_t n_peers)
{
        size_t n_slots = 16, i;
        hb_slot_t *slots;

        while (n_slots < 2 * n_peers)
                n_slots *= 2;
        slots = hb__calloc(n_slots, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (i = 0; i < n_peers; i++)
                slots_insert(slots, n_slots, node->peers[i]);
        hb__free(node->slots);
        node->slots = slots;
        node->n_slots = n_slots;
        return 0;
}

/* Delete `id` (present) from the linear-probing table without tombstones:
 * re-insert the rest of the cluster that follows the hole. */
static void slots_remove(hb_node_t *node, uint32_t id)
{
        size_t mask = node->n_slots - 1, i, j;

        for (i = hb__slot_of(id, node->n_slots); node->slots[i].id != id;
             i = (i + 1) & mask)
                ;
        node->slots[i].id = 0;
        node->slots[i].peer = NULL;
        for (j = (i + 1) & mask; node->slots[j].id != 0; j = (j + 1) & mask) {
                hb_peer_t *q = node->slots[j].peer;

                node->slots[j].id = 0;
                node->slots[j].peer = NULL;
                slots_insert(node->slots, node->n_slots, q);
        }
}

/* ------------------------------------------------------------------ */
/* Sorted peer array                                                   */

int hb__peers_reserve(hb_node_t *node)
{
        size_t cap;
        hb_peer_t **peers, **heap;

        if (node->n_peers < node->cap_peers)
                return 0;
        cap = node->cap_peers ? 2 * node->cap_peers : 8;
        peers = hb__realloc(node->peers, cap * sizeof(*peers));
        if (!peers)
                return -ENOMEM;
        node->peers = peers;
        heap = hb__realloc(node->heap, cap * sizeof(*heap));
        if (!heap)
                return -ENOMEM; /* peers grew: harmless, cap unchanged */
        node->heap = heap;
        node->cap_peers = cap;
        return 0;
}

/* Index in the sorted array where `id` is or would be inserted. */
static size_t sorted_pos(const hb_node_t *node, uint32_t id)
{
        size_t lo = 0, hi = node->n_peers;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (node->peers[mid]->id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

int hb__peers_insert(hb_node_t *node, hb_peer_t *p)
{
        size_t pos;
        int r;

        assert(node->n_peers < node->cap_peers);
        assert(p->deadline_ns == HB_NEVER);
        pos = sorted_pos(node, p->id);
        memmove(&node->peers[pos + 1], &node->peers[pos],
                (node->n_peers - pos) * sizeof(node->peers[0]));
        node->peers[pos] = p;
        node->n_peers++;
        if (node->n_slots < 2 * node->n_peers) {
                r = hb__slots_rebuild(node, node->n_peers);
                if (r < 0) {
                        node->n_peers--;
                        memmove(&node->peers[pos], &node->peers[pos + 1],
                                (node->n_peers - pos) *
                                        sizeof(node->peers[0]));
                        return r;
                }
        } else {
                slots_insert(node->slots, node->n_slots, p);
        }
        return 0;
}

void hb__peers_remove(hb_node_t *node, hb_peer_t *p)
{
        size_t pos;

        hb__heap_remove(node, p);
        pos = sorted_pos(node, p->id);
        assert(pos < node->n_peers && node->peers[pos] == p);
        memmove(&node->peers[pos], &node->peers[pos + 1],
                (node->n_peers - pos - 1) * sizeof(node->peers[0]));
        node->n_peers--;
        slots_remove(node, p->id);
}
