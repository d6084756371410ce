/* SPDX-License-Identifier: MIT */
/*
 * Notify scripts: run the configured notify.script for every peer state
 * transition (and, with election enabled, every role and quorum change,
 * plus notify.on_leader / on_follower / on_no_quorum for roles),
 * asynchronously, bounded in time, concurrency and queue.
 *
 * Contract with the script (docs/operations.md, hbeatd(8)):
 *   argv:  SCRIPT peer_state PEER OLD NEW
 *   env:   PATH, HBEAT_EVENT=peer_state, HBEAT_NODE, HBEAT_NODE_ID,
 *          HBEAT_PEER, HBEAT_PEER_ID, HBEAT_OLD_STATE, HBEAT_NEW_STATE,
 *          HBEAT_REASON, HBEAT_SUSPICION, HBEAT_LAST_HEARTBEAT_AGE_MS,
 *          HBEAT_INCARNATION, HBEAT_TIME_NS, HBEAT_WALL_TIME
 *   Role changes (notify.script, then the role's own script):
 *   argv:  SCRIPT role OLD NEW
 *   env:   PATH, HBEAT_EVENT=role, HBEAT_NODE, HBEAT_NODE_ID,
 *          HBEAT_OLD_ROLE, HBEAT_NEW_ROLE, HBEAT_TERM, HBEAT_LEADER (name
 *          or empty), HBEAT_LEADER_ID (0: none), HBEAT_REASON,
 *          HBEAT_TIME_NS, HBEAT_WALL_TIME
 *   Quorum changes (notify.script only):
 *   argv:  SCRIPT quorum QUORATE (1 or 0)
 *   env:   PATH, HBEAT_EVENT=quorum, HBEAT_NODE, HBEAT_NODE_ID,
 *          HBEAT_QUORATE, HBEAT_TERM, HBEAT_LEADER, HBEAT_LEADER_ID,
 *          HBEAT_REASON, HBEAT_TIME_NS, HBEAT_WALL_TIME
 *   HBEAT_TERM is the fencing token: a script acting on shared resources
 *   passes it on and they refuse anything older than the newest seen.
 *   stdin /dev/null; stdout and stderr are hbeatd's.
 *   It runs in its own process group (session); after notify.timeout_ms the
 *   whole group is killed with SIGKILL.
 *
 * At most HBD_NOTIFY_MAX_RUNNING scripts run at once; further ones wait in
 * a FIFO of at most HBD_NOTIFY_MAX_QUEUED, beyond which events are dropped
 * (counted and logged). Scripts start in event order but may overlap.
 * Nothing here ever blocks the loop: a hanging or failing script cannot
 * delay heartbeats.
 */
#ifndef HBD_NOTIFY_H
#define HBD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "daemon/log.h"
#include "hbeat/hbeat.h"

#define HBD_NOTIFY_MAX_RUNNING 16
#define HBD_NOTIFY_MAX_QUEUED 1024
/* How long shutdown waits for running scripts before killing them. */
#define HBD_NOTIFY_SHUTDOWN_GRACE_MS 1000

typedef struct hbd_notify hbd_notify_t;

/* Counters. Public, read-only. */
typedef struct hbd_notify_counters {
        uint64_t started;      /* scripts spawned */
        uint64_t succeeded;    /* exited 0 */
        uint64_t failed;       /* spawn failure, non-zero exit or signal */
        uint64_t timed_out;    /* killed after notify.timeout_ms */
        uint64_t dropped;      /* queue full */
} hbd_notify_counters_t;

/* Identity of this node, for the script's environment. */
typedef struct hbd_notify_node {
        const char *name;
        uint32_t id;
} hbd_notify_node_t;

/*
 * Create the runner. `log` is borrowed and must outlive the runner.
 * Returns 0 or -ENOMEM.
 */
int hbd_notify_new(hbd_notify_t **ret, uv_loop_t *loop, const hbd_log_t *log);

/*
 * Settings are changed in two steps so that a config reload can prepare
 * everything that may fail first and then commit without failing:
 * hbd_notify_settings_prepare() (may fail), hbd_notify_swap() (cannot).
 * Jobs already queued keep the script and time limit they were queued
 * with.
 */
typedef struct hbd_notify_settings {
        char *script;          /* owned; NULL when disabled */
        uint64_t timeout_ns;
        char *on_leader;       /* owned; NULL when none */
        char *on_follower;
        char *on_no_quorum;
        /* Topology hierarchy: on_leader, on_follower and on_no_quorum
         * follow the global role (HB_EVENT_GLOBAL_ROLE), the role that
         * holds the resource, not the regional one (docs/hierarchy.md). */
        bool global_hooks;
} hbd_notify_settings_t;

/* Fill `out` from the config's notify.* (copies). Returns 0 or -ENOMEM
 * (`out` then holds nothing to release). */
int hbd_notify_settings_prepare(hbd_notify_settings_t *out,
                                const hbd_config_t *cfg);
/* Install prepared settings (cannot fail); `s` then holds the old ones,
 * to be released with hbd_notify_settings_release(). */
void hbd_notify_swap(hbd_notify_t *n, hbd_notify_settings_t *s);
void hbd_notify_settings_release(hbd_notify_settings_t *s);

/* Current script, or NULL. Borrowed. */
const char *hbd_notify_script(const hbd_notify_t *n);
uint64_t hbd_notify_timeout_ns(const hbd_notify_t *n);

/*
 * Run the script for a peer state event (no-op when no script is set or
 * the runner is shutting down). `ev`, `node`, `peer_name` are borrowed for
 * the call; `wall_time_ns` is the event's CLOCK_REALTIME time.
 */
void hbd_notify_peer_state(hbd_notify_t *n, const hb_event_t *ev,
                           const hbd_notify_node_t *node,
                           const char *peer_name, uint64_t wall_time_ns);

/*
 * Run the script for a link event (HB_EVENT_LINK, docs/links.md):
 * argv "link PEER LINK OLD NEW", environment HBEAT_EVENT=link,
 * HBEAT_PEER, HBEAT_PEER_ID, HBEAT_LINK, HBEAT_LINK_INDEX,
 * HBEAT_OLD_STATE, HBEAT_NEW_STATE (link states), HBEAT_PEER_STATE,
 * HBEAT_REASON, HBEAT_SUSPICION, HBEAT_LAST_HEARTBEAT_AGE_MS, times.
 */
void hbd_notify_link(hbd_notify_t *n, const hb_event_t *ev,
                     const hbd_notify_node_t *node, const char *peer_name,
                     const char *link_name, uint64_t wall_time_ns);

/*
 * Run the scripts for a coordination event (HB_EVENT_ROLE: notify.script
 * and the new role's script; HB_EVENT_QUORUM: notify.script; other types
 * are ignored). `leader_name` is the name of ev->leader_id, NULL when
 * none. Borrowed for the call.
 */
void hbd_notify_coord(hbd_notify_t *n, const hb_event_t *ev,
                      const hbd_notify_node_t *node, const char *leader_name,
                      uint64_t wall_time_ns);

/*
 * Topology "hierarchy" (docs/hierarchy.md): HB_EVENT_REGION runs
 * notify.script with "region REGION OLD NEW" and HBEAT_REGION,
 * HBEAT_OLD_REGION_STATE, HBEAT_NEW_REGION_STATE; HB_EVENT_GLOBAL_ROLE
 * with "global_role OLD NEW" and HBEAT_OLD_ROLE, HBEAT_NEW_ROLE,
 * HBEAT_TERM, HBEAT_GLOBAL_LEADER_REGION, HBEAT_ESTABLISHED,
 * HBEAT_REASON; both with HBEAT_EVENT, the node and times. Other events
 * are ignored.
 */
void hbd_notify_hier(hbd_notify_t *n, const hb_event_t *ev,
                     const hbd_notify_node_t *node, uint64_t wall_time_ns);

/* Copy the counters. */
void hbd_notify_get_counters(const hbd_notify_t *n,
                             hbd_notify_counters_t *out);
/* Scripts running / waiting now. */
unsigned hbd_notify_running(const hbd_notify_t *n);
unsigned hbd_notify_queued(const hbd_notify_t *n);

/*
 * Shut down: drop queued jobs, give running scripts up to
 * HBD_NOTIFY_SHUTDOWN_GRACE_MS to finish, then SIGKILL their process
 * groups; when all are gone, free the runner (from libuv close callbacks)
 * and call `done(arg)`. `n` is invalid after this call. NULL `n` calls
 * `done` at once.
 */
void hbd_notify_close(hbd_notify_t *n, void (*done)(void *arg), void *arg);

/*
 * Fencing outcome (a fence event on the bus): runs notify.script
 * with argv "fence TARGET RESULT" and HBEAT_EVENT=fence, HBEAT_NODE,
 * HBEAT_NODE_ID, HBEAT_FENCE_TARGET, HBEAT_FENCE_TARGET_ID, HBEAT_TERM,
 * HBEAT_FENCE_RESULT ("ok", "exit 1", "timed out after 500 ms", ...),
 * HBEAT_FENCE_ATTEMPT (1, then 2.. for the retries of a failed fence of
 * that target in that term). Strings are copied. No-op without a script.
 */
void hbd_notify_fence(hbd_notify_t *n, const hbd_notify_node_t *node,
                      const char *target, uint32_t target_id, uint64_t term,
                      const char *result, uint64_t attempt);

/*
 * A health check changed state (a check event): runs notify.script with argv
 * "check NAME OLD NEW" and HBEAT_EVENT=check, HBEAT_NODE, HBEAT_NODE_ID,
 * HBEAT_CHECK, HBEAT_CHECK_STATE, HBEAT_CHECK_OLD_STATE, HBEAT_REASON,
 * HBEAT_TIME_NS (wall clock), through the same queue, concurrency limit
 * and timeout as every notify job. Strings are copied. No-op without a
 * script.
 */
void hbd_notify_check(hbd_notify_t *n, const hbd_notify_node_t *node,
                      const char *check, const char *old_state,
                      const char *new_state, const char *reason,
                      uint64_t wall_time_ns);

#endif /* HBD_NOTIFY_H */
