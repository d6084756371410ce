/* SPDX-License-Identifier: MIT */
/*
 * Notify script runner (see notify.h for the contract with the script).
 *
 * A job goes through: queued (FIFO, strings prepared) -> running (a child
 * process and a timeout timer) -> closing (both handles closing) -> freed
 * from the last close callback. `live` counts jobs that hold handles
 * (running + closing), which is what shutdown waits for.
 *
 * The child is spawned with UV_PROCESS_DETACHED, i.e. setsid(): it leads a
 * new session and process group whose id is its pid, so on timeout
 * kill(-pid, SIGKILL) takes down whatever the script started as well (a
 * `sleep` in a pipeline, a forked helper), not only the shell. libuv resets
 * signal dispositions in the child, so hbeatd's ignored SIGPIPE does not
 * leak into scripts.
 *
 * The environment is built from scratch (PATH plus HBEAT_*): a script must
 * not depend on whatever happened to be in hbeatd's environment, and
 * secrets in it must not leak into scripts.
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
#include "daemon/notify.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define N_ARGS 6               /* script peer_state PEER OLD NEW NULL */
#define N_ENV 16               /* at most 14 used + NULL, one spare */
#define DROP_LOG_INTERVAL_NS (10 * HB_NS_PER_S)

struct job {
        struct job *prev, *next;       /* queue (next only) or running list */
        hbd_notify_t *n;
        char *script;
        uint64_t timeout_ms;
        char *argv[N_ARGS];
        char *env[N_ENV];
        char *desc;                    /* "peer n2 alive -> suspect" */
        uv_process_t proc;
        uv_timer_t timer;
        int open_handles;
        int pid;
        uint64_t started_ns;
        bool timed_out;
        bool killed_at_shutdown;
};

struct hbd_notify {
        uv_loop_t *loop;
        const hbd_log_t *log;
        hbd_notify_settings_t cur;
        char *path_env;                /* "PATH=..." */

        struct job *q_head, *q_tail;   /* FIFO of queued jobs */
        unsigned queued;
        struct job *run_head;          /* running jobs */
        unsigned running;
        unsigned live;                 /* running + closing */

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
        size_t i;

        if (j == NULL)
                return;
        for (i = 0; i < N_ARGS; i++)
                free(j->argv[i]);
        for (i = 0; i < N_ENV; i++)
                free(j->env[i]);
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
        hbd_notify_settings_t s = { .timeout_ns = cfg->notify_timeout_ns };

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
        const char *path = getenv("PATH");
        hbd_notify_t *n;
        int r;

        n = calloc(1, sizeof(*n));
        if (n == NULL)
                return -ENOMEM;
        n->path_env = xasprintf("PATH=%s",
                                path != NULL && path[0] != '\0' ?
                                path : DEFAULT_PATH);
        if (n->path_env == NULL) {
                free(n);
                return -ENOMEM;
        }
        r = uv_timer_init(loop, &n->grace);
        if (r < 0) {
                free(n->path_env);
                free(n);
                return r;
        }
        n->grace.data = n;
        n->loop = loop;
        n->log = log;
        *ret = n;
        return 0;
}

static void maybe_finish(hbd_notify_t *n);
static void finish(uv_handle_t *h);

static void on_job_close(uv_handle_t *h)
{
        struct job *j = h->data;
        hbd_notify_t *n = j->n;

        if (--j->open_handles > 0)
                return;
        job_free(j);
        n->live--;
        maybe_finish(n);
}

static void maybe_finish(hbd_notify_t *n)
{
        if (!n->shutting_down || n->live > 0 || n->finishing)
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
        free(n->path_env);
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

static void job_close(struct job *j)
{
        j->open_handles = 2;
        uv_close((uv_handle_t *)&j->proc, on_job_close);
        uv_close((uv_handle_t *)&j->timer, on_job_close);
}

static void pump(hbd_notify_t *n);

static void on_child_exit(uv_process_t *p, int64_t status, int sig)
{
        struct job *j = p->data;
        hbd_notify_t *n = j->n;
        uint64_t ms = (uv_hrtime() - j->started_ns) / HB_NS_PER_MS;

        uv_timer_stop(&j->timer);
        if (j->timed_out) {
                n->counters.timed_out++;
                hbd_warn(n->log, "notify script %s (%s, pid %d) timed out "
                         "after %" PRIu64 " ms; killed its process group",
                         j->script, j->desc, j->pid, j->timeout_ms);
        } else if (j->killed_at_shutdown) {
                n->counters.failed++;
                hbd_warn(n->log, "notify script %s (%s, pid %d) still "
                         "running at shutdown; killed its process group",
                         j->script, j->desc, j->pid);
        } else if (sig != 0) {
                n->counters.failed++;
                hbd_warn(n->log, "notify script %s (%s, pid %d) killed by "
                         "signal %d (%s) after %" PRIu64 " ms", j->script,
                         j->desc, j->pid, sig, strsignal(sig), ms);
        } else if (status != 0) {
                n->counters.failed++;
                hbd_warn(n->log, "notify script %s (%s, pid %d) exited with "
                         "status %" PRId64 " after %" PRIu64 " ms",
                         j->script, j->desc, j->pid, status, ms);
        } else {
                n->counters.succeeded++;
                hbd_debug(n->log, "notify script %s (%s, pid %d) finished "
                          "in %" PRIu64 " ms", j->script, j->desc, j->pid,
                          ms);
        }
        running_remove(n, j);
        job_close(j);
        pump(n);
}

static void kill_group(struct job *j)
{
        /* The group first (the script and its children); the process
         * itself as a fallback should the group be gone already. */
        if (kill(-(pid_t)j->pid, SIGKILL) < 0)
                (void)uv_process_kill(&j->proc, SIGKILL);
}

static void on_timeout(uv_timer_t *t)
{
        struct job *j = t->data;

        j->timed_out = true;
        kill_group(j);
        /* on_child_exit follows when the kernel reports the death. */
}

/* Spawn options shared by notify jobs and supervised processes: own
 * session and process group (detached), stdin /dev/null (UV_IGNORE on fd
 * 0), stdout and stderr hbeatd's. */
static void detached(uv_process_options_t *o, uv_stdio_container_t stdio[3],
                     const char *file, char **args, char **env,
                     uv_exit_cb exit_cb)
{
        memset(o, 0, sizeof(*o));
        memset(stdio, 0, 3 * sizeof(*stdio));
        stdio[0].flags = UV_IGNORE;
        stdio[1].flags = UV_INHERIT_FD;
        stdio[1].data.fd = 1;
        stdio[2].flags = UV_INHERIT_FD;
        stdio[2].data.fd = 2;
        o->file = file;
        o->args = args;
        o->env = env;
        o->flags = UV_PROCESS_DETACHED;
        o->exit_cb = exit_cb;
        o->stdio_count = 3;
        o->stdio = stdio;
}

static void job_start(hbd_notify_t *n, struct job *j)
{
        uv_process_options_t o;
        uv_stdio_container_t stdio[3];
        int r;

        detached(&o, stdio, j->script, j->argv, j->env, on_child_exit);

        j->proc.data = j;
        j->timer.data = j;
        r = uv_timer_init(n->loop, &j->timer);
        if (r < 0) {
                /* Cannot happen on Unix; nothing to close yet. */
                n->counters.failed++;
                hbd_error(n->log, "notify: cannot create a timer: %s",
                          uv_strerror(r));
                job_free(j);
                return;
        }
        n->live++;
        j->started_ns = uv_hrtime();
        r = uv_spawn(n->loop, &j->proc, &o);
        if (r < 0) {
                n->counters.failed++;
                hbd_error(n->log, "notify script %s (%s): cannot run: %s",
                          j->script, j->desc, uv_strerror(r));
                /* uv_spawn initialised the handle even on failure. */
                job_close(j);
                return;
        }
        j->pid = j->proc.pid;
        n->counters.started++;
        j->next = n->run_head;
        if (n->run_head != NULL)
                n->run_head->prev = j;
        n->run_head = j;
        n->running++;
        hbd_debug(n->log, "notify script %s (%s) started, pid %d",
                  j->script, j->desc, j->pid);
        if (j->timeout_ms > 0) {
                r = uv_timer_start(&j->timer, on_timeout, j->timeout_ms, 0);
                if (r < 0)
                        hbd_error(n->log, "notify: cannot arm the time "
                                  "limit of pid %d: %s", j->pid,
                                  uv_strerror(r));
        }
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

static struct job *job_make(hbd_notify_t *n, const hb_event_t *ev,
                            const hbd_notify_node_t *node,
                            const char *peer_name, uint64_t wall_time_ns)
{
        const char *old_s = hb_peer_state_name(ev->old_state);
        const char *new_s = hb_peer_state_name(ev->new_state);
        char wall[HB_CTL_WALL_TIME_LEN];
        char age[32] = "";
        struct job *j;
        size_t k = 0, i;

        j = calloc(1, sizeof(*j));
        if (j == NULL)
                return NULL;
        j->n = n;
        j->timeout_ms = (n->cur.timeout_ns + HB_NS_PER_MS - 1) / HB_NS_PER_MS;
        if (hb_ctl_format_wall_time(wall, sizeof(wall), wall_time_ns) < 0)
                wall[0] = '\0';
        if (ev->last_arrival_ns != HB_NEVER)
                snprintf(age, sizeof(age), "%" PRIu64,
                         ev->at_ns > ev->last_arrival_ns ?
                         (ev->at_ns - ev->last_arrival_ns) / HB_NS_PER_MS :
                         0);

        j->script = strdup(n->cur.script);
        j->desc = xasprintf("peer %s %s -> %s", peer_name, old_s, new_s);
        j->argv[0] = strdup(n->cur.script);
        j->argv[1] = strdup("peer_state");
        j->argv[2] = strdup(peer_name);
        j->argv[3] = strdup(old_s);
        j->argv[4] = strdup(new_s);

        j->env[k++] = strdup(n->path_env);
        j->env[k++] = strdup("HBEAT_EVENT=peer_state");
        j->env[k++] = xasprintf("HBEAT_NODE=%s", node->name);
        j->env[k++] = xasprintf("HBEAT_NODE_ID=%" PRIu32, node->id);
        j->env[k++] = xasprintf("HBEAT_PEER=%s", peer_name);
        j->env[k++] = xasprintf("HBEAT_PEER_ID=%" PRIu32, ev->peer_id);
        j->env[k++] = xasprintf("HBEAT_OLD_STATE=%s", old_s);
        j->env[k++] = xasprintf("HBEAT_NEW_STATE=%s", new_s);
        j->env[k++] = xasprintf("HBEAT_REASON=%s", hb_reason_name(ev->reason));
        j->env[k++] = xasprintf("HBEAT_SUSPICION=%.3f", ev->suspicion);
        j->env[k++] = xasprintf("HBEAT_LAST_HEARTBEAT_AGE_MS=%s", age);
        j->env[k++] = xasprintf("HBEAT_INCARNATION=%" PRIu64,
                                ev->incarnation);
        j->env[k++] = xasprintf("HBEAT_TIME_NS=%" PRIu64, ev->at_ns);
        j->env[k++] = xasprintf("HBEAT_WALL_TIME=%s", wall);

        if (j->script == NULL || j->desc == NULL)
                goto fail;
        for (i = 0; i < N_ARGS - 1; i++)
                if (j->argv[i] == NULL)
                        goto fail;
        for (i = 0; i < k; i++)
                if (j->env[i] == NULL)
                        goto fail;
        return j;
fail:
        job_free(j);
        return NULL;
}

static void submit(hbd_notify_t *n, struct job *j);

void hbd_notify_peer_state(hbd_notify_t *n, const hb_event_t *ev,
                           const hbd_notify_node_t *node,
                           const char *peer_name, uint64_t wall_time_ns)
{
        struct job *j;

        if (n == NULL || n->shutting_down || n->cur.script == NULL)
                return;
        j = job_make(n, ev, node, peer_name, wall_time_ns);
        if (j == NULL) {
                count_drop(n, "out of memory", peer_name);
                return;
        }
        submit(n, j);
}

/*
 * A job for a role or quorum event running `script`. All strings are
 * checked at the end: one NULL (out of memory) fails the whole job.
 */
static struct job *coord_job_make(hbd_notify_t *n, const char *script,
                                  const hb_event_t *ev,
                                  const hbd_notify_node_t *node,
                                  const char *leader_name,
                                  uint64_t wall_time_ns)
{
        bool role = ev->type == HB_EVENT_ROLE;
        const char *old_r = hb_role_name(ev->old_role);
        const char *new_r = hb_role_name(ev->new_role);
        char wall[HB_CTL_WALL_TIME_LEN];
        struct job *j;
        size_t k = 0, a = 0, i;

        j = calloc(1, sizeof(*j));
        if (j == NULL)
                return NULL;
        j->n = n;
        j->timeout_ms = (n->cur.timeout_ns + HB_NS_PER_MS - 1) / HB_NS_PER_MS;
        if (hb_ctl_format_wall_time(wall, sizeof(wall), wall_time_ns) < 0)
                wall[0] = '\0';
        if (leader_name == NULL)
                leader_name = "";

        j->script = strdup(script);
        j->argv[a++] = strdup(script);
        if (role) {
                j->desc = xasprintf("role %s -> %s, term %" PRIu64, old_r,
                                    new_r, ev->term);
                j->argv[a++] = strdup("role");
                j->argv[a++] = strdup(old_r);
                j->argv[a++] = strdup(new_r);
        } else {
                j->desc = xasprintf("quorum %s, term %" PRIu64,
                                    ev->quorate ? "gained" : "lost",
                                    ev->term);
                j->argv[a++] = strdup("quorum");
                j->argv[a++] = strdup(ev->quorate ? "1" : "0");
        }

        j->env[k++] = strdup(n->path_env);
        j->env[k++] = xasprintf("HBEAT_EVENT=%s", role ? "role" : "quorum");
        j->env[k++] = xasprintf("HBEAT_NODE=%s", node->name);
        j->env[k++] = xasprintf("HBEAT_NODE_ID=%" PRIu32, node->id);
        if (role) {
                j->env[k++] = xasprintf("HBEAT_OLD_ROLE=%s", old_r);
                j->env[k++] = xasprintf("HBEAT_NEW_ROLE=%s", new_r);
        } else {
                j->env[k++] = xasprintf("HBEAT_QUORATE=%d",
                                        ev->quorate ? 1 : 0);
        }
        j->env[k++] = xasprintf("HBEAT_TERM=%" PRIu64, ev->term);
        j->env[k++] = xasprintf("HBEAT_LEADER=%s", leader_name);
        j->env[k++] = xasprintf("HBEAT_LEADER_ID=%" PRIu32, ev->leader_id);
        j->env[k++] = xasprintf("HBEAT_REASON=%s",
                                ev->why != NULL ? ev->why : "");
        j->env[k++] = xasprintf("HBEAT_TIME_NS=%" PRIu64, ev->at_ns);
        j->env[k++] = xasprintf("HBEAT_WALL_TIME=%s", wall);

        if (j->script == NULL || j->desc == NULL)
                goto fail;
        for (i = 0; i < a; i++)
                if (j->argv[i] == NULL)
                        goto fail;
        for (i = 0; i < k; i++)
                if (j->env[i] == NULL)
                        goto fail;
        return j;
fail:
        job_free(j);
        return NULL;
}

static void coord_run(hbd_notify_t *n, const char *script,
                      const hb_event_t *ev, const hbd_notify_node_t *node,
                      const char *leader_name, uint64_t wall_time_ns)
{
        struct job *j;

        if (script == NULL)
                return;
        j = coord_job_make(n, script, ev, node, leader_name, wall_time_ns);
        if (j == NULL) {
                count_drop(n, "out of memory",
                           ev->type == HB_EVENT_ROLE ? "a role change"
                                                     : "a quorum change");
                return;
        }
        submit(n, j);
}

void hbd_notify_coord(hbd_notify_t *n, const hb_event_t *ev,
                      const hbd_notify_node_t *node, const char *leader_name,
                      uint64_t wall_time_ns)
{
        const char *own = NULL;

        if (n == NULL || n->shutting_down ||
            (ev->type != HB_EVENT_ROLE && ev->type != HB_EVENT_QUORUM))
                return;
        coord_run(n, n->cur.script, ev, node, leader_name, wall_time_ns);
        if (ev->type != HB_EVENT_ROLE)
                return;
        /* "established" (leader -> leader): on_leader ran at "elected". */
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

/* Start `j` now, or queue it, or drop it when the queue is full. */
static void submit(hbd_notify_t *n, struct job *j)
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
                kill_group(j);
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

/* ---- fencing outcome ---------------------------------------------- */

/* A new job for notify.script with its timeout; NULL (counted as dropped)
 * when out of memory. */
static struct job *script_job(hbd_notify_t *n, const char *what)
{
        struct job *j = calloc(1, sizeof(*j));

        if (j == NULL) {
                count_drop(n, "out of memory", what);
                return NULL;
        }
        j->n = n;
        j->timeout_ms = (n->cur.timeout_ns + HB_NS_PER_MS - 1) / HB_NS_PER_MS;
        j->script = strdup(n->cur.script);
        j->argv[0] = strdup(n->cur.script);
        j->env[0] = strdup(n->path_env);
        return j;
}

/* Queue `j` if every string of it was allocated (n_argv, n_env used). */
static void submit_checked(hbd_notify_t *n, struct job *j, size_t n_argv,
                           size_t n_env, const char *what)
{
        size_t i;

        if (j->script == NULL || j->desc == NULL)
                goto fail;
        for (i = 0; i < n_argv; i++)
                if (j->argv[i] == NULL)
                        goto fail;
        for (i = 0; i < n_env; i++)
                if (j->env[i] == NULL)
                        goto fail;
        submit(n, j);
        return;
fail:
        count_drop(n, "out of memory", what);
        job_free(j);
}

void hbd_notify_fence(hbd_notify_t *n, const hbd_notify_node_t *node,
                      const char *target, uint32_t target_id, uint64_t term,
                      const char *result)
{
        struct job *j;
        size_t k = 1;

        if (n == NULL || n->shutting_down || n->cur.script == NULL)
                return;
        j = script_job(n, "a fence");
        if (j == NULL)
                return;
        j->desc = xasprintf("fence %s %s, term %" PRIu64, target, result,
                            term);
        j->argv[1] = strdup("fence");
        j->argv[2] = strdup(target);
        j->argv[3] = strdup(result);
        j->env[k++] = strdup("HBEAT_EVENT=fence");
        j->env[k++] = xasprintf("HBEAT_NODE=%s", node->name);
        j->env[k++] = xasprintf("HBEAT_NODE_ID=%" PRIu32, node->id);
        j->env[k++] = xasprintf("HBEAT_FENCE_TARGET=%s", target);
        j->env[k++] = xasprintf("HBEAT_FENCE_TARGET_ID=%" PRIu32, target_id);
        j->env[k++] = xasprintf("HBEAT_TERM=%" PRIu64, term);
        j->env[k++] = xasprintf("HBEAT_FENCE_RESULT=%s", result);
        submit_checked(n, j, 4, k, "a fence");
}

void hbd_notify_check(hbd_notify_t *n, const hbd_notify_node_t *node,
                      const char *check, const char *old_state,
                      const char *new_state, const char *reason,
                      uint64_t wall_time_ns)
{
        struct job *j;
        size_t k = 1;

        if (n == NULL || n->shutting_down || n->cur.script == NULL)
                return;
        j = script_job(n, "a check change");
        if (j == NULL)
                return;
        j->desc = xasprintf("check %s %s -> %s", check, old_state,
                            new_state);
        j->argv[1] = strdup("check");
        j->argv[2] = strdup(check);
        j->argv[3] = strdup(old_state);
        j->argv[4] = strdup(new_state);
        j->env[k++] = strdup("HBEAT_EVENT=check");
        j->env[k++] = xasprintf("HBEAT_NODE=%s", node->name);
        j->env[k++] = xasprintf("HBEAT_NODE_ID=%" PRIu32, node->id);
        j->env[k++] = xasprintf("HBEAT_CHECK=%s", check);
        j->env[k++] = xasprintf("HBEAT_CHECK_STATE=%s", new_state);
        j->env[k++] = xasprintf("HBEAT_CHECK_OLD_STATE=%s", old_state);
        j->env[k++] = xasprintf("HBEAT_REASON=%s", reason);
        j->env[k++] = xasprintf("HBEAT_TIME_NS=%" PRIu64, wall_time_ns);
        submit_checked(n, j, 5, k, "a check change");
}

/* ---- one supervised process (actions.c) ---------------------------- */

/*
 * The same spawning rules as the notify jobs above (detached: own
 * session and process group, killed as a group; fd 0 /dev/null), without
 * the queue: role actions are few, ordered by their caller, and must
 * never be dropped.
 */
struct hbd_proc {
        uv_process_t proc;
        uv_timer_t timer;
        int open_handles;
        int pid;
        bool timed_out;
        hbd_proc_done_cb done;
        void *arg;
};

static void proc_closed(uv_handle_t *h)
{
        hbd_proc_t *p = h->data;

        if (--p->open_handles == 0)
                free(p);
}

static void proc_close(hbd_proc_t *p)
{
        uv_close((uv_handle_t *)&p->proc, proc_closed);
        uv_close((uv_handle_t *)&p->timer, proc_closed);
}

static void proc_kill_group(hbd_proc_t *p)
{
        if (p->pid > 0 && kill(-(pid_t)p->pid, SIGKILL) < 0)
                (void)uv_process_kill(&p->proc, SIGKILL);
}

static void proc_on_exit(uv_process_t *h, int64_t status, int sig)
{
        hbd_proc_t *p = h->data;
        hbd_proc_done_cb done = p->done;

        /* What the child left running in its group (a started daemon)
         * is kept: that is what a start action is for. */
        uv_timer_stop(&p->timer);
        p->done = NULL;
        if (done != NULL)
                done(p, p->arg, status, sig, p->timed_out);
        proc_close(p);
}

static void proc_on_timeout(uv_timer_t *t)
{
        hbd_proc_t *p = t->data;

        p->timed_out = true;
        proc_kill_group(p);
}

int hbd_proc_spawn(hbd_proc_t **ret, uv_loop_t *loop, char *const argv[],
                   char *const env[], uint64_t timeout_ms,
                   hbd_proc_done_cb done, void *arg)
{
        uv_process_options_t o;
        uv_stdio_container_t stdio[3];
        hbd_proc_t *p;
        int r;

        p = calloc(1, sizeof(*p));
        if (p == NULL)
                return UV_ENOMEM;
        detached(&o, stdio, argv[0], (char **)argv, (char **)env,
                 proc_on_exit);
        p->done = done;
        p->arg = arg;
        p->proc.data = p;
        p->timer.data = p;
        r = uv_timer_init(loop, &p->timer);
        if (r < 0) {
                free(p);
                return r;
        }
        p->open_handles = 2;
        r = uv_spawn(loop, &p->proc, &o);
        if (r < 0) {
                /* uv_spawn initialised the handle even on failure. */
                p->done = NULL;
                proc_close(p);
                return r;
        }
        p->pid = p->proc.pid;
        if (timeout_ms > 0) {
                r = uv_timer_start(&p->timer, proc_on_timeout, timeout_ms, 0);
                if (r < 0) {
                        /* Cannot happen; without a limit the child
                         * could hang forever, so do not keep it. */
                        hbd_proc_abandon(p);
                        return r;
                }
        }
        *ret = p;
        return 0;
}

int hbd_proc_pid(const hbd_proc_t *p)
{
        return p->pid;
}

void hbd_proc_abandon(hbd_proc_t *p)
{
        if (p == NULL)
                return;
        p->done = NULL;
        proc_kill_group(p);
        /* proc_on_exit() closes the handles when the death is reported. */
}
