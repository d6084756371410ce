/* SPDX-License-Identifier: MIT */
/*
 * The real-time module (realtime.*; docs/operations.md, "Real-time
 * scheduling"): the loop that sends and receives heartbeats must not be
 * delayed by the rest of the machine. What is applied, and to what:
 *
 *   scheduling  SCHED_FIFO at realtime.priority, for the loop thread
 *               (hbeatd's main thread; sched_setscheduler(0) is per
 *               thread) and libuv's pool threads (below: pool_start()),
 *               then SCHED_RESET_ON_FORK on the loop thread: every thread
 *               and process created after that starts SCHED_OTHER at nice
 *               0. So the children (scripts, checks, fencing and VIP
 *               commands) and libcurl's resolver threads (http checks)
 *               never compete with the loop at its priority: they block,
 *               or run for as long as they like. libmicrohttpd runs no
 *               thread (http.c).
 *   memory      mlockall(MCL_CURRENT), which faults in and locks all that
 *               is mapped now (the code of hbeatd and of every library,
 *               the heap), then mlockall(MCL_FUTURE | MCL_ONFAULT), which
 *               locks later mappings page by page as they are touched.
 *               With MCL_FUTURE alone every later mapping would be faulted
 *               in whole, on the loop thread that makes it: 8 MiB for each
 *               thread stack (the pool's, libcurl's resolvers'). The UDP
 *               receive buffer is kernel memory: never swapped, not
 *               counted. Only with CAP_IPC_LOCK or an unlimited
 *               RLIMIT_MEMLOCK: under a finite limit, MCL_FUTURE makes
 *               every later mapping count against it, and the thread stack
 *               or malloc arena that no longer fits fails far from here (a
 *               check whose resolver cannot start). Never in an
 *               AddressSanitizer build: its shadow memory is terabytes of
 *               reserved address space.
 *   CPUs        sched_setaffinity(0) of the loop thread to realtime.cpus.
 *               Helper threads made later inherit it (they run below the
 *               loop, which preempts them); children get the CPUs the
 *               loop thread had at start back (hb__proc_set_child_cpus(),
 *               src/io/proc.c).
 *
 * Applied by start(), first of the modules (daemon.c): after the config
 * is loaded, before the loop runs and before any child is spawned; in
 * this order: memory (so that the pool's stacks are made under
 * MCL_ONFAULT), scheduling, CPUs (so that the pool keeps hbeatd's). Only
 * realtime.cpus changes on a reload; the rest needs a restart (the knob
 * table), since the pool takes the loop's priority when it is made and
 * locking memory later would fault in the stacks made before. A request
 * the kernel refuses is never fatal: hbeatd logs one warning naming what
 * is missing (CAP_SYS_NICE or RLIMIT_RTPRIO, CAP_IPC_LOCK or
 * RLIMIT_MEMLOCK, CPUs) and runs on with what it got; the status part
 * reports what is in force, read back from the kernel, and why the rest
 * is not. realtime.enabled: false changes nothing (nor undoes what a
 * service manager set).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/module.h"
#include "io/proc.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

#define PROBLEMS_MAX 3
#define PROBLEM_LEN 240
/* A CPU list as text ("0-3,8"); a longer one is cut with "...". */
#define CPUS_TEXT 256

/* What realtime.* asks for, as applied last. */
typedef struct want {
        bool enabled, lock_memory, pin;
        uint32_t priority;
        cpu_set_t cpus;
} want_t;

typedef struct realtime {
        hbd_ctx_t *ctx;
        want_t applied;
        cpu_set_t start_cpus;          /* the loop thread's, at start */
        bool have_start_cpus;
        bool locked;                   /* our mlockall() is in force */
        bool pinned;                   /* we changed the affinity */
        char problems[PROBLEMS_MAX][PROBLEM_LEN];
        size_t n_problems;             /* of the last apply */
} realtime_t;

static want_t want_of(const hbd_config_t *cfg)
{
        want_t w;

        memset(&w, 0, sizeof(w));
        w.enabled = cfg->realtime.enabled;
        if (!w.enabled)
                return w;
        w.priority = cfg->realtime.priority;
        w.lock_memory = cfg->realtime.lock_memory;
        w.pin = cfg->realtime.cpus != NULL;
        w.cpus = cfg->realtime.cpu_set;
        return w;
}

static void problem(realtime_t *rt, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void problem(realtime_t *rt, const char *fmt, ...)
{
        va_list ap;

        if (rt->n_problems == PROBLEMS_MAX)
                return;
        va_start(ap, fmt);
        vsnprintf(rt->problems[rt->n_problems++], PROBLEM_LEN, fmt, ap);
        va_end(ap);
}

/* "0-3,8" into buf (cap >= 4); "none" for an empty set. */
static const char *cpus_text(const cpu_set_t *s, char *buf, size_t cap)
{
        size_t len = 0;
        int c = 0;

        buf[0] = '\0';
        while (c < CPU_SETSIZE) {
                int hi;
                int n;

                if (!CPU_ISSET(c, s)) {
                        c++;
                        continue;
                }
                for (hi = c; hi + 1 < CPU_SETSIZE && CPU_ISSET(hi + 1, s);)
                        hi++;
                n = hi == c ? snprintf(buf + len, cap - len, "%s%d",
                                       len ? "," : "", c)
                            : snprintf(buf + len, cap - len, "%s%d-%d",
                                       len ? "," : "", c, hi);
                if (n < 0 || (size_t)n >= cap - len) {
                        snprintf(buf + (len < cap - 4 ? len : cap - 4), 4,
                                 "...");
                        return buf;
                }
                len += (size_t)n;
                c = hi + 1;
        }
        return len ? buf : "none";
}

/* Is capability `cap` in this thread's effective set? */
static bool have_cap(int cap)
{
        struct __user_cap_header_struct h = {
                .version = _LINUX_CAPABILITY_VERSION_3,
        };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

        memset(d, 0, sizeof(d));
        if (syscall(SYS_capget, &h, d) < 0)
                return false;
        return (d[cap / 32].effective >> (cap % 32)) & 1u;
}

/* The soft limit `res` as text: "unlimited", or "N" in units of `unit`
 * bytes (1 for a count). */
static const char *limit_text(int res, unsigned unit, char *buf, size_t cap)
{
        struct rlimit rl;

        if (getrlimit(res, &rl) < 0)
                snprintf(buf, cap, "unknown");
        else if (rl.rlim_cur == RLIM_INFINITY)
                snprintf(buf, cap, "unlimited");
        else
                snprintf(buf, cap, "%llu",
                         (unsigned long long)rl.rlim_cur / unit);
        return buf;
}

/* ---- applying -------------------------------------------------------- */

static void apply_cpus(realtime_t *rt, const want_t *w)
{
        char a[CPUS_TEXT], b[CPUS_TEXT];
        cpu_set_t got, missing;

        if (!w->pin) {
                if (rt->pinned && sched_setaffinity(0, sizeof(rt->start_cpus),
                                                    &rt->start_cpus) == 0)
                        rt->pinned = false;
                if (!rt->pinned)
                        hb__proc_set_child_cpus(NULL);
                return;
        }
        if (!rt->have_start_cpus) {
                problem(rt, "CPUs %s not applied: hbeatd's own CPUs are "
                        "unknown (sched_getaffinity failed), so its children "
                        "could not get them back",
                        cpus_text(&w->cpus, a, sizeof(a)));
                return;
        }
        if (sched_setaffinity(0, sizeof(w->cpus), &w->cpus) < 0) {
                problem(rt, "CPUs %s not applied: %s (hbeatd may use %s)",
                        cpus_text(&w->cpus, a, sizeof(a)),
                        errno == EINVAL ? "none of them is available"
                                        : strerror(errno),
                        cpus_text(&rt->start_cpus, b, sizeof(b)));
                return;
        }
        rt->pinned = true;
        hb__proc_set_child_cpus(&rt->start_cpus);
        /* The kernel keeps the CPUs of the set that exist and that the
         * control group allows. */
        if (sched_getaffinity(0, sizeof(got), &got) == 0 &&
            !CPU_EQUAL(&got, &w->cpus)) {
                CPU_XOR(&missing, &w->cpus, &got);
                CPU_AND(&missing, &missing, &w->cpus);
                problem(rt, "CPUs %s of realtime.cpus not available here; "
                        "pinned to %s", cpus_text(&missing, a, sizeof(a)),
                        cpus_text(&got, b, sizeof(b)));
        }
}

static void apply_memory(realtime_t *rt, const want_t *w)
{
        char lim[32];
        int e;

        if (!w->lock_memory)
                return;
#ifdef ASAN_BUILD
        (void)lim;
        (void)e;
        problem(rt, "memory not locked: an AddressSanitizer build (its "
                "shadow memory cannot be locked)");
#else
        if (!have_cap(CAP_IPC_LOCK) &&
            strcmp(limit_text(RLIMIT_MEMLOCK, 1024, lim, sizeof(lim)),
                   "unlimited") != 0) {
                problem(rt, "memory not locked: no CAP_IPC_LOCK, and "
                        "RLIMIT_MEMLOCK is %s KiB, not unlimited", lim);
                return;
        }
        if (mlockall(MCL_CURRENT) < 0 ||
            mlockall(MCL_FUTURE | MCL_ONFAULT) < 0) {
                e = errno;
                (void)munlockall();
                problem(rt, "memory not locked: mlockall: %s", strerror(e));
                return;
        }
        rt->locked = true;
#endif
}

static void pool_noop(uv_work_t *req)
{
        (void)req;
}

static void pool_done(uv_work_t *req, int status)
{
        (void)status;
        free(req);
}

/*
 * Make libuv's pool now, its threads inheriting the calling thread's
 * policy and CPUs. Why they must run at the loop's priority: the pool
 * (uv_getaddrinfo() of the tcp checks) hands each result to the loop with
 * uv_async_send(), and the loop thread, woken by it, spins with
 * sched_yield() until the sending thread has finished that call
 * (uv__async_spin(), libuv 1.44). A pool thread of lower priority that
 * the real-time loop preempts there, on its CPU, never finishes:
 * sched_yield() yields to no lower priority, and the loop spins until the
 * kernel's real-time throttling stops it (950 ms of every second by
 * default; measured with the loop pinned to one CPU: a local pause of
 * 850 ms at the first tcp check). libuv makes every pool thread
 * (UV_THREADPOOL_SIZE, 4 by default) at the first work request, so one
 * no-op request made here is enough; they block in getaddrinfo() for most
 * of their life.
 */
static void pool_start(realtime_t *rt)
{
        uv_work_t *req = malloc(sizeof(*req));

        if (req == NULL ||
            uv_queue_work(rt->ctx->loop, req, pool_noop, pool_done) < 0) {
                free(req);
                problem(rt, "libuv's pool not started at the loop's "
                        "priority (out of memory)");
        }
}

static void apply_policy(realtime_t *rt, const want_t *w)
{
        struct sched_param sp = { .sched_priority = (int)w->priority };
        char lim[32];
        int e;

        if (!w->enabled)
                return;
        if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
                e = errno;
                limit_text(RLIMIT_RTPRIO, 1, lim, sizeof(lim));
                if (e != EPERM)
                        problem(rt, "SCHED_FIFO priority %" PRIu32 " not "
                                "applied: %s", w->priority, strerror(e));
                else if (!have_cap(CAP_SYS_NICE))
                        problem(rt, "SCHED_FIFO priority %" PRIu32 " not "
                                "applied: no CAP_SYS_NICE, and RLIMIT_RTPRIO "
                                "is %s", w->priority, lim);
                else
                        problem(rt, "SCHED_FIFO priority %" PRIu32 " not "
                                "applied: refused despite CAP_SYS_NICE: the "
                                "control group has no real-time budget "
                                "(cpu.rt_runtime_us)", w->priority);
                return;
        }
        pool_start(rt);
        /* Setting the flag needs no privilege (clearing it would). */
        if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) <
            0) {
                e = errno;
                sp.sched_priority = 0;
                (void)sched_setscheduler(0, SCHED_OTHER, &sp);
                problem(rt, "SCHED_FIFO not applied: SCHED_RESET_ON_FORK: "
                        "%s (children would inherit SCHED_FIFO)",
                        strerror(e));
        }
}

static json_t *problems_json(const realtime_t *rt)
{
        json_t *list = json_array();

        for (size_t i = 0; list != NULL && i < rt->n_problems; i++)
                json_array_append_new(list, json_string(rt->problems[i]));
        return list;
}

/* Log what the last apply did, once: `fmt` as info when everything was
 * applied, else one warning with every problem. */
static void log_outcome(const realtime_t *rt, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void log_outcome(const realtime_t *rt, const char *fmt, ...)
{
        hbd_log_t *log = rt->ctx->log;
        char what[2 * CPUS_TEXT];
        va_list ap;

        if (rt->n_problems == 0) {
                va_start(ap, fmt);
                vsnprintf(what, sizeof(what), fmt, ap);
                va_end(ap);
                hbd_info(log, "real-time: %s", what);
                return;
        }
        hbd_logj(log, HBD_LOG_WARNING,
                 json_pack("{s:o*}", "problems", problems_json(rt)),
                 "real-time: %s%s%s%s%s; hbeatd runs on without it "
                 "(docs/operations.md, Real-time scheduling)",
                 rt->problems[0], rt->n_problems > 1 ? "; " : "",
                 rt->n_problems > 1 ? rt->problems[1] : "",
                 rt->n_problems > 2 ? "; " : "",
                 rt->n_problems > 2 ? rt->problems[2] : "");
}

/* Apply `w` (at start) and log the outcome once. */
static void apply(realtime_t *rt, const want_t *w)
{
        char cpus[CPUS_TEXT];
        cpu_set_t now;

        rt->n_problems = 0;
        apply_memory(rt, w);
        apply_policy(rt, w);
        apply_cpus(rt, w);
        rt->applied = *w;
        if (!w->enabled) {
                hbd_info(rt->ctx->log, "real-time: off (realtime.enabled: "
                         "false)");
                return;
        }
        if (sched_getaffinity(0, sizeof(now), &now) < 0)
                CPU_ZERO(&now);
        log_outcome(rt, "SCHED_FIFO priority %" PRIu32 ", memory %s, loop "
                    "thread on CPUs %s; children SCHED_OTHER", w->priority,
                    rt->locked ? "locked" : "not locked (lock_memory: false)",
                    cpus_text(&now, cpus, sizeof(cpus)));
}

/* ---- status ------------------------------------------------------------ */

static const char *policy_name(int policy)
{
        switch (policy & ~SCHED_RESET_ON_FORK) {
        case SCHED_OTHER:
                return "SCHED_OTHER";
        case SCHED_FIFO:
                return "SCHED_FIFO";
        case SCHED_RR:
                return "SCHED_RR";
        case SCHED_BATCH:
                return "SCHED_BATCH";
        case SCHED_IDLE:
                return "SCHED_IDLE";
        default:
                return "other";
        }
}

/* What is in force, read back from the kernel (status runs on the loop
 * thread), and why the rest is not. */
static void status(void *state, json_t *doc)
{
        const realtime_t *rt = state;
        char cpus[CPUS_TEXT], child[CPUS_TEXT];
        struct sched_param sp = { 0 };
        int policy = sched_getscheduler(0);
        cpu_set_t now;
        json_t *obj;

        if (sched_getparam(0, &sp) < 0)
                sp.sched_priority = 0;
        if (sched_getaffinity(0, sizeof(now), &now) < 0)
                CPU_ZERO(&now);
        cpus_text(&now, cpus, sizeof(cpus));
        obj = json_pack("{s:b, s:s, s:I, s:b, s:b, s:s, s:s, s:o*}",
                        "enabled", (int)rt->applied.enabled,
                        "policy", policy_name(policy),
                        "priority", (json_int_t)sp.sched_priority,
                        "reset_on_fork",
                        policy >= 0 && (policy & SCHED_RESET_ON_FORK) != 0,
                        "memory_locked", (int)rt->locked,
                        "cpus", cpus,
                        "child_cpus", rt->pinned
                                ? cpus_text(&rt->start_cpus, child,
                                            sizeof(child))
                                : cpus,
                        "problems", problems_json(rt));
        if (obj != NULL)
                json_object_set_new(doc, "realtime", obj);
}

/* ---- module ---------------------------------------------------------- */

static int start(hbd_ctx_t *ctx, void **state)
{
        realtime_t *rt = calloc(1, sizeof(*rt));
        want_t w;

        if (rt == NULL)
                return -ENOMEM;
        rt->ctx = ctx;
        rt->have_start_cpus = sched_getaffinity(0, sizeof(rt->start_cpus),
                                                &rt->start_cpus) == 0;
        w = want_of(ctx->cfg);
        apply(rt, &w);
        *state = rt;
        return 0;
}

/* A reload: ctx->cfg is the new configuration already. Only
 * realtime.cpus may have changed (the knob table); nothing to prepare, as
 * a refusal is a warning, never a failed reload. */
static void commit(void *state, void *plan)
{
        realtime_t *rt = state;
        want_t w = want_of(rt->ctx->cfg);
        char cpus[CPUS_TEXT];
        cpu_set_t now;

        (void)plan;
        if (w.pin == rt->applied.pin &&
            (!w.pin || CPU_EQUAL(&w.cpus, &rt->applied.cpus)))
                return;
        rt->n_problems = 0;
        apply_cpus(rt, &w);
        rt->applied = w;
        if (sched_getaffinity(0, sizeof(now), &now) < 0)
                CPU_ZERO(&now);
        log_outcome(rt, "loop thread on CPUs %s",
                    cpus_text(&now, cpus, sizeof(cpus)));
}

static void stop(void *state, void (*done)(void *), void *arg)
{
        hb__proc_set_child_cpus(NULL);
        free(state);
        done(arg);
}

const hbd_module_t hbd_realtime_module = {
        .name = "realtime",
        .start = start,
        .commit = commit,
        .status = status,
        .stop = stop,
};
