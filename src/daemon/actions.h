/* SPDX-License-Identifier: MIT */
/*
 * Role-driven actions of hbeatd: the executor of the policy machine
 * (include/hbeat/policy.h) for the at-most-one resource (start once this
 * node may act, stop when it no longer may, with time limits; self-fence
 * when a stop fails or hangs), fencing (STONITH) before the resource
 * starts, and the VIPs (through vip.c). See actions.c and
 * docs/actions.md.
 */
#ifndef HBD_ACTIONS_H
#define HBD_ACTIONS_H

#include <jansson.h>

#include "hbeat/hbeat.h"

struct hbd_daemon;

/* Start-up / shutdown. 0 or negative errno. */
int hbd_actions_start(struct hbd_daemon *d);
void hbd_actions_stop(struct hbd_daemon *d);
/* Called by coord.c on every HB_EVENT_ROLE, after logging and notify,
 * from inside the node's event callback: the machine decides on it. */
void hbd_actions_on_role(struct hbd_daemon *d, const hb_event_t *ev);
/* State for status/HTTP (new reference): resource state, last fence. */
json_t *hbd_actions_json(const struct hbd_daemon *d);
/* Every heartbeat tick: feed the kernel watchdog while it is armed
 * (fencing.watchdog; docs/actions.md). */
void hbd_actions_tick(struct hbd_daemon *d);

#endif /* HBD_ACTIONS_H */
