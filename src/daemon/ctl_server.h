/* SPDX-License-Identifier: MIT */
/*
 * hbeatd control socket server: the JSON-lines protocol of
 * docs/control-protocol.md on a Unix stream socket (status, members,
 * leader, quorum, events with or without follow, reload, record).
 *
 * It keeps the ring of the 256 most recent events, the list of
 * `events --follow` subscribers and the `record` streams; the daemon hands
 * it every event with hbd_ctl_publish() and every accepted heartbeat with
 * hbd_ctl_record_arrival().
 */
#ifndef HBD_CTL_SERVER_H
#define HBD_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/daemon.h"

/* Events kept for `{"cmd": "events"}`. */
#define HBD_CTL_RING 256
/* Concurrent client connections; more are accepted and closed at once. */
#define HBD_CTL_MAX_CLIENTS 64

typedef struct hbd_ctl hbd_ctl_t;

/*
 * Listen on `path`.
 *
 * - Creates the parent directory (mode 0755) if missing.
 * - If `path` exists: when it is a socket that accepts a connection,
 *   another daemon owns it: fail with -EADDRINUSE; when connecting fails
 *   it is stale and removed; when it is not a socket: fail with -EEXIST.
 * - The socket gets mode 0660.
 *
 * d:    the daemon (borrowed; must outlive the server).
 * err:  on failure, a one-line message naming the path and the cause.
 * Returns 0 or a negative errno / libuv error.
 */
int hbd_ctl_open(hbd_ctl_t **ret, hbd_daemon_t *d, const char *path,
                 char *err, size_t errlen);

/* Record an EVENT object (reference stolen) in the ring and send it to
 * every follower. NULL ctl or event: the event is released. */
void hbd_ctl_publish(hbd_ctl_t *ctl, json_t *event);

/*
 * An accepted HEARTBEAT of peer `peer_id`: `seq` and `send_ns` (the
 * peer's clock) from the message, `arrival_ns` the monotonic time given
 * to hb_node_recv(). Written as one line to every `record` stream of that
 * peer; O(1) when there is none. NULL ctl is a no-op.
 */
void hbd_ctl_record_arrival(hbd_ctl_t *ctl, uint32_t peer_id, uint64_t seq,
                            uint64_t send_ns, uint64_t arrival_ns);

/* After a reload: end (with an error line) the `record` streams of peers
 * that are no longer configured. NULL ctl is a no-op. */
void hbd_ctl_peers_changed(hbd_ctl_t *ctl);

/*
 * The response objects of `status` and `members` (docs/control-protocol.md),
 * also served by the HTTP endpoints /v1/status and /v1/members (http.c),
 * so both interfaces build them with this one code. A new reference, or
 * NULL when out of memory. `d` is only read.
 */
json_t *hbd_ctl_status_json(hbd_daemon_t *d);
json_t *hbd_ctl_members_json(hbd_daemon_t *d);

/* Close the listener and every connection, unlink the socket file (only if
 * it is still the one this server created) and free the server from the
 * close callbacks. NULL is a no-op. */
void hbd_ctl_close(hbd_ctl_t *ctl);

#endif /* HBD_CTL_SERVER_H */
