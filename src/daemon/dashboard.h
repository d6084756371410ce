/* SPDX-License-Identifier: MIT */
/*
 * The live dashboard of the HTTP module (docs/http.md, "Dashboard"): the
 * page at / with its script and style sheet, compiled into hbeatd (no
 * file is read at run time, nothing is fetched from elsewhere);
 * /v1/events, the recent events of the event stream with an id each so
 * that a page can poll for the new ones; /v1/suspicion, each peer's
 * suspicion over the last minute.
 *
 * Read-only, like the rest of HTTP: the page only reads /v1/status,
 * /v1/members, /v1/events and /v1/suspicion. Everything runs on the loop
 * thread (the HTTP module's request handler and bus events).
 */
#ifndef HBD_DASHBOARD_H
#define HBD_DASHBOARD_H

#include <stdbool.h>

#include <microhttpd.h>

#include "daemon/module.h"

/* Events kept for /v1/events (the oldest give way). */
#define HBD_DASH_RING 256u
/* /v1/suspicion: samples kept per peer, one per HBD_DASH_SAMPLE_NS. */
#define HBD_DASH_SAMPLES 60u
#define HBD_DASH_SAMPLE_NS 1000000000ull

typedef struct hbd_dash hbd_dash_t;

/* A dashboard of `ctx`'s node (borrowed; outlives it). NULL when out of
 * memory. */
hbd_dash_t *hbd_dash_new(hbd_ctx_t *ctx);

/* Release it and its events. NULL is a no-op. */
void hbd_dash_free(hbd_dash_t *d);

/* The bus event kinds hbd_dash_on_event() wants (hbd_module_t.events). */
#define HBD_DASH_EVENTS (HBD_EV_CORE | HBD_EV_RESOURCE | HBD_EV_FENCE | \
                         HBD_EV_CHECK | HBD_EV_HEARTBEAT_SENT | \
                         HBD_EV_PEERS)

/* A heartbeat sent: sample the peers' suspicion; the peers changed:
 * drop the history of the removed ones; else keep `ev`
 * (hbd_event_json()'s form) in the ring with the next id (kinds that are
 * not streamed are ignored). NULL d is a no-op. */
void hbd_dash_on_event(hbd_dash_t *d, const hbd_event_t *ev);

/*
 * Answer a GET or HEAD of `url` when it is the dashboard's (/, its
 * assets, /v1/events, /v1/suspicion): *handled is set and MHD's result
 * returned. Otherwise *handled is false and nothing is queued.
 */
enum MHD_Result hbd_dash_request(hbd_dash_t *d, struct MHD_Connection *conn,
                                 const char *url, bool *handled);

#endif /* HBD_DASHBOARD_H */
