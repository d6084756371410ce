/* SPDX-License-Identifier: MIT */
/*
 * Role-driven actions of hbeatd: the at-most-one resource (start on
 * becoming leader, stop on stepping down, with time limits; self-fence
 * when a stop fails or hangs) and fencing (STONITH) of the previous leader
 * before the resource starts. See actions.c and docs/actions.md.
 */
#ifndef HBD_ACTIONS_H
#define HBD_ACTIONS_H

#include <jansson.h>

#include "hbeat/hbeat.h"

struct hbd_daemon;

/* Start-up / shutdown. 0 or negative errno. */
int hbd_actions_start(struct hbd_daemon *d);
void hbd_actions_stop(struct hbd_daemon *d);
/* Called by coord.c on every HB_EVENT_ROLE, after logging and notify. */
void hbd_actions_on_role(struct hbd_daemon *d, const hb_event_t *ev);
/* State for status/HTTP (new reference): resource state, last fence. */
json_t *hbd_actions_json(const struct hbd_daemon *d);
/* Every heartbeat tick: feed the kernel watchdog while it is armed
 * (fencing.watchdog; docs/actions.md). */
void hbd_actions_tick(struct hbd_daemon *d);

#endif /* HBD_ACTIONS_H */
