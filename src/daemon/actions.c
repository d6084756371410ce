/* SPDX-License-Identifier: MIT */
/* stub: resource actions and fencing, being written. */
#include "daemon/actions.h"

int hbd_actions_start(struct hbd_daemon *d) { (void)d; return 0; }
void hbd_actions_stop(struct hbd_daemon *d) { (void)d; }
void hbd_actions_on_role(struct hbd_daemon *d, const hb_event_t *ev)
{
        (void)d;
        (void)ev;
}
json_t *hbd_actions_json(const struct hbd_daemon *d)
{
        (void)d;
        return json_object();
}
