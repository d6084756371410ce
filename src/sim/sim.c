/* SPDX-License-Identifier: MIT */
/*
 * DOC: sim — deterministic cluster simulation (see sim.h).
 *
 * One discrete-event loop: a binary heap of timed events ordered by
 * (time, insertion number), so equal times resolve in a fixed order and a
 * run depends only on its seed. Three event kinds:
 *
 *   WAKE    node i's core deadline: hb_node_tick(), which also sends the
 *           node's heartbeats on its own schedule;
 *   DELIVER a datagram reaches node i: hb_node_recv() (queued while the
 *           node is paused, dropped while it is crashed);
 *   UNREACH with cfg.port_unreachable, a datagram sent to a crashed node
 *           came back as an ICMP port unreachable: node i gets
 *           hb_node_peer_unreachable_quoted() for it, quoting the
 *           datagram, one link delay later;
 *   USER    hbsim_wake_at(): node i's hook, for the caller's own timers.
 *
 * Each node is driven exactly as hbeatd's libuv adapter drives it (node.h's
 * call protocol): after every call into the core, its output queue is
 * drained through the link model (HB_DEST_ALL to every other node,
 * HB_DEST_PEER and HB_DEST_REPLY to the peer named) and a WAKE is armed
 * for hb_node_next_deadline(). Timer lateness is modelled by a uniform
 * delay of up to cfg.send_jitter_ns on every WAKE. A paused node runs
 * nothing; on resume it reads its socket backlog, then ticks — the core
 * notices from its own heartbeat schedule that it was late and applies its
 * local-pause guard, as it does in hbeatd.
 *
 * WAKE events are pushed lazily: after every call into a node, its
 * next deadline is pushed only if it is earlier than the earliest WAKE
 * already pending for that node; later stale WAKEs tick harmlessly. A
 * node's first WAKE comes at a random phase within one interval of its
 * boot, so nodes do not send in lockstep. Events of a node that crashed
 * carry an old generation number and are ignored.
 *
 * Clocks: the loop runs on one simulator time (s->now, "real time");
 * each node has its own clock, a line through (at, local) of slope
 * rate / 1e9: local(t) = local + floor((t - at) x rate / 1e9), computed
 * with 128-bit intermediates. floor keeps it monotonic; a deadline d on
 * it is reached at the first t with local(t) >= d, which global()
 * computes exactly (a ceiling), so no wake comes before the deadline the
 * node asked for. The identity clock (rate 1e9, local == at) takes a
 * fast path that returns t unchanged: with clock_drift_ppm 0 nothing
 * changes, not even a random draw.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

enum ev_kind { EV_DELIVER, EV_WAKE, EV_UNREACH, EV_USER };

/* Largest datagram the simulated network carries: anything the core's
 * output queue holds. */
#define SIM_PKT_MAX HB_OUTPUT_MAX_LEN

/* A datagram's bytes, shared by every event that carries it (a message
 * to all is one packet and n - 1 DELIVER events), counted. */
typedef struct sim_pkt {
        uint32_t refs;                /* 0: on the free list */
        uint32_t next_free;
        uint16_t len;
        uint8_t buf[SIM_PKT_MAX];
} sim_pkt_t;

#define NO_PKT UINT32_MAX

typedef struct sim_ev {
        uint64_t at_ns;
        uint64_t order;               /* insertion number: tie-break */
        uint32_t kind;
        uint32_t node;
        uint32_t gen;
        uint32_t from;                /* DELIVER: sender; UNREACH: the
                                         crashed node */
        uint32_t pkt;                 /* DELIVER, UNREACH: the datagram
                                         (one reference), else NO_PKT */
        uint8_t link;                 /* DELIVER, UNREACH: the link */
} sim_ev_t;

/* A datagram queued while its node is paused (holds a reference). */
typedef struct sim_held {
        uint32_t pkt;
        uint8_t link;
} sim_held_t;

/* A node's clock: reads `local` at simulator time `at` and advances
 * `rate` ns per 1e9 simulator ns. */
typedef struct sim_clock {
        uint64_t at;
        uint64_t local;
        uint64_t rate;
} sim_clock_t;

#define RATE_ONE UINT64_C(1000000000)

typedef struct sim_node {
        hbsim_t *sim;
        size_t index;
        hb_node_t *core;              /* NULL while crashed */
        uint32_t gen;
        uint64_t incarnation;
        bool paused;
        bool has_term;                /* "disk": what HB_EVENT_TERM said */
        uint64_t term;
        uint32_t voted_for;
        uint64_t promise_until;       /* ... and its promises' end */
        uint64_t wake_ns;             /* earliest pending WAKE */
        uint64_t start_ns;            /* no WAKE before: boot + phase
                                         (simulator time) */
        sim_clock_t clk;
        uint32_t reply_link;          /* link of the datagram being
                                         delivered, for HB_DEST_REPLY */
        sim_held_t *pending;          /* datagrams queued while paused */
        size_t n_pending, cap_pending;
} sim_node_t;

struct hbsim {
        hbsim_config_t cfg;
        uint64_t rng[4];
        uint64_t now;
        uint64_t order;
        sim_node_t *nodes;
        uint64_t *path_delay;         /* n x n base one-way delays,
                                         [from * n + to]; NULL: the
                                         region model's
                                         (hbsim_set_delay()) */
        uint64_t *cut;                /* bit set, links x n x n: bit
                                         (link * n + from) * n + to;
                                         NULL until the first cut */
        size_t links;                 /* cfg.node.n_links, at least 1 */
        size_t n_regions;             /* cfg.n_regions, at least 1 */
        uint8_t *region_cut;          /* per region: cut off the others */
        sim_pkt_t *pkts;              /* packet pool */
        size_t n_pkts;
        uint32_t free_pkt;            /* free list head, NO_PKT: empty */
        sim_ev_t *heap;
        size_t n_heap, cap_heap;
        hbsim_event_t *log;
        size_t n_log, cap_log;
        uint64_t trace_hash;          /* over every event, logged or not */
        uint64_t delivered;
        uint64_t sent[HBSIM_MSG_TYPES];   /* datagrams sent, by message
                                             type (index 0: all) */
        uint64_t sent_bytes[HBSIM_MSG_TYPES];
        int oom;
        hbsim_observer_fn observer;
        void *observer_user;
        hbsim_node_hook_fn hook;
        void *hook_user;
};

/* ------------------------------------------------------------------ */
/* Random numbers: xoshiro256** seeded by splitmix64 (Blackman, Vigna). */

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(hbsim_t *s)
{
        uint64_t *r = s->rng;
        uint64_t out = rotl(r[1] * 5, 7) * 9;
        uint64_t t = r[1] << 17;

        r[2] ^= r[0];
        r[3] ^= r[1];
        r[1] ^= r[2];
        r[0] ^= r[3];
        r[2] ^= t;
        r[3] = rotl(r[3], 45);
        return out;
}

static double rng_unit(hbsim_t *s)
{
        return (double)(rng_next(s) >> 11) * 0x1.0p-53;
}

static uint64_t rng_below(hbsim_t *s, uint64_t n)
{
        return n == 0 ? 0 : rng_next(s) % n;
}

/* ------------------------------------------------------------------ */
/* Clocks                                                              */

static bool clk_identity(const sim_clock_t *c)
{
        return c->rate == RATE_ONE && c->local == c->at;
}

/* The clock's reading at simulator time t. */
static uint64_t clk_local(const sim_clock_t *c, uint64_t t)
{
        unsigned __int128 d;

        if (clk_identity(c))
                return t;
        if (t >= c->at) {
                d = (unsigned __int128)(t - c->at) * c->rate / RATE_ONE;
                return d >= HB_NEVER - c->local ? HB_NEVER - 1
                                                 : c->local + (uint64_t)d;
        }
        /* Before the anchor (the same line: floor of a negative part). */
        d = ((unsigned __int128)(c->at - t) * c->rate + RATE_ONE - 1) /
            RATE_ONE;
        return d >= c->local ? 0 : c->local - (uint64_t)d;
}

/* The first simulator time at which the clock reads >= local. */
static uint64_t clk_global(const sim_clock_t *c, uint64_t local)
{
        unsigned __int128 d;

        if (local == HB_NEVER || clk_identity(c))
                return local;
        if (local >= c->local) {
                d = ((unsigned __int128)(local - c->local) * RATE_ONE +
                     c->rate - 1) / c->rate;
                return d >= HB_NEVER - c->at ? HB_NEVER : c->at + (uint64_t)d;
        }
        d = (unsigned __int128)(c->local - local) * RATE_ONE / c->rate;
        return d >= c->at ? 0 : c->at - (uint64_t)d;
}

static uint64_t node_now(const hbsim_t *s, const sim_node_t *n)
{
        return clk_local(&n->clk, s->now);
}

/* ------------------------------------------------------------------ */
/* Event heap                                                          */

static int ev_less(const sim_ev_t *a, const sim_ev_t *b)
{
        return a->at_ns < b->at_ns ||
               (a->at_ns == b->at_ns && a->order < b->order);
}

static sim_ev_t *ev_push(hbsim_t *s, uint64_t at, uint32_t kind,
                         uint32_t node)
{
        size_t i;

        if (s->n_heap == s->cap_heap) {
                size_t cap = s->cap_heap ? 2 * s->cap_heap : 1024;
                sim_ev_t *h = realloc(s->heap, cap * sizeof(*h));

                if (!h) {
                        s->oom = 1;
                        return NULL;
                }
                s->heap = h;
                s->cap_heap = cap;
        }
        i = s->n_heap++;
        s->heap[i].at_ns = at;
        s->heap[i].order = s->order++;
        s->heap[i].kind = kind;
        s->heap[i].node = node;
        s->heap[i].gen = s->nodes[node].gen;
        s->heap[i].from = 0;
        s->heap[i].pkt = NO_PKT;
        s->heap[i].link = 0;
        while (i > 0) {
                size_t p = (i - 1) / 2;
                sim_ev_t tmp;

                if (!ev_less(&s->heap[i], &s->heap[p]))
                        break;
                tmp = s->heap[i];
                s->heap[i] = s->heap[p];
                s->heap[p] = tmp;
                i = p;
        }
        return &s->heap[i];
}

static void ev_pop(hbsim_t *s, sim_ev_t *out)
{
        size_t i = 0;

        *out = s->heap[0];
        s->heap[0] = s->heap[--s->n_heap];
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                sim_ev_t tmp;

                if (l < s->n_heap && ev_less(&s->heap[l], &s->heap[m]))
                        m = l;
                if (r < s->n_heap && ev_less(&s->heap[r], &s->heap[m]))
                        m = r;
                if (m == i)
                        break;
                tmp = s->heap[i];
                s->heap[i] = s->heap[m];
                s->heap[m] = tmp;
                i = m;
        }
}

/* ------------------------------------------------------------------ */
/* Packets                                                             */

/* A packet holding `buf`, with one reference (the caller's); NO_PKT
 * when out of memory. May move the pool: take pointers after. */
static uint32_t pkt_new(hbsim_t *s, const uint8_t *buf, size_t len)
{
        uint32_t i = s->free_pkt;
        sim_pkt_t *p;

        if (i == NO_PKT) {
                size_t cap = s->n_pkts ? 2 * s->n_pkts : 256, k;

                p = cap < NO_PKT ? realloc(s->pkts, cap * sizeof(*p))
                                 : NULL;
                if (!p) {
                        s->oom = 1;
                        return NO_PKT;
                }
                for (k = s->n_pkts; k < cap; k++) {
                        p[k].refs = 0;
                        p[k].next_free = k + 1 < cap ? (uint32_t)k + 1
                                                     : NO_PKT;
                }
                s->free_pkt = (uint32_t)s->n_pkts;
                s->pkts = p;
                s->n_pkts = cap;
                i = s->free_pkt;
        }
        p = &s->pkts[i];
        s->free_pkt = p->next_free;
        p->refs = 1;
        p->len = (uint16_t)len;
        memcpy(p->buf, buf, len);
        return i;
}

static void pkt_put(hbsim_t *s, uint32_t i)
{
        if (i == NO_PKT || --s->pkts[i].refs > 0)
                return;
        s->pkts[i].next_free = s->free_pkt;
        s->free_pkt = i;
}

/* ------------------------------------------------------------------ */
/* Nodes                                                               */

static uint64_t fnv(uint64_t h, uint64_t v)
{
        for (int i = 0; i < 8; i++) {
                h ^= (v >> (8 * i)) & 0xff;
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

/* FNV-1a over what an event says (hbsim_trace_hash()). */
static uint64_t hash_event(uint64_t h, size_t observer, size_t peer,
                           const hb_event_t *ev)
{
        h = fnv(h, observer);
        h = fnv(h, peer);
        h = fnv(h, ev->old_state);
        h = fnv(h, ev->new_state);
        h = fnv(h, ev->reason);
        h = fnv(h, ev->at_ns);
        if (ev->type != HB_EVENT_PEER_STATE) {
                h = fnv(h, ev->type);
                h = fnv(h, ev->new_role);
                h = fnv(h, ev->term);
                h = fnv(h, ev->leader_id);
        }
        return h;
}

static void on_event(void *user, const hb_event_t *ev)
{
        sim_node_t *n = user;
        hbsim_t *s = n->sim;
        size_t peer = ev->type == HB_EVENT_PEER_STATE ||
                                      ev->type == HB_EVENT_LINK ||
                                      ev->type == HB_EVENT_CLASS_MISMATCH
                              ? ev->peer_id - 1
                              : HBSIM_NO_PEER;

        s->trace_hash = hash_event(s->trace_hash, n->index, peer, ev);

        if (ev->type == HB_EVENT_TERM) {
                /* The node's durable state, as hbeatd would fsync it. */
                n->has_term = true;
                n->term = ev->term;
                n->voted_for = ev->voted_for;
                n->promise_until = ev->promise_until_ns;
        }
        if (s->cfg.no_event_log)
                goto hook;
        if (s->n_log == s->cap_log) {
                size_t cap = s->cap_log ? 2 * s->cap_log : 256;
                hbsim_event_t *l = realloc(s->log, cap * sizeof(*l));

                if (!l) {
                        s->oom = 1;
                        goto hook;
                }
                s->log = l;
                s->cap_log = cap;
        }
        s->log[s->n_log].observer = n->index;
        s->log[s->n_log].peer = peer;
        s->log[s->n_log].ev = *ev;
        s->log[s->n_log].at_ns = s->now;
        s->n_log++;
hook:
        if (s->hook)
                s->hook(s, n->index, ev, s->hook_user);
}

static void transmit(hbsim_t *s, size_t from, size_t to, size_t link,
                     uint32_t pkt);

static void count_sent(hbsim_t *s, uint8_t type, size_t len)
{
        s->sent[0]++;
        s->sent_bytes[0] += len;
        if (type > 0 && type < HBSIM_MSG_TYPES) {
                s->sent[type]++;
                s->sent_bytes[type] += len;
        }
}

/* Send everything the core queued through the link model: HB_DEST_ALL on
 * every link (docs/links.md), a reply on the link its datagram came on,
 * a vote on the link the core names. */
static void flush(hbsim_t *s, sim_node_t *n)
{
        uint8_t buf[SIM_PKT_MAX];
        hb_output_t out;
        size_t j, k;
        int len;

        while ((len = hb_node_poll_output(n->core, &out, buf, sizeof(buf))) >
               0) {
                uint32_t pkt;

                if (out.dest != HB_DEST_ALL &&
                    (out.peer_id < 1 || out.peer_id > s->cfg.n_nodes))
                        continue;
                pkt = pkt_new(s, buf, (size_t)len);
                if (pkt == NO_PKT)
                        return;
                if (out.dest == HB_DEST_ALL) {
                        for (k = 0; k < s->links; k++)
                                for (j = 0; j < s->cfg.n_nodes; j++)
                                        if (j != n->index) {
                                                count_sent(s, out.type,
                                                           (size_t)len);
                                                transmit(s, n->index, j, k,
                                                         pkt);
                                        }
                } else if (out.dest == HB_DEST_BEAT) {
                        /* A class's heartbeat: every link, one peer. */
                        for (k = 0; k < s->links; k++) {
                                count_sent(s, out.type, (size_t)len);
                                transmit(s, n->index, out.peer_id - 1, k,
                                         pkt);
                        }
                } else {
                        count_sent(s, out.type, (size_t)len);
                        k = out.dest == HB_DEST_REPLY && n->reply_link > 0
                                    ? n->reply_link - 1
                                    : hb_node_peer_link(n->core,
                                                        out.peer_id);
                        transmit(s, n->index, out.peer_id - 1, k, pkt);
                }
                pkt_put(s, pkt);
        }
}

/* After any call into node i: send its queued messages and make sure a
 * WAKE is pending for its next deadline (a timer fires up to
 * send_jitter_ns late). */
static void arm(hbsim_t *s, sim_node_t *n)
{
        uint64_t d;

        if (!n->core || n->paused)
                return;
        flush(s, n);
        d = clk_global(&n->clk, hb_node_next_deadline(n->core));
        if (d == HB_NEVER)
                return;
        if (d < n->start_ns)
                d = n->start_ns;
        if (d < n->wake_ns) {
                n->wake_ns = d;
                ev_push(s, (d < s->now ? s->now : d) +
                                   rng_below(s, s->cfg.send_jitter_ns),
                        EV_WAKE, (uint32_t)n->index);
        }
}

static int node_boot(hbsim_t *s, sim_node_t *n)
{
        hb_node_config_t c = s->cfg.node;
        size_t j;
        int r;

        c.node_id = (uint32_t)n->index + 1;
        c.incarnation = n->incarnation;
        c.coord.seed = s->cfg.seed * UINT64_C(1000003) + n->incarnation;
        if (s->cfg.hier_regions > 0) {
                uint32_t k = s->cfg.hier_electors ? s->cfg.hier_electors : 3;

                c.hier.enabled = true;
                c.hier.region = hbsim_region_of(s->cfg.n_nodes,
                                                s->cfg.hier_regions, n->index);
                c.hier.elector = hbsim_is_elector(s->cfg.n_nodes,
                                                  s->cfg.hier_regions, k,
                                                  n->index);
                c.hier.global_interval_ns =
                        s->cfg.hier_global_interval_ns
                                ? s->cfg.hier_global_interval_ns
                                : c.interval_ns * 5 / 2;
                c.coord.enabled = c.hier.elector;
        }
        if (s->cfg.node_config)
                s->cfg.node_config(&c, n->index, s->cfg.node_config_user);
        r = hb_node_new(&n->core, &c, on_event, n);
        if (r < 0)
                return r;
        if (c.coord.enabled && n->has_term) {
                r = hb_node_restore_term(n->core, n->term, n->voted_for);
                if (r < 0)
                        return r;
        }
        if (c.coord.enabled) {
                /* One clock for all runs of a node (a process restart,
                 * as hbeatd restores it); a node that never ran made no
                 * promise. */
                r = hb_node_restore_promise(n->core, n->has_term
                                                             ? n->promise_until
                                                             : 0);
                if (r < 0)
                        return r;
        }
        r = hb_node_peer_reserve(n->core, s->cfg.n_nodes - 1);
        if (r < 0)
                return r;
        for (j = 0; j < s->cfg.n_nodes; j++) {
                if (j == n->index)
                        continue;
                r = hb_node_peer_add(n->core, (uint32_t)j + 1,
                                     node_now(s, n));
                if (r < 0)
                        return r;
                if (s->cfg.hier_regions > 0) {
                        uint32_t k = s->cfg.hier_electors
                                             ? s->cfg.hier_electors
                                             : 3;

                        r = hb_node_peer_set_region(
                                n->core, (uint32_t)j + 1,
                                hbsim_region_of(s->cfg.n_nodes,
                                                s->cfg.hier_regions, j),
                                hbsim_is_elector(s->cfg.n_nodes,
                                                 s->cfg.hier_regions, k, j));
                        if (r < 0)
                                return r;
                }
                if (s->cfg.peer_class) {
                        uint32_t cls = s->cfg.peer_class(
                                n->index, j, s->cfg.node_config_user);

                        r = hb_node_peer_set_class(n->core, (uint32_t)j + 1,
                                                   cls, node_now(s, n));
                        if (r < 0)
                                return r;
                }
        }
        n->wake_ns = HB_NEVER;
        n->start_ns = s->now + rng_below(s, s->cfg.node.interval_ns);
        arm(s, n);
        return 0;
}

/* Regions: node i is in region i x R / n (contiguous blocks). */
static size_t region_of(const hbsim_t *s, size_t i)
{
        return i * s->n_regions / s->cfg.n_nodes;
}

static bool is_cut(const hbsim_t *s, size_t link, size_t from, size_t to)
{
        size_t n = s->cfg.n_nodes, bit;

        if (s->n_regions > 1) {
                size_t a = region_of(s, from), b = region_of(s, to);

                if (a != b && (s->region_cut[a] || s->region_cut[b]))
                        return true;
        }
        if (!s->cut)
                return false;
        bit = (link * n + from) * n + to;
        return s->cut[bit / 64] >> (bit % 64) & 1;
}

static bool inter_region(const hbsim_t *s, size_t from, size_t to)
{
        return s->n_regions > 1 && region_of(s, from) != region_of(s, to);
}

/* Base one-way delay from node `from` to node `to`: hbsim_set_delay()'s,
 * else the region's class or the inter-region one. */
static uint64_t base_delay(const hbsim_t *s, size_t from, size_t to)
{
        if (s->path_delay)
                return s->path_delay[from * s->cfg.n_nodes + to];
        return inter_region(s, from, to) ? s->cfg.region_delay_ns
                                         : s->cfg.delay_ns;
}

int hbsim_set_delay(hbsim_t *s, size_t from, size_t to, uint64_t delay_ns)
{
        size_t n = s->cfg.n_nodes;

        if (from >= n || to >= n)
                return -EINVAL;
        if (!s->path_delay) {
                uint64_t *d = calloc(n * n, sizeof(*d));

                if (!d)
                        return -ENOMEM;
                for (size_t i = 0; i < n * n; i++)
                        d[i] = base_delay(s, i / n, i % n);
                s->path_delay = d;
        }
        s->path_delay[from * n + to] = delay_ns;
        return 0;
}

/* One-way delay from `from` to `to`: the base, plus the jitter of the
 * path's class (inside a region, or between two). */
static uint64_t delay_of(hbsim_t *s, size_t from, size_t to)
{
        return base_delay(s, from, to) +
               rng_below(s, inter_region(s, from, to)
                                    ? s->cfg.region_jitter_ns
                                    : s->cfg.jitter_ns);
}

/* Schedule datagram `pkt` (taking a reference of its own) from node
 * `from` to node `to` through the link model (cut links and loss
 * apply); `kind` EV_DELIVER, or EV_UNREACH for a bounce. */
static void send_pkt(hbsim_t *s, uint32_t kind, size_t from, size_t to,
                     size_t link, uint32_t pkt)
{
        sim_ev_t *e;
        uint64_t delay;

        if (link >= s->links || is_cut(s, link, from, to))
                return;
        if (s->cfg.loss > 0 && rng_unit(s) < s->cfg.loss)
                return;
        delay = delay_of(s, from, to);
        e = ev_push(s, s->now + delay, kind, (uint32_t)to);
        if (!e)
                return;
        e->from = (uint32_t)from;
        e->link = (uint8_t)link;
        e->pkt = pkt;
        s->pkts[pkt].refs++;
}

static void transmit(hbsim_t *s, size_t from, size_t to, size_t link,
                     uint32_t pkt)
{
        send_pkt(s, EV_DELIVER, from, to, link, pkt);
}

/* An ICMP port unreachable from crashed node `dead` back to `to` (cut
 * links and loss apply to it as to any datagram), quoting the datagram
 * (as Linux does: the whole of it). */
static void bounce(hbsim_t *s, size_t dead, size_t to, size_t link,
                   uint32_t pkt)
{
        send_pkt(s, EV_UNREACH, dead, to, link, pkt);
}

static void deliver(hbsim_t *s, sim_node_t *n, size_t link, uint32_t pkt)
{
        /* The pool may move in arm() (new packets): the bytes are read
         * before. */
        (void)hb_node_recv_link(n->core, node_now(s, n), (uint32_t)link,
                                s->pkts[pkt].buf, s->pkts[pkt].len, NULL,
                                NULL);
        s->delivered++;
        n->reply_link = (uint32_t)link + 1;
        arm(s, n);
        n->reply_link = 0;
}

static void handle(hbsim_t *s, const sim_ev_t *e)
{
        sim_node_t *n = &s->nodes[e->node];

        if (e->kind != EV_DELIVER && e->kind != EV_UNREACH &&
            e->gen != n->gen)
                return; /* timer of a previous life */
        if (!n->core) {
                /* Crashed: datagrams vanish, or its host (still up)
                 * answers "port unreachable" through the link model. */
                if (e->kind == EV_DELIVER && s->cfg.port_unreachable)
                        bounce(s, e->node, e->from, e->link, e->pkt);
                return;
        }
        switch (e->kind) {
        case EV_DELIVER:
                if (n->paused) {
                        if (n->n_pending == n->cap_pending) {
                                size_t cap = n->cap_pending
                                                     ? 2 * n->cap_pending
                                                     : 64;
                                sim_held_t *p = realloc(
                                        n->pending, cap * sizeof(*p));

                                if (!p) {
                                        s->oom = 1;
                                        return;
                                }
                                n->pending = p;
                                n->cap_pending = cap;
                        }
                        n->pending[n->n_pending].pkt = e->pkt;
                        n->pending[n->n_pending].link = e->link;
                        n->n_pending++;
                        s->pkts[e->pkt].refs++;
                        return;
                }
                deliver(s, n, e->link, e->pkt);
                break;
        case EV_UNREACH:
                /* The kernel would queue the error for a stopped process;
                 * dropping it only makes the model more conservative. */
                if (n->paused)
                        return;
                (void)hb_node_peer_link_unreachable_quoted(
                        n->core, e->from + 1, e->link, s->pkts[e->pkt].buf,
                        s->pkts[e->pkt].len, node_now(s, n));
                arm(s, n);
                break;
        case EV_WAKE:
                if (n->paused)
                        return;
                if (e->at_ns >= n->wake_ns)
                        n->wake_ns = HB_NEVER;
                hb_node_tick(n->core, node_now(s, n));
                arm(s, n);
                break;
        case EV_USER:
                if (n->paused || !s->hook)
                        return;
                s->hook(s, e->node, NULL, s->hook_user);
                arm(s, n); /* no-op if the hook crashed it */
                break;
        }
}

/* ------------------------------------------------------------------ */
/* API                                                                 */

void hbsim_config_default(hbsim_config_t *cfg)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->n_nodes = 3;
        cfg->seed = 1;
        hb_node_config_default(&cfg->node, HB_DETECTOR_PHI,
                               100 * HB_NS_PER_MS);
        cfg->node.cluster_id = 1;
        memset(cfg->node.key.bytes, 0x5a, sizeof(cfg->node.key.bytes));
        cfg->delay_ns = 200 * 1000;
        cfg->jitter_ns = 200 * 1000;
        cfg->loss = 0;
        cfg->send_jitter_ns = 1000 * 1000;
}

uint32_t hbsim_region_of(size_t n, uint32_t regions, size_t i)
{
        return (uint32_t)(i * regions / n) + 1;
}

bool hbsim_is_elector(size_t n, uint32_t regions, uint32_t electors,
                      size_t i)
{
        uint32_t r = hbsim_region_of(n, regions, i);

        /* The first `electors` nodes of the region's block. */
        return i < n && (i < electors ||
                         hbsim_region_of(n, regions, i - electors) != r);
}

int hbsim_new(hbsim_t **ret, const hbsim_config_t *cfg)
{
        hbsim_t *s;
        uint64_t seed;
        size_t i;

        if (!ret || !cfg || cfg->n_nodes < 2 ||
            cfg->n_nodes > HBSIM_NODES_MAX ||
            cfg->n_regions > cfg->n_nodes ||
            !(cfg->loss >= 0 && cfg->loss <= 1) ||
            cfg->clock_drift_ppm > HBSIM_DRIFT_PPM_MAX ||
            cfg->hier_regions > HB_HIER_REGIONS_MAX ||
            cfg->hier_regions > cfg->n_nodes || cfg->hier_electors > 7)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->cfg = *cfg;
        seed = cfg->seed;
        for (i = 0; i < 4; i++)
                s->rng[i] = splitmix64(&seed);
        s->nodes = calloc(cfg->n_nodes, sizeof(*s->nodes));
        s->links = cfg->node.n_links > 1 ? cfg->node.n_links : 1;
        s->n_regions = cfg->n_regions > 1 ? cfg->n_regions : 1;
        s->region_cut = calloc(s->n_regions, 1);
        s->free_pkt = NO_PKT;
        s->trace_hash = UINT64_C(0xcbf29ce484222325);
        if (!s->nodes || !s->region_cut) {
                hbsim_free(s);
                return -ENOMEM;
        }
        for (i = 0; i < cfg->n_nodes; i++) {
                s->nodes[i].sim = s;
                s->nodes[i].index = i;
                s->nodes[i].incarnation = 1;
                s->nodes[i].wake_ns = HB_NEVER;
                s->nodes[i].clk.rate = RATE_ONE;
        }
        if (cfg->clock_drift_ppm != 0) {
                /* Drawn before anything else, one rate and one offset
                 * per node: the rest of the run draws after them. */
                uint64_t span = (uint64_t)cfg->clock_drift_ppm * 1000;

                for (i = 0; i < cfg->n_nodes; i++) {
                        sim_clock_t *c = &s->nodes[i].clk;

                        c->rate = RATE_ONE - span +
                                  rng_below(s, 2 * span + 1);
                        c->local = rng_below(s, 86400 * HB_NS_PER_S);
                }
        }
        for (i = 0; i < cfg->n_nodes; i++) {
                int r = node_boot(s, &s->nodes[i]);

                if (r < 0) {
                        hbsim_free(s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

void hbsim_free(hbsim_t *s)
{
        size_t i;

        if (!s)
                return;
        for (i = 0; s->nodes && i < s->cfg.n_nodes; i++) {
                hb_node_free(s->nodes[i].core);
                free(s->nodes[i].pending);
        }
        free(s->nodes);
        free(s->cut);
        free(s->region_cut);
        free(s->pkts);
        free(s->path_delay);
        free(s->heap);
        free(s->log);
        free(s);
}

void hbsim_run_until(hbsim_t *s, uint64_t until_ns)
{
        sim_ev_t e;

        while (s->n_heap > 0 && s->heap[0].at_ns <= until_ns && !s->oom) {
                ev_pop(s, &e);
                if (e.at_ns > s->now)
                        s->now = e.at_ns;
                handle(s, &e);
                pkt_put(s, e.pkt);
                if (s->observer)
                        s->observer(s, s->observer_user);
        }
        if (until_ns > s->now)
                s->now = until_ns;
}

uint64_t hbsim_now(const hbsim_t *s)
{
        return s->now;
}

void hbsim_crash(hbsim_t *s, size_t i)
{
        sim_node_t *n = &s->nodes[i];

        hb_node_free(n->core);
        n->core = NULL;
        n->gen++;
        n->paused = false;
        for (size_t k = 0; k < n->n_pending; k++)
                pkt_put(s, n->pending[k].pkt);
        n->n_pending = 0;
}

void hbsim_leave(hbsim_t *s, size_t i)
{
        sim_node_t *n = &s->nodes[i];

        if (!n->core || n->paused)
                return;
        (void)hb_node_leave(n->core, clk_local(&n->clk, s->now));
        flush(s, n);
        hbsim_crash(s, i);
}

int hbsim_restart(hbsim_t *s, size_t i)
{
        sim_node_t *n = &s->nodes[i];

        if (n->core)
                hbsim_crash(s, i);
        n->incarnation++;
        return node_boot(s, n);
}

void hbsim_pause(hbsim_t *s, size_t i)
{
        if (s->nodes[i].core && !s->nodes[i].paused)
                s->nodes[i].paused = true;
}

void hbsim_resume(hbsim_t *s, size_t i)
{
        sim_node_t *n = &s->nodes[i];
        size_t k;

        if (!n->core || !n->paused)
                return;
        n->paused = false;
        /* What a stopped process finds on SIGCONT: its socket buffer,
         * then its overdue timer. The core notices from its heartbeat
         * schedule that it was late (local-pause guard) at the first
         * of these calls. */
        for (k = 0; k < n->n_pending; k++) {
                deliver(s, n, n->pending[k].link, n->pending[k].pkt);
                pkt_put(s, n->pending[k].pkt);
        }
        n->n_pending = 0;
        hb_node_tick(n->core, node_now(s, n));
        n->wake_ns = HB_NEVER;
        arm(s, n);
}

static size_t cut_words(const hbsim_t *s)
{
        size_t n = s->cfg.n_nodes;

        return (s->links * n * n + 63) / 64;
}

void hbsim_cut_link(hbsim_t *s, size_t from, size_t to, size_t link,
                    bool cut)
{
        size_t n = s->cfg.n_nodes, bit = (link * n + from) * n + to;

        if (link >= s->links)
                return;
        if (!s->cut) {
                if (!cut)
                        return;
                s->cut = calloc(cut_words(s), sizeof(*s->cut));
                if (!s->cut) {
                        s->oom = 1;
                        return;
                }
        }
        if (cut)
                s->cut[bit / 64] |= UINT64_C(1) << (bit % 64);
        else
                s->cut[bit / 64] &= ~(UINT64_C(1) << (bit % 64));
}

void hbsim_cut(hbsim_t *s, size_t from, size_t to, bool cut)
{
        for (size_t k = 0; k < s->links; k++)
                hbsim_cut_link(s, from, to, k, cut);
}

void hbsim_partition(hbsim_t *s, const size_t *side, size_t n_side)
{
        size_t n = s->cfg.n_nodes, i, j;
        uint8_t *in = calloc(n, 1);

        if (!in) {
                s->oom = 1;
                return;
        }
        for (i = 0; i < n_side; i++)
                in[side[i]] = 1;
        for (i = 0; i < n; i++)
                for (j = 0; j < n; j++)
                        if (in[i] != in[j])
                                hbsim_cut(s, i, j, true);
        free(in);
}

void hbsim_heal(hbsim_t *s)
{
        if (s->cut)
                memset(s->cut, 0, cut_words(s) * sizeof(*s->cut));
}

size_t hbsim_n_regions(const hbsim_t *s)
{
        return s->n_regions;
}

size_t hbsim_region(const hbsim_t *s, size_t i)
{
        return region_of(s, i);
}

void hbsim_cut_region(hbsim_t *s, size_t r, bool cut)
{
        if (r < s->n_regions && s->region_cut)
                s->region_cut[r] = cut;
}

bool hbsim_reachable(const hbsim_t *s, size_t from, size_t to)
{
        for (size_t k = 0; k < s->links; k++)
                if (!is_cut(s, k, from, to))
                        return true;
        return false;
}

void hbsim_set_loss(hbsim_t *s, double loss)
{
        s->cfg.loss = loss;
}

size_t hbsim_n_nodes(const hbsim_t *s)
{
        return s->cfg.n_nodes;
}

hb_node_t *hbsim_node(hbsim_t *s, size_t i)
{
        return s->nodes[i].core;
}

hb_peer_state_t hbsim_state(const hbsim_t *s, size_t observer, size_t peer)
{
        hb_peer_info_t pi;

        if (!s->nodes[observer].core ||
            hb_node_peer_info(s->nodes[observer].core, (uint32_t)peer + 1,
                              node_now(s, &s->nodes[observer]), &pi) < 0)
                return HB_PEER_UNKNOWN;
        return pi.state;
}

const hbsim_event_t *hbsim_events(const hbsim_t *s, size_t *n)
{
        *n = s->n_log;
        return s->log;
}

uint64_t hbsim_trace_hash(const hbsim_t *s)
{
        return s->trace_hash;
}

uint64_t hbsim_sent(const hbsim_t *s, uint8_t type)
{
        return type < HBSIM_MSG_TYPES ? s->sent[type] : 0;
}

uint64_t hbsim_sent_bytes(const hbsim_t *s, uint8_t type)
{
        return type < HBSIM_MSG_TYPES ? s->sent_bytes[type] : 0;
}

uint64_t hbsim_delivered(const hbsim_t *s)
{
        return s->delivered;
}

void hbsim_set_observer(hbsim_t *s, hbsim_observer_fn fn, void *user)
{
        s->observer = fn;
        s->observer_user = user;
}

bool hbsim_paused(const hbsim_t *s, size_t i)
{
        return s->nodes[i].paused;
}

bool hbsim_coord(const hbsim_t *s, size_t i, hb_coord_info_t *out)
{
        if (!s->nodes[i].core) {
                memset(out, 0, sizeof(*out));
                return false;
        }
        hb_node_coord_info(s->nodes[i].core, out);
        return true;
}

bool hbsim_is_leader(const hbsim_t *s, size_t i)
{
        hb_coord_info_t ci;

        if (!hbsim_coord(s, i, &ci) || s->nodes[i].paused)
                return false;
        return ci.role == HB_ROLE_LEADER;
}

uint64_t hbsim_durable_term(const hbsim_t *s, size_t i)
{
        return s->nodes[i].has_term ? s->nodes[i].term : 0;
}

void hbsim_set_node_hook(hbsim_t *s, hbsim_node_hook_fn fn, void *user)
{
        s->hook = fn;
        s->hook_user = user;
}

uint64_t hbsim_local(const hbsim_t *s, size_t i, uint64_t t)
{
        return clk_local(&s->nodes[i].clk, t);
}

uint64_t hbsim_local_now(const hbsim_t *s, size_t i)
{
        return node_now(s, &s->nodes[i]);
}

uint64_t hbsim_global(const hbsim_t *s, size_t i, uint64_t local_ns)
{
        return clk_global(&s->nodes[i].clk, local_ns);
}

int hbsim_set_clock_rate(hbsim_t *s, size_t i, int32_t rate_ppm)
{
        sim_node_t *n = &s->nodes[i];

        if (rate_ppm <= -1000000 || rate_ppm > 1000000)
                return -EINVAL;
        /* A new line from the current reading: monotonic. */
        n->clk.local = node_now(s, n);
        n->clk.at = s->now;
        n->clk.rate = (uint64_t)((int64_t)RATE_ONE +
                                 (int64_t)rate_ppm * 1000);
        /* Its pending wake was computed on the old rate: arm anew (a
         * WAKE that comes early ticks harmlessly). */
        n->wake_ns = HB_NEVER;
        arm(s, n);
        return 0;
}

int64_t hbsim_clock_rate_ppb(const hbsim_t *s, size_t i)
{
        return (int64_t)s->nodes[i].clk.rate - (int64_t)RATE_ONE;
}

int hbsim_wake_at(hbsim_t *s, size_t i, uint64_t at_ns)
{
        if (!s->nodes[i].core)
                return -ESRCH;
        return ev_push(s, at_ns < s->now ? s->now : at_ns, EV_USER,
                       (uint32_t)i) ? 0 : -ENOMEM;
}
