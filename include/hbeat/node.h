/* SPDX-License-Identifier: MIT */
/**
 * @file node.h
 * @brief One node's view of the cluster: peers, replay protection, the peer
 *        state machine, events and deadlines. Sans-I/O.
 *
 * The caller (hbeatd's libuv shell, the simulator, a test) owns all I/O.
 * Everything the node wants sent leaves it by one route, its output queue;
 * everything that happens to it comes in by three calls:
 *
 *     on a datagram:   hb_node_recv(node, now, buf, len, &info);
 *     when due:        hb_node_tick(node, now);   (peers' deadlines, the
 *                      election's timers, and this node's own heartbeat
 *                      schedule: the tick queues a heartbeat when one is due)
 *     after each call: while ((n = hb_node_poll_output(node, &out, buf,
 *                      cap)) > 0) send buf[0..n) to out.dest
 *     then:            arm one timer at hb_node_next_deadline(node)
 *
 * A new node's first deadline is "now": the first tick sends its first
 * heartbeat, and heartbeats follow on an absolute schedule (previous slot
 * + interval, so a late wake-up never accumulates; re-based on now when
 * the node fell behind by more than an interval). The same schedule tells
 * the node when it was itself late: a call that comes more than
 * cfg.local_pause_ns after a heartbeat was due means this process did not
 * run (SIGSTOP, a VM pause, swapping), and the node applies its local-pause
 * guard on its own before it looks at the call's input
 * (hb_node_local_pause(), HB_EVENT_LOCAL_PAUSE). src/io's libuv adapter
 * (hbeat/uv.h) is this protocol on a loop; the simulator runs the same
 * protocol on a virtual clock.
 *
 * Events (state transitions) are delivered synchronously through the
 * callback given to hb_node_new(), from inside hb_node_recv(),
 * hb_node_tick(), hb_node_peer_heard(), hb_node_peer_unreachable(),
 * hb_node_local_pause(), hb_node_set_priority(), hb_node_set_fault(),
 * hb_node_peer_add() and hb_node_reconfigure(). The callback
 * must not call back into the same node except for the read-only
 * hb_node_peer_info()/hb_node_peer_at()/hb_node_coord_info()/
 * hb_node_config()/hb_node_counters() family and hb_node_set_resource()
 * (which only sets a bit the next heartbeat carries; the policy machine,
 * policy.h, decides inside the callback). Messages the callback's
 * reaction makes the node queue wait in the output queue like any other.
 *
 * Peer states (docs/states.md):
 *
 *     unknown  --first heartbeat-------------------------------> alive
 *     unknown  --never heard within the dead timeout-----------> dead
 *     alive    --suspicion >= suspect_threshold----------------> suspect
 *     suspect  --heartbeat, suspicion back below--------------> alive
 *     suspect  --suspicion >= dead_threshold, or suspect for
 *                dead_after_ns----------------------------------> dead
 *     dead     --heartbeat (detector history reset)------------> probation
 *     probation--probation_ns of heartbeats, never suspect-----> alive
 *     probation--suspicion >= suspect_threshold----------------> dead
 *     any      --leave message---------------------------------> left
 *     left     --heartbeat-------------------------------------> probation
 *     alive, suspect --new incarnation (peer restarted)--------> probation
 *
 * A new incarnation always resets the peer's detector history.
 *
 * Replay protection (per peer): a message is accepted only if its
 * incarnation is greater than the last accepted one, or equal with a greater
 * sequence number; anything else is dropped as HB_EREPLAY. This also drops
 * reordered late heartbeats, which carry no fresh information.
 *
 * Cost: hb_node_recv() is O(1) expected (hash lookup) plus O(log n) to move
 * the peer's deadline in a binary heap; hb_node_tick() is O(k log n) for k
 * peers due; hb_node_next_deadline() is O(1). Memory per peer: see
 * hb_node_peer_memory().
 *
 * Not thread-safe: one thread per node at a time.
 */
#ifndef HBEAT_NODE_H
#define HBEAT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hbeat/detector.h"
#include "hbeat/election.h"
#include "hbeat/error.h"
#include "hbeat/wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Peer states. Values are stable (used in JSON by name, not by value). */
typedef enum hb_peer_state {
        HB_PEER_UNKNOWN = 0,   /**< configured, never heard from */
        HB_PEER_ALIVE = 1,     /**< heartbeats arriving */
        HB_PEER_SUSPECT = 2,   /**< suspicion above the suspect threshold */
        HB_PEER_DEAD = 3,      /**< declared failed */
        HB_PEER_PROBATION = 4, /**< came back; proving steady heartbeats */
        HB_PEER_LEFT = 5,      /**< left the cluster gracefully */
} hb_peer_state_t;

/** "unknown", "alive", "suspect", "dead", "probation", "left". */
HB_EXPORT const char *hb_peer_state_name(hb_peer_state_t state);

/** Why a transition happened (the evidence class). */
typedef enum hb_reason {
        HB_REASON_HEARTBEAT = 1,      /**< a heartbeat arrived */
        HB_REASON_SUSPECT_THRESHOLD,  /**< suspicion >= suspect threshold */
        HB_REASON_DEAD_THRESHOLD,     /**< suspicion >= dead threshold */
        HB_REASON_DEAD_AFTER,         /**< suspect for dead_after_ns */
        HB_REASON_PROBATION_PASSED,   /**< probation served */
        HB_REASON_RESTART,            /**< new incarnation seen */
        HB_REASON_LEAVE,              /**< leave message received */
        HB_REASON_NEVER_HEARD,        /**< unknown peer silent too long */
        HB_REASON_PORT_UNREACHABLE,   /**< its heartbeat port is closed:
                                           the process exited (see
                                           hb_node_peer_unreachable()) */
} hb_reason_t;

/** "heartbeat", "suspect_threshold", "dead_threshold", "dead_after",
 *  "probation_passed", "restart", "leave", "never_heard",
 *  "port_unreachable". */
HB_EXPORT const char *hb_reason_name(hb_reason_t reason);

/** Most links (redundant network paths) a node can have
 *  (hb_node_config.n_links; docs/links.md). */
#define HB_LINKS_MAX 8u

/** Regions of the "hierarchy" topology: ids 1 .. HB_HIER_REGIONS_MAX. */
#define HB_HIER_REGIONS_MAX 64u

/**
 * Topology "hierarchy" (docs/hierarchy.md; selected by `enabled`, with
 * hb_node_config_t.topology left at HB_TOPOLOGY_MESH): regions, each led by a coordinator elected among
 * its electors with the election of election.h; coordinators exchange
 * region summaries and elect a global coordinator. Off by default.
 */
typedef struct hb_hier_config {
        bool enabled;              /**< topology on */
        /** This node is an elector of its region: votes and may become
         *  its coordinator. Requires coord.enabled; a node that is not
         *  an elector requires coord.enabled false. */
        bool elector;
        uint8_t reserved8[2];      /**< 0 */
        /** This node's region, 1 .. HB_HIER_REGIONS_MAX. */
        uint32_t region;
        /** Interval of the global level (the coordinators' election
         *  and region summaries), ns: interval_ns .. 1 hour. 2.5 x the
         *  local interval in seed 004 (2 s / 5 s). */
        uint64_t global_interval_ns;
        uint64_t reserved[2];      /**< keep 0 */
} hb_hier_config_t;

/** Most monitors of the "monitors" topology (hb_node_config.monitors,
 *  docs/topologies.md). */
#define HB_MONITORS_MAX 7u

/** Most peer classes besides the node's own (docs/classes.md). */
#define HB_CLASSES_MAX 8u

/** Topologies (hb_node_config.topology, docs/topologies.md). */
typedef enum hb_topology {
        /** Full mesh, or "monitors" when n_monitors > 0 (the default). */
        HB_TOPOLOGY_MESH = 0,
        /** "monitors": the same as HB_TOPOLOGY_MESH with n_monitors > 0
         *  (which this value requires). */
        HB_TOPOLOGY_MONITORS = 1,
        /** SWIM gossip membership with Lifeguard (docs/gossip.md). */
        HB_TOPOLOGY_GOSSIP = 2,
        /** "subset": each node heartbeats to its k successors on a hash
         *  ring, which judge it; verdicts go to all (docs/subset.md,
         *  parameters in hb_node_config.subset, hbeat/subset.h). */
        HB_TOPOLOGY_SUBSET = 3,
} hb_topology_t;

/** Most monitors per node of the "subset" topology (hb_subset_config.k). */
#define HB_SUBSET_K_MAX 7u
/** Default k of the "subset" topology. */
#define HB_SUBSET_K_DEFAULT 3u

/**
 * Parameters of the "subset" topology (docs/subset.md). The interval,
 * detector and thresholds are the node's (hb_node_config).
 */
typedef struct hb_subset_config {
        /** Monitors per node: a node heartbeats to its k ring successors
         *  (skipping nodes seen dead or left), which judge it; a node is
         *  dead when k / 2 + 1 of them say so. 1 .. HB_SUBSET_K_MAX;
         *  default HB_SUBSET_K_DEFAULT (hb_node_config_default()). Use
         *  an odd number (3 tolerates one monitor down, 5 two). Another
         *  value: hb_node_new() fails with -EINVAL. */
        uint32_t k;
        uint32_t reserved[3];      /**< keep 0 */
} hb_subset_config_t;

/** Longest opaque address a gossip member advertises, bytes (an IPv6
 *  address and a port; docs/gossip.md "Addresses"). */
#define HB_GOSSIP_ADDR_MAX 18u
/** Most independent confirmations a suspicion counts
 *  (hb_gossip_config.confirmations). */
#define HB_GOSSIP_CONFIRM_MAX 8u

/**
 * Parameters of the gossip topology (SWIM, Das, Gupta, Motivala, DSN
 * 2002; Lifeguard, Dadgar, Phillips, Currey, arXiv:1707.00788, 2018;
 * docs/gossip.md). The probe interval is hb_node_config.interval_ns.
 * hb_node_config_default() fills the defaults given here; 0 is not a
 * valid value of any field but `addr_len` and `indirect_probes`.
 */
typedef struct hb_gossip_config {
        /** Ping-req fan-out k: members asked to probe a target that
         *  missed its direct ack, 0 .. 16. Default 3. */
        uint32_t indirect_probes;
        /** Retransmit multiplier lambda: an update is piggybacked on
         *  lambda x ceil(log10(n + 1)) messages, 1 .. 64. Default 4. */
        uint32_t retransmit_mult;
        /** Suspicion multiplier alpha: the shortest suspicion timeout is
         *  alpha x max(1, log10(n)) x interval, 1 .. 64. Default 4. */
        uint32_t suspicion_mult;
        /** The longest suspicion timeout (no confirmation) is beta x the
         *  shortest, 1 .. 64. Default 6. */
        uint32_t suspicion_max_mult;
        /** Independent confirmations K at which the suspicion timeout
         *  reaches its shortest (Lifeguard's dynamic suspicion),
         *  1 .. HB_GOSSIP_CONFIRM_MAX. Default 3. */
        uint32_t confirmations;
        /** Largest local health multiplier (Lifeguard's LHM): probe
         *  interval and timeout are multiplied by LHM + 1, 0 .. 32
         *  (0 disables it). Default 8. */
        uint32_t lhm_max;
        /** Members each gossip round sends pending updates to, 1 .. 16.
         *  Default 3. */
        uint32_t fanout;
        uint32_t reserved32;       /**< 0 */
        /** Wait for a direct ack, then for the indirect ones, ns, each
         *  (times LHM + 1); at most the interval. Default interval / 2. */
        uint64_t probe_timeout_ns;
        /** Gossip round period (only while updates are pending), ns,
         *  1 ms .. interval. Default interval / 5. */
        uint64_t gossip_interval_ns;
        /** Every this long, ping one member held dead, telling it so:
         *  alive after all (a healed partition), it refutes (Serf's
         *  reconnect, on the datagram path), ns, 0 .. 1 hour; 0: never.
         *  Default 10 x interval. */
        uint64_t reconnect_interval_ns;
        /** This node's address as its members reach it (opaque to the
         *  core: the driver's encoding), carried in its alive updates;
         *  0 .. HB_GOSSIP_ADDR_MAX bytes. */
        uint8_t addr[HB_GOSSIP_ADDR_MAX];
        uint8_t addr_len;
        uint8_t reserved8[5];      /**< 0 */
} hb_gossip_config_t;

/**
 * State of one link of one peer (docs/links.md): the heartbeats that
 * arrive over that one path, judged by a detector of their own. A link's
 * state never changes its peer's state by itself: a peer is suspect or
 * dead only when no link carries its heartbeats any more.
 *
 *     unknown   --first heartbeat on the link----------------> up
 *     unknown   --silent for the dead time after the peer's first
 *                 datagram on another link-------------------> down
 *                 (a peer never heard on any link, or fed only by
 *                 hb_node_peer_heard(), or held, has no link events)
 *     up        --suspicion >= dead_threshold, or >= suspect
 *                 threshold for dead_after_ns, or port
 *                 unreachable on this link-------------------> down
 *     down      --heartbeat (detector history reset)---------> probation
 *     probation --probation_ns of heartbeats, never suspect--> up
 *     probation --suspicion >= suspect_threshold-------------> down
 */
typedef enum hb_link_state {
        HB_LINK_UNKNOWN = 0,   /**< never heard on this link */
        HB_LINK_UP = 1,        /**< heartbeats arriving on it */
        HB_LINK_DOWN = 2,      /**< silent for the dead time */
        HB_LINK_PROBATION = 3, /**< heard again; proving steady */
} hb_link_state_t;

/** "unknown", "up", "down", "probation". */
HB_EXPORT const char *hb_link_state_name(hb_link_state_t state);

/** Event types. */
typedef enum hb_event_type {
        HB_EVENT_PEER_STATE = 1, /**< a peer changed state */
        HB_EVENT_QUORUM = 2,     /**< quorum gained or lost (`quorate`) */
        HB_EVENT_ROLE = 3,       /**< this node's role changed */
        HB_EVENT_TERM = 4,       /**< term or vote changed: persist
                                      (`term`, `voted_for`) durably before
                                      the callback returns */
        HB_EVENT_LOCAL_PAUSE = 5,/**< this node found it had not run for
                                      `paused_ns` (its heartbeat schedule
                                      was that late) and suspended
                                      convictions (hb_node_local_pause()) */
        HB_EVENT_LINK = 6,       /**< one link of a peer changed state
                                      (`link`, `old_link_state`,
                                      `new_link_state`, `reason`,
                                      `suspicion` and `last_arrival_ns`
                                      of that link; `old_state` =
                                      `new_state` = the peer's current
                                      state; only with cfg.n_links > 1).
                                      Changes nothing about the peer's
                                      state.
                                      Since 0.2. */
        HB_EVENT_INTERVAL = 7,   /**< this node changed the heartbeat
                                      interval of class `class_idx`
                                      (adaptive, docs/classes.md):
                                      `old_interval_ns` ->
                                      `new_interval_ns`, from `rtt_max_ns`
                                      and `loss`; `peer_id` 0. Raised
                                      when the change is decided: a rise
                                      takes effect after it was announced
                                      on HB_CLASS_ANNOUNCE_BEATS
                                      heartbeats, a fall at once.
                                      Since 0.2. */
        HB_EVENT_CLASS_MISMATCH = 8, /**< peer `peer_id` announced an
                                      interval (`new_interval_ns`) outside
                                      the bounds of the class this node
                                      gives it (`class_idx`); the detector
                                      follows `old_interval_ns`, the
                                      nearest bound. Once per peer until
                                      its announcements are within bounds
                                      again (counted every time in
                                      hb_node_counters_t.class_mismatch).
                                      Since 0.2. */
        /* 9 .. 11: kept free (the gossip topology's events). */
        HB_EVENT_REGION = 12,    /**< topology "hierarchy": region
                                      `region` became unreachable or
                                      reachable again for this node
                                      (`old_region_state`,
                                      `new_region_state`): one event for
                                      a cut region, none for its members,
                                      whose states stay as last known */
        HB_EVENT_GLOBAL_ROLE = 13,/**< topology "hierarchy": this node's
                                      role in the global election of the
                                      coordinators changed (`old_role`,
                                      `new_role`, `term`, `leader_id` =
                                      the leading *region*,
                                      `established`, `why`); the global
                                      coordinator's region holds the
                                      at-most-one resource while leader
                                      and established */
} hb_event_type_t;

/** Region states (topology "hierarchy"), as one node sees them. */
typedef enum hb_region_state {
        HB_REGION_UNKNOWN = 0,     /**< nothing said yet */
        HB_REGION_REACHABLE = 1,   /**< its coordinator is heard */
        HB_REGION_UNREACHABLE = 2, /**< its coordinator was convicted at
                                        the global level: the region is
                                        cut off or down; its members keep
                                        their last known states */
} hb_region_state_t;

/** "unknown", "reachable", "unreachable". */
HB_EXPORT const char *hb_region_state_name(hb_region_state_t state);

/**
 * An event. Passed by pointer to the callback; valid only during the call
 * (copy what you keep).
 */
typedef struct hb_event {
        size_t size;               /**< sizeof(hb_event_t) of the library
                                        that raised it: fields beyond an
                                        older caller's struct exist only
                                        if size covers them */
        hb_event_type_t type;
        uint32_t peer_id;          /**< the peer concerned */
        hb_peer_state_t old_state;
        hb_peer_state_t new_state;
        hb_reason_t reason;
        uint64_t at_ns;            /**< monotonic time of the transition */
        double suspicion;          /**< detector value at at_ns (phi or
                                        missed intervals); 0 for
                                        transitions caused by a heartbeat,
                                        which has just arrived */
        uint64_t last_arrival_ns;  /**< last heartbeat, HB_NEVER if none
                                        was ever accepted */
        uint64_t incarnation;      /**< peer incarnation (0 if never heard) */
        /* Coordination events (HB_EVENT_QUORUM, _ROLE, _TERM): */
        hb_role_t old_role;        /**< HB_EVENT_ROLE */
        hb_role_t new_role;        /**< HB_EVENT_ROLE */
        uint64_t term;             /**< current term (all three) */
        uint32_t leader_id;        /**< leader followed, 0 if none */
        uint32_t voted_for;        /**< HB_EVENT_TERM: vote in `term`,
                                        0 if none */
        bool quorate;              /**< HB_EVENT_QUORUM (and current) */
        bool established;          /**< role events: this node leads and
                                        is *established* (see
                                        hb_coord_info_t.established) */
        const char *why;           /**< short static reason text for role
                                        and quorum events ("elected",
                                        "lost quorum", "higher term", ...) */
        /* Local pause (HB_EVENT_LOCAL_PAUSE): */
        uint64_t paused_ns;        /**< how late this node found itself,
                                        ns: the time it did not run */
        /** HB_EVENT_TERM (since 0.2): no promise this node made runs
         *  beyond this monotonic time, ns; persist it with the term and
         *  vote and give it back with hb_node_restore_promise(). Raised
         *  alone (why "promise") before a promise that outlasts the last
         *  one persisted is made. */
        uint64_t promise_until_ns;
        /* Link events (HB_EVENT_LINK, since 0.2): */
        uint32_t link;             /**< link index, 0 .. n_links - 1 */
        hb_link_state_t old_link_state;
        hb_link_state_t new_link_state;
        /* Class events (HB_EVENT_INTERVAL, HB_EVENT_CLASS_MISMATCH, since
         * 0.2); see each type for what the intervals are. */
        uint32_t class_idx;        /**< class index, 0 .. n_classes */
        uint64_t old_interval_ns;
        uint64_t new_interval_ns;
        uint64_t rtt_max_ns;       /**< HB_EVENT_INTERVAL: the largest RTT
                                        sample of the class's peers in
                                        the period that decided, ns */
        double loss;               /**< HB_EVENT_INTERVAL: heartbeats of
                                        the class's peers missed /
                                        expected since the last
                                        evaluation, 0 .. 1 */
        /* Region events (HB_EVENT_REGION): */
        uint32_t region;           /**< region concerned, 1 .. 64 */
        hb_region_state_t old_region_state;
        hb_region_state_t new_region_state;
} hb_event_t;

/** Event callback. `user` is the pointer given to hb_node_new(). */
typedef void (*hb_event_cb)(void *user, const hb_event_t *ev);

/**
 * Node configuration. Public, read/write; start from
 * hb_node_config_default().
 */
/** Heartbeats that announce a rise of an adaptive class's interval before
 *  it takes effect (docs/classes.md, "The announced interval"). */
#define HB_CLASS_ANNOUNCE_BEATS 3u

/**
 * Adaptive interval of a class (docs/classes.md, "Adaptive interval"):
 * the class's interval follows the RTT of its peers between bounds.
 * min_interval_ns = max_interval_ns = 0: a static class. Start from
 * hb_class_adaptive_default().
 *
 * Every evaluation (at most once per dampening period, and only when
 * an RTT sample came in since the last): target = clamp(rtt_factor x
 * the largest RTT sample of the class's peers since the last
 * evaluation, min, max); kept when within +-hysteresis of the current interval I; else
 * I' = min(target, I x raise) upwards, at once, and max(target, I x
 * lower) downwards after `hold` consecutive evaluations agree, never
 * while the loss seen from the class's peers exceeds loss_high.
 */
typedef struct hb_class_adaptive {
        /** Bounds of the interval, ns: 1 ms <= min <= the class's
         *  interval_ns (its starting value) <= max <= 1 hour. */
        uint64_t min_interval_ns;
        uint64_t max_interval_ns;
        /** Interval >= this x the period's largest RTT. > 0, <= 1000.
         *  Default 10. */
        double rtt_factor;
        /** Evaluated at most once per this, ns; 0: 30 x the current
         *  interval, at least 1 s. Else 1 ms .. 1 hour. */
        uint64_t dampening_ns;
        /** No change while the target is within this fraction of the
         *  current interval. 0 .. 1, default 0.2. */
        double hysteresis;
        /** Largest step up (factor >= 1, <= 10; default 1.5) and down
         *  (factor in (0, 1]; default 0.8) per evaluation. */
        double raise;
        double lower;
        /** Loss above this (0 .. 1, default 0.05) forbids a decrease. */
        double loss_high;
        /** Consecutive evaluations that must want a decrease before it
         *  is made. 1 .. 100, default 3. */
        uint32_t hold;
        uint32_t reserved32;       /**< 0 */
} hb_class_adaptive_t;

/** Fill `a` with the defaults above for bounds min_ns .. max_ns. */
HB_EXPORT void hb_class_adaptive_default(hb_class_adaptive_t *a,
                                         uint64_t min_ns, uint64_t max_ns);

/** hb_class_config_t.flags: dead_after_ns keeps its ratio to the
 *  class's current interval (it was a default: 4 x interval) when the
 *  interval changes (adaptive, or a peer's announced interval). */
#define HB_CLASS_DEAD_AFTER_FOLLOWS (1u << 0)
/** hb_class_config_t.flags: probation_ns likewise (default 5 x). */
#define HB_CLASS_PROBATION_FOLLOWS (1u << 1)

/**
 * Timing of a peer class (docs/classes.md): the interval its peers
 * heartbeat at, and the detector and thresholds they are judged with.
 * Class 0 is the node's own (the fields of the same names in
 * hb_node_config_t); classes 1 .. n_classes are hb_node_config_t.classes[
 * 0 .. n_classes - 1]. Ranges as in hb_node_config_t.
 */
typedef struct hb_class_config {
        /** Heartbeat interval, ns: 1 ms .. 1 hour. */
        uint64_t interval_ns;
        /** Detector parameters (interval_ns kept equal to the above). */
        hb_detector_config_t detector;
        /** Suspicion at which alive -> suspect. > 0. */
        double suspect_threshold;
        /** Suspicion at which suspect -> dead. >= suspect_threshold. */
        double dead_threshold;
        /** suspect -> dead after this long in suspect, ns; 0 disables. */
        uint64_t dead_after_ns;
        /** Probation length, ns: 0 .. 1 hour. */
        uint64_t probation_ns;
        /** HB_CLASS_*_FOLLOWS bits; hb_class_config_default() sets both
         *  (since 0.2). */
        uint32_t flags;
        /** Optional adaptive interval (since 0.2); all 0: static. Needs
         *  rtt_probe_every > 0. */
        hb_class_adaptive_t adaptive;
} hb_class_config_t;

/**
 * Fill `cls` with defaults for `kind` and `interval_ns`, as
 * hb_node_config_default() fills the node's own class: thresholds from
 * hb_detector_default_*_threshold(), dead_after 4 x interval, probation
 * 5 x interval, detector defaults.
 */
HB_EXPORT void hb_class_config_default(hb_class_config_t *cls,
                                       hb_detector_kind_t kind,
                                       uint64_t interval_ns);

typedef struct hb_node_config {
        size_t size;               /**< sizeof(hb_node_config_t), set by
                                        hb_node_config_default(): the
                                        fields a caller built against these
                                        headers has (library.h, ABI
                                        rules) */
        uint32_t cluster_id;       /**< any value; must match peers' */
        uint32_t node_id;          /**< this node, 1 .. 2^32-1 */
        uint64_t incarnation;      /**< this run's incarnation; must grow
                                        on every restart (hbeatd uses the
                                        wall clock in µs at start) */
        /** The one-key form: with keyring.n == 0 the node uses this key
         *  alone, as key id 0 in HB_WIRE_MODE_MAC. Ignored when
         *  keyring.n > 0. */
        hb_key_t key;
        /** Heartbeat interval, ns: 1 ms .. 1 hour. */
        uint64_t interval_ns;
        /** Detector parameters (interval_ns is kept equal to the above). */
        hb_detector_config_t detector;
        /** Suspicion at which alive -> suspect. > 0. */
        double suspect_threshold;
        /** Suspicion at which suspect -> dead. >= suspect_threshold. */
        double dead_threshold;
        /** suspect -> dead after this long in suspect, ns; 0 disables
         *  (only dead_threshold then). Default 4 x interval. */
        uint64_t dead_after_ns;
        /** Probation length, ns: 0 .. 1 hour. Default 5 x interval. */
        uint64_t probation_ns;
        /** Ask for an echo (HB_FLAG_ECHO_REQUEST) on every n-th heartbeat
         *  to measure round-trip times; 0 disables. Default 10 (once a
         *  second at 100 ms). */
        uint32_t rtt_probe_every;
        /** Act on hb_node_peer_unreachable() reports (declare the peer
         *  dead at once); false ignores them. Default true. */
        bool trust_port_unreachable;
        /** Local-pause guard: a call that comes more than this long after
         *  one of this node's heartbeats was due means the node itself did
         *  not run (hb_node_local_pause() is then applied by the node), ns,
         *  0 .. 1 hour; 0 disables the guard. Default 2 x interval, at
         *  least 50 ms (a loaded machine's scheduling delays stay well
         *  below; a pause the detector would take for a failure does
         *  not). A caller that skips deadlines on purpose (a test jumping
         *  its fake clock) sets 0. */
        uint64_t local_pause_ns;
        /** Quorum and leader election (election.h); off by default. */
        hb_coord_config_t coord;
        /** The keys this node accepts, by id, and the primary it sends
         *  with (wire.h, hb_keyring_t); n == 0: the one-key form `key`.
         *  Changed by hb_node_reconfigure() without a restart (key
         *  rotation). Since 0.2. */
        hb_keyring_t keyring;
        /** Randomness for AEAD nonces: fill `len` bytes of `buf` with
         *  cryptographically random bytes (libsodium randombytes_buf()).
         *  Required when a key is in HB_WIRE_MODE_AEAD; called for every
         *  message sent under such a key. The core itself draws no
         *  randomness: the driver injects it (a simulator may inject a
         *  seeded generator). Since 0.2. */
        void (*random)(void *user, uint8_t *buf, size_t len);
        void *random_user;        /**< passed to `random` */
        /** Bound on peers' incarnations (review F9), ns; 0 (the default)
         *  disables it. When set, incarnations are taken to be wall-clock
         *  times in µs since the epoch (hbeatd's convention, docs/
         *  wire-format.md) and a message whose incarnation is new for its
         *  sender and more than this ahead of this node's wall clock
         *  (hb_node_set_wall_clock(); not applied until it was called) is
         *  dropped as HB_EFUTUREINC: one authentic message with a huge
         *  incarnation cannot then lock the real peer out for longer than
         *  this. It is the largest clock skew tolerated between members;
         *  0 .. 30 days. */
        uint64_t incarnation_ahead_max_ns;
        /** Number of links (redundant network paths to every peer,
         *  docs/links.md), 1 .. HB_LINKS_MAX; 0 counts as 1. With more
         *  than one, the driver passes each datagram's link to
         *  hb_node_recv_link() and sends every HB_DEST_ALL message on
         *  every link; the node keeps per (peer, link) a detector,
         *  replay state, RTT and a link state (hb_link_state_t, raised
         *  as HB_EVENT_LINK). Not changed by hb_node_reconfigure().
         *  Since 0.2. */
        uint32_t n_links;
        /** Topology (docs/topologies.md): 0, the default, is the full
         *  mesh (every node heartbeats to every peer and judges each
         *  from its own detector). 1 .. HB_MONITORS_MAX selects the
         *  "monitors" topology with the `n_monitors` node ids of
         *  `monitors` (distinct, non-zero, the same list on every node,
         *  which may include this node): a node that is not a monitor
         *  queues its heartbeats to each monitor (HB_DEST_PEER, one
         *  sequence number for all), a monitor to every peer
         *  (HB_DEST_ALL) followed by its verdicts (HB_MSG_VERDICT,
         *  HB_DEST_ALL) every interval and at once when one changes.
         *  Every node judges the monitors from their heartbeats, as in
         *  the mesh; the other members' states follow the monitors'
         *  verdicts: dead only when a strict majority of the configured
         *  monitors say dead, and frozen while fewer than a majority of
         *  monitors are alive. Requires n_links <= 1 and coordination
         *  off in this version. Not changed by hb_node_reconfigure().
         *  Since 0.2. */
        uint32_t n_monitors;
        uint32_t monitors[HB_MONITORS_MAX];
        /** Peer classes (docs/classes.md): 0 .. HB_CLASSES_MAX classes
         *  besides the node's own (class 0, the interval, detector and
         *  thresholds above). A peer is in class 0 until
         *  hb_node_peer_set_class() puts it in class i (classes[i - 1]):
         *  it is then judged with that class's detector and thresholds.
         *  With classes, each class (0 included) has its own heartbeat
         *  schedule at its interval, sent to the peers of that class
         *  only (HB_DEST_BEAT copies, one sequence space for all);
         *  hb_node_heartbeat_now(), leaves and election announcements
         *  still go to all (HB_DEST_ALL). Requires n_monitors == 0 in
         *  this version. Since 0.2. */
        uint32_t n_classes;
        hb_class_config_t classes[HB_CLASSES_MAX];
        /** Topology (hb_topology_t): HB_TOPOLOGY_MESH (the default;
         *  "monitors" with n_monitors > 0), HB_TOPOLOGY_MONITORS (needs
         *  n_monitors > 0), HB_TOPOLOGY_GOSSIP: SWIM with Lifeguard
         *  (docs/gossip.md, parameters in `gossip`). In gossip, the
         *  peers are gossip members (hb_node_peer_add() adds one,
         *  taken to be alive without an event), kept in a compact
         *  table without detectors; members learned from gossip are
         *  added by the node (an event from unknown). No heartbeats are
         *  sent; probes, acks and gossip go to single members
         *  (HB_DEST_PEER, HB_DEST_REPLY). With coordination (since
         *  0.3), the peers added by hb_node_peer_add() are the voters:
         *  heartbeats with the coordination block go to each of them
         *  (HB_DEST_BEAT), votes to one (HB_DEST_PEER); their states
         *  are gossip's (docs/gossip.md, "Quorum and election").
         *  Requires n_monitors 0 and n_links <= 1 in this version.
         *  HB_TOPOLOGY_SUBSET (docs/subset.md, parameters in `subset`):
         *  heartbeats go to this node's k live ring successors
         *  (HB_DEST_PEER each, one sequence number), verdicts
         *  (HB_MSG_SUBSET_VERDICT) to all (HB_DEST_ALL) when one
         *  changes and after the next two heartbeats; every peer's
         *  state follows its monitors' verdicts. Not changed by
         *  hb_node_reconfigure(). Since 0.3. */
        uint32_t topology;
        /** Gossip parameters (topology HB_TOPOLOGY_GOSSIP). Since 0.3. */
        hb_gossip_config_t gossip;
        /** Topology "hierarchy" (see hb_hier_config_t). Requires
         *  topology HB_TOPOLOGY_MESH, n_links <= 1, n_monitors 0 and
         *  n_classes 0; peers' regions are set with
         *  hb_node_peer_set_region(). Not changed by
         *  hb_node_reconfigure(). */
        hb_hier_config_t hier;
        /** "subset" parameters (topology HB_TOPOLOGY_SUBSET; ignored but
         *  reserved must be 0 otherwise). The topology requires
         *  n_monitors 0, n_links <= 1, n_classes 0, coordination
         *  (election) off and hier.enabled false in this version:
         *  hb_node_new() refuses the others with -EINVAL. Not changed
         *  by hb_node_reconfigure(). Since 0.3. */
        hb_subset_config_t subset;
} hb_node_config_t;

/**
 * Fill `cfg` with defaults for `kind` and `interval_ns`: thresholds from
 * hb_detector_default_*_threshold(), dead_after 4 x interval, probation
 * 5 x interval, local pause 2 x interval clamped to 50 ms .. 1 hour,
 * detector defaults. Key and ids are zeroed.
 */
HB_EXPORT void hb_node_config_default(hb_node_config_t *cfg,
                                      hb_detector_kind_t kind,
                                      uint64_t interval_ns);

/**
 * Check a node configuration.
 * @return 0 or -EINVAL (`size` not set by hb_node_config_default() of a
 *         compatible version, node_id 0, interval out of range, thresholds
 *         not positive or dead < suspect, probation or local pause out of
 *         range, detector config invalid, keyring invalid
 *         (hb_keyring_validate()), an AEAD key without `random`;
 *         hierarchy on with region 0 or above HB_HIER_REGIONS_MAX,
 *         global_interval_ns below interval_ns or above 1 hour,
 *         `elector` differing from coord.enabled, n_links > 1,
 *         monitors or classes, reserved fields not 0; topology
 *         HB_TOPOLOGY_SUBSET with subset.k 0 or above HB_SUBSET_K_MAX,
 *         or with monitors, links, classes, coordination or the
 *         hierarchy; subset.reserved not 0).
 */
HB_EXPORT int hb_node_config_validate(const hb_node_config_t *cfg);

/** Opaque node. */
typedef struct hb_node hb_node_t;

/**
 * Create a node with no peers.
 *
 * @param ret   output: the node, owned by the caller (hb_node_free()).
 * @param cfg   configuration (copied; the key is copied and wiped on free).
 * @param cb    event callback, may be NULL.
 * @param user  passed to `cb`.
 * @return      0; -EINVAL (bad cfg); -ENOMEM; -EIO (libsodium init).
 */
HB_EXPORT int hb_node_new(hb_node_t **ret, const hb_node_config_t *cfg,
                          hb_event_cb cb, void *user);

/** Free a node and its peers; wipes keys. NULL is a no-op. */
HB_EXPORT void hb_node_free(hb_node_t *node);

/**
 * Add a peer to monitor, in state unknown. Its "never heard" deadline
 * counts from `now_ns`.
 * @return 0; -EINVAL if peer_id is 0 or this node's id; -EEXIST; -ENOMEM.
 */
HB_EXPORT int hb_node_peer_add(hb_node_t *node, uint32_t peer_id,
                               uint64_t now_ns);

/**
 * Make room for `n` peers in all (a driver about to add many: the
 * simulator's 10,000 gossip members), so that adding them does not grow
 * the tables step by step. Only the gossip topology keeps the hint (a
 * no-op otherwise). Since 0.3.
 * @return 0; -EINVAL (NULL node); -ENOMEM (nothing lost).
 */
HB_EXPORT int hb_node_peer_reserve(hb_node_t *node, size_t n);

/**
 * Put peer `peer_id` in class `class_idx` (0: the node's own timing;
 * 1 .. cfg.n_classes: cfg.classes[class_idx - 1]; docs/classes.md). A
 * change of class gives the peer (and each of its links) a fresh
 * detector of the new class, its last arrival kept as the first sample
 * (as hb_node_reconfigure() does for a changed detector); its state is
 * kept and its deadline recomputed from `now_ns`.
 * @return 0; -EINVAL (node NULL, class_idx > n_classes); -ENOENT;
 *         -ENOMEM (nothing changed).
 */
HB_EXPORT int hb_node_peer_set_class(hb_node_t *node, uint32_t peer_id,
                                     uint32_t class_idx, uint64_t now_ns);

/**
 * Stop monitoring a peer (no event is raised).
 * @return 0 or -ENOENT.
 */
/**
 * The heartbeat interval class `class_idx` (0 .. n_classes) sends at now,
 * ns: its configured interval, or for an adaptive class the one its rule
 * chose (HB_EVENT_INTERVAL); a rise counts from when it takes effect,
 * after its announcements. 0 for a NULL node or an unknown class. Since
 * 0.2.
 */
HB_EXPORT uint64_t hb_node_class_interval_ns(const hb_node_t *node,
                                             uint32_t class_idx);

HB_EXPORT int hb_node_peer_remove(hb_node_t *node, uint32_t peer_id);

/**
 * Apply a new configuration to a running node (config reload). cluster_id,
 * node_id and incarnation must be unchanged. Keys (the key ring: added,
 * removed, a new primary; per-key receive counts kept for ids that stay),
 * thresholds, probation
 * and dead_after take effect at once; a changed interval or detector kind
 * or parameters rebuilds every peer's detector (history lost, current
 * states kept, last arrival kept as the first sample). Deadlines are
 * recomputed; transitions that are now due happen at the next tick.
 *
 * @return 0; -EINVAL (invalid cfg or changed identity; node unchanged);
 *         -ENOMEM (node unchanged).
 */
HB_EXPORT int hb_node_reconfigure(hb_node_t *node, const hb_node_config_t *cfg,
                                  uint64_t now_ns);

/**
 * What hb_node_recv() accepted. Public, read-only; filled on success only.
 */
typedef struct hb_recv_info {
        uint8_t type;              /**< enum hb_msg_type */
        uint32_t sender_id;
        uint64_t incarnation;
        uint64_t seq;
        uint64_t send_time_ns;     /**< sender's clock */
        /** For an accepted ACK: the round-trip time it measured, ns;
         *  0 otherwise. */
        uint64_t rtt_ns;
        uint64_t reserved[4];      /**< room for later fields (0) */
} hb_recv_info_t;

/**
 * Process one received datagram.
 *
 * A heartbeat that asks for an echo (HB_FLAG_ECHO_REQUEST) queues an ACK
 * for HB_DEST_REPLY; an ACK to an echo request that waited in this node's
 * socket buffer through a local pause is withheld (it would measure the
 * pause, not the network; counted in hb_node_counters.acks_withheld).
 *
 * @param info  may be NULL; on success receives what was accepted.
 * @return 0 if accepted; otherwise the negative reason it was dropped,
 *         already counted in the node's drop counters: any
 *         hb_wire_decode() error, HB_EUNKPEER, HB_ESELF, HB_EREPLAY.
 *         Nothing about the peer changes on a drop.
 */
HB_EXPORT int hb_node_recv(hb_node_t *node, uint64_t now_ns,
                           const uint8_t *buf, size_t len,
                           hb_recv_info_t *info);

/**
 * Where a datagram came from, as the driver can tell (review F8: a host
 * on the path that relays a peer's authentic heartbeats must not hide
 * that the peer's own path is cut). The sender is known only once the
 * message is authenticated (and decrypted), so the node asks.
 */
typedef struct hb_recv_source {
        /** Whether the datagram came from the configured address of peer
         *  `peer_id`; called after the message verified, with the sender
         *  it names; for a region summary (topology "hierarchy") that
         *  did not come from its sender, again with each elector of
         *  this node's region (a coordinator relays summaries
         *  unchanged; docs/hierarchy.md, "Trust"). A driver that cannot tell
         *  for that peer (no address known) answers true. Must not call
         *  into the node. */
        bool (*from_peer)(const void *ctx, uint32_t peer_id);
        const void *ctx;           /**< passed to `from_peer` */
} hb_recv_source_t;

/**
 * hb_node_recv() with the datagram's source checked: an authentic message
 * that `source` says did not come from its sender's address is dropped
 * as HB_EBADSRC, unless that peer is roaming (hb_node_peer_set_roaming()),
 * after the tag verified and before anything about the peer changes,
 * whatever its type (heartbeats, leaves, acks, votes). Topology
 * "hierarchy": a region summary is also accepted from the address of an
 * elector of this node's own region (a relay). In the gossip
 * topology `from_peer` is asked about every sender, member or not, and
 * roaming is not consulted: the driver answers true for the members it
 * learned from gossip (docs/gossip.md, "Trust").
 *
 * @param source  NULL: not checked (as hb_node_recv()); else its
 *                from_peer must be set.
 * @return as hb_node_recv(), and HB_EBADSRC; -EINVAL for a `source`
 *         without from_peer.
 */
HB_EXPORT int hb_node_recv_from(hb_node_t *node, uint64_t now_ns,
                                const uint8_t *buf, size_t len,
                                const hb_recv_source_t *source,
                                hb_recv_info_t *info);

/**
 * hb_node_recv_from() for a datagram that arrived on link `link` (the
 * socket of that link, docs/links.md); hb_node_recv() and
 * hb_node_recv_from() are link 0. `source->from_peer` then answers
 * whether it came from the peer's address *on that link*.
 *
 * Heartbeats and leaves are replay-checked per (peer, link): the copy of
 * a heartbeat that came first on another link is not a replay here. A
 * copy new for its link feeds that link's detector; the first copy of a
 * sequence number (on whichever link) also drives the peer as with one
 * link (its detector sees the earliest arrival of every heartbeat: the
 * peer stays alive while any link carries heartbeats). Later copies are
 * accepted (0) and counted in hb_node_counters.link_copies; an echo
 * request is answered on every link (an RTT per link). Control messages
 * (acks, votes) are accepted from any link, in one replay space per peer.
 *
 * @return as hb_node_recv_from(); -EINVAL also for link >= n_links.
 */
HB_EXPORT int hb_node_recv_link(hb_node_t *node, uint64_t now_ns,
                                uint32_t link, const uint8_t *buf,
                                size_t len, const hb_recv_source_t *source,
                                hb_recv_info_t *info);

/** Number of links of the node (cfg.n_links, at least 1). */
HB_EXPORT uint32_t hb_node_links(const hb_node_t *node);

/**
 * The link a message for peer `peer_id` alone (HB_DEST_PEER: votes)
 * should take: the first link that is up, else the one heard last, else
 * 0. Always 0 with one link or for an unknown peer.
 */
HB_EXPORT uint32_t hb_node_peer_link(const hb_node_t *node, uint32_t peer_id);

/** A snapshot of one link of one peer. Public, read-only. */
typedef struct hb_link_info {
        uint32_t peer_id;
        uint32_t link;
        hb_link_state_t state;     /**< with one link: derived from the
                                        peer's (alive, suspect: up; dead,
                                        left: down) */
        uint64_t state_since_ns;
        uint64_t last_arrival_ns;  /**< HB_NEVER if never heard */
        double suspicion;          /**< this link's detector at now_ns */
        uint64_t received;         /**< heartbeats and leaves accepted on
                                        this link */
        uint64_t seq_gaps;         /**< sequence numbers never seen on
                                        this link (loss on this path) */
        uint64_t replays;          /**< dropped as replays on this link */
        uint64_t transitions;      /**< link state changes */
        uint32_t rtt_samples;      /**< RTT samples (acks on this link) */
        uint64_t rtt_median_ns;    /**< 0 if none */
        uint64_t rtt_p99_ns;
        uint64_t rtt_last_ns;
        uint64_t reserved[4];      /**< room for later fields (0) */
} hb_link_info_t;

/**
 * Snapshot of link `link` of peer `peer_id` at `now_ns`.
 * @return 0; -ENOENT (no such peer or link; out untouched); -EINVAL.
 */
HB_EXPORT int hb_node_peer_link_info(const hb_node_t *node, uint32_t peer_id,
                                     uint32_t link, uint64_t now_ns,
                                     hb_link_info_t *out);

/**
 * Let peer `peer_id`'s messages come from any address (true), or only
 * from its configured one (false, the default when added) when the
 * driver checks sources (hb_node_recv_from()). For peers behind NAT or
 * with changing addresses; a roaming peer gets no protection against
 * relayed heartbeats.
 * @return 0, -EINVAL (NULL node), -ENOENT.
 */
HB_EXPORT int hb_node_peer_set_roaming(hb_node_t *node, uint32_t peer_id,
                                       bool roaming);

/**
 * This node's wall clock now (CLOCK_REALTIME, ns since the epoch), for
 * the incarnation bound (hb_node_config.incarnation_ahead_max_ns); the
 * node reads no clock of its own. Call before hb_node_recv() (the libuv
 * adapter does, for every datagram, when the bound is set); a value from
 * an earlier call is used until the next one. 0 forgets it (no bound).
 */
HB_EXPORT void hb_node_set_wall_clock(hb_node_t *node, uint64_t wall_ns);

/**
 * Forget which incarnation and sequence numbers of peer `peer_id` were
 * accepted, so that its next authentic message is taken whatever its
 * incarnation (the operator's way out, `hbeatctl forget`, when a peer
 * restarted with its wall clock stepped back — every message of it is
 * dropped as HB_EOLDINC — or a forged incarnation from a key holder
 * locked it out: review F6, F9). Its state, detector and counters are
 * kept; the next heartbeat counts as a restart. Replay protection for
 * that peer is void until then: messages recorded earlier are accepted
 * once, so use it only after checking the peer's messages are genuine.
 * @return 0, -EINVAL (NULL node), -ENOENT.
 */
HB_EXPORT int hb_node_peer_forget(hb_node_t *node, uint32_t peer_id);

/**
 * Local-pause guard (after Cassandra's): this node's process did not run
 * for `paused_ns` (SIGSTOP, VM pause, swapping). The node applies it by
 * itself when a call finds its heartbeat schedule late by more than
 * cfg.local_pause_ns; a caller with other evidence (a VM resume
 * notification) may report one here. The silence of every peer during
 * that time says nothing about the peers, so convictions are suspended:
 * each monitored peer is judged as if it had been heard at `now_ns` (its
 * detector's last arrival moves to now without an inter-arrival sample).
 * Heartbeats that
 * waited in the socket buffer arrive in a burst within half an interval
 * of `now_ns`; they, and the first heartbeat after that, add no sample
 * either. An ack echoing a heartbeat sent before `now_ns` gives no RTT
 * sample (it measured the pause), and the node queues no ACK for an echo
 * request in that burst. A peer that is really dead is declared dead one
 * full detection time after the pause. With coordination on, a leader or
 * candidate steps down (its leases may have run out meanwhile).
 * Deadlines are recomputed. Raises HB_EVENT_LOCAL_PAUSE; counted in
 * hb_node_counters.local_pauses.
 */
HB_EXPORT void hb_node_local_pause(hb_node_t *node, uint64_t now_ns,
                                   uint64_t paused_ns);

/**
 * A sign of life obtained by *pulling*: the caller polled the peer (an
 * HTTP or TCP endpoint, for a peer that runs no hbeatd) and it answered.
 * For the detector and the state machine this is a heartbeat arriving at
 * `now_ns` (an unknown, dead or left peer goes alive or to probation, a
 * suspect one back to alive), so push and pull peers are judged alike;
 * poll on the heartbeat interval for the detector's defaults to hold.
 * There is no message: no incarnation (the peer is seen as incarnation 1),
 * the sequence counts the answers, no coordination (the peer never leads
 * nor supports a leader; it counts for quorum only with votes, which a
 * pull peer should not have).
 *
 * @return 0, -ENOENT for an unknown peer id, -EINVAL for a NULL node.
 */
HB_EXPORT int hb_node_peer_heard(hb_node_t *node, uint32_t peer_id,
                                 uint64_t now_ns);

/**
 * Hold or release the judgement of peer `peer_id`: while held the peer
 * has no deadline, so its silence is not held against it and its state
 * (whatever it was) stays; a heartbeat or hb_node_peer_heard() still
 * counts as usual. For a peer that is told to be silent for a while (a
 * pull peer outside its schedule's window: docs/checks.md). On release
 * the peer is judged as if heard at `now_ns`, its detector's history kept
 * (hb_detector_rebase(), as after a local pause), and the next arrival
 * adds no inter-arrival sample; a suspect peer's dead_after and a
 * probation start again from `now_ns`. No event is raised.
 *
 * @return 1 when the hold changed, 0 when it already was so, -EINVAL
 *         (NULL node), -ENOENT (unknown peer).
 */
HB_EXPORT int hb_node_peer_hold(hb_node_t *node, uint32_t peer_id, bool hold,
                                uint64_t now_ns);

/** Whether peer `peer_id` is held (hb_node_peer_hold()); false for an
 *  unknown peer or a NULL node. */
HB_EXPORT bool hb_node_peer_held(const hb_node_t *node, uint32_t peer_id);

/**
 * Process-exit evidence: the network reported that `peer_id`'s heartbeat
 * port is closed — an ICMP "port unreachable" (RFC 792 type 3 code 3;
 * ICMPv6, RFC 4443, type 1 code 4) came back for a heartbeat sent to the
 * peer's address. The peer's host is up but nothing listens there any
 * more: its process exited (crash, SIGKILL, OOM kill). This is the
 * "spy" idea of Falcon (Leners et al., SOSP 2011, §3): a layer below the
 * process reports its death, which no timing-based detector can do
 * faster than its timeout. A slow, paused or partitioned process keeps
 * its port open and produces no report, so this never turns slowness
 * into a conviction.
 *
 * An alive, suspect or probation peer moves to dead at once (reason
 * HB_REASON_PORT_UNREACHABLE) and is marked as *exited*: with
 * coordination on, the lease promise this node made to it as leader is
 * void (a process that no longer exists cannot act on it; election.h),
 * which lets a new leader be elected without waiting for the lease. An
 * unknown peer (never heard: maybe not started yet), a dead or left one
 * is not changed. The report is ignored when cfg.trust_port_unreachable
 * is false.
 *
 * ICMP is not authenticated. This call takes the report on trust: the
 * caller has checked it (a simulator, a test, a driver with its own
 * evidence). A driver reading ICMP off a socket passes what the ICMP
 * quoted to hb_node_peer_unreachable_quoted() instead, which checks it.
 *
 * @return 1 if the peer was declared dead, 0 if the report changed
 *         nothing, -ENOENT for an unknown peer id, -EINVAL for NULL.
 *         Counted in hb_node_counters.port_unreachable either way (not
 *         for errors).
 */
HB_EXPORT int hb_node_peer_unreachable(hb_node_t *node, uint32_t peer_id,
                                       uint64_t now_ns);

/**
 * hb_node_peer_unreachable() for an ICMP port unreachable read off a
 * socket, believed only if it proves it answers this node's own traffic:
 * `quote` (the UDP payload the ICMP quoted, Linux: IP_RECVERR's error
 * queue data) must be a whole message of this node, which only a host
 * that received it can quote — a forger needs to have captured it:
 *
 * 1. it decodes and authenticates (hb_wire_decode() with this node's
 *    cluster id and keys);
 * 2. its sender is this node, in this incarnation, with a sequence this
 *    node has used (heartbeats and leaves: up to the heartbeat sequence;
 *    ACKs and votes: up to the control sequence);
 * 3. it was sent at most 4 intervals (at least 200 ms) before `now_ns`:
 *    an old ICMP replayed later proves nothing about the process now.
 *
 * Anything else is counted in hb_node_counters.port_unreachable_rejected
 * and changes nothing. The caller checks what the node cannot: that the
 * ICMP came from the peer's own address (the kernel's SO_EE_OFFENDER)
 * and that the quoted datagram went to the peer's address. What remains
 * is an on-path attacker who sees our datagrams and can spoof the peer's
 * address (docs/states.md, "Port unreachable"); where that is a concern
 * set cfg.trust_port_unreachable false.
 *
 * Source: quoting the offending datagram, RFC 792 (8 bytes at least),
 * RFC 1812 §4.3.2.3 (as much as fits 576 bytes, which Linux does); RFC
 * 5927 §4.1 (checking the quoted data against what was sent, as TCP
 * checks the quoted sequence number).
 *
 * @param quote      the quoted bytes (borrowed for the call); NULL with
 *                   len 0 is a rejected report.
 * @param quote_len  number of bytes in `quote`.
 * @return 1 if the peer was declared dead, 0 if a verified report changed
 *         nothing; HB_ENOTOURS, or the hb_wire_decode() code, for a
 *         rejected quote (counted in port_unreachable_rejected as well as
 *         port_unreachable); -ENOENT for an unknown peer id (not counted);
 *         -EINVAL for a NULL node.
 */
HB_EXPORT int hb_node_peer_unreachable_quoted(hb_node_t *node,
                                              uint32_t peer_id,
                                              const uint8_t *quote,
                                              size_t quote_len,
                                              uint64_t now_ns);

/**
 * hb_node_peer_unreachable_quoted() for an ICMP that came back on link
 * `link` (the quoted datagram went to the peer's address on that link).
 * With one link it is hb_node_peer_unreachable_quoted(). With more, a
 * verified report takes that link down at once (HB_EVENT_LINK, reason
 * port_unreachable) and the peer is declared dead only when no link of
 * it is up or in probation any more: a wrong port on one link does not
 * kill a peer the other links still hear, and an exited process, whose
 * every socket is closed, gets a report on every link within an
 * interval.
 * @return as hb_node_peer_unreachable_quoted(); -ENOENT also for
 *         link >= n_links.
 */
HB_EXPORT int hb_node_peer_link_unreachable_quoted(hb_node_t *node,
                                                   uint32_t peer_id,
                                                   uint32_t link,
                                                   const uint8_t *quote,
                                                   size_t quote_len,
                                                   uint64_t now_ns);

/**
 * Queue one heartbeat (sequence + 1) for HB_DEST_ALL now, out of schedule;
 * the schedule itself is unchanged. For tests and embedders that drive
 * sends themselves; hb_node_tick() sends the scheduled ones.
 *
 * @return 0; -EINVAL (NULL node); -ENOBUFS if the output queue could not
 *         grow (the oldest queued message was dropped for it, counted in
 *         hb_node_counters.output_dropped).
 */
HB_EXPORT int hb_node_heartbeat_now(hb_node_t *node, uint64_t now_ns);

/**
 * Leave the cluster gracefully: queue a leave message (sequence + 1) for
 * HB_DEST_ALL and stop the heartbeat schedule for good (hb_node_tick()
 * sends no heartbeat afterwards). Peers move this node to `left`. Call
 * it twice to send a second copy (the receiver drops it as a replay if
 * the first arrived). Same returns as hb_node_heartbeat_now().
 */
HB_EXPORT int hb_node_leave(hb_node_t *node, uint64_t now_ns);

/**
 * Earliest time at which hb_node_tick() must be called, ns, or HB_NEVER:
 * the earliest of the peers' deadlines, the election's timers and the next
 * scheduled heartbeat (0 for a node that has not sent its first one yet).
 * Calling tick earlier is harmless; later delays transitions and sends, and
 * more than cfg.local_pause_ns later counts as a local pause.
 */
HB_EXPORT uint64_t hb_node_next_deadline(const hb_node_t *node);

/**
 * Advance the node to `now_ns`: apply the local-pause guard if the node
 * finds it was late; evaluate every peer whose deadline is <= now_ns
 * (transitions, events); run the election's timers; queue the scheduled
 * heartbeat when it is due (for HB_DEST_ALL).
 */
HB_EXPORT void hb_node_tick(hb_node_t *node, uint64_t now_ns);

/** A snapshot of one peer. Public, read-only. */
typedef struct hb_peer_info {
        uint32_t id;
        hb_peer_state_t state;
        uint64_t state_since_ns;   /**< time of the last transition (or
                                        of hb_node_peer_add()) */
        uint64_t incarnation;      /**< 0 if never heard */
        uint64_t last_seq;         /**< last accepted sequence */
        uint64_t last_arrival_ns;  /**< HB_NEVER if never heard */
        uint64_t last_send_time_ns;/**< peer's clock, from its last message */
        double suspicion;          /**< at the `now_ns` asked */
        double mean_interval_ns;   /**< hb_detector_mean_ns(): the mean
                                        inter-arrival time (phi, phi_exp,
                                        adaptive), the interval (fixed),
                                        or the time from the last arrival
                                        to the expected next one (chen,
                                        bertier) */
        uint64_t received;         /**< accepted messages */
        uint64_t seq_gaps;         /**< sequence numbers skipped (lost or
                                        dropped heartbeats), this
                                        incarnation and earlier */
        uint64_t replays;          /**< messages dropped as HB_EREPLAY */
        uint64_t old_incarnations; /**< dropped as HB_EOLDINC: from an
                                        incarnation older than the one
                                        accepted (its clock stepped back
                                        across a restart, or replays) */
        uint64_t bad_sources;      /**< dropped as HB_EBADSRC */
        uint64_t transitions;      /**< state changes so far */
        uint32_t rtt_samples;      /**< RTT samples in the window (<= 64) */
        uint64_t rtt_median_ns;    /**< over the last 64 samples; 0 if none */
        uint64_t rtt_p99_ns;       /**< 99th percentile (nearest rank) */
        uint64_t rtt_last_ns;      /**< latest sample; 0 if none */
        /** Coordination on: its latest heartbeat said its at-most-one
         *  resource may be up (hb_node_set_resource()); false when it
         *  said stopped, or sent no coordination data. */
        bool resource_up;
        /** Coordination on: it sent coordination data (a coordination
         *  block) in its latest heartbeat; resource_up and coord_term mean
         *  something only then. */
        bool coordinating;
        /** The term its latest heartbeat carried (since 0.2). A node never
         *  leads a term below its own, so a heartbeat of term >= t that
         *  says the resource is stopped stays true for every leadership
         *  below t. */
        uint64_t coord_term;
        /** The role (enum hb_role) its latest heartbeat carried (since
         *  0.2). A node leaves the candidate role of a term for good: one
         *  that says follower or no-quorum in term t never leads t. */
        uint32_t coord_role;
        /** Accepted from any source address
         *  (hb_node_peer_set_roaming()). */
        bool roaming;
        /** Topology "hierarchy": its state is the one its region's
         *  latest summary gave (not judged by this node). */
        bool learned;
        /** Topology "hierarchy": an elector of its region. */
        bool elector;
        uint8_t reserved8[1];      /**< 0 */
        /** Its class here (hb_node_peer_set_class(); since 0.2). */
        uint32_t class_idx;
        /** The interval its last INTERVAL TLV announced, ns: the larger of
         *  its current and next interval; 0 if it announces none (no
         *  classes at the sender). Since 0.2. */
        uint64_t announced_interval_ns;
        /** The interval its detector expects now, ns: the announced one
         *  clamped to its class's bounds, or the class's interval. Since
         *  0.2. */
        uint64_t interval_ns;
        /** Topology "hierarchy": its region (0: not set). */
        uint32_t region;
        uint32_t reserved32;       /**< 0 */
        uint64_t reserved[1];      /**< room for later fields (0) */
} hb_peer_info_t;

/**
 * Snapshot of peer `peer_id` at `now_ns`.
 * @return 0 or -ENOENT (out untouched).
 */
HB_EXPORT int hb_node_peer_info(const hb_node_t *node, uint32_t peer_id,
                                uint64_t now_ns, hb_peer_info_t *out);

/** Number of peers. */
HB_EXPORT size_t hb_node_peer_count(const hb_node_t *node);

/**
 * Snapshot of the i-th peer (0 <= i < hb_node_peer_count()), in ascending
 * peer id order.
 * @return 0 or -ENOENT.
 */
HB_EXPORT int hb_node_peer_at(const hb_node_t *node, size_t i, uint64_t now_ns,
                              hb_peer_info_t *out);

/**
 * Set a peer's votes (default 1 when added), 0 .. 255.
 * @return 0, -ENOENT, -EINVAL.
 */
HB_EXPORT int hb_node_peer_set_votes(hb_node_t *node, uint32_t peer_id,
                                     uint32_t votes);

/**
 * Restore the durable term and vote at start (from what HB_EVENT_TERM
 * persisted). Must be called before any datagram or tick.
 * @return 0 or -EINVAL (coordination off).
 */
HB_EXPORT int hb_node_restore_term(hb_node_t *node, uint64_t term,
                                   uint32_t voted_for);

/**
 * Restore, at start, how long the promises of this node's previous run
 * bind (election.h, docs/election.md "The lease"): it votes for no other
 * candidate before `until_ns` (this node's monotonic clock, ns). Give
 * back the last HB_EVENT_TERM's promise_until_ns when the clock has not
 * restarted since (same boot); after a reboot, the part of the
 * promise_max (hb_coord_promise_max()) not yet elapsed since boot; 0 for
 * a node that never ran before. Without this call a starting node holds
 * for a whole promise_max. Must be called before any datagram or tick.
 *
 * @return 0 or -EINVAL (NULL node, coordination off, or already started).
 */
HB_EXPORT int hb_node_restore_promise(hb_node_t *node, uint64_t until_ns);

/** Where a queued message goes (hb_output_t.dest). */
typedef enum hb_dest {
        /** To peer `peer_id`, at the address the caller knows for it
         *  (vote requests and responses). */
        HB_DEST_PEER = 1,
        /** To every peer the caller sends heartbeats to (heartbeats,
         *  leave). `peer_id` is 0. A multicast transport sends it once. */
        HB_DEST_ALL = 2,
        /** Back to the source address of the datagram whose
         *  hb_node_recv() queued it (ACKs); `peer_id` is its sender. A
         *  caller that drains the queue after every hb_node_recv() knows
         *  that address; one that does not sends it to peer_id's. */
        HB_DEST_REPLY = 3,
        /** A scheduled heartbeat for peer `peer_id` alone, on every link
         *  that has an address for it (as HB_DEST_ALL for that peer).
         *  Only with peer classes (hb_node_config_t.n_classes > 0,
         *  docs/classes.md): each class's heartbeat goes to its peers as
         *  one copy each, the same bytes. Since 0.2. And in the gossip
         *  topology with coordination: the election's heartbeat, one
         *  copy per voter (docs/gossip.md). Since 0.3. */
        HB_DEST_BEAT = 4,
} hb_dest_t;

/**
 * Hint of hb_output_t.hints: the message would rather go over a reliable
 * stream (TCP) to its destination than as a datagram. Set on the
 * hierarchy's messages between coordinators of different regions: region
 * summaries and their repairs, and the global level's votes
 * (docs/hierarchy.md, "Reliable transport"); never on heartbeats (a
 * detector must see their loss, not a retransmission's delay). A hint
 * only: the node works the same whatever carries the message (state and
 * digest repair make summaries eventually reliable over datagrams), so a
 * driver may ignore it, or use it and fall back to the datagram path. A
 * driver that streams the message must deliver it to the receiving node
 * exactly as a datagram (hb_node_recv_from(), same checks). Since 0.4.
 */
#define HB_OUTPUT_RELIABLE 0x01u

/** One queued message (hb_node_poll_output()). Public, read-only. */
typedef struct hb_output {
        hb_dest_t dest;
        uint32_t peer_id;          /**< see hb_dest_t */
        uint8_t type;              /**< enum hb_msg_type of the message */
        uint8_t hints;             /**< HB_OUTPUT_* bits, 0 for most
                                        messages (since 0.4; in what was
                                        padding: the size is unchanged) */
} hb_output_t;

/** Largest message the output queue holds, bytes: a buffer this large
 *  always takes the next message (512 since 0.3: gossip messages carry
 *  piggybacked member updates; heartbeats, acks, votes and verdicts
 *  still fit in 128). */
#define HB_OUTPUT_MAX_LEN 512u

/**
 * Take the next message the node wants sent, oldest first: heartbeats and
 * leaves (HB_DEST_ALL), ACKs (HB_DEST_REPLY), vote requests and responses
 * (HB_DEST_PEER). This is the node's only way out: drain it after every
 * call into the node. The queue grows as needed (to 64 + 2 messages per
 * peer); when it cannot, the oldest message is dropped (a newer heartbeat,
 * request or response supersedes it), counted in
 * hb_node_counters.output_dropped.
 *
 * @param out  output: destination and type of the message.
 * @param buf  output: the message, `cap` >= HB_OUTPUT_MAX_LEN always
 *             suffices.
 * @return the message length (copied into buf), 0 when the queue is empty,
 *         -ENOBUFS if cap is too small (message kept, `out` untouched),
 *         -EINVAL (NULL argument).
 */
HB_EXPORT int hb_node_poll_output(hb_node_t *node, hb_output_t *out,
                                  uint8_t *buf, size_t cap);

/** Number of messages waiting in the output queue. */
HB_EXPORT size_t hb_node_output_pending(const hb_node_t *node);

/** Coordination snapshot. Public, read-only. */
typedef struct hb_coord_info {
        bool enabled;
        hb_role_t role;
        uint64_t term;
        uint32_t leader_id;        /**< 0 if none */
        uint32_t voted_for;        /**< in `term`, 0 if none */
        bool quorate;
        uint32_t votes_present;    /**< self + alive peers' votes */
        uint32_t expected_votes;
        uint32_t quorum_votes;     /**< votes needed: expected / 2 + 1 */
        bool waiting_for_all;      /**< wait_for_all still holding */
        uint64_t role_since_ns;
        uint64_t elections_started;
        uint64_t election_deadline_ns; /**< HB_NEVER if none scheduled */
        /** Leader, and a quorum (itself included) has named it leader in
         *  heartbeats of its term since it was elected: its leadership is
         *  known beyond its voters, so any later candidate's quorum holds
         *  a node that followed it (and will tell). Reached a round trip
         *  after the election (the new leader and each new follower send
         *  a heartbeat at once; up to an interval more when one is
         *  lost); raised as an HB_EVENT_ROLE with
         *  why "established" (old role = new role = leader). Start an
         *  at-most-one resource here, not at "elected" (docs/actions.md):
         *  a leader paused or cut off between the two never starts it. */
        bool established;
        uint64_t reserved[8];      /**< room for later fields (0) */
} hb_coord_info_t;

/** Fill `out` (zeroed with enabled=false when coordination is off). */
HB_EXPORT void hb_node_coord_info(const hb_node_t *node, hb_coord_info_t *out);

/**
 * Change this node's election priority at run time (health-check weights:
 * the effective priority, configured priority plus active weights,
 * clamped by the caller). Takes effect at once: it is carried by the next
 * heartbeat, a scheduled candidacy is redrawn with it, and a leader whose
 * priority fell below an alive preempting peer's yields (preempt rules of
 * election.h). hb_node_reconfigure() sets it back to cfg->coord.priority.
 *
 * @return 0; -EINVAL (NULL node, coordination off, priority > 255).
 */
HB_EXPORT int hb_node_set_priority(hb_node_t *node, uint32_t priority,
                                   uint64_t now_ns);

/**
 * Tell the peers, in every heartbeat from now on, whether this node's
 * at-most-one resource may be up (`up`: starting, started, stopping, or
 * in an unknown state) or is known to be stopped (false, the default).
 * A new leader uses it to spare an alive former leader that reports its
 * resource stopped instead of fencing it (hb_peer_info_t.resource_up,
 * docs/actions.md). Only the caller knows: set it true *before* starting
 * the resource and false only *after* a stop succeeded. The policy
 * machine (policy.h) does exactly that. Safe from inside the event
 * callback: it only sets the bit.
 *
 * @return 0; -EINVAL (NULL node, coordination off).
 */
HB_EXPORT int hb_node_set_resource(hb_node_t *node, bool up);

/**
 * Set or clear this node's fault (a `fault` health check is failing).
 * While set, the node never stands: a leader steps down at once (role
 * event, why "check fault"), a candidate gives up, a follower schedules
 * no candidacy; its heartbeats advertise priority 0 and no preempt, so no
 * leader yields to it. It still votes and counts for quorum. Cleared, the
 * node stands again by the usual rules. Kept across hb_node_reconfigure().
 *
 * @return 0; -EINVAL (NULL node or coordination off).
 */
HB_EXPORT int hb_node_set_fault(hb_node_t *node, bool fault, uint64_t now_ns);

/** Whether hb_node_set_fault() is in effect (false for NULL). */
HB_EXPORT bool hb_node_fault(const hb_node_t *node);

/**
 * Topology "hierarchy": set the region of peer `peer_id` and whether it
 * is an elector of that region (docs/hierarchy.md). The same on every
 * node. An elector of this node's region gets one vote in the regional
 * election, every other peer none (hb_node_peer_set_votes() is
 * overridden). Call after hb_node_peer_add(), before the first tick.
 * @return 0; -EINVAL (NULL node, topology off, region 0 or above
 *         HB_HIER_REGIONS_MAX); -ENOENT (unknown peer).
 */
HB_EXPORT int hb_node_peer_set_region(hb_node_t *node, uint32_t peer_id,
                                      uint32_t region, bool elector);

/** Topology "hierarchy" snapshot (hb_node_hier_info()). Public,
 *  read-only. */
typedef struct hb_hier_info {
        bool enabled;
        bool coordinator;          /**< this node leads its region */
        /** This node's region holds the cluster's at-most-one resource:
         *  it is its region's coordinator and the global coordinator,
         *  leader and established in the global election. */
        bool holds;
        uint32_t region;
        uint32_t coordinator_id;   /**< its region's coordinator as this
                                        node knows it, 0 if none */
        uint64_t regional_term;    /**< term of that coordinator */
        hb_role_t global_role;     /**< coordinators only; else
                                        HB_ROLE_NO_QUORUM */
        uint64_t global_term;
        uint32_t global_leader;    /**< leading region, 0 if none known */
        /** Regions this node finds unreachable (bit r - 1). */
        uint64_t unreachable_map;
        /** The global leader's region, which holds the cluster's
         *  at-most-one resource while its leadership is established: on a
         *  coordinator its own global view (leader or follower), on any
         *  other node what its region's coordinator last said in a
         *  summary; 0 when none is known. A hint for display: only
         *  `holds`, on the holder itself, is the safety signal. */
        uint32_t holder_region;
        /** That region's coordinator as this node knows it (node id), 0
         *  if unknown. */
        uint32_t holder_id;
        uint64_t reserved[3];      /**< 0 */
} hb_hier_info_t;

/** Fill `out` (zeroed with enabled false when the topology is off). */
HB_EXPORT void hb_node_hier_info(const hb_node_t *node, hb_hier_info_t *out);

/** Node-wide counters. Public, read-only. */
typedef struct hb_node_counters {
        uint64_t rx_accepted;      /**< messages accepted */
        uint64_t rx_dropped;       /**< all drops, any reason */
        uint64_t tx_messages;      /**< messages queued for sending */
        uint64_t transitions;      /**< events raised */
        uint64_t local_pauses;     /**< local pauses: found by the node
                                        or reported with
                                        hb_node_local_pause() */
        uint64_t acks_sent;        /**< ACKs queued in reply to echoes */
        uint64_t acks_withheld;    /**< ACKs not queued: their echo
                                        request waited in the socket
                                        buffer through a local pause */
        uint64_t rtt_samples;      /**< ACKs that gave an RTT sample */
        uint64_t port_unreachable; /**< hb_node_peer_unreachable() reports
                                        for known peers */
        uint64_t send_late;        /**< heartbeat schedule re-based: a
                                        tick came more than an interval
                                        after a heartbeat was due */
        uint64_t output_dropped;   /**< queued messages dropped, oldest
                                        first, because the output queue
                                        could not grow */
        uint64_t port_unreachable_rejected; /**< of port_unreachable: the
                                        quote did not prove the ICMP
                                        answers a recent message of ours
                                        (hb_node_peer_unreachable_quoted())
                                        */
        uint64_t link_copies;      /**< of rx_accepted: heartbeats and
                                        leaves new for their link but
                                        already received on another link
                                        (they feed only that link's
                                        detector). Since 0.2. */
        uint64_t class_mismatch;   /**< heartbeats whose announced interval
                                        (INTERVAL TLV) was outside the
                                        bounds of the class this node
                                        gives their sender
                                        (HB_EVENT_CLASS_MISMATCH). Since
                                        0.2. */
        uint64_t interval_changes; /**< HB_EVENT_INTERVAL raised (adaptive
                                        classes). Since 0.2. */
        uint64_t subset_verdicts_sent; /**< topology "subset": verdict
                                        messages queued (each to every
                                        peer), repairs not counted.
                                        Since 0.3. */
        uint64_t subset_verdicts_received; /**< its verdict messages
                                        accepted from monitors (repairs
                                        not counted). Since 0.3. */
        uint64_t subset_repairs_sent; /**< repair messages (relayed
                                        verdicts) queued for a member
                                        whose digest differed (docs/
                                        subset.md, "Repair"). Since
                                        0.3. */
        uint64_t reserved[1];      /**< room for later counters (0) */
} hb_node_counters_t;

/** Copy the counters. */
HB_EXPORT void hb_node_counters(const hb_node_t *node,
                                hb_node_counters_t *out);

/**
 * Drops counted for one reason `err` (a negative HB_E* code returned by
 * hb_node_recv()); 0 for codes that are not drop reasons.
 */
HB_EXPORT uint64_t hb_node_dropped(const hb_node_t *node, int err);

/** One key of the node's ring (hb_node_key_at()). Public, read-only; no
 *  key material. */
typedef struct hb_key_info {
        uint8_t id;                /**< key id */
        uint8_t mode;              /**< hb_wire_mode_t */
        bool primary;              /**< the key this node sends with */
        uint64_t received;         /**< messages accepted under this key
                                        (since it entered the ring) */
        uint64_t last_received_ns; /**< when the latest of them arrived;
                                        HB_NEVER if none */
        uint64_t reserved[4];      /**< room for later fields (0) */
} hb_key_info_t;

/** Number of keys in the node's ring (1 .. HB_KEYRING_MAX). */
HB_EXPORT size_t hb_node_key_count(const hb_node_t *node);

/**
 * The i-th key of the ring (0 <= i < hb_node_key_count()), in the
 * configured order. An operator removes an old key once no peer sends
 * under it any more: its `received` stops growing (docs/operations.md,
 * "Key rotation").
 * @return 0 or -ENOENT (out untouched).
 */
HB_EXPORT int hb_node_key_at(const hb_node_t *node, size_t i,
                             hb_key_info_t *out);

/** Number of reasons a datagram can be dropped (for iterating the
 *  counters with hb_drop_reason_at()). */
HB_EXPORT size_t hb_drop_reason_count(void);

/** The i-th drop reason (a negative HB_E* code, for hb_node_dropped()
 *  and hb_errname()), 0 <= i < hb_drop_reason_count(); 0 otherwise. */
HB_EXPORT int hb_drop_reason_at(size_t i);

/** This node's id, incarnation and last sequence sent. */
HB_EXPORT uint32_t hb_node_id(const hb_node_t *node);
HB_EXPORT uint64_t hb_node_incarnation(const hb_node_t *node);
HB_EXPORT uint64_t hb_node_seq(const hb_node_t *node);

/** The node's configuration (borrowed; valid until the next reconfigure
 *  or free). */
HB_EXPORT const hb_node_config_t *hb_node_config(const hb_node_t *node);

/** Approximate bytes per monitored peer: peer record + detector +
 *  index and heap slots; in the gossip topology, per member: member
 *  record + probe-order and index slots (no detector). */
HB_EXPORT size_t hb_node_peer_memory(const hb_node_t *node);

/** Gossip snapshot (hb_node_gossip_info()). Public, read-only. */
typedef struct hb_gossip_info {
        uint32_t lhm;              /**< local health multiplier now,
                                        0 .. gossip.lhm_max */
        uint32_t incarnation;      /**< this node's SWIM incarnation
                                        (grows with every refutation) */
        uint64_t members;          /**< members known (any state) */
        uint64_t live;             /**< of them alive or suspect */
        uint64_t suspects;         /**< suspicions running */
        uint64_t pending_updates;  /**< updates still to piggyback */
        uint64_t member_bytes;     /**< bytes per member (as
                                        hb_node_peer_memory()) */
        uint64_t probes_sent;      /**< pings and ping-reqs sent */
        uint64_t probes_failed;    /**< probes with no ack, direct or
                                        indirect */
        uint64_t refutations;      /**< suspicions of this node refuted */
        uint64_t confirmations;    /**< independent confirmations taken */
        uint64_t gossip_rounds;    /**< gossip rounds sent */
        uint64_t updates_dropped;  /**< updates not queued: no memory */
        uint64_t reconnects;       /**< pings to members held dead */
        uint64_t reserved[3];      /**< room for later fields (0) */
} hb_gossip_info_t;

/**
 * Gossip state of a node in the gossip topology (docs/gossip.md).
 * @return 0; -EINVAL (NULL argument, or not the gossip topology).
 */
HB_EXPORT int hb_node_gossip_info(const hb_node_t *node,
                                  hb_gossip_info_t *out);

/**
 * The opaque address member `id` advertised in its alive updates (or the
 * driver set with hb_node_member_set_addr()), copied into buf.
 * @return its length (0: none known); -ENOENT; -ENOBUFS (cap too
 *         small); -EINVAL (not the gossip topology, NULL buf with cap).
 */
HB_EXPORT int hb_node_member_addr(const hb_node_t *node, uint32_t id,
                                  uint8_t *buf, size_t cap);

/**
 * Set the address the driver knows for member `id` (a seed from its
 * configuration), 0 .. HB_GOSSIP_ADDR_MAX bytes, copied; a later alive
 * update of the member with an address replaces it.
 * @return 0; -ENOENT; -EINVAL.
 */
HB_EXPORT int hb_node_member_set_addr(hb_node_t *node, uint32_t id,
                                      const uint8_t *addr, size_t len);

/**
 * The core side of push-pull anti-entropy (docs/gossip.md): encode this
 * node's view (itself, then every known member in id order) as a
 * sequence of HB_TLV_MEMBER TLVs into buf, from *cursor on (start at 0;
 * advanced past what was written, so a driver fills several buffers in
 * turn). The driver sends it over its reliable transport, authenticated
 * as it sees fit (hbeatd: the same key, docs/gossip.md), and feeds what
 * it receives to hb_node_gossip_merge().
 * @return bytes written (0: done); -ENOBUFS (not even one entry fits);
 *         -EINVAL.
 */
HB_EXPORT int hb_node_gossip_digest(const hb_node_t *node, size_t *cursor,
                                    uint8_t *buf, size_t cap);

/**
 * Merge a peer's digest (hb_node_gossip_digest()): every entry applied by
 * SWIM's rules, except that a suspicion is not started from a digest
 * (taken as alive news for unknown members). Events as for gossip.
 * @return 0; HB_EBADTLV (malformed: nothing applied); -EINVAL.
 */
HB_EXPORT int hb_node_gossip_merge(hb_node_t *node, uint64_t now_ns,
                                   const uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* HBEAT_NODE_H */
