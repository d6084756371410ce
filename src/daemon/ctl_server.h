/* SPDX-License-Identifier: MIT */
/*
 * hbeatd control socket server: the JSON-lines protocol of
 * docs/control-protocol.md on a Unix stream socket (status, members,
 * events with or without follow, reload).
 *
 * It keeps the ring of the 256 most recent events and the list of
 * `events --follow` subscribers; the daemon hands it every event with
 * hbd_ctl_publish().
 */
#ifndef HBD_CTL_SERVER_H
#define HBD_CTL_SERVER_H

#include <stddef.h>

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

/* Close the listener and every connection, unlink the socket file (only if
 * it is still the one this server created) and free the server from the
 * close callbacks. NULL is a no-op. */
void hbd_ctl_close(hbd_ctl_t *ctl);

#endif /* HBD_CTL_SERVER_H */
