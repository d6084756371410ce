/* SPDX-License-Identifier: MIT */
/*
 * hbeatd's coordination side (election.enabled), see coord.c: the term
 * state file and the core's TERM / ROLE / QUORUM events. Called from daemon.c only; every function
 * runs on the loop thread and takes the one daemon object.
 */
#ifndef HBD_COORD_H
#define HBD_COORD_H

#include <stdint.h>

#include "daemon/daemon.h"
#include "hbeat/hbeat.h"

/*
 * Handle HB_EVENT_TERM, HB_EVENT_ROLE or HB_EVENT_QUORUM (the caller
 * dispatches on ev->type; other types are ignored). TERM: the term and
 * vote are written to election.state_file and fsync()ed before this
 * returns; if that fails, hbeatd stops (hbd_daemon_die_unpersisted()).
 * ROLE, QUORUM: one log line, the control socket's event stream, the role
 * scripts. `ev` is borrowed for the call.
 */
void hbd_coord_event(hbd_daemon_t *d, const hb_event_t *ev);

/*
 * At start, after hb_node_new() and before any peer is added: read
 * election.state_file and give the node its durable term and vote back
 * (a missing file is term 0), create the file's directory (last level
 * only) if needed, then write the file once. Returns 0, or a negative
 * error after logging why: -EINVAL for a malformed file (never read as
 * term 0), the errno of a failed read or write, or the core's error.
 */
int hbd_coord_restore_term(hbd_daemon_t *d);

/* Seed for the election delay's PRNG (hb_node_config_t coord.seed):
 * distinct per node and run. */
uint64_t hbd_coord_delay_seed(void);

#endif /* HBD_COORD_H */
