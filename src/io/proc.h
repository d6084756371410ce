/* SPDX-License-Identifier: MIT */
/*
 * The one supervisor of hbeatd's child processes (internal to the
 * programs; not part of libhbeat): notify scripts, health-check probes,
 * the VIP exec provider and the resource actions all start their children
 * here, with the same rules.
 *
 *   session   every child leads a new session and process group (setsid:
 *             libuv's UV_PROCESS_DETACHED, POSIX_SPAWN_SETSID), so a time
 *             limit or an abandon kills the whole group with SIGKILL:
 *             whatever the command started goes with it (a `sleep` in a
 *             pipeline, a forked helper). A child that exits by itself
 *             leaves its group alone: a start action may leave a daemon
 *             running, which is its job.
 *   stdio     stdin /dev/null; stdout and stderr hbeatd's (stdout
 *             /dev/null for `quiet` children: probes).
 *   signals   default dispositions, empty mask (hbeatd ignores SIGPIPE;
 *             its children must not inherit that).
 *   CPUs      the CPUs set by hb__proc_set_child_cpus(), when hbeatd's
 *             loop thread is pinned to fewer (realtime.cpus); else the
 *             spawning thread's. Scheduling: SCHED_OTHER, since a real-time
 *             hbeatd sets SCHED_RESET_ON_FORK (src/daemon/realtime.c); memory
 *             locks end at exec.
 *   env       built from scratch by hb__env_*(): PATH (hbeatd's, or
 *             HB__PROC_DEFAULT_PATH) and the caller's HBEAT_* variables,
 *             so nothing of hbeatd's environment (secrets included) leaks
 *             into commands. A NULL environment inherits hbeatd's (health
 *             checks run the operator's own probes).
 *
 * Two ways to wait: asynchronously on a libuv loop (hb__proc_spawn(),
 * the result through a callback), or blocking (hb__proc_spawn_sync() and
 * hb__proc_wait_sync(): the resource stop at start-up and shutdown, when
 * nothing else may happen until it ends).
 */
#ifndef HB_IO_PROC_H
#define HB_IO_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sched.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

/* PATH for children when hbeatd has none. */
#define HB__PROC_DEFAULT_PATH \
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- CPUs ------------------------------------------------------------- */

/*
 * The CPUs every child starts on from now on: a copy of `set`, or (NULL)
 * those of the thread that spawns it (the default). For a loop thread
 * pinned to fewer CPUs than hbeatd had: the children get hbeatd's back.
 * Process-wide, like the affinity it restores; call it on the loop
 * thread, where the children are spawned.
 */
void hb__proc_set_child_cpus(const cpu_set_t *set);

/* ---- environment ------------------------------------------------------ */

/* Variables a child environment holds at most (PATH included). */
#define HB__ENV_MAX 24

/* A child's environment: "NAME=value" strings, owned, NULL-terminated. */
typedef struct hb__env {
        char *v[HB__ENV_MAX + 1];
        size_t n;
        bool failed;           /* an add ran out of memory or of room */
} hb__env_t;

/* Start with PATH only (hbeatd's PATH, or the default when unset or
 * empty). */
void hb__env_init(hb__env_t *e);
/* Add one "NAME=value" built from a printf format. A failure is kept and
 * reported by hb__env_vec(). */
void hb__env_add(hb__env_t *e, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* The NULL-terminated vector (owned by `e`), or NULL when an add failed. */
char **hb__env_vec(hb__env_t *e);
void hb__env_free(hb__env_t *e);

/* ---- results ---------------------------------------------------------- */

typedef struct hb__proc_result {
        int pid;
        int64_t exit_status;   /* when it exited */
        int term_signal;       /* when a signal ended it, else 0 */
        bool timed_out;        /* the time limit killed its group */
} hb__proc_result_t;

/*
 * "ok", "exit 1", "killed by signal 9", "timed out after 500 ms" into
 * `out` (limit_ms is the limit it had). Returns true for "ok" (exit 0).
 */
bool hb__proc_describe(char *out, size_t len, const hb__proc_result_t *r,
                       uint64_t limit_ms);

/* ---- asynchronous ----------------------------------------------------- */

typedef struct hb__proc hb__proc_t;

/* Called once, when the child has ended (its group killed, if it timed
 * out). The hb__proc_t is freed by the supervisor after the call: drop
 * every pointer to it here. */
typedef void (*hb__proc_done_cb)(void *arg, const hb__proc_result_t *r);

typedef struct hb__proc_opts {
        char *const *argv;     /* argv[0]: a path, or a name looked up in
                                  PATH; NULL-terminated; copied at spawn */
        char *const *env;      /* NULL: inherit hbeatd's */
        uint64_t timeout_ms;   /* 0: no limit */
        bool quiet;            /* stdout to /dev/null */
} hb__proc_opts_t;

/*
 * Spawn. Returns 0 and *ret (valid until `done` runs or
 * hb__proc_abandon()), or a negative libuv error when the child cannot be
 * started (nothing is called back; nothing to free).
 */
int hb__proc_spawn(hb__proc_t **ret, uv_loop_t *loop,
                   const hb__proc_opts_t *o, hb__proc_done_cb done,
                   void *arg);
int hb__proc_pid(const hb__proc_t *p);
/* SIGKILL the child's group now; `done` still follows (not timed_out). */
void hb__proc_kill(hb__proc_t *p);
/* SIGKILL the child's group and never call `done`; the handles close and
 * the memory is freed in the background. NULL is a no-op. */
void hb__proc_abandon(hb__proc_t *p);

/* ---- blocking --------------------------------------------------------- */

/*
 * Start a child with the same rules (own session, stdin /dev/null,
 * default signals) without a loop. 0 and *pid, or a negative errno.
 */
int hb__proc_spawn_sync(pid_t *pid, char *const argv[], char *const env[]);
/*
 * Wait for `pid` (from hb__proc_spawn_sync()) at most timeout_ms (0: no
 * limit), polling every 10 ms so that it never competes with a SIGCHLD
 * handler for other children; after the limit its group is killed and
 * reaped (timed_out). 0 with *out filled, or a negative errno when the
 * child was lost (waitpid failed).
 */
int hb__proc_wait_sync(pid_t pid, uint64_t timeout_ms,
                       hb__proc_result_t *out);

#endif /* HB_IO_PROC_H */
