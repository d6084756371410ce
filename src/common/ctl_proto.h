/* SPDX-License-Identifier: MIT */
/*
 * Control protocol bits shared by hbeatd (server) and hbeatctl (client).
 *
 * The protocol itself is described in docs/control-protocol.md: JSON lines
 * over a Unix stream socket, every request and response one JSON object on
 * one line. This header holds the constants both sides must agree on and
 * the builder of the EVENT object, so that the daemon's ring, its followers
 * and any tool that replays events produce the same bytes.
 *
 * All JSON is built and serialised with jansson, never by concatenation.
 * Not part of the public libhbeat API (not installed): its names take the
 * hbp_ prefix (hbeat protocol), not libhbeat's hb_.
 */
#ifndef HBP_PROTO_H
#define HBP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hbeat/hbeat.h"

/* Where hbeatd listens when the config names no control.socket. */
#define HBP_DEFAULT_SOCKET "/run/hbeat/hbeatd.sock"

/* Longest request line in bytes, the '\n' excluded. A longer line is
 * refused with an error and the connection is closed. */
#define HBP_MAX_LINE 65536
/* Longest response line a client accepts, bytes: a members answer grows
 * with the cluster (about 300 bytes per peer). */
#define HBP_MAX_RESPONSE (64 * 1024 * 1024)

/* Most bytes the server lets pile up unsent on one connection (an
 * `events --follow` subscriber that does not read) before it disconnects
 * that client. */
#define HBP_MAX_QUEUED (1024 * 1024)

/*
 * Flags for json_dumps() of every protocol line: compact, one line, and
 * reals with 15 significant digits so that 8.031 prints as 8.031 rather
 * than jansson's default 17-digit 8.0310000000000006.
 */
#define HBP_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Buffer size for hbp_format_wall_time(), NUL included:
 * "2026-11-21T10:00:00.123Z". */
#define HBP_WALL_TIME_LEN 32

/*
 * Format a CLOCK_REALTIME time in nanoseconds as RFC 3339 UTC with
 * milliseconds ("2026-11-21T10:00:00.123Z").
 *
 * buf:  output of at least HBP_WALL_TIME_LEN bytes.
 * Returns 0, or -ENOBUFS if cap is too small, -EOVERFLOW if the time
 * cannot be represented (buf then holds "").
 */
int hbp_format_wall_time(char *buf, size_t cap, uint64_t wall_time_ns);

/*
 * Build the EVENT object of the protocol for a peer state transition:
 *
 *   {"event": "peer_state", "node": NODE, "peer": PEER, "peer_id": N,
 *    "old": STATE, "new": STATE, "reason": REASON, "at_ns": N,
 *    "suspicion": X, "last_arrival_ns": N|null, "incarnation": N,
 *    "wall_time": "RFC 3339 UTC"}
 *
 * ev:            the event (borrowed for the call).
 * node_name:     this node's name; peer_name: the peer's name from the
 *                config (both borrowed, copied into the object).
 * wall_time_ns:  CLOCK_REALTIME of the transition in ns (the caller maps
 *                ev->at_ns to wall time).
 * Returns a new reference owned by the caller, or NULL on allocation
 * failure or NULL arguments. `suspicion` is rounded to 3 decimals.
 */
json_t *hbp_event_json(const hb_event_t *ev, const char *node_name,
                          const char *peer_name, uint64_t wall_time_ns);

/*
 * Build the EVENT object for a coordination event (HB_EVENT_ROLE or
 * HB_EVENT_QUORUM; NULL for any other type):
 *
 *   {"event": "role", "node": NODE, "old": ROLE, "new": ROLE,
 *    "term": N, "leader": NAME|null, "leader_id": N, "reason": WHY,
 *    "at_ns": N, "wall_time": "RFC 3339 UTC"}
 *   {"event": "quorum", "node": NODE, "quorate": BOOL, "term": N,
 *    "leader": NAME|null, "leader_id": N, "reason": WHY, "at_ns": N,
 *    "wall_time": "..."}
 *
 * ROLE is hb_role_name(); WHY the core's `why` text ("" when it has
 * none). leader_name: the name of ev->leader_id from the config (this
 * node's own name when it leads), NULL when there is no leader (id 0) or
 * the id is not configured (then "leader" is null and leader_id tells).
 * Returns a new reference, or NULL on allocation failure or bad
 * arguments.
 */
json_t *hbp_coord_event_json(const hb_event_t *ev, const char *node_name,
                                const char *leader_name,
                                uint64_t wall_time_ns);

/*
 * Build the "coordination" object of the `status` response (and the
 * base of `leader` and `quorum`):
 *
 *   {"enabled", "role", "term", "leader" (name or null), "leader_id",
 *    "voted_for", "quorate", "votes_present", "expected_votes",
 *    "quorum_votes", "waiting_for_all", "role_age_ms",
 *    "elections_started"}
 *
 * With coordination off: {"enabled": false} only.
 * Returns a new reference, or NULL on allocation failure.
 */
json_t *hbp_coord_json(const hb_coord_info_t *ci, const char *leader_name,
                          uint64_t now_ns);

/*
 * Build one entry of the `members` response:
 *
 *   {"name", "id", "address", "state", "state_age_ms", "suspicion",
 *    "last_heartbeat_age_ms" (null if never heard), "incarnation", "seq",
 *    "seq_gaps", "received", "replays", "old_incarnations" (dropped: from
 *    an older incarnation), "bad_sources" (dropped: from another address
 *    than its own), "roaming" (bool), "transitions", "mean_interval_ms",
 *    "rtt_median_ms", "rtt_p99_ms" (null without a sample; 3 decimals),
 *    "rtt_samples" (samples in the core's window, 0 .. 64)}
 *
 * pi:             the core's snapshot taken at `now_ns`.
 * name, address:  from the config (borrowed, copied).
 * Returns a new reference, or NULL on allocation failure or NULL
 * arguments.
 */
json_t *hbp_member_json(const hb_peer_info_t *pi, const char *name,
                           const char *address, uint64_t now_ns);

/*
 * Build one line of a `record` stream: an accepted heartbeat,
 *
 *   {"seq": N, "send_ns": N, "arrival_ns": N}
 *
 * seq, send_ns: from the message (send_ns is the sender's clock);
 * arrival_ns: the receiver's monotonic time at hb_node_recv().
 * Returns a new reference, or NULL on allocation failure.
 */
json_t *hbp_arrival_json(uint64_t seq, uint64_t send_ns,
                            uint64_t arrival_ns);

/*
 * Serialise a protocol object as one line: compact JSON plus '\n' (with
 * HBP_JSON_FLAGS).
 *
 * len:  output, the length in bytes including the '\n' (may be NULL).
 * Returns a malloc()ed NUL-terminated string owned by the caller (free()),
 * or NULL on allocation failure.
 */
char *hbp_dump_line(const json_t *obj, size_t *len);

/* Round a value to `decimals` decimal places for display in JSON (non-finite
 * values are returned unchanged). */
double hbp_round(double v, int decimals);

#endif /* HBP_PROTO_H */
