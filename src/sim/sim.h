/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim: deterministic simulation of a whole cluster in one process.
 *
 * N nodes, each a real hb_node_t (the same core hbeatd runs), exchange real
 * encoded and authenticated heartbeats over a simulated network driven by a
 * virtual clock. Nothing reads the real clock or touches a socket, so a run
 * is a pure function of its parameters and seed: the same seed replays the
 * same run event for event (FoundationDB/TigerBeetle-style deterministic
 * simulation testing).
 *
 * Network model, per directed link: one-way delay = base + uniform jitter;
 * independent loss with probability `loss`; links can be cut (partitions,
 * also asymmetric). Regions (n_regions > 1): node i is in region
 * i x R / n (contiguous blocks); a datagram between two regions takes
 * the inter-region delay class (region_delay_ns + jitter) instead, and a
 * region can be cut off from all others (hbsim_cut_region()).
 * Node faults: crash (silent; restart with a new
 * incarnation), pause (SIGSTOP-like: sends nothing, datagrams queue up and
 * are all processed at resume time, like a socket buffer).
 *
 * Not part of the public libhbeat API (internal names hbsim_).
 */
#ifndef HBSIM_SIM_H
#define HBSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbeat/hbeat.h"

typedef struct hbsim hbsim_t;

/* Most nodes of one simulation. A full mesh holds n x (n - 1) peers in
 * the cores (about 1.4 KiB each): memory, not this bound, limits it. */
#define HBSIM_NODES_MAX 16384u
/* Message types counted apart by hbsim_sent() (enum hb_msg_type below
 * this; index 0 counts all). */
#define HBSIM_MSG_TYPES 16u

typedef struct hbsim_config {
        size_t n_nodes;               /* 2 .. HBSIM_NODES_MAX */
        uint64_t seed;
        hb_node_config_t node;        /* template: ids/incarnation set per
                                         node by the simulator */
        uint64_t delay_ns;            /* base one-way delay */
        uint64_t jitter_ns;           /* + uniform [0, jitter) */
        double loss;                  /* independent loss, 0 .. 1 */
        uint64_t send_jitter_ns;      /* timer lateness: every wake-up of
                                         a node (its heartbeat sends and
                                         deadlines) comes uniform
                                         [0, send_jitter) late. The
                                         local-pause guard is the core's
                                         own (node.local_pause_ns). */
        /* Per-node settings (priority, preempt, ...) on top of `node`:
         * called at every boot of node i (0-based) with its config, ids
         * and incarnation already set; may be NULL. */
        void (*node_config)(hb_node_config_t *cfg, size_t i, void *user);
        void *node_config_user;
        /* Peer classes (docs/classes.md): the class node i puts node j in
         * (an index into node i's classes, 0 .. n_classes), called for
         * every peer at every boot; NULL: class 0 for all. Gets
         * node_config_user. */
        uint32_t (*peer_class)(size_t i, size_t j, void *user);
        bool port_unreachable;        /* a crash is a process exit on a
                                         host that stays up: datagrams to
                                         it come back as port unreachable
                                         (hb_node_peer_unreachable_quoted(),
                                         the datagram quoted, as
                                         hbeatd does); default off: a
                                         crash is silent (host down) */
        uint32_t clock_drift_ppm;     /* clock model. 0 (default): every
                                         node's clock is the simulator's
                                         (hbsim_now()). Else node i's
                                         clock reads offset_i + t x r_i at
                                         simulator time t, r_i drawn once
                                         uniformly in [1 - ppm / 1e6,
                                         1 + ppm / 1e6] and offset_i in
                                         [0, 1 day) from the seed. 0 ..
                                         HBSIM_DRIFT_PPM_MAX. See "Clocks"
                                         below. */
        /* Topology "hierarchy" (docs/hierarchy.md) when hier_regions > 0
         * (1 .. HB_HIER_REGIONS_MAX): node i is in region
         * hbsim_region_of(), the first hier_electors (1 .. 7, default
         * 3) of each region are its electors (coordination on, the rest
         * off), global interval hier_global_interval_ns (default 2.5 x
         * the node interval). node_config runs after these are set.
         * Independent of n_regions (the latency model), whose blocks are
         * the same when the counts are equal. */
        uint32_t hier_regions;
        uint32_t hier_electors;
        uint64_t hier_global_interval_ns;
        size_t n_regions;             /* 0 or 1: one region; else 2 ..
                                         n_nodes regions of n / R nodes */
        uint64_t region_delay_ns;     /* between regions: base one-way
                                         delay ... */
        uint64_t region_jitter_ns;    /* ... + uniform [0, jitter) */
        bool no_event_log;            /* keep no event log (hbsim_events()
                                         is empty; the node hook still
                                         sees every event): a full mesh
                                         raises n x (n - 1) events at
                                         boot, 160 bytes each */
} hbsim_config_t;

/* Region of node i (1-based) in a hierarchy of `regions` over n nodes:
 * contiguous blocks of n / regions nodes. */
uint32_t hbsim_region_of(size_t n, uint32_t regions, size_t i);
/* Node i is an elector of its region (the first `electors` of it). */
bool hbsim_is_elector(size_t n, uint32_t regions, uint32_t electors,
                      size_t i);

#define HBSIM_DRIFT_PPM_MAX 500000u

/* A transition as seen by one observer. */
typedef struct hbsim_event {
        size_t observer;              /* node index 0 .. n-1 */
        size_t peer;                  /* node index of the peer;
                                         HBSIM_NO_PEER for coordination
                                         events (quorum, role, term) */
        hb_event_t ev;                /* ev.at_ns: on the observer's
                                         clock */
        uint64_t at_ns;               /* simulator time (hbsim_now())
                                         when it was raised: compare
                                         these across nodes */
} hbsim_event_t;

#define HBSIM_NO_PEER ((size_t)-1)

/* Called after every simulated event (a send, a delivery, a wake). */
typedef void (*hbsim_observer_fn)(hbsim_t *sim, void *user);

/* Defaults: 3 nodes, phi at 100 ms, 200 µs +- 100 µs delay, no loss. */
void hbsim_config_default(hbsim_config_t *cfg);

/* Create a simulation; every node starts up at virtual time 0 (+ a random
 * phase within one interval) with all others as peers.
 * Returns 0, -EINVAL or -ENOMEM. */
int hbsim_new(hbsim_t **ret, const hbsim_config_t *cfg);
void hbsim_free(hbsim_t *sim);

/* Run until virtual time `until_ns` (absolute, ns since start). */
void hbsim_run_until(hbsim_t *sim, uint64_t until_ns);
uint64_t hbsim_now(const hbsim_t *sim);

/* Faults. Indices are 0-based node indices. */
void hbsim_crash(hbsim_t *sim, size_t i);
/* Graceful shutdown: node i sends its leave (hb_node_leave()), then
 * stops like a crash (restart with hbsim_restart()). */
void hbsim_leave(hbsim_t *sim, size_t i);
int hbsim_restart(hbsim_t *sim, size_t i);     /* new incarnation */
void hbsim_pause(hbsim_t *sim, size_t i);
void hbsim_resume(hbsim_t *sim, size_t i);
void hbsim_cut(hbsim_t *sim, size_t from, size_t to, bool cut); /* one way,
                                                                 every link */
/* One link only (cfg.node.n_links > 1: redundant links, docs/links.md:
 * every message to all goes out on every link, each cut on its own). */
void hbsim_cut_link(hbsim_t *sim, size_t from, size_t to, size_t link,
                    bool cut);
void hbsim_partition(hbsim_t *sim, const size_t *side, size_t n_side);
void hbsim_heal(hbsim_t *sim);  /* every hbsim_cut(), not region cuts */
/* Regions (cfg.n_regions): how many (at least 1), node i's, and cut
 * region r off from (or back to) every other region, both ways, every
 * link. Inside a region nothing changes. */
size_t hbsim_n_regions(const hbsim_t *sim);
size_t hbsim_region(const hbsim_t *sim, size_t i);
void hbsim_cut_region(hbsim_t *sim, size_t r, bool cut);
/* A datagram from `from` to `to` passes on some link (no cut, no
 * region cut; loss aside). */
bool hbsim_reachable(const hbsim_t *sim, size_t from, size_t to);
void hbsim_set_loss(hbsim_t *sim, double loss);
/* The base one-way delay from node `from` to node `to` becomes `delay_ns`
 * (jitter still added) for datagrams sent from now on; those in flight
 * keep theirs (a rise of latency on a path, docs/classes.md). The first
 * call copies every path's base (the region model's) and overrides it
 * from then on; the jitter stays the path's class's. Returns 0,
 * -EINVAL (bad index) or -ENOMEM. */
int hbsim_set_delay(hbsim_t *sim, size_t from, size_t to, uint64_t delay_ns);

/* Observations. */
size_t hbsim_n_nodes(const hbsim_t *sim);
hb_node_t *hbsim_node(hbsim_t *sim, size_t i);  /* NULL while crashed */
hb_peer_state_t hbsim_state(const hbsim_t *sim, size_t observer,
                            size_t peer);
const hbsim_event_t *hbsim_events(const hbsim_t *sim, size_t *n);
/* FNV-1a hash over every event so far (kept as they come, so also with
 * no_event_log): equal event sequences, equal hashes. */
uint64_t hbsim_trace_hash(const hbsim_t *sim);
/* Messages delivered to a node core so far. */
uint64_t hbsim_delivered(const hbsim_t *sim);
/* Datagrams sent so far (one per destination and link, lost ones
 * included) of message type `type` (enum hb_msg_type), or of every type
 * with 0. */
uint64_t hbsim_sent(const hbsim_t *sim, uint8_t type);
/* Bytes of those datagrams (encoded, authenticated; no IP/UDP header). */
uint64_t hbsim_sent_bytes(const hbsim_t *sim, uint8_t type);

/* Coordination (election). Every node's output queue is drained after
 * every call and sent through the link model; the term, vote and
 * promise of every HB_EVENT_TERM are kept as the node's "disk" and
 * restored with hb_node_restore_term() and hb_node_restore_promise() on
 * restart (a restart keeps the node's clock: a process restart). */
void hbsim_set_observer(hbsim_t *sim, hbsim_observer_fn fn, void *user);
bool hbsim_paused(const hbsim_t *sim, size_t i);
/* Coordination snapshot of node i; false (zeroed) while crashed. */
bool hbsim_coord(const hbsim_t *sim, size_t i, hb_coord_info_t *out);
/* Node i is up, running (not paused) and in role leader. */
bool hbsim_is_leader(const hbsim_t *sim, size_t i);
/* The term node i last made durable (0 if none). */
uint64_t hbsim_durable_term(const hbsim_t *sim, size_t i);

/* Clocks. Every time the simulator gives node i's core (hb_node_recv(),
 * hb_node_tick(), hb_node_peer_add(), hb_node_peer_info(), ...) is node
 * i's clock, monotonic, and node i's deadlines (hb_node_next_deadline())
 * are on it: the simulator wakes the node at the first simulator time
 * its clock reads the deadline (rounded up: never before it). Its
 * events carry its clock too (hbsim_event_t.at_ns has the simulator's).
 * With clock_drift_ppm 0 and no hbsim_set_clock_rate(), every clock is
 * the simulator's, exactly. One clock for all the lives of a node (a
 * restart is a process restart: CLOCK_MONOTONIC goes on). */
/* Node i's clock at simulator time `t`, and now. */
uint64_t hbsim_local(const hbsim_t *sim, size_t i, uint64_t t);
uint64_t hbsim_local_now(const hbsim_t *sim, size_t i);
/* The first simulator time at which node i's clock reads >= `local_ns`
 * (HB_NEVER for HB_NEVER, or beyond). */
uint64_t hbsim_global(const hbsim_t *sim, size_t i, uint64_t local_ns);
/* Node i's clock runs `rate_ppm` parts per million off real time from now
 * on (-999,999 .. 1,000,000; -300,000: 30 % slow), going on from its
 * current reading; its next wake is recomputed. For directed tests of
 * clocks outside the bound the nodes are configured for. Returns 0 or
 * -EINVAL. */
int hbsim_set_clock_rate(hbsim_t *sim, size_t i, int32_t rate_ppm);
/* Node i's clock rate, parts per billion off real time. */
int64_t hbsim_clock_rate_ppb(const hbsim_t *sim, size_t i);

/* Per-node hook, for what the shell runs next to the core (the policy
 * machine and its executor, tests/sim/test_sim_policy.c). Called
 *  - with `ev` for every event node i raises (ev->at_ns on node i's
 *    clock: hbsim_local_now()), synchronously from inside
 *    its event callback (after the event is in the log), as hbeatd's
 *    callback runs: the hook may read node i and call
 *    hb_node_set_resource() on it (node.h's rule), nothing else of it;
 *  - with `ev` NULL at the times asked with hbsim_wake_at(), outside any
 *    call into a node: it may then call into node i and crash or restart
 *    any node (i included).
 * Node i's queued messages are sent and its deadline rearmed afterwards.
 */
typedef void (*hbsim_node_hook_fn)(hbsim_t *sim, size_t i,
                                   const hb_event_t *ev, void *user);
void hbsim_set_node_hook(hbsim_t *sim, hbsim_node_hook_fn fn, void *user);
/* Call the node hook of node i with `ev` NULL at virtual time `at_ns`
 * (simulator time; now, if earlier; hbsim_global() converts a time on
 * node i's clock), after anything already due then. Dropped when node
 * i crashes first (a wake of an earlier life never runs) or is paused at
 * that time (a stopped process runs no timers: call what is due yourself
 * after hbsim_resume()). Returns 0, -ESRCH (node i is down), -ENOMEM. */
int hbsim_wake_at(hbsim_t *sim, size_t i, uint64_t at_ns);

#endif /* HBSIM_SIM_H */
