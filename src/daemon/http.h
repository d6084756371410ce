/* SPDX-License-Identifier: MIT */
/*
 * hbeatd HTTP endpoints (http.listen; docs/http.md): a read-only view for
 * load balancers, orchestrators and monitoring.
 *
 *   GET /healthz     200 "ok\n": the daemon's loop answered
 *   GET /readyz      200 {"ready":true} when the partition is quorate (or
 *                    election is off) and every health check passes; else
 *                    503 {"ready":false,"reason":"..."}
 *   GET /v1/status   the control socket's `status` object
 *   GET /v1/members  the control socket's `members` object
 *
 * HEAD is answered like GET without the body; other methods get 405, a
 * request with a body 413, other paths 404.
 *
 * libmicrohttpd runs without a thread of its own (MHD_USE_EPOLL, external
 * polling): its epoll fd is watched by a uv_poll_t of the daemon's loop and
 * its timeout by a uv_timer_t, so every request is answered from the loop
 * thread, like a control socket request, and reads the daemon directly.
 */
#ifndef HBD_HTTP_H
#define HBD_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "daemon/daemon.h"

typedef struct hbd_http hbd_http_t;

/*
 * Listen on `addr` (TCP, that address only; IPv6 without v4-mapped) and
 * serve the endpoints from d's loop.
 *
 * d:        the daemon (borrowed; must outlive the server).
 * addr, addr_len: the address to bind (copied).
 * address:  the address as configured, for messages (copied).
 * err:      on failure, one line naming the address and the cause
 *           ("cannot bind HTTP socket to 10.0.0.1:8080: Address already in
 *           use").
 * Returns 0 (*ret set) or a negative errno (*ret untouched): the socket,
 * bind or listen error; -ENOMEM; -EIO when libmicrohttpd refuses to start.
 */
int hbd_http_open(hbd_http_t **ret, hbd_daemon_t *d,
                  const struct sockaddr *addr, socklen_t addr_len,
                  const char *address, char *err, size_t errlen);

/*
 * Stop serving: close every HTTP connection and the listening socket now;
 * the server is freed from its handles' close callbacks. NULL is a no-op.
 */
void hbd_http_close(hbd_http_t *h);

#endif /* HBD_HTTP_H */
