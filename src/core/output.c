/* SPDX-License-Identifier: MIT */
/*
 * DOC: output — the node's one way out (sans-I/O).
 *
 * What lives here: the output queue every message the node wants sent
 * goes through — heartbeats and leaves (HB_DEST_ALL), ACKs
 * (HB_DEST_REPLY), vote requests and responses (HB_DEST_PEER) — and the
 * one function that fills a message header and encodes it into the queue.
 * The caller drains the queue with hb_node_poll_output() after every call
 * into the node (node.h), like nghttp2's nghttp2_session_mem_send2(): one
 * way in (hb_node_recv/tick), one way out.
 *
 * The queue is a ring of fixed-size slots (HB_OUTPUT_MAX_LEN bytes of
 * message each), allocated at hb_node_new() and grown by doubling up to
 * HB_OUTPUT_BASE + 2 messages per peer (a candidate queues a request per
 * peer; ACKs and votes answer at most one message each). Drained after
 * every call, it holds a message or two; the bound only matters for a
 * caller that stops draining. When it cannot grow, the oldest message is
 * dropped: a newer heartbeat, vote request or response supersedes it.
 *
 * Hints (hb_output_t.hints): a message may carry HB_OUTPUT_RELIABLE, the
 * driver's cue that it would rather go over a reliable stream than a
 * datagram (hier.c: the coordinators' summaries and global votes). The
 * core's behaviour does not depend on them: every message is still
 * made eventually reliable by state and repair, whatever carries it.
 *
 * Sequence spaces: heartbeats and leaves use node->seq (the peer's replay
 * check and the detector's loss count run on it); ACKs and vote messages
 * use node->ack_seq, checked separately by the receiver (node.c
 * on_control()), so control traffic never makes a heartbeat look lost.
 */
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/node_impl.h"

_Static_assert(HB_OUTPUT_MAX_LEN >= HB_WIRE_COORD_HEARTBEAT_LEN +
                       HB_WIRE_NONCE_LEN,
               "an encrypted heartbeat with coordination fits an output slot");
_Static_assert(HB_OUTPUT_MAX_LEN >= HB_WIRE_ACK_LEN + HB_WIRE_NONCE_LEN,
               "an encrypted ACK fits an output slot");
_Static_assert(HB_OUTPUT_MAX_LEN >= HB_WIRE_HEADER_LEN + HB_WIRE_NONCE_LEN +
                       2 * HB_WIRE_TLV_HEADER_LEN + HB_VOTE_TLV_LEN + 16 +
                       HB_WIRE_TAG_LEN,
               "an encrypted vote response fits an output slot");
_Static_assert(HB_OUTPUT_MAX_LEN >= HB_WIRE_HEADER_LEN + HB_WIRE_NONCE_LEN +
                       2 * HB_WIRE_TLV_HEADER_LEN + HB_VOTE_TLV_LEN + 12 +
                       HB_WIRE_TAG_LEN,
               "an encrypted vote request with EXITED fits an output slot");

int hb__out_init(hb_node_t *node)
{
        node->out = hb__calloc(HB_OUTPUT_INITIAL, sizeof(*node->out));
        if (!node->out)
                return -ENOMEM;
        node->out_cap = HB_OUTPUT_INITIAL;
        node->out_head = 0;
        node->out_n = 0;
        return 0;
}

void hb__out_free(hb_node_t *node)
{
        hb__free(node->out);
        node->out = NULL;
        node->out_cap = node->out_n = node->out_head = 0;
}

static size_t out_limit(const hb_node_t *node)
{
        return HB_OUTPUT_BASE + 2 * node->n_peers;
}

/* Room for one more message: grow, or drop the oldest. 0, or -ENOBUFS
 * when the oldest was dropped. */
static int out_reserve(hb_node_t *node)
{
        size_t cap, i;
        hb_out_t *ring;

        if (node->out_n < node->out_cap)
                return 0;
        if (node->out_cap < out_limit(node)) {
                cap = 2 * node->out_cap;
                if (cap > out_limit(node))
                        cap = out_limit(node);
                ring = hb__malloc(cap * sizeof(*ring));
                if (ring) {
                        /* Unwrap: oldest first at index 0. */
                        for (i = 0; i < node->out_n; i++)
                                ring[i] = node->out[(node->out_head + i) %
                                                    node->out_cap];
                        hb__free(node->out);
                        node->out = ring;
                        node->out_cap = cap;
                        node->out_head = 0;
                        return 0;
                }
        }
        node->out_head = (node->out_head + 1) % node->out_cap;
        node->out_n--;
        node->counters.output_dropped++;
        return -ENOBUFS;
}

int hb__out_push(hb_node_t *node, hb_dest_t dest, uint32_t peer_id,
                 uint8_t type, uint16_t flags, const uint8_t *tlv,
                 size_t tlv_len, uint64_t now_ns)
{
        return hb__out_push_coord(node, dest, peer_id, type, flags, NULL,
                                  tlv, tlv_len, now_ns);
}

/* Encode `m` with the primary key; an AEAD key takes a fresh nonce from
 * the driver's randomness (cfg.random: the core draws none itself). */
static int encode(hb_node_t *node, uint8_t *buf, size_t cap,
                  const hb_wire_msg_t *m)
{
        uint8_t nonce[HB_WIRE_NONCE_LEN];
        int slot = hb_keyring_find(&node->ring, node->ring.primary);

        if (slot >= 0 && node->ring.modes[slot] == HB_WIRE_MODE_AEAD) {
                node->cfg.random(node->cfg.random_user, nonce,
                                 sizeof(nonce));
                return hb_wire_encode(buf, cap, m, &node->ring, nonce);
        }
        return hb_wire_encode(buf, cap, m, &node->ring, NULL);
}

int hb__out_push_coord(hb_node_t *node, hb_dest_t dest, uint32_t peer_id,
                       uint8_t type, uint16_t flags, const uint8_t *coord,
                       const uint8_t *tlv, size_t tlv_len, uint64_t now_ns)
{
        bool control = type != HB_MSG_HEARTBEAT && type != HB_MSG_LEAVE;
        uint64_t *seq = control ? &node->ack_seq : &node->seq;
        hb_wire_msg_t m;
        hb_out_t *o;
        int r, n;

        r = out_reserve(node);
        o = &node->out[(node->out_head + node->out_n) % node->out_cap];
        memset(&m, 0, sizeof(m));
        m.type = type;
        m.flags = flags;
        m.cluster_id = node->cfg.cluster_id;
        m.sender_id = node->cfg.node_id;
        m.incarnation = node->cfg.incarnation;
        m.seq = *seq + 1;
        m.send_time_ns = now_ns;
        m.tlv = tlv;
        m.tlv_len = tlv_len;
        m.coord = coord;
        n = encode(node, o->buf, sizeof(o->buf), &m);
        if (n < 0)
                return n; /* cannot happen: every message fits a slot */
        (*seq)++;
        node->counters.tx_messages++;
        o->dest = (uint8_t)dest;
        o->peer_id = peer_id;
        o->type = type;
        o->hints = 0;
        o->len = (uint16_t)n;
        node->out_n++;
        return r;
}

int hb__out_push_raw(hb_node_t *node, hb_dest_t dest, uint32_t peer_id,
                     uint8_t type, const uint8_t *buf, size_t len)
{
        hb_out_t *o;
        int r;

        if (len > HB_OUTPUT_MAX_LEN)
                return -EMSGSIZE; /* a relay of a message too long */
        r = out_reserve(node);
        o = &node->out[(node->out_head + node->out_n) % node->out_cap];
        memcpy(o->buf, buf, len);
        o->dest = (uint8_t)dest;
        o->peer_id = peer_id;
        o->type = type;
        o->hints = 0;
        o->len = (uint16_t)len;
        node->counters.tx_messages++;
        node->out_n++;
        return r;
}

int hb__out_dup_last(hb_node_t *node, hb_dest_t dest, uint32_t peer_id)
{
        hb_out_t copy, *o;
        int r;

        if (node->out_n == 0)
                return -ENOENT;
        copy = node->out[(node->out_head + node->out_n - 1) % node->out_cap];
        r = out_reserve(node);
        o = &node->out[(node->out_head + node->out_n) % node->out_cap];
        *o = copy;
        o->dest = (uint8_t)dest;
        o->peer_id = peer_id;
        o->hints = 0;
        node->counters.tx_messages++;
        node->out_n++;
        return r;
}

void hb__out_hint_last(hb_node_t *node, uint8_t hints)
{
        if (node->out_n > 0)
                node->out[(node->out_head + node->out_n - 1) % node->out_cap]
                        .hints = hints;
}

int hb_node_poll_output(hb_node_t *node, hb_output_t *out, uint8_t *buf,
                        size_t cap)
{
        const hb_out_t *o;

        if (!node || !out || !buf)
                return -EINVAL;
        if (node->out_n == 0)
                return 0;
        o = &node->out[node->out_head];
        if (cap < o->len)
                return -ENOBUFS;
        memcpy(buf, o->buf, o->len);
        out->dest = (hb_dest_t)o->dest;
        out->peer_id = o->peer_id;
        out->type = o->type;
        out->hints = o->hints;
        node->out_head = (node->out_head + 1) % node->out_cap;
        node->out_n--;
        return o->len;
}

size_t hb_node_output_pending(const hb_node_t *node)
{
        return node ? node->out_n : 0;
}
