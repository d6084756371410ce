/* SPDX-License-Identifier: MIT */
/*
 * The live dashboard of the HTTP module (docs/http.md, "Dashboard"): the
 * page at / with its script and style sheet, compiled into hbeatd (no
 * file is read at run time, nothing is fetched from elsewhere), and
 * /v1/events, the recent events of the event stream with an id each so
 * that a page can poll for the new ones.
 *
 * Read-only, like the rest of HTTP: the page only reads /v1/status,
 * /v1/members and /v1/events. Everything runs on the loop thread (the
 * HTTP module's request handler and bus events).
 */
#ifndef HBD_DASHBOARD_H
#define HBD_DASHBOARD_H

#include <stdbool.h>

#include <microhttpd.h>

#include "daemon/module.h"

/* Events kept for /v1/events (the oldest give way). */
#define HBD_DASH_RING 256u

typedef struct hbd_dash hbd_dash_t;

/* A dashboard of `ctx`'s node (borrowed; outlives it). NULL when out of
 * memory. */
hbd_dash_t *hbd_dash_new(hbd_ctx_t *ctx);

/* Release it and its events. NULL is a no-op. */
void hbd_dash_free(hbd_dash_t *d);

/* The bus event kinds hbd_dash_on_event() wants (hbd_module_t.events). */
#define HBD_DASH_EVENTS (HBD_EV_CORE | HBD_EV_RESOURCE | HBD_EV_FENCE | \
                         HBD_EV_CHECK)

/* Keep `ev` (hbd_event_json()'s form) in the ring with the next id; kinds
 * that are not streamed are ignored. NULL d is a no-op. */
void hbd_dash_on_event(hbd_dash_t *d, const hbd_event_t *ev);

/*
 * Answer a GET or HEAD of `url` when it is the dashboard's (/, its
 * assets, /v1/events): *handled is set and MHD's result returned.
 * Otherwise *handled is false and nothing is queued.
 */
enum MHD_Result hbd_dash_request(hbd_dash_t *d, struct MHD_Connection *conn,
                                 const char *url, bool *handled);

#endif /* HBD_DASHBOARD_H */
