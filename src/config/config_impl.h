/* SPDX-License-Identifier: MIT */
/*
 * Internals of the configuration loader (src/config/), shared by its
 * files only (nothing else may include this; the contract is config.h):
 *
 *   config.c        entry points, YAML document loading, pass 1 (walk()),
 *                   the top-level load_document() flow and its derived
 *                   defaults, message helpers, reload rules
 *   config_knobs.c  the knob table instantiated (the detector.* rows from
 *                   the core's schema), pass 2 per knob, the generated
 *                   default texts, the table described (hbd_config_knob())
 *   config_store.c  values by store: parse, set, read back, compare
 *   config_lists.c  the list sections: peers[], checks[], vips[]
 *   config_rules.c  rules across keys (thresholds, quorum and election)
 *                   and checks of files (key file, scripts, watchdog)
 *
 * The knob table itself (HBD_KNOB_ROWS_HEAD and _TAIL) lives here because
 * the knob ids (enum knob_id) are derived from it and every file indexes
 * by them; its rows are expanded into data only in config_knobs.c. The
 * detector's own parameters are not rows here: each detector kind
 * publishes them (hb_detector_param_at(), include/hbeat/detector.h), and
 * they take the knob ids K_DETECTOR .. K_DETECTOR_LAST, between the
 * detector.* keys of the table and membership.*, in the core's order.
 */
#ifndef HBD_CONFIG_IMPL_H
#define HBD_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "config/config.h"

/* How a knob's value is stored (the per-store functions: config_knobs.c). */
enum store {
        S_NAME,   /* char[HBD_NAME_MAX + 1], [A-Za-z0-9._-]{1,63} */
        S_U32,    /* uint32_t */
        S_MS,     /* uint64_t ns, from an integer number of ms */
        S_MS_NUM, /* uint64_t ns, from a (fractional) number of ms */
        S_NUM,    /* double */
        S_KIND,   /* hb_detector_kind_t */
        S_PATH,   /* char *, resolved against the config's directory */
        S_ADDR,   /* char * as written, sockaddr_storage, socklen_t */
        S_BOOL,   /* bool, from true or false */
        S_INT,    /* int32_t, optional leading '-' */
        S_STR,    /* char * as written (non-empty, no control bytes) */
        S_ARGV,   /* char ** NULL-terminated, from a sequence of strings */
        S_CHECK_KIND, /* uint32_t hbd_check_kind_t: exec, tcp, http */
        S_EFFECT, /* bool, from "fault" (the only effect besides weight) */
        S_VIP_PROVIDER, /* uint32_t hbd_vip_provider_t: netlink, exec */
        S_CPUS,   /* char * as written, cpu_set_t: a CPU list "0-1,3" */
        S_ENCRYPTION, /* uint32_t hb_wire_mode_t, from none or aead */
        S_TRANSPORT, /* uint32_t hb_uv_transport_t: unicast, multicast,
                        broadcast */
        S_STRS,   /* char ** NULL-terminated, from a non-empty sequence of
                     non-empty strings (no program checks) */
        S_COUNT
};

enum {
        F_REQUIRED = 1u << 0, /* no default: must be given */
        F_DERIVED = 1u << 1,  /* default computed by hbd__config_derive()
                                 (or, election.state_file, by
                                 hbd__state_file_default()); its text is
                                 generated from that code */
        F_FIRST = 1u << 2,    /* read before the defaults are applied */
        F_CHECK = 1u << 3,    /* key of a checks[] entry (hbd_check_conf_t) */
        F_MIN_OPEN = 1u << 4, /* value must be > min (not >= min) */
        F_PEER = 1u << 5,     /* key of a peers[] entry (hbd_peer_conf_t) */
        F_SOCKET = 1u << 6,   /* path of a Unix socket: fits sun_path */
        F_COORD = 1u << 7,    /* only with election.enabled: true (else the
                                 value would be silently unused) */
        /* Above the F_FOR() kind bits. */
        F_VIP = 1u << 24,     /* key of a vips[] entry (hbd_vip_conf_t) */
        F_UNUSED = 1u << 25,  /* a detector slot no parameter fills */
        F_REALTIME = 1u << 26, /* only with realtime.enabled: true */
        F_KEY = 1u << 27,     /* key of a keys[] entry (hbd_key_conf_t) */
        F_LINK = 1u << 28,    /* key of a links[] entry (hbd_link_conf_t) */
        F_CLASS = 1u << 29,   /* key of a classes[] entry
                                 (hbd_class_conf_t) */
        F_GOSSIP = 1u << 30,  /* only with topology.kind gossip (its
                                 derived default is not checked
                                 otherwise) */
};
/* The list sections' rows. */
#define F_LIST (F_PEER | F_CHECK | F_VIP | F_KEY | F_LINK | F_CLASS)

/*
 * Kind-specific knobs: F_FOR(kind) for each detector kind the key belongs
 * to (the detector.* rows, from the schema's kinds: HB_DETECTOR_KIND_BIT()
 * shifted). Setting such a key with another detector.kind is an error (the
 * value would be silently unused); its derived default is then not
 * checked either. A knob with no F_FOR bit applies to every kind.
 */
#define F_KIND_SHIFT 8
#define F_FOR(kind) (1u << (F_KIND_SHIFT + (unsigned)(kind)))
#define F_KIND_MASK (((1u << HB_DETECTOR_KIND_END) - 1u) << F_KIND_SHIFT)

/* hbd_reload_t, short, for the table. */
#define R_YES HBD_RELOAD_YES
#define R_NO HBD_RELOAD_NO
#define R_ELECTION HBD_RELOAD_NO_ELECTION

/*
 * The knob table: one row per key, the only place a key is described.
 *
 *   X(id, path, unit, min, max, default_text, reload, store, flags,
 *     offset, addr_offset, addr_len_offset, help)
 *
 * `offset` is into hbd_config_t, or the list entry's struct for F_PEER,
 * F_CHECK and F_VIP rows; the two address offsets are used by S_ADDR
 * only, the first of them by S_CPUS too (its cpu_set_t). default_text is parsed as if written in the file; NULL means no
 * default (F_REQUIRED, or absent means unset) or a derived one
 * (F_DERIVED: computed by the code that applies it, never described here).
 * The type a key is written in follows from its store. Ranges are in the
 * unit the file uses (ms, not ns). `reload` (hbd_reload_t) is all that
 * hbd_config_reloadable() follows. Help is one or a few sentences, without
 * "needs election.enabled" (F_COORD says it) or kind names (the schema's
 * kinds say them).
 *
 * C(field), P(field), Q(field), V(field) and K(field) are offsetof() into
 * hbd_config_t, hbd_peer_conf_t, hbd_check_conf_t, hbd_vip_conf_t and
 * hbd_key_conf_t;
 * config_knobs.c defines them where it expands the offset columns (the
 * knob id enum below never expands them).
 */
#define HBD_KNOB_ROWS_HEAD(X)                                                \
X(NODE_NAME, "node.name", "", 0, 0, NULL, R_YES,                             \
  S_NAME, F_REQUIRED, C(node_name), 0, 0,                                    \
  "Name of this node, unique in the cluster; used in logs and events.")      \
X(NODE_ID, "node.id", "", 1, 4294967295.0, NULL, R_NO,                       \
  S_U32, F_REQUIRED, C(node.node_id), 0, 0,                                  \
  "Id of this node on the wire, unique in the cluster.")                     \
X(NODE_REGION, "node.region", "", 0, 64, "0", R_NO,                          \
  S_U32, 0, C(node.hier.region), 0, 0,                                       \
  "With topology.kind hierarchy: this node's region, 1 to 64, the same "     \
  "numbering on every node (docs/hierarchy.md).")                            \
X(NODE_ELECTOR, "node.elector", "", 0, 1, "false", R_NO,                     \
  S_BOOL, 0, C(node.hier.elector), 0, 0,                                     \
  "With topology.kind hierarchy: this node is an elector of its region: "    \
  "it votes in the regional election and may become the region's "          \
  "coordinator; needs election.enabled (every other node: election off). "   \
  "3 per region keep a coordinator when one is down.")                       \
X(INCARNATION_FILE, "node.incarnation_file", "", 0, 0, NULL, R_YES,          \
  S_PATH, F_DERIVED, C(incarnation_file), 0, 0,                              \
  "Where this node's incarnation (its start time, microseconds) is kept "    \
  "durably, so that it grows at every start even when the wall clock was "   \
  "stepped back: max(wall clock, last + 1), written and fsync'ed before "    \
  "the first message is sent; hbeatd does not start if it cannot be "        \
  "written; read at start only. NODE is node.name.")                                             \
X(LISTEN, "listen", "", 0, 0, "0.0.0.0:7400", R_NO,                          \
  S_ADDR, 0, C(listen), C(listen_addr), C(listen_addr_len),                  \
  "UDP address heartbeats are received on.")                                 \
X(CLUSTER_ID, "cluster.id", "", 0, 4294967295.0, "0", R_NO,                  \
  S_U32, 0, C(node.cluster_id), 0, 0,                                        \
  "Cluster id carried by every message; messages with another id are "       \
  "dropped.")                                                                \
X(KEY_FILE, "cluster.key_file", "", 0, 0, NULL, R_YES,                       \
  S_PATH, 0, C(key_file), 0, 0,                                              \
  "File holding the cluster key (base64 of 32 bytes, as written by "         \
  "hbeatctl keygen); a regular file owned by root or hbeatd's user and "     \
  "not readable or writable by its group or others (chmod 600). The "        \
  "one-key form: the key has id 0. Either this or keys[] is required.")      \
X(PRIMARY_KEY, "cluster.primary_key", "", 0, 255, NULL, R_YES,               \
  S_U32, 0, C(primary_key), 0, 0,                                            \
  "Id of the keys[] entry this node sends with (it accepts every key of "    \
  "keys[]); required when keys[] holds more than one key "                   \
  "(docs/operations.md, Key rotation).")                                     \
X(ENCRYPTION, "cluster.encryption", "", 0, 0, "none", R_YES,                 \
  S_ENCRYPTION, 0, C(encryption), 0, 0,                                      \
  "none: messages are authenticated (keyed BLAKE2b tag) and readable on "    \
  "the network; aead: authenticated and encrypted (XChaCha20-Poly1305), "    \
  "so that roles, terms, incarnations and clocks are not. The mode of "      \
  "every key that does not set its own (keys[].encryption); a message in "   \
  "another mode than its key's is dropped (wrong_encryption).")              \
X(INTERVAL, "heartbeat.interval_ms", "ms", 1, 3600000, "100", R_YES,         \
  S_MS, F_FIRST, C(node.interval_ns), 0, 0,                                  \
  "Time between two heartbeats sent by this node.")                          \
X(KIND, "detector.kind", "", 0, 0, "phi", R_YES,                             \
  S_KIND, F_FIRST, C(node.detector.kind), 0, 0,                              \
  "Failure detector (docs/detectors.md): what its suspicion counts, its "    \
  "default thresholds and keys are in the table of kinds.")                  \
X(SUSPECT, "detector.suspect_threshold", "per kind", 0, 1000000,             \
  NULL, R_YES,                                                               \
  S_NUM, F_DERIVED | F_MIN_OPEN, C(node.suspect_threshold), 0, 0,            \
  "Suspicion at which a peer becomes suspect, in the kind's unit (phi, "     \
  "missed intervals, margins or timeouts).")                                 \
X(DEAD, "detector.dead_threshold", "per kind", 0, 1000000, NULL, R_YES,      \
  S_NUM, F_DERIVED | F_MIN_OPEN, C(node.dead_threshold), 0, 0,               \
  "Suspicion at which a suspect peer is declared dead; >= "                  \
  "suspect_threshold.")                                                      \
X(DEAD_AFTER, "detector.dead_after_ms", "ms", 0, 3600000, NULL, R_YES,       \
  S_MS, F_DERIVED, C(node.dead_after_ns), 0, 0,                              \
  "A peer suspect for this long is declared dead even below "                \
  "dead_threshold; 0 turns this off.")

#define HBD_KNOB_ROWS_TAIL(X)                                                \
X(PROBATION, "membership.probation_ms", "ms", 0, 3600000, NULL, R_YES,       \
  S_MS, F_DERIVED, C(node.probation_ns), 0, 0,                               \
  "A peer that comes back must send steady heartbeats this long before "     \
  "it is alive again.")                                                      \
X(LOCAL_PAUSE, "membership.local_pause_ms", "ms", 0, 3600000, NULL, R_YES,   \
  S_MS, F_DERIVED, C(node.local_pause_ns), 0, 0,                             \
  "Local-pause guard: a heartbeat this much late means hbeatd itself "       \
  "was paused (SIGSTOP, VM pause, swapping); the peers' silence during "     \
  "the pause is not held against them (each is judged as if heard at "       \
  "resume). 0 disables the guard.")                                          \
X(PORT_UNREACHABLE, "membership.port_unreachable", "", 0, 1, "true", R_YES,  \
  S_BOOL, 0, C(node.trust_port_unreachable), 0, 0,                           \
  "Declare a peer dead at once when a heartbeat to it comes back as ICMP "   \
  "port unreachable: its host is up but its hbeatd is not running "          \
  "(crash, SIGKILL, OOM kill); a slow or paused hbeatd keeps its port "      \
  "open and is never convicted this way. An ICMP counts only from the "     \
  "peer's own address, quoting a recent authenticated heartbeat of ours; "   \
  "set false where an on-path attacker could spoof the peer's address.")     \
X(MAX_CLOCK_SKEW, "membership.max_clock_skew_ms", "ms", 0, 2592000000.0,     \
  "3600000", R_YES,                                                          \
  S_MS, 0, C(node.incarnation_ahead_max_ns), 0, 0,                           \
  "A peer's new incarnation (its start time) may be at most this far "       \
  "ahead of this node's wall clock; messages from further ahead are "        \
  "dropped (future_incarnation), so that one forged message cannot lock "    \
  "the peer out for longer (hbeatctl forget lets it back at once). The "     \
  "largest clock difference tolerated between members; 0: no bound.")       \
X(SCRIPT, "notify.script", "", 0, 0, NULL, R_YES,                            \
  S_PATH, 0, C(notify_script), 0, 0,                                         \
  "Executable run on every peer state change; none when absent.")            \
X(NOTIFY_TIMEOUT, "notify.timeout_ms", "ms", 1, 3600000, "5000", R_YES,      \
  S_MS, 0, C(notify_timeout_ns), 0, 0,                                       \
  "The notify script is killed if it runs longer than this.")                \
X(ON_LEADER, "notify.on_leader", "", 0, 0, NULL, R_YES,                      \
  S_PATH, F_COORD, C(notify_on_leader), 0, 0,                                \
  "Executable run when this node becomes leader (after notify.script); "     \
  "with topology.kind hierarchy, global leader. None when absent.")          \
X(ON_FOLLOWER, "notify.on_follower", "", 0, 0, NULL, R_YES,                  \
  S_PATH, F_COORD, C(notify_on_follower), 0, 0,                              \
  "Executable run when this node becomes follower; none when absent.")       \
X(ON_NO_QUORUM, "notify.on_no_quorum", "", 0, 0, NULL, R_YES,                \
  S_PATH, F_COORD, C(notify_on_no_quorum), 0, 0,                             \
  "Executable run when this node's role becomes no-quorum: whatever it "     \
  "leads must stop; none when absent.")                                      \
X(QUORUM_VOTES, "quorum.votes", "votes", 0, 255, "1", R_NO,                  \
  S_U32, F_COORD, C(node.coord.votes), 0, 0,                                 \
  "Votes of this node in the quorum.")                                       \
X(QUORUM_EXPECTED, "quorum.expected_votes", "votes", 0, 16777215,            \
  "0", R_NO,                                                                 \
  S_U32, F_COORD, C(node.coord.expected_votes), 0, 0,                        \
  "Total votes of the cluster; 0 means the sum of quorum.votes and every "   \
  "peers[].votes, otherwise at least that sum.")                             \
X(QUORUM_TWO_NODE, "quorum.two_node", "", 0, 1, "false", R_NO,               \
  S_BOOL, F_COORD, C(node.coord.two_node), 0, 0,                             \
  "Two nodes of one vote each (exactly one peer): a lone node stays "        \
  "quorate and the lower id wins a tie. Needs fencing.")                     \
X(QUORUM_WAIT_FOR_ALL, "quorum.wait_for_all", "", 0, 1, "false", R_NO,       \
  S_BOOL, F_COORD, C(node.coord.wait_for_all), 0, 0,                         \
  "After start, no quorum until every configured node has been seen "        \
  "alive once.")                                                             \
X(QUORUM_WITNESS, "quorum.witness", "", 0, 1, "false", R_NO,                 \
  S_BOOL, F_COORD, C(node.coord.witness), 0, 0,                              \
  "This node votes (quorum.votes >= 1) but never stands for leader.")        \
X(ELECTION_ENABLED, "election.enabled", "", 0, 1, "false", R_NO,             \
  S_BOOL, 0, C(node.coord.enabled), 0, 0,                                    \
  "Quorum and leader election (docs/election.md); heartbeats then carry "    \
  "the term and the leader.")                                                \
X(ELECTION_PRIORITY, "election.priority", "", 0, 255, "100", R_YES,          \
  S_U32, F_COORD, C(node.coord.priority), 0, 0,                              \
  "Higher stands for leader first (election.delay_ms).")                     \
X(ELECTION_PREEMPT, "election.preempt", "", 0, 1, "false", R_YES,            \
  S_BOOL, F_COORD, C(node.coord.preempt), 0, 0,                              \
  "Stand against a live leader of lower priority.")                          \
X(ELECTION_DELAY, "election.delay_ms", "ms", 1, 3600000, NULL, R_YES,        \
  S_MS, F_DERIVED | F_COORD, C(node.coord.election_delay_ns), 0, 0,          \
  "Base of the randomized delay before standing for leader once the "        \
  "leader is dead: U(0, 1/4) x delay for the first in rank (no alive "       \
  "eligible peer has a higher priority, or the same and a lower id), (r "    \
  "+ U(0, 1)) x delay for rank r (docs/election.md).")                       \
X(ELECTION_PROMISE_MAX, "election.promise_max_ms", "ms", 0, 3600000, "0",    \
  R_YES, S_MS, F_COORD, C(node.coord.promise_max_ns), 0, 0,                  \
  "Longest lease promise a follower makes (its detector's time to declare "  \
  "the leader dead is capped at this); also how long a node that lost its "  \
  "promise record votes for no one after start. "                            \
  "0 derives it: the larger of 30 intervals and three times the detector's " \
  "dead time for a peer heard once (docs/election.md).")                     \
X(ELECTION_CLOCK_DRIFT, "election.clock_drift_ppm", "ppm", 1, 100000,        \
  "1000", R_YES, S_U32, F_COORD, C(node.coord.clock_drift_ppm), 0, 0,        \
  "Bound on how far any member's monotonic clock runs from real time, in "   \
  "parts per million: the leader counts a promise p as p x (1 - rho) / "     \
  "(1 + rho). Twice NTP's largest slew by default.")                         \
X(ELECTION_STATE_FILE, "election.state_file", "", 0, 0, NULL, R_NO,          \
  S_PATH, F_DERIVED | F_COORD, C(election_state_file), 0, 0,                 \
  "Where the term and vote are kept durably (written and fsync'ed before "   \
  "they are used); NODE is node.name.")                                      \
X(TOPOLOGY_KIND, "topology.kind", "", 0, 0, "mesh", R_NO,                    \
  S_STR, 0, C(topology_kind), 0, 0,                                          \
  "mesh: every node heartbeats to every peer and judges each itself. "       \
  "monitors: members heartbeat to topology.monitors only; a member is "      \
  "dead when a majority of the monitors says so (docs/topologies.md). "     \
  "gossip: SWIM with Lifeguard, each node probes one member per interval "   \
  "and membership spreads by gossip; for large clusters (docs/gossip.md; "  \
  "with election.enabled the peers are the voters). "                        \
  "hierarchy: regional coordinators under a global one (node.region, "       \
  "peers[].region, electors; docs/hierarchy.md). "                           \
  "subset: each node heartbeats to its topology.k successors on a hash "     \
  "ring, which judge it and send their verdicts to all (docs/subset.md).")   \
X(TOPOLOGY_MONITORS, "topology.monitors", "", 0, 0, NULL, R_NO,              \
  S_STRS, 0, C(topology_monitors), 0, 0,                                     \
  "With topology.kind monitors: the monitors, by node name or id (this "     \
  "node or peers), 1 to 7, the same list on every node; 3 or 5 keep "        \
  "deciding when one or two are down.")                                      \
X(TOPOLOGY_SEEDS, "topology.seeds", "", 0, 0, NULL, R_NO,                    \
  S_STRS, 0, C(topology_seeds), 0, 0,                                        \
  "With topology.kind gossip: where a starting node joins (TCP push-pull "   \
  "of the whole membership), each a peer's name or a host:port (UDP and "    \
  "TCP port of that node's listen); tried in turn until one answers. "       \
  "Default: every peer.")                                                    \
X(TOPOLOGY_ADVERTISE, "topology.advertise", "", 0, 0, NULL, R_NO,            \
  S_ADDR, 0, C(gossip_advertise), C(gossip_advertise_addr),                 \
  C(gossip_advertise_addr_len),                                              \
  "With topology.kind gossip: the address other members reach this node "    \
  "at (UDP, and TCP for push-pull), carried in its gossip; required when "   \
  "listen is a wildcard address. Default: listen.")                          \
X(GOSSIP_PROBE_TIMEOUT, "topology.probe_timeout_ms", "ms", 1, 3600000,       \
  NULL, R_NO,                                                                \
  S_MS, F_DERIVED | F_GOSSIP,                                                \
  C(node.gossip.probe_timeout_ns), 0, 0,                                     \
  "Gossip: wait this long for a probed member's ack, then as long again "    \
  "for the indirect acks, each times the local health multiplier + 1; at "   \
  "most heartbeat.interval_ms (the probe interval).")                        \
X(GOSSIP_INDIRECT, "topology.indirect_probes", "", 0, 16, NULL, R_NO,        \
  S_U32, F_DERIVED | F_GOSSIP,                                               \
  C(node.gossip.indirect_probes), 0, 0,                                      \
  "Gossip: members asked to probe a member that missed its direct ack "      \
  "(SWIM's k).")                                                             \
X(GOSSIP_RETRANSMIT, "topology.retransmit_mult", "", 1, 64, NULL, R_NO,      \
  S_U32, F_DERIVED | F_GOSSIP,                                               \
  C(node.gossip.retransmit_mult), 0, 0,                                      \
  "Gossip: each membership update rides on retransmit_mult x ceil(log10(n "  \
  "+ 1)) messages.")                                                         \
X(GOSSIP_SUSPICION, "topology.suspicion_mult", "", 1, 64, NULL, R_NO,        \
  S_U32, F_DERIVED | F_GOSSIP,                                               \
  C(node.gossip.suspicion_mult), 0, 0,                                       \
  "Gossip: the shortest suspicion timeout is suspicion_mult x max(1, "       \
  "log10 n) probe intervals; a suspect member not heard refuting by then "   \
  "is dead.")                                                                \
X(GOSSIP_SUSPICION_MAX, "topology.suspicion_max_mult", "", 1, 64, NULL, R_NO,\
  S_U32, F_DERIVED | F_GOSSIP,                                               \
  C(node.gossip.suspicion_max_mult), 0, 0,                                   \
  "Gossip: the suspicion timeout without any independent confirmation is "   \
  "this times the shortest (Lifeguard).")                                    \
X(GOSSIP_CONFIRMATIONS, "topology.confirmations", "", 1, 8, NULL, R_NO,      \
  S_U32, F_DERIVED | F_GOSSIP,                                               \
  C(node.gossip.confirmations), 0, 0,                                        \
  "Gossip: independent confirmations of a suspicion at which its timeout "   \
  "reaches the shortest (Lifeguard).")                                       \
X(GOSSIP_LHM_MAX, "topology.lhm_max", "", 0, 32, NULL, R_NO,                 \
  S_U32, F_DERIVED | F_GOSSIP,                                               \
  C(node.gossip.lhm_max), 0, 0,                                              \
  "Gossip: largest local health multiplier: a node missing its own acks "    \
  "probes up to lhm_max + 1 times slower and waits as much longer "          \
  "(Lifeguard); 0 turns it off.")                                            \
X(GOSSIP_FANOUT, "topology.fanout", "", 1, 16, NULL, R_NO,                   \
  S_U32, F_DERIVED | F_GOSSIP,                                               \
  C(node.gossip.fanout), 0, 0,                                               \
  "Gossip: members each gossip round sends pending updates to.")             \
X(GOSSIP_INTERVAL, "topology.gossip_interval_ms", "ms", 1, 3600000, NULL, R_NO,\
  S_MS, F_DERIVED | F_GOSSIP,                                                \
  C(node.gossip.gossip_interval_ns), 0, 0,                                   \
  "Gossip: period of the gossip rounds, while updates are pending; at "      \
  "most the probe interval.")                                                \
X(GOSSIP_RECONNECT, "topology.reconnect_interval_ms", "ms", 0, 3600000,     \
  NULL, R_NO,                                                                \
  S_MS, F_DERIVED | F_GOSSIP,                                                \
  C(node.gossip.reconnect_interval_ns), 0, 0,                                \
  "Gossip: every this long, ping one member held dead, which refutes if "    \
  "it was only cut off (a healed partition); 0: never.")                     \
X(GOSSIP_PUSH_PULL, "topology.push_pull_interval_ms", "ms", 0, 86400000,    \
  NULL, R_NO,                                                                \
  S_MS, F_DERIVED | F_GOSSIP,                                                \
  C(push_pull_interval_ns), 0, 0,                                            \
  "Gossip: every this long, exchange the whole membership with one random "  \
  "live member over TCP (anti-entropy, authenticated and encrypted with "    \
  "the cluster key); 0: only when joining.")                                 \
X(TOPOLOGY_GLOBAL_INTERVAL, "topology.global_interval_ms", "ms", 0,          \
  3600000, "0", R_NO, S_MS, 0, C(node.hier.global_interval_ns), 0, 0,       \
  "With topology.kind hierarchy: interval of the global level (the "         \
  "coordinators' heartbeats, election and summary digests), at least "       \
  "heartbeat.interval_ms; 0: 2.5 x heartbeat.interval_ms.")                  \
X(TOPOLOGY_RELIABLE, "topology.reliable_transport", "", 0, 1, "true", R_NO,  \
  S_BOOL, 0, C(reliable_transport), 0, 0,                                    \
  "With topology.kind hierarchy: carry region summaries, their repairs and " \
  "the global votes between coordinators of different regions over TCP "     \
  "(the listen address's TCP port; authenticated and encrypted with the "    \
  "cluster key), falling back to UDP while a connection is down or full; "   \
  "heartbeats stay UDP. false: UDP only, made reliable by digest repair "    \
  "(docs/hierarchy.md, Reliable transport).")                                \
X(TOPOLOGY_K, "topology.k", "", 1, HB_SUBSET_K_MAX, "3", R_NO,              \
  S_U32, 0, C(node.subset.k), 0, 0,                                          \
  "With topology.kind subset: how many monitors judge each node (its k "     \
  "successors on a hash ring of the node ids); a node is dead when k / 2 "   \
  "+ 1 of them say so. 3 keeps deciding with one monitor down, 5 with "      \
  "two.")                                                                    \
X(SOCKET, "control.socket", "", 0, 0, "/run/hbeat/hbeatd.sock", R_NO,        \
  S_PATH, F_SOCKET, C(control_socket), 0, 0,                                 \
  "Unix socket of the control protocol (hbeatctl).")                         \
X(HTTP_LISTEN, "http.listen", "", 0, 0, NULL, R_NO,                          \
  S_ADDR, 0, C(http_listen), C(http_listen_addr), C(http_listen_addr_len),   \
  "TCP address of the read-only HTTP endpoints /healthz, /readyz, "          \
  "/v1/status, /v1/members and /metrics (docs/http.md), and of push "      \
  "heartbeats (peers[].push); not set: no HTTP server.")                     \
X(HTTP_PUSH_WINDOW, "http.push_window_ms", "ms", 0, 86400000, "300000",      \
  R_YES, S_MS, 0, C(push_window_ns), 0, 0,                                   \
  "A push heartbeat's counter (the sender's wall clock, microseconds) may "  \
  "be at most this far from hbeatd's wall clock either way, so that a "      \
  "captured push cannot be replayed after hbeatd restarts (which forgets "   \
  "the last counters) once this time has passed; 0: no bound "              \
  "(docs/http.md, Push).")                                                   \
X(EVENTS_LISTEN, "events.listen", "", 0, 0, NULL, R_NO,                      \
  S_ADDR, 0, C(events.listen), C(events.listen_addr),                        \
  C(events.listen_addr_len),                                                 \
  "TCP address of the event stream: peer states, role, quorum, resource, "   \
  "fencing and check events delivered reliably (acknowledged, in order, "    \
  "resumable by event id) to `hbeatctl subscribe` over an authenticated, "   \
  "encrypted connection (docs/event-stream.md). Not set: no stream.")        \
X(EVENTS_KEY_FILE, "events.key_file", "", 0, 0, NULL, R_NO,                  \
  S_PATH, 0, C(events.key_file), 0, 0,                                       \
  "File holding the subscribers' pre-shared key, as cluster.key_file "       \
  "(hbeatctl keygen, chmod 600); use another key than the cluster's. "       \
  "Required with events.listen.")                                            \
X(EVENTS_LOG_SIZE, "events.log_size", "events", 16, 1000000, "10000", R_NO,  \
  S_U32, 0, C(events.log_size), 0, 0,                                        \
  "Events kept for subscribers that reconnect; one asking for an older "     \
  "event is told of the gap explicitly.")                                    \
X(EVENTS_WINDOW, "events.window", "events", 1, 10000, "64", R_NO,            \
  S_U32, 0, C(events.window), 0, 0,                                          \
  "Events sent to a subscriber and not yet acknowledged, at most "           \
  "(backpressure): it gets more only as it acknowledges.")                   \
X(EVENTS_MAX_SUBSCRIBERS, "events.max_subscribers", "", 1, 1024, "16", R_NO, \
  S_U32, 0, C(events.max_subscribers), 0, 0,                                 \
  "Connections at once (handshakes included); more are closed at once.")     \
X(EVENTS_TIMEOUT, "events.timeout_ms", "ms", 1000, 3600000, "30000", R_NO,   \
  S_MS, 0, C(events.timeout_ns), 0, 0,                                       \
  "A subscriber silent this long, or that acknowledges nothing this long "   \
  "while events wait for its ack, is disconnected (it may resume). The "     \
  "server pings every third of it; TCP keepalive and TCP_USER_TIMEOUT "      \
  "follow it (docs/tcp-keepalive.md).")                                      \
X(EVENTS_HANDSHAKE_TIMEOUT, "events.handshake_timeout_ms", "ms", 100,        \
  600000, "5000", R_NO,                                                      \
  S_MS, 0, C(events.handshake_timeout_ns), 0, 0,                             \
  "A connection that has not completed the handshake and subscribed "        \
  "within this is closed.")                                                  \
X(RES_START, "resource.start", "", 0, 0, NULL, R_YES,                        \
  S_ARGV, F_COORD, C(resource_start), 0, 0,                                  \
  "Run (program and arguments, no shell) when this node becomes leader, "    \
  "after fencing the previous leader; env HBEAT_TERM (the fencing token) "   \
  "and HBEAT_ROLE. Needs resource.stop (docs/actions.md). With "             \
  "topology.kind hierarchy: the global leader, the global term "             \
  "(docs/hierarchy.md).")                                                    \
X(RES_STOP, "resource.stop", "", 0, 0, NULL, R_YES,                          \
  S_ARGV, F_COORD, C(resource_stop), 0, 0,                                   \
  "Run when this node stops being leader; a failure or time-out "            \
  "self-fences (fencing.self_fence, else hbeatd exits 3). Needs "            \
  "resource.start.")                                                         \
X(RES_START_TIMEOUT, "resource.start_timeout_ms", "ms", 1, 3600000,          \
  "10000", R_YES,                                                            \
  S_MS, F_COORD, C(resource_start_timeout_ns), 0, 0,                         \
  "resource.start is killed (process group) after this; a failed start "     \
  "is followed by a stop.")                                                  \
X(RES_STOP_TIMEOUT, "resource.stop_timeout_ms", "ms", 1, 3600000,            \
  "10000", R_YES,                                                            \
  S_MS, F_COORD, C(resource_stop_timeout_ns), 0, 0,                          \
  "resource.stop is killed after this, and the node self-fences.")           \
X(FENCE_COMMAND, "fencing.command", "", 0, 0, NULL, R_YES,                   \
  S_ARGV, F_COORD, C(fence_command), 0, 0,                                   \
  "Run by a new leader before resource.start against each node that may "   \
  "still run the resource: the last leader it saw, every peer dead, "        \
  "suspect or unknown, every alive peer whose heartbeats say its resource "  \
  "may be up unless it reports it stopped in time (HBEAT_FENCE_TARGET, "     \
  "HBEAT_FENCE_TARGET_ID, HBEAT_TERM); only exit 0 lets the start go "       \
  "ahead (docs/actions.md).")                                                \
X(FENCE_TIMEOUT, "fencing.timeout_ms", "ms", 1, 3600000, "30000", R_YES,     \
  S_MS, F_COORD, C(fence_timeout_ns), 0, 0,                                  \
  "fencing.command (and self_fence) is killed after this; a killed fence "   \
  "counts as failed.")                                                       \
X(FENCE_SELF, "fencing.self_fence", "", 0, 0, NULL, R_YES,                   \
  S_ARGV, F_COORD, C(fence_self), 0, 0,                                      \
  "Run when resource.stop fails or hangs; unless it exits 0, hbeatd "        \
  "exits 3. Not set: hbeatd exits 3 at once.")                               \
X(FENCE_DELAY, "fencing.two_node_delay_ms", "ms", 0, 3600000, NULL, R_YES,   \
  S_MS, F_DERIVED | F_COORD, C(fence_two_node_delay_ns), 0, 0,               \
  "With quorum.two_node: the node with the higher node.id waits this "       \
  "long before fencing, so the lower id wins a fence race. The default "     \
  "covers the higher id's head start after a split (up to 6 intervals) "     \
  "plus 1 s for the lower id's fence command to power it off; a slower "     \
  "fence device needs its own time plus 6 intervals (docs/actions.md). 0: "  \
  "no delay.")                                                               \
X(WATCHDOG, "fencing.watchdog", "", 0, 0, NULL, R_YES,                       \
  S_PATH, F_COORD, C(watchdog), 0, 0,                                        \
  "Kernel watchdog device (/dev/watchdog), armed from before "               \
  "resource.start until a stop succeeded and fed every interval while "      \
  "the node may act as leader: a hung or dead hbeatd, or one that stepped "  \
  "down, stops feeding it and the machine resets unless the resource is "    \
  "stopped within the timeout. Without fencing.command a new leader waits "  \
  "watchdog_timeout_ms plus two intervals after the later of its election "  \
  "and the last time it heard the target instead of fencing it; not safe "   \
  "with quorum.two_node (both halves of a split may lead; "                  \
  "docs/actions.md). The same on every node; a change applies when it is "   \
  "next armed.")                                                             \
X(WATCHDOG_TIMEOUT, "fencing.watchdog_timeout_ms", "ms", 1000, 3600000,      \
  "5000", R_YES,                                                             \
  S_MS, F_COORD, C(watchdog_timeout_ns), 0, 0,                               \
  "Watchdog timeout set on the device (WDIOC_SETTIMEOUT, whole seconds, "    \
  "rounded up); the same on every node.")                                    \
X(RT_ENABLED, "realtime.enabled", "", 0, 1, "true", R_NO,                    \
  S_BOOL, 0, C(realtime.enabled), 0, 0,                                      \
  "Run the heartbeat loop (hbeatd's main thread) under SCHED_FIFO at "       \
  "realtime.priority, so that busy processes cannot delay heartbeats; "      \
  "children (scripts, checks, fencing) and helper threads keep normal "      \
  "scheduling. Without the privilege (CAP_SYS_NICE, or RLIMIT_RTPRIO at "    \
  "least the priority) hbeatd logs one warning naming what is missing "      \
  "and runs unchanged (docs/operations.md).")                                \
X(RT_PRIORITY, "realtime.priority", "", 1, 99, "40", R_NO,                   \
  S_U32, F_REALTIME, C(realtime.priority), 0, 0,                             \
  "Real-time priority of the loop: the default 40 is below the kernel's "    \
  "threaded interrupt handlers (50), which deliver the heartbeats, and its " \
  "per-CPU migration and watchdog threads (99).")                            \
X(RT_LOCK_MEMORY, "realtime.lock_memory", "", 0, 1, "true", R_NO,            \
  S_BOOL, F_REALTIME, C(realtime.lock_memory), 0, 0,                         \
  "Lock hbeatd's memory (mlockall), so that none of it is swapped out or "   \
  "evicted under memory pressure; needs CAP_IPC_LOCK or an unlimited "       \
  "RLIMIT_MEMLOCK.")                                                         \
X(RT_CPUS, "realtime.cpus", "", 0, 0, NULL, R_YES,                           \
  S_CPUS, F_REALTIME, C(realtime.cpus), C(realtime.cpu_set), 0,              \
  "CPUs the loop thread may run on, as a CPU list (0-1,3); children get "    \
  "hbeatd's CPUs from before the pinning back. Not set: not pinned.")        \
X(DAEMON_USER, "daemon.user", "", 0, 0, NULL, R_NO,                         \
  S_STR, 0, C(daemon.user), 0, 0,                                            \
  "User hbeatd switches to once its sockets are open, keeping only the "     \
  "capabilities the config needs (CAP_NET_ADMIN and CAP_NET_RAW for "        \
  "netlink vips, CAP_SYS_NICE and CAP_IPC_LOCK for realtime); scripts and "  \
  "commands then run as this user, and it must be able to read the key "     \
  "file and write the state file. Not set: hbeatd stays the user it was "    \
  "started as (docs/operations.md, \"User and capabilities\").")            \
X(DAEMON_GROUP, "daemon.group", "", 0, 0, NULL, R_NO,                       \
  S_STR, 0, C(daemon.group), 0, 0,                                           \
  "Group hbeatd switches to with daemon.user; not set: that user's "         \
  "primary group. Supplementary groups are the user's.")                     \
X(DAEMON_KEY_GROUP, "daemon.key_group", "", 0, 0, NULL, R_NO,                \
  S_STR, 0, C(daemon.key_group), 0, 0,                                       \
  "A group that may read the key files too (mode 0640 and this group), "     \
  "for a configuration tool that deploys keys; nobody else may read them. "  \
  "Not set: keys are readable by their owner only (0600).")                  \
X(DAEMON_TIMEZONE, "daemon.timezone", "", 0, 0, NULL, R_YES,                 \
  S_STR, 0, C(daemon.timezone), 0, 0,                                        \
  "Time zone of the schedules (checks[].between and days, peers[].between "  \
  "and days) and of the next run shown by hbeatctl checks: an IANA name of " \
  "the system's time zone database (Europe/Berlin, America/New_York, "       \
  "UTC). Not set: the system's zone (TZ, /etc/localtime).")                  \
X(PEER_NAME, "peers[].name", "", 0, 0, NULL, R_YES,                          \
  S_NAME, F_REQUIRED | F_PEER, P(name), 0, 0,                                \
  "Name of the peer; unique, not this node's name.")                         \
X(PEER_ID, "peers[].id", "", 1, 4294967295.0, NULL, R_ELECTION,              \
  S_U32, F_REQUIRED | F_PEER, P(id), 0, 0,                                   \
  "Node id of the peer; unique, not this node's id.")                        \
X(PEER_ADDRESS, "peers[].address", "", 0, 0, NULL, R_YES,                    \
  S_ADDR, F_PEER, P(address), P(addr), P(addr_len),                          \
  "Where heartbeats for this peer are sent (it runs hbeatd); unique, not "   \
  "this node's listen address. Each peer has exactly one of address, pull "  \
  "and push.")                                                               \
X(PEER_PULL, "peers[].pull", "", 0, 0, NULL, R_YES,                          \
  S_STR, F_PEER, P(pull), 0, 0,                                              \
  "A peer that runs no hbeatd, polled every heartbeat interval (timeout "    \
  "one interval) instead: http://, https:// (GET answered 200), "            \
  "tcp://HOST:PORT (connect) or udp://HOST:PORT (an RFC 862 echo of a "      \
  "random nonce). Each answer counts as its heartbeat, judged by the same "  \
  "detector and states (docs/checks.md).")                                   \
X(PEER_PUSH, "peers[].push", "", 0, 0, NULL, R_YES,                          \
  S_STR, F_PEER, P(push), 0, 0,                                              \
  "http: a program that runs no hbeatd sends its heartbeats as "             \
  "authenticated POST /v1/push/NAME requests to http.listen (needed), "      \
  "each a heartbeat judged by the same detector and states; needs "          \
  "token_file (docs/http.md, Push).")                                        \
X(PEER_TOKEN_FILE, "peers[].token_file", "", 0, 0, NULL, R_YES,              \
  S_PATH, F_PEER, P(token_file), 0, 0,                                       \
  "push: the peer's secret, a key as hbeatctl keygen writes it (base64 of "  \
  "32 bytes), with the permissions of a key file (chmod 600); the pushes' "  \
  "HMAC-SHA-256 key. Shared with the pushing program only.")                 \
X(PEER_BETWEEN, "peers[].between", "", 0, 0, NULL, R_YES,                    \
  S_STR, F_PEER, P(between), 0, 0,                                           \
  "pull: probe only inside this daily window, HH:MM-HH:MM in "               \
  "daemon.timezone (22:00-06:00 crosses midnight); outside it the peer is "  \
  "held: not probed, its state kept, never declared dead for that silence "  \
  "(docs/checks.md, Schedules).")                                            \
X(PEER_DAYS, "peers[].days", "", 0, 0, NULL, R_YES,                          \
  S_STR, F_PEER, P(days), 0, 0,                                              \
  "pull: the days the window opens on: mon-fri, sat,sun, daily (default).")  \
X(PEER_VOTES, "peers[].votes", "votes", 0, 255, "1", R_ELECTION,             \
  S_U32, F_PEER | F_COORD, P(votes), 0, 0,                                   \
  "Votes of the peer in the quorum; a pull peer has 0 and cannot vote.")     \
X(PEER_ROAMING, "peers[].roaming", "", 0, 1, "false", R_YES,                 \
  S_BOOL, F_PEER, P(roaming), 0, 0,                                          \
  "Accept the peer's messages from any address, not only from its "          \
  "address (for NAT or addresses that change). Otherwise a message that "    \
  "comes from elsewhere is dropped (bad_source): a host on the path cannot " \
  "hide a cut by relaying the peer's heartbeats.")                           \
X(PEER_ADDRESSES, "peers[].addresses", "", 0, 0, NULL, R_YES,               \
  S_STRS, F_PEER, P(addresses), 0, 0,                                        \
  "With links: the peer's address on each link, HOST:PORT, in the order "    \
  "of links (one per link). Instead of address.")                            \
X(PEER_CLASS, "peers[].class", "", 0, 0, NULL, R_YES,                       \
  S_NAME, F_PEER, P(class_name), 0, 0,                                       \
  "The peer's class (classes[].name, docs/classes.md): the interval, "       \
  "detector and thresholds it is judged with. Not set: the top-level "       \
  "heartbeat.interval_ms and detector.* (the class 'default').")             \
X(PEER_REGION, "peers[].region", "", 0, 64, "0", R_ELECTION,                 \
  S_U32, F_PEER, P(region), 0, 0,                                            \
  "With topology.kind hierarchy: the peer's region, 1 to 64 (required).")    \
X(PEER_ELECTOR, "peers[].elector", "", 0, 1, "false", R_ELECTION,            \
  S_BOOL, F_PEER, P(elector), 0, 0,                                          \
  "With topology.kind hierarchy: the peer is an elector of its region "      \
  "(its node.elector); the same list on every node.")                        \
X(CHECK_NAME, "checks[].name", "", 0, 0, NULL, R_YES,                        \
  S_NAME, F_REQUIRED | F_CHECK, Q(name), 0, 0,                               \
  "Name of the health check; unique among checks, not a pull peer's name "   \
  "(docs/checks.md).")                                                       \
X(CHECK_KIND, "checks[].kind", "", 0, 0, NULL, R_YES,                        \
  S_CHECK_KIND, F_REQUIRED | F_CHECK, Q(kind), 0, 0,                         \
  "exec (run command, exit 0 passes), tcp (connect to every address of "     \
  "target) or http (GET url, expect_status passes).")                        \
X(CHECK_COMMAND, "checks[].command", "", 0, 0, NULL, R_YES,                  \
  S_ARGV, F_CHECK, Q(argv), 0, 0,                                            \
  "exec: the program and its arguments, run without a shell; a relative "    \
  "program is resolved against the config directory when it contains a "     \
  "slash, else searched in PATH.")                                           \
X(CHECK_TARGET, "checks[].target", "", 0, 0, NULL, R_YES,                    \
  S_STR, F_CHECK, Q(target), 0, 0,                                           \
  "tcp: HOST:PORT or [V6]:PORT; HOST is resolved at every run and every "    \
  "address it resolves to must accept a connection.")                        \
X(CHECK_URL, "checks[].url", "", 0, 0, NULL, R_YES,                          \
  S_STR, F_CHECK, Q(url), 0, 0,                                              \
  "http: http:// or https:// URL fetched with GET.")                         \
X(CHECK_EXPECT, "checks[].expect_status", "", 100, 599, "200", R_YES,        \
  S_U32, F_CHECK, Q(expect_status), 0, 0,                                    \
  "http: the status code that passes.")                                      \
X(CHECK_INTERVAL, "checks[].interval_ms", "ms", 10, 3600000, "2000", R_YES,  \
  S_MS, F_CHECK, Q(interval_ns), 0, 0,                                       \
  "Time between the starts of two runs.")                                    \
X(CHECK_TIMEOUT, "checks[].timeout_ms", "ms", 1, 3600000, "1000", R_YES,     \
  S_MS, F_CHECK, Q(timeout_ns), 0, 0,                                        \
  "A run not finished after this fails (exec: its process group is "         \
  "killed); at most interval_ms.")                                           \
X(CHECK_RISE, "checks[].rise", "runs", 1, 1000, "2", R_YES,                  \
  S_U32, F_CHECK, Q(rise), 0, 0,                                             \
  "Consecutive successes that make the check passing.")                      \
X(CHECK_FALL, "checks[].fall", "runs", 1, 1000, "3", R_YES,                  \
  S_U32, F_CHECK, Q(fall), 0, 0,                                             \
  "Consecutive failures that make the check failing.")                       \
X(CHECK_DELAY, "checks[].initial_delay_ms", "ms", 0, 3600000, "0", R_YES,    \
  S_MS, F_CHECK, Q(initial_delay_ns), 0, 0,                                  \
  "Time after start (or reload) before the first run.")                      \
X(CHECK_BETWEEN, "checks[].between", "", 0, 0, NULL, R_YES,                  \
  S_STR, F_CHECK, Q(between), 0, 0,                                          \
  "Run only inside this daily window, HH:MM-HH:MM in daemon.timezone, at "   \
  "its start and every interval_ms after it (22:00-06:00 crosses "           \
  "midnight); outside it the check keeps its last state (docs/checks.md, "   \
  "Schedules).")                                                             \
X(CHECK_DAYS, "checks[].days", "", 0, 0, NULL, R_YES,                        \
  S_STR, F_CHECK, Q(days), 0, 0,                                             \
  "The days the window opens on: mon-fri, sat,sun, mon,wed-fri, daily "      \
  "(default); without between, all day on those days.")                     \
X(CHECK_WEIGHT, "checks[].weight", "", -255, 255, "0", R_YES,                \
  S_INT, F_CHECK | F_COORD, Q(weight), 0, 0,                                 \
  "Priority adjustment (keepalived track_script semantics): > 0 is added "   \
  "to election.priority while passing, < 0 is added (subtracted) while "     \
  "failing; the sum is clamped to 0..255. Not with effect.")                 \
X(CHECK_EFFECT, "checks[].effect", "", 0, 0, NULL, R_YES,                    \
  S_EFFECT, F_CHECK | F_COORD, Q(fault), 0, 0,                               \
  "fault: while the check is not passing this node neither leads nor "       \
  "stands for leader. Not with weight.")                                     \
X(VIP_ADDRESS, "vips[].address", "", 0, 0, NULL, R_YES,                      \
  S_STR, F_REQUIRED | F_VIP | F_COORD, V(address), 0, 0,                     \
  "Virtual IP held by the leader once its leadership is established, "       \
  "with its prefix length: 10.0.0.100/24 "                                   \
  "or 2001:db8::100/64; unique (docs/vip.md).")                              \
X(VIP_INTERFACE, "vips[].interface", "", 0, 0, NULL, R_YES,                  \
  S_STR, F_REQUIRED | F_VIP | F_COORD, V(interface), 0, 0,                   \
  "Interface the address is added to (and announced on): a name of 1..15 "   \
  "bytes.")                                                                  \
X(VIP_PROVIDER, "vips[].provider", "", 0, 0, "netlink", R_YES,                \
  S_VIP_PROVIDER, F_VIP | F_COORD, V(provider), 0, 0,                        \
  "netlink (hbeatd adds and removes the address itself, then announces "     \
  "it with gratuitous ARP or unsolicited neighbour advertisements) or "      \
  "exec (runs up and down instead).")                                        \
X(VIP_UP, "vips[].up", "", 0, 0, NULL, R_YES,                                \
  S_ARGV, F_VIP | F_COORD, V(up), 0, 0,                                      \
  "exec: program and arguments run on becoming leader (env HBEAT_VIP, "      \
  "HBEAT_INTERFACE, HBEAT_TERM); killed after notify.timeout_ms.")           \
X(VIP_DOWN, "vips[].down", "", 0, 0, NULL, R_YES,                            \
  S_ARGV, F_VIP | F_COORD, V(down), 0, 0,                                    \
  "exec: program and arguments run on stepping down and at shutdown; "       \
  "killed after notify.timeout_ms.")                                         \
X(KEYS_ID, "keys[].id", "", 0, 255, NULL, R_YES,                             \
  S_U32, F_REQUIRED | F_KEY, K(id), 0, 0,                                    \
  "Key id: every message sent under this key names it, and a receiver "      \
  "picks the key by it; unique. At most 8 keys.")                            \
X(KEYS_FILE, "keys[].file", "", 0, 0, NULL, R_YES,                           \
  S_PATH, F_REQUIRED | F_KEY, K(file), 0, 0,                                 \
  "File holding the key, as cluster.key_file (base64, chmod 600).")          \
X(KEYS_ENCRYPTION, "keys[].encryption", "", 0, 0, NULL, R_YES,               \
  S_ENCRYPTION, F_KEY, K(encryption), 0, 0,                                  \
  "This key's mode, none or aead; default cluster.encryption. Moving a "     \
  "running cluster to encryption is a key rotation to a key with aead.")     \
X(LINK_NAME, "links[].name", "", 0, 0, NULL, R_NO,                           \
  S_NAME, F_REQUIRED | F_LINK, L(name), 0, 0,                                \
  "Name of a link (a redundant network path to every peer, "                 \
  "docs/links.md); unique. At most 8 links; with links, listen is not "      \
  "used and every peer has addresses instead of address.")                   \
X(LINK_LISTEN, "links[].listen", "", 0, 0, NULL, R_NO,                       \
  S_ADDR, F_LINK, L(listen), L(listen_addr),                                 \
  L(listen_addr_len),                                                        \
  "UDP address heartbeats are received on over this link (this node's "      \
  "address on that network); unique. Every link has exactly one of "        \
  "listen, device and tty; links[0] has listen.")                            \
X(LINK_DEVICE, "links[].device", "", 0, 0, NULL, R_NO,                       \
  S_PATH, F_LINK, L(device), 0, 0,                                           \
  "A disk link (docs/links.md, Disk link): the shared block device or file " \
  "(on a file system with O_DIRECT, not tmpfs) whose slot node.id - 1 this " \
  "node writes its heartbeat into every interval, reading every slot. "     \
  "Peers give the address 'disk' for this link. Not for links[0].")          \
X(LINK_SLOT_SIZE, "links[].slot_size", "bytes", 512, 4096, "512", R_NO,      \
  S_U32, F_LINK, L(slot_size), 0, 0,                                         \
  "Disk link: bytes per slot, 512 or 4096 (at least the device's logical "   \
  "block size); the same on every node.")                                    \
X(LINK_SLOTS, "links[].slots", "slots", 1, 256, "16", R_NO,                  \
  S_U32, F_LINK, L(slots), 0, 0,                                             \
  "Disk link: number of slots, the same on every node; node ids 1 .. "       \
  "slots (slot = id - 1). The device holds at least slots x slot_size "      \
  "bytes.")                                                                  \
X(LINK_TTY, "links[].tty", "", 0, 0, NULL, R_NO,                             \
  S_PATH, F_LINK, L(tty), 0, 0,                                              \
  "A serial link (docs/links.md, Serial link): the tty of a null-modem "     \
  "cable to the one peer (e.g. /dev/ttyS1), set raw, no flow control. "      \
  "Peers give the address 'serial' for this link; point-to-point, so "       \
  "exactly one peer. Not for links[0].")                                     \
X(LINK_BAUD, "links[].baud", "bit/s", 9600, 4000000, "115200", R_NO,         \
  S_U32, F_LINK, L(baud), 0, 0,                                              \
  "Serial link: line speed, a standard rate (9600, 19200, 38400, 57600, "    \
  "115200, 230400, 460800, 921600, 1000000, 1500000, 2000000, 3000000, "     \
  "4000000); the same at both ends.")                                        \
X(LINK_INTERFACE, "links[].interface", "", 0, 0, NULL, R_NO,                 \
  S_STR, F_LINK, L(interface), 0, 0,                                         \
  "Bind the link's socket to this interface (SO_BINDTODEVICE): its "         \
  "heartbeats leave and are taken only there, whatever the routes say. "     \
  "1..15 bytes. On a multicast link also the interface the group is "        \
  "joined on and heartbeats to it leave by (IP_MULTICAST_IF).")              \
X(LINK_TRANSPORT, "links[].transport", "", 0, 0, "unicast", R_NO,            \
  S_TRANSPORT, F_LINK, L(transport), 0, 0,                                   \
  "How heartbeats go out on this link (docs/links.md): unicast, one "        \
  "datagram per peer (the default; clouds need it); multicast, one "         \
  "datagram per interval to links[].group; broadcast, one datagram per "     \
  "interval to the IPv4 broadcast address in links[].group. Acks and "       \
  "votes stay unicast; only configured peers are members.")                  \
X(LINK_GROUP, "links[].group", "", 0, 0, NULL, R_NO,                         \
  S_ADDR, F_LINK, L(group), L(group_addr), L(group_addr_len),               \
  "With transport multicast: the group, GROUP:PORT (224.0.0.0/4) or "        \
  "[GROUP%IFACE]:PORT (ff00::/8); with broadcast: the IPv4 broadcast "       \
  "address of the segment and port. The same at every node; the family "    \
  "of links[].listen.")                                                      \
X(LINK_TTL, "links[].ttl", "", 1, 255, NULL, R_NO,                           \
  S_U32, F_LINK, L(ttl), 0, 0,                                               \
  "With transport multicast: TTL (IPv4) or hop limit (IPv6) of the "         \
  "heartbeats sent to the group; default 1 (the local segment).")            \
X(CLASS_NAME, "classes[].name", "", 0, 0, NULL, R_YES,                       \
  S_NAME, F_REQUIRED | F_CLASS, CL(name), 0, 0,                              \
  "Name of a peer class (docs/classes.md): peers[].class refers to it; "     \
  "unique, not 'default' (the top-level timing). At most 8 classes.")        \
X(CLASS_INTERVAL, "classes[].interval_ms", "ms", 1, 3600000, NULL, R_YES,    \
  S_MS, F_REQUIRED | F_CLASS, CL(interval_ns), 0, 0,                         \
  "Heartbeat interval the peers of the class are judged at.")                \
X(CLASS_KIND, "classes[].detector", "", 0, 0, NULL, R_YES,                   \
  S_KIND, F_CLASS, CL(kind), 0, 0,                                           \
  "The class's failure detector: a kind (as detector.kind), its "           \
  "parameters at their defaults for the class's interval; or a map of "      \
  "kind and any detector.* parameter, e.g. {kind: phi, window: 50}. "        \
  "Default detector.kind.")                                                  \
X(CLASS_SUSPECT, "classes[].suspect_threshold", "per kind", 0, 1000000,      \
  NULL, R_YES, S_NUM, F_CLASS | F_MIN_OPEN, CL(suspect_threshold), 0, 0,     \
  "As detector.suspect_threshold, for the class; default the kind's.")       \
X(CLASS_DEAD, "classes[].dead_threshold", "per kind", 0, 1000000, NULL,      \
  R_YES, S_NUM, F_CLASS | F_MIN_OPEN, CL(dead_threshold), 0, 0,              \
  "As detector.dead_threshold, for the class; default the kind's; >= "       \
  "suspect_threshold.")                                                      \
X(CLASS_DEAD_AFTER, "classes[].dead_after_ms", "ms", 0, 3600000, NULL,       \
  R_YES, S_MS, F_CLASS, CL(dead_after_ns), 0, 0,                             \
  "As detector.dead_after_ms, for the class; default 4 x its interval.")     \
X(CLASS_PROBATION, "classes[].probation_ms", "ms", 0, 3600000, NULL, R_YES,  \
  S_MS, F_CLASS, CL(probation_ns), 0, 0,                                     \
  "As membership.probation_ms, for the class; default 5 x its interval.")    \
X(CLASS_AD_MIN, "classes[].adaptive.min_interval_ms", "ms", 1, 3600000,      \
  NULL, R_YES, S_MS, F_CLASS, CL(ad_min_ns), 0, 0,                           \
  "Adaptive interval (docs/classes.md): the class's interval follows the "   \
  "RTT of its peers between this and max_interval_ms (both required; "       \
  "min <= interval_ms <= max); every change is announced to the peers.")     \
X(CLASS_AD_MAX, "classes[].adaptive.max_interval_ms", "ms", 1, 3600000,      \
  NULL, R_YES, S_MS, F_CLASS, CL(ad_max_ns), 0, 0,                           \
  "Largest interval of an adaptive class.")                                  \
X(CLASS_AD_RTT, "classes[].adaptive.rtt_factor", "", 0, 1000, "10", R_YES,   \
  S_NUM, F_CLASS | F_MIN_OPEN, CL(ad_rtt_factor), 0, 0,                      \
  "The interval aimed at is this x the largest RTT p99 of the class's "      \
  "peers, within the bounds.")                                               \
X(CLASS_AD_DAMP, "classes[].adaptive.dampening_ms", "ms", 1, 3600000, NULL,  \
  R_YES, S_MS, F_CLASS, CL(ad_dampening_ns), 0, 0,                           \
  "The rule is evaluated, and the interval changes, at most once per this "  \
  "period; default 30 x the current interval, at least 1000.")               \
X(CLASS_AD_HYST, "classes[].adaptive.hysteresis", "", 0, 1, "0.2", R_YES,    \
  S_NUM, F_CLASS, CL(ad_hysteresis), 0, 0,                                   \
  "No change while the interval aimed at is within this fraction of the "    \
  "current one.")                                                            \
X(CLASS_AD_RAISE, "classes[].adaptive.raise", "", 1, 10, "1.5", R_YES,       \
  S_NUM, F_CLASS, CL(ad_raise), 0, 0,                                        \
  "Largest factor the interval rises by in one evaluation.")                 \
X(CLASS_AD_LOWER, "classes[].adaptive.lower", "", 0, 1, "0.8", R_YES,        \
  S_NUM, F_CLASS | F_MIN_OPEN, CL(ad_lower), 0, 0,                           \
  "Smallest factor the interval falls by in one evaluation.")                \
X(CLASS_AD_LOSS, "classes[].adaptive.loss_high", "", 0, 1, "0.05", R_YES,    \
  S_NUM, F_CLASS, CL(ad_loss_high), 0, 0,                                    \
  "Loss (heartbeats of the class's peers missed / expected since the last "  \
  "evaluation) above which the interval is not lowered.")                    \
X(CLASS_AD_HOLD, "classes[].adaptive.hold", "", 1, 100, "3", R_YES,          \
  S_U32, F_CLASS, CL(ad_hold), 0, 0,                                         \
  "Evaluations in a row that must want a lower interval before it is "       \
  "lowered (a rise is at once).")

/* Room for detector parameters (a unit test checks that the schema fits:
 * test_config.c). */
#define HBD_DETECTOR_SLOTS 24

enum knob_id {
#define X(id, ...) K_##id,
        HBD_KNOB_ROWS_HEAD(X)
        K_DETECTOR,
        K_DETECTOR_LAST = K_DETECTOR + HBD_DETECTOR_SLOTS - 1,
        HBD_KNOB_ROWS_TAIL(X)
#undef X
        K_COUNT
};

/* Longest knob path, bytes, NUL included ("detector." + a schema key). */
#define KNOB_PATH_MAX 64

/* Everything about one knob, whichever table it comes from. */
struct knob {
        char path[KNOB_PATH_MAX];
        const char *name;               /* `path`, static: NULL for the
                                           detector rows (built paths) */
        const char *unit;
        double min, max;
        const char *default_text;       /* NULL: none or derived */
        hbd_reload_t reload;
        enum store store;
        unsigned flags;                 /* F_* */
        size_t off, addr_off, len_off;
        const char *help;
};

/* Longest value quoted in a message, bytes, before "...". */
#define QUOTE_MAX 64
/* Size of the buffer hbd__quote() writes into. */
#define QUOTE_BUF (QUOTE_MAX * 4 + 4)

/* Parser state of one load, on load_string()'s stack: no globals. */
struct loader {
        const char *name;       /* file name for messages (borrowed) */
        char *err;              /* caller's buffer, may be NULL */
        size_t errlen;
        yaml_document_t *doc;
        char *dir;              /* absolute directory of the file, owned */
        unsigned flags;         /* HBD_CONFIG_* */
        const struct knob *knobs; /* hbd__knobs(), K_COUNT of them */
};

/* Where the knobs of one mapping walk were found. */
struct found {
        const yaml_node_t *key[K_COUNT];      /* leaf: key node */
        const yaml_node_t *val[K_COUNT];      /* leaf: value node */
        /* Sections ("node", "peers"), indexed by their first knob. */
        const yaml_node_t *sect_key[K_COUNT];
        const yaml_node_t *sect_val[K_COUNT];
        /* Where a missing knob should have been (for "missing" errors). */
        yaml_mark_t parent[K_COUNT];
};

/* ---- config.c: messages, YAML helpers, pass 1 -------------------------- */

/*
 * Write "NAME:LINE:COL: message" (or "NAME: message" without a mark) into
 * l->err and return `code`. libyaml marks are 0-based; messages are 1-based.
 */
int hbd__fail_at(struct loader *l, const yaml_mark_t *mark, int code,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Copy `text` for a one-line message: control bytes become \xNN, long text
 * is cut at QUOTE_MAX bytes with "...". `out` holds QUOTE_BUF bytes.
 * Returns `out`.
 */
const char *hbd__quote(const char *text, size_t len, char *out);

/* "a scalar", "a mapping", ...: for "expected X, found Y". */
const char *hbd__node_type_name(const yaml_node_t *n);

/* A plain empty, "~" or "null" scalar: YAML's null. */
bool hbd__is_null(const yaml_node_t *n);

/* Knob `k` written in the file with a value (not absent, not null)? */
bool hbd__given(const struct found *f, size_t k);

/*
 * A scalar's text (borrowed from the document), refusing other nodes and
 * embedded NULs; `label` names the value in messages.
 */
int hbd__scalar_text(struct loader *l, const yaml_node_t *n,
                     const char *label, const char **text);

/* dir + "/" + rel, malloc'ed (caller frees), or NULL when out of memory. */
char *hbd__join_path(const char *dir, const char *rel);

/*
 * Pass 1: record in `f` where each knob of mapping `map` is. `prefix` is ""
 * at the top level, "node." in a section, "peers[]." in a peer entry;
 * `where` names the mapping in messages ("node", "peers[1]"), NULL at the
 * top level. `parent` is where a missing knob of this mapping is reported.
 */
int hbd__walk(struct loader *l, struct found *f, const yaml_node_t *map,
              const char *prefix, const char *where,
              const yaml_mark_t *parent);

/*
 * Apply every derived default for `kind` at `interval_ns` to `cfg`: the
 * core's node defaults (hb_node_config_default(): thresholds, detector
 * parameters, dead_after, probation, election delay, the local-pause
 * bound) and the core policy's two-node fence delay
 * (hb_policy_two_node_delay_default()). The one place they are computed: the load
 * applies them and the knob table's default texts are generated from them.
 */
void hbd__config_derive(hbd_config_t *cfg, hb_detector_kind_t kind,
                        uint64_t interval_ns);

/* ---- config_knobs.c: the table's values -------------------------------- */

/*
 * Every knob in full: out[k] for k < K_COUNT, the detector slots filled
 * from the core's schema in its order; the slots left over get F_UNUSED
 * and an empty path. Resolved once per load (struct loader.knobs) and per
 * call of the other entry points: a detector slot costs a walk of the
 * schema.
 */
void hbd__knobs(struct knob out[K_COUNT]);

/* Id of the knob of `knobs` (hbd__knobs()) whose path is `path`
 * ("detector.window"), or -1. */
int hbd__knob_find(const struct knob *knobs, const char *path);

/*
 * Pass 2 for one knob: set knob `k` in `base` (hbd_config_t, or the entry
 * for list knobs) from what pass 1 found, or its default. `index` is the
 * entry's index for list knobs; `kind` the detector kind (kind-specific
 * knobs, F_FOR(), are refused for another kind).
 */
int hbd__class_detector(struct loader *l, const yaml_node_t *map, size_t i,
                        hb_detector_kind_t dflt, hbd_config_t *cfg,
                        hb_detector_kind_t *kind_out);
int hbd__knob_apply(struct loader *l, const struct found *f, size_t k,
                    size_t index, void *base, hb_detector_kind_t kind);

/*
 * Knob `k` took a derived default (4 x interval, ...): fail when that lies
 * outside the range allowed for an explicit value.
 */
int hbd__knob_check_derived(struct loader *l, const struct found *f,
                            size_t k, const hbd_config_t *cfg);

/*
 * Knob `kn`'s default as text into `buf`: its default_text; for F_DERIVED
 * the rule read off hbd__config_derive() ("4 x interval", "interval / 4",
 * "2 x interval, 50..3600000", "100"), for detector `kind`, or with
 * HB_DETECTOR_ALL for every kind the knob applies to ("8 (phi), 3 (fixed,
 * phi_exp)" when they differ); "" when there is none.
 */
void hbd__knob_default_text(const struct knob *kn, hb_detector_kind_t kind,
                            char *buf, size_t len);

/* ---- config_store.c: values by store ----------------------------------- */

/*
 * Parse `text` (from the file at `mark`, or a default text when `mark` is
 * NULL) as knob `kn` and store it into `base` (hbd_config_t, or the list
 * entry); `label` names the value in messages. Not for S_ARGV.
 */
int hbd__store_set(struct loader *l, const struct knob *kn,
                   const char *label, const char *text,
                   const yaml_mark_t *mark, void *base);

/*
 * S_ARGV: a non-empty sequence of non-empty strings `val` into a
 * NULL-terminated array at knob `kn` of `base`.
 */
int hbd__store_set_argv(struct loader *l, const struct knob *kn,
                        const char *label, const yaml_node_t *val,
                        void *base);

/* A knob's stored value, in the file's unit (ms, not ns); 0 for the
 * stores that are not numbers. */
double hbd__store_number(const struct knob *kn, const void *base);

/* Same stored value of knob `kn` in `a` and `b` (both of its base type)? */
bool hbd__knob_equal(const struct knob *kn, const void *a, const void *b);

/* What the file writes for store `s`, for the docs: "uint", "path", ... */
const char *hbd__store_type(enum store s);

/* Do min and max apply to store `s` (a number)? */
bool hbd__store_ranged(enum store s);

/* The accepted values of a knob that is not a number, as text ("exec,
 * tcp, http", "true, false", ...); "" when anything non-empty goes. */
void hbd__store_values(const struct knob *kn, char *buf, size_t len);

/* Is `v` within knob `kn`'s range? */
bool hbd__in_range(const struct knob *kn, double v);

/* "1..3600000", "> 0 .. 1000000": the range of a numeric knob. */
const char *hbd__range_text(const struct knob *kn, char *buf, size_t cap);

/*
 * The detector kinds of `flags` (F_FOR() bits; every kind when there is
 * none), in kind order, as "phi, chen or bertier" with `last` (" or ",
 * ", ") before the last one. 96 bytes hold all six names.
 */
const char *hbd__kinds_text(unsigned flags, const char *last, char *buf,
                            size_t cap);

/* "exec", "tcp", "http": the word of checks[].kind for `kind`. */
const char *hbd__check_kind_name(uint32_t kind);

/* Free a NULL-terminated argv (S_ARGV) and its strings; NULL is a no-op. */
void hbd__argv_free(char **argv);


/* ---- config_lists.c: peers[], checks[], vips[] -------------------------- */

/*
 * Load the peers[] sequence `seq` (NULL or null: no peers) into cfg->peers
 * and check them against this node and each other. On failure cfg->peers
 * may be partly filled; hbd_config_free() releases it.
 */
int hbd__load_peers(struct loader *l, const yaml_node_t *seq,
                    hbd_config_t *cfg);

/*
 * Load the checks[] sequence `seq` (NULL or null: none) into cfg->checks
 * and check each entry: the keys its kind needs and only those, a valid
 * target or url, timeout_ms <= interval_ms, weight and effect not both
 * and only with election.enabled, unique names. On failure cfg->checks
 * may be partly filled; hbd_config_free() releases it.
 */
int hbd__load_checks(struct loader *l, const yaml_node_t *seq,
                     hbd_config_t *cfg);

/*
 * Load the vips[] sequence `seq` (NULL or null: none; its key `key` for
 * messages) into cfg->vips: ADDR/PREFIX addresses, unique; up and down
 * exactly with provider exec; only with election.enabled. On failure
 * cfg->vips may be partly filled; hbd_config_free() releases it.
 */
/* links[] (docs/links.md): before peers[]; not with `listen`. */
int hbd__load_classes(struct loader *l, const struct found *f,
                      hbd_config_t *cfg);
int hbd__load_links(struct loader *l, const struct found *f,
                    hbd_config_t *cfg);
int hbd__load_vips(struct loader *l, const yaml_node_t *key,
                   const yaml_node_t *seq, hbd_config_t *cfg);

/*
 * Load the keys[] sequence `seq` (NULL or null: none; its key `key` for
 * messages) into cfg->keys: at most HB_KEYRING_MAX entries, unique ids,
 * each entry's mode defaulting to cfg->encryption (set before); with
 * `read`, each entry's key file into cfg->node.keyring.
 */
int hbd__load_key_list(struct loader *l, const yaml_node_t *key,
                       const yaml_node_t *seq, hbd_config_t *cfg, bool read);

/* Read key file `path` (`label` in messages, its value at `at`) into
 * `out`: a regular file, mode 0600 or stricter, owned by root, this user
 * or cfg's daemon.user (hbd__check_daemon_user() first), holding one
 * base64 key (hb_key_from_base64()). */
int hbd__read_key_file(struct loader *l, const hbd_config_t *cfg,
                       const yaml_mark_t *at, const char *label,
                       const char *path, hb_key_t *out);

/* ---- config_rules.c: rules across keys, files -------------------------- */

/*
 * Cross-field checks of the detector section: detector.dead_threshold >=
 * detector.suspect_threshold; with kind adaptive, adaptive_min_ms <=
 * adaptive_initial_ms <= adaptive_max_ms and adaptive_low_ratio <=
 * adaptive_high_ratio.
 */
int hbd__check_thresholds(struct loader *l, const struct found *f,
                          const hbd_config_t *cfg);

/* The default election.state_file for node `name`:
 * /var/lib/hbeat/NAME.state, into `buf`. */
void hbd__state_file_default(char *buf, size_t len, const char *name,
                             const char *suffix);

/*
 * The key ring: cluster.key_file (one key, id 0) or keys[] (each entry's
 * file, ids unique, at most HB_KEYRING_MAX, cluster.primary_key one of
 * them), exactly one of the two. Reads every key file (permissions
 * checked first) into cfg->node.keyring unless `read` is false (ids and
 * primary are checked either way).
 */
/* events.*: events.key_file exactly with events.listen, read (when
 * `read`) into cfg->events.key with hbd__read_key_file()'s checks. */
int hbd__check_events(struct loader *l, const struct found *f,
                      hbd_config_t *cfg, bool read);

int hbd__load_keys(struct loader *l, const struct found *f,
                   hbd_config_t *cfg, bool read);

/* notify.script and the notify.on_* scripts, when set, are executable
 * regular files; fencing.watchdog, when set, a character device. */
int hbd__check_script(struct loader *l, const struct found *f,
                      const hbd_config_t *cfg);

/*
 * Quorum and election: F_COORD keys given without election.enabled (top
 * level; the peers' are checked as they load), two_node with exactly one
 * peer and one vote each, witness with a vote, expected_votes >= the sum
 * of configured votes, at least one vote in all. Sets the derived
 * default election.state_file first.
 */
/*
 * The program of a command (argv[0] of an S_ARGV value), which hbeatd
 * runs, often as root: refused (at `at`) when another user could replace
 * it (review F5, as sshd's StrictModes): the file, once found (a path
 * with a slash as given; a bare name in hbeatd's PATH), or, for a path
 * that does not exist yet, its directory. A program not found is left to
 * fail when run.
 */
int hbd__check_program(struct loader *l, const yaml_mark_t *at,
                       const char *label, const char *program);

/* node.incarnation_file's default, /var/lib/hbeat/NODE.incarnation, when
 * not given (needs node.name). */
int hbd__derive_incarnation_file(struct loader *l, hbd_config_t *cfg);
int hbd__check_coord(struct loader *l, const struct found *f,
                     hbd_config_t *cfg);

/* daemon.user and daemon.group name a user and group of this system:
 * cfg->daemon.uid and .gid are filled. */
int hbd__check_daemon_user(struct loader *l, const struct found *f,
                           hbd_config_t *cfg);
/* daemon.timezone, when set, names a zone of the database
 * (hbs_zone_check()). */
int hbd__check_timezone(struct loader *l, const struct found *f,
                        const hbd_config_t *cfg);

/* Read every push peer's token_file into its push_key (with `read`;
 * after hbd__check_daemon_user(): the rules of hbd__read_key_file()). */
int hbd__load_push_tokens(struct loader *l, hbd_config_t *cfg, bool read);

/* The other realtime.* keys given with realtime.enabled: false. */
int hbd__check_realtime(struct loader *l, const struct found *f,
                        const hbd_config_t *cfg);
/* topology.*: the monitors resolved to node ids into
 * cfg->node.n_monitors and .monitors (after the peers). */
int hbd__check_topology(struct loader *l, const struct found *f,
                        hbd_config_t *cfg);

#endif /* HBD_CONFIG_IMPL_H */
