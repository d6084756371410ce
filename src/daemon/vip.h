/* SPDX-License-Identifier: MIT */
/*
 * Virtual IPs (at-least-one semantics): a node that may act (leader and
 * established, the policy machine's signal) adds the configured addresses
 * over netlink (libmnl) and announces them (gratuitous ARP, unsolicited
 * neighbour advertisement); one that may no longer act removes them;
 * stale copies are removed at start; the exec provider runs the
 * operator's commands instead. See vip.c and docs/vip.md.
 */
#ifndef HBD_VIP_H
#define HBD_VIP_H

#include <jansson.h>

#include "hbeat/hbeat.h"

struct hbd_daemon;

int hbd_vip_start(struct hbd_daemon *d);
void hbd_vip_stop(struct hbd_daemon *d);
/* The policy's VIP_ACQUIRE (actions.c): this node may act in `term`. */
void hbd_vip_acquire(struct hbd_daemon *d, uint64_t term);
/* The policy's VIP_RELEASE: it may no longer act (`why` for the log). */
void hbd_vip_release(struct hbd_daemon *d, uint64_t term, const char *why);
/* Called by coord.c on every HB_EVENT_QUORUM (re-announce after heal). */
void hbd_vip_on_quorum(struct hbd_daemon *d, const hb_event_t *ev);
json_t *hbd_vip_json(const struct hbd_daemon *d);

#endif /* HBD_VIP_H */
