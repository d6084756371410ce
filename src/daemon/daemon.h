/* SPDX-License-Identifier: MIT */
/*
 * hbeatd: one node on its libuv adapter, and the modules around it.
 *
 *   the node        libhbeat's sans-I/O core on libhbeat-uv (hbeat/uv.h):
 *                   the UDP socket, the one deadline timer, the output
 *                   queue; the core keeps the heartbeat schedule and finds
 *                   its own pauses
 *   the bus         module.c: every core event (and the adapter's
 *                   transport events) goes to every module that asked
 *   the modules     notify, coordination, control, http, checks, vips,
 *                   actions (module.h): started in that order after the
 *                   node, stopped in reverse
 *   SIGHUP/reload   reload.c: all or nothing, node and modules
 *   SIGTERM/SIGINT  the LEAVING event (the resource stopped, the VIPs
 *                   released), the leave message twice, everything
 *                   closed, exit 0
 *
 * main.c parses the command line and loads the config; daemon.c wires
 * and runs. Everything lives in one object: no globals.
 */
#ifndef HBD_DAEMON_H
#define HBD_DAEMON_H

#include "config/config.h"
#include "daemon/log.h"

/* Command-line options (main.c). */
typedef struct hbd_options {
        const char *config_path;       /* as given with -c */
        hbd_log_format_t log_format;
        hbd_log_level_t log_level;
} hbd_options_t;

/*
 * Run the daemon until SIGTERM/SIGINT. Takes ownership of `cfg` (a
 * successfully loaded config). Returns the process exit status: 0 after a
 * clean shutdown, 1 on a runtime failure (bind, control socket, a state
 * file that cannot be read or written, ...).
 */
int hbd_run(hbd_config_t *cfg, const hbd_options_t *opts);

#endif /* HBD_DAEMON_H */
