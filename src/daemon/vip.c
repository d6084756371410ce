/* SPDX-License-Identifier: MIT */
/* stub: virtual IPs, being written. */
#include "daemon/vip.h"

int hbd_vip_start(struct hbd_daemon *d) { (void)d; return 0; }
void hbd_vip_stop(struct hbd_daemon *d) { (void)d; }
void hbd_vip_on_role(struct hbd_daemon *d, const hb_event_t *ev)
{
        (void)d;
        (void)ev;
}
void hbd_vip_on_quorum(struct hbd_daemon *d, const hb_event_t *ev)
{
        (void)d;
        (void)ev;
}
json_t *hbd_vip_json(const struct hbd_daemon *d)
{
        (void)d;
        return json_array();
}
