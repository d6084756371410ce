/* SPDX-License-Identifier: MIT */
/*
 * Health checks (the pull model): exec, tcp and http probes with
 * interval / timeout / rise / fall / initial_delay (HAProxy and Kubernetes
 * probe semantics), whose results adjust this node's election priority
 * (`weight`) or take it out of leadership (`fault`). See checks.c.
 */
#ifndef HBD_CHECKS_H
#define HBD_CHECKS_H

#include <stdbool.h>

#include <jansson.h>

struct hbd_daemon;

/* Start every configured check (after the loop and node exist). 0 or
 * negative errno. */
int hbd_checks_start(struct hbd_daemon *d);
/* After a successful config reload (d->cfg is the new config): build the
 * checks anew from it, keeping the state of checks with the same name,
 * kind and target, stop the old ones, re-apply the effects (the reload
 * reset the priority). 0 or -ENOMEM (old checks kept running). */
int hbd_checks_reload(struct hbd_daemon *d);
/* Stop and release every check (handles closed through the loop). */
void hbd_checks_stop(struct hbd_daemon *d);
/* True when every check is currently passing (no check: true). Used by
 * /readyz. */
bool hbd_checks_passing(const struct hbd_daemon *d);
/* The checks as a JSON array (new reference) for the control socket and
 * HTTP status: name, kind, target, state (passing/failing/initial), last
 * result, consecutive successes/failures, effect. */
json_t *hbd_checks_json(const struct hbd_daemon *d);

#endif /* HBD_CHECKS_H */
