/* SPDX-License-Identifier: MIT */
/*
 * The child-process supervisor (rules and contract: proc.h).
 *
 * An asynchronous child is one uv_process_t and one uv_timer_t (its time
 * limit) in one allocation, freed from the close callback of the second
 * handle (libuv: memory holding a handle is freed only from its close
 * callback). On exit: the timer stops, `done` runs, both handles close.
 * A time-out or a kill sends SIGKILL to the group (kill(-pid)), falling
 * back to the process itself should the group be gone already; the exit
 * follows as usual.
 *
 * A child inherits the CPU affinity of the thread that forks it, and
 * neither uv_spawn() (libuv 1.44's options have no CPU mask) nor
 * posix_spawn() can set another one in the child before its exec. So
 * when the children's CPUs differ from the spawning thread's (a pinned
 * real-time loop thread), a spawn widens the thread's own mask to the
 * children's for the length of the fork and narrows it again right after:
 * tens of microseconds in which the loop thread, still real-time, may run
 * on any of hbeatd's CPUs. Rejected: a re-exec helper that sets the mask
 * and execs the command (one more exec per child, and a binary to find),
 * taskset (an outside dependency), code in the child (libuv runs none of
 * ours there). Should the widening fail, the child keeps the thread's
 * CPUs: a narrower set, not a failed action.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/proc.h"

/* ---- CPUs ------------------------------------------------------------- */

/* Process-wide like the affinity it restores; only the loop thread, which
 * spawns every child, reads or writes it. */
static struct {
        bool set;
        cpu_set_t cpus;
} child_cpus;

void hb__proc_set_child_cpus(const cpu_set_t *set)
{
        child_cpus.set = set != NULL;
        if (set != NULL)
                child_cpus.cpus = *set;
}

/* Give the calling thread the children's CPUs for a spawn; true (with
 * the thread's own in *saved) when they were changed. */
static bool widen_cpus(cpu_set_t *saved)
{
        if (!child_cpus.set ||
            sched_getaffinity(0, sizeof(*saved), saved) < 0 ||
            CPU_EQUAL(saved, &child_cpus.cpus))
                return false;
        return sched_setaffinity(0, sizeof(child_cpus.cpus),
                                 &child_cpus.cpus) == 0;
}

static void narrow_cpus(bool widened, const cpu_set_t *saved)
{
        if (widened)
                (void)sched_setaffinity(0, sizeof(*saved), saved);
}

/* ---- environment ------------------------------------------------------ */

void hb__env_init(hb__env_t *e)
{
        const char *path = getenv("PATH");

        memset(e, 0, sizeof(*e));
        hb__env_add(e, "PATH=%s", path != NULL && path[0] != '\0' ? path
                    : HB__PROC_DEFAULT_PATH);
}

void hb__env_add(hb__env_t *e, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        int r;

        if (e->n == HB__ENV_MAX) {
                e->failed = true;
                return;
        }
        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                e->failed = true;
                return;
        }
        e->v[e->n++] = s;
}

char **hb__env_vec(hb__env_t *e)
{
        return e->failed ? NULL : e->v;
}

void hb__env_free(hb__env_t *e)
{
        for (size_t i = 0; i < e->n; i++)
                free(e->v[i]);
        memset(e, 0, sizeof(*e));
}

/* ---- results ---------------------------------------------------------- */

bool hb__proc_describe(char *out, size_t len, const hb__proc_result_t *r,
                       uint64_t limit_ms)
{
        if (r->timed_out)
                snprintf(out, len, "timed out after %" PRIu64 " ms",
                         limit_ms);
        else if (r->term_signal != 0)
                snprintf(out, len, "killed by signal %d", r->term_signal);
        else if (r->exit_status != 0)
                snprintf(out, len, "exit %" PRId64, r->exit_status);
        else
                snprintf(out, len, "ok");
        return !r->timed_out && r->term_signal == 0 && r->exit_status == 0;
}

/* ---- asynchronous ----------------------------------------------------- */

struct hb__proc {
        uv_process_t proc;
        uv_timer_t timer;
        int open_handles;
        int pid;
        bool timed_out;
        hb__proc_done_cb done;
        void *arg;
};

static void on_closed(uv_handle_t *h)
{
        hb__proc_t *p = h->data;

        if (--p->open_handles == 0)
                free(p);
}

static void close_both(hb__proc_t *p)
{
        uv_close((uv_handle_t *)&p->proc, on_closed);
        uv_close((uv_handle_t *)&p->timer, on_closed);
}

static void kill_group(hb__proc_t *p)
{
        if (p->pid > 0 && kill(-(pid_t)p->pid, SIGKILL) < 0)
                (void)uv_process_kill(&p->proc, SIGKILL);
}

static void on_exit_cb(uv_process_t *h, int64_t status, int sig)
{
        hb__proc_t *p = h->data;
        hb__proc_done_cb done = p->done;
        hb__proc_result_t r = {
                .pid = p->pid,
                .exit_status = status,
                .term_signal = sig,
                .timed_out = p->timed_out,
        };

        uv_timer_stop(&p->timer);
        p->done = NULL;
        if (done != NULL)
                done(p->arg, &r);
        close_both(p);
}

static void on_timeout(uv_timer_t *t)
{
        hb__proc_t *p = t->data;

        p->timed_out = true;
        kill_group(p);
        /* on_exit_cb() follows when the kernel reports the death. */
}

int hb__proc_spawn(hb__proc_t **ret, uv_loop_t *loop,
                   const hb__proc_opts_t *o, hb__proc_done_cb done,
                   void *arg)
{
        uv_process_options_t uo;
        uv_stdio_container_t stdio[3];
        cpu_set_t cpus;
        hb__proc_t *p;
        bool widened;
        int r;

        p = calloc(1, sizeof(*p));
        if (p == NULL)
                return UV_ENOMEM;
        memset(&uo, 0, sizeof(uo));
        memset(stdio, 0, sizeof(stdio));
        stdio[0].flags = UV_IGNORE;
        stdio[1].flags = o->quiet ? UV_IGNORE : UV_INHERIT_FD;
        stdio[1].data.fd = 1;
        stdio[2].flags = UV_INHERIT_FD;
        stdio[2].data.fd = 2;
        uo.file = o->argv[0];
        uo.args = (char **)o->argv;
        uo.env = (char **)o->env;
        /* setsid(): its own session and process group. libuv resets the
         * signal dispositions and mask in the child. */
        uo.flags = UV_PROCESS_DETACHED;
        uo.exit_cb = on_exit_cb;
        uo.stdio_count = 3;
        uo.stdio = stdio;
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
        widened = widen_cpus(&cpus);
        r = uv_spawn(loop, &p->proc, &uo);
        narrow_cpus(widened, &cpus);
        if (r < 0) {
                /* uv_spawn initialised the handle even on failure. */
                p->done = NULL;
                close_both(p);
                return r;
        }
        p->pid = p->proc.pid;
        if (o->timeout_ms > 0) {
                r = uv_timer_start(&p->timer, on_timeout, o->timeout_ms, 0);
                if (r < 0) {
                        /* Cannot happen; without its limit the child
                         * could hang forever, so do not keep it. */
                        hb__proc_abandon(p);
                        return r;
                }
        }
        *ret = p;
        return 0;
}

int hb__proc_pid(const hb__proc_t *p)
{
        return p->pid;
}

void hb__proc_kill(hb__proc_t *p)
{
        kill_group(p);
}

void hb__proc_abandon(hb__proc_t *p)
{
        if (p == NULL)
                return;
        p->done = NULL;
        kill_group(p);
        /* on_exit_cb() closes the handles when the death is reported. */
}

/* ---- blocking --------------------------------------------------------- */

int hb__proc_spawn_sync(pid_t *pid, char *const argv[], char *const env[])
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        cpu_set_t cpus;
        sigset_t all, none;
        bool widened;
        short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
        int r;

#ifdef POSIX_SPAWN_SETSID
        flags |= POSIX_SPAWN_SETSID;
#else
        flags |= POSIX_SPAWN_SETPGROUP;
#endif
        sigfillset(&all);
        sigemptyset(&none);
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_setflags(&attr, flags);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        widened = widen_cpus(&cpus);
        r = posix_spawnp(pid, argv[0], &fa, &attr, argv,
                         env != NULL ? env : environ);
        narrow_cpus(widened, &cpus);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        return -r;
}

static uint64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fill(hb__proc_result_t *out, pid_t pid, int status,
                 bool timed_out)
{
        memset(out, 0, sizeof(*out));
        out->pid = (int)pid;
        out->timed_out = timed_out;
        if (WIFEXITED(status))
                out->exit_status = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                out->term_signal = WTERMSIG(status);
}

int hb__proc_wait_sync(pid_t pid, uint64_t timeout_ms,
                       hb__proc_result_t *out)
{
        uint64_t t0 = mono_ms();
        int status = 0;

        for (;;) {
                struct timespec ts = { 0, 10 * 1000 * 1000 };
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (timeout_ms > 0 && mono_ms() - t0 > timeout_ms) {
                        (void)kill(-pid, SIGKILL);
                        while (waitpid(pid, &status, 0) < 0)
                                if (errno != EINTR)
                                        return -errno;
                        fill(out, pid, status, true);
                        return 0;
                }
                nanosleep(&ts, NULL);
        }
        fill(out, pid, status, false);
        return 0;
}
