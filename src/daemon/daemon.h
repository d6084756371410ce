/* SPDX-License-Identifier: MIT */
/*
 * hbeatd wiring: one libuv loop around one sans-I/O node (hb_node_t) on
 * its libuv adapter (hb_uv_node_t, include/hbeat/uv.h):
 *
 *   adapter         -> UDP in and out, the node's one deadline timer
 *                      (heartbeat schedule, peers' deadlines, election),
 *                      the output queue drained after every call
 *   core events     -> log, control socket (ring + followers), notify;
 *                      term changes -> state file (fsync) before returning
 *                      (coord.c); local pauses -> log
 *   transport events-> drop and send-failure logs, record streams, the
 *                      watchdog feed (actions.c)
 *   SIGHUP/reload   -> load config, check, prepare, commit (all or nothing)
 *                      (reload.c)
 *   SIGTERM/SIGINT  -> leave message x2, close everything, exit 0
 *
 * The daemon object is defined here (not opaque) because the control
 * server reads it to answer `status` and `members`; only daemon.c, its
 * coordination side (coord.c) and its config reload (reload.c) change it.
 * Everything lives in this one object: no globals.
 */
#ifndef HBD_DAEMON_H
#define HBD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "daemon/log.h"
#include "daemon/notify.h"
#include "hbeat/hbeat.h"
#include "hbeat/uv.h"

struct hbd_ctl;
struct hbd_http;

/* Command-line options (main.c). */
typedef struct hbd_options {
        const char *config_path;       /* as given with -c */
        hbd_log_format_t log_format;
        hbd_log_level_t log_level;
} hbd_options_t;

/* Counters kept by the shell (the core keeps its own). Public, read-only. */
typedef struct hbd_counters {
        uint64_t reloads;              /* successful reloads */
        uint64_t reload_failures;      /* rejected reloads */
        uint64_t coord_send_failures;  /* vote requests/responses that
                                          could not be sent */
        uint64_t term_writes;          /* state file writes (durable) */
} hbd_counters_t;


/* Slots for per-reason drop logging, indexed by -err - 10000 for the
 * project codes (-10001 .. -10099); slot 0 for anything else. */
#define HBD_DROP_SLOTS 100

typedef struct hbd_daemon {
        uv_loop_t loop;
        hbd_log_t log;
        hbd_config_t *cfg;             /* current config, owned */
        char *config_path;             /* absolute when resolvable, owned;
                                          what reload re-reads */
        hb_uv_node_t *un;              /* the node on its adapter */
        hb_node_t *node;               /* hb_uv_node_core(un), borrowed */
        uint64_t incarnation;          /* CLOCK_REALTIME µs at start */
        uint64_t start_ns;             /* monotonic, at start */
        /* The term and vote last made durable (election.state_file). */
        uint64_t durable_term;
        uint32_t durable_vote;
        uv_timer_t fatal_timer;        /* hbd_daemon_die_unpersisted() */

        uv_signal_t sig_term, sig_int, sig_hup;
        hbd_notify_t *notify;
        struct hbd_ctl *ctl;
        struct hbd_checks *checks;     /* health checks (checks.c) */
        struct hbd_http *http;         /* NULL without http.listen */
        struct hbd_vips *vips;         /* virtual IPs (vip.c) */
        struct hbd_actions *actions;       /* resource and fencing (actions.c) */

        hbd_counters_t counters;
        hbd_ratelimit_t drop_rl[HBD_DROP_SLOTS];
        hbd_ratelimit_t send_rl;
        hbd_ratelimit_t pause_rl;

        bool stopping;
        bool fatal;                    /* stopping without a leave: the
                                          term could not be persisted */
        int exit_code;
        unsigned handles_open;         /* embedded handles not yet closed */
} hbd_daemon_t;

/*
 * Run the daemon until SIGTERM/SIGINT. Takes ownership of `cfg` (a
 * successfully loaded config). Returns the process exit status: 0 after a
 * clean shutdown, 1 on a runtime failure (bind, control socket, a state
 * file that cannot be read or written, ...).
 */
int hbd_run(hbd_config_t *cfg, const hbd_options_t *opts);

/*
 * Re-read the config file and apply the difference (SIGHUP, control
 * `reload`; reload.c). On failure nothing changes and `err` receives the reason
 * ("FILE:LINE:COL: message" or "X cannot change on reload; restart
 * hbeatd"). Returns 0 or a negative error.
 */
int hbd_daemon_reload(hbd_daemon_t *d, char *err, size_t errlen);

/* The configured name of node `id` (this node's own name for its id), or
 * NULL for 0 and unknown ids. Borrowed from d->cfg. */
const char *hbd_node_name(const hbd_daemon_t *d, uint32_t id);

/* CLOCK_REALTIME now, ns. */
uint64_t hbd_wall_now_ns(void);

/* The wall time (CLOCK_REALTIME ns) of a core event that happened at
 * monotonic `at_ns`: now, minus how long ago it happened. */
uint64_t hbd_event_wall_ns(uint64_t at_ns);

/* For coord.c. */

/*
 * Log a failed send to `what` at `address` (both borrowed, for the log
 * line), rate-limited. `r` is the libuv error.
 */
void hbd_daemon_send_failed(hbd_daemon_t *d, int r, const char *what,
                            const char *address);

/*
 * The term or vote could not be made durable: this node must not vote or
 * lead on it. Stop everything now (no leave message: the peers see this
 * node fail, which it has); the exit status is 1. Called from inside the
 * core's callback: the adapter is muted at once (nothing the node queues
 * is sent) and the handles are closed from a timer callback, out of the
 * core's call. Idempotent.
 */
void hbd_daemon_die_unpersisted(hbd_daemon_t *d);

/* For reload.c. */

/* Tell systemd `msg` (sd_notify(), "READY=1", "RELOADING=1\n..."); a
 * no-op without systemd support or outside a systemd service. */
void hbd_daemon_sd_notify(const char *msg);

#endif /* HBD_DAEMON_H */
