/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the child-process supervisor (src/io/proc.c): exit
 * status, death by signal, the time limit killing the whole process group,
 * the environment passed (and built), abandon, spawn failures, the
 * blocking variant, and the CPUs children get. Real children (/bin/sh) on a real libuv loop; every
 * wait is the loop running until the child has ended.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/proc.h"

typedef struct got {
        int calls;
        hb__proc_result_t r;
} got_t;

static void on_done(void *arg, const hb__proc_result_t *r)
{
        got_t *g = arg;

        g->calls++;
        g->r = *r;
}

/* Run `script` under /bin/sh with `env` and a limit; the loop runs until
 * every handle has closed. */
static got_t run_sh(const char *script, char **env, uint64_t timeout_ms)
{
        char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
        hb__proc_opts_t o = { .argv = argv, .env = env,
                              .timeout_ms = timeout_ms };
        uv_loop_t loop;
        hb__proc_t *p = NULL;
        got_t g = { 0 };

        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(hb__proc_spawn(&p, &loop, &o, on_done, &g), 0);
        assert_true(hb__proc_pid(p) > 0);
        assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
        assert_int_equal(uv_loop_close(&loop), 0);
        assert_int_equal(g.calls, 1);
        return g;
}

/* Dead, or a zombie nobody reaped yet (no init to reap it here). */
static bool gone(pid_t pid)
{
        char path[64], buf[256], *c;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "r");
        if (f == NULL)
                return true;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        c = strrchr(buf, ')');
        return c != NULL && c[1] == ' ' && c[2] == 'Z';
}

static pid_t read_pid(const char *path)
{
        FILE *f = fopen(path, "r");
        int pid = 0;

        assert_non_null(f);
        assert_int_equal(fscanf(f, "%d", &pid), 1);
        fclose(f);
        return (pid_t)pid;
}

static void test_exit_status(void **state)
{
        got_t g;
        char d[64];

        (void)state;
        g = run_sh("exit 3", NULL, 0);
        assert_int_equal(g.r.exit_status, 3);
        assert_int_equal(g.r.term_signal, 0);
        assert_false(g.r.timed_out);
        assert_false(hb__proc_describe(d, sizeof(d), &g.r, 0));
        assert_string_equal(d, "exit 3");
        g = run_sh("exit 0", NULL, 1000);
        assert_true(hb__proc_describe(d, sizeof(d), &g.r, 1000));
        assert_string_equal(d, "ok");
}

static void test_signal(void **state)
{
        got_t g;
        char d[64];

        (void)state;
        g = run_sh("kill -TERM $$", NULL, 0);
        assert_int_equal(g.r.term_signal, SIGTERM);
        assert_false(g.r.timed_out);
        assert_false(hb__proc_describe(d, sizeof(d), &g.r, 0));
        assert_string_equal(d, "killed by signal 15");
}

/* The limit kills the child and what it started (its group), and the
 * child leads its own session. */
static void test_timeout_kills_group(void **state)
{
        char script[512], pidfile[] = "/tmp/hbeat-test-proc-XXXXXX";
        got_t g;
        char d[64];
        pid_t grandchild;
        int fd;

        (void)state;
        fd = mkstemp(pidfile);
        assert_true(fd >= 0);
        close(fd);
        snprintf(script, sizeof(script),
                 "[ \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$ ] || exit 9; "
                 "sleep 30 & echo $! > %s; wait", pidfile);
        g = run_sh(script, NULL, 300);
        assert_true(g.r.timed_out);
        assert_int_equal(g.r.term_signal, SIGKILL);
        assert_false(hb__proc_describe(d, sizeof(d), &g.r, 300));
        assert_string_equal(d, "timed out after 300 ms");
        grandchild = read_pid(pidfile);
        unlink(pidfile);
        for (int i = 0; i < 100 && !gone(grandchild); i++)
                usleep(10 * 1000);
        assert_true(gone(grandchild));
}

/* The environment is exactly the one given; the builder's. */
static void test_env(void **state)
{
        hb__env_t e;
        got_t g;

        (void)state;
        setenv("HBEAT_TEST_SECRET", "s3cret", 1);
        hb__env_init(&e);
        hb__env_add(&e, "HBEAT_TERM=%d", 7);
        hb__env_add(&e, "HBEAT_NODE=%s", "n1");
        assert_non_null(hb__env_vec(&e));
        assert_int_equal(e.n, 3);
        assert_string_equal(e.v[0] + 5, getenv("PATH"));
        g = run_sh("[ \"$HBEAT_TERM\" = 7 ] && [ \"$HBEAT_NODE\" = n1 ] && "
                   "[ -z \"$HBEAT_TEST_SECRET\" ] && [ -n \"$PATH\" ]",
                   hb__env_vec(&e), 0);
        assert_int_equal(g.r.exit_status, 0);
        hb__env_free(&e);
        /* NULL: hbeatd's own environment (health checks). */
        g = run_sh("[ \"$HBEAT_TEST_SECRET\" = s3cret ]", NULL, 0);
        assert_int_equal(g.r.exit_status, 0);
        unsetenv("HBEAT_TEST_SECRET");

        /* Without PATH, the default; too many variables fail the lot. */
        {
                char *old = strdup(getenv("PATH"));

                unsetenv("PATH");
                hb__env_init(&e);
                setenv("PATH", old, 1);
                free(old);
        }
        assert_string_equal(e.v[0], "PATH=" HB__PROC_DEFAULT_PATH);
        for (int i = 0; i < HB__ENV_MAX; i++)
                hb__env_add(&e, "X%d=1", i);
        assert_int_equal(e.n, HB__ENV_MAX);
        assert_null(hb__env_vec(&e));
        assert_null(e.v[HB__ENV_MAX]);
        hb__env_free(&e);
}

/* A `sleep 30` (with a 10 s limit), ended by `end` (abandon or kill),
 * the loop run until everything closed; its pid. */
static pid_t sleep_ended_by(void (*end)(hb__proc_t *), got_t *g)
{
        char *argv[] = { "/bin/sh", "-c", "sleep 30", NULL };
        hb__proc_opts_t o = { .argv = argv, .timeout_ms = 10000 };
        uv_loop_t loop;
        hb__proc_t *p = NULL;
        pid_t pid;

        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(hb__proc_spawn(&p, &loop, &o, on_done, g), 0);
        pid = hb__proc_pid(p);
        end(p);
        assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
        assert_int_equal(uv_loop_close(&loop), 0);
        return pid;
}

/* Abandon: the group is killed and nothing is called back. */
static void test_abandon(void **state)
{
        got_t g = { 0 };

        (void)state;
        hb__proc_abandon(NULL);
        assert_true(gone(sleep_ended_by(hb__proc_abandon, &g)));
        assert_int_equal(g.calls, 0);
}

/* Kill: the group dies now, the callback follows (not timed out). */
static void test_kill(void **state)
{
        got_t g = { 0 };

        (void)state;
        (void)sleep_ended_by(hb__proc_kill, &g);
        assert_int_equal(g.calls, 1);
        assert_int_equal(g.r.term_signal, SIGKILL);
        assert_false(g.r.timed_out);
}

/* A program that does not exist: an error, no callback, nothing left. */
static void test_spawn_failure(void **state)
{
        char *argv[] = { "/nonexistent/hbeat-test", NULL };
        hb__proc_opts_t o = { .argv = argv, .timeout_ms = 100 };
        uv_loop_t loop;
        hb__proc_t *p = NULL;
        got_t g = { 0 };
        pid_t pid;

        (void)state;
        assert_int_equal(uv_loop_init(&loop), 0);
        assert_int_equal(hb__proc_spawn(&p, &loop, &o, on_done, &g),
                         UV_ENOENT);
        assert_null(p);
        assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
        assert_int_equal(uv_loop_close(&loop), 0);
        assert_int_equal(g.calls, 0);
        assert_int_equal(hb__proc_spawn_sync(&pid, argv, NULL), -ENOENT);
}

/* The blocking variant: status, environment, stdin, limit. */
static void test_blocking(void **state)
{
        char *ok[] = { "/bin/sh", "-c",
                       "[ \"$HBEAT_TERM\" = 0 ] && ! read x && exit 4",
                       NULL };
        char *hang[] = { "/bin/sh", "-c", "sleep 30 & sleep 30", NULL };
        char *env[] = { "HBEAT_TERM=0", NULL };
        hb__proc_result_t r;
        pid_t pid;

        (void)state;
        assert_int_equal(hb__proc_spawn_sync(&pid, ok, env), 0);
        assert_int_equal(hb__proc_wait_sync(pid, 5000, &r), 0);
        assert_int_equal(r.exit_status, 4);    /* stdin was /dev/null */
        assert_false(r.timed_out);
        assert_int_equal(hb__proc_spawn_sync(&pid, hang, env), 0);
        assert_int_equal(hb__proc_wait_sync(pid, 100, &r), 0);
        assert_true(r.timed_out);
        assert_int_equal(r.term_signal, SIGKILL);
        assert_int_equal(r.pid, pid);
        assert_int_equal(hb__proc_wait_sync(pid, 100, &r), -ECHILD);
}

/*
 * A thread pinned to one CPU spawns children with the CPUs set by
 * hb__proc_set_child_cpus() (nproc counts the CPUs a process may use),
 * both ways, and keeps its own; without the set they inherit its one.
 */
static void test_child_cpus(void **state)
{
        char *argv[] = { "/bin/sh", "-c", "exit $(nproc)", NULL };
        cpu_set_t all, one, now;
        hb__proc_result_t r;
        pid_t pid;
        got_t g;
        int first = 0;

        (void)state;
        assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
        if (CPU_COUNT(&all) < 2 || access("/usr/bin/nproc", X_OK) != 0)
                skip();
        while (!CPU_ISSET(first, &all))
                first++;
        CPU_ZERO(&one);
        CPU_SET(first, &one);
        assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);

        hb__proc_set_child_cpus(&all);
        g = run_sh(argv[2], NULL, 5000);
        assert_int_equal(g.r.exit_status, CPU_COUNT(&all));
        assert_int_equal(hb__proc_spawn_sync(&pid, argv, NULL), 0);
        assert_int_equal(hb__proc_wait_sync(pid, 5000, &r), 0);
        assert_int_equal(r.exit_status, CPU_COUNT(&all));
        assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
        assert_true(CPU_EQUAL(&now, &one));

        hb__proc_set_child_cpus(NULL);
        g = run_sh(argv[2], NULL, 5000);
        assert_int_equal(g.r.exit_status, 1);
        assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exit_status),
                cmocka_unit_test(test_signal),
                cmocka_unit_test(test_timeout_kills_group),
                cmocka_unit_test(test_env),
                cmocka_unit_test(test_abandon),
                cmocka_unit_test(test_kill),
                cmocka_unit_test(test_spawn_failure),
                cmocka_unit_test(test_blocking),
                cmocka_unit_test(test_child_cpus),
        };

        /* hbeatd ignores SIGPIPE; children must not inherit that. */
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
