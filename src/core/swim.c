/* SPDX-License-Identifier: MIT */
/*
 * Topology "gossip" (docs/gossip.md): SWIM membership (Das, Gupta,
 * Motivala, "SWIM: Scalable Weakly-consistent Infection-style Process
 * Group Membership Protocol", DSN 2002) with Lifeguard's three
 * refinements (Dadgar, Phillips, Currey, "Lifeguard: Local Health
 * Awareness for More Accurate Failure Detection", arXiv:1707.00788):
 *
 *   - probes: one member per interval, round-robin over a shuffled
 *     list; a missed direct ack sends k ping-reqs through other members;
 *     a missed indirect ack makes the target suspect;
 *   - suspicion with incarnation numbers, refuted by the suspect itself
 *     (a higher incarnation); a suspicion not refuted in time is dead;
 *   - dissemination piggybacked on every message (and on gossip rounds
 *     while updates are pending), each update lambda x log10(n) times;
 *   - local health multiplier (LHM): missed acks and nacks and refuted
 *     suspicions of this node raise it, acks lower it; probe interval
 *     and timeouts are multiplied by LHM + 1;
 *   - dynamic suspicion timeout: from max down to min with the number
 *     of independent confirmations (log-scaled);
 *   - buddy system: a probe of a suspect member carries the suspicion
 *     first, so the suspect learns it at once and refutes.
 *
 * The design follows the papers; hashicorp/memberlist (state.go,
 * suspicion.go, awareness.go, queue.go) was read as a mature example of
 * the same protocol. The wire encoding, the member record and the
 * mapping to hbeat's peer states are hbeat's own (docs/gossip.md).
 *
 * Memory: members are compact records (struct swim_member), not
 * hb_peer_t: no detector, no RTT ring (hb_node_peer_memory()).
 * Suspicions, relays and pending updates live in small side tables.
 *
 * Sans-I/O like the rest of src/core: no clock, no I/O; randomness from
 * a xorshift64* seeded by the configuration (coord.seed, node id,
 * incarnation).
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"
#include "core/node_impl.h"

/* Bytes of a HB_TLV_MEMBER value without the address, of HB_TLV_PROBE. */
#define MEMBER_LEN 22u
#define PROBE_LEN 8u
/* TLV bytes one message may carry: an encrypted message fits a slot. */
#define BODY_MAX                                                           \
        (HB_OUTPUT_MAX_LEN - HB_WIRE_HEADER_LEN - HB_WIRE_NONCE_LEN -      \
         HB_WIRE_TAG_LEN)
/* Relayed probes one node keeps at a time (ping-reqs beyond: ignored). */
#define RELAYS_MAX 64u

_Static_assert(BODY_MAX >= 2 * HB_WIRE_TLV_HEADER_LEN + PROBE_LEN +
                                   MEMBER_LEN + HB_GOSSIP_ADDR_MAX,
               "a probe and one update fit a message");

/* One member as this node knows it: 32 bytes (the 10,000-node
 * simulation holds 10^8 of them). Addresses live apart: the simulator's
 * members have none, a daemon's all have one. */
typedef struct swim_member {
        uint64_t run;                  /* process incarnation (hbeat's) */
        uint64_t since_ns;             /* state since */
        uint32_t id;
        uint32_t inc;                  /* SWIM incarnation */
        uint32_t addr;                 /* index + 1 in addrs; 0: none */
        uint8_t state;                 /* hb_peer_state_t */
} swim_member_t;

_Static_assert(sizeof(swim_member_t) <= 32, "a member record is compact");

/* An opaque member address. */
typedef struct swim_addr {
        uint8_t len;
        uint8_t b[HB_GOSSIP_ADDR_MAX];
} swim_addr_t;

/* A pending update (dissemination queue). */
typedef struct swim_bcast {
        uint32_t id;
        uint32_t inc;
        uint64_t run;
        uint32_t origin;
        uint32_t transmits;
        uint8_t state;
} swim_bcast_t;

/* A suspicion in progress (Lifeguard's dynamic timeout). */
typedef struct swim_susp {
        uint32_t id;
        uint32_t k;                    /* confirmations expected */
        uint32_t n_conf;               /* independent confirmations */
        uint32_t conf[HB_GOSSIP_CONFIRM_MAX + 1]; /* origin, confirmers */
        uint64_t start_ns;
        uint64_t min_ns, max_ns;
        uint64_t deadline_ns;
        uint64_t probed_ns;            /* our latest probe of it, while
                                          suspect; 0: none yet */
} swim_susp_t;

/* A suspect is probed again, out of the round-robin order, at most every
 * this many probe periods (suspect_reprobe()). */
#define SUSPECT_REPROBE_PERIODS 4u

/* A probe this node relays for a prober (ping-req). */
typedef struct swim_relay {
        uint32_t prober;
        uint32_t prober_nonce;
        uint32_t target;
        uint32_t nonce;                /* of our ping to the target */
        uint64_t nack_ns;              /* send a nack then */
} swim_relay_t;

enum { PROBE_IDLE, PROBE_DIRECT, PROBE_INDIRECT };

struct hb_swim {
        swim_member_t *m;              /* sorted by id (binary search) */
        size_t n, cap;
        swim_addr_t *addrs;            /* member addresses (slots of
                                          removed members are not
                                          reused) */
        size_t n_addrs, cap_addrs;
        uint32_t *order;               /* probe order: member ids */
        size_t n_order, order_pos;
        size_t n_live;                 /* members alive or suspect */

        swim_bcast_t *bq;
        size_t n_bq, cap_bq;
        swim_susp_t *susp;
        size_t n_susp, cap_susp;
        swim_relay_t relay[RELAYS_MAX];
        size_t n_relay;

        uint32_t self_inc;
        bool left;
        uint32_t lhm;
        uint32_t nonce;
        uint64_t rng;

        uint64_t next_probe_ns;
        uint64_t next_gossip_ns;
        uint64_t next_reconnect_ns;
        struct {
                uint8_t phase;
                uint32_t target;
                uint32_t nonce;
                uint32_t nacks_expected;
                uint32_t nacks;
                uint64_t deadline_ns;
        } probe;

        hb_gossip_info_t stats;
};

/* ---- configuration ----------------------------------------------- */

void hb__swim_config_default(hb_node_config_t *cfg)
{
        hb_gossip_config_t *g = &cfg->gossip;

        g->indirect_probes = 3;
        g->retransmit_mult = 4;
        g->suspicion_mult = 1;
        g->suspicion_max_mult = 24;
        g->confirmations = 3;
        g->lhm_max = 8;
        g->fanout = 3;
        g->probe_timeout_ns = cfg->interval_ns / 2;
        g->gossip_interval_ns = cfg->interval_ns / 5;
        g->reconnect_interval_ns = 10 * cfg->interval_ns;
        if (g->gossip_interval_ns < HB_NS_PER_MS)
                g->gossip_interval_ns = HB_NS_PER_MS;
}

int hb__swim_config_validate(const hb_node_config_t *cfg)
{
        const hb_gossip_config_t *g = &cfg->gossip;

        if (cfg->topology > HB_TOPOLOGY_GOSSIP)
                return -EINVAL;
        if (cfg->topology == HB_TOPOLOGY_MONITORS && cfg->n_monitors == 0)
                return -EINVAL;
        if (cfg->topology != HB_TOPOLOGY_GOSSIP)
                return 0;
        /* Coordination: the configured peers vote (docs/gossip.md,
         * "Quorum and election"). */
        if (cfg->n_monitors > 0 || cfg->n_links > 1 || cfg->n_classes > 0)
                return -EINVAL;
        if (g->indirect_probes > 16 || g->retransmit_mult < 1 ||
            g->retransmit_mult > 64 || g->suspicion_mult < 1 ||
            g->suspicion_mult > 64 || g->suspicion_max_mult < 1 ||
            g->suspicion_max_mult > 64 || g->confirmations < 1 ||
            g->confirmations > HB_GOSSIP_CONFIRM_MAX || g->lhm_max > 32 ||
            g->fanout < 1 || g->fanout > 16 || g->addr_len >
            HB_GOSSIP_ADDR_MAX)
                return -EINVAL;
        if (g->probe_timeout_ns == 0 || g->probe_timeout_ns > cfg->interval_ns)
                return -EINVAL;
        if (g->gossip_interval_ns < HB_NS_PER_MS ||
            g->gossip_interval_ns > cfg->interval_ns)
                return -EINVAL;
        if (g->reconnect_interval_ns > 3600 * HB_NS_PER_S)
                return -EINVAL;
        return 0;
}

/* ---- randomness --------------------------------------------------- */

static uint64_t rnd(struct hb_swim *s)
{
        /* xorshift64* (Vigna); never 0. */
        s->rng ^= s->rng >> 12;
        s->rng ^= s->rng << 25;
        s->rng ^= s->rng >> 27;
        return s->rng * UINT64_C(2685821657736338717);
}

static size_t rnd_below(struct hb_swim *s, size_t n)
{
        return n ? (size_t)(rnd(s) % n) : 0;
}

/* ---- member table ------------------------------------------------- */

static swim_member_t *find(const struct hb_swim *s, uint32_t id)
{
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (s->m[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < s->n && s->m[lo].id == id ? &s->m[lo] : NULL;
}

/* Room for `cap` members; 0 or -ENOMEM (nothing lost). */
static int grow(struct hb_swim *s, size_t cap)
{
        swim_member_t *m;
        uint32_t *o;

        if (cap <= s->cap)
                return 0;
        m = hb__realloc(s->m, cap * sizeof(*m));
        if (!m)
                return -ENOMEM;
        s->m = m;
        o = hb__realloc(s->order, cap * sizeof(*o));
        if (!o)
                return -ENOMEM;
        s->order = o;
        s->cap = cap;
        return 0;
}

int hb__swim_reserve(hb_node_t *node, size_t n)
{
        return grow(node->swim, n);
}

/* Room for one more member; 0 or -ENOMEM (nothing changed). */
static int reserve(struct hb_swim *s)
{
        return s->n < s->cap ? 0 : grow(s, s->cap ? 2 * s->cap : 16);
}

static bool live(uint8_t state)
{
        return state == HB_PEER_ALIVE || state == HB_PEER_SUSPECT;
}

/* Insert a member (id absent, reserve() done); returns it. */
static swim_member_t *insert(struct hb_swim *s, uint32_t id, uint8_t state,
                             uint64_t now_ns)
{
        size_t lo = 0, hi = s->n, pos;
        swim_member_t *mem;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;

                if (s->m[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        memmove(&s->m[lo + 1], &s->m[lo], (s->n - lo) * sizeof(*s->m));
        mem = &s->m[lo];
        memset(mem, 0, sizeof(*mem));
        mem->id = id;
        mem->state = state;
        mem->since_ns = now_ns;
        s->n++;
        /* A random place in the probe order (SWIM: new members are
         * probed within one round on average): swapped with a random
         * entry, which goes to the end (inside-out Fisher-Yates). */
        pos = rnd_below(s, s->n_order + 1);
        s->order[s->n_order++] = s->order[pos];
        s->order[pos] = id;
        if (live(state))
                s->n_live++;
        return mem;
}

/* ---- side tables --------------------------------------------------- */

static swim_susp_t *susp_find(struct hb_swim *s, uint32_t id)
{
        for (size_t i = 0; i < s->n_susp; i++)
                if (s->susp[i].id == id)
                        return &s->susp[i];
        return NULL;
}

static void susp_drop(struct hb_swim *s, uint32_t id)
{
        swim_susp_t *x = susp_find(s, id);

        if (x)
                *x = s->susp[--s->n_susp];
}

static bool bq_has(const struct hb_swim *s, uint32_t id)
{
        for (size_t i = 0; i < s->n_bq; i++)
                if (s->bq[i].id == id)
                        return true;
        return false;
}

static void bq_drop(struct hb_swim *s, uint32_t id)
{
        for (size_t i = 0; i < s->n_bq; i++)
                if (s->bq[i].id == id) {
                        memmove(&s->bq[i], &s->bq[i + 1],
                                (s->n_bq - i - 1) * sizeof(*s->bq));
                        s->n_bq--;
                        return;
                }
}

/* Queue an update (replacing any older one about the same member);
 * fresh ones go first (fewest transmits). Without memory the update is
 * not disseminated by this node (counted). */
static void bq_put(hb_node_t *node, uint32_t id, uint64_t run, uint32_t inc,
                   uint8_t state, uint32_t origin, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        swim_bcast_t b = { .id = id, .inc = inc, .run = run,
                           .origin = origin, .state = state };

        bq_drop(s, id);
        if (s->n_bq == s->cap_bq) {
                size_t cap = s->cap_bq ? 2 * s->cap_bq : 16;
                swim_bcast_t *q = hb__realloc(s->bq, cap * sizeof(*q));

                if (!q) {
                        s->stats.updates_dropped++;
                        return;
                }
                s->bq = q;
                s->cap_bq = cap;
        }
        memmove(&s->bq[1], &s->bq[0], s->n_bq * sizeof(*s->bq));
        s->bq[0] = b;
        s->n_bq++;
        if (s->next_gossip_ns == HB_NEVER)
                s->next_gossip_ns = now_ns;
}

/* ---- sizes and timeouts -------------------------------------------- */

/* Members of the group as this node counts them (itself included). */
static size_t group_n(const struct hb_swim *s)
{
        return s->n_live + 1;
}

static uint32_t retransmit_limit(const hb_node_t *node)
{
        double n = (double)group_n(node->swim);

        return node->cfg.gossip.retransmit_mult *
               (uint32_t)ceil(log10(n + 1.0));
}

static uint64_t scaled(const hb_node_t *node, uint64_t ns)
{
        uint64_t f = (uint64_t)node->swim->lhm + 1;

        return ns > HB_NEVER / f ? HB_NEVER : ns * f;
}

static void lhm_add(hb_node_t *node, int delta)
{
        struct hb_swim *s = node->swim;
        int64_t v = (int64_t)s->lhm + delta;

        if (v < 0)
                v = 0;
        if (v > (int64_t)node->cfg.gossip.lhm_max)
                v = node->cfg.gossip.lhm_max;
        s->lhm = (uint32_t)v;
}

/* Lifeguard: timeout = max(min, max - (max - min) log(C + 1) / log(K + 1)). */
static void susp_deadline(swim_susp_t *x)
{
        double frac;
        uint64_t t;

        if (x->k == 0) {
                x->deadline_ns = add_sat(x->start_ns, x->min_ns);
                return;
        }
        frac = log((double)x->n_conf + 1.0) / log((double)x->k + 1.0);
        t = x->max_ns - (uint64_t)((double)(x->max_ns - x->min_ns) * frac);
        if (t < x->min_ns)
                t = x->min_ns;
        x->deadline_ns = add_sat(x->start_ns, t);
}

/* ---- events -------------------------------------------------------- */

static void set_state(hb_node_t *node, swim_member_t *mem, uint8_t to,
                      hb_reason_t reason, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        uint32_t id = mem->id;
        hb_event_t ev;

        if (live(mem->state) && !live(to))
                s->n_live--;
        else if (!live(mem->state) && live(to))
                s->n_live++;
        memset(&ev, 0, sizeof(ev));
        ev.size = sizeof(ev);
        ev.type = HB_EVENT_PEER_STATE;
        ev.peer_id = id;
        ev.old_state = mem->state;
        ev.new_state = to;
        ev.reason = reason;
        ev.at_ns = now_ns;
        ev.last_arrival_ns = HB_NEVER;
        ev.incarnation = mem->run;
        mem->state = to;
        mem->since_ns = now_ns;
        if (to != HB_PEER_SUSPECT)
                susp_drop(s, id);
        node->counters.transitions++;
        if (node->cb)
                node->cb(node->user, &ev);
        hb__swim_voter_sync(node, id, now_ns);
}

/* ---- encoding ------------------------------------------------------ */

static size_t put_update(const hb_node_t *node, uint8_t *p, size_t room,
                         const swim_bcast_t *b)
{
        const struct hb_swim *s = node->swim;
        const uint8_t *addr = NULL;
        uint8_t alen = 0;
        size_t len;

        if (b->state == HB_PEER_ALIVE) {
                if (b->id == node->cfg.node_id) {
                        addr = node->cfg.gossip.addr;
                        alen = node->cfg.gossip.addr_len;
                } else {
                        const swim_member_t *mem = find(s, b->id);

                        if (mem && mem->addr) {
                                addr = s->addrs[mem->addr - 1].b;
                                alen = s->addrs[mem->addr - 1].len;
                        }
                }
        }
        len = HB_WIRE_TLV_HEADER_LEN + MEMBER_LEN + alen;
        if (len > room)
                return 0;
        p += hb__put_tlv_header(p, HB_TLV_MEMBER,
                                (uint16_t)(MEMBER_LEN + alen));
        hb__put_u32(p, b->id);
        hb__put_u64(p + 4, b->run);
        hb__put_u32(p + 12, b->inc);
        p[16] = b->state;
        hb__put_u32(p + 17, b->origin);
        p[21] = alen;
        if (alen)
                memcpy(p + MEMBER_LEN, addr, alen);
        return len;
}

/* Append pending updates (the one about `first` first: the buddy
 * system) to tlv[0..*len), up to BODY_MAX; count their transmits and
 * retire those sent often enough. */
static void piggyback(hb_node_t *node, uint8_t *tlv, size_t *len,
                      uint32_t first)
{
        struct hb_swim *s = node->swim;
        uint32_t limit = retransmit_limit(node);
        size_t i, w;

        if (s->n_bq == 0)
                return;
        /* Fewest transmits first: insertion sort (short, nearly
         * sorted). */
        for (i = 1; i < s->n_bq; i++) {
                swim_bcast_t b = s->bq[i];
                size_t j = i;

                while (j > 0 && s->bq[j - 1].transmits > b.transmits) {
                        s->bq[j] = s->bq[j - 1];
                        j--;
                }
                s->bq[j] = b;
        }
        if (first != 0) {
                for (i = 0; i < s->n_bq; i++)
                        if (s->bq[i].id == first) {
                                size_t k = put_update(node, tlv + *len,
                                                      BODY_MAX - *len,
                                                      &s->bq[i]);
                                if (k > 0) {
                                        *len += k;
                                        s->bq[i].transmits++;
                                }
                                break;
                        }
        }
        for (i = 0; i < s->n_bq; i++) {
                size_t k;

                if (s->bq[i].id == first && first != 0)
                        continue;
                k = put_update(node, tlv + *len, BODY_MAX - *len,
                               &s->bq[i]);
                if (k == 0)
                        break;
                *len += k;
                s->bq[i].transmits++;
        }
        for (i = 0, w = 0; i < s->n_bq; i++)
                if (s->bq[i].transmits < limit)
                        s->bq[w++] = s->bq[i];
        s->n_bq = w;
}

static void send_msg2(hb_node_t *node, hb_dest_t dest, uint32_t to,
                      uint8_t type, uint32_t target, uint32_t nonce,
                      uint32_t buddy, const swim_bcast_t *extra,
                      uint64_t now_ns)
{
        uint8_t tlv[BODY_MAX];
        size_t len = 0;

        if (type != HB_MSG_GOSSIP) {
                len += hb__put_tlv_header(tlv, HB_TLV_PROBE, PROBE_LEN);
                hb__put_u32(tlv + len, target);
                hb__put_u32(tlv + len + 4, nonce);
                len += PROBE_LEN;
        }
        if (extra)
                len += put_update(node, tlv + len, BODY_MAX - len, extra);
        piggyback(node, tlv, &len, buddy);
        (void)hb__out_push(node, dest, to, type, 0, tlv, len, now_ns);
        if (type == HB_MSG_PING || type == HB_MSG_PING_REQ)
                node->swim->stats.probes_sent++;
}

static void send_msg(hb_node_t *node, hb_dest_t dest, uint32_t to,
                     uint8_t type, uint32_t target, uint32_t nonce,
                     uint32_t buddy, uint64_t now_ns)
{
        send_msg2(node, dest, to, type, target, nonce, buddy, NULL, now_ns);
}

/* ---- init ---------------------------------------------------------- */

int hb__swim_init(hb_node_t *node)
{
        struct hb_swim *s;

        if (!hb__swim_on(node))
                return 0;
        s = hb__calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->rng = node->cfg.coord.seed * UINT64_C(0x9e3779b97f4a7c15) ^
                 ((uint64_t)node->cfg.node_id << 32) ^
                 node->cfg.incarnation;
        if (s->rng == 0)
                s->rng = 1;
        s->nonce = (uint32_t)rnd(s);
        s->next_probe_ns = 0;
        s->next_gossip_ns = HB_NEVER;
        node->swim = s;
        if (reserve(s) < 0) {
                hb__swim_free(node);
                return -ENOMEM;
        }
        return 0;
}

void hb__swim_free(hb_node_t *node)
{
        struct hb_swim *s = node->swim;

        if (!s)
                return;
        hb__free(s->m);
        hb__free(s->addrs);
        hb__free(s->order);
        hb__free(s->bq);
        hb__free(s->susp);
        hb__free(s);
        node->swim = NULL;
}

int hb__swim_member_add(hb_node_t *node, uint32_t id, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;

        if (find(s, id))
                return -EEXIST;
        if (reserve(s) < 0)
                return -ENOMEM;
        (void)insert(s, id, HB_PEER_ALIVE, now_ns);
        return 0;
}

int hb__swim_member_remove(hb_node_t *node, uint32_t id)
{
        struct hb_swim *s = node->swim;
        swim_member_t *mem = find(s, id);
        size_t k, i;

        if (!mem)
                return -ENOENT;
        if (live(mem->state))
                s->n_live--;
        k = (size_t)(mem - s->m);
        memmove(&s->m[k], &s->m[k + 1], (s->n - k - 1) * sizeof(*s->m));
        s->n--;
        for (i = 0; i < s->n_order; i++)
                if (s->order[i] == id) {
                        memmove(&s->order[i], &s->order[i + 1],
                                (s->n_order - i - 1) * sizeof(*s->order));
                        s->n_order--;
                        if (i < s->order_pos)
                                s->order_pos--;
                        break;
                }
        susp_drop(s, id);
        bq_drop(s, id);
        if (s->probe.phase != PROBE_IDLE && s->probe.target == id)
                s->probe.phase = PROBE_IDLE;
        return 0;
}

/* ---- updates (SWIM's rules, docs/gossip.md "Updates") --------------- */

typedef struct swim_update {
        uint32_t id;
        uint64_t run;
        uint32_t inc;
        uint8_t state;
        uint32_t origin;
        uint8_t addr_len;
        const uint8_t *addr;
} swim_update_t;

/* (run, inc) ordering: <0, 0, >0. */
static int key_cmp(uint64_t run_a, uint32_t inc_a, uint64_t run_b,
                   uint32_t inc_b)
{
        if (run_a != run_b)
                return run_a < run_b ? -1 : 1;
        if (inc_a != inc_b)
                return inc_a < inc_b ? -1 : 1;
        return 0;
}

static void refute(hb_node_t *node, const swim_update_t *u, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;

        if (s->left)
                return;
        if (u->run > node->cfg.incarnation)
                return; /* not about this run, nor an earlier one */
        if (u->run == node->cfg.incarnation || u->run == 0) {
                if (u->inc < s->self_inc) {
                        /* Refuted already, but the word did not reach
                         * whoever still says this (cut off or stopped
                         * while it spread, and the refutation retired
                         * since): say it again, at the same incarnation.
                         * Without, a member that held us dead kept it
                         * until a push-pull (docs/gossip.md, "Updates
                         * and incarnations"). */
                        if (!bq_has(s, node->cfg.node_id))
                                bq_put(node, node->cfg.node_id,
                                       node->cfg.incarnation, s->self_inc,
                                       HB_PEER_ALIVE, node->cfg.node_id,
                                       now_ns);
                        return;
                }
                s->self_inc = u->inc + 1;
                if (u->state == HB_PEER_SUSPECT)
                        lhm_add(node, 1); /* Lifeguard: refuting */
        }
        s->stats.refutations++;
        bq_put(node, node->cfg.node_id, node->cfg.incarnation, s->self_inc,
               HB_PEER_ALIVE, node->cfg.node_id, now_ns);
}

static void start_suspicion(hb_node_t *node, swim_member_t *mem,
                            uint32_t origin, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        const hb_gossip_config_t *g = &node->cfg.gossip;
        double n = (double)group_n(s);
        double scale = n > 10.0 ? log10(n) : 1.0;
        swim_susp_t *x;

        /* Already suspect at an older incarnation: a new suspicion,
         * no new event. */
        if (mem->state != HB_PEER_SUSPECT)
                set_state(node, mem, HB_PEER_SUSPECT,
                          HB_REASON_SUSPECT_THRESHOLD, now_ns);
        x = susp_find(s, mem->id);
        if (!x) {
                if (s->n_susp == s->cap_susp) {
                        size_t cap = s->cap_susp ? 2 * s->cap_susp : 8;
                        swim_susp_t *t = hb__realloc(s->susp,
                                                     cap * sizeof(*t));
                        if (!t) {
                                /* No timer: dead only by others' word. */
                                s->stats.updates_dropped++;
                                return;
                        }
                        s->susp = t;
                        s->cap_susp = cap;
                }
                x = &s->susp[s->n_susp++];
        }
        memset(x, 0, sizeof(*x));
        x->id = mem->id;
        x->conf[0] = origin;
        /* memberlist's rule: fewer members than confirmations expected
         * plus two cannot confirm; no shrinking then. */
        x->k = group_n(s) >= (size_t)g->confirmations + 2 ? g->confirmations
                                                          : 0;
        x->start_ns = now_ns;
        x->min_ns = (uint64_t)((double)g->suspicion_mult * scale *
                               (double)node->cfg.interval_ns);
        x->max_ns = g->suspicion_max_mult * x->min_ns;
        susp_deadline(x);
}

/* A confirmation of the suspicion of `mem` by `origin`: true if new. */
static bool confirm(hb_node_t *node, swim_member_t *mem, uint32_t origin)
{
        swim_susp_t *x = susp_find(node->swim, mem->id);

        if (!x || x->n_conf >= x->k)
                return false;
        for (uint32_t i = 0; i <= x->n_conf; i++)
                if (x->conf[i] == origin)
                        return false;
        x->conf[++x->n_conf] = origin;
        susp_deadline(x);
        node->swim->stats.confirmations++;
        return true;
}

static int store_addr(struct hb_swim *s, swim_member_t *mem,
                      const uint8_t *addr, uint8_t len)
{
        swim_addr_t *a;

        if (!mem->addr) {
                if (s->n_addrs == s->cap_addrs) {
                        size_t cap = s->cap_addrs ? 2 * s->cap_addrs : 16;
                        swim_addr_t *t = hb__realloc(s->addrs,
                                                     cap * sizeof(*t));
                        if (!t)
                                return -ENOMEM;
                        s->addrs = t;
                        s->cap_addrs = cap;
                }
                memset(&s->addrs[s->n_addrs], 0, sizeof(*s->addrs));
                mem->addr = (uint32_t)++s->n_addrs;
        }
        a = &s->addrs[mem->addr - 1];
        a->len = len;
        if (len)
                memcpy(a->b, addr, len);
        return 0;
}

static void set_addr(hb_node_t *node, swim_member_t *mem,
                     const swim_update_t *u)
{
        if (u->addr_len == 0)
                return;
        if (store_addr(node->swim, mem, u->addr, u->addr_len) < 0)
                node->swim->stats.updates_dropped++;
}

static void apply_known(hb_node_t *node, swim_member_t *mem,
                        const swim_update_t *u, uint64_t now_ns);

static void apply(hb_node_t *node, const swim_update_t *u, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        swim_member_t *mem;

        if (u->id == node->cfg.node_id) {
                if (u->state != HB_PEER_ALIVE)
                        refute(node, u, now_ns);
                return;
        }
        mem = find(s, u->id);
        if (mem && (u->run == 0 || mem->run == 0)) {
                /* One side never heard the member's run (a member the
                 * driver added): the incarnation alone decides. */
                swim_update_t v = *u;

                if (v.run == 0)
                        v.run = mem->run;
                else
                        mem->run = v.run;
                if (v.run != u->run) {
                        apply_known(node, mem, &v, now_ns);
                        /* Heard of at last (a run), whatever the news. */
                        hb__swim_voter_sync(node, mem->id, now_ns);
                        return;
                }
        }
        if (!mem) {
                /* Only an alive update makes a member known (memberlist
                 * ignores suspicions of unknown members as well). */
                if (u->state != HB_PEER_ALIVE || reserve(s) < 0)
                        return;
                mem = insert(s, u->id, HB_PEER_UNKNOWN, now_ns);
                mem->run = u->run;
                mem->inc = u->inc;
                set_addr(node, mem, u);
                set_state(node, mem, HB_PEER_ALIVE, HB_REASON_HEARTBEAT,
                          now_ns);
                bq_put(node, u->id, u->run, u->inc, u->state, u->origin,
                       now_ns);
                return;
        }
        apply_known(node, mem, u, now_ns);
        hb__swim_voter_sync(node, mem->id, now_ns);
}

static void apply_known(hb_node_t *node, swim_member_t *mem,
                        const swim_update_t *u, uint64_t now_ns)
{
        int c = key_cmp(u->run, u->inc, mem->run, mem->inc);

        switch (u->state) {
        case HB_PEER_ALIVE:
                if (c == 0 && mem->addr == 0)
                        /* Known (from a first message: a join) but not
                         * where: the address of the same alive news is
                         * taken, nothing passed on. */
                        set_addr(node, mem, u);
                if (c <= 0)
                        return;
                set_addr(node, mem, u);
                if (mem->state != HB_PEER_ALIVE)
                        set_state(node, mem, HB_PEER_ALIVE,
                                  u->run > mem->run ? HB_REASON_RESTART
                                                    : HB_REASON_HEARTBEAT,
                                  now_ns);
                mem->run = u->run;
                mem->inc = u->inc;
                break;
        case HB_PEER_SUSPECT:
                if (c < 0)
                        return;
                if (c == 0 && mem->state == HB_PEER_SUSPECT) {
                        if (!confirm(node, mem, u->origin))
                                return;
                        break; /* a new confirmation: pass it on */
                }
                if (c == 0 && mem->state != HB_PEER_ALIVE)
                        return; /* dead or left: stays */
                mem->run = u->run;
                mem->inc = u->inc;
                start_suspicion(node, mem, u->origin, now_ns);
                break;
        default: /* dead, left */
                if (c < 0 || (c == 0 && (mem->state == HB_PEER_DEAD ||
                                         mem->state == HB_PEER_LEFT)))
                        return;
                mem->run = u->run;
                mem->inc = u->inc;
                set_state(node, mem, u->state,
                          u->state == HB_PEER_LEFT ? HB_REASON_LEAVE
                                                   : HB_REASON_DEAD_AFTER,
                          now_ns);
                break;
        }
        bq_put(node, u->id, u->run, u->inc, u->state, u->origin, now_ns);
}

/* ---- receive ------------------------------------------------------- */

static bool member_state_ok(uint8_t st)
{
        return st == HB_PEER_ALIVE || st == HB_PEER_SUSPECT ||
               st == HB_PEER_DEAD || st == HB_PEER_LEFT;
}

static void read_update(const uint8_t *v, uint16_t vlen, swim_update_t *u)
{
        u->id = hb__get_u32(v);
        u->run = hb__get_u64(v + 4);
        u->inc = hb__get_u32(v + 12);
        u->state = v[16];
        u->origin = hb__get_u32(v + 17);
        u->addr_len = v[21];
        u->addr = vlen > MEMBER_LEN ? v + MEMBER_LEN : NULL;
}

static bool update_ok(const uint8_t *v, uint16_t vlen)
{
        return vlen >= MEMBER_LEN && v[21] <= HB_GOSSIP_ADDR_MAX &&
               vlen == MEMBER_LEN + v[21] && hb__get_u32(v) != 0 &&
               member_state_ok(v[16]);
}

/* Every TLV checked before anything changes: HB_EBADTLV or 0; the probe
 * TLV (required once, except in gossip rounds) into target/nonce. */
static int check(const hb_wire_msg_t *m, uint32_t *target, uint32_t *nonce)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r, probes = 0;

        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0) {
                if (type == HB_TLV_PROBE) {
                        if (vlen != PROBE_LEN)
                                return HB_EBADTLV;
                        *target = hb__get_u32(val);
                        *nonce = hb__get_u32(val + 4);
                        probes++;
                } else if (type == HB_TLV_MEMBER) {
                        if (!update_ok(val, vlen))
                                return HB_EBADTLV;
                }
        }
        if (r < 0)
                return HB_EBADTLV;
        if (probes != (m->type == HB_MSG_GOSSIP ? 0 : 1))
                return HB_EBADTLV;
        return 0;
}

static void probe_done(hb_node_t *node, bool ok, uint64_t now_ns);

static void on_ack(hb_node_t *node, uint32_t from, uint32_t target,
                   uint32_t nonce, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;

        if (s->probe.phase != PROBE_IDLE && s->probe.nonce == nonce &&
            s->probe.target == target) {
                probe_done(node, true, now_ns);
                return;
        }
        for (size_t i = 0; i < s->n_relay; i++) {
                swim_relay_t *r = &s->relay[i];

                if (r->nonce != nonce || r->target != target ||
                    from != target)
                        continue;
                send_msg(node, HB_DEST_PEER, r->prober, HB_MSG_PROBE_ACK,
                         target, r->prober_nonce, 0, now_ns);
                *r = s->relay[--s->n_relay];
                return;
        }
}

int hb__swim_recv(hb_node_t *node, const hb_wire_msg_t *m, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        uint32_t target = 0, nonce = 0;
        const uint8_t *cur, *val;
        swim_member_t *sender;
        uint16_t type, vlen;
        size_t left;
        int r;

        if (m->type < HB_MSG_PING || m->type > HB_MSG_GOSSIP)
                return HB_EBADTYPE;
        r = check(m, &target, &nonce);
        if (r < 0)
                return r;
        sender = find(s, m->sender_id);
        if (sender && m->incarnation < sender->run)
                return HB_EOLDINC; /* an earlier process of that member */
        if (s->left)
                return 0; /* gone: listens to nothing */

        /* The sender itself: a member new to us (joining through us), or
         * a new process of a known one. */
        if (!sender || m->incarnation > sender->run) {
                swim_update_t u = { .id = m->sender_id,
                                    .run = m->incarnation,
                                    .inc = 0,
                                    .state = HB_PEER_ALIVE,
                                    .origin = m->sender_id };

                if (sender && sender->run == 0) {
                        /* Added by the driver, never heard: adopt its
                         * run quietly. */
                        sender->run = m->incarnation;
                        hb__swim_voter_sync(node, sender->id, now_ns);
                } else {
                        apply(node, &u, now_ns);
                }
        }
        cur = m->tlv;
        left = m->tlv_len;
        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0) {
                swim_update_t u;

                if (type != HB_TLV_MEMBER)
                        continue;
                read_update(val, vlen, &u);
                apply(node, &u, now_ns);
        }

        /* A member that talks to us while we hold it suspect or dead
         * must hear it, to refute (the buddy system, and the way back
         * of a member declared dead while it was cut off). */
        sender = find(s, m->sender_id);
        if (sender && (sender->state == HB_PEER_SUSPECT ||
                       sender->state == HB_PEER_DEAD) &&
            !bq_has(s, sender->id)) {
                const swim_susp_t *x = susp_find(s, sender->id);

                bq_put(node, sender->id, sender->run, sender->inc,
                       sender->state, x ? x->conf[0] : node->cfg.node_id,
                       now_ns);
        }
        switch (m->type) {
        case HB_MSG_PING:
                if (target != node->cfg.node_id)
                        break;
                send_msg(node, HB_DEST_REPLY, m->sender_id,
                         HB_MSG_PROBE_ACK, target, nonce, m->sender_id,
                         now_ns);
                break;
        case HB_MSG_PING_REQ:
                if (target == node->cfg.node_id) {
                        send_msg(node, HB_DEST_REPLY, m->sender_id,
                                 HB_MSG_PROBE_ACK, target, nonce, 0,
                                 now_ns);
                        break;
                }
                if (!find(s, target) || s->n_relay == RELAYS_MAX)
                        break;
                s->relay[s->n_relay] = (swim_relay_t){
                        .prober = m->sender_id,
                        .prober_nonce = nonce,
                        .target = target,
                        .nonce = ++s->nonce,
                        /* Lifeguard: nack at 80 % of the probe timeout. */
                        .nack_ns = now_ns +
                                   node->cfg.gossip.probe_timeout_ns / 5 * 4,
                };
                s->n_relay++;
                send_msg(node, HB_DEST_PEER, target, HB_MSG_PING, target,
                         s->nonce, target, now_ns);
                break;
        case HB_MSG_PROBE_ACK:
                on_ack(node, m->sender_id, target, nonce, now_ns);
                break;
        case HB_MSG_PROBE_NACK:
                if (s->probe.phase == PROBE_INDIRECT &&
                    s->probe.nonce == nonce && s->probe.target == target)
                        s->probe.nacks++;
                break;
        default:
                break;
        }
        return 0;
}

/* ---- probing ------------------------------------------------------- */

static void probe_done(hb_node_t *node, bool ok, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        swim_member_t *mem;

        s->probe.phase = PROBE_IDLE;
        if (ok) {
                lhm_add(node, -1);
                return;
        }
        s->stats.probes_failed++;
        /* Lifeguard: a missed nack is this node's own trouble; with no
         * nack expected, the failed probe itself counts. */
        if (s->probe.nacks_expected > 0)
                lhm_add(node, (int)(s->probe.nacks_expected - s->probe.nacks));
        else
                lhm_add(node, 1);
        mem = find(s, s->probe.target);
        if (!mem)
                return;
        if (mem->state == HB_PEER_ALIVE)
                start_suspicion(node, mem, node->cfg.node_id, now_ns);
        else if (mem->state != HB_PEER_SUSPECT ||
                 !confirm(node, mem, node->cfg.node_id))
                return;
        /* A new suspicion, or this node's independent confirmation of
         * one (Lifeguard): passed on with this node as origin. */
        bq_put(node, mem->id, mem->run, mem->inc, HB_PEER_SUSPECT,
               node->cfg.node_id, now_ns);
}

/* Up to `want` distinct live members other than `except` and this node,
 * at random, into out[]; returns how many. */
static size_t pick(struct hb_swim *s, uint32_t except, size_t want,
                   uint32_t *out, bool alive_only)
{
        size_t got = 0, tries = 0, limit = 4 * want + 32;

        while (got < want && tries++ < limit && s->n > 0) {
                const swim_member_t *c = &s->m[rnd_below(s, s->n)];
                size_t j;

                if (c->id == except || !live(c->state) ||
                    (alive_only && c->state != HB_PEER_ALIVE))
                        continue;
                for (j = 0; j < got && out[j] != c->id; j++)
                        ;
                if (j == got)
                        out[got++] = c->id;
        }
        if (got < want) {
                /* Small or mostly dead groups: a linear pass. */
                for (size_t i = 0; i < s->n && got < want; i++) {
                        const swim_member_t *c = &s->m[i];
                        size_t j;

                        if (c->id == except || !live(c->state) ||
                            (alive_only && c->state != HB_PEER_ALIVE))
                                continue;
                        for (j = 0; j < got && out[j] != c->id; j++)
                                ;
                        if (j == got)
                                out[got++] = c->id;
                }
        }
        return got;
}

static void shuffle(struct hb_swim *s)
{
        for (size_t i = s->n_order; i > 1; i--) {
                size_t j = rnd_below(s, i);
                uint32_t t = s->order[i - 1];

                s->order[i - 1] = s->order[j];
                s->order[j] = t;
        }
        s->order_pos = 0;
}

/* The suspect to probe now instead of the next one in round-robin
 * order, or NULL: among the suspicions that outlived twice their
 * shortest timeout (a crash is mostly convicted and known by then, with
 * confirmations: a probe of it would waste the period's piggybacked
 * updates; a refuted suspicion is mostly cleared), the one not probed by
 * this node since, else the one probed longest ago, if that is
 * SUSPECT_REPROBE_PERIODS probe periods or more. The probe carries the
 * suspicion (buddy system, probe_start()), so that a live suspect that
 * missed the accusation, or whose refutation missed this node, answers
 * with its refutation before the suspicion times out: a round-robin
 * cycle takes n periods, longer than the longest suspicion timeout above
 * a few dozen members, and push-pull may not come first. One extra
 * probe per suspicion held every few periods; none in steady state. */
static swim_member_t *suspect_reprobe(hb_node_t *node, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        uint64_t every = SUSPECT_REPROBE_PERIODS *
                         scaled(node, node->cfg.interval_ns);
        swim_susp_t *best = NULL;
        swim_member_t *mem;

        for (size_t i = 0; i < s->n_susp; i++) {
                swim_susp_t *x = &s->susp[i];

                if (now_ns - x->start_ns < 2 * x->min_ns ||
                    (x->probed_ns != 0 && now_ns - x->probed_ns < every))
                        continue;
                if (!best || x->probed_ns < best->probed_ns)
                        best = x;
        }
        if (!best)
                return NULL;
        mem = find(s, best->id);
        if (!mem || mem->state != HB_PEER_SUSPECT)
                return NULL;
        best->probed_ns = now_ns ? now_ns : 1;
        return mem;
}

static void probe_start(hb_node_t *node, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        swim_member_t *mem = suspect_reprobe(node, now_ns);

        for (size_t tries = 0; !mem && tries <= s->n_order; tries++) {
                if (s->order_pos >= s->n_order)
                        shuffle(s);
                if (s->n_order == 0)
                        return;
                mem = find(s, s->order[s->order_pos++]);
                if (mem && live(mem->state))
                        break;
                mem = NULL;
        }
        if (!mem)
                return;
        s->probe.phase = PROBE_DIRECT;
        s->probe.target = mem->id;
        s->probe.nonce = ++s->nonce;
        s->probe.nacks = s->probe.nacks_expected = 0;
        s->probe.deadline_ns = add_sat(
                now_ns, scaled(node, node->cfg.gossip.probe_timeout_ns));
        /* Buddy system (Lifeguard): a suspect hears of its suspicion
         * first: the update queued about it if there is one, else the
         * suspicion as this node holds it (the queued one may have been
         * retired after its retransmits; memberlist sends it with every
         * probe of a suspect). */
        if (mem->state == HB_PEER_SUSPECT && !bq_has(s, mem->id)) {
                swim_bcast_t b = { .id = mem->id,
                                   .run = mem->run,
                                   .inc = mem->inc,
                                   .state = HB_PEER_SUSPECT,
                                   .origin = node->cfg.node_id };

                send_msg2(node, HB_DEST_PEER, mem->id, HB_MSG_PING, mem->id,
                          s->probe.nonce, 0, &b, now_ns);
                return;
        }
        send_msg(node, HB_DEST_PEER, mem->id, HB_MSG_PING, mem->id,
                 s->probe.nonce,
                 mem->state == HB_PEER_SUSPECT ? mem->id : 0, now_ns);
}

static void probe_indirect(hb_node_t *node, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        const swim_member_t *mem;
        uint32_t via[16];
        size_t k = pick(s, s->probe.target,
                        node->cfg.gossip.indirect_probes, via, true);

        if (k == 0) {
                probe_done(node, false, now_ns);
                return;
        }
        s->probe.phase = PROBE_INDIRECT;
        s->probe.nacks_expected = (uint32_t)k;
        s->probe.deadline_ns = add_sat(
                now_ns, scaled(node, node->cfg.gossip.probe_timeout_ns));
        for (size_t i = 0; i < k; i++)
                send_msg(node, HB_DEST_PEER, via[i], HB_MSG_PING_REQ,
                         s->probe.target, s->probe.nonce, 0, now_ns);
        /* And a second direct ping, same nonce: the datagram stand-in
         * for memberlist's TCP fallback ping, one more independent path
         * under loss (docs/gossip.md, "Why the shortest suspicion
         * timeout"). Its ack ends the probe like the first one's. */
        mem = find(s, s->probe.target);
        send_msg(node, HB_DEST_PEER, s->probe.target, HB_MSG_PING,
                 s->probe.target, s->probe.nonce,
                 mem && mem->state == HB_PEER_SUSPECT ? mem->id : 0,
                 now_ns);
}

static void gossip_round(hb_node_t *node, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        uint32_t to[16];
        size_t k = pick(s, 0, node->cfg.gossip.fanout, to, false);

        for (size_t i = 0; i < k && s->n_bq > 0; i++)
                send_msg(node, HB_DEST_PEER, to[i], HB_MSG_GOSSIP, 0, 0, 0,
                         now_ns);
        s->stats.gossip_rounds++;
}

/* Serf's reconnect, on the datagram path: now and then, ping one member
 * held dead, telling it so. Alive after all (a partition healed, a pause
 * outlived), it refutes in its ack, and tells us what it holds of us:
 * two halves that declared each other dead find each other again
 * without a rejoin (docs/gossip.md). */
static void reconnect(hb_node_t *node, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        const swim_member_t *mem = NULL;
        size_t n_dead = 0, k;
        swim_bcast_t b;

        for (size_t i = 0; i < s->n; i++)
                n_dead += s->m[i].state == HB_PEER_DEAD;
        if (n_dead == 0)
                return;
        k = rnd_below(s, n_dead);
        for (size_t i = 0; i < s->n; i++)
                if (s->m[i].state == HB_PEER_DEAD && k-- == 0) {
                        mem = &s->m[i];
                        break;
                }
        b = (swim_bcast_t){ .id = mem->id,
                            .run = mem->run,
                            .inc = mem->inc,
                            .state = HB_PEER_DEAD,
                            .origin = node->cfg.node_id };
        s->stats.reconnects++;
        send_msg2(node, HB_DEST_PEER, mem->id, HB_MSG_PING, mem->id,
                  ++s->nonce, 0, &b, now_ns);
}

void hb__swim_tick(hb_node_t *node, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        size_t i;

        if (s->left)
                return;
        /* Relays whose target stayed silent: nack (Lifeguard). */
        for (i = 0; i < s->n_relay;) {
                swim_relay_t *r = &s->relay[i];

                if (r->nack_ns > now_ns) {
                        i++;
                        continue;
                }
                send_msg(node, HB_DEST_PEER, r->prober, HB_MSG_PROBE_NACK,
                         r->target, r->prober_nonce, 0, now_ns);
                *r = s->relay[--s->n_relay];
        }
        /* Suspicions not refuted in time: dead. */
        for (i = 0; i < s->n_susp;) {
                swim_susp_t *x = &s->susp[i];
                swim_member_t *mem;

                if (x->deadline_ns > now_ns) {
                        i++;
                        continue;
                }
                mem = find(s, x->id);
                if (!mem || mem->state != HB_PEER_SUSPECT) {
                        *x = s->susp[--s->n_susp];
                        continue;
                }
                set_state(node, mem, HB_PEER_DEAD, HB_REASON_DEAD_AFTER,
                          now_ns); /* drops x */
                bq_put(node, mem->id, mem->run, mem->inc, HB_PEER_DEAD,
                       node->cfg.node_id, now_ns);
        }
        if (s->probe.phase != PROBE_IDLE && s->probe.deadline_ns <= now_ns) {
                if (s->probe.phase == PROBE_DIRECT)
                        probe_indirect(node, now_ns);
                else
                        probe_done(node, false, now_ns);
        }
        if (s->next_probe_ns <= now_ns) {
                if (s->probe.phase != PROBE_IDLE)
                        probe_done(node, false, now_ns);
                probe_start(node, now_ns);
                s->next_probe_ns =
                        add_sat(now_ns, scaled(node, node->cfg.interval_ns));
        }
        if (s->next_reconnect_ns <= now_ns &&
            node->cfg.gossip.reconnect_interval_ns > 0) {
                if (s->next_reconnect_ns != 0)
                        reconnect(node, now_ns);
                s->next_reconnect_ns = add_sat(
                        now_ns, node->cfg.gossip.reconnect_interval_ns);
        }
        if (s->next_gossip_ns <= now_ns) {
                if (s->n_bq > 0) {
                        gossip_round(node, now_ns);
                        s->next_gossip_ns = add_sat(
                                now_ns, node->cfg.gossip.gossip_interval_ns);
                } else {
                        s->next_gossip_ns = HB_NEVER;
                }
        }
}

uint64_t hb__swim_deadline(const hb_node_t *node)
{
        const struct hb_swim *s = node->swim;
        uint64_t d;
        size_t i;

        if (s->left)
                return HB_NEVER;
        d = min_u64(s->next_probe_ns, s->next_gossip_ns);
        if (node->cfg.gossip.reconnect_interval_ns > 0)
                d = min_u64(d, s->next_reconnect_ns);
        if (s->probe.phase != PROBE_IDLE)
                d = min_u64(d, s->probe.deadline_ns);
        for (i = 0; i < s->n_susp; i++)
                d = min_u64(d, s->susp[i].deadline_ns);
        for (i = 0; i < s->n_relay; i++)
                d = min_u64(d, s->relay[i].nack_ns);
        return d;
}

int hb__swim_leave(hb_node_t *node, uint64_t now_ns)
{
        struct hb_swim *s = node->swim;
        uint32_t to[64];
        size_t want, k;

        if (s->left)
                return 0;
        s->self_inc++;
        bq_put(node, node->cfg.node_id, node->cfg.incarnation, s->self_inc,
               HB_PEER_LEFT, node->cfg.node_id, now_ns);
        /* Tell enough members at once that the word spreads without us:
         * as many as an update is retransmitted to. */
        want = retransmit_limit(node);
        if (want < node->cfg.gossip.fanout)
                want = node->cfg.gossip.fanout;
        if (want > 64)
                want = 64;
        k = pick(s, 0, want, to, false);
        for (size_t i = 0; i < k; i++) {
                /* Each message carries the leave: keep it queued. */
                if (s->n_bq > 0 && s->bq[0].id == node->cfg.node_id)
                        s->bq[0].transmits = 0;
                send_msg(node, HB_DEST_PEER, to[i], HB_MSG_GOSSIP, 0, 0,
                         node->cfg.node_id, now_ns);
        }
        s->left = true;
        s->probe.phase = PROBE_IDLE;
        return 0;
}

void hb__swim_local_pause(hb_node_t *node, uint64_t now_ns,
                          uint64_t paused_ns)
{
        struct hb_swim *s = node->swim;

        /* What timed out while this node did not run says nothing of
         * the others: the probe is dropped without a verdict, relays
         * without nacks, and suspicions get the pause back (their
         * refutations may be in the socket backlog). */
        s->probe.phase = PROBE_IDLE;
        s->n_relay = 0;
        for (size_t i = 0; i < s->n_susp; i++)
                s->susp[i].deadline_ns =
                        add_sat(s->susp[i].deadline_ns, paused_ns);
        s->next_probe_ns = now_ns;
}

/* ---- snapshots ----------------------------------------------------- */

static void fill(const hb_node_t *node, const swim_member_t *mem,
                 hb_peer_info_t *out)
{
        const struct hb_swim *s = node->swim;
        const swim_susp_t *x = NULL;
        const hb_peer_t *v;

        memset(out, 0, sizeof(*out));
        out->id = mem->id;
        out->state = mem->state;
        out->state_since_ns = mem->since_ns;
        out->incarnation = mem->run;
        out->last_arrival_ns = HB_NEVER;
        out->coord_role = HB_ROLE_NO_QUORUM;
        for (size_t i = 0; i < s->n_susp; i++)
                if (s->susp[i].id == mem->id)
                        x = &s->susp[i];
        /* Suspicion: the independent confirmations of a suspicion. */
        out->suspicion = x ? (double)x->n_conf : 0.0;
        /* A voter: what its coordination heartbeats say. */
        v = hb__swim_voters(node) ? hb__lookup(node, mem->id) : NULL;
        if (v && v->has_coord) {
                out->coordinating = true;
                out->coord_term = v->c_term;
                out->coord_role = v->c_role;
                out->resource_up =
                        (v->c_flags & HB_LEADER_FLAG_RESOURCE) != 0;
        }
}

/* ---- voters (quorum and election, docs/gossip.md) -------------------- */

void hb__swim_voter_sync(hb_node_t *node, uint32_t id, uint64_t now_ns)
{
        const swim_member_t *mem;
        hb_peer_t *p;
        uint8_t st;

        if (!hb__swim_voters(node))
                return;
        p = hb__lookup(node, id);
        mem = find(node->swim, id);
        if (!p || !mem)
                return;
        /* Presumed alive by the driver is not news: unknown until
         * gossip has heard of it (a run), as a mesh peer is until its
         * first heartbeat; a verdict on it (suspect, dead) is. */
        st = mem->run == 0 && mem->state == HB_PEER_ALIVE ? HB_PEER_UNKNOWN
                                                          : mem->state;
        if (st == p->state)
                return;
        p->state = st;
        p->state_since_ns = now_ns;
        p->transitions++;
        hb__coord_peer_changed(node, p, now_ns);
}

uint64_t hb__swim_dead_cfg_ns(const hb_node_config_t *cfg, size_t members)
{
        const hb_gossip_config_t *g = &cfg->gossip;
        double n = (double)members;
        /* As start_suspicion(): log10 only above 10 members. */
        double scale = n > 10.0 ? log10(n) : 1.0;
        double susp = (double)g->suspicion_mult * scale *
                      (double)cfg->interval_ns;
        uint64_t d, low;

        d = susp >= (double)(HB_NEVER / 2) ? HB_NEVER / 2 : (uint64_t)susp;
        d = add_sat(d, 2 * g->probe_timeout_ns);
        low = HB_COORD_GOSSIP_PROMISE_MIN_INTERVALS * cfg->interval_ns;
        return max_u64(d, low);
}

uint64_t hb__swim_dead_ns(const hb_node_t *node)
{
        return hb_coord_gossip_promise_ns(&node->cfg,
                                          group_n(node->swim));
}

int hb__swim_info(const hb_node_t *node, uint32_t id, hb_peer_info_t *out)
{
        const swim_member_t *mem = find(node->swim, id);

        if (!mem)
                return -ENOENT;
        fill(node, mem, out);
        return 0;
}

size_t hb__swim_count(const hb_node_t *node)
{
        return node->swim->n;
}

int hb__swim_info_at(const hb_node_t *node, size_t i, hb_peer_info_t *out)
{
        if (i >= node->swim->n)
                return -ENOENT;
        fill(node, &node->swim->m[i], out);
        return 0;
}

size_t hb__swim_member_memory(void)
{
        /* record + probe-order slot (addresses apart: + 19 bytes for a
         * member that advertises one) */
        return sizeof(swim_member_t) + sizeof(uint32_t);
}

/* ---- public gossip calls -------------------------------------------- */

int hb_node_gossip_info(const hb_node_t *node, hb_gossip_info_t *out)
{
        const struct hb_swim *s;

        if (!node || !out || !node->swim)
                return -EINVAL;
        s = node->swim;
        *out = s->stats;
        out->lhm = s->lhm;
        out->incarnation = s->self_inc;
        out->members = s->n;
        out->live = s->n_live;
        out->suspects = s->n_susp;
        out->pending_updates = s->n_bq;
        out->member_bytes = hb__swim_member_memory();
        return 0;
}

int hb_node_member_addr(const hb_node_t *node, uint32_t id, uint8_t *buf,
                        size_t cap)
{
        const swim_member_t *mem;
        const swim_addr_t *a;

        if (!node || !node->swim || (!buf && cap > 0))
                return -EINVAL;

        mem = find(node->swim, id);
        if (!mem)
                return -ENOENT;
        if (!mem->addr)
                return 0;
        a = &node->swim->addrs[mem->addr - 1];
        if (cap < a->len)
                return -ENOBUFS;
        if (a->len)
                memcpy(buf, a->b, a->len);
        return a->len;
}

int hb_node_member_set_addr(hb_node_t *node, uint32_t id, const uint8_t *addr,
                            size_t len)
{
        swim_member_t *mem;

        if (!node || !node->swim || len > HB_GOSSIP_ADDR_MAX ||
            (!addr && len > 0))
                return -EINVAL;
        mem = find(node->swim, id);
        if (!mem)
                return -ENOENT;
        return store_addr(node->swim, mem, addr, (uint8_t)len);
}

int hb_node_gossip_digest(const hb_node_t *node, size_t *cursor, uint8_t *buf,
                          size_t cap)
{
        const struct hb_swim *s;
        size_t len = 0;

        if (!node || !node->swim || !cursor || (!buf && cap > 0))
                return -EINVAL;
        s = node->swim;
        /* This node first (cursor 0), then the members in id order. */
        while (*cursor <= s->n) {
                swim_bcast_t b;
                size_t k;

                if (*cursor == 0) {
                        b = (swim_bcast_t){
                                .id = node->cfg.node_id,
                                .run = node->cfg.incarnation,
                                .inc = s->self_inc,
                                .state = s->left ? HB_PEER_LEFT
                                                 : HB_PEER_ALIVE,
                                .origin = node->cfg.node_id };
                } else {
                        const swim_member_t *mem = &s->m[*cursor - 1];

                        if (mem->state == HB_PEER_UNKNOWN) {
                                (*cursor)++;
                                continue;
                        }
                        b = (swim_bcast_t){ .id = mem->id,
                                            .run = mem->run,
                                            .inc = mem->inc,
                                            .state = mem->state,
                                            .origin = node->cfg.node_id };
                }
                k = put_update(node, buf + len, cap - len, &b);
                if (k == 0)
                        break;
                len += k;
                (*cursor)++;
        }
        if (len == 0 && *cursor <= s->n)
                return -ENOBUFS;
        return (int)len;
}

int hb_node_gossip_merge(hb_node_t *node, uint64_t now_ns, const uint8_t *buf,
                         size_t len)
{
        const uint8_t *cur = buf, *val;
        size_t left = len;
        uint16_t type, vlen;
        int r;

        if (!node || !node->swim || (!buf && len > 0))
                return -EINVAL;
        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0)
                if (type != HB_TLV_MEMBER || !update_ok(val, vlen))
                        return HB_EBADTLV;
        if (r < 0)
                return HB_EBADTLV;
        cur = buf;
        left = len;
        while (hb_wire_tlv_next(&cur, &left, &type, &val, &vlen) > 0) {
                swim_update_t u;

                read_update(val, vlen, &u);
                /* A suspicion in a digest is taken as alive news at most:
                 * anti-entropy must not start suspicions (memberlist does
                 * the same in mergeState). */
                if (u.state == HB_PEER_SUSPECT && u.id != node->cfg.node_id)
                        u.state = HB_PEER_ALIVE;
                apply(node, &u, now_ns);
        }
        return 0;
}
