/* SPDX-License-Identifier: MIT */
/*
 * Notify script runner (see notify.h for the contract with the script).
 *
 * A job goes through: queued (FIFO, argv and environment prepared) ->
 * running (a child of the process supervisor, src/io/proc.c, with the
 * notify time limit) -> freed when the supervisor reports its end, which
 * is what shutdown waits for.
 *
 * The supervisor's rules apply (proc.h): the script leads its own session
 * and process group, killed as a group on timeout; default signal
 * dispositions; the environment is built from scratch (PATH plus HBEAT_*,
 * hb__env_*()): a script must not depend on whatever happened to be in
 * hbeatd's environment, and secrets in it must not leak into scripts.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "daemon/module.h"
#include "daemon/notify.h"
#include "daemon/prom.h"
#include "io/proc.h"

#define N_ARGS 7               /* script link PEER LINK OLD NEW NULL */
#define DROP_LOG_INTERVAL_NS (10 * HB_NS_PER_S)

struct job {
        struct job *prev, *next;       /* queue (next only) or running list */
        hbd_notify_t *n;
        char *script;
        uint64_t timeout_ms;
        char *argv[N_ARGS];
        hb__env_t env;
        char *desc;                    /* "peer n2 alive -> suspect" */
        hb__proc_t *proc;              /* while running */
        int pid;
        uint64_t started_ns;
        bool killed_at_shutdown;
};

struct hbd_notify {
        uv_loop_t *loop;
        const hbd_log_t *log;
        hbd_notify_settings_t cur;

        struct job *q_head, *q_tail;   /* FIFO of queued jobs */
        unsigned queued;
        struct job *run_head;          /* running jobs */
        unsigned running;

        hbd_notify_counters_t counters;
        uint64_t drops_unlogged;
        uint64_t drop_logged_ns;

        uv_timer_t grace;              /* shutdown grace period */
        bool shutting_down;
        bool finishing;
        void (*done)(void *arg);
        void *done_arg;
};

static char *xasprintf(const char *fmt, ...) HBD_PRINTF(1, 2);

static char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static void job_free(struct job *j)
{
        if (j == NULL)
                return;
        for (size_t i = 0; i < N_ARGS; i++)
                free(j->argv[i]);
        hb__env_free(&j->env);
        free(j->script);
        free(j->desc);
        free(j);
}

/* strdup() of a set path; NULL stays NULL. false when out of memory. */
static bool dup_path(char **out, const char *path)
{
        *out = NULL;
        if (path == NULL || path[0] == '\0')
                return true;
        *out = strdup(path);
        return *out != NULL;
}

int hbd_notify_settings_prepare(hbd_notify_settings_t *out,
                                const hbd_config_t *cfg)
{
        hbd_notify_settings_t s = {
                .timeout_ns = cfg->notify_timeout_ns,
                .global_hooks = cfg->node.hier.enabled,
        };

        if (!dup_path(&s.script, cfg->notify_script) ||
            !dup_path(&s.on_leader, cfg->notify_on_leader) ||
            !dup_path(&s.on_follower, cfg->notify_on_follower) ||
            !dup_path(&s.on_no_quorum, cfg->notify_on_no_quorum)) {
                hbd_notify_settings_release(&s);
                return -ENOMEM;
        }
        *out = s;
        return 0;
}

void hbd_notify_swap(hbd_notify_t *n, hbd_notify_settings_t *s)
{
        hbd_notify_settings_t old = n->cur;

        n->cur = *s;
        *s = old;
}

void hbd_notify_settings_release(hbd_notify_settings_t *s)
{
        free(s->script);
        free(s->on_leader);
        free(s->on_follower);
        free(s->on_no_quorum);
        s->script = s->on_leader = s->on_follower = s->on_no_quorum = NULL;
}

const char *hbd_notify_script(const hbd_notify_t *n)
{
        return n->cur.script;
}

uint64_t hbd_notify_timeout_ns(const hbd_notify_t *n)
{
        return n->cur.timeout_ns;
}

int hbd_notify_new(hbd_notify_t **ret, uv_loop_t *loop, const hbd_log_t *log)
{
        hbd_notify_t *n;
        int r;

        n = calloc(1, sizeof(*n));
        if (n == NULL)
                return -ENOMEM;
        r = uv_timer_init(loop, &n->grace);
        if (r < 0) {
                free(n);
                return r;
        }
        n->grace.data = n;
        n->loop = loop;
        n->log = log;
        *ret = n;
        return 0;
}

static void finish(uv_handle_t *h);

/* Shutting down and no script left running: free the runner. */
static void maybe_finish(hbd_notify_t *n)
{
        if (!n->shutting_down || n->running > 0 || n->finishing)
                return;
        n->finishing = true;
        uv_close((uv_handle_t *)&n->grace, finish);
}

static void finish(uv_handle_t *h)
{
        hbd_notify_t *n = h->data;
        void (*done)(void *) = n->done;
        void *arg = n->done_arg;

        hbd_notify_settings_release(&n->cur);
        free(n);
        if (done != NULL)
                done(arg);
}

static void running_remove(hbd_notify_t *n, struct job *j)
{
        if (j->prev != NULL)
                j->prev->next = j->next;
        else
                n->run_head = j->next;
        if (j->next != NULL)
                j->next->prev = j->prev;
        j->prev = j->next = NULL;
        n->running--;
}

static void pump(hbd_notify_t *n);

static void on_child_done(void *arg, const hb__proc_result_t *r)
{
        struct job *j = arg;
        hbd_notify_t *n = j->n;
        uint64_t ms = (uv_hrtime() - j->started_ns) / HB_NS_PER_MS;

        if (r->timed_out) {
                n->counters.timed_out++;
                hbd_warn(n->log, "notify script %s (%s, pid %d) timed out "
                         "after %" PRIu64 " ms; killed its process group",
                         j->script, j->desc, j->pid, j->timeout_ms);
        } else if (j->killed_at_shutdown) {
                n->counters.failed++;
                hbd_warn(n->log, "notify script %s (%s, pid %d) still "
                         "running at shutdown; killed its process group",
                         j->script, j->desc, j->pid);
        } else if (r->term_signal != 0) {
                n->counters.failed++;
                hbd_warn(n->log, "notify script %s (%s, pid %d) killed by "
                         "signal %d (%s) after %" PRIu64 " ms", j->script,
                         j->desc, j->pid, r->term_signal,
                         strsignal(r->term_signal), ms);
        } else if (r->exit_status != 0) {
                n->counters.failed++;
                hbd_warn(n->log, "notify script %s (%s, pid %d) exited with "
                         "status %" PRId64 " after %" PRIu64 " ms",
                         j->script, j->desc, j->pid, r->exit_status, ms);
        } else {
                n->counters.succeeded++;
                hbd_debug(n->log, "notify script %s (%s, pid %d) finished "
                          "in %" PRIu64 " ms", j->script, j->desc, j->pid,
                          ms);
        }
        running_remove(n, j);
        job_free(j);
        pump(n);
        maybe_finish(n);
}

static void job_start(hbd_notify_t *n, struct job *j)
{
        hb__proc_opts_t o = {
                .argv = j->argv,
                .env = hb__env_vec(&j->env),
                .timeout_ms = j->timeout_ms,
        };
        int r;

        j->started_ns = uv_hrtime();
        r = hb__proc_spawn(&j->proc, n->loop, &o, on_child_done, j);
        if (r < 0) {
                n->counters.failed++;
                hbd_error(n->log, "notify script %s (%s): cannot run: %s",
                          j->script, j->desc, uv_strerror(r));
                job_free(j);
                return;
        }
        j->pid = hb__proc_pid(j->proc);
        n->counters.started++;
        j->next = n->run_head;
        if (n->run_head != NULL)
                n->run_head->prev = j;
        n->run_head = j;
        n->running++;
        hbd_debug(n->log, "notify script %s (%s) started, pid %d",
                  j->script, j->desc, j->pid);
}

/* Start queued jobs while there is room. */
static void pump(hbd_notify_t *n)
{
        while (!n->shutting_down && n->q_head != NULL &&
               n->running < HBD_NOTIFY_MAX_RUNNING) {
                struct job *j = n->q_head;

                n->q_head = j->next;
                if (n->q_head == NULL)
                        n->q_tail = NULL;
                j->next = NULL;
                n->queued--;
                job_start(n, j);
        }
}

static void count_drop(hbd_notify_t *n, const char *why, const char *desc)
{
        uint64_t now = uv_hrtime();

        n->counters.dropped++;
        n->drops_unlogged++;
        if (n->drop_logged_ns != 0 &&
            now - n->drop_logged_ns < DROP_LOG_INTERVAL_NS)
                return;
        hbd_warn(n->log, "notify: %s; not running the script for %s "
                 "(%" PRIu64 " dropped since the last such message)",
                 why, desc, n->drops_unlogged);
        n->drops_unlogged = 0;
        n->drop_logged_ns = now;
}

/* A new job for `script` with the notify time limit, argv[0] and the
 * environment's PATH set; every string is checked by submit(). NULL
 * (counted as dropped) when out of memory. */
static struct job *job_new(hbd_notify_t *n, const char *script,
                           const char *what)
{
        struct job *j = calloc(1, sizeof(*j));

        if (j == NULL) {
                count_drop(n, "out of memory", what);
                return NULL;
        }
        j->n = n;
        j->timeout_ms = (n->cur.timeout_ns + HB_NS_PER_MS - 1) / HB_NS_PER_MS;
        j->script = strdup(script);
        j->argv[0] = strdup(script);
        hb__env_init(&j->env);
        return j;
}

/* Start `j` now, or queue it, or drop it when the queue is full. */
static void enqueue(hbd_notify_t *n, struct job *j)
{
        if (n->running < HBD_NOTIFY_MAX_RUNNING && n->q_head == NULL) {
                job_start(n, j);
                return;
        }
        if (n->queued >= HBD_NOTIFY_MAX_QUEUED) {
                count_drop(n, "queue full (1024 waiting, 16 running)",
                           j->desc);
                job_free(j);
                return;
        }
        if (n->q_tail != NULL)
                n->q_tail->next = j;
        else
                n->q_head = j;
        n->q_tail = j;
        n->queued++;
}

/* Queue `j` if every string of it was allocated (n_argv used). */
static void submit(hbd_notify_t *n, struct job *j, size_t n_argv,
                   const char *what)
{
        if (j->script == NULL || j->desc == NULL ||
            hb__env_vec(&j->env) == NULL)
                goto fail;
        for (size_t i = 0; i < n_argv; i++)
                if (j->argv[i] == NULL)
                        goto fail;
        enqueue(n, j);
        return;
fail:
        count_drop(n, "out of memory", what);
        job_free(j);
}

/* argv[1..]: the NULL-terminated strings (copied); the argv count. */
static size_t job_args(struct job *j, ...)
{
        const char *a;
        size_t k = 1;
        va_list ap;

        va_start(ap, j);
        while ((a = va_arg(ap, const char *)) != NULL && k < N_ARGS - 1)
                j->argv[k++] = strdup(a);
        va_end(ap);
        return k;
}

/* HBEAT_EVENT, HBEAT_NODE and HBEAT_NODE_ID: every job's. */
static void env_common(struct job *j, const char *event,
                       const hbd_notify_node_t *node)
{
        hb__env_add(&j->env, "HBEAT_EVENT=%s", event);
        hb__env_add(&j->env, "HBEAT_NODE=%s", node->name);
        hb__env_add(&j->env, "HBEAT_NODE_ID=%" PRIu32, node->id);
}

#define AGE_LEN 32

/* A peer or link event's wall time (HBEAT_WALL_TIME; "" if it cannot be
 * written) and the age of the peer's last heartbeat in ms
 * (HBEAT_LAST_HEARTBEAT_AGE_MS; "" if never heard). */
static void event_times(const hb_event_t *ev, uint64_t wall_time_ns,
                        char wall[HBP_WALL_TIME_LEN], char age[AGE_LEN])
{
        if (hbp_format_wall_time(wall, HBP_WALL_TIME_LEN, wall_time_ns) < 0)
                wall[0] = '\0';
        age[0] = '\0';
        if (ev->last_arrival_ns != HB_NEVER)
                snprintf(age, AGE_LEN, "%" PRIu64,
                         ev->at_ns > ev->last_arrival_ns ?
                         (ev->at_ns - ev->last_arrival_ns) / HB_NS_PER_MS :
                         0);
}

void hbd_notify_peer_state(hbd_notify_t *n, const hb_event_t *ev,
                           const hbd_notify_node_t *node,
                           const char *peer_name, uint64_t wall_time_ns)
{
        const char *old_s = hb_peer_state_name(ev->old_state);
        const char *new_s = hb_peer_state_name(ev->new_state);
        char wall[HBP_WALL_TIME_LEN], age[AGE_LEN];
        struct job *j;
        size_t a;

        if (n == NULL || n->shutting_down || n->cur.script == NULL)
                return;
        j = job_new(n, n->cur.script, peer_name);
        if (j == NULL)
                return;
        event_times(ev, wall_time_ns, wall, age);
        j->desc = xasprintf("peer %s %s -> %s", peer_name, old_s, new_s);
        a = job_args(j, "peer_state", peer_name, old_s, new_s, NULL);
        env_common(j, "peer_state", node);
        hb__env_add(&j->env, "HBEAT_PEER=%s", peer_name);
        hb__env_add(&j->env, "HBEAT_PEER_ID=%" PRIu32, ev->peer_id);
        hb__env_add(&j->env, "HBEAT_OLD_STATE=%s", old_s);
        hb__env_add(&j->env, "HBEAT_NEW_STATE=%s", new_s);
        hb__env_add(&j->env, "HBEAT_REASON=%s", hb_reason_name(ev->reason));
        hb__env_add(&j->env, "HBEAT_SUSPICION=%.3f", ev->suspicion);
        hb__env_add(&j->env, "HBEAT_LAST_HEARTBEAT_AGE_MS=%s", age);
        hb__env_add(&j->env, "HBEAT_INCARNATION=%" PRIu64, ev->incarnation);
        hb__env_add(&j->env, "HBEAT_TIME_NS=%" PRIu64, ev->at_ns);
        hb__env_add(&j->env, "HBEAT_WALL_TIME=%s", wall);
        submit(n, j, a, peer_name);
}

void hbd_notify_link(hbd_notify_t *n, const hb_event_t *ev,
                     const hbd_notify_node_t *node, const char *peer_name,
                     const char *link_name, uint64_t wall_time_ns)
{
        const char *old_s = hb_link_state_name(ev->old_link_state);
        const char *new_s = hb_link_state_name(ev->new_link_state);
        char wall[HBP_WALL_TIME_LEN], age[AGE_LEN];
        struct job *j;
        size_t a;

        if (n == NULL || n->shutting_down || n->cur.script == NULL)
                return;
        j = job_new(n, n->cur.script, peer_name);
        if (j == NULL)
                return;
        event_times(ev, wall_time_ns, wall, age);
        j->desc = xasprintf("link %s of peer %s %s -> %s", link_name,
                            peer_name, old_s, new_s);
        a = job_args(j, "link", peer_name, link_name, old_s, new_s, NULL);
        env_common(j, "link", node);
        hb__env_add(&j->env, "HBEAT_PEER=%s", peer_name);
        hb__env_add(&j->env, "HBEAT_PEER_ID=%" PRIu32, ev->peer_id);
        hb__env_add(&j->env, "HBEAT_LINK=%s", link_name);
        hb__env_add(&j->env, "HBEAT_LINK_INDEX=%" PRIu32, ev->link);
        hb__env_add(&j->env, "HBEAT_OLD_STATE=%s", old_s);
        hb__env_add(&j->env, "HBEAT_NEW_STATE=%s", new_s);
        hb__env_add(&j->env, "HBEAT_PEER_STATE=%s",
                    hb_peer_state_name(ev->new_state));
        hb__env_add(&j->env, "HBEAT_REASON=%s", hb_reason_name(ev->reason));
        hb__env_add(&j->env, "HBEAT_SUSPICION=%.3f", ev->suspicion);
        hb__env_add(&j->env, "HBEAT_LAST_HEARTBEAT_AGE_MS=%s", age);
        hb__env_add(&j->env, "HBEAT_TIME_NS=%" PRIu64, ev->at_ns);
        hb__env_add(&j->env, "HBEAT_WALL_TIME=%s", wall);
        submit(n, j, a, peer_name);
}

/* The job of a role or quorum event running `script` (a global role
 * event: a role hook of the hierarchy, "global_role OLD NEW"). */
static void coord_run(hbd_notify_t *n, const char *script,
                      const hb_event_t *ev, const hbd_notify_node_t *node,
                      const char *leader_name, uint64_t wall_time_ns)
{
        bool global = ev->type == HB_EVENT_GLOBAL_ROLE;
        bool role = ev->type == HB_EVENT_ROLE || global;
        const char *what = global ? "a global role change"
                           : role ? "a role change" : "a quorum change";
        const char *old_r = hb_role_name(ev->old_role);
        const char *new_r = hb_role_name(ev->new_role);
        char wall[HBP_WALL_TIME_LEN];
        struct job *j;
        size_t a;

        if (script == NULL)
                return;
        j = job_new(n, script, what);
        if (j == NULL)
                return;
        if (hbp_format_wall_time(wall, sizeof(wall), wall_time_ns) < 0)
                wall[0] = '\0';
        if (leader_name == NULL)
                leader_name = "";
        if (role) {
                j->desc = xasprintf("%s %s -> %s, term %" PRIu64,
                                    global ? "global role" : "role", old_r,
                                    new_r, ev->term);
                a = job_args(j, global ? "global_role" : "role", old_r,
                             new_r, NULL);
        } else {
                j->desc = xasprintf("quorum %s, term %" PRIu64,
                                    ev->quorate ? "gained" : "lost",
                                    ev->term);
                a = job_args(j, "quorum", ev->quorate ? "1" : "0", NULL);
        }
        env_common(j, global ? "global_role" : role ? "role" : "quorum",
                   node);
        if (role) {
                hb__env_add(&j->env, "HBEAT_OLD_ROLE=%s", old_r);
                hb__env_add(&j->env, "HBEAT_NEW_ROLE=%s", new_r);
        } else {
                hb__env_add(&j->env, "HBEAT_QUORATE=%d", ev->quorate ? 1 : 0);
        }
        if (global) {
                /* leader_id names a region there, not a node. */
                hb__env_add(&j->env, "HBEAT_GLOBAL_LEADER_REGION=%" PRIu32,
                            ev->leader_id);
                hb__env_add(&j->env, "HBEAT_ESTABLISHED=%d",
                            ev->established ? 1 : 0);
                leader_name = "";
        }
        hb__env_add(&j->env, "HBEAT_TERM=%" PRIu64, ev->term);
        hb__env_add(&j->env, "HBEAT_LEADER=%s", leader_name);
        hb__env_add(&j->env, "HBEAT_LEADER_ID=%" PRIu32,
                    global ? 0 : ev->leader_id);
        hb__env_add(&j->env, "HBEAT_REASON=%s", ev->why != NULL ? ev->why
                                                                : "");
        hb__env_add(&j->env, "HBEAT_TIME_NS=%" PRIu64, ev->at_ns);
        hb__env_add(&j->env, "HBEAT_WALL_TIME=%s", wall);
        submit(n, j, a, what);
}

/* on_leader, on_follower or on_no_quorum for role event `ev` (regional
 * or global); not for "established" (leader -> leader): on_leader ran at
 * "elected". */
static void role_hook(hbd_notify_t *n, const hb_event_t *ev,
                      const hbd_notify_node_t *node, const char *leader_name,
                      uint64_t wall_time_ns)
{
        const char *own = NULL;

        if (ev->old_role == HB_ROLE_LEADER && ev->new_role == HB_ROLE_LEADER)
                return;
        switch (ev->new_role) {
        case HB_ROLE_LEADER:
                own = n->cur.on_leader;
                break;
        case HB_ROLE_FOLLOWER:
                own = n->cur.on_follower;
                break;
        case HB_ROLE_NO_QUORUM:
                own = n->cur.on_no_quorum;
                break;
        case HB_ROLE_CANDIDATE:
                break;
        }
        coord_run(n, own, ev, node, leader_name, wall_time_ns);
}

/* Topology "hierarchy" (docs/hierarchy.md): a region event ("region
 * REGION OLD NEW") or this node's role at the global level ("global_role
 * OLD NEW") to notify.script; a global role event also runs the role
 * hooks (on_leader, ...), which follow the global role there. */
void hbd_notify_hier(hbd_notify_t *n, const hb_event_t *ev,
                     const hbd_notify_node_t *node, uint64_t wall_time_ns)
{
        bool region = ev->type == HB_EVENT_REGION;
        char wall[HBP_WALL_TIME_LEN], num[16];
        const char *old_s, *new_s;
        struct job *j;
        size_t a;

        if (n == NULL || n->shutting_down ||
            (ev->type != HB_EVENT_REGION && ev->type != HB_EVENT_GLOBAL_ROLE))
                return;
        if (!region && n->cur.global_hooks)
                role_hook(n, ev, node, NULL, wall_time_ns);
        if (n->cur.script == NULL)
                return;
        old_s = region ? hb_region_state_name(ev->old_region_state)
                       : hb_role_name(ev->old_role);
        new_s = region ? hb_region_state_name(ev->new_region_state)
                       : hb_role_name(ev->new_role);
        j = job_new(n, n->cur.script, region ? "a region change"
                                             : "a global role change");
        if (j == NULL)
                return;
        if (hbp_format_wall_time(wall, sizeof(wall), wall_time_ns) < 0)
                wall[0] = '\0';
        snprintf(num, sizeof(num), "%" PRIu32, ev->region);
        if (region) {
                j->desc = xasprintf("region %s: %s -> %s", num, old_s, new_s);
                a = job_args(j, "region", num, old_s, new_s, NULL);
        } else {
                j->desc = xasprintf("global role %s -> %s, term %" PRIu64,
                                    old_s, new_s, ev->term);
                a = job_args(j, "global_role", old_s, new_s, NULL);
        }
        env_common(j, region ? "region" : "global_role", node);
        if (region) {
                hb__env_add(&j->env, "HBEAT_REGION=%" PRIu32, ev->region);
                hb__env_add(&j->env, "HBEAT_OLD_REGION_STATE=%s", old_s);
                hb__env_add(&j->env, "HBEAT_NEW_REGION_STATE=%s", new_s);
        } else {
                hb__env_add(&j->env, "HBEAT_OLD_ROLE=%s", old_s);
                hb__env_add(&j->env, "HBEAT_NEW_ROLE=%s", new_s);
                hb__env_add(&j->env, "HBEAT_TERM=%" PRIu64, ev->term);
                hb__env_add(&j->env, "HBEAT_GLOBAL_LEADER_REGION=%" PRIu32,
                            ev->leader_id);
                hb__env_add(&j->env, "HBEAT_ESTABLISHED=%d",
                            ev->established ? 1 : 0);
                hb__env_add(&j->env, "HBEAT_REASON=%s",
                            ev->why != NULL ? ev->why : "");
        }
        hb__env_add(&j->env, "HBEAT_TIME_NS=%" PRIu64, ev->at_ns);
        hb__env_add(&j->env, "HBEAT_WALL_TIME=%s", wall);
        submit(n, j, a, region ? "a region change" : "a global role change");
}

void hbd_notify_coord(hbd_notify_t *n, const hb_event_t *ev,
                      const hbd_notify_node_t *node, const char *leader_name,
                      uint64_t wall_time_ns)
{
        if (n == NULL || n->shutting_down ||
            (ev->type != HB_EVENT_ROLE && ev->type != HB_EVENT_QUORUM))
                return;
        coord_run(n, n->cur.script, ev, node, leader_name, wall_time_ns);
        /* With the hierarchy the hooks follow the global role
         * (hbd_notify_hier()). */
        if (ev->type != HB_EVENT_ROLE || n->cur.global_hooks)
                return;
        role_hook(n, ev, node, leader_name, wall_time_ns);
}


void hbd_notify_get_counters(const hbd_notify_t *n,
                             hbd_notify_counters_t *out)
{
        *out = n->counters;
}

unsigned hbd_notify_running(const hbd_notify_t *n)
{
        return n->running;
}

unsigned hbd_notify_queued(const hbd_notify_t *n)
{
        return n->queued;
}


static void on_grace(uv_timer_t *t)
{
        hbd_notify_t *n = t->data;
        struct job *j;

        for (j = n->run_head; j != NULL; j = j->next) {
                j->killed_at_shutdown = true;
                hb__proc_kill(j->proc);
        }
}

void hbd_notify_close(hbd_notify_t *n, void (*done)(void *arg), void *arg)
{
        unsigned dropped = 0;
        int r;

        if (n == NULL) {
                if (done != NULL)
                        done(arg);
                return;
        }
        if (n->shutting_down)
                return;
        n->shutting_down = true;
        n->done = done;
        n->done_arg = arg;
        while (n->q_head != NULL) {
                struct job *j = n->q_head;

                n->q_head = j->next;
                job_free(j);
                dropped++;
        }
        n->q_tail = NULL;
        n->queued = 0;
        if (dropped > 0) {
                n->counters.dropped += dropped;
                hbd_warn(n->log, "notify: shutting down; %u queued scripts "
                         "will not run", dropped);
        }
        if (n->running > 0) {
                hbd_info(n->log, "waiting up to %d ms for %u running notify "
                         "scripts", HBD_NOTIFY_SHUTDOWN_GRACE_MS, n->running);
                r = uv_timer_start(&n->grace, on_grace,
                                   HBD_NOTIFY_SHUTDOWN_GRACE_MS, 0);
                if (r < 0)
                        on_grace(&n->grace);
        }
        maybe_finish(n);
}

/* ---- fencing outcome, health checks ------------------------------------ */

void hbd_notify_fence(hbd_notify_t *n, const hbd_notify_node_t *node,
                      const char *target, uint32_t target_id, uint64_t term,
                      const char *result, uint64_t attempt)
{
        struct job *j;
        size_t a;

        if (n == NULL || n->shutting_down || n->cur.script == NULL)
                return;
        j = job_new(n, n->cur.script, "a fence");
        if (j == NULL)
                return;
        j->desc = xasprintf("fence %s %s, term %" PRIu64, target, result,
                            term);
        a = job_args(j, "fence", target, result, NULL);
        env_common(j, "fence", node);
        hb__env_add(&j->env, "HBEAT_FENCE_TARGET=%s", target);
        hb__env_add(&j->env, "HBEAT_FENCE_TARGET_ID=%" PRIu32, target_id);
        hb__env_add(&j->env, "HBEAT_TERM=%" PRIu64, term);
        hb__env_add(&j->env, "HBEAT_FENCE_RESULT=%s", result);
        hb__env_add(&j->env, "HBEAT_FENCE_ATTEMPT=%" PRIu64, attempt);
        submit(n, j, a, "a fence");
}

void hbd_notify_check(hbd_notify_t *n, const hbd_notify_node_t *node,
                      const char *check, const char *old_state,
                      const char *new_state, const char *reason,
                      uint64_t wall_time_ns)
{
        struct job *j;
        size_t a;

        if (n == NULL || n->shutting_down || n->cur.script == NULL)
                return;
        j = job_new(n, n->cur.script, "a check change");
        if (j == NULL)
                return;
        j->desc = xasprintf("check %s %s -> %s", check, old_state,
                            new_state);
        a = job_args(j, "check", check, old_state, new_state, NULL);
        env_common(j, "check", node);
        hb__env_add(&j->env, "HBEAT_CHECK=%s", check);
        hb__env_add(&j->env, "HBEAT_CHECK_STATE=%s", new_state);
        hb__env_add(&j->env, "HBEAT_CHECK_OLD_STATE=%s", old_state);
        hb__env_add(&j->env, "HBEAT_REASON=%s", reason);
        hb__env_add(&j->env, "HBEAT_TIME_NS=%" PRIu64, wall_time_ns);
        submit(n, j, a, "a check change");
}

/* ---- the module ------------------------------------------------------
 *
 * The notify module runs the scripts for the bus's events: peer states,
 * role and quorum changes (core events), fences and health checks. A
 * reload prepares the new settings (copies, the only step that can fail)
 * and swaps them in at commit; jobs already queued keep theirs.
 */

struct notify_module {
        hbd_ctx_t *ctx;
        hbd_notify_t *n;
};

static hbd_notify_node_t me(const struct notify_module *m)
{
        hbd_notify_node_t node = { m->ctx->cfg->node_name,
                                   m->ctx->cfg->node.node_id };

        return node;
}

static int module_start(hbd_ctx_t *ctx, void **state)
{
        struct notify_module *m = calloc(1, sizeof(*m));
        hbd_notify_settings_t ns;
        int r;

        if (m == NULL)
                return -ENOMEM;
        m->ctx = ctx;
        r = hbd_notify_new(&m->n, ctx->loop, ctx->log);
        if (r == 0)
                r = hbd_notify_settings_prepare(&ns, ctx->cfg);
        if (r < 0) {
                hbd_error(ctx->log, "cannot set up notify: %s",
                          strerror(-r));
                hbd_notify_close(m->n, NULL, NULL);
                free(m);
                return r;
        }
        hbd_notify_swap(m->n, &ns);
        hbd_notify_settings_release(&ns);
        *state = m;
        return 0;
}

static int module_prepare(void *state, const hbd_config_t *next, void **plan,
                          char *err, size_t errlen)
{
        hbd_notify_settings_t *ns = calloc(1, sizeof(*ns));

        (void)state;
        if (ns == NULL || hbd_notify_settings_prepare(ns, next) < 0) {
                free(ns);
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        *plan = ns;
        return 0;
}

static void module_abort(void *state, void *plan)
{
        (void)state;
        if (plan != NULL)
                hbd_notify_settings_release(plan);
        free(plan);
}

static void module_commit(void *state, void *plan)
{
        struct notify_module *m = state;

        hbd_notify_swap(m->n, plan);    /* plan now holds the old ones */
        module_abort(state, plan);
}

static void module_on_event(void *state, const hbd_event_t *ev)
{
        struct notify_module *m = state;
        hbd_notify_node_t node = me(m);

        switch (ev->kind) {
        case HBD_EV_CORE:
                if (ev->core->type == HB_EVENT_PEER_STATE)
                        hbd_notify_peer_state(m->n, ev->core, &node,
                                              ev->peer_name, ev->wall_ns);
                else if (ev->core->type == HB_EVENT_LINK)
                        hbd_notify_link(m->n, ev->core, &node, ev->peer_name,
                                        ev->link_name, ev->wall_ns);
                else if (ev->core->type == HB_EVENT_REGION ||
                         ev->core->type == HB_EVENT_GLOBAL_ROLE)
                        hbd_notify_hier(m->n, ev->core, &node, ev->wall_ns);
                else
                        hbd_notify_coord(m->n, ev->core, &node,
                                         ev->leader_name, ev->wall_ns);
                return;
        case HBD_EV_FENCE:
                hbd_notify_fence(m->n, &node, ev->fence.target,
                                 ev->fence.target_id, ev->fence.term,
                                 ev->fence.result, ev->fence.attempt);
                return;
        case HBD_EV_CHECK:
                hbd_notify_check(m->n, &node, ev->check.name,
                                 ev->check.old_state, ev->check.new_state,
                                 ev->check.reason, ev->wall_ns);
                return;
        default:
                return;
        }
}

static void module_status(void *state, json_t *doc)
{
        const struct notify_module *m = state;
        json_t *counters = json_object_get(doc, "counters");
        hbd_notify_counters_t c;

        hbd_notify_get_counters(m->n, &c);
        if (counters == NULL)
                return;
        json_object_set_new(counters, "notify_started",
                            json_integer((json_int_t)c.started));
        json_object_set_new(counters, "notify_failed",
                            json_integer((json_int_t)c.failed));
        json_object_set_new(counters, "notify_timed_out",
                            json_integer((json_int_t)c.timed_out));
        json_object_set_new(counters, "notify_dropped",
                            json_integer((json_int_t)c.dropped));
}

static void module_metrics(void *state, hbd_prom_t *out)
{
        const struct notify_module *m = state;
        hbd_notify_counters_t c;

        hbd_notify_get_counters(m->n, &c);
        hbd_prom_family(out, "hbeat_notify_queue_depth", "gauge",
                        "Notify scripts waiting for a free slot.");
        hbd_prom_u64(out, NULL, hbd_notify_queued(m->n));
        hbd_prom_family(out, "hbeat_notify_running", "gauge",
                        "Notify scripts running.");
        hbd_prom_u64(out, NULL, hbd_notify_running(m->n));
        hbd_prom_family(out, "hbeat_notify_scripts_total", "counter",
                        "Notify scripts that ended, by result.");
        hbd_prom_u64(out, (const char *[]){ "result", "ok", NULL },
                     c.succeeded);
        hbd_prom_u64(out, (const char *[]){ "result", "failed", NULL },
                     c.failed);
        hbd_prom_u64(out, (const char *[]){ "result", "timed_out", NULL },
                     c.timed_out);
        hbd_prom_family(out, "hbeat_notify_dropped_total", "counter",
                        "Notify scripts not run: queue full, out of memory "
                        "or shutting down.");
        hbd_prom_u64(out, NULL, c.dropped);
}

static void module_stop(void *state, void (*done)(void *), void *arg)
{
        struct notify_module *m = state;
        hbd_notify_t *n = m->n;

        free(m);
        /* Running scripts get their grace time; done() after them. */
        hbd_notify_close(n, done, arg);
}

const hbd_module_t hbd_notify_module = {
        .name = "notify",
        .events = HBD_EV_CORE | HBD_EV_FENCE | HBD_EV_CHECK,
        .start = module_start,
        .prepare = module_prepare,
        .commit = module_commit,
        .abort = module_abort,
        .on_event = module_on_event,
        .status = module_status,
        .metrics = module_metrics,
        .stop = module_stop,
};
