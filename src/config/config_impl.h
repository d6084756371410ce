/* SPDX-License-Identifier: MIT */
/*
 * Internals of the configuration loader (src/config/), shared by its
 * files only (nothing else may include this; the contract is config.h):
 *
 *   config.c        entry points, YAML document loading, pass 1 (walk()),
 *                   the top-level load_document() flow, message helpers
 *   config_knobs.c  the knob table instantiated (hbd_knobs[], how each knob
 *                   is stored), value parsing and setting, pass 2 per knob
 *   config_lists.c  the list sections: peers[], checks[], vips[]
 *   config_rules.c  rules across keys (thresholds, quorum and election)
 *                   and checks of files (key file, scripts, watchdog)
 *
 * The knob table itself (HBD_KNOB_ROWS) lives here because the knob ids
 * (enum knob_id) are derived from it and every file indexes by them; its
 * rows are expanded into data only in config_knobs.c.
 */
#ifndef HBD_CONFIG_IMPL_H
#define HBD_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "config/config.h"

/* How a knob's value is stored. */
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
};

enum {
        F_REQUIRED = 1u << 0, /* no default: must be given */
        F_DERIVED = 1u << 1,  /* default from hb_node_config_default();
                                 default_text only describes it */
        F_FIRST = 1u << 2,    /* read before the defaults are applied */
        F_CHECK = 1u << 3,    /* key of a checks[] entry (hbd_check_conf_t) */
        F_MIN_OPEN = 1u << 4, /* value must be > min (not >= min) */
        F_PEER = 1u << 5,     /* key of a peers[] entry (hbd_peer_conf_t) */
        F_SOCKET = 1u << 6,   /* path of a Unix socket: fits sun_path */
        F_COORD = 1u << 7,    /* only with election.enabled: true (else the
                                 value would be silently unused) */
        /* Above the F_FOR() kind bits. */
        F_VIP = 1u << 24,     /* key of a vips[] entry (hbd_vip_conf_t) */
};

/*
 * Kind-specific knobs: F_FOR(kind) for each detector kind the key belongs
 * to. Setting such a key with another detector.kind is an error (the
 * value would be silently unused); its derived default is then not
 * checked either. A knob with no F_FOR bit applies to every kind.
 */
#define F_KIND_SHIFT 8
#define F_FOR(kind) (1u << (F_KIND_SHIFT + (unsigned)(kind)))
#define F_KIND_MASK (((1u << HB_DETECTOR_KIND_END) - 1u) << F_KIND_SHIFT)
/* The kinds that keep a window of history (detector.window). */
#define F_HISTORY                                                            \
        (F_FOR(HB_DETECTOR_PHI) | F_FOR(HB_DETECTOR_CHEN) |                  \
         F_FOR(HB_DETECTOR_BERTIER) | F_FOR(HB_DETECTOR_PHI_EXP) |           \
         F_FOR(HB_DETECTOR_ADAPTIVE))
#define F_PHI F_FOR(HB_DETECTOR_PHI)
#define F_CHEN F_FOR(HB_DETECTOR_CHEN)
#define F_BERTIER F_FOR(HB_DETECTOR_BERTIER)
#define F_ADAPTIVE F_FOR(HB_DETECTOR_ADAPTIVE)

/*
 * The knob table: one row per key, the only place a key is described.
 *
 *   X(id, path, type, unit, min, max, default_text, reloadable,
 *     store, flags, offset, addr_offset, addr_len_offset, help)
 *
 * `offset` is into hbd_config_t, or hbd_peer_conf_t for F_PEER rows; the
 * two address offsets are used by S_ADDR only. default_text is parsed as if
 * written in the file, except for F_DERIVED rows; NULL means no default.
 * Ranges are in the unit the file uses (ms, not ns).
 *
 * C(field), P(field), Q(field) and V(field) are offsetof() into
 * hbd_config_t, hbd_peer_conf_t, hbd_check_conf_t and hbd_vip_conf_t; config_knobs.c defines them where it expands the offset
 * columns (the knob id enum below never expands them).
 */
#define HBD_KNOB_ROWS(X)                                                     \
X(NODE_NAME, "node.name", "string", "", 0, 0, NULL, true,                    \
  S_NAME, F_REQUIRED, C(node_name), 0, 0,                                    \
  "Name of this node, unique in the cluster: 1..63 characters of "           \
  "A-Z a-z 0-9 . _ -.")                                                      \
X(NODE_ID, "node.id", "uint", "", 1, 4294967295.0, NULL, false,              \
  S_U32, F_REQUIRED, C(node.node_id), 0, 0,                                  \
  "Id of this node on the wire, unique in the cluster.")                     \
X(LISTEN, "listen", "address", "", 0, 0, "0.0.0.0:7400", false,              \
  S_ADDR, 0, C(listen), C(listen_addr), C(listen_addr_len),                  \
  "UDP address heartbeats are received on: HOST:PORT or [V6]:PORT.")         \
X(CLUSTER_ID, "cluster.id", "uint", "", 0, 4294967295.0, "0", false,         \
  S_U32, 0, C(node.cluster_id), 0, 0,                                        \
  "Cluster id carried by every message; must match the peers'.")             \
X(KEY_FILE, "cluster.key_file", "path", "path", 0, 0, NULL, true,            \
  S_PATH, F_REQUIRED, C(key_file), 0, 0,                                     \
  "File holding the cluster key in base64 (hbeatctl keygen); must not be "   \
  "accessible by other users.")                                              \
X(INTERVAL, "heartbeat.interval_ms", "uint", "ms", 1, 3600000, "100", true,  \
  S_MS, F_FIRST, C(node.interval_ns), 0, 0,                                  \
  "Time between two heartbeats sent by this node.")                          \
X(KIND, "detector.kind", "enum", "", 0, 0, "phi", true,                      \
  S_KIND, F_FIRST, C(node.detector.kind), 0, 0,                              \
  "Failure detector: phi, fixed, chen, bertier, phi_exp or adaptive "        \
  "(docs/detectors.md).")                                                    \
X(SUSPECT, "detector.suspect_threshold", "number", "per kind",               \
  0, 1000000, "8 (phi), 3 (fixed), 1 (chen, bertier, adaptive), "            \
  "3 (phi_exp)", true,                                                       \
  S_NUM, F_DERIVED | F_MIN_OPEN, C(node.suspect_threshold), 0, 0,            \
  "Suspicion at which a peer becomes suspect.")                              \
X(DEAD, "detector.dead_threshold", "number", "per kind",                     \
  0, 1000000, "16 (phi), 5 (fixed), 2 (chen, adaptive), 16 (bertier), "      \
  "4 (phi_exp)", true,                                                       \
  S_NUM, F_DERIVED | F_MIN_OPEN, C(node.dead_threshold), 0, 0,               \
  "Suspicion at which a suspect peer is declared dead; "                     \
  ">= suspect_threshold.")                                                   \
X(DEAD_AFTER, "detector.dead_after_ms", "uint", "ms", 0, 3600000,            \
  "4 x interval", true,                                                      \
  S_MS, F_DERIVED, C(node.dead_after_ns), 0, 0,                              \
  "A peer suspect for this long is declared dead; 0 turns this off.")        \
X(WINDOW, "detector.window", "uint", "samples", 2, 10000, "100", true,       \
  S_U32, F_DERIVED | F_HISTORY, C(node.detector.window), 0, 0,               \
  "Number of recent arrivals kept per peer (all kinds but fixed).")          \
X(MIN_STD_DEV, "detector.min_std_dev_ms", "number", "ms", 0.001, 3600000,    \
  "interval / 4", true,                                                      \
  S_MS_NUM, F_DERIVED | F_PHI, C(node.detector.min_std_dev_ns), 0, 0,        \
  "phi: floor for the standard deviation of inter-arrival times.")           \
X(PAUSE, "detector.acceptable_pause_ms", "uint", "ms", 0, 3600000,           \
  "4 x interval", true,                                                      \
  S_MS, F_DERIVED | F_PHI, C(node.detector.acceptable_pause_ns), 0, 0,       \
  "phi: pause added to the mean inter-arrival time before suspicion "        \
  "grows.")                                                                  \
X(CHEN_ALPHA, "detector.chen_alpha_ms", "number", "ms", 0.001, 14400000,     \
  "3 x interval", true,                                                      \
  S_MS_NUM, F_DERIVED | F_CHEN, C(node.detector.chen_alpha_ns), 0, 0,        \
  "chen: safety margin added to the expected arrival time; suspicion 1 "     \
  "is one margin late.")                                                     \
X(BERTIER_BETA, "detector.bertier_beta", "number", "", 0, 100, "1", true,    \
  S_NUM, F_DERIVED | F_BERTIER, C(node.detector.bertier_beta), 0, 0,         \
  "bertier: weight of the estimated delay in the margin.")                   \
X(BERTIER_PHI, "detector.bertier_phi", "number", "", 0, 100, "4", true,      \
  S_NUM, F_DERIVED | F_BERTIER, C(node.detector.bertier_phi), 0, 0,          \
  "bertier: weight of the estimated delay variation in the margin.")         \
X(BERTIER_GAMMA, "detector.bertier_gamma", "number", "", 0, 1, "0.1", true,  \
  S_NUM, F_DERIVED | F_MIN_OPEN | F_BERTIER,                                 \
  C(node.detector.bertier_gamma), 0, 0,                                      \
  "bertier: gain of the delay and variation estimators.")                    \
X(ADAPTIVE_INITIAL, "detector.adaptive_initial_ms", "uint", "ms",            \
  1, 108000000, "3 x interval", true,                                        \
  S_MS, F_DERIVED | F_ADAPTIVE, C(node.detector.adaptive_initial_ns), 0, 0,  \
  "adaptive: starting timeout; within [adaptive_min_ms, adaptive_max_ms].")  \
X(ADAPTIVE_MIN, "detector.adaptive_min_ms", "uint", "ms", 1, 108000000,      \
  "3 x interval", true,                                                      \
  S_MS, F_DERIVED | F_ADAPTIVE, C(node.detector.adaptive_min_ns), 0, 0,      \
  "adaptive: smallest timeout.")                                             \
X(ADAPTIVE_MAX, "detector.adaptive_max_ms", "uint", "ms", 1, 108000000,      \
  "30 x interval", true,                                                     \
  S_MS, F_DERIVED | F_ADAPTIVE, C(node.detector.adaptive_max_ns), 0, 0,      \
  "adaptive: largest timeout.")                                              \
X(ADAPTIVE_DAMPENING, "detector.adaptive_dampening_ms", "uint", "ms",        \
  1, 360000000, "100 x interval", true,                                      \
  S_MS, F_DERIVED | F_ADAPTIVE, C(node.detector.adaptive_dampening_ns),      \
  0, 0,                                                                      \
  "adaptive: the timeout is re-evaluated, and changes, at most once per "    \
  "this period.")                                                            \
X(ADAPTIVE_RAISE, "detector.adaptive_raise", "number", "", 1, 10, "1.5",     \
  true, S_NUM, F_DERIVED | F_ADAPTIVE, C(node.detector.adaptive_raise),      \
  0, 0,                                                                      \
  "adaptive: factor applied to the timeout when P95 > high_ratio x P50; "    \
  "1 never raises.")                                                         \
X(ADAPTIVE_LOWER, "detector.adaptive_lower", "number", "", 0, 1, "0.75",     \
  true, S_NUM, F_DERIVED | F_MIN_OPEN | F_ADAPTIVE,                          \
  C(node.detector.adaptive_lower), 0, 0,                                     \
  "adaptive: factor applied to the timeout when P95 < low_ratio x P50; "     \
  "1 never lowers.")                                                         \
X(ADAPTIVE_HIGH, "detector.adaptive_high_ratio", "number", "", 1, 1000,      \
  "2", true, S_NUM, F_DERIVED | F_ADAPTIVE,                                  \
  C(node.detector.adaptive_high_ratio), 0, 0,                                \
  "adaptive: P95/P50 above which the timeout is raised.")                    \
X(ADAPTIVE_LOW, "detector.adaptive_low_ratio", "number", "", 1, 1000,        \
  "1.5", true, S_NUM, F_DERIVED | F_ADAPTIVE,                                \
  C(node.detector.adaptive_low_ratio), 0, 0,                                 \
  "adaptive: P95/P50 below which the timeout is lowered; "                   \
  "<= adaptive_high_ratio.")                                                 \
X(PROBATION, "membership.probation_ms", "uint", "ms", 0, 3600000,            \
  "5 x interval", true,                                                      \
  S_MS, F_DERIVED, C(node.probation_ns), 0, 0,                               \
  "A peer that comes back must send steady heartbeats this long before it "  \
  "is alive again.")                                                         \
X(LOCAL_PAUSE, "membership.local_pause_ms", "uint", "ms", 0, 3600000,       \
  "2 x interval, 50..3600000", true,                                         \
  S_MS, F_DERIVED, C(local_pause_ns), 0, 0,                                  \
  "A timer firing this much late means hbeatd itself was paused (SIGSTOP, "  \
  "VM pause): peers' silence during it is not held against them. 0 "         \
  "disables the guard.")                                                     \
X(PORT_UNREACHABLE, "membership.port_unreachable", "bool", "", 0, 1, "true", \
  true, S_BOOL, 0, C(node.trust_port_unreachable), 0, 0,                     \
  "Declare a peer dead at once when a heartbeat to it comes back as ICMP "   \
  "port unreachable (its hbeatd exited; its host is up). ICMP is not "       \
  "authenticated: set false where others can inject it.")                    \
X(SCRIPT, "notify.script", "path", "path", 0, 0, NULL, true,                 \
  S_PATH, 0, C(notify_script), 0, 0,                                         \
  "Executable run on every peer state change; none when absent.")            \
X(NOTIFY_TIMEOUT, "notify.timeout_ms", "uint", "ms", 1, 3600000, "5000",     \
  true, S_MS, 0, C(notify_timeout_ns), 0, 0,                                 \
  "The notify script is killed if it runs longer than this.")               \
X(ON_LEADER, "notify.on_leader", "path", "path", 0, 0, NULL, true,           \
  S_PATH, F_COORD, C(notify_on_leader), 0, 0,                                \
  "Executable run when this node becomes leader (after notify.script); "     \
  "none when absent. Needs election.enabled.")                               \
X(ON_FOLLOWER, "notify.on_follower", "path", "path", 0, 0, NULL, true,       \
  S_PATH, F_COORD, C(notify_on_follower), 0, 0,                              \
  "Executable run when this node becomes follower; none when absent. "       \
  "Needs election.enabled.")                                                 \
X(ON_NO_QUORUM, "notify.on_no_quorum", "path", "path", 0, 0, NULL, true,     \
  S_PATH, F_COORD, C(notify_on_no_quorum), 0, 0,                             \
  "Executable run when this node's role becomes no-quorum (it must stop "    \
  "acting); none when absent. Needs election.enabled.")                      \
X(QUORUM_VOTES, "quorum.votes", "uint", "votes", 0, 255, "1", false,         \
  S_U32, F_COORD, C(node.coord.votes), 0, 0,                                 \
  "Votes of this node in the quorum. Needs election.enabled.")               \
X(QUORUM_EXPECTED, "quorum.expected_votes", "uint", "votes", 0, 16777215,    \
  "0", false, S_U32, F_COORD, C(node.coord.expected_votes), 0, 0,            \
  "Total votes of the cluster; 0 = the sum of quorum.votes and every "       \
  "peers[].votes, otherwise at least that sum. Needs election.enabled.")     \
X(QUORUM_TWO_NODE, "quorum.two_node", "bool", "", 0, 1, "false", false,      \
  S_BOOL, F_COORD, C(node.coord.two_node), 0, 0,                             \
  "Two nodes of one vote each: a lone node stays quorate and the lower id "  \
  "wins a tie (needs fencing). Exactly one peer. Needs election.enabled.")   \
X(QUORUM_WAIT_FOR_ALL, "quorum.wait_for_all", "bool", "", 0, 1, "false",     \
  false, S_BOOL, F_COORD, C(node.coord.wait_for_all), 0, 0,                  \
  "After start, no quorum until every configured node has been seen alive "  \
  "once. Needs election.enabled.")                                           \
X(QUORUM_WITNESS, "quorum.witness", "bool", "", 0, 1, "false", false,        \
  S_BOOL, F_COORD, C(node.coord.witness), 0, 0,                              \
  "This node votes (quorum.votes >= 1) but never stands for leader. Needs "  \
  "election.enabled.")                                                       \
X(ELECTION_ENABLED, "election.enabled", "bool", "", 0, 1, "false", false,    \
  S_BOOL, 0, C(node.coord.enabled), 0, 0,                                    \
  "Quorum and leader election on (docs/election.md); heartbeats then "       \
  "carry the term and the leader.")                                          \
X(ELECTION_PRIORITY, "election.priority", "uint", "", 0, 255, "100", true,   \
  S_U32, F_COORD, C(node.coord.priority), 0, 0,                              \
  "Higher stands for leader first (shorter election delay).")                \
X(ELECTION_PREEMPT, "election.preempt", "bool", "", 0, 1, "false", true,     \
  S_BOOL, F_COORD, C(node.coord.preempt), 0, 0,                              \
  "Stand against a live leader of lower priority.")                          \
X(ELECTION_DELAY, "election.delay_ms", "uint", "ms", 1, 3600000,             \
  "interval", true,                                                          \
  S_MS, F_DERIVED | F_COORD, C(node.coord.election_delay_ns), 0, 0,          \
  "Base of the randomized delay before standing for leader once the "        \
  "leader is dead: delay x (1 + (255 - priority) / 64) x U(1, 2).")          \
X(ELECTION_STATE_FILE, "election.state_file", "path", "path", 0, 0,          \
  "/var/lib/hbeat/NODE.state", false,                                        \
  S_PATH, F_DERIVED | F_COORD, C(election_state_file), 0, 0,                 \
  "Where the term and vote are kept durably (written and fsync'ed before "   \
  "they are used); NODE is node.name.")                                      \
X(SOCKET, "control.socket", "path", "path", 0, 0,                            \
  "/run/hbeat/hbeatd.sock", false,                                           \
  S_PATH, F_SOCKET, C(control_socket), 0, 0,                                 \
  "Unix socket of the control protocol (hbeatctl); at most 107 bytes once "  \
  "resolved.")                                                               \
X(HTTP_LISTEN, "http.listen", "address", "", 0, 0, NULL, false,              \
  S_ADDR, 0, C(http_listen), C(http_listen_addr), C(http_listen_addr_len),   \
  "TCP address of the HTTP endpoints (/healthz, /readyz, /v1/status, "       \
  "/v1/members; docs/http.md): HOST:PORT or [V6]:PORT. Not set: no HTTP "    \
  "server.")                                                                 \
X(RES_START, "resource.start", "argv", "", 0, 0, NULL, true,                 \
  S_ARGV, F_COORD, C(resource_start), 0, 0,                                  \
  "Run (program and arguments, no shell) when this node becomes leader, "    \
  "after fencing the previous leader; HBEAT_TERM is the fencing token. "     \
  "Needs resource.stop and election.enabled (docs/actions.md).")             \
X(RES_STOP, "resource.stop", "argv", "", 0, 0, NULL, true,                   \
  S_ARGV, F_COORD, C(resource_stop), 0, 0,                                   \
  "Run when this node stops being leader; a failure or time-out "            \
  "self-fences (fencing.self_fence, else hbeatd exits 3). Needs "            \
  "resource.start and election.enabled.")                                    \
X(RES_START_TIMEOUT, "resource.start_timeout_ms", "uint", "ms", 1, 3600000,  \
  "10000", true, S_MS, F_COORD, C(resource_start_timeout_ns), 0, 0,          \
  "resource.start is killed (process group) after this; a failed start "     \
  "is followed by a stop. Needs election.enabled.")                          \
X(RES_STOP_TIMEOUT, "resource.stop_timeout_ms", "uint", "ms", 1, 3600000,    \
  "10000", true, S_MS, F_COORD, C(resource_stop_timeout_ns), 0, 0,           \
  "resource.stop is killed after this, and the node self-fences. "           \
  "Needs election.enabled.")                                                 \
X(FENCE_COMMAND, "fencing.command", "argv", "", 0, 0, NULL, true,            \
  S_ARGV, F_COORD, C(fence_command), 0, 0,                                   \
  "Run by a new leader against the previous one (HBEAT_FENCE_TARGET, "       \
  "HBEAT_FENCE_TARGET_ID, HBEAT_TERM) before resource.start; only exit 0 "   \
  "lets the start go ahead. Needs election.enabled.")                        \
X(FENCE_TIMEOUT, "fencing.timeout_ms", "uint", "ms", 1, 3600000,             \
  "30000", true, S_MS, F_COORD, C(fence_timeout_ns), 0, 0,                   \
  "fencing.command (and self_fence) is killed after this; a killed "         \
  "fence counts as failed. Needs election.enabled.")                         \
X(FENCE_SELF, "fencing.self_fence", "argv", "", 0, 0, NULL, true,            \
  S_ARGV, F_COORD, C(fence_self), 0, 0,                                      \
  "Run when resource.stop fails or hangs; unless it exits 0, hbeatd "        \
  "exits 3. Not set: hbeatd exits 3 at once. Needs election.enabled.")       \
X(FENCE_DELAY, "fencing.two_node_delay_ms", "uint", "ms", 0, 3600000,        \
  "0", true, S_MS, F_COORD, C(fence_two_node_delay_ns), 0, 0,                \
  "With quorum.two_node: the node with the higher node.id waits this "       \
  "long before fencing, so the lower id wins a fence race. Needs "           \
  "election.enabled.")                                                       \
X(WATCHDOG, "fencing.watchdog", "path", "path", 0, 0, NULL, true,            \
  S_PATH, F_COORD, C(watchdog), 0, 0,                                        \
  "Kernel watchdog device (/dev/watchdog): armed while the resource may "   \
  "be up here and fed every interval; a paused or dead hbeatd stops "        \
  "feeding it and the machine resets. Without fencing.command a new "        \
  "leader then waits watchdog_timeout_ms instead of fencing. The same "      \
  "on every node; a change applies when it is next armed. Needs "           \
  "election.enabled.")                                                       \
X(WATCHDOG_TIMEOUT, "fencing.watchdog_timeout_ms", "uint", "ms", 1000,       \
  3600000, "5000", true, S_MS, F_COORD, C(watchdog_timeout_ns), 0, 0,        \
  "Watchdog timeout set on the device (whole seconds, rounded up); the "     \
  "same on every node. Needs election.enabled.")                             \
X(PEER_NAME, "peers[].name", "string", "", 0, 0, NULL, true,                 \
  S_NAME, F_REQUIRED | F_PEER, P(name), 0, 0,                                \
  "Name of the peer; unique, not this node's name.")                         \
X(PEER_ID, "peers[].id", "uint", "", 1, 4294967295.0, NULL, true,            \
  S_U32, F_REQUIRED | F_PEER, P(id), 0, 0,                                   \
  "Node id of the peer; unique, not this node's id.")                        \
X(PEER_ADDRESS, "peers[].address", "address", "", 0, 0, NULL, true,          \
  S_ADDR, F_PEER, P(address), P(addr), P(addr_len),                          \
  "Where the peer's heartbeats are sent: HOST:PORT or [V6]:PORT; unique. "   \
  "Each peer has either address (it runs hbeatd) or pull.")                  \
X(PEER_PULL, "peers[].pull", "string", "", 0, 0, NULL, true,                 \
  S_STR, F_PEER, P(pull), 0, 0,                                              \
  "A peer that runs no hbeatd, polled every heartbeat interval instead: "    \
  "http://, https:// (GET, 200 expected) or tcp://HOST:PORT (connect). "     \
  "Each answer counts as its heartbeat (docs/checks.md).")                   \
X(PEER_VOTES, "peers[].votes", "uint", "votes", 0, 255, "1", true,           \
  S_U32, F_PEER | F_COORD, P(votes), 0, 0,                                   \
  "Votes of the peer in the quorum; a change needs a restart. Needs "        \
  "election.enabled.")                                                       \
X(CHECK_NAME, "checks[].name", "string", "", 0, 0, NULL, true,               \
  S_NAME, F_REQUIRED | F_CHECK, Q(name), 0, 0,                               \
  "Name of the health check; unique among checks, not a pull peer's "       \
  "name (docs/checks.md).")                                                  \
X(CHECK_KIND, "checks[].kind", "enum", "", 0, 0, NULL, true,                 \
  S_CHECK_KIND, F_REQUIRED | F_CHECK, Q(kind), 0, 0,                         \
  "exec (run command, exit 0 passes), tcp (connect to every address of "     \
  "target) or http (GET url, expect_status passes).")                        \
X(CHECK_COMMAND, "checks[].command", "argv", "", 0, 0, NULL, true,           \
  S_ARGV, F_CHECK, Q(argv), 0, 0,                                            \
  "exec: the program and its arguments as a YAML list of strings, run "      \
  "without a shell; a relative program is resolved against the config "      \
  "directory when it contains a slash, else searched in PATH.")              \
X(CHECK_TARGET, "checks[].target", "string", "", 0, 0, NULL, true,           \
  S_STR, F_CHECK, Q(target), 0, 0,                                           \
  "tcp: HOST:PORT or [V6]:PORT; HOST is resolved at every run and every "    \
  "address it resolves to must accept a connection.")                        \
X(CHECK_URL, "checks[].url", "string", "", 0, 0, NULL, true,                 \
  S_STR, F_CHECK, Q(url), 0, 0,                                              \
  "http: http:// or https:// URL fetched with GET.")                         \
X(CHECK_EXPECT, "checks[].expect_status", "uint", "", 100, 599, "200",       \
  true, S_U32, F_CHECK, Q(expect_status), 0, 0,                              \
  "http: the status code that passes.")                                      \
X(CHECK_INTERVAL, "checks[].interval_ms", "uint", "ms", 10, 3600000,         \
  "2000", true, S_MS, F_CHECK, Q(interval_ns), 0, 0,                         \
  "Time between the starts of two runs.")                                    \
X(CHECK_TIMEOUT, "checks[].timeout_ms", "uint", "ms", 1, 3600000, "1000",    \
  true, S_MS, F_CHECK, Q(timeout_ns), 0, 0,                                  \
  "A run not finished after this fails (exec: its process group is "         \
  "killed); at most interval_ms.")                                           \
X(CHECK_RISE, "checks[].rise", "uint", "runs", 1, 1000, "2", true,           \
  S_U32, F_CHECK, Q(rise), 0, 0,                                             \
  "Consecutive successes that make the check passing.")                      \
X(CHECK_FALL, "checks[].fall", "uint", "runs", 1, 1000, "3", true,           \
  S_U32, F_CHECK, Q(fall), 0, 0,                                             \
  "Consecutive failures that make the check failing.")                       \
X(CHECK_DELAY, "checks[].initial_delay_ms", "uint", "ms", 0, 3600000, "0",   \
  true, S_MS, F_CHECK, Q(initial_delay_ns), 0, 0,                            \
  "Time after start (or reload) before the first run.")                      \
X(CHECK_WEIGHT, "checks[].weight", "int", "", -255, 255, "0", true,          \
  S_INT, F_CHECK, Q(weight), 0, 0,                                           \
  "Priority adjustment (keepalived track_script semantics): > 0 is added "   \
  "to election.priority while passing, < 0 is added (subtracted) while "     \
  "failing; the sum is clamped to 0..255. Needs election.enabled.")          \
X(CHECK_EFFECT, "checks[].effect", "enum", "", 0, 0, NULL, true,             \
  S_EFFECT, F_CHECK, Q(fault), 0, 0,                                         \
  "fault: while the check is not passing this node does not lead nor "       \
  "stand for leader. Not with weight. Needs election.enabled.")              \
X(VIP_ADDRESS, "vips[].address", "string", "", 0, 0, NULL, false,            \
  S_STR, F_REQUIRED | F_VIP, V(address), 0, 0,                               \
  "Virtual IP held by the leader, with its prefix length: "                  \
  "10.0.0.100/24 or 2001:db8::100/64; unique (docs/vip.md). Needs "          \
  "election.enabled; vips cannot change on reload.")                         \
X(VIP_INTERFACE, "vips[].interface", "string", "", 0, 0, NULL, false,        \
  S_STR, F_REQUIRED | F_VIP, V(interface), 0, 0,                             \
  "Interface the address is added to (and announced on).")                   \
X(VIP_PROVIDER, "vips[].provider", "enum", "", 0, 0, "netlink", false,       \
  S_VIP_PROVIDER, F_VIP, V(provider), 0, 0,                                  \
  "netlink (hbeatd adds and removes the address itself, then announces "     \
  "it) or exec (runs up and down instead).")                                 \
X(VIP_UP, "vips[].up", "argv", "", 0, 0, NULL, false,                        \
  S_ARGV, F_VIP, V(up), 0, 0,                                                \
  "exec: program and arguments run on becoming leader (env HBEAT_VIP, "      \
  "HBEAT_INTERFACE, HBEAT_TERM); killed after notify.timeout_ms.")           \
X(VIP_DOWN, "vips[].down", "argv", "", 0, 0, NULL, false,                    \
  S_ARGV, F_VIP, V(down), 0, 0,                                              \
  "exec: program and arguments run on stepping down and at shutdown.")

enum knob_id {
#define X(id, ...) K_##id,
        HBD_KNOB_ROWS(X)
#undef X
        K_COUNT
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

/* ---- config_knobs.c: the table's values -------------------------------- */

/* F_* flags of knob `k`. */
unsigned hbd__knob_flags(size_t k);

/*
 * Pass 2 for one knob: set knob `k` in `base` (hbd_config_t, or
 * hbd_peer_conf_t for F_PEER knobs) from what pass 1 found, or its default.
 * `index` is the peer index for F_PEER knobs; `kind` the detector kind
 * (kind-specific knobs, F_FOR(), are refused for another kind).
 */
int hbd__knob_apply(struct loader *l, const struct found *f, size_t k,
                    size_t index, void *base, hb_detector_kind_t kind);

/*
 * Knob `k` took a derived default (4 x interval, ...): fail when that lies
 * outside the range allowed for an explicit value.
 */
int hbd__knob_check_derived(struct loader *l, const struct found *f,
                            size_t k, const hbd_config_t *cfg);

/* Free a NULL-terminated argv (S_ARGV) and its strings; NULL is a no-op. */
void hbd__argv_free(char **argv);

/* Same stored value of knob `k` in `a` and `b` (both of its base type)? */
bool hbd__knob_equal(size_t k, const void *a, const void *b);

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
int hbd__load_vips(struct loader *l, const yaml_node_t *key,
                   const yaml_node_t *seq, hbd_config_t *cfg);

/* ---- config_rules.c: rules across keys, files -------------------------- */

/*
 * Cross-field checks of the detector section: detector.dead_threshold >=
 * detector.suspect_threshold; with kind adaptive, adaptive_min_ms <=
 * adaptive_initial_ms <= adaptive_max_ms and adaptive_low_ratio <=
 * adaptive_high_ratio.
 */
int hbd__check_thresholds(struct loader *l, const struct found *f,
                          const hbd_config_t *cfg);

/* Read cluster.key_file into cfg->node.key (permissions checked first). */
int hbd__read_key(struct loader *l, const struct found *f,
                  hbd_config_t *cfg);

/* notify.script and the notify.on_* scripts, when set, are executable
 * regular files; fencing.watchdog, when set, a character device. */
int hbd__check_script(struct loader *l, const struct found *f,
                      const hbd_config_t *cfg);

/*
 * Quorum and election: F_COORD keys given without election.enabled (top
 * level; the peers' are checked as they load), two_node with exactly one
 * peer and one vote each, witness with a vote, expected_votes >= the sum
 * of configured votes, at least one vote in all. Sets the derived
 * defaults election.delay_ms (= interval) and election.state_file first.
 */
int hbd__check_coord(struct loader *l, const struct found *f,
                     hbd_config_t *cfg);

#endif /* HBD_CONFIG_IMPL_H */
