/* SPDX-License-Identifier: MIT */
/*
 * hbeatd configuration: the schema, load, validate, compare. Shared by
 * hbeatd and hbeatctl (check-config, config schema, -c). Not part of the
 * public libhbeat API.
 *
 * The file is YAML (parsed with libyaml). Every key is one knob of one
 * table (config_impl.h, plus the detector parameters each detector kind
 * publishes: hb_detector_param_at()): name, type, unit, range, default,
 * reload rule and help. That table drives parsing, validation, the
 * defaults, hbd_config_reloadable(), `hbeatctl check-config` and the key
 * tables of docs/configuration.md and hbeatd.yaml(5), which are the output
 * of `hbeatctl config schema` (hbd_config_knob()). Unknown keys, wrong
 * types and out-of-range values are errors reported as "FILE:LINE:COL:
 * message" (1-based line and column of the offending key or value), and
 * the load fails as a whole.
 *
 * Sections: node, listen, cluster, heartbeat, detector, membership,
 * notify, quorum, election, control, http, resource, fencing, realtime
 * (mappings), peers, checks, vips (sequences of mappings). Keys marked
 * election-only need election.enabled: true, detector keys of one kind
 * need that detector.kind, the other realtime.* keys realtime.enabled:
 * true; set otherwise they are an error, never silently unused.
 * Relative paths are resolved against the directory of the config file.
 */
#ifndef HBD_CONFIG_H
#define HBD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sched.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/schedule.h"
#include "hbeat/hbeat.h"

/* Longest node or peer name, bytes, NUL excluded. */
#define HBD_NAME_MAX 63

/* checks[].kind */
typedef enum hbd_check_kind {
        HBD_CHECK_EXEC = 0,            /* run argv, exit 0 = success */
        HBD_CHECK_TCP = 1,             /* connect to every address */
        HBD_CHECK_HTTP = 2,            /* GET url, expect a status */
        HBD_CHECK_UDP = 3,             /* pull peers only: an RFC 862
                                          echo of a random nonce */
} hbd_check_kind_t;

/* One checks[] entry (docs/checks.md). */
typedef struct hbd_check_conf {
        char name[HBD_NAME_MAX + 1];
        uint32_t kind;                 /* hbd_check_kind_t */
        char **argv;                   /* exec: NULL-terminated, owned */
        char *target;                  /* tcp, udp: "HOST:PORT" as
                                          written */
        char *target_host;             /* tcp, udp: HOST (no brackets) */
        uint32_t target_port;          /* tcp, udp: 1..65535 */
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
        char *between;                 /* checks[].between as written,
                                          owned; NULL: none */
        char *days;                    /* checks[].days, the same */
        hbs_window_t window;           /* both parsed; .set false: runs
                                          every interval, always */
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
        bool roaming;                  /* peers[].roaming: messages from
                                          any address (review F8) */
        char **addresses;              /* peers[].addresses as written
                                          (NULL-terminated, owned), one
                                          per link; NULL without links */
        struct sockaddr_storage link_addr[HB_LINKS_MAX]; /* resolved
                                          addresses; [0] is also `addr` */
        char *pull;                    /* peers[].pull as written, owned;
                                          NULL for a push peer */
        hbd_check_conf_t pull_check;   /* pull peer: the probe (kind tcp,
                                          http or udp, every interval;
                                          its window from between/days) */
        char *push;                    /* peers[].push as written ("http"),
                                          owned; NULL when not set */
        char *token_file;              /* peers[].token_file, resolved,
                                          owned (push peers) */
        hb_key_t push_key;             /* push: the token (read from
                                          token_file unless
                                          HBD_CONFIG_NO_KEY) */
        int token_line, token_col;     /* token_file's value, 0-based,
                                          for messages */
        char *between, *days;          /* peers[].between, .days as
                                          written, owned (pull peers) */
        bool external;                 /* pull or push: runs no hbeatd,
                                          has no address, never votes */
        char class_name[HBD_NAME_MAX + 1]; /* peers[].class; "" not set */
        uint32_t class_idx;            /* 0: the top-level timing;
                                          i: classes[i - 1] */
        uint32_t region;               /* peers[].region, 0: not set */
        bool elector;                  /* peers[].elector */
        int line;                      /* where the entry starts (1-based) */
} hbd_peer_conf_t;

/* One classes[] entry (docs/classes.md); its timing is in
 * hbd_config_t.node.classes[i] (hb_class_config_t). */
typedef struct hbd_class_conf {
        char name[HBD_NAME_MAX + 1];
        uint64_t interval_ns;
        hb_detector_kind_t kind;
        double suspect_threshold, dead_threshold;
        uint64_t dead_after_ns, probation_ns;
        /* classes[].adaptive.* (0 bounds: static), copied into
         * node.classes[i].adaptive. */
        uint64_t ad_min_ns, ad_max_ns, ad_dampening_ns;
        double ad_rtt_factor, ad_hysteresis, ad_raise, ad_lower;
        double ad_loss_high;
        uint32_t ad_hold;
        int line;                      /* where the entry starts */
} hbd_class_conf_t;

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

/* One links[] entry: a redundant network path (docs/links.md). */
/* links[].transport: the values of hb_uv_transport_t (hbeat/uv.h). */
enum {
        HBD_TRANSPORT_UNICAST = 0,
        HBD_TRANSPORT_MULTICAST = 1,
        HBD_TRANSPORT_BROADCAST = 2,
};

typedef struct hbd_link_conf {
        char name[HBD_NAME_MAX + 1];
        char *listen;                  /* as written, owned */
        struct sockaddr_storage listen_addr;
        socklen_t listen_addr_len;
        char *interface;               /* links[].interface, owned; NULL */
        char *device;                  /* links[].device (a disk link),
                                          owned; NULL for UDP */
        uint32_t slot_size;            /* disk link: 512 or 4096 */
        uint32_t slots;                /* disk link: 1 .. 256 */
        char *tty;                     /* links[].tty (a serial link),
                                          owned; NULL otherwise */
        uint32_t baud;                 /* serial link: bit/s */
        uint32_t serial_peers;         /* peers on a serial link (1) */
        uint32_t transport;            /* hb_uv_transport_t */
        char *group;                   /* links[].group as written, owned;
                                          NULL for unicast */
        struct sockaddr_storage group_addr;
        socklen_t group_addr_len;
        uint32_t ttl;                  /* links[].ttl; 0: not given (1) */
        int line;                      /* where the entry starts */
} hbd_link_conf_t;

/* One keys[] entry: a key of the ring (docs/operations.md, "Key
 * rotation"). The key itself is read into hbd_config_t.node.keyring. */
typedef struct hbd_key_conf {
        uint32_t id;                   /* 0..255, unique */
        char *file;                    /* resolved path, owned */
        uint32_t encryption;           /* hb_wire_mode_t */
        int line;                      /* where the entry starts */
} hbd_key_conf_t;

typedef struct hbd_config {
        char *path;                    /* config file as given, owned */

        char node_name[HBD_NAME_MAX + 1];
        char *listen;                  /* as written, owned */
        struct sockaddr_storage listen_addr;
        socklen_t listen_addr_len;
        /* links[] (docs/links.md): NULL and 0 for the single link of
         * `listen`; else links[0].listen is copied to listen_addr, and
         * node.n_links is n_links. */
        struct hbd_link_conf *links;
        size_t n_links;
        /* classes[] (docs/classes.md): NULL and 0 without; their
         * timings are node.classes[], node.n_classes. */
        hbd_class_conf_t *classes;
        size_t n_classes;

        char *key_file;                /* resolved path, owned; NULL
                                          with keys[] */
        hbd_key_conf_t *keys;          /* keys[], owned array; none with
                                          cluster.key_file */
        size_t n_keys;
        uint32_t primary_key;          /* cluster.primary_key (keys[]) */
        uint32_t encryption;           /* cluster.encryption,
                                          hb_wire_mode_t */

        /*
         * Everything the core needs: cluster id, node id, interval,
         * detector, thresholds, dead_after, probation, the key ring
         * (read from key_file or keys[]; node.key is unused) and the
         * nonce randomness. incarnation is 0 here; the daemon sets it
         * at start.
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
        /* topology.* (docs/topologies.md): kind as written ("mesh" or
         * "monitors"), owned; the monitors as written (NULL-terminated,
         * owned; NULL if unset), resolved into node.monitors. */
        char *topology_kind;
        char **topology_monitors;
        /* topology.kind gossip (docs/gossip.md): the seeds as written
         * (NULL-terminated, owned; NULL if unset: every peer is a
         * seed), each a peer's name or a host:port; resolved into
         * gossip_seed_addr (the TCP push-pull address of each, that of
         * the peer's listen for a name). */
        char **topology_seeds;
        struct sockaddr_storage *gossip_seed_addr;  /* owned */
        size_t n_gossip_seeds;
        /* topology.advertise: as written or NULL; the address members
         * reach this node at (default: listen), resolved. */
        char *gossip_advertise;
        struct sockaddr_storage gossip_advertise_addr;
        socklen_t gossip_advertise_addr_len;
        /* topology.push_pull_interval_ms: TCP anti-entropy period, ns;
         * 0: only at join. */
        uint64_t push_pull_interval_ns;
        /* topology.reliable_transport: hierarchy, summaries and global
         * votes between coordinators over TCP (src/daemon/reliable.c). */
        bool reliable_transport;

        /* node.incarnation_file: resolved path, owned; always set
         * (default /var/lib/hbeat/NODE.incarnation). */
        char *incarnation_file;


        char *control_socket;          /* resolved path, owned */

        /* http.listen: as written, owned; NULL (and http_listen_addr
         * zeroed) when not set: no HTTP server (docs/http.md). */
        char *http_listen;
        struct sockaddr_storage http_listen_addr;
        socklen_t http_listen_addr_len;
        uint64_t push_window_ns;       /* http.push_window_ms: how far a
                                          push's counter may be from the
                                          wall clock; 0: any */

        /* events.*: the event stream (src/daemon/stream.c,
         * docs/event-stream.md). listen NULL: no stream. */
        struct {
                char *listen;          /* as written, owned */
                struct sockaddr_storage listen_addr;
                socklen_t listen_addr_len;
                char *key_file;        /* resolved path, owned */
                hb_key_t key;          /* read from key_file at load
                                          (not with HBD_CONFIG_NO_KEY) */
                uint32_t log_size;     /* events kept */
                uint32_t window;       /* unacknowledged events, at most */
                uint32_t max_subscribers;
                uint64_t timeout_ns;   /* silent or not acking */
                uint64_t handshake_timeout_ns;
        } events;

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

        /* realtime.*: the heartbeat loop's scheduling (realtime.c,
         * docs/operations.md "Real-time scheduling"). */
        struct {
                bool enabled;          /* SCHED_FIFO for the loop thread */
                uint32_t priority;     /* 1..99 */
                bool lock_memory;      /* mlockall() */
                char *cpus;            /* CPU list as written, owned; NULL:
                                          not pinned */
                cpu_set_t cpu_set;     /* `cpus` parsed (empty when NULL) */
        } realtime;

        /* daemon.*: whom hbeatd runs as once set up (privileges.c,
         * docs/operations.md "User and capabilities"). */
        struct {
                char *user;            /* as written, owned; NULL: stay */
                char *group;           /* as written, owned; NULL: the
                                          user's primary group */
                uid_t uid;             /* user resolved (when user set) */
                gid_t gid;             /* group, or the user's primary */
                char *key_group;       /* as written, owned; NULL: none */
                gid_t key_gid;         /* key_group resolved */
                char *timezone;        /* daemon.timezone, an IANA name,
                                          owned; NULL: the system's */
        } daemon;
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
 * Load flags. HBD_CONFIG_NO_KEY: do not read the key files (node.keyring
 * stays empty; the ids and the primary are still checked); for tools
 * that only need other settings, such as `hbeatctl -c` finding the
 * control socket, run by users who may not read the keys.
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
 * Can `next` replace `cur` in a running daemon (SIGHUP)? Follows each
 * knob's reload rule (hbd_knob_t.reload) and nothing else: a knob
 * HBD_RELOAD_NO may not change (a list section's: the list as a whole,
 * entry by entry, reported as the section's name, "vips"); with
 * election.enabled in `next`, a knob HBD_RELOAD_NO_ELECTION may not
 * change either: the set of peers (peers[].id) and each peer's votes,
 * peers matched by id. Returns true, or false with the name of the first
 * such knob in `*what` (a static string).
 */
bool hbd_config_reloadable(const hbd_config_t *cur, const hbd_config_t *next,
                           const char **what);

/* Find a peer by id; NULL if none. */
const hbd_peer_conf_t *hbd_config_peer(const hbd_config_t *cfg, uint32_t id);

/* Whether a knob may change on reload (SIGHUP). */
typedef enum hbd_reload {
        HBD_RELOAD_YES = 0,      /* a new value applies on reload */
        HBD_RELOAD_NO = 1,       /* a reload changing it is refused */
        HBD_RELOAD_NO_ELECTION = 2, /* refused with election.enabled (the
                                       quorum is fixed while it runs) */
} hbd_reload_t;

/* "yes", "no", "no with election.enabled". */
const char *hbd_reload_name(hbd_reload_t reload);

/*
 * One knob of the table, as hbd_config_knob() describes it for
 * `hbeatctl config schema`, check-config and tests. Self-contained: the
 * strings it points to are static, the rest is copied in.
 */
typedef struct hbd_knob {
        char path[64];          /* "detector.window", "peers[].votes" */
        const char *type;       /* what the file writes: "uint", "number",
                                   "int", "bool", "string", "enum", "path",
                                   "address", "list of strings" */
        const char *unit;       /* "ms", "votes", "per kind", "" */
        bool numeric;           /* uint, int or number: min and max hold */
        double min, max;        /* in the file's unit; 0, 0 if not numeric */
        bool min_open;          /* a value must be > min */
        char range[96];         /* the accepted values as text: "1..3600000",
                                   "> 0 .. 1", "exec, tcp, http", "" */
        bool required;
        bool derived;           /* default computed from the interval and
                                   kind (default_text is then the rule) */
        char default_text[96];  /* "5000", "4 x interval", "8 (phi), ...",
                                   "" when none */
        bool election_only;     /* needs election.enabled: true */
        bool realtime_only;     /* needs realtime.enabled: true */
        unsigned kinds;         /* detector kinds it is valid with, as
                                   HB_DETECTOR_KIND_BIT(); 0: every kind */
        hbd_reload_t reload;
        const char *help;       /* sentences, without the kinds or
                                   "election only" (see the fields) */
} hbd_knob_t;

/* Number of knobs (every key of the file). */
size_t hbd_config_knob_count(void);

/*
 * The i-th knob (0-based, in table order: the order of the docs) into
 * `out`. Returns 0, or -EINVAL for a NULL `out` or i >= the count (`out`
 * untouched).
 */
int hbd_config_knob(size_t i, hbd_knob_t *out);

#endif /* HBD_CONFIG_H */
