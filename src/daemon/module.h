/* SPDX-License-Identifier: MIT */
/*
 * hbeatd's modules: one interface for everything the daemon does around
 * its node (after BIRD's `struct protocol` and FRR's validate / prepare /
 * apply configuration transactions).
 *
 * A module — notify scripts, the term state file, the control socket,
 * HTTP, health checks, virtual IPs, the resource and fencing actions — is
 * a table of functions over a state of its own. It sees a narrow context,
 * hbd_ctx_t: the loop, the log, the node (on its libuv adapter), the
 * running configuration, and the daemon's bus; never the daemon itself,
 * and never another module. Modules talk to each other only through the
 * bus: hbd_emit() hands a daemon event (a core event, a check that
 * changed, a fence that ended, ...) to every module that asked for its
 * kind, in the order of the module list, synchronously.
 *
 * Lifecycle, all on the loop thread:
 *
 *   start(ctx, &state)          after the node exists and its peers are
 *                               added, in list order; a failure stops
 *                               hbeatd (exit 1), after logging why
 *   prepare(state, next, &plan) a reload: check `next` and allocate
 *                               everything the change needs; nothing of
 *                               the running module changes. Fails with
 *                               err filled ("X cannot change on reload")
 *   commit(state, plan)         apply the plan: cannot fail; ctx->cfg is
 *                               already `next`
 *   abort(state, plan)          drop the plan (another module refused)
 *   on_event(state, ev)         a bus event of a kind in `events`
 *   status(state, doc)          add this module's part to the status
 *                               document (hbeatctl status, /v1/status)
 *   metrics(state, out)         add this module's metric families to
 *                               /metrics (prom.h, metrics.c)
 *   ready(state, why)           readiness (hbeatctl checks, /readyz)
 *   stop(state, done, arg)      close everything; call done(arg) once the
 *                               last handle is closed (may be at once)
 *
 * Reload is all or nothing across every module (reload.c): every prepare,
 * then the core's change, then every commit; any refusal aborts the plans
 * already made.
 */
#ifndef HBD_MODULE_H
#define HBD_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "config/config.h"
#include "daemon/log.h"
#include "hbeat/hbeat.h"
#include "hbeat/uv.h"

/* Kinds of daemon events (a bit each: hbd_module_t.events). */
typedef enum hbd_event_kind {
        /* A core event (hb_event_t: peer state, quorum, role, term, local
         * pause), raised inside the node's callback: a module may read the
         * node, not call into it (node.h). */
        HBD_EV_CORE = 1u << 0,
        /* A heartbeat was accepted (hot path: for `hbeatctl record`). */
        HBD_EV_ARRIVAL = 1u << 1,
        /* This node's leadership may act, or may no longer (the policy's
         * one signal, policy.h): VIPs follow it. */
        HBD_EV_MAY_ACT = 1u << 2,
        /* The resource changed state. */
        HBD_EV_RESOURCE = 1u << 3,
        /* A fence ended. */
        HBD_EV_FENCE = 1u << 4,
        /* A health check changed state. */
        HBD_EV_CHECK = 1u << 5,
        /* A heartbeat on the node's schedule went out (the watchdog). */
        HBD_EV_HEARTBEAT_SENT = 1u << 6,
        /* The set of peers changed (a reload). */
        HBD_EV_PEERS = 1u << 7,
        /* hbeatd is leaving (SIGTERM/SIGINT): stop what others may take
         * over, before the peers hear the leave. */
        HBD_EV_LEAVING = 1u << 8,
        /* An ACK gave a round-trip time sample (for /metrics). */
        HBD_EV_RTT = 1u << 9,
} hbd_event_kind_t;

/* A daemon event. Valid only during hbd_emit(); strings are borrowed. */
typedef struct hbd_event {
        hbd_event_kind_t kind;
        uint64_t at_ns;                /* monotonic time of the event */
        uint64_t wall_ns;              /* the same on the wall clock */
        /* HBD_EV_CORE */
        const hb_event_t *core;
        const char *peer_name;         /* peer events: its name ("?") */
        const char *leader_name;       /* role/quorum: the leader's, or
                                          NULL */
        const char *link_name;         /* HB_EVENT_LINK: links[].name, or
                                          "default" for the one link */
        /* HBD_EV_ARRIVAL */
        struct {
                uint32_t peer_id;
                uint64_t seq, send_ns;
        } arrival;
        /* HBD_EV_RTT */
        struct {
                uint32_t peer_id;
                uint64_t rtt_ns;
        } rtt;
        /* HBD_EV_MAY_ACT */
        struct {
                bool may_act;
                uint64_t term;
                const char *reason;
        } may_act;
        /* HBD_EV_RESOURCE */
        struct {
                const char *old_state, *new_state, *reason;
                uint64_t term;
        } resource;
        /* HBD_EV_FENCE */
        struct {
                const char *target, *result;
                uint32_t target_id;
                uint64_t term;
                uint64_t attempt;      /* 1, then 2.. for retries of
                                          that target in that term */
                bool ok;
        } fence;
        /* HBD_EV_CHECK */
        struct {
                const char *name, *kind, *old_state, *new_state, *reason;
        } check;
} hbd_event_t;

struct hbd_bus;
struct hbd_prom;

/* What a module sees. Public, read-only for modules. */
typedef struct hbd_ctx {
        uv_loop_t *loop;
        hbd_log_t *log;
        hb_uv_node_t *un;              /* the node on its adapter */
        hb_node_t *node;               /* hb_uv_node_core(un) */
        const hbd_config_t *cfg;       /* the running configuration: a new
                                          one from a reload's commit on */
        const char *config_path;       /* what reload reads */
        uint64_t incarnation;          /* CLOCK_REALTIME µs at start */
        uint64_t start_ns;             /* monotonic, at start */
        uint64_t reloads;              /* successful reloads (reload.c) */
        uint64_t reload_failures;      /* rejected reloads */
        struct hbd_bus *bus;           /* the modules (module.c) */
        /* Services of the daemon (daemon.c). */
        void *daemon;
        /* Re-read the configuration and apply it, all or nothing
         * (reload.c). 0, or a negative error with err filled. */
        int (*reload)(struct hbd_ctx *ctx, char *err, size_t errlen);
        /* Stop hbeatd now: exit status `code`, without a leave (the node
         * is muted first). Callable from inside the node's callback. */
        void (*die)(struct hbd_ctx *ctx, int code);
        /* Let the node see the time now (hb_node_tick() and a flush):
         * a module about to act on a timer of its own calls it first, so
         * that after a stop (SIGSTOP, a VM pause) a lease that ran out
         * meanwhile ends, with its events, before the module acts. Not
         * from inside the node's callback. */
        void (*sync)(struct hbd_ctx *ctx);
        /* Gossip: names of members learned by gossip ("id:N"), made on
         * first use and kept for the process's life (module.c). */
        struct hbd_learned_names *learned;
} hbd_ctx_t;

typedef struct hbd_module {
        const char *name;              /* "notify", "control", ... */
        unsigned events;               /* hbd_event_kind_t bits wanted */
        int (*start)(hbd_ctx_t *ctx, void **state);
        int (*prepare)(void *state, const hbd_config_t *next, void **plan,
                       char *err, size_t errlen);
        void (*commit)(void *state, void *plan);
        void (*abort)(void *state, void *plan);
        void (*on_event)(void *state, const hbd_event_t *ev);
        void (*status)(void *state, json_t *doc);
        void (*metrics)(void *state, struct hbd_prom *out);
        bool (*ready)(void *state, const char **why);
        void (*stop)(void *state, void (*done)(void *arg), void *arg);
} hbd_module_t;

/* ---- the bus (module.c) -------------------------------------------- */

/*
 * Start every module of `mods` (n of them, a static array the caller
 * keeps) in order, with `ctx` (kept; ctx->bus is set). On a failure the
 * modules already started are stopped again and the error returned.
 */
int hbd_bus_start(hbd_ctx_t *ctx, const hbd_module_t *const *mods, size_t n);

/* Stop every started module, in reverse order; done(arg) once all have
 * closed. */
void hbd_bus_stop(hbd_ctx_t *ctx, void (*done)(void *arg), void *arg);

/* Hand `ev` to every module that asked for its kind, in order. */
void hbd_emit(hbd_ctx_t *ctx, const hbd_event_t *ev);

/* Whether any module asked for events of `kind` (for the hot path). */
bool hbd_bus_wants(const hbd_ctx_t *ctx, hbd_event_kind_t kind);

/* Every module's part of the status document. */
void hbd_bus_status(hbd_ctx_t *ctx, json_t *doc);

/* Every module's metric families (prom.h). */
void hbd_bus_metrics(hbd_ctx_t *ctx, struct hbd_prom *out);

/* Every module ready; else false with *why the first reason. */
bool hbd_bus_ready(hbd_ctx_t *ctx, const char **why);

/*
 * A reload's module half (reload.c): prepare every module for `next`;
 * on a refusal, abort the plans made and return the error (err filled).
 * Then either commit or abort all of them.
 */
int hbd_bus_prepare(hbd_ctx_t *ctx, const hbd_config_t *next, char *err,
                    size_t errlen);
void hbd_bus_commit(hbd_ctx_t *ctx);
void hbd_bus_abort(hbd_ctx_t *ctx);

/* The configured name of node `id` (this node's for its id), or NULL for
 * 0 and unknown ids. Borrowed from ctx->cfg. */
const char *hbd_name(const hbd_ctx_t *ctx, uint32_t id);

/* The name of a gossip member learned by gossip, not configured: "id:N"
 * (docs/gossip.md, "Names"); never the name of a configured node (a
 * configured name has no ':'). Borrowed: valid for the process's life.
 * NULL only without memory. */
#define HBD_LEARNED_NAME_MAX 16
const char *hbd_learned_name(const hbd_ctx_t *ctx, uint32_t id);

/* Set up the learned names (at start). 0 or -ENOMEM. */
int hbd_learned_names_init(hbd_ctx_t *ctx);

/* Free the learned names (at exit). */
void hbd_learned_names_free(hbd_ctx_t *ctx);

/* The name of link `link` (links[].name), "default" for the single link
 * of `listen`, "?" out of range. Borrowed from cfg. */
const char *hbd_link_name(const hbd_config_t *cfg, uint32_t link);

/* The modules, in start order (daemon.c lists them). */
extern const hbd_module_t hbd_realtime_module;
extern const hbd_module_t hbd_notify_module;
extern const hbd_module_t hbd_coord_module;
extern const hbd_module_t hbd_ctl_module;
extern const hbd_module_t hbd_metrics_module;
extern const hbd_module_t hbd_http_module;
extern const hbd_module_t hbd_checks_module;
extern const hbd_module_t hbd_vip_module;
extern const hbd_module_t hbd_actions_module;
extern const hbd_module_t hbd_privileges_module;
extern const hbd_module_t hbd_watchdog_module;
extern const hbd_module_t hbd_stream_module;
extern const hbd_module_t hbd_gossip_module;
extern const hbd_module_t hbd_reliable_module;

#endif /* HBD_MODULE_H */
