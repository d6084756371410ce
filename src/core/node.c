/* SPDX-License-Identifier: MIT */
/*
 * DOC: node — one node's view of the cluster (sans-I/O).
 *
 * What lives here: the node's lifecycle and peer list changes,
 * per-peer replay protection (incarnation, sequence), the peer state
 * machine (unknown, alive, suspect, dead, probation, left; see node.h and
 * docs/states.md), and the per-peer deadlines that let the caller keep one
 * timer for the whole node. The structures holding the peers (hash index,
 * sorted array, deadline heap) are in peer_table.c and node_impl.h; the
 * output queue in output.c; the read-only calls (snapshots, counters,
 * names) in node_info.c.
 *
 * Who calls what: the shell calls hb_node_recv() for every datagram and
 * hb_node_tick() at hb_node_next_deadline(), and drains the output queue
 * (output.c) after each call. The node's own heartbeat schedule and its
 * local-pause guard are here (send_due(), check_late()). Nothing here
 * reads a clock, touches I/O or logs; transitions are reported through
 * the event callback, drops through counters.
 *
 * Deadlines: each peer has at most one deadline, the earliest time at which
 * its state could change if nothing arrives (computed exactly from the
 * detector's threshold crossing time, hb_detector_crossing_ns()). Peers with
 * a deadline sit in a binary min-heap keyed by it (peer_table.c); a
 * heartbeat moves the peer's key (hb__heap_update(), O(log n));
 * hb_node_tick() pops only the peers that are due. No periodic scan of
 * all peers ever happens, which is what lets one process simulate
 * thousands of nodes.
 *
 * The one function that changes a peer's state is set_state(): it raises
 * the event, so every transition is reported exactly once.
 *
 * Coordination (quorum, election; src/core/election.c) hooks in through
 * the hb__coord_*() functions of node_impl.h: told of every state change
 * and accepted heartbeat, asked for the coordination block of each
 * heartbeat and for its own deadline. Every hook sits behind `cfg.coord.enabled`, so
 * with coordination off the hot path is what it was.
 *
 * Redundant links (cfg.n_links > 1, docs/links.md): every peer also has
 * one hb_link_t per link with its own detector, heartbeat replay state,
 * RTT ring and link state (link_set_state() raises HB_EVENT_LINK, the
 * only place a link's state changes). A datagram's link comes with
 * hb_node_recv_link(); link_accept() checks and records it per link and
 * tells whether the peer has that sequence already (a copy: that link's
 * evidence only). The peer's own detector sees the first copy of each
 * heartbeat, so the peer machine above is unchanged and a peer is
 * suspect only when every link is silent. A peer's heap deadline is the
 * earliest of its own and its links' (peer_deadline()). With one link
 * none of this exists (p->links is NULL).
 *
 * Topology "monitors" (cfg.n_monitors > 0, docs/topologies.md): a peer
 * that is not a monitor is "driven" (hb__mon_driven()): its state moves
 * only in monitors.c, from the monitors' verdicts; node.c still does its
 * replay checks and feeds its detector (a monitor's own verdict), and
 * asks monitors.c for its deadline, its evaluation, what a heartbeat or
 * leave means, where this node's heartbeats go and when verdicts go out.
 * Without it every hook is one branch.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/bytes.h"
#include "core/node_impl.h"
#include "hbeat/node.h"

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

void hb_node_config_default(hb_node_config_t *cfg, hb_detector_kind_t kind,
                            uint64_t interval_ns)
{
        if (!cfg)
                return;
        memset(cfg, 0, sizeof(*cfg));
        cfg->size = sizeof(*cfg);
        cfg->interval_ns = interval_ns;
        hb_detector_config_default(&cfg->detector, kind, interval_ns);
        cfg->suspect_threshold = hb_detector_default_suspect_threshold(kind);
        cfg->dead_threshold = hb_detector_default_dead_threshold(kind);
        cfg->dead_after_ns = 4 * interval_ns;
        cfg->probation_ns = 5 * interval_ns;
        cfg->rtt_probe_every = 10;
        cfg->trust_port_unreachable = true;
        /* Above any scheduling delay of a loaded machine, below what the
         * detector would take for a failure. */
        cfg->local_pause_ns = 2 * interval_ns;
        if (cfg->local_pause_ns < 50 * HB_NS_PER_MS)
                cfg->local_pause_ns = 50 * HB_NS_PER_MS;
        if (cfg->local_pause_ns > 3600 * HB_NS_PER_S)
                cfg->local_pause_ns = 3600 * HB_NS_PER_S;
        cfg->coord.votes = 1;
        cfg->coord.priority = 100;
        cfg->coord.election_delay_ns = interval_ns;
        hb__swim_config_default(cfg);
        cfg->subset.k = HB_SUBSET_K_DEFAULT;
}

void hb_class_config_default(hb_class_config_t *cls, hb_detector_kind_t kind,
                             uint64_t interval_ns)
{
        if (!cls)
                return;
        memset(cls, 0, sizeof(*cls));
        cls->interval_ns = interval_ns;
        hb_detector_config_default(&cls->detector, kind, interval_ns);
        cls->suspect_threshold = hb_detector_default_suspect_threshold(kind);
        cls->dead_threshold = hb_detector_default_dead_threshold(kind);
        cls->dead_after_ns = 4 * interval_ns;
        cls->probation_ns = 5 * interval_ns;
        cls->flags = HB_CLASS_DEAD_AFTER_FOLLOWS | HB_CLASS_PROBATION_FOLLOWS;
}

void hb_class_adaptive_default(hb_class_adaptive_t *a, uint64_t min_ns,
                               uint64_t max_ns)
{
        if (!a)
                return;
        *a = (hb_class_adaptive_t){
                .min_interval_ns = min_ns,
                .max_interval_ns = max_ns,
                .rtt_factor = 10.0,
                .hysteresis = 0.2,
                .raise = 1.5,
                .lower = 0.8,
                .loss_high = 0.05,
                .hold = 3,
        };
}

/* Is class `c` adaptive (docs/classes.md)? */
static bool class_adaptive(const hb_class_config_t *c)
{
        return c->adaptive.max_interval_ns != 0;
}

/* Bounds of the interval a peer of class `c` may announce: the adaptive
 * bounds, or exactly the static interval. */
static uint64_t class_lo(const hb_class_config_t *c)
{
        return class_adaptive(c) ? c->adaptive.min_interval_ns
                                 : c->interval_ns;
}

static uint64_t class_hi(const hb_class_config_t *c)
{
        return class_adaptive(c) ? c->adaptive.max_interval_ns
                                 : c->interval_ns;
}

/* `v` (a duration set for the class's interval) at interval `iv`. */
static uint64_t follow_interval(const hb_class_config_t *c, uint64_t v,
                                uint64_t iv)
{
        unsigned __int128 x;

        if (iv == 0 || iv == c->interval_ns)
                return v;
        x = (unsigned __int128)v * iv / c->interval_ns;
        return x > HB_NEVER ? HB_NEVER : (uint64_t)x;
}

/* Do two configs of a class give its sender the same rate rule (static
 * interval, adaptive bounds and parameters)? */
static bool class_same_rate(const hb_class_config_t *a,
                            const hb_class_config_t *b)
{
        return a->interval_ns == b->interval_ns &&
               memcmp(&a->adaptive, &b->adaptive, sizeof(a->adaptive)) == 0;
}

/* Class c's sender state from its config: its interval, nothing
 * announced, the adaptive rule not started. */
static void class_restart(hb_node_t *node, uint32_t c)
{
        node->civ[c] = c == 0 ? node->cfg.interval_ns
                              : node->cls[c].interval_ns;
        node->cnext_iv[c] = node->civ[c];
        node->cannounce[c] = 0;
        node->chold[c] = 0;
        node->ceval_ns[c] = 0;
}

static int adaptive_validate(const hb_class_config_t *c)
{
        const hb_class_adaptive_t *a = &c->adaptive;
        const uint64_t hour_ns = 3600 * HB_NS_PER_S;

        if (a->min_interval_ns == 0 && a->max_interval_ns == 0)
                return 0;
        if (a->min_interval_ns < HB_NS_PER_MS ||
            a->min_interval_ns > c->interval_ns ||
            a->max_interval_ns < c->interval_ns || a->max_interval_ns > hour_ns)
                return -EINVAL;
        /* Written so that NaN fails every check. */
        if (!(a->rtt_factor > 0 && a->rtt_factor <= 1000) ||
            !(a->hysteresis >= 0 && a->hysteresis <= 1) ||
            !(a->raise >= 1 && a->raise <= 10) ||
            !(a->lower > 0 && a->lower <= 1) ||
            !(a->loss_high >= 0 && a->loss_high <= 1))
                return -EINVAL;
        if (a->hold < 1 || a->hold > 100 || a->reserved32 != 0)
                return -EINVAL;
        if (a->dampening_ns != 0 && (a->dampening_ns < HB_NS_PER_MS ||
                                     a->dampening_ns > hour_ns))
                return -EINVAL;
        return 0;
}

/* The node's own timing as class 0. */
static void own_class(const hb_node_config_t *cfg, hb_class_config_t *out)
{
        memset(out, 0, sizeof(*out));
        out->interval_ns = cfg->interval_ns;
        out->detector = cfg->detector;
        out->suspect_threshold = cfg->suspect_threshold;
        out->dead_threshold = cfg->dead_threshold;
        out->dead_after_ns = cfg->dead_after_ns;
        out->probation_ns = cfg->probation_ns;
}

/* Class i of `cfg` (0: the node's own), into `out`. */
void hb__class_at(const hb_node_config_t *cfg, uint32_t i,
                  hb_class_config_t *out)
{
        if (i == 0)
                own_class(cfg, out);
        else
                *out = cfg->classes[i - 1];
}

static int class_validate(const hb_class_config_t *c)
{
        const uint64_t hour_ns = 3600 * HB_NS_PER_S;

        if (c->interval_ns < HB_NS_PER_MS || c->interval_ns > hour_ns)
                return -EINVAL;
        if (c->detector.interval_ns != c->interval_ns)
                return -EINVAL;
        if (!isfinite(c->suspect_threshold) || c->suspect_threshold <= 0)
                return -EINVAL;
        if (!isfinite(c->dead_threshold) ||
            c->dead_threshold < c->suspect_threshold)
                return -EINVAL;
        if (c->dead_after_ns > hour_ns || c->probation_ns > hour_ns)
                return -EINVAL;
        if (c->flags & ~(HB_CLASS_DEAD_AFTER_FOLLOWS |
                         HB_CLASS_PROBATION_FOLLOWS))
                return -EINVAL;
        if (adaptive_validate(c) < 0)
                return -EINVAL;
        return hb_detector_config_validate(&c->detector);
}

int hb_node_config_validate(const hb_node_config_t *cfg)
{
        const uint64_t hour_ns = 3600 * HB_NS_PER_S;

        /* One layout so far: a later version accepting an older caller's
         * smaller struct copies the prefix `size` covers and defaults the
         * rest (library.h). */
        if (!cfg || cfg->size != sizeof(*cfg) || cfg->node_id == 0)
                return -EINVAL;
        if (cfg->interval_ns < HB_NS_PER_MS || cfg->interval_ns > hour_ns)
                return -EINVAL;
        if (cfg->detector.interval_ns != cfg->interval_ns)
                return -EINVAL;
        if (!isfinite(cfg->suspect_threshold) || cfg->suspect_threshold <= 0)
                return -EINVAL;
        if (!isfinite(cfg->dead_threshold) ||
            cfg->dead_threshold < cfg->suspect_threshold)
                return -EINVAL;
        if (cfg->dead_after_ns > hour_ns || cfg->probation_ns > hour_ns ||
            cfg->local_pause_ns > hour_ns)
                return -EINVAL;
        if (cfg->incarnation_ahead_max_ns > 30 * 24 * hour_ns)
                return -EINVAL;
        if (cfg->n_links > HB_LINKS_MAX)
                return -EINVAL;
        if (cfg->n_classes > HB_CLASSES_MAX)
                return -EINVAL;
        for (uint32_t i = 0; i < cfg->n_classes; i++) {
                if (class_validate(&cfg->classes[i]) < 0)
                        return -EINVAL;
                /* The adaptive rule measures RTT (docs/classes.md). */
                if (class_adaptive(&cfg->classes[i]) &&
                    cfg->rtt_probe_every == 0)
                        return -EINVAL;
        }
        if (cfg->n_classes > 0 && cfg->n_monitors > 0)
                return -EINVAL; /* docs/classes.md: later */
        if (hb__coord_config_validate(cfg) < 0)
                return -EINVAL;
        if (hb__mon_config_validate(cfg) < 0)
                return -EINVAL;
        if (hb__subset_config_validate(cfg) < 0)
                return -EINVAL;
        /* swim.c knows topologies up to gossip; subset is checked above. */
        if (cfg->topology != HB_TOPOLOGY_SUBSET &&
            hb__swim_config_validate(cfg) < 0)
                return -EINVAL;
        if (hb__hier_config_validate(cfg) < 0)
                return -EINVAL;
        if (cfg->keyring.n > 0) {
                if (hb_keyring_validate(&cfg->keyring) < 0)
                        return -EINVAL;
                for (uint32_t i = 0; i < cfg->keyring.n; i++)
                        if (cfg->keyring.modes[i] == HB_WIRE_MODE_AEAD &&
                            cfg->random == NULL)
                                return -EINVAL;
        }
        return hb_detector_config_validate(&cfg->detector);
}

/*
 * The ring in force from node->cfg: its keyring, or the one-key form.
 * Receive counts follow their key id from the previous ring (`old`, NULL
 * at start); a key new to the ring starts at zero.
 */
static void set_ring(hb_node_t *node, const hb_keyring_t *old,
                     const uint64_t *old_rx, const uint64_t *old_last)
{
        hb_keyring_t *r = &node->ring;

        hb_keyring_wipe(r);
        if (node->cfg.keyring.n > 0)
                *r = node->cfg.keyring;
        else
                (void)hb_keyring_add(r, 0, &node->cfg.key,
                                     HB_WIRE_MODE_MAC);
        for (uint32_t i = 0; i < HB_KEYRING_MAX; i++) {
                int j = i < r->n ? hb_keyring_find(old, r->ids[i]) : -1;

                node->key_rx[i] = j >= 0 ? old_rx[j] : 0;
                node->key_last_ns[i] = j >= 0 ? old_last[j] : HB_NEVER;
        }
}

/* Same kind, interval and value of every parameter the kind reads (its
 * schema, detector.h): other kinds' fields do not matter. */
static int detector_config_equal(const hb_detector_config_t *a,
                                 const hb_detector_config_t *b)
{
        const hb_detector_param_t *p;

        if (a->kind != b->kind || a->interval_ns != b->interval_ns)
                return 0;
        for (size_t i = 0; (p = hb_detector_param_at(a->kind, i, NULL)); i++)
                if (hb_detector_param_get(p, a) != hb_detector_param_get(p, b))
                        return 0;
        return 1;
}

/* ------------------------------------------------------------------ */
/* State machine                                                       */

static void peer_set_interval(hb_node_t *node, hb_peer_t *p, uint64_t iv,
                              uint64_t now_ns);

/* Links of the node (cfg.n_links, 0 counting as 1). */
static uint32_t links_of(const hb_node_config_t *c)
{
        return c->n_links > 1 ? c->n_links : 1;
}

/* dead_after and probation of `p`: its class's, following the interval
 * its detectors follow when they were defaults (docs/classes.md). */
static uint64_t dead_after_of(const hb_node_t *node, const hb_peer_t *p)
{
        const hb_class_config_t *c = hb__class_of(node, p);

        if (!(c->flags & HB_CLASS_DEAD_AFTER_FOLLOWS))
                return c->dead_after_ns;
        return follow_interval(c, c->dead_after_ns, p->app_interval_ns);
}

static uint64_t probation_of(const hb_node_t *node, const hb_peer_t *p)
{
        const hb_class_config_t *c = hb__class_of(node, p);

        if (!(c->flags & HB_CLASS_PROBATION_FOLLOWS))
                return c->probation_ns;
        return follow_interval(c, c->probation_ns, p->app_interval_ns);
}

/* A suspect (peer or link of `p`) since `since_ns`: dead at the dead
 * threshold, or dead_after later, whichever comes first. */
static uint64_t suspect_deadline(const hb_node_t *node, const hb_peer_t *p,
                                 const hb_detector_t *det, uint64_t since_ns)
{
        const hb_class_config_t *c = hb__class_of(node, p);
        uint64_t d = hb_detector_crossing_ns(det, c->dead_threshold);
        uint64_t after = dead_after_of(node, p);

        if (after > 0)
                d = min_u64(d, add_sat(since_ns, after));
        return d;
}

/* On probation since `start_ns`: suspect again at the suspect threshold,
 * or through once probation has passed, whichever comes first. */
static uint64_t probation_deadline(const hb_node_t *node, const hb_peer_t *p,
                                   const hb_detector_t *det,
                                   uint64_t start_ns)
{
        const hb_class_config_t *c = hb__class_of(node, p);

        return min_u64(hb_detector_crossing_ns(det, c->suspect_threshold),
                       add_sat(start_ns, probation_of(node, p)));
}

/* When could `p` next change state if nothing arrives? */
static uint64_t peer_state_deadline(const hb_node_t *node,
                                    const hb_peer_t *p)
{
        const hb_class_config_t *c = hb__class_of(node, p);

        if (p->held)
                return HB_NEVER;
        switch (p->state) {
        case HB_PEER_UNKNOWN:
                return hb_detector_crossing_ns(p->detector, c->dead_threshold);
        case HB_PEER_ALIVE:
                return hb_detector_crossing_ns(p->detector,
                                               c->suspect_threshold);
        case HB_PEER_SUSPECT:
                return suspect_deadline(node, p, p->detector,
                                        p->state_since_ns);
        case HB_PEER_PROBATION:
                return probation_deadline(node, p, p->detector,
                                          p->probation_start_ns);
        case HB_PEER_DEAD:
        case HB_PEER_LEFT:
                break;
        }
        return HB_NEVER;
}

/* ---- links (docs/links.md) ---- */

/* When could link `l` of `p` next change state if nothing arrives? A
 * left peer's links wait for it to come back. */
static uint64_t link_deadline(const hb_node_t *node, const hb_peer_t *p,
                              const hb_link_t *l)
{
        const hb_class_config_t *c = hb__class_of(node, p);

        if (p->state == HB_PEER_LEFT || p->held)
                return HB_NEVER;
        switch (l->state) {
        case HB_LINK_UNKNOWN:
                if (!p->link_heard)
                        return HB_NEVER;
                return hb_detector_crossing_ns(l->detector, c->dead_threshold);
        case HB_LINK_UP:
                if (!l->suspect)
                        return hb_detector_crossing_ns(l->detector,
                                                       c->suspect_threshold);
                return suspect_deadline(node, p, l->detector,
                                        l->suspect_since_ns);
        case HB_LINK_PROBATION:
                return probation_deadline(node, p, l->detector,
                                          l->probation_start_ns);
        case HB_LINK_DOWN:
                break;
        }
        return HB_NEVER;
}

/* The peer's one deadline: its own state's and its links'. */
static uint64_t peer_deadline(const hb_node_t *node, const hb_peer_t *p)
{
        uint64_t d;

        if (hb__mon_driven(node, p))
                return hb__mon_deadline(node, p);
        if (hb__hier_driven(node, p))
                return HB_NEVER; /* learned from summaries (hier.c) */
        if (hb__swim_on(node))
                return HB_NEVER; /* a voter: gossip judges (swim.c) */
        d = peer_state_deadline(node, p);
        if (p->links)
                for (uint32_t k = 0; k < node->cfg.n_links; k++)
                        d = min_u64(d, link_deadline(node, p, &p->links[k]));
        return d;
}

static void reschedule(hb_node_t *node, hb_peer_t *p)
{
        hb__heap_update(node, p, peer_deadline(node, p));
}

void hb__reschedule(hb_node_t *node, hb_peer_t *p)
{
        reschedule(node, p);
}

/* The one function that changes a link's state: raises HB_EVENT_LINK. */
static void link_set_state(hb_node_t *node, hb_peer_t *p, uint32_t k,
                           hb_link_state_t to, hb_reason_t reason,
                           uint64_t now_ns, double suspicion)
{
        hb_link_t *l = &p->links[k];
        hb_event_t ev;

        memset(&ev, 0, sizeof(ev));
        ev.size = sizeof(ev);
        ev.type = HB_EVENT_LINK;
        ev.peer_id = p->id;
        ev.old_state = ev.new_state = p->state;
        ev.reason = reason;
        ev.at_ns = now_ns;
        ev.suspicion = suspicion;
        ev.last_arrival_ns = l->incarnation == 0
                                     ? HB_NEVER
                                     : hb_detector_last_arrival_ns(
                                               l->detector);
        ev.incarnation = p->incarnation;
        ev.link = k;
        ev.old_link_state = l->state;
        ev.new_link_state = to;

        l->state = to;
        l->state_since_ns = now_ns;
        l->suspect = false;
        if (to == HB_LINK_PROBATION)
                l->probation_start_ns = now_ns;
        l->transitions++;
        node->counters.transitions++;
        if (node->cb)
                node->cb(node->user, &ev);
}

/* Timer-driven evaluation of link k of `p` (the peer's evaluate()). */
static void link_evaluate(hb_node_t *node, hb_peer_t *p, uint32_t k,
                          uint64_t now_ns)
{
        const hb_class_config_t *c = hb__class_of(node, p);
        hb_link_t *l = &p->links[k];
        double s;

        if (p->state == HB_PEER_LEFT || p->held || l->state == HB_LINK_DOWN ||
            (l->state == HB_LINK_UNKNOWN && !p->link_heard))
                return;
        s = hb_detector_suspicion(l->detector, now_ns);
        switch (l->state) {
        case HB_LINK_UNKNOWN:
                if (s >= c->dead_threshold)
                        link_set_state(node, p, k, HB_LINK_DOWN,
                                       HB_REASON_NEVER_HEARD, now_ns, s);
                break;
        case HB_LINK_UP:
                if (!l->suspect) {
                        if (s < c->suspect_threshold)
                                break;
                        l->suspect = true;
                        l->suspect_since_ns = now_ns;
                }
                if (s >= c->dead_threshold)
                        link_set_state(node, p, k, HB_LINK_DOWN,
                                       HB_REASON_DEAD_THRESHOLD, now_ns, s);
                else if (dead_after_of(node, p) > 0 &&
                         now_ns >= add_sat(l->suspect_since_ns,
                                           dead_after_of(node, p)))
                        link_set_state(node, p, k, HB_LINK_DOWN,
                                       HB_REASON_DEAD_AFTER, now_ns, s);
                break;
        case HB_LINK_PROBATION:
                if (s >= c->suspect_threshold)
                        link_set_state(node, p, k, HB_LINK_DOWN,
                                       HB_REASON_SUSPECT_THRESHOLD, now_ns,
                                       s);
                else if (now_ns >= add_sat(l->probation_start_ns,
                                           probation_of(node, p)))
                        link_set_state(node, p, k, HB_LINK_UP,
                                       HB_REASON_PROBATION_PASSED, now_ns, s);
                break;
        case HB_LINK_DOWN:
                break;
        }
}

/* Forget every link's state without events (the peer left): they are
 * unknown until its heartbeats come back. */
static void links_reset_one(hb_link_t *l, uint64_t now_ns)
{
        l->state = HB_LINK_UNKNOWN;
        l->state_since_ns = now_ns;
        l->suspect = false;
        hb_detector_reset(l->detector);
        hb_detector_heartbeat(l->detector, now_ns);
}

static void links_reset(hb_peer_t *p, uint32_t n, uint64_t now_ns)
{
        for (uint32_t k = 0; p->links && k < n; k++)
                links_reset_one(&p->links[k], now_ns);
}

static void set_state(hb_node_t *node, hb_peer_t *p, hb_peer_state_t to,
                      hb_reason_t reason, uint64_t now_ns, double suspicion)
{
        hb_event_t ev;

        memset(&ev, 0, sizeof(ev));
        ev.size = sizeof(ev);
        ev.type = HB_EVENT_PEER_STATE;
        ev.peer_id = p->id;
        ev.old_state = p->state;
        ev.new_state = to;
        ev.reason = reason;
        ev.at_ns = now_ns;
        ev.suspicion = suspicion;
        /* A peer never heard from has only the placeholder arrival set at
         * hb_node_peer_add(): report no arrival at all. */
        ev.last_arrival_ns = p->incarnation == 0
                                     ? HB_NEVER
                                     : hb_detector_last_arrival_ns(p->detector);
        ev.incarnation = p->incarnation;

        p->state = to;
        p->state_since_ns = now_ns;
        if (to != HB_PEER_DEAD)
                p->exited = false;
        if (to == HB_PEER_PROBATION)
                p->probation_start_ns = now_ns;
        p->transitions++;
        node->counters.transitions++;
        if (node->cb)
                node->cb(node->user, &ev);
        if (node->cfg.coord.enabled)
                hb__coord_peer_changed(node, p, now_ns);
        if (hb__mon_on(node) && !hb__mon_driven(node, p))
                hb__mon_monitor_changed(node, p, now_ns);
        if (hb__hier_on(node))
                hb__hier_peer_changed(node, p, now_ns);
        if (hb__subset_on(node))
                hb__subset_state_changed(node, p, now_ns);
}

void hb__set_state(hb_node_t *node, hb_peer_t *p, hb_peer_state_t to,
                   hb_reason_t reason, uint64_t now_ns, double suspicion)
{
        set_state(node, p, to, reason, now_ns, suspicion);
}

/* Timer-driven evaluation of one peer at `now_ns`. */
static void evaluate(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        const hb_class_config_t *c = hb__class_of(node, p);
        double s;

        if (hb__mon_driven(node, p)) {
                hb__mon_evaluate(node, p, now_ns);
                return;
        }
        if (hb__hier_driven(node, p) || hb__swim_on(node))
                return;
        s = hb_detector_suspicion(p->detector, now_ns);
        for (uint32_t k = 0; p->links && k < node->cfg.n_links; k++)
                link_evaluate(node, p, k, now_ns);

        switch (p->state) {
        case HB_PEER_UNKNOWN:
                if (s >= c->dead_threshold)
                        set_state(node, p, HB_PEER_DEAD,
                                  HB_REASON_NEVER_HEARD, now_ns, s);
                break;
        case HB_PEER_ALIVE:
                if (s < c->suspect_threshold)
                        break;
                set_state(node, p, HB_PEER_SUSPECT,
                          HB_REASON_SUSPECT_THRESHOLD, now_ns, s);
                /*
                 * A long silence seen only now (e.g. this process was
                 * paused) may already be past the dead threshold: fall
                 * through so that both transitions are reported in order.
                 */
                /* fall through */
        case HB_PEER_SUSPECT:
                if (s >= c->dead_threshold)
                        set_state(node, p, HB_PEER_DEAD,
                                  HB_REASON_DEAD_THRESHOLD, now_ns, s);
                else if (dead_after_of(node, p) > 0 &&
                         now_ns >= add_sat(p->state_since_ns,
                                           dead_after_of(node, p)))
                        set_state(node, p, HB_PEER_DEAD,
                                  HB_REASON_DEAD_AFTER, now_ns, s);
                break;
        case HB_PEER_PROBATION:
                if (s >= c->suspect_threshold)
                        set_state(node, p, HB_PEER_DEAD,
                                  HB_REASON_SUSPECT_THRESHOLD, now_ns, s);
                else if (now_ns >= add_sat(p->probation_start_ns,
                                           probation_of(node, p)))
                        set_state(node, p, HB_PEER_ALIVE,
                                  HB_REASON_PROBATION_PASSED, now_ns, s);
                break;
        case HB_PEER_DEAD:
        case HB_PEER_LEFT:
                break;
        }
}

/* An accepted heartbeat from `p` (replay checks already passed). */
/*
 * Feed an arrival to the detector. After a local pause, the backlog that
 * waited in the socket buffer arrives in a burst within half an interval
 * of the resume, and the first heartbeat after that spans an interval cut
 * by the pause: none of them is a sample of the peer's rhythm, so they
 * only move the last arrival. The heartbeat's send time (already in
 * p->last_send_time_ns) gives chen and bertier the sender's real schedule.
 */
static void arrival(hb_node_t *node, hb_detector_t *d, bool *rebase_next,
                    uint64_t now_ns, uint64_t seq, uint64_t send_time_ns)
{
        if (*rebase_next) {
                if (now_ns >= node->pause_resume_ns +
                                      node->cfg.interval_ns / 2)
                        *rebase_next = false;
                if (hb_detector_arrivals(d) > 0) {
                        hb_detector_rebase(d, now_ns);
                        return;
                }
        }
        hb_detector_heartbeat_sent(d, now_ns, seq, send_time_ns);
}

static void record_arrival(hb_node_t *node, hb_peer_t *p, uint64_t now_ns,
                           uint64_t seq)
{
        arrival(node, p->detector, &p->rebase_next, now_ns, seq,
                p->last_send_time_ns);
}

/* A heartbeat new for link k of `p` (its replay check passed);
 * `restarted`: a new incarnation on this link. */
static void link_on_heartbeat(hb_node_t *node, hb_peer_t *p, uint32_t k,
                              uint64_t now_ns, uint64_t seq,
                              uint64_t send_time_ns, bool restarted)
{
        hb_link_t *l = &p->links[k];

        if (restarted || l->state == HB_LINK_UNKNOWN ||
            l->state == HB_LINK_DOWN)
                hb_detector_reset(l->detector);
        arrival(node, l->detector, &l->rebase_next, now_ns, seq,
                send_time_ns);
        switch (l->state) {
        case HB_LINK_UNKNOWN:
                link_set_state(node, p, k, HB_LINK_UP, HB_REASON_HEARTBEAT,
                               now_ns, 0.0);
                break;
        case HB_LINK_DOWN:
                link_set_state(node, p, k, HB_LINK_PROBATION,
                               restarted ? HB_REASON_RESTART
                                         : HB_REASON_HEARTBEAT,
                               now_ns, 0.0);
                break;
        case HB_LINK_PROBATION:
                if (restarted)
                        l->probation_start_ns = now_ns;
                break;
        case HB_LINK_UP:
                l->suspect = false;
                break;
        }
}

static void on_heartbeat(hb_node_t *node, hb_peer_t *p, uint64_t now_ns,
                         uint64_t seq, int restarted)
{
        if (hb__mon_driven(node, p)) {
                /* Its state follows the monitors' verdicts; a monitor
                 * feeds its own verdict's detector (monitors.c). */
                if (restarted || hb__mon_fresh_history(node, p))
                        hb_detector_reset(p->detector);
                record_arrival(node, p, now_ns, seq);
                hb__mon_heard(node, p, now_ns);
                return;
        }
        if (hb__hier_on(node)) {
                /* Not ours to judge: a member still sending to its
                 * former coordinator (hier.c re-announces). */
                if (hb__hier_driven(node, p))
                        return;
                hb__hier_heard(node, p, now_ns);
        }
        switch (p->state) {
        case HB_PEER_UNKNOWN:
                /* Drop the placeholder arrival set at hb_node_peer_add(). */
                hb_detector_reset(p->detector);
                record_arrival(node, p, now_ns, seq);
                set_state(node, p, HB_PEER_ALIVE, HB_REASON_HEARTBEAT,
                          now_ns, 0.0);
                break;
        case HB_PEER_ALIVE:
        case HB_PEER_SUSPECT:
                if (restarted) {
                        hb_detector_reset(p->detector);
                        record_arrival(node, p, now_ns, seq);
                        set_state(node, p, HB_PEER_PROBATION,
                                  HB_REASON_RESTART, now_ns, 0.0);
                        break;
                }
                record_arrival(node, p, now_ns, seq);
                if (p->state == HB_PEER_SUSPECT)
                        set_state(node, p, HB_PEER_ALIVE,
                                  HB_REASON_HEARTBEAT, now_ns, 0.0);
                break;
        case HB_PEER_DEAD:
        case HB_PEER_LEFT:
                /*
                 * The silence that made the peer dead is not a sample of
                 * its normal inter-arrival time: start history afresh.
                 */
                hb_detector_reset(p->detector);
                record_arrival(node, p, now_ns, seq);
                set_state(node, p, HB_PEER_PROBATION,
                          restarted ? HB_REASON_RESTART : HB_REASON_HEARTBEAT,
                          now_ns, 0.0);
                break;
        case HB_PEER_PROBATION:
                if (restarted) {
                        /* Restarted again while on probation: serve anew. */
                        hb_detector_reset(p->detector);
                        p->probation_start_ns = now_ns;
                }
                record_arrival(node, p, now_ns, seq);
                break;
        }
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */

static void peer_free(hb_peer_t *p)
{
        if (!p)
                return;
        hb_detector_free(p->detector);
        for (uint32_t k = 0; p->links && k < p->n_links; k++)
                hb_detector_free(p->links[k].detector);
        hb__free(p->links);
        hb__free(p);
}

int hb_node_new(hb_node_t **ret, const hb_node_config_t *cfg, hb_event_cb cb,
                void *user)
{
        hb_node_t *node;

        if (!ret || hb_node_config_validate(cfg) < 0)
                return -EINVAL;
        if (hb_wire_init() < 0)
                return -EIO;
        node = hb__calloc(1, sizeof(*node));
        if (!node)
                return -ENOMEM;
        node->cfg = *cfg;
        for (uint32_t i = 0; i <= cfg->n_classes; i++)
                hb__class_at(cfg, i, &node->cls[i]);
        node->n_classes_sched = cfg->n_classes;
        for (uint32_t i = 0; i <= HB_CLASSES_MAX; i++)
                class_restart(node, i);
        node->cb = cb;
        node->user = user;
        node->next_send_ns = 0; /* the first tick sends */
        hb__mon_init(node);
        set_ring(node, NULL, NULL, NULL);
        if (hb__coord_init(node) < 0 || hb__slots_rebuild(node, 0) < 0 ||
            hb__out_init(node) < 0 || hb__swim_init(node) < 0 ||
            hb__hier_init(node) < 0 || hb__subset_init(node) < 0) {
                hb__swim_free(node);
                hb__subset_free(node);
                hb__hier_free(node);
                hb__out_free(node);
                hb__free(node->slots);
                hb__free(node);
                return -ENOMEM;
        }
        *ret = node;
        return 0;
}

void hb_node_free(hb_node_t *node)
{
        size_t i;

        if (!node)
                return;
        for (i = 0; i < node->n_peers; i++)
                peer_free(node->peers[i]);
        hb__free(node->peers);
        hb__free(node->heap);
        hb__free(node->slots);
        hb__out_free(node);
        hb__swim_free(node);
        hb__hier_free(node);
        hb__subset_free(node);
        hb_key_wipe(&node->cfg.key);
        hb_keyring_wipe(&node->cfg.keyring);
        hb_keyring_wipe(&node->ring);
        hb__free(node);
}

int hb_node_peer_add(hb_node_t *node, uint32_t peer_id, uint64_t now_ns)
{
        hb_peer_t *p;
        int r;

        if (!node || peer_id == 0 || peer_id == node->cfg.node_id)
                return -EINVAL;
        if (hb__swim_on(node)) {
                /* A member; with coordination also a voter, whose
                 * record below mirrors the member's state (swim.c). */
                if (!hb__swim_voters(node))
                        return hb__swim_member_add(node, peer_id, now_ns);
                if (hb__lookup(node, peer_id))
                        return -EEXIST;
        } else if (hb__lookup(node, peer_id)) {
                return -EEXIST;
        }
        r = hb__peers_reserve(node);
        if (r < 0)
                return r;
        p = hb__calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        r = hb_detector_new(&p->detector, &node->cfg.detector);
        if (r < 0) {
                hb__free(p);
                return r;
        }
        p->id = peer_id;
        p->votes = 1;
        p->state = HB_PEER_UNKNOWN;
        p->state_since_ns = now_ns;
        p->deadline_ns = HB_NEVER;
        /*
         * Placeholder arrival: a peer never heard from is judged as if it
         * had sent one heartbeat when it was added, so a configured peer
         * that never shows up is reported dead (reason never_heard) after
         * the same silence as a peer that stopped.
         */
        hb_detector_heartbeat(p->detector, now_ns);
        if (links_of(&node->cfg) > 1) {
                uint32_t n = node->cfg.n_links;

                p->links = hb__calloc(n, sizeof(*p->links));
                if (!p->links) {
                        peer_free(p);
                        return -ENOMEM;
                }
                p->n_links = n;
                for (uint32_t k = 0; k < n; k++) {
                        r = hb_detector_new(&p->links[k].detector,
                                            &node->cfg.detector);
                        if (r < 0) {
                                peer_free(p);
                                return r;
                        }
                        p->links[k].state_since_ns = now_ns;
                        hb_detector_heartbeat(p->links[k].detector, now_ns);
                }
        }

        r = hb__peers_insert(node, p);
        if (r < 0) {
                peer_free(p);
                return r;
        }
        if (hb__swim_on(node)) {
                r = hb__swim_member_add(node, peer_id, now_ns);
                if (r < 0) {
                        hb__peers_remove(node, p);
                        peer_free(p);
                        return r;
                }
                hb__swim_voter_sync(node, peer_id, now_ns);
        }
        reschedule(node, p);
        if (node->cfg.coord.enabled)
                hb__coord_recount(node);
        hb__subset_peers_changed(node);
        return 0;
}

int hb_node_peer_reserve(hb_node_t *node, size_t n)
{
        if (!node)
                return -EINVAL;
        return hb__swim_on(node) ? hb__swim_reserve(node, n) : 0;
}

int hb_node_peer_remove(hb_node_t *node, uint32_t peer_id)
{
        hb_peer_t *p;

        if (!node)
                return -EINVAL;
        if (hb__swim_on(node)) {
                int r = hb__swim_member_remove(node, peer_id);

                p = hb__lookup(node, peer_id);
                if (r < 0 || !p)
                        return r;
        }
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        hb__peers_remove(node, p);
        peer_free(p);
        if (node->cfg.coord.enabled)
                hb__coord_recount(node);
        hb__subset_peers_changed(node);
        return 0;
}

/* Detectors per peer: its own, then one per link (more than one). */
static size_t detectors_per_peer(const hb_node_config_t *cfg)
{
        return 1 + (links_of(cfg) > 1 ? cfg->n_links : 0);
}

/* Make `per` detectors of config `dc` into `out`: all or nothing. */
static int detectors_make(hb_detector_t **out, size_t per,
                          const hb_detector_config_t *dc)
{
        for (size_t i = 0; i < per; i++) {
                if (hb_detector_new(&out[i], dc) < 0) {
                        while (i-- > 0)
                                hb_detector_free(out[i]);
                        return -ENOMEM;
                }
        }
        return 0;
}

/* Give `p` the `per` fresh detectors of `fresh` (its own, then its
 * links'), each fed its predecessor's last arrival as the first sample;
 * the old ones are freed. */
static void detectors_swap(hb_peer_t *p, hb_detector_t **fresh, size_t per,
                           uint64_t now_ns)
{
        uint64_t last = hb_detector_last_arrival_ns(p->detector);

        hb_detector_free(p->detector);
        p->detector = fresh[0];
        for (size_t k = 0; k + 1 < per; k++) {
                hb_link_t *l = &p->links[k];
                uint64_t ll = hb_detector_last_arrival_ns(l->detector);

                hb_detector_free(l->detector);
                l->detector = fresh[1 + k];
                hb_detector_heartbeat(l->detector,
                                      ll == HB_NEVER ? now_ns : ll);
        }
        /* The last heartbeat as it came, so the new detector reads the
         * same schedule (send times). */
        if (last == HB_NEVER || p->incarnation == 0)
                hb_detector_heartbeat(p->detector,
                                      last == HB_NEVER ? now_ns : last);
        else
                hb_detector_heartbeat_sent(p->detector, last, p->last_seq,
                                           p->last_send_time_ns);
}

/* `p` has a new class, or its class new timing: its detectors expect the
 * class's interval until its next announcement is applied. */
static void class_changed(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        p->app_interval_ns = 0;
        p->mismatch_warned = false;
        if (hb_detector_interval_ns(p->detector) !=
            hb__class_of(node, p)->interval_ns)
                peer_set_interval(node, p, hb__class_of(node, p)->interval_ns,
                                  now_ns);
}

int hb_node_reconfigure(hb_node_t *node, const hb_node_config_t *cfg,
                        uint64_t now_ns)
{
        hb_detector_t **fresh = NULL;
        uint32_t *cls = NULL;
        bool *rebuild = NULL;
        bool same[HB_CLASSES_MAX + 1] = { false };
        uint64_t promise_max = 0;
        size_t i, per;
        int r = -ENOMEM;

        if (!node || hb_node_config_validate(cfg) < 0)
                return -EINVAL;
        if (cfg->cluster_id != node->cfg.cluster_id ||
            cfg->node_id != node->cfg.node_id ||
            cfg->incarnation != node->cfg.incarnation ||
            cfg->coord.enabled != node->cfg.coord.enabled ||
            links_of(cfg) != links_of(&node->cfg) ||
            cfg->n_monitors != node->cfg.n_monitors ||
            memcmp(cfg->monitors, node->cfg.monitors,
                   sizeof(cfg->monitors)) != 0 ||
            cfg->topology != node->cfg.topology ||
            (hb__swim_on(node) &&
             (cfg->interval_ns != node->cfg.interval_ns ||
              memcmp(&cfg->gossip, &node->cfg.gossip,
                     sizeof(cfg->gossip)) != 0)))
                return -EINVAL;

        if (cfg->coord.enabled && hb_coord_promise_max(cfg, &promise_max) < 0)
                return -ENOMEM;
        per = detectors_per_peer(cfg);
        if (node->n_peers > 0) {
                /* Prepare every new detector first: all or nothing. A
                 * peer whose class is gone falls back to class 0. */
                fresh = hb__calloc(node->n_peers * per, sizeof(*fresh));
                cls = hb__calloc(node->n_peers, sizeof(*cls));
                rebuild = hb__calloc(node->n_peers, sizeof(*rebuild));
                if (!fresh || !cls || !rebuild)
                        goto fail;
                for (i = 0; i < node->n_peers; i++) {
                        const hb_peer_t *p = node->peers[i];
                        hb_class_config_t c;

                        cls[i] = p->cls <= cfg->n_classes ? p->cls : 0;
                        hb__class_at(cfg, cls[i], &c);
                        rebuild[i] = !detector_config_equal(
                                &c.detector, &hb__class_of(node, p)->detector);
                        if (!rebuild[i])
                                continue;
                        if (detectors_make(&fresh[i * per], per,
                                           &c.detector) < 0)
                                goto fail;
                }
        }

        if (node->sending && node->next_send_ns != HB_NEVER &&
            cfg->interval_ns != node->cfg.interval_ns) {
                /* Keep the phase: the last scheduled slot + the new
                 * interval, or now if that is already past. */
                uint64_t last = node->next_send_ns - node->cfg.interval_ns;

                node->next_send_ns = last + cfg->interval_ns;
                if (node->next_send_ns < now_ns)
                        node->next_send_ns = now_ns;
        }
        {
                /* The old ring and its counts, to carry them over by id. */
                hb_keyring_t old = node->ring;
                uint64_t rx[HB_KEYRING_MAX], last[HB_KEYRING_MAX];

                memcpy(rx, node->key_rx, sizeof(rx));
                memcpy(last, node->key_last_ns, sizeof(last));
                hb_key_wipe(&node->cfg.key);
                hb_keyring_wipe(&node->cfg.keyring);
                node->cfg = *cfg;
                set_ring(node, &old, rx, last);
                hb_keyring_wipe(&old);
        }
        for (uint32_t c = 1; c <= HB_CLASSES_MAX; c++) {
                /* A new class sends at the next tick; a changed interval
                 * keeps the phase, as the node's own (above). */
                uint64_t next = node->cnext_ns[c];

                if (c > cfg->n_classes || c > node->n_classes_sched ||
                    next == 0) {
                        node->cnext_ns[c] = 0;
                        continue;
                }
                next = next - node->civ[c] +
                       (class_same_rate(&node->cls[c], &cfg->classes[c - 1])
                                ? node->civ[c]
                                : cfg->classes[c - 1].interval_ns);
                node->cnext_ns[c] = next < now_ns ? now_ns : next;
        }
        for (uint32_t c = 0; c <= HB_CLASSES_MAX; c++) {
                hb_class_config_t nc;

                if (c == 0 || c > cfg->n_classes ||
                    c > node->n_classes_sched)
                        continue;
                hb__class_at(cfg, c, &nc);
                same[c] = class_same_rate(&node->cls[c], &nc);
        }
        node->n_classes_sched = cfg->n_classes;
        memset(node->cls, 0, sizeof(node->cls));
        for (uint32_t c = 0; c <= cfg->n_classes; c++)
                hb__class_at(cfg, c, &node->cls[c]);
        /* An adaptive class whose rate settings are unchanged keeps its
         * current interval; any other starts over at its interval. */
        for (uint32_t c = 0; c <= HB_CLASSES_MAX; c++)
                if (!same[c])
                        class_restart(node, c);
        for (i = 0; i < node->n_peers; i++) {
                hb_peer_t *p = node->peers[i];

                bool moved = rebuild[i] || p->cls != cls[i];

                p->cls = cls[i];
                if (rebuild[i])
                        detectors_swap(p, &fresh[i * per], per, now_ns);
                /* Its announced interval may no longer be in bounds. */
                if (moved || p->app_interval_ns <
                                     class_lo(hb__class_of(node, p)) ||
                    p->app_interval_ns > class_hi(hb__class_of(node, p)))
                        class_changed(node, p, now_ns);
                reschedule(node, p);
        }
        if (node->cfg.coord.enabled) {
                node->coord.promise_max_ns = promise_max;
                hb__coord_recount(node);
        }
        r = 0;
        goto out;
fail:
        for (i = 0; fresh && i < node->n_peers * per; i++)
                hb_detector_free(fresh[i]);
out:
        hb__free(fresh);
        hb__free(cls);
        hb__free(rebuild);
        return r;
}

uint64_t hb_node_class_interval_ns(const hb_node_t *node, uint32_t class_idx)
{
        if (!node || class_idx > node->cfg.n_classes)
                return 0;
        return node->civ[class_idx];
}

int hb_node_peer_set_class(hb_node_t *node, uint32_t peer_id,
                           uint32_t class_idx, uint64_t now_ns)
{
        hb_detector_t *fresh[1 + HB_LINKS_MAX];
        hb_peer_t *p;
        size_t per;

        if (!node || class_idx > node->cfg.n_classes)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        if (p->cls == class_idx)
                return 0;
        per = detectors_per_peer(&node->cfg);
        if (!detector_config_equal(&node->cls[class_idx].detector,
                                   &hb__class_of(node, p)->detector)) {
                if (detectors_make(fresh, per,
                                   &node->cls[class_idx].detector) < 0)
                        return -ENOMEM;
                detectors_swap(p, fresh, per, now_ns);
        }
        p->cls = class_idx;
        class_changed(node, p, now_ns);
        reschedule(node, p);
        if (node->cfg.coord.enabled)
                hb__coord_recount(node);
        return 0;
}

/* ------------------------------------------------------------------ */
/* Traffic                                                             */

static int drop(hb_node_t *node, int err)
{
        int idx = -err - 10001;

        if (idx >= 0 && idx < HB_N_DROP_REASONS)
                node->drops[idx]++;
        node->counters.rx_dropped++;
        return err;
}

/* Record an RTT sample (ns) in the peer's ring, in µs. */
static void rtt_add(hb_peer_t *p, uint64_t rtt_ns)
{
        uint64_t us = rtt_ns / 1000;

        p->rtt_us[p->rtt_pos] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
        p->rtt_pos = (uint8_t)((p->rtt_pos + 1) % RTT_WINDOW);
        if (p->rtt_count < RTT_WINDOW)
                p->rtt_count++;
}

static void link_rtt_add(hb_link_t *l, uint64_t rtt_ns)
{
        uint64_t us = rtt_ns / 1000;

        l->rtt_us[l->rtt_pos] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
        l->rtt_pos = (uint8_t)((l->rtt_pos + 1) % RTT_WINDOW);
        if (l->rtt_count < RTT_WINDOW)
                l->rtt_count++;
}

/*
 * An authenticated control message (ACK, vote request or response) from
 * `p`. Control messages are replay-checked in their own sequence space
 * (the sender's ack_seq) and only within the peer's current incarnation,
 * when one is known (heartbeats, not control messages, move
 * incarnations; they neither change the peer's state nor feed the
 * detector). Votes go to election.c once their TLVs have checked out.
 * An ACK gives an RTT sample from its ECHO TLV.
 * Returns 0 or HB_EREPLAY / HB_EBADTLV.
 */
static int on_control(hb_node_t *node, hb_peer_t *p,
                      const hb_wire_msg_t *m, uint64_t now_ns,
                      uint64_t *rtt_ns)
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r;

        if (p->incarnation != 0 && !p->forgotten &&
            m->incarnation < p->incarnation)
                return HB_EOLDINC;
        if (p->incarnation != 0 && m->incarnation != p->incarnation)
                return HB_EREPLAY;
        if (m->type == HB_MSG_REGION_SUMMARY) {
                /* Not by sequence: a summary is state, replay-checked by
                 * its term and version (hier.c); its chunks, relays and
                 * repairs may arrive in any order. */
                r = hb__hier_check_summary(m);
                if (r < 0)
                        return r;
                hb__hier_on_summary(node, p, m, now_ns);
                return 0;
        }
        if (m->type == HB_MSG_SUBSET_VERDICT) {
                /* A repair is state, replay-checked by each monitor's
                 * (incarnation, epoch) (subset.c): its datagrams, a burst,
                 * may arrive in any order. A monitor's own verdicts go
                 * by sequence. */
                r = hb__subset_check_verdict(m);
                if (r < 0)
                        return r;
                if (r == 0) {
                        if (m->seq <= p->last_ack_seq)
                                return HB_EREPLAY;
                        p->last_ack_seq = m->seq;
                }
                hb__subset_on_verdict(node, p, m, now_ns);
                return 0;
        }
        if (m->seq <= p->last_ack_seq)
                return HB_EREPLAY;
        if (m->type == HB_MSG_VERDICT) {
                r = hb__mon_check_verdict(m);
                if (r < 0)
                        return r;
                p->last_ack_seq = m->seq;
                hb__mon_on_verdict(node, p, m, now_ns);
                return 0;
        }
        if (m->type != HB_MSG_ACK) {
                r = hb__coord_check_vote(m);
                if (r < 0)
                        return r;
                p->last_ack_seq = m->seq;
                hb__coord_on_vote(node, p, m, now_ns);
                return 0;
        }
        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0) {
                uint64_t echoed;

                if (type != HB_TLV_ECHO)
                        continue; /* unknown TLVs are skipped */
                if (vlen != 16)
                        return HB_EBADTLV;
                echoed = hb__get_u64(val + 8);
                p->last_ack_seq = m->seq;
                /* The echoed time is ours: it must be in the past, and
                 * after our last local pause (an ack that waited in our
                 * buffer while we were stopped measures the pause). */
                if (echoed <= now_ns && echoed > 0 &&
                    echoed >= node->pause_resume_ns) {
                        *rtt_ns = now_ns - echoed;
                        rtt_add(p, *rtt_ns);
                        node->crtt_max_ns[p->cls] = max_u64(
                                node->crtt_max_ns[p->cls], *rtt_ns);
                }
                return 0;
        }
        if (r < 0)
                return r;
        p->last_ack_seq = m->seq;
        return 0;
}

/* Queue the ACK echoing heartbeat `m` back to its source (HB_TLV_ECHO:
 * its sequence and send time, so the sender computes the RTT on its own
 * clock). Not after a local pause, for the burst that waited in our
 * socket buffer meanwhile (the window record_arrival() uses): the echo
 * would measure our pause, not the network. */
static void queue_ack(hb_node_t *node, const hb_wire_msg_t *m,
                      uint64_t now_ns)
{
        uint8_t tlv[HB_WIRE_TLV_HEADER_LEN + 16];
        size_t o;

        if (node->counters.local_pauses > 0 &&
            now_ns < node->pause_resume_ns + node->cfg.interval_ns / 2) {
                node->counters.acks_withheld++;
                return;
        }
        o = hb__put_tlv_header(tlv, HB_TLV_ECHO, 16);
        hb__put_u64(tlv + o, m->seq);
        hb__put_u64(tlv + o + 8, m->send_time_ns);
        (void)hb__out_push(node, HB_DEST_REPLY, m->sender_id, HB_MSG_ACK, 0,
                           tlv, sizeof(tlv), now_ns);
        node->counters.acks_sent++;
}

static void check_late(hb_node_t *node, uint64_t now_ns);
static void finish(hb_node_t *node, uint64_t now_ns);

/* An accepted message verified under key `id`: for the operator's "is
 * the old key still in use?" (hb_node_key_at()). */
static void key_used(hb_node_t *node, uint8_t id, uint64_t now_ns)
{
        int slot = hb_keyring_find(&node->ring, id);

        if (slot >= 0) {
                node->key_rx[slot]++;
                node->key_last_ns[slot] = now_ns;
        }
}

int hb_node_recv(hb_node_t *node, uint64_t now_ns, const uint8_t *buf,
                 size_t len, hb_recv_info_t *info)
{
        return hb_node_recv_from(node, now_ns, buf, len, NULL, info);
}

/*
 * A new incarnation of `p` further ahead of this node's wall clock than
 * the allowed skew (hb_node_config.incarnation_ahead_max_ns, review F9).
 * Incarnations are µs since the epoch there. A current incarnation is
 * never refused: a peer accepted earlier stays accepted when this
 * node's clock is stepped back.
 */
static bool incarnation_too_far(const hb_node_t *node, const hb_peer_t *p,
                                uint64_t incarnation)
{
        uint64_t limit_us;

        if (node->cfg.incarnation_ahead_max_ns == 0 || node->wall_ns == 0 ||
            (incarnation == p->incarnation && !p->forgotten))
                return false;
        limit_us = node->wall_ns / 1000 +
                   node->cfg.incarnation_ahead_max_ns / 1000;
        return incarnation > limit_us;
}

/* Whether `p` may send from where this message came from (review F8). */
static bool source_ok(const hb_peer_t *p, const hb_recv_source_t *source)
{
        return source == NULL || p->roaming ||
               source->from_peer(source->ctx, p->id);
}

int hb_node_recv_from(hb_node_t *node, uint64_t now_ns, const uint8_t *buf,
                      size_t len, const hb_recv_source_t *source,
                      hb_recv_info_t *info)
{
        return hb_node_recv_link(node, now_ns, 0, buf, len, source, info);
}

/* Link bookkeeping for a heartbeat or leave `m` from `p` on link k, after
 * the peer-level checks: HB_EREPLAY when this link saw it already, 1
 * when it is new for the link but the peer has it from another link
 * (a copy), 0 when it is new for the peer too. */
static int link_accept(hb_node_t *node, hb_peer_t *p, uint32_t k,
                       const hb_wire_msg_t *m, uint32_t class_seq,
                       uint64_t now_ns)
{
        hb_link_t *l = &p->links[k];
        bool restarted;

        if (l->incarnation != 0 && !p->forgotten &&
            m->incarnation == l->incarnation && m->seq <= l->last_seq) {
                l->replays++;
                return HB_EREPLAY;
        }
        if (!p->link_heard) {
                /* Its first datagram on any link: the links not heard
                 * yet are given the dead time from now to show up. */
                p->link_heard = true;
                for (uint32_t j = 0; j < p->n_links; j++)
                        if (p->links[j].state == HB_LINK_UNKNOWN)
                                links_reset_one(&p->links[j], now_ns);
        }
        restarted = l->incarnation != 0 && m->incarnation != l->incarnation;
        if (class_seq != 0) {
                /* With classes, loss on the class's counter (as the
                 * peer's, docs/classes.md). */
                if (l->incarnation == m->incarnation && l->class_seq > 0 &&
                    class_seq > l->class_seq + 1)
                        l->seq_gaps += class_seq - l->class_seq - 1;
                l->class_seq = class_seq;
        } else if (l->incarnation == m->incarnation &&
                   m->seq > l->last_seq + 1) {
                l->seq_gaps += m->seq - l->last_seq - 1;
        }
        l->incarnation = m->incarnation;
        l->last_seq = m->seq;
        l->received++;
        if (m->type == HB_MSG_HEARTBEAT)
                link_on_heartbeat(node, p, k, now_ns, m->seq,
                                  m->send_time_ns, restarted);
        if (p->incarnation != 0 && !p->forgotten &&
            m->incarnation == p->incarnation && m->seq <= p->last_seq)
                return 1;
        return 0;
}

/* Set the interval p's detectors expect (peer and links). */
static void peer_set_interval(hb_node_t *node, hb_peer_t *p, uint64_t iv,
                              uint64_t now_ns)
{
        (void)hb_detector_set_interval(p->detector, iv, now_ns);
        for (uint32_t k = 0; p->links && k < node->cfg.n_links; k++)
                (void)hb_detector_set_interval(p->links[k].detector, iv,
                                               now_ns);
}

/*
 * Follow the interval `p` announced (its last INTERVAL TLV, docs/
 * classes.md): the larger of its current and next interval, so a rise is
 * expected from its first announcement, clamped to the bounds of the
 * class this node gives it. Outside them: class_mismatch, and one
 * HB_EVENT_CLASS_MISMATCH until it announces within bounds again.
 */
static void apply_announced(hb_node_t *node, hb_peer_t *p, uint64_t now_ns)
{
        const hb_class_config_t *c = hb__class_of(node, p);
        uint64_t lo = class_lo(c), hi = class_hi(c);
        uint64_t ann = max_u64(p->ann_interval_ns, p->ann_next_interval_ns);
        uint64_t want = min_u64(max_u64(ann, lo), hi);
        bool out = p->ann_interval_ns < lo || p->ann_interval_ns > hi ||
                   p->ann_next_interval_ns < lo ||
                   p->ann_next_interval_ns > hi;

        if (out) {
                node->counters.class_mismatch++;
                if (!p->mismatch_warned) {
                        hb_event_t ev;

                        p->mismatch_warned = true;
                        memset(&ev, 0, sizeof(ev));
                        ev.size = sizeof(ev);
                        ev.type = HB_EVENT_CLASS_MISMATCH;
                        ev.peer_id = p->id;
                        ev.old_state = ev.new_state = p->state;
                        ev.at_ns = now_ns;
                        ev.incarnation = p->incarnation;
                        ev.last_arrival_ns = hb_detector_last_arrival_ns(
                                p->detector);
                        ev.class_idx = p->cls;
                        ev.old_interval_ns = want;
                        ev.new_interval_ns = ann;
                        node->counters.transitions++;
                        if (node->cb)
                                node->cb(node->user, &ev);
                }
        } else {
                p->mismatch_warned = false;
        }
        p->app_interval_ns = want;
        if (hb_detector_interval_ns(p->detector) != want)
                peer_set_interval(node, p, want, now_ns);
}

/*
 * The INTERVAL TLV of message `m` (docs/classes.md) into iv[3]
 * (interval_us, next_interval_us, class_seq): 1 found, 0 none,
 * HB_EBADTLV (not a heartbeat, a length other than 12, an interval out
 * of range, two of them).
 */
static int parse_interval(const hb_wire_msg_t *m, uint32_t iv[3])
{
        const uint8_t *cur = m->tlv, *val;
        size_t left = m->tlv_len;
        uint16_t type, vlen;
        int r, found = 0;

        while ((r = hb_wire_tlv_next(&cur, &left, &type, &val, &vlen)) > 0) {
                if (type != HB_TLV_INTERVAL)
                        continue;
                if (found || m->type != HB_MSG_HEARTBEAT ||
                    vlen != HB_INTERVAL_TLV_LEN)
                        return HB_EBADTLV;
                for (int k = 0; k < 3; k++)
                        iv[k] = hb__get_u32(val + 4 * k);
                for (int k = 0; k < 2; k++)
                        if (iv[k] < 1000 || iv[k] > 3600000000u)
                                return HB_EBADTLV;
                found = 1;
        }
        return r < 0 ? HB_EBADTLV : found;
}

/*
 * Topology gossip with coordination (docs/gossip.md, "Quorum and
 * election"): a heartbeat, vote or ACK from a voter (a configured
 * peer; anyone else: HB_EUNKPEER), replay-checked as in the mesh. It
 * moves no peer state (gossip holds the voters' states, swim.c), only
 * the election's. 0 or the drop reason (nothing changed).
 */
static int gossip_coord_recv(hb_node_t *node, const hb_wire_msg_t *m,
                             uint64_t now_ns, uint64_t *rtt_ns)
{
        hb_peer_t *p;
        hb_leader_tlv_t lt;
        int has_lt, r;

        /* Leaves are gossip's (swim.c); verdicts and summaries belong
         * to other topologies. */
        if (m->type != HB_MSG_HEARTBEAT && m->type != HB_MSG_ACK &&
            m->type != HB_MSG_VOTE_REQ && m->type != HB_MSG_VOTE_RESP)
                return HB_EBADTYPE;
        p = hb__lookup(node, m->sender_id);
        if (!p)
                return HB_EUNKPEER;
        if (incarnation_too_far(node, p, m->incarnation))
                return HB_EFUTUREINC;
        if (m->type != HB_MSG_HEARTBEAT) {
                r = on_control(node, p, m, now_ns, rtt_ns);
                if (r == HB_EREPLAY)
                        p->replays++;
                if (r == HB_EOLDINC)
                        p->old_incarnations++;
                if (r < 0)
                        return r;
                p->received++;
                return 0;
        }
        has_lt = hb__coord_parse_leader(m, &lt);
        if (has_lt < 0)
                return has_lt;
        if (p->incarnation != 0 && !p->forgotten &&
            m->incarnation < p->incarnation) {
                p->old_incarnations++;
                return HB_EOLDINC;
        }
        if (p->incarnation != 0 && !p->forgotten &&
            m->incarnation == p->incarnation && m->seq <= p->last_seq) {
                p->replays++;
                return HB_EREPLAY;
        }
        if (p->incarnation != 0 && m->incarnation != p->incarnation) {
                /* A new process: what the old one supported is void, as
                 * a mesh peer's restart (probation) voids it. */
                p->last_ack_seq = 0;
                p->support_until_ns = 0;
        }
        p->forgotten = false;
        p->incarnation = m->incarnation;
        p->last_seq = m->seq;
        p->last_send_time_ns = m->send_time_ns;
        p->received++;
        hb__coord_on_heartbeat(node, p, has_lt > 0 ? &lt : NULL, now_ns);
        return 0;
}

int hb_node_recv_link(hb_node_t *node, uint64_t now_ns, uint32_t link,
                      const uint8_t *buf, size_t len,
                      const hb_recv_source_t *source, hb_recv_info_t *info)
{
        /* AEAD: the decrypted inner part; `m` borrows from it. */
        uint8_t plain[HB_WIRE_MAX_LEN];
        hb_wire_msg_t m;
        hb_peer_t *p;
        uint64_t rtt_ns = 0;
        hb_leader_tlv_t lt;
        uint32_t iv[3] = { 0, 0, 0 };
        int restarted, has_lt = 0, has_iv;
        int r;

        if (!node || (!buf && len > 0) ||
            (source != NULL && source->from_peer == NULL) ||
            link >= links_of(&node->cfg))
                return -EINVAL;
        /* This datagram may have waited in the buffer through a pause:
         * the node must know of the pause first. */
        check_late(node, now_ns);
        if (node->cfg.coord.enabled)
                hb__coord_begin(node, now_ns);
        if (hb__hier_on(node) && hb__hier_is_global(node, buf, len)) {
                /* The coordinators' level (hier.c). */
                r = hb__hier_recv_global(node, now_ns, buf, len);
                if (r < 0)
                        return drop(node, r);
                finish(node, now_ns);
                return 0;
        }
        node->rx_buf = buf;
        node->rx_len = len;
        r = hb_wire_decode(&m, buf, len, node->cfg.cluster_id, &node->ring,
                           plain, sizeof(plain));
        if (r < 0)
                return drop(node, r);
        if (m.sender_id == node->cfg.node_id)
                return drop(node, HB_ESELF);
        if (hb__swim_on(node)) {
                /* Gossip: any authentic member may talk (joins), and
                 * learned members' addresses come from gossip: the
                 * driver checks the source of the members it has an
                 * address for from its configuration only
                 * (docs/gossip.md, "Trust"). */
                if (source != NULL &&
                    !source->from_peer(source->ctx, m.sender_id))
                        return drop(node, HB_EBADSRC);
                if (hb__swim_voters(node) &&
                    (m.type < HB_MSG_PING || m.type > HB_MSG_GOSSIP)) {
                        r = gossip_coord_recv(node, &m, now_ns, &rtt_ns);
                        if (r < 0)
                                return drop(node, r);
                        node->counters.rx_accepted++;
                        key_used(node, m.key_id, now_ns);
                        goto accepted;
                }
                r = hb__swim_recv(node, &m, now_ns);
                if (r < 0)
                        return drop(node, r);
                node->counters.rx_accepted++;
                key_used(node, m.key_id, now_ns);
                goto accepted;
        }
        p = hb__lookup(node, m.sender_id);
        if (!p)
                return drop(node, HB_EUNKPEER);
        if (!source_ok(p, source) &&
            !(m.type == HB_MSG_REGION_SUMMARY &&
              hb__hier_relay_ok(node, source))) {
                p->bad_sources++;
                return drop(node, HB_EBADSRC);
        }
        if (incarnation_too_far(node, p, m.incarnation))
                return drop(node, HB_EFUTUREINC);
        has_iv = parse_interval(&m, iv);
        if (has_iv < 0)
                return drop(node, has_iv);

        if (m.type >= HB_MSG_PING && m.type <= HB_MSG_GOSSIP) {
                return drop(node, HB_EBADTYPE); /* gossip: not this one */
        } else if (m.type == HB_MSG_VERDICT) {
                /* Only from a configured monitor (docs/topologies.md). */
                if (!hb__mon_on(node) || hb__mon_driven(node, p))
                        return drop(node, HB_EBADTYPE);
        } else if (m.type == HB_MSG_SUBSET_VERDICT) {
                if (!hb__subset_on(node))
                        return drop(node, HB_EBADTYPE);
        } else if (m.type == HB_MSG_REGION_SUMMARY) {
                if (!hb__hier_on(node))
                        return drop(node, HB_EBADTYPE);
        } else if (m.type != HB_MSG_HEARTBEAT && m.type != HB_MSG_LEAVE &&
                   m.type != HB_MSG_ACK && !node->cfg.coord.enabled) {
                return drop(node, HB_EBADTYPE); /* votes: coordination off */
        }
        if (m.type != HB_MSG_HEARTBEAT && m.type != HB_MSG_LEAVE) {
                r = on_control(node, p, &m, now_ns, &rtt_ns);
                if (r < 0) {
                        if (r == HB_EREPLAY)
                                p->replays++;
                        if (r == HB_EOLDINC)
                                p->old_incarnations++;
                        return drop(node, r);
                }
                if (rtt_ns > 0) {
                        node->counters.rtt_samples++;
                        if (p->links)
                                link_rtt_add(&p->links[link], rtt_ns);
                }
                p->received++;
                node->counters.rx_accepted++;
                key_used(node, m.key_id, now_ns);
                goto accepted;
        }

        if (m.type == HB_MSG_HEARTBEAT && node->cfg.coord.enabled) {
                /* Checked before anything about the peer changes. */
                has_lt = hb__coord_parse_leader(&m, &lt);
                if (has_lt < 0)
                        return drop(node, has_lt);
        }
        if (m.type == HB_MSG_HEARTBEAT && hb__hier_on(node)) {
                r = hb__hier_check_beat(&m);
                if (r < 0)
                        return drop(node, r);
        }
        if (m.type == HB_MSG_HEARTBEAT && hb__subset_on(node)) {
                r = hb__subset_check_beat(&m);
                if (r < 0)
                        return drop(node, r);
        }
        /* Replay protection: (incarnation, seq) must strictly grow. An
         * older incarnation has a reason of its own: after a restart it
         * names a clock stepped back (review F6). */
        if (p->incarnation != 0 && !p->forgotten &&
            m.incarnation < p->incarnation) {
                p->old_incarnations++;
                return drop(node, HB_EOLDINC);
        }
        if (p->links) {
                r = link_accept(node, p, link, &m,
                                has_iv > 0 ? iv[2] : 0, now_ns);
                if (r == HB_EREPLAY)
                        p->replays++;
                if (r < 0)
                        return drop(node, r);
                if (r == 1) {
                        /* A copy: this link's evidence only. */
                        node->counters.rx_accepted++;
                        node->counters.link_copies++;
                        key_used(node, m.key_id, now_ns);
                        reschedule(node, p);
                        goto accepted;
                }
        }
        if (m.type == HB_MSG_HEARTBEAT && p->links &&
            p->state == HB_PEER_LEFT) {
                /* Back after a leave: its other links are judged from
                 * now, as a new peer's would be. */
                for (uint32_t k = 0; k < p->n_links; k++)
                        if (p->links[k].state == HB_LINK_UNKNOWN)
                                links_reset_one(&p->links[k], now_ns);
        }
        if (p->incarnation != 0 && !p->forgotten &&
            m.incarnation == p->incarnation && m.seq <= p->last_seq) {
                p->replays++;
                return drop(node, HB_EREPLAY);
        }
        if (p->forgotten)
                restarted = p->incarnation != 0 &&
                            m.incarnation != p->incarnation;
        else
                restarted = p->incarnation != 0 &&
                            m.incarnation > p->incarnation;
        if (p->forgotten)
                for (uint32_t k = 0; p->links && k < node->cfg.n_links; k++)
                        if (k != link)
                                p->links[k].incarnation = 0;
        p->forgotten = false;
        if (has_iv > 0) {
                /* With classes the sequence skips the other classes'
                 * heartbeats: count loss on the class's own counter. */
                if (p->incarnation == m.incarnation && p->class_seq > 0 &&
                    iv[2] > p->class_seq + 1)
                        p->seq_gaps += iv[2] - p->class_seq - 1;
                p->class_seq = iv[2];
                p->ann_interval_ns = (uint64_t)iv[0] * 1000;
                p->ann_next_interval_ns = (uint64_t)iv[1] * 1000;
                if (m.type == HB_MSG_HEARTBEAT)
                        apply_announced(node, p, now_ns);
        } else if (p->incarnation == m.incarnation &&
                   m.seq > p->last_seq + 1) {
                p->seq_gaps += m.seq - p->last_seq - 1;
        }
        if (restarted)
                p->last_ack_seq = 0;
        p->incarnation = m.incarnation;
        p->last_seq = m.seq;
        p->last_send_time_ns = m.send_time_ns;
        p->received++;
        node->counters.rx_accepted++;
        key_used(node, m.key_id, now_ns);

        if (m.type == HB_MSG_LEAVE) {
                links_reset(p, node->cfg.n_links, now_ns);
                if (hb__mon_driven(node, p))
                        hb__mon_leave(node, p, now_ns);
                else if (hb__hier_driven(node, p))
                        ; /* its coordinator's summary will say */
                else if (p->state != HB_PEER_LEFT)
                        set_state(node, p, HB_PEER_LEFT, HB_REASON_LEAVE,
                                  now_ns,
                                  hb_detector_suspicion(p->detector, now_ns));
        } else {
                on_heartbeat(node, p, now_ns, m.seq, restarted);
                if (hb__hier_on(node))
                        hb__hier_on_beat(node, p, &m, now_ns);
                if (hb__subset_on(node))
                        hb__subset_on_beat(node, p, &m, now_ns);
        }
        reschedule(node, p);
        if (m.type == HB_MSG_HEARTBEAT && node->cfg.coord.enabled)
                hb__coord_on_heartbeat(node, p, has_lt > 0 ? &lt : NULL,
                                       now_ns);

accepted:
        if (info) {
                info->type = m.type;
                info->sender_id = m.sender_id;
                info->incarnation = m.incarnation;
                info->seq = m.seq;
                info->send_time_ns = m.send_time_ns;
                info->rtt_ns = rtt_ns;
        }
        if (m.type == HB_MSG_HEARTBEAT && (m.flags & HB_FLAG_ECHO_REQUEST))
                queue_ack(node, &m, now_ns);
        finish(node, now_ns);
        return 0;
}

/* The flags (and coordination block, into `block`) of the heartbeat
 * about to be queued with sequence node->seq + 1. `count`: the counter
 * echo requests are spaced on (the sequence, or with classes the class's
 * class_seq, docs/classes.md); 0: no echo request. */
static uint16_t beat_flags(hb_node_t *node, uint64_t now_ns, uint64_t count,
                           uint8_t block[HB_WIRE_COORD_LEN],
                           const uint8_t **coord)
{
        uint16_t flags = 0;

        *coord = NULL;
        if (node->cfg.coord.enabled) {
                /* Quorum and election state ride on every heartbeat. */
                hb__coord_begin(node, now_ns);
                flags = hb__coord_block(node, node->seq + 1, now_ns, block);
                *coord = block;
        }
        if (node->cfg.rtt_probe_every > 0 && count > 0 &&
            count % node->cfg.rtt_probe_every == 0)
                flags |= HB_FLAG_ECHO_REQUEST;
        return flags;
}

/* Topology gossip with coordination: the heartbeat that carries the
 * coordination block, to every voter (one message, one sequence number,
 * an HB_DEST_BEAT copy each; no echo request: gossip measures no RTT). */
static int queue_voter_beat(hb_node_t *node, uint64_t now_ns)
{
        uint8_t block[HB_WIRE_COORD_LEN];
        const uint8_t *coord;
        uint16_t flags;
        int r = 0;

        if (node->n_peers == 0)
                return 0;
        flags = beat_flags(node, now_ns, 0, block, &coord);
        for (size_t i = 0; i < node->n_peers; i++) {
                uint32_t id = node->peers[i]->id;

                if (i == 0)
                        r = hb__out_push_coord(node, HB_DEST_BEAT, id,
                                               HB_MSG_HEARTBEAT, flags,
                                               coord, NULL, 0, now_ns);
                else
                        r = hb__out_dup_last(node, HB_DEST_BEAT, id);
                if (r < 0)
                        break; /* never a copy of another message */
        }
        return r;
}

/* Queue this node's next heartbeat or leave for every peer. */
static int queue_beat(hb_node_t *node, uint8_t type, uint64_t now_ns)
{
        uint8_t block[HB_WIRE_COORD_LEN];
        const uint8_t *coord = NULL;
        uint16_t flags = 0;

        if (hb__swim_on(node)) {
                /* Gossip sends probes, not heartbeats; a leave is an
                 * update spread by gossip (swim.c). With coordination,
                 * the election's heartbeats go to the voters. */
                if (type == HB_MSG_LEAVE)
                        return hb__swim_leave(node, now_ns);
                return hb__swim_voters(node) ? queue_voter_beat(node, now_ns)
                                             : 0;
        }
        /* With classes, out-of-schedule heartbeats ask no echo: each
         * class probes on its own counter (queue_class_beat()). */
        if (type == HB_MSG_HEARTBEAT)
                flags = beat_flags(node, now_ns,
                                   node->cfg.n_classes > 0 ? 0
                                                           : node->seq + 1,
                                   block, &coord);
        if (hb__mon_on(node))
                return hb__mon_queue_beat(node, type, flags, coord, now_ns);
        if (hb__hier_on(node))
                return hb__hier_queue_beat(node, type, flags, coord, now_ns);
        /* A hierarchy's global level: its digest rides along. */
        return hb__out_push_coord(node, HB_DEST_ALL, 0, type, flags, coord,
                                  node->beat_tlv_len ? node->beat_tlv : NULL,
                                  node->beat_tlv_len, now_ns);
}

/* Queue the scheduled heartbeat of class `cls` for the peers of that
 * class (docs/classes.md): one message (one sequence number), an
 * HB_DEST_BEAT copy per peer. Nothing when the class has no peer. */
static int queue_class_beat(hb_node_t *node, uint32_t cls, uint64_t now_ns)
{
        uint8_t tlv[HB_WIRE_TLV_HEADER_LEN + HB_INTERVAL_TLV_LEN];
        uint8_t block[HB_WIRE_COORD_LEN];
        uint64_t iv_us;
        size_t o;
        const uint8_t *coord;
        uint16_t flags;
        bool first = true;
        size_t i;
        int r = 0;

        for (i = 0; i < node->n_peers && node->peers[i]->cls != cls; i++)
                ;
        if (i == node->n_peers)
                return 0;
        flags = beat_flags(node, now_ns, (uint64_t)node->cseq[cls] + 1, block,
                           &coord);
        /* The interval this class keeps and its own counter. */
        iv_us = node->civ[cls] / 1000;
        o = hb__put_tlv_header(tlv, HB_TLV_INTERVAL, HB_INTERVAL_TLV_LEN);
        hb__put_u32(tlv + o, (uint32_t)iv_us);
        hb__put_u32(tlv + o + 4, (uint32_t)(node->cnext_iv[cls] / 1000));
        hb__put_u32(tlv + o + 8, ++node->cseq[cls]);
        /* A rise takes effect after HB_CLASS_ANNOUNCE_BEATS announcements
         * (docs/classes.md): from the slot after this one. */
        if (node->cannounce[cls] > 0 && --node->cannounce[cls] == 0)
                node->civ[cls] = node->cnext_iv[cls];
        for (; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (p->cls != cls)
                        continue;
                if (first)
                        r = hb__out_push_coord(node, HB_DEST_BEAT, p->id,
                                               HB_MSG_HEARTBEAT, flags,
                                               coord, tlv, sizeof(tlv),
                                               now_ns);
                else
                        r = hb__out_dup_last(node, HB_DEST_BEAT, p->id);
                if (r < 0)
                        break; /* never a copy of another message */
                first = false;
        }
        return r;
}

/* The end of every call that can change the role: a new leader, or a
 * follower of a new leader, says so at once (election.c announce()). */
static void finish(hb_node_t *node, uint64_t now_ns)
{
        if (node->cfg.coord.enabled && hb__coord_take_announce(node) &&
            node->next_send_ns != HB_NEVER)
                (void)queue_beat(node, HB_MSG_HEARTBEAT, now_ns);
        /* A monitor tells a changed verdict at once. */
        if (hb__mon_on(node) && node->next_send_ns != HB_NEVER &&
            node->sending)
                hb__mon_send_verdicts(node, true, now_ns);
        if (hb__hier_on(node))
                hb__hier_finish(node, now_ns);
}

int hb_node_heartbeat_now(hb_node_t *node, uint64_t now_ns)
{
        if (!node)
                return -EINVAL;
        return queue_beat(node, HB_MSG_HEARTBEAT, now_ns);
}

int hb_node_leave(hb_node_t *node, uint64_t now_ns)
{
        if (!node)
                return -EINVAL;
        node->next_send_ns = HB_NEVER;
        return queue_beat(node, HB_MSG_LEAVE, now_ns);
}

/*
 * The heartbeat schedule: absolute slots (previous slot + interval), so
 * a late wake-up never accumulates; re-based on now when the node fell
 * behind by more than an interval, instead of sending a burst of stale
 * heartbeats.
 */
static void slot_advance(hb_node_t *node, uint64_t *next,
                         uint64_t interval, uint64_t now_ns, bool first)
{
        uint64_t due = *next;

        if (first) {
                *next = now_ns + interval;
        } else if (now_ns - due > interval) {
                node->counters.send_late++;
                *next = now_ns + interval;
        } else {
                *next = due + interval;
        }
}

/* Dampening period of adaptive class c: its own, or 30 x the current
 * interval, at least 1 s (docs/classes.md). */
static uint64_t adaptive_dampening(const hb_node_t *node, uint32_t c)
{
        const hb_class_adaptive_t *a = &node->cls[c].adaptive;

        if (a->dampening_ns != 0)
                return a->dampening_ns;
        return max_u64(30 * node->civ[c], HB_NS_PER_S);
}

/*
 * The adaptive rule of class c (docs/classes.md, "Adaptive interval"),
 * at most once per dampening period, before one of its heartbeats: a
 * rise is announced on this and the next heartbeats and taken after
 * HB_CLASS_ANNOUNCE_BEATS of them, a fall at once. Inputs: the largest
 * RTT p99 over the class's peers, and their loss (gaps / heartbeats
 * expected) since the last evaluation.
 */
static void adaptive_evaluate(hb_node_t *node, uint32_t c, uint64_t now_ns)
{
        const hb_class_adaptive_t *a = &node->cls[c].adaptive;
        uint64_t rtt = 0, rx = 0, gaps = 0, iv = node->civ[c], to = iv;
        double target, loss = 0.0;
        hb_event_t ev;
        size_t i;

        if (node->ceval_ns[c] == 0) {
                /* Snapshot the counters; the first evaluation comes one
                 * period later. */
                node->ceval_ns[c] = add_sat(now_ns, adaptive_dampening(node,
                                                                       c));
                node->crx[c] = node->cgaps[c] = 0;
                node->crtt_max_ns[c] = 0;
                for (i = 0; i < node->n_peers; i++)
                        if (node->peers[i]->cls == c) {
                                node->crx[c] += node->peers[i]->received;
                                node->cgaps[c] += node->peers[i]->seq_gaps;
                        }
                return;
        }
        if (now_ns < node->ceval_ns[c] || node->cannounce[c] > 0)
                return;
        node->ceval_ns[c] = add_sat(now_ns, adaptive_dampening(node, c));
        for (i = 0; i < node->n_peers; i++) {
                const hb_peer_t *p = node->peers[i];

                if (p->cls != c)
                        continue;
                rx += p->received;
                gaps += p->seq_gaps;
        }
        /* The largest RTT sample of the period, not the 64-sample
         * window's p99: that is in practice the window's maximum, and
         * would hold the interval up for 64 echoes after a path became
         * fast again. A period without a sample decides nothing. */
        rtt = node->crtt_max_ns[c];
        node->crtt_max_ns[c] = 0;
        if (rx + gaps > node->crx[c] + node->cgaps[c] && gaps >= node->cgaps[c])
                loss = (double)(gaps - node->cgaps[c]) /
                       (double)(rx + gaps - node->crx[c] - node->cgaps[c]);
        node->crx[c] = rx;
        node->cgaps[c] = gaps;
        if (rtt == 0)
                return;         /* no sample: nothing to go by */
        target = a->rtt_factor * (double)rtt;
        if (target < (double)a->min_interval_ns)
                target = (double)a->min_interval_ns;
        if (target > (double)a->max_interval_ns)
                target = (double)a->max_interval_ns;
        if (fabs(target - (double)iv) <= a->hysteresis * (double)iv) {
                node->chold[c] = 0;
                return;
        }
        if (target > (double)iv) {
                node->chold[c] = 0;
                to = (uint64_t)fmin(target, (double)iv * a->raise);
        } else {
                if (loss > a->loss_high || ++node->chold[c] < a->hold) {
                        if (loss > a->loss_high)
                                node->chold[c] = 0;
                        return;
                }
                node->chold[c] = 0;
                to = (uint64_t)fmax(target, (double)iv * a->lower);
        }
        /* The wire carries µs. */
        to = to / 1000 * 1000;
        to = min_u64(max_u64(to, a->min_interval_ns), a->max_interval_ns);
        if (to == iv)
                return;
        node->cnext_iv[c] = to;
        if (to > iv)
                node->cannounce[c] = HB_CLASS_ANNOUNCE_BEATS;
        else
                node->civ[c] = to;
        node->counters.interval_changes++;
        memset(&ev, 0, sizeof(ev));
        ev.size = sizeof(ev);
        ev.type = HB_EVENT_INTERVAL;
        ev.at_ns = now_ns;
        ev.last_arrival_ns = HB_NEVER;
        ev.class_idx = c;
        ev.old_interval_ns = iv;
        ev.new_interval_ns = to;
        ev.rtt_max_ns = rtt;
        ev.loss = loss;
        node->counters.transitions++;
        if (node->cb)
                node->cb(node->user, &ev);
}

static bool send_due(hb_node_t *node, uint64_t now_ns)
{
        bool sent = false;

        if (node->next_send_ns == HB_NEVER)
                return false;
        if (now_ns >= node->next_send_ns) {
                bool first = !node->sending;

                if (node->cfg.n_classes > 0)
                        (void)queue_class_beat(node, 0, now_ns);
                else
                        (void)queue_beat(node, HB_MSG_HEARTBEAT, now_ns);
                node->sending = true;
                slot_advance(node, &node->next_send_ns, node->cfg.interval_ns,
                             now_ns, first);
                sent = true;
        }
        /* Each class its own schedule (docs/classes.md). */
        for (uint32_t c = 1; c <= node->cfg.n_classes; c++) {
                if (now_ns < node->cnext_ns[c])
                        continue;
                if (class_adaptive(&node->cls[c]))
                        adaptive_evaluate(node, c, now_ns);
                (void)queue_class_beat(node, c, now_ns);
                slot_advance(node, &node->cnext_ns[c], node->civ[c], now_ns,
                             node->cnext_ns[c] == 0);
                sent = true;
        }
        /* It says whatever an announcement would have. */
        if (sent && node->cfg.coord.enabled)
                (void)hb__coord_take_announce(node);
        return sent;
}

static void local_pause(hb_node_t *node, uint64_t now_ns, uint64_t paused_ns)
{
        hb_event_t ev;
        size_t i;

        node->counters.local_pauses++;
        node->pause_resume_ns = now_ns;
        memset(&ev, 0, sizeof(ev));
        ev.size = sizeof(ev);
        ev.type = HB_EVENT_LOCAL_PAUSE;
        ev.at_ns = now_ns;
        ev.last_arrival_ns = HB_NEVER;
        ev.paused_ns = paused_ns;
        node->counters.transitions++;
        if (node->cb)
                node->cb(node->user, &ev);
        if (hb__swim_on(node))
                hb__swim_local_pause(node, now_ns, paused_ns);
        for (i = 0; i < node->n_peers; i++) {
                hb_peer_t *p = node->peers[i];

                if (p->state == HB_PEER_DEAD || p->state == HB_PEER_LEFT)
                        continue;
                /* Judge the peer as if heard now, keeping its history. */
                hb_detector_rebase(p->detector, now_ns);
                p->rebase_next = true;
                for (uint32_t k = 0; p->links && k < node->cfg.n_links;
                     k++) {
                        hb_link_t *l = &p->links[k];

                        if (l->state == HB_LINK_DOWN)
                                continue;
                        hb_detector_rebase(l->detector, now_ns);
                        l->rebase_next = true;
                        if (l->suspect)
                                l->suspect_since_ns = now_ns;
                }
                if (p->state == HB_PEER_SUSPECT)
                        p->state_since_ns = now_ns; /* dead_after anew */
                if (p->m_raw == HB_PEER_SUSPECT)
                        p->m_suspect_since_ns = now_ns;
                reschedule(node, p);
        }
        if (node->cfg.coord.enabled)
                hb__coord_local_pause(node, now_ns);
}

/*
 * The local-pause guard, from the node's own schedule: a call that comes
 * more than cfg.local_pause_ns after a heartbeat was due means this
 * process did not run meanwhile, and every peer's silence over that time
 * is its own doing. Taken before the call looks at its input (the
 * backlog of heartbeats that waited in the socket buffer is then read as
 * such), once per pause: keyed on the slot it missed.
 */
static void check_late(hb_node_t *node, uint64_t now_ns)
{
        uint64_t due = node->next_send_ns;

        if (node->cfg.local_pause_ns == 0 || !node->sending ||
            due == HB_NEVER || now_ns <= due ||
            now_ns - due <= node->cfg.local_pause_ns ||
            node->pause_handled_ns == due)
                return;
        node->pause_handled_ns = due;
        local_pause(node, now_ns, now_ns - due);
}

void hb_node_local_pause(hb_node_t *node, uint64_t now_ns, uint64_t paused_ns)
{
        if (!node)
                return;
        local_pause(node, now_ns, paused_ns);
}

int hb_node_peer_heard(hb_node_t *node, uint32_t peer_id, uint64_t now_ns)
{
        hb_peer_t *p;

        if (!node)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p || hb__swim_on(node))
                return -ENOENT; /* gossip: voters are judged by gossip */
        check_late(node, now_ns);
        if (node->cfg.coord.enabled)
                hb__coord_begin(node, now_ns);
        if (p->incarnation == 0)
                p->incarnation = 1;
        p->last_seq++;
        p->received++;
        on_heartbeat(node, p, now_ns, p->last_seq, 0);
        reschedule(node, p);
        if (node->cfg.coord.enabled)
                hb__coord_on_heartbeat(node, p, NULL, now_ns);
        finish(node, now_ns);
        return 0;
}

int hb_node_peer_hold(hb_node_t *node, uint32_t peer_id, bool hold,
                      uint64_t now_ns)
{
        hb_peer_t *p;

        if (!node)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        if (p->held == hold)
                return 0;
        p->held = hold;
        if (!hold) {
                /* Judged as if heard now, history kept; the gap the hold
                 * covered is no sample (as after a local pause). */
                hb_detector_rebase(p->detector, now_ns);
                p->rebase_next = true;
                if (p->state == HB_PEER_SUSPECT)
                        p->state_since_ns = now_ns; /* dead_after anew */
                if (p->state == HB_PEER_PROBATION)
                        p->probation_start_ns = now_ns;
        }
        reschedule(node, p);
        return 1;
}

bool hb_node_peer_held(const hb_node_t *node, uint32_t peer_id)
{
        const hb_peer_t *p = node ? hb__lookup(node, peer_id) : NULL;

        return p != NULL && p->held;
}

int hb_node_peer_unreachable(hb_node_t *node, uint32_t peer_id,
                             uint64_t now_ns)
{
        hb_peer_t *p;

        if (!node)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        node->counters.port_unreachable++;
        check_late(node, now_ns);
        if (!node->cfg.trust_port_unreachable || hb__mon_driven(node, p) ||
            hb__swim_on(node))
                return 0; /* driven: the monitors (gossip) decide */
        if (p->state != HB_PEER_ALIVE && p->state != HB_PEER_SUSPECT &&
            p->state != HB_PEER_PROBATION)
                return 0;
        if (node->cfg.coord.enabled)
                hb__coord_begin(node, now_ns);
        p->exited = true;
        set_state(node, p, HB_PEER_DEAD, HB_REASON_PORT_UNREACHABLE, now_ns,
                  hb_detector_suspicion(p->detector, now_ns));
        reschedule(node, p);
        finish(node, now_ns);
        return 1;
}

/* How old a quoted message may be (hb_node_peer_unreachable_quoted()). */
static uint64_t quote_window(const hb_node_t *node)
{
        uint64_t w = 4 * node->cfg.interval_ns;

        return w > 200 * HB_NS_PER_MS ? w : 200 * HB_NS_PER_MS;
}

/* 0 if `q` is a message this node sent recently (see node.h), else why
 * not. */
static int check_quote(const hb_node_t *node, const uint8_t *q, size_t len,
                       uint64_t now_ns)
{
        uint8_t plain[HB_WIRE_MAX_LEN];
        hb_wire_msg_t m;
        uint64_t used;
        int r;

        if (q == NULL || len == 0)
                return HB_ENOTOURS;
        r = hb_wire_decode(&m, q, len, node->cfg.cluster_id, &node->ring,
                           plain, sizeof(plain));
        if (r < 0)
                return r;
        used = m.type == HB_MSG_HEARTBEAT || m.type == HB_MSG_LEAVE
                       ? node->seq
                       : node->ack_seq;
        if (m.sender_id != node->cfg.node_id ||
            m.incarnation != node->cfg.incarnation || m.seq == 0 ||
            m.seq > used || m.send_time_ns > now_ns ||
            now_ns - m.send_time_ns > quote_window(node))
                return HB_ENOTOURS;
        return 0;
}

int hb_node_peer_unreachable_quoted(hb_node_t *node, uint32_t peer_id,
                                    const uint8_t *quote, size_t quote_len,
                                    uint64_t now_ns)
{
        int r;

        if (!node)
                return -EINVAL;
        if (!hb__lookup(node, peer_id))
                return -ENOENT;
        check_late(node, now_ns);
        r = check_quote(node, quote, quote_len, now_ns);
        if (r < 0) {
                node->counters.port_unreachable++;
                node->counters.port_unreachable_rejected++;
                return r;
        }
        return hb_node_peer_unreachable(node, peer_id, now_ns);
}

int hb_node_peer_link_unreachable_quoted(hb_node_t *node, uint32_t peer_id,
                                         uint32_t link, const uint8_t *quote,
                                         size_t quote_len, uint64_t now_ns)
{
        hb_peer_t *p;
        hb_link_t *l;
        int r;

        if (!node)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p || link >= links_of(&node->cfg))
                return -ENOENT;
        if (!p->links)
                return hb_node_peer_unreachable_quoted(node, peer_id, quote,
                                                       quote_len, now_ns);
        check_late(node, now_ns);
        r = check_quote(node, quote, quote_len, now_ns);
        if (r < 0) {
                node->counters.port_unreachable++;
                node->counters.port_unreachable_rejected++;
                return r;
        }
        if (!node->cfg.trust_port_unreachable) {
                node->counters.port_unreachable++;
                return 0;
        }
        l = &p->links[link];
        if (l->state == HB_LINK_UP || l->state == HB_LINK_PROBATION) {
                link_set_state(node, p, link, HB_LINK_DOWN,
                               HB_REASON_PORT_UNREACHABLE, now_ns,
                               hb_detector_suspicion(l->detector, now_ns));
                reschedule(node, p);
        }
        for (uint32_t k = 0; k < node->cfg.n_links; k++)
                if (p->links[k].state == HB_LINK_UP ||
                    p->links[k].state == HB_LINK_PROBATION) {
                        node->counters.port_unreachable++;
                        finish(node, now_ns);
                        return 0;
                }
        return hb_node_peer_unreachable(node, peer_id, now_ns);
}

uint64_t hb_node_next_deadline(const hb_node_t *node)
{
        uint64_t d;

        if (!node)
                return HB_NEVER;
        d = node->n_heap == 0 ? HB_NEVER : node->heap[0]->deadline_ns;
        if (node->cfg.coord.enabled)
                d = min_u64(d, hb__coord_deadline(node));
        if (hb__swim_on(node))
                d = min_u64(d, hb__swim_deadline(node));
        if (hb__hier_on(node))
                d = min_u64(d, hb__hier_deadline(node));
        if (node->next_send_ns == HB_NEVER)
                return d;
        for (uint32_t c = 1; c <= node->cfg.n_classes; c++)
                d = min_u64(d, node->cnext_ns[c]);
        return min_u64(d, node->next_send_ns);
}

void hb_node_tick(hb_node_t *node, uint64_t now_ns)
{
        if (!node)
                return;
        check_late(node, now_ns);
        if (node->cfg.coord.enabled)
                hb__coord_begin(node, now_ns);
        while (node->n_heap > 0 && node->heap[0]->deadline_ns <= now_ns) {
                hb_peer_t *p = node->heap[0];

                evaluate(node, p, now_ns);
                /*
                 * The deadline is recomputed from the new state; if nothing
                 * changed (rounding put the deadline a hair early) it moves
                 * later, so the loop always makes progress: a peer's
                 * deadline after evaluate() is > now_ns or HB_NEVER.
                 */
                reschedule(node, p);
                if (p->deadline_ns <= now_ns) {
                        /* Defensive: never spin on a deadline in the past. */
                        hb__heap_update(node, p, now_ns + 1);
                }
        }
        if (node->cfg.coord.enabled)
                hb__coord_tick(node, now_ns);
        if (hb__swim_on(node))
                hb__swim_tick(node, now_ns);
        if (hb__hier_on(node))
                hb__hier_tick(node, now_ns);
        if (!send_due(node, now_ns))
                finish(node, now_ns);
}

int hb_node_peer_set_roaming(hb_node_t *node, uint32_t peer_id, bool roaming)
{
        hb_peer_t *p;

        if (!node)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        p->roaming = roaming;
        return 0;
}

void hb_node_set_wall_clock(hb_node_t *node, uint64_t wall_ns)
{
        if (node)
                node->wall_ns = wall_ns;
}

int hb_node_peer_forget(hb_node_t *node, uint32_t peer_id)
{
        hb_peer_t *p;

        if (!node)
                return -EINVAL;
        p = hb__lookup(node, peer_id);
        if (!p)
                return -ENOENT;
        p->forgotten = true;
        p->last_ack_seq = 0;
        return 0;
}
