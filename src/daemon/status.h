/* SPDX-License-Identifier: MIT */
/*
 * The documents that describe a running hbeatd: what `hbeatctl status`,
 * `members`, `leader` and `quorum` print and what HTTP serves at
 * /v1/status and /v1/members (docs/control-protocol.md, docs/http.md).
 * One builder each, used by both front ends; the node's part comes from
 * the core and the adapter, each module adds its own (module.h, status).
 *
 * Every function returns a new reference, or NULL when out of memory.
 */
#ifndef HBD_STATUS_H
#define HBD_STATUS_H

#include <jansson.h>

#include "daemon/module.h"

/* {"ok": true, "node": {...}, "peers": {...}, "coordination": {...},
 *  "counters": {...}, ... every module's part, "now_ns": N} */
json_t *hbd_status_json(hbd_ctx_t *ctx);

/* {"ok": true, "now_ns": N, "members": [...]} */
json_t *hbd_members_json(const hbd_ctx_t *ctx);

/* {"ok": true, "now_ns": N, "links": [{index, name, listen, interface}],
 *  "peers": [one row per (peer, link): state, suspicion, RTT, loss...]}
 * (docs/links.md, `hbeatctl links`). */
json_t *hbd_links_json(const hbd_ctx_t *ctx);

/* The coordination object (enabled or not) at `now_ns`. */
json_t *hbd_coord_json(const hbd_ctx_t *ctx, uint64_t now_ns);

/* {"ok": true, ... coordination, "two_node", "wait_for_all", "members":
 *  [every member's votes and whether they count]}, or NULL with *why set
 *  when election is off. */
json_t *hbd_quorum_json(const hbd_ctx_t *ctx, const char **why);

/* A daemon event as the event stream shows it (the control socket's
 * `events`, HTTP's /v1/events): peer states, role and quorum changes,
 * resource states, fences and health checks; NULL for the kinds that are
 * not streamed (terms, pauses, arrivals, ...) and when out of memory. */
json_t *hbd_event_json(const hbd_ctx_t *ctx, const hbd_event_t *ev);

#endif /* HBD_STATUS_H */
