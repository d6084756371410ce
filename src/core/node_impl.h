/* SPDX-License-Identifier: MIT */
/*
 * Private to the node core: the node and peer records shared by node.c
 * (state machine, deadlines, traffic), peer_table.c (hash index, sorted
 * peer array, deadline heap) and election.c (quorum, roles, terms,
 * votes). Not installed; nothing outside src/core includes it.
 *
 * Who may touch what: node.c owns the peer table and the heap (their
 * operations: peer_table.c, hot ones inline below) and the
 * replay/detector fields; election.c owns `coord` and the peer fields
 * marked "coordination", and is told about every peer state change and
 * every accepted heartbeat / vote message through the hb__coord_*() hooks
 * below. The hooks are no-ops (one branch) when coordination is off, so
 * the hot path is unchanged then.
 */
#ifndef HB_CORE_NODE_IMPL_H
#define HB_CORE_NODE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbeat/node.h"

/* RTT samples kept per peer (a ring; percentiles computed on demand). */
#define RTT_WINDOW 64
/* Verdicts kept per peer in the subset topology (subset.c). */
#define HB_SUBSET_VIEW_MAX 8u

/* One link of one peer (docs/links.md): only with cfg.n_links > 1. Its
 * own detector, replay state (heartbeat seq space), RTT ring and link
 * state; the peer's state machine runs on the peer's detector, fed with
 * the first copy of every heartbeat (node.c). */
typedef struct hb_link {
        hb_link_state_t state;
        bool suspect;                  /* up, but above suspect_threshold
                                          since suspect_since_ns (no event:
                                          counts towards dead_after) */
        bool rebase_next;              /* as hb_peer.rebase_next */
        uint8_t rtt_pos, rtt_count;
        uint64_t state_since_ns;
        uint64_t suspect_since_ns;
        uint64_t probation_start_ns;
        uint64_t incarnation;          /* 0: never heard on this link */
        uint64_t last_seq;
        uint64_t received;
        uint64_t seq_gaps;
        uint64_t replays;
        uint64_t transitions;
        hb_detector_t *detector;
        uint32_t class_seq;            /* its class_seq on this link, last
                                          accepted (0: none) */
        uint32_t rtt_us[RTT_WINDOW];
} hb_link_t;

typedef struct hb_peer {
        uint32_t id;
        hb_peer_state_t state;
        uint64_t state_since_ns;
        uint64_t probation_start_ns;
        uint64_t incarnation;          /* 0: never heard */
        uint64_t last_seq;
        uint64_t last_send_time_ns;
        uint64_t received;
        uint64_t seq_gaps;
        uint64_t replays;
        uint64_t old_incarnations;     /* dropped as HB_EOLDINC */
        uint64_t bad_sources;          /* dropped as HB_EBADSRC */
        uint64_t transitions;
        uint64_t deadline_ns;          /* HB_NEVER: not in the heap */
        size_t heap_index;
        hb_detector_t *detector;
        uint32_t cls;                  /* class index: node->cls[cls] */
        uint64_t ann_interval_ns;      /* its INTERVAL TLV, last accepted
                                          (docs/classes.md); 0: none */
        uint64_t ann_next_interval_ns;
        uint32_t class_seq;            /* its class_seq, last accepted */
        uint64_t app_interval_ns;      /* the announced interval its
                                          detectors follow, clamped to its
                                          class's bounds; 0: the class's */
        bool mismatch_warned;          /* HB_EVENT_CLASS_MISMATCH raised;
                                          again only after it announced
                                          within bounds */
        uint64_t last_ack_seq;         /* control messages (ACK, votes):
                                          their own seq space */
        hb_link_t *links;              /* n_links of them, or NULL with
                                          one link */
        uint32_t n_links;              /* cfg.n_links when links */
        bool link_heard;               /* a datagram came on some link:
                                          from then on a link never heard
                                          goes down (never_heard); a peer
                                          fed only by hb_node_peer_heard()
                                          (pull, push) has no link events */
        bool exited;                   /* dead by port unreachable: its
                                          process is gone (this state) */
        bool rebase_next;              /* after a local pause: the next
                                          heartbeat adds no sample */
        bool roaming;                  /* accepted from any address
                                          (hb_node_peer_set_roaming()) */
        bool forgotten;                /* hb_node_peer_forget(): the next
                                          message's incarnation is taken
                                          as it comes */
        bool held;                     /* hb_node_peer_hold(): not judged
                                          (no deadline) until released */
        uint8_t rtt_count;             /* samples in rtt_us, <= RTT_WINDOW */
        uint8_t rtt_pos;               /* next slot to write */
        uint32_t rtt_us[RTT_WINDOW];   /* round-trip times, µs */

        /* Coordination (election.c). */
        uint32_t votes;                /* default 1 */
        bool ever_alive;               /* for wait_for_all */
        bool has_coord;                /* sent a coordination block */
        uint8_t c_role;                /* from its last coordination */
        uint8_t c_priority;            /*   block and flags */
        uint16_t c_flags;
        uint64_t c_term;
        uint64_t c_support_end_ns;     /* its last heartbeat supported a
                                          leader: its promise ends by
                                          about then (our clock) */
        uint16_t c_echo;               /* the echo that promise came
                                          with */
        uint64_t granted_term;         /* term in which it granted us its
                                          vote (the per-term voter set) */
        uint64_t named_term;           /* its heartbeat named us leader
                                          in this term (established) */
        uint64_t support_term;         /* lease: supports us as leader in */
        uint64_t support_until_ns;     /*   support_term until this time */
        uint64_t echo_term;            /* its latest echo of our leader */
        uint64_t echo_seq;             /*   heartbeats, resolved (term) */
        uint64_t alive_since_ns;       /* for preempt: alive since */
        uint64_t g_trust_until_ns;     /* topology gossip: its latest
                                          coordination heartbeat, plus
                                          the promise made on it (a
                                          leader silent past this is not
                                          followed, election.c) */

        /* Topology "monitors" (monitors.c): only for members that are
         * not monitors ("driven" peers, their state follows the
         * monitors' verdicts). */
        uint8_t m_raw;                 /* a monitor's own verdict from
                                          its detector (hb_peer_state_t) */
        bool m_left;                   /* a monitor got its leave, and no
                                          heartbeat since */
        uint64_t m_suspect_since_ns;   /* m_raw suspect since */
        uint64_t m_eval_ns;            /* its latest combination */
        uint8_t m_view[HB_MONITORS_MAX]; /* latest verdict of monitor i
                                          (cfg.monitors[i]) */

        /* Topology "subset" (subset.c): this peer's monitors here (its
         * live ring successors), whether this node is one of them, and
         * the latest verdicts heard from monitors on it. */
        uint32_t s_mon[HB_SUBSET_K_MAX];
        uint8_t s_n_mon;
        bool s_judge;
        bool s_gone;                   /* seen dead or left (last seen) */
        uint32_t s_ring_idx;           /* its index in the ring */
        uint32_t s_vid[HB_SUBSET_VIEW_MAX]; /* monitor ids (0: free) */
        uint8_t s_v[HB_SUBSET_VIEW_MAX];    /*   and their verdicts */
        uint64_t s_inc;                /* as a monitor: incarnation and */
        uint32_t s_epoch;              /*   epoch of its verdicts held */
        bool s_diff;                   /* its last digest differed here */
        uint64_t s_repaired_ns;        /* last repair sent to it */

        /* Topology "hierarchy" (hier.c). */
        uint32_t h_region;             /* 0: not set */
        bool h_elector;                /* an elector of its region */
        uint64_t h_heard_ns;           /* last heartbeat, coordinator */
        uint64_t h_repaired_ns;        /* last repair sent to it */
} hb_peer_t;

typedef struct hb_slot {
        uint32_t id;                   /* 0: empty (0 is never a peer id) */
        hb_peer_t *peer;
} hb_slot_t;

/* Drop counters, indexed by -err - 10001 for HB_ETRUNC .. HB_EFUTUREINC
 * (error.h; HB_EBADKEY and HB_ENOTOURS have unused slots). */
#define HB_N_DROP_REASONS 19

/* One message of the output queue (output.c). */
typedef struct hb_out {
        uint32_t peer_id;
        uint8_t dest;                  /* hb_dest_t */
        uint8_t type;                  /* enum hb_msg_type */
        uint16_t len;
        uint8_t hints;                 /* HB_OUTPUT_* (node.h) */
        uint8_t buf[HB_OUTPUT_MAX_LEN];
} hb_out_t;

/* Output queue: initial capacity, and the growth bound beyond the
 * 2-per-peer part (node.h, hb_node_poll_output()). */
#define HB_OUTPUT_INITIAL 16u
#define HB_OUTPUT_BASE 64u

/* Own heartbeats whose send time a leader remembers (the echoes of its
 * supporters name one of them). With classes the sequence is shared:
 * 256 covers a supporter two heartbeats away in a class 100 times slower
 * than the fastest (docs/classes.md, "Election and per-class timing");
 * an older echo counts from the start of the leadership (earlier: safe). */
#define HB_SENT_RING 256u

typedef struct hb_coord {
        hb_role_t role;
        uint64_t term;
        uint32_t voted_for;
        uint32_t leader_id;            /* followed (own id when leading) */
        uint32_t reported_leader;      /* leader_id last reported in an
                                          HB_EVENT_ROLE */
        bool quorate;
        bool waiting_for_all;          /* latched off once all were seen */
        bool started;                  /* a call with a time was seen */
        uint32_t votes_present;
        uint32_t expected_votes;
        uint32_t quorum_votes;
        uint64_t now_ns;               /* latest time seen */
        uint64_t role_since_ns;
        uint64_t elections_started;
        uint64_t election_deadline_ns; /* follower: stand; candidate: give
                                          up this term */
        uint64_t elect_start_ns;       /* candidate: term started */
        uint64_t resend_ns;            /* candidate: retransmit requests */
        uint64_t lease_check_ns;       /* leader: earliest lease expiry */
        uint64_t hold_until_ns;        /* promise: no vote for another
                                          candidate before this (start,
                                          votes granted) */
        uint32_t hold_leader_id;       /* promise made by naming this
                                          leader in our heartbeats ... */
        uint64_t hold_leader_until_ns; /* ... binds until then, unless
                                          that leader exited */
        uint64_t yield_until_ns;       /* preempt: do not stand before */
        bool established;              /* leader, named by a quorum */
        uint32_t deadline_rank;        /* rank() when the follower's
                                          election deadline was set */
        uint32_t exited_leader_id;     /* the leader we followed exited
                                          (told to voters, HB_TLV_EXITED) */
        bool fault;                    /* hb_node_set_fault(): never lead
                                          nor stand while set */
        bool resource;                 /* hb_node_set_resource() */
        bool announce;                 /* send a heartbeat now, out of
                                          schedule: this node just became
                                          leader or follows a new one */
        uint32_t announced_leader;     /* ... the leader and term of the */
        uint64_t announced_term;       /*     last such announcement */
        uint64_t rng;                  /* xorshift64* state, never 0 */

        /* Lease (election.c, "The lease"). */
        uint64_t promise_max_ns;       /* longest promise made; start-up
                                          hold without a restored one */
        bool restored_hold;            /* hb_node_restore_promise() ran */
        uint64_t persisted_hold_ns;    /* promises up to this time are
                                          durable (HB_EVENT_TERM) */
        /* Follower: the latest heartbeat accepted from the leader it
         * follows, which its own heartbeats echo as support. */
        uint32_t sup_leader;
        uint64_t sup_term;
        uint64_t sup_seq;
        uint64_t sup_arrival_ns;
        uint64_t sup_promise_ns;       /* from sup_arrival_ns */
        /* Leader: when each recent heartbeat of ours was queued, to date
         * the echoes; heartbeats from lead_first_seq on were sent as
         * leader, not before lead_since_ns. */
        uint64_t sent_seq[HB_SENT_RING];
        uint64_t sent_ns[HB_SENT_RING];
        uint64_t lead_first_seq;
        uint64_t lead_since_ns;
        /* A vote request that came while we were bound by a promise:
         * answered when the promise ends (if still grantable). */
        uint32_t deferred_id;
        uint64_t deferred_term;
        uint64_t deferred_seq;         /* the request's seq, send time */
        uint64_t deferred_sent_ns;
} hb_coord_t;

struct hb_node {
        hb_node_config_t cfg;
        hb_event_cb cb;
        void *user;
        uint64_t seq;
        uint64_t ack_seq;              /* control messages' seq space */
        uint64_t pause_resume_ns;      /* last local pause */

        /* Heartbeat schedule (node.c). */
        uint64_t next_send_ns;         /* next heartbeat due; HB_NEVER
                                          after hb_node_leave() */
        bool sending;                  /* the first heartbeat went out */
        uint64_t pause_handled_ns;     /* next_send_ns when the last late
                                          call was taken for a local pause
                                          (once per pause) */

        /* Output queue (output.c): a ring, oldest at out_head. */
        hb_out_t *out;
        size_t out_cap, out_head, out_n;

        hb_peer_t **peers;             /* sorted by id */
        size_t n_peers;
        size_t cap_peers;

        hb_slot_t *slots;              /* open addressing, linear probing */
        size_t n_slots;                /* power of two, >= 2 * n_peers */

        hb_peer_t **heap;              /* min-heap on deadline_ns */
        size_t n_heap;

        /* The ring in force (cfg.keyring, or the one-key form cfg.key
         * as id 0) and per slot how many messages it verified and when
         * the last came (hb_node_key_at()). */
        hb_keyring_t ring;
        uint64_t key_rx[HB_KEYRING_MAX];
        uint64_t key_last_ns[HB_KEYRING_MAX];

        hb_node_counters_t counters;
        uint64_t drops[HB_N_DROP_REASONS];

        /* Peer classes (docs/classes.md): [0] the node's own timing
         * (from cfg), [i] cfg.classes[i - 1]; kept by sync_classes(). */
        hb_class_config_t cls[HB_CLASSES_MAX + 1];
        /* Next heartbeat due per class c >= 1 (class 0: next_send_ns);
         * 0: never sent (the next tick sends). */
        uint64_t cnext_ns[HB_CLASSES_MAX + 1];
        uint32_t n_classes_sched;      /* classes cnext_ns[] is for */
        uint32_t cseq[HB_CLASSES_MAX + 1]; /* class_seq of the last
                                              heartbeat sent per class */
        /* Sender side of each class's interval (docs/classes.md): the
         * one kept now, the one announced next (== civ when steady), the
         * announcements still to send before a rise takes effect, and
         * the adaptive rule's state. */
        uint64_t civ[HB_CLASSES_MAX + 1];
        uint64_t cnext_iv[HB_CLASSES_MAX + 1];
        uint32_t cannounce[HB_CLASSES_MAX + 1];
        uint32_t chold[HB_CLASSES_MAX + 1];   /* evaluations wanting a
                                                 decrease in a row */
        uint64_t ceval_ns[HB_CLASSES_MAX + 1]; /* next evaluation; 0:
                                                  not started */
        uint64_t crx[HB_CLASSES_MAX + 1];     /* received + seq_gaps of */
        uint64_t cgaps[HB_CLASSES_MAX + 1];   /* the class's peers at the
                                                 last evaluation */
        uint64_t crtt_max_ns[HB_CLASSES_MAX + 1]; /* largest RTT sample of
                                                     the class's peers since
                                                     the last evaluation */

        /* This node's wall clock at the latest hb_node_set_wall_clock(),
         * ns since the epoch; 0: never given (no incarnation bound). */
        uint64_t wall_ns;

        hb_coord_t coord;

        /* Topology "monitors" (monitors.c). */
        int m_self;                    /* index of this node in
                                          cfg.monitors, -1: a member */
        bool m_changed;                /* a monitor: a verdict changed
                                          since the last ones were sent */

        /* Topology "subset" (subset.c); NULL in the others. */
        struct hb_subset *subset;

        /* Topology "gossip" (swim.c); NULL in the other topologies. */
        struct hb_swim *swim;
        /* Topology "hierarchy" (hier.c); NULL when off. */
        struct hb_hier *hier;
        /* hb_node_recv_link()'s datagram, for hier.c's relays. */
        const uint8_t *rx_buf;
        size_t rx_len;
        /* A TLV every heartbeat of this node carries (set by hier.c on
         * the global level's inner node: the coordinator's view
         * digest); 0: none. */
        uint8_t beat_tlv[8];
        size_t beat_tlv_len;
};

/* Median, p99 (nearest rank) and latest of an RTT ring (µs), in ns
 * (node_info.c); untouched but *samples when the ring is empty. */
void hb__ring_stats(const uint32_t *ring, size_t n, size_t pos,
                    uint32_t *samples, uint64_t *median_ns, uint64_t *p99_ns,
                    uint64_t *last_ns);

/* Class i of `cfg` (0: the node's own timing), into `out` (node.c). */
void hb__class_at(const hb_node_config_t *cfg, uint32_t i,
                  hb_class_config_t *out);

/* The slowest interval class `c` may keep: its max_interval when
 * adaptive, else its interval. */
static inline uint64_t hb__class_slowest_ns(const hb_class_config_t *c)
{
        return c->adaptive.max_interval_ns > c->interval_ns
                       ? c->adaptive.max_interval_ns
                       : c->interval_ns;
}

/* The interval the election's liveness timings count in (election.c). */
uint64_t hb__election_interval_ns(const hb_node_t *node);

/* The timing peer `p` is judged with (its class, docs/classes.md). */
static inline const hb_class_config_t *hb__class_of(const hb_node_t *node,
                                                    const struct hb_peer *p)
{
        return &node->cls[p->cls];
}

/* ---- peer table (peer_table.c; hot parts inline here) ------------ */

/* Times in ns for node.c and election.c: HB_NEVER is "never", and a sum
 * saturates there. */
static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
        return a < b ? a : b;
}

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
        return a > b ? a : b;
}

static inline uint64_t add_sat(uint64_t a, uint64_t b)
{
        return a > HB_NEVER - b ? HB_NEVER : a + b;
}

/*
 * See the overview in peer_table.c. The lookup and the heap run for every
 * datagram and heartbeat, hence `static inline` here; only node.c changes
 * the table, election.c may look peers up.
 */

static inline size_t hb__slot_of(uint32_t id, size_t n_slots)
{
        /* Fibonacci hashing: ids are often small consecutive integers. */
        return (size_t)((id * UINT32_C(2654435769)) & (n_slots - 1));
}

static inline hb_peer_t *hb__lookup(const hb_node_t *node, uint32_t id)
{
        size_t mask, i;

        if (node->n_slots == 0 || id == 0)
                return NULL;
        mask = node->n_slots - 1;
        for (i = hb__slot_of(id, node->n_slots);; i = (i + 1) & mask) {
                if (node->slots[i].id == id)
                        return node->slots[i].peer;
                if (node->slots[i].id == 0)
                        return NULL;
        }
}

/* Rebuild the index for the first `n_peers` entries of node->peers, sized
 * for them (at least 16 slots); all or nothing. 0 or -ENOMEM. */
int hb__slots_rebuild(hb_node_t *node, size_t n_peers);
/* Make room for one more peer in the sorted array and the heap.
 * 0 or -ENOMEM (nothing lost: the table is unchanged in use). */
int hb__peers_reserve(hb_node_t *node);
/* Add `p` (caller-owned until hb__peers_remove(); id not yet present,
 * deadline_ns == HB_NEVER) to the sorted array and the index, after
 * hb__peers_reserve(). All or nothing: 0 or -ENOMEM. The caller then
 * gives it a deadline with hb__heap_update(). */
int hb__peers_insert(hb_node_t *node, hb_peer_t *p);
/* Take `p` out of the heap, the sorted array and the index; the caller
 * frees it. */
void hb__peers_remove(hb_node_t *node, hb_peer_t *p);

static inline void hb__heap_set(hb_node_t *node, size_t i, hb_peer_t *p)
{
        node->heap[i] = p;
        p->heap_index = i;
}

static inline void hb__heap_sift_up(hb_node_t *node, size_t i)
{
        hb_peer_t *p = node->heap[i];

        while (i > 0) {
                size_t parent = (i - 1) / 2;

                if (node->heap[parent]->deadline_ns <= p->deadline_ns)
                        break;
                hb__heap_set(node, i, node->heap[parent]);
                i = parent;
        }
        hb__heap_set(node, i, p);
}

static inline void hb__heap_sift_down(hb_node_t *node, size_t i)
{
        hb_peer_t *p = node->heap[i];

        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                uint64_t best = p->deadline_ns;

                if (l < node->n_heap && node->heap[l]->deadline_ns < best) {
                        m = l;
                        best = node->heap[l]->deadline_ns;
                }
                if (r < node->n_heap && node->heap[r]->deadline_ns < best)
                        m = r;
                if (m == i)
                        break;
                hb__heap_set(node, i, node->heap[m]);
                i = m;
        }
        hb__heap_set(node, i, p);
}

/* Take `p` out of the heap (no-op when it has no deadline); its
 * deadline_ns becomes HB_NEVER. */
static inline void hb__heap_remove(hb_node_t *node, hb_peer_t *p)
{
        size_t i = p->heap_index;
        hb_peer_t *last;

        if (p->deadline_ns == HB_NEVER)
                return;
        last = node->heap[--node->n_heap];
        p->deadline_ns = HB_NEVER;
        if (last == p)
                return;
        hb__heap_set(node, i, last);
        hb__heap_sift_up(node, i);
        hb__heap_sift_down(node, last->heap_index);
}

/*
 * Move `p` to deadline `d` (HB_NEVER removes it). The heap array has room
 * for every peer (it grows with the peer array), so this cannot fail.
 */
static inline void hb__heap_update(hb_node_t *node, hb_peer_t *p, uint64_t d)
{
        if (d == HB_NEVER) {
                hb__heap_remove(node, p);
                return;
        }
        if (p->deadline_ns == HB_NEVER) {
                p->deadline_ns = d;
                hb__heap_set(node, node->n_heap++, p);
                hb__heap_sift_up(node, p->heap_index);
                return;
        }
        if (d < p->deadline_ns) {
                p->deadline_ns = d;
                hb__heap_sift_up(node, p->heap_index);
        } else if (d > p->deadline_ns) {
                p->deadline_ns = d;
                hb__heap_sift_down(node, p->heap_index);
        }
}

/* A heartbeat's coordination block and flags, decoded (wire.h,
 * HB_FLAG_COORD), with the heartbeat's sequence number. */
typedef struct hb_leader_tlv {
        uint64_t term;
        uint64_t seq;                  /* the heartbeat's */
        uint16_t flags;                /* HB_FLAG_WITNESS, _PREEMPT,
                                          _RESOURCE, _SUPPORT */
        uint8_t role;
        uint8_t priority;
        uint16_t echo;                 /* with HB_FLAG_SUPPORT */
        uint64_t promise_ns;           /* with HB_FLAG_SUPPORT */
} hb_leader_tlv_t;

#define HB_VOTE_TLV_LEN 12u
#define HB_EXITED_TLV_LEN 12u
#define HB_LEADER_FLAG_WITNESS HB_FLAG_WITNESS
#define HB_LEADER_FLAG_PREEMPT HB_FLAG_PREEMPT
#define HB_LEADER_FLAG_RESOURCE HB_FLAG_RESOURCE /* its at-most-one
                                         resource may be up (not stopped
                                         and clean) */

/* ---- output queue (output.c) -------------------------------------- */

/* Allocate the queue (HB_OUTPUT_INITIAL messages). 0 or -ENOMEM. */
int hb__out_init(hb_node_t *node);
void hb__out_free(hb_node_t *node);
/*
 * Encode a message from this node (header filled here: cluster, sender,
 * incarnation, the sequence of its space — node->seq for heartbeats and
 * leaves, node->ack_seq for ACKs and votes — and send time now_ns), with
 * `tlv` (may be NULL with tlv_len 0) and `flags`, authenticated with the
 * current key, and queue it for `dest`/`peer_id`. Consumes the sequence
 * and counts tx_messages. 0, or -ENOBUFS when the queue could not grow
 * (the oldest message was dropped for this one, counted).
 */
int hb__out_push(hb_node_t *node, hb_dest_t dest, uint32_t peer_id,
                 uint8_t type, uint16_t flags, const uint8_t *tlv,
                 size_t tlv_len, uint64_t now_ns);
/* The same with a coordination block (HB_WIRE_COORD_LEN bytes, required
 * when `flags` has HB_FLAG_COORD; else NULL). */
int hb__out_push_coord(hb_node_t *node, hb_dest_t dest, uint32_t peer_id,
                       uint8_t type, uint16_t flags, const uint8_t *coord,
                       const uint8_t *tlv, size_t tlv_len, uint64_t now_ns);

/* ---- hooks implemented in election.c ---------------------------- */

/* Validate cfg->coord (called from hb_node_config_validate()). */
int hb__coord_config_validate(const hb_node_config_t *cfg);
/* Set up coordination state (allocates nothing that stays). 0 or
 * -ENOMEM. */
int hb__coord_init(hb_node_t *node);

/* Start of every call that carries a time (recv, tick, build, pause). */
void hb__coord_begin(hb_node_t *node, uint64_t now_ns);
/* A peer was added / removed / changed state. */
void hb__coord_peer_changed(hb_node_t *node, hb_peer_t *p, uint64_t now_ns);
void hb__coord_recount(hb_node_t *node);
/* Decode the coordination block of a heartbeat: 1 found, 0 absent,
 * HB_EBADTLV (an invalid role). */
int hb__coord_parse_leader(const hb_wire_msg_t *m, hb_leader_tlv_t *out);
/* An accepted heartbeat from p (after the peer's state was updated). */
void hb__coord_on_heartbeat(hb_node_t *node, hb_peer_t *p,
                            const hb_leader_tlv_t *t, uint64_t now_ns);
/* A vote message from p: check TLVs (HB_EBADTLV, nothing changed), then
 * process it. The caller did the replay check and updates last_ack_seq
 * on success. */
int hb__coord_check_vote(const hb_wire_msg_t *m);
void hb__coord_on_vote(hb_node_t *node, hb_peer_t *p, const hb_wire_msg_t *m,
                       uint64_t now_ns);
/* A heartbeat should go out now (coord.announce): taken by node.c at the
 * end of the call, which queues it; false if none is wanted. */
bool hb__coord_take_announce(hb_node_t *node);
/* The coordination block (HB_WIRE_COORD_LEN bytes into `block`) and
 * header flags of the heartbeat about to be queued with sequence `seq`
 * at now_ns; records the promise it makes (raising HB_EVENT_TERM first
 * when that promise outlasts the durable one) and the send time. */
uint16_t hb__coord_block(hb_node_t *node, uint64_t seq, uint64_t now_ns,
                         uint8_t *block);
uint64_t hb__coord_deadline(const hb_node_t *node);
void hb__coord_tick(hb_node_t *node, uint64_t now_ns);
void hb__coord_local_pause(hb_node_t *node, uint64_t now_ns);

/* ---- topology "monitors" (monitors.c, docs/topologies.md) -------- */

/* node.c's set_state() (raises the event) and reschedule(). */
void hb__set_state(hb_node_t *node, hb_peer_t *p, hb_peer_state_t to,
                   hb_reason_t reason, uint64_t now_ns, double suspicion);
void hb__reschedule(hb_node_t *node, hb_peer_t *p);

/* Validate cfg->monitors (from hb_node_config_validate()). 0 or -EINVAL. */
int hb__mon_config_validate(const hb_node_config_t *cfg);
/* subset.c: 0 or -EINVAL (docs/subset.md). */
int hb__subset_config_validate(const hb_node_config_t *cfg);
/* Set node->m_self from the config. */
void hb__mon_init(hb_node_t *node);
/* Topology "monitors" on. */
static inline bool hb__mon_on(const hb_node_t *node)
{
        return node->cfg.n_monitors > 0 || node->subset != NULL;
}
/* Index of `id` in cfg.monitors, -1 if it is not a monitor. */
int hb__mon_index(const hb_node_config_t *cfg, uint32_t id);
/* `p`'s state follows the monitors' verdicts (topology on, p not a
 * monitor). */
static inline bool hb__mon_driven(const hb_node_t *node, const hb_peer_t *p)
{
        if (node->subset) /* topology "subset": every peer */
                return true;
        return hb__mon_on(node) && hb__mon_index(&node->cfg, p->id) < 0;
}
/* Driven peer: an accepted heartbeat (a monitor's own detector was fed
 * by node.c), a leave, a timer evaluation, its next deadline. */
void hb__mon_heard(hb_node_t *node, hb_peer_t *p, uint64_t now_ns);
void hb__mon_leave(hb_node_t *node, hb_peer_t *p, uint64_t now_ns);
void hb__mon_evaluate(hb_node_t *node, hb_peer_t *p, uint64_t now_ns);
uint64_t hb__mon_deadline(const hb_node_t *node, const hb_peer_t *p);
/* A monitor's detector must start afresh on this heartbeat (its own
 * verdict was unknown or dead). */
bool hb__mon_fresh_history(const hb_node_t *node, const hb_peer_t *p);
/* Monitor peer `m` changed state: who counts changed, recombine (a
 * monitor gone dead or left forgets its verdicts). */
void hb__mon_monitor_changed(hb_node_t *node, const hb_peer_t *m,
                             uint64_t now_ns);
/* An HB_MSG_VERDICT from monitor peer `p` (replay check done by the
 * caller): HB_EBADTLV (nothing changed) or 0. */
int hb__mon_check_verdict(const hb_wire_msg_t *m);
void hb__mon_on_verdict(hb_node_t *node, hb_peer_t *p,
                        const hb_wire_msg_t *m, uint64_t now_ns);
/* Queue this node's heartbeat (or leave) for its destinations. */
int hb__mon_queue_beat(hb_node_t *node, uint8_t type, uint16_t flags,
                       const uint8_t *coord, uint64_t now_ns);
/* A monitor: queue its verdicts (after its heartbeat, or when one
 * changed: `changed_only`). */
void hb__mon_send_verdicts(hb_node_t *node, bool changed_only,
                           uint64_t now_ns);
/* Queue a copy of the newest queued message for dest/peer_id (the same
 * bytes, same sequence). 0 or -ENOBUFS (output.c). */
int hb__out_dup_last(hb_node_t *node, hb_dest_t dest, uint32_t peer_id);

/* ---- topology "subset" (subset.c, docs/subset.md) --------------- */

static inline bool hb__subset_on(const hb_node_t *node)
{
        return node->subset != NULL;
}
/* Allocate node->subset when the topology is on: 0 or -ENOMEM. */
int hb__subset_init(hb_node_t *node);
void hb__subset_free(hb_node_t *node);
/* The peer set changed (the ring must be rebuilt before its next use). */
void hb__subset_peers_changed(hb_node_t *node);
/* Peer `p` changed state: monitor sets and combinations follow. */
void hb__subset_state_changed(hb_node_t *node, hb_peer_t *p,
                              uint64_t now_ns);
/* The hooks monitors.c dispatches to when the topology is on. */
void hb__subset_combine(hb_node_t *node, hb_peer_t *p, uint64_t now_ns);
/* A verdict message checked out: 0 (the sender's own verdicts), 1 (a
 * repair: relayed verdicts), HB_EBADTLV. */
int hb__subset_check_verdict(const hb_wire_msg_t *m);
void hb__subset_on_verdict(hb_node_t *node, hb_peer_t *from,
                           const hb_wire_msg_t *m, uint64_t now_ns);
int hb__subset_queue_beat(hb_node_t *node, uint8_t type, uint16_t flags,
                          const uint8_t *coord, uint64_t now_ns);
void hb__subset_send_verdicts(hb_node_t *node, bool changed_only,
                              uint64_t now_ns);
/* A heartbeat's digest TLV: at most one, 12 bytes (HB_EBADTLV). */
int hb__subset_check_beat(const hb_wire_msg_t *m);
/* An accepted heartbeat of `p`: compare its digest, repair it. */
void hb__subset_on_beat(hb_node_t *node, hb_peer_t *p,
                        const hb_wire_msg_t *m, uint64_t now_ns);

/* ---- topology "gossip" (swim.c, docs/gossip.md) ------------------ */

static inline bool hb__swim_on(const hb_node_t *node)
{
        return node->cfg.topology == HB_TOPOLOGY_GOSSIP;
}
/* Defaults of cfg->gossip (from hb_node_config_default()). */
void hb__swim_config_default(hb_node_config_t *cfg);
/* Validate cfg->topology and cfg->gossip. 0 or -EINVAL. */
int hb__swim_config_validate(const hb_node_config_t *cfg);
/* Allocate node->swim when gossip is on (0 otherwise). 0 or -ENOMEM. */
int hb__swim_init(hb_node_t *node);
void hb__swim_free(hb_node_t *node);
/* hb_node_peer_add()/_remove() in gossip: a member, alive, no event. */
int hb__swim_member_add(hb_node_t *node, uint32_t id, uint64_t now_ns);
int hb__swim_member_remove(hb_node_t *node, uint32_t id);
int hb__swim_reserve(hb_node_t *node, size_t n);
/* A verified message from another node (any sender: members join by
 * talking): 0 accepted, or the drop reason (nothing changed). */
int hb__swim_recv(hb_node_t *node, const hb_wire_msg_t *m, uint64_t now_ns);
void hb__swim_tick(hb_node_t *node, uint64_t now_ns);
uint64_t hb__swim_deadline(const hb_node_t *node);
int hb__swim_leave(hb_node_t *node, uint64_t now_ns);
void hb__swim_local_pause(hb_node_t *node, uint64_t now_ns,
                          uint64_t paused_ns);
/* Member snapshots for hb_node_peer_info()/_count()/_at(). */
int hb__swim_info(const hb_node_t *node, uint32_t id, hb_peer_info_t *out);
size_t hb__swim_count(const hb_node_t *node);
int hb__swim_info_at(const hb_node_t *node, size_t i, hb_peer_info_t *out);
/* Bytes per member (hb_node_peer_memory()). */
size_t hb__swim_member_memory(void);
/* Quorum and election on gossip (docs/gossip.md, "Quorum and
 * election"): the configured peers are voters, each with an hb_peer_t
 * whose state mirrors its member's (unknown until gossip has news of
 * it), no detector of its own judged, no event of its own. */
static inline bool hb__swim_voters(const hb_node_t *node)
{
        return hb__swim_on(node) && node->cfg.coord.enabled;
}
/* The voter record of member `id` follows its member now (no-op without
 * one). */
void hb__swim_voter_sync(hb_node_t *node, uint32_t id, uint64_t now_ns);
/* The shortest time in which gossip can convict a member that fell
 * silent at the current group size, ns: both probe timeouts and the
 * shortest suspicion timeout (docs/gossip.md). */
uint64_t hb__swim_dead_ns(const hb_node_t *node);
/* The same for `cfg` and a group of `members` (this node included), not
 * capped by promise_max (hb_coord_gossip_promise_ns() caps it). */
uint64_t hb__swim_dead_cfg_ns(const hb_node_config_t *cfg, size_t members);
/* ---- topology "hierarchy" (hier.c, docs/hierarchy.md) ----------- */

/* Queue `len` bytes of an already encoded message (a relay) for
 * dest/peer_id. 0 or -ENOBUFS (output.c). */
int hb__out_push_raw(hb_node_t *node, hb_dest_t dest, uint32_t peer_id,
                     uint8_t type, const uint8_t *buf, size_t len);
/* Set the hints (HB_OUTPUT_*, node.h) of the newest queued message: the
 * driver's business only, the core's behaviour is the same (output.c). */
void hb__out_hint_last(hb_node_t *node, uint8_t hints);

static inline bool hb__hier_on(const hb_node_t *node)
{
        return node->hier != NULL;
}
/* Validate cfg->hier. 0 or -EINVAL. */
int hb__hier_config_validate(const hb_node_config_t *cfg);
/* Allocate hier state (topology on). 0 or -ENOMEM. */
int hb__hier_init(hb_node_t *node);
void hb__hier_free(hb_node_t *node);
/* `p`'s state is learned from summaries, not judged here. */
bool hb__hier_driven(const hb_node_t *node, const hb_peer_t *p);
/* A heartbeat of non-driven peer p arrived. */
void hb__hier_heard(hb_node_t *node, hb_peer_t *p, uint64_t now_ns);
/* A peer changed state (after the event). */
void hb__hier_peer_changed(hb_node_t *node, hb_peer_t *p, uint64_t now_ns);
/* Queue this node's heartbeat or leave for its destinations. */
int hb__hier_queue_beat(hb_node_t *node, uint8_t type, uint16_t flags,
                        const uint8_t *coord, uint64_t now_ns);
/* A heartbeat's REGION_VIEW TLV: check (HB_EBADTLV), then act on it
 * (a coordinator repairs a member whose view is behind). */
int hb__hier_check_beat(const hb_wire_msg_t *m);
void hb__hier_on_beat(hb_node_t *node, hb_peer_t *p, const hb_wire_msg_t *m,
                      uint64_t now_ns);
/* HB_MSG_REGION_SUMMARY: check (HB_EBADTLV, nothing changed), apply. */
int hb__hier_check_summary(const hb_wire_msg_t *m);
void hb__hier_on_summary(hb_node_t *node, hb_peer_t *p,
                         const hb_wire_msg_t *m, uint64_t now_ns);
/* Whether a summary whose sender's address did not match came from an
 * elector of this node's region (a coordinator's relay; review F8). */
bool hb__hier_relay_ok(const hb_node_t *node,
                       const hb_recv_source_t *source);
/* Whether a datagram belongs to the global level (its cluster id). */
bool hb__hier_is_global(const hb_node_t *node, const uint8_t *buf,
                        size_t len);
/* Hand it to the global level: 0 or a drop reason. */
int hb__hier_recv_global(hb_node_t *node, uint64_t now_ns,
                         const uint8_t *buf, size_t len);
/* End of every call: role changes, changed summaries. */
void hb__hier_finish(hb_node_t *node, uint64_t now_ns);
void hb__hier_tick(hb_node_t *node, uint64_t now_ns);
uint64_t hb__hier_deadline(const hb_node_t *node);

#endif /* HB_CORE_NODE_IMPL_H */
