/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration: load, validate, compare. Shared by hbeatd and
 * hbeatctl (check-config). Not part of the public libhbeat API.
 *
 * The file is YAML (parsed with libyaml). Every key is described by one row
 * of the knob table in config.c (name, unit, min, max, default, reloadable,
 * help): that table drives parsing, validation, `hbeatctl check-config` and
 * the man page hbeatd.yaml(5). Unknown keys, wrong types and out-of-range
 * values are errors reported as "FILE:LINE:COL: message" (1-based line and
 * column of the offending key or value), and the load fails as a whole.
 *
 * Schema (see docs/configuration.md and examples/):
 *
 *   node:       { name: STR, id: 1..2^32-1 }                   required
 *   listen:     "HOST:PORT" | "[V6]:PORT"     default "0.0.0.0:7400"
 *   cluster:    { id: 0..2^32-1 (default 0), key_file: PATH }  key required
 *   heartbeat:  { interval_ms: 1..3600000 (default 100) }
 *   detector:   { kind: phi|fixed|chen|bertier|phi_exp|adaptive (phi),
 *                 suspect_threshold, dead_threshold, dead_after_ms,
 *                 window, and the kind's own keys: min_std_dev_ms,
 *                 acceptable_pause_ms (phi); chen_alpha_ms (chen);
 *                 bertier_beta/phi/gamma (bertier); adaptive_* (adaptive) }
 *   membership: { probation_ms, local_pause_ms, port_unreachable }
 *   notify:     { script: PATH, timeout_ms: 1..3600000 (5000),
 *                 on_leader, on_follower, on_no_quorum: PATH }
 *   quorum:     { votes: 0..255 (1), expected_votes (0 = sum),
 *                 two_node, wait_for_all, witness: bool (false) }
 *   election:   { enabled: bool (false), priority: 0..255 (100),
 *                 preempt: bool (false), delay_ms (= interval),
 *                 state_file: PATH (/var/lib/hbeat/NODE.state) }
 *   control:    { socket: PATH (default /run/hbeat/hbeatd.sock) }
 *   http:       { listen: "HOST:PORT" | "[V6]:PORT" (default none: no
 *                 HTTP server) }
 *   peers:      [ { name: STR, id: N, address: "HOST:PORT",
 *                   votes: 0..255 (1) }, ... ]
 *   checks:     [ { name: STR, kind: exec|tcp|http, command: [ARGV],
 *                   target: "HOST:PORT", url: URL, expect_status (200),
 *                   interval_ms (2000), timeout_ms (1000), rise (2),
 *                   fall (3), initial_delay_ms (0), weight: -255..255 (0),
 *                   effect: fault }, ... ]        (docs/checks.md)
 *   vips:       [ { address: "ADDR/PREFIX", interface: NAME,
 *                   provider: netlink|exec (netlink), up: [ARGV],
 *                   down: [ARGV] }, ... ]   (docs/vip.md; needs
 *                   election.enabled; a change needs a restart)
 *
 * quorum.*, the election keys but `enabled`, notify.on_* and peers[].votes
 * need election.enabled: true (set without it they are an error, never
 * silently unused).
 *
 * Relative paths (key_file, notify scripts, state_file, control.socket)
 * are resolved
 * against the directory of the config file.
 */
#ifndef HBD_CONFIG_H
#define HBD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hbeat/hbeat.h"

/* Longest node or peer name, bytes, NUL excluded. */
#define HBD_NAME_MAX 63

/* checks[].kind */
typedef enum hbd_check_kind {
        HBD_CHECK_EXEC = 0,            /* run argv, exit 0 = success */
        HBD_CHECK_TCP = 1,             /* connect to every address */
        HBD_CHECK_HTTP = 2,            /* GET url, expect a status */
} hbd_check_kind_t;

/* One checks[] entry (docs/checks.md). */
typedef struct hbd_check_conf {
        char name[HBD_NAME_MAX + 1];
        uint32_t kind;                 /* hbd_check_kind_t */
        char **argv;                   /* exec: NULL-terminated, owned */
        char *target;                  /* tcp: "HOST:PORT" as written */
        char *target_host;             /* tcp: HOST (brackets removed) */
        uint32_t target_port;          /* tcp: 1..65535 */
        char *url;                     /* http: as written, owned */
        uint32_t expect_status;        /* http: 100..599 (200) */
        uint64_t interval_ns;          /* between two runs' starts */
        uint64_t timeout_ns;           /* <= interval */
        uint64_t initial_delay_ns;     /* before the first run */
        uint32_t rise, fall;           /* consecutive results to flip */
        int32_t weight;                /* -255..255; 0 = none */
        bool fault;                    /* effect: fault */
        uint32_t peer_id;              /* 0, or the pull peer this check
                                          polls (peers[].pull): every
                                          success is its heartbeat */
        int line;                      /* where the entry starts */
} hbd_check_conf_t;

/* One peers[] entry: a push peer (address: runs hbeatd) or a pull peer
 * (pull: polled, docs/checks.md "Pull peers"). */
typedef struct hbd_peer_conf {
        char name[HBD_NAME_MAX + 1];
        uint32_t id;
        char *address;                 /* as written, owned (a pull peer:
                                          its pull URL, for display) */
        struct sockaddr_storage addr;  /* resolved at load (pull peer:
                                          zero, AF_UNSPEC) */
        socklen_t addr_len;
        uint32_t votes;                /* peers[].votes, 0..255 */
        char *pull;                    /* peers[].pull as written, owned;
                                          NULL for a push peer */
        hbd_check_conf_t pull_check;   /* pull peer: the probe (kind tcp
                                          or http, every interval) */
        int line;                      /* where the entry starts (1-based) */
} hbd_peer_conf_t;

/* vips[].provider */
typedef enum hbd_vip_provider {
        HBD_VIP_NETLINK = 0,           /* add/remove over rtnetlink */
        HBD_VIP_EXEC = 1,              /* run up / down */
} hbd_vip_provider_t;

/* One vips[] entry (docs/vip.md). */
typedef struct hbd_vip_conf {
        char *address;                 /* "ADDR/PREFIX" as written, owned */
        int family;                    /* AF_INET or AF_INET6 */
        uint8_t addr[16];              /* network order; 4 bytes for v4 */
        uint32_t prefix_len;           /* 0..32 or 0..128 */
        char *interface;               /* as written, owned */
        uint32_t provider;             /* hbd_vip_provider_t */
        char **up, **down;             /* exec: NULL-terminated, owned */
        int line;                      /* where the entry starts */
} hbd_vip_conf_t;

typedef struct hbd_config {
        char *path;                    /* config file as given, owned */

        char node_name[HBD_NAME_MAX + 1];
        char *listen;                  /* as written, owned */
        struct sockaddr_storage listen_addr;
        socklen_t listen_addr_len;

        char *key_file;                /* resolved path, owned */

        /*
         * Everything the core needs: cluster id, node id, interval,
         * detector, thresholds, dead_after, probation, key (read from
         * key_file). incarnation is 0 here; the daemon sets it at start.
         */
        hb_node_config_t node;

        char *notify_script;           /* resolved path or NULL, owned */
        uint64_t notify_timeout_ns;
        /* Role scripts (election.enabled only): resolved or NULL, owned. */
        char *notify_on_leader;
        char *notify_on_follower;
        char *notify_on_no_quorum;

        /* election.state_file: resolved path, owned; set (default
         * /var/lib/hbeat/NODE.state) only with election.enabled. The
         * coordination settings themselves are in node.coord; its seed is
         * 0 here (the daemon draws one at start). */
        char *election_state_file;

        /* membership.local_pause_ms: a timer firing this much late means
         * this process was paused (local-pause guard); 0 disables. */
        uint64_t local_pause_ns;

        char *control_socket;          /* resolved path, owned */

        /* http.listen: as written, owned; NULL (and http_listen_addr
         * zeroed) when not set: no HTTP server (docs/http.md). */
        char *http_listen;
        struct sockaddr_storage http_listen_addr;
        socklen_t http_listen_addr_len;

        hbd_peer_conf_t *peers;        /* owned array */
        size_t n_peers;

        hbd_check_conf_t *checks;      /* checks[], owned array */
        size_t n_checks;

        hbd_vip_conf_t *vips;          /* vips[], owned array; not
                                          reloadable (restart) */
        size_t n_vips;

        /* resource.* and fencing.* (election.enabled only; actions.c,
         * docs/actions.md): NULL-terminated argv, owned; NULL when unset. */
        char **resource_start;
        char **resource_stop;
        uint64_t resource_start_timeout_ns;
        uint64_t resource_stop_timeout_ns;
        char **fence_command;
        uint64_t fence_timeout_ns;
        char **fence_self;
        uint64_t fence_two_node_delay_ns;
        char *watchdog;                /* fencing.watchdog, resolved, owned;
                                          NULL: none (watchdog.c) */
        uint64_t watchdog_timeout_ns;  /* fencing.watchdog_timeout_ms */
} hbd_config_t;

/*
 * Load and validate a config file, and read its key file.
 *
 * ret:    output, owned by the caller (hbd_config_free()); untouched on
 *         failure.
 * err:    on failure, receives one line "FILE:LINE:COL: message" (or
 *         "FILE: message" when there is no position, e.g. file not found),
 *         NUL-terminated, truncated to errlen.
 * Returns 0, or -EINVAL (bad content), -ENOENT/-EACCES (cannot read the
 * file or the key file), -ENOMEM.
 */
int hbd_config_load(hbd_config_t **ret, const char *path, char *err,
                    size_t errlen);

/*
 * Load flags. HBD_CONFIG_NO_KEY: do not read the key file (node.key stays
 * zero); for tools that only need other settings, such as `hbeatctl -c`
 * finding the control socket, run by users who may not read the key.
 */
#define HBD_CONFIG_NO_KEY 1u

/* hbd_config_load() with flags (HBD_CONFIG_*). */
int hbd_config_load_flags(hbd_config_t **ret, const char *path,
                          unsigned flags, char *err, size_t errlen);

/* Same, from a string in memory; `name` is used in messages. */
int hbd_config_load_string(hbd_config_t **ret, const char *name,
                           const char *text, size_t len, char *err,
                           size_t errlen);

/* Free a config; wipes the key. NULL is a no-op. */
void hbd_config_free(hbd_config_t *cfg);

/*
 * Can `next` replace `cur` in a running daemon (SIGHUP)? Identity and
 * sockets cannot change: node.id, cluster.id, listen, control.socket,
 * http.listen;
 * nor the quorum: election.enabled, election.state_file, quorum.*, a
 * peer's votes, and (with election enabled) the set of peers.
 * Returns true, or false with the name of the first such key in `*what`
 * (a static string).
 */
bool hbd_config_reloadable(const hbd_config_t *cur, const hbd_config_t *next,
                           const char **what);

/* Find a peer by id; NULL if none. */
const hbd_peer_conf_t *hbd_config_peer(const hbd_config_t *cfg, uint32_t id);

/*
 * The knob table, for `hbeatctl check-config`, docs and tests.
 * `path` is dotted ("detector.suspect_threshold"); peers' keys are listed as
 * "peers[].name" etc.
 */
typedef struct hbd_knob {
        const char *path;
        const char *unit;       /* "ms", "", "phi or intervals", "path" */
        const char *type;       /* "uint", "number", "string", "enum",
                                   "address", "path" */
        double min, max;        /* for numbers; 0,0 when not numeric */
        const char *default_text;
        bool reloadable;
        const char *help;
} hbd_knob_t;

extern const hbd_knob_t hbd_knobs[];
extern const size_t hbd_knobs_count;

#endif /* HBD_CONFIG_H */
