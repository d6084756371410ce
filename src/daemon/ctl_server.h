/* SPDX-License-Identifier: MIT */
/*
 * hbeatd control socket transport: the JSON-lines framing of
 * docs/control-protocol.md on a Unix stream socket, connections, their
 * flow control, the event ring and the two kinds of streams (`events
 * --follow` and `record`). What the commands do is not here: each request
 * line is handed to the command table given to hbd_ctl_open() (the control
 * module, ctl.c).
 */
#ifndef HBD_CTL_SERVER_H
#define HBD_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "daemon/log.h"

/* Events kept for `{"cmd": "events"}`. */
#define HBD_CTL_RING 256
/* Concurrent client connections; more are accepted and closed at once,
 * unless a request/response connection idle for HBD_CTL_IDLE_MS or more
 * can be closed to make room. */
#define HBD_CTL_MAX_CLIENTS 64
/* Of those, connections of one uid (SO_PEERCRED). */
#define HBD_CTL_MAX_CLIENTS_PER_UID 32
/* A connection with no input for this long gives way to a new one when
 * all are taken, ms. */
#define HBD_CTL_IDLE_MS 10000

typedef struct hbd_ctl hbd_ctl_t;
typedef struct hbd_ctl_conn hbd_ctl_conn_t;

/* A command: {"cmd": name, ...} goes to fn(user, c, request); the request
 * is borrowed for the call. fn answers with hbd_ctl_reply() or
 * hbd_ctl_reply_error(), or turns the connection into a stream. */
typedef struct hbd_ctl_command {
        const char *name;
        void (*fn)(void *user, hbd_ctl_conn_t *c, json_t *req);
} hbd_ctl_command_t;

/*
 * Listen on `path`.
 *
 * - Creates the parent directory (mode 0755) if missing.
 * - If `path` exists: when it is a socket that accepts a connection,
 *   another daemon owns it: fail with -EADDRINUSE; when connecting fails
 *   it is stale and removed; when it is not a socket: fail with -EEXIST.
 * - The socket gets mode 0660.
 *
 * log:   borrowed; must outlive the server.
 * cmds:  the command table, ending with a NULL name (borrowed, static);
 *        `user` is passed to every handler.
 * err:   on failure, a one-line message naming the path and the cause.
 * Returns 0 or a negative errno / libuv error.
 */
int hbd_ctl_open(hbd_ctl_t **ret, uv_loop_t *loop, const hbd_log_t *log,
                 const char *path, const hbd_ctl_command_t *cmds,
                 void *user, char *err, size_t errlen);

/* Answer a request with `obj` (reference stolen; NULL: out of memory, the
 * connection is closed). */
void hbd_ctl_reply(hbd_ctl_conn_t *c, json_t *obj);

/* Answer {"ok": false, "error": MESSAGE}. */
void hbd_ctl_reply_error(hbd_ctl_conn_t *c, const char *fmt, ...)
        HBD_PRINTF(2, 3);

/* The connection becomes an `events --follow` stream: every event
 * published from now on is written to it. */
void hbd_ctl_follow(hbd_ctl_conn_t *c);

/* The connection becomes a `record` stream of peer `peer_id`. */
void hbd_ctl_record(hbd_ctl_conn_t *c, uint32_t peer_id);

/* The ring's events, oldest first (a new array). */
json_t *hbd_ctl_events(const hbd_ctl_t *ctl);

/* Record an EVENT object (reference stolen) in the ring and send it to
 * every follower. NULL ctl or event: the event is released. */
void hbd_ctl_publish(hbd_ctl_t *ctl, json_t *event);

/* Whether any `record` stream is open (the hot path asks first). */
bool hbd_ctl_recording(const hbd_ctl_t *ctl);

/*
 * An accepted HEARTBEAT of peer `peer_id`: `seq` and `send_ns` (the
 * peer's clock) from the message, `arrival_ns` the monotonic time given
 * to hb_node_recv(). Written as one line to every `record` stream of that
 * peer; O(1) when there is none. NULL ctl is a no-op.
 */
void hbd_ctl_record_arrival(hbd_ctl_t *ctl, uint32_t peer_id, uint64_t seq,
                            uint64_t send_ns, uint64_t arrival_ns);

/* End (with an error line) every `record` stream whose peer `keep` says
 * is gone (keep(user, id) false). NULL ctl is a no-op. */
void hbd_ctl_end_records(hbd_ctl_t *ctl, bool (*keep)(void *, uint32_t),
                         void *user);

/* Stop listening and close every connection; the server frees itself
 * when the last handle has closed. NULL is a no-op. */
void hbd_ctl_close(hbd_ctl_t *ctl);

#endif /* HBD_CTL_SERVER_H */
