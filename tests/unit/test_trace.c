/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of arrival traces (src/tools/trace.h: CSV reader and writer)
 * and the synthetic generator (src/tools/tracegen.h).
 *
 * Reader errors are checked for their exact "FILE:LINE: " prefix and a
 * key phrase of the message. Generator statistics use fixed seeds and
 * sample sizes large enough that every tolerance is at least 4 standard
 * errors wide (each check states its arithmetic), and narrow enough that
 * a wrong formula (a wrong stationary loss, a mean where a median is due,
 * a missing tail) fails. Expected values come from the distributions'
 * closed forms, not from the library.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "failalloc.h"
#include "float_asserts.h"
#include "tools/trace.h"
#include "tools/tracegen.h"
#include "tmpdir_test_util.h"

#define MS HB_NS_PER_MS
#define S HB_NS_PER_S

#define V1 "# hbeat-trace v1\n"
#define HDR "kind,peer,seq,send_ns,arrival_ns\n"

#define assert_rel(a, b, rel) assert_near(a, b, (rel) * fabs((double)(b)))

static int setup(void **state)
{
        (void)state;
        return tmpdir_make("hbeat-test-trace");
}

static int teardown(void **state)
{
        (void)state;
        return tmpdir_remove();
}

static const char *tmp_path(const char *name)
{
        static char path[512];

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        return path;
}

static const char *write_tmp(const char *name, const char *text, size_t len)
{
        const char *path = tmp_path(name);
        FILE *f = fopen(path, "wb");

        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        return path;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- round trip -------------------------------------------------------- */

static const hbt_meta_t sample_meta[] = {
        { "source", "unit test, \"quoted\" = fine" },
        { "seed", "42" },
};

/* A trace through the writer; returns the path. */
static const char *write_sample(const char *name, const char *peer,
                                bool after_crash)
{
        const char *path = tmp_path(name);
        FILE *f = fopen(path, "w");
        hbt_writer_t *w;

        assert_non_null(f);
        assert_int_equal(hbt_writer_open(&w, f, peer, 100 * MS, sample_meta,
                                         2),
                         0);
        assert_int_equal(hbt_write_hb(w, 1, 0, 7 * S), 0);
        assert_int_equal(hbt_write_hb(w, 2, 100 * MS, 7 * S + 100 * MS), 0);
        assert_int_equal(hbt_write_hb(w, 4, 300 * MS, 7 * S + 300 * MS), 0);
        /* Same arrival time twice is allowed (non-decreasing). */
        assert_int_equal(hbt_write_hb(w, 3, 200 * MS, 7 * S + 300 * MS), 0);
        assert_int_equal(hbt_write_hb(w, UINT64_MAX, UINT64_MAX,
                                      7 * S + 400 * MS),
                         0);
        assert_int_equal(hbt_write_crash(w, 7 * S + 450 * MS), 0);
        if (after_crash)
                assert_int_equal(hbt_write_hb(w, 6, 500 * MS, 7 * S + 460 * MS),
                                 0);
        assert_int_equal(hbt_write_end(w, 9 * S), 0);
        assert_int_equal(hbt_writer_close(w), 0);
        assert_int_equal(fclose(f), 0);
        return path;
}

static void write_trace(const char *path, const hbt_trace_t *t)
{
        FILE *f = fopen(path, "w");
        hbt_writer_t *w;

        assert_non_null(f);
        assert_int_equal(hbt_writer_open(&w, f, t->peer, t->interval_ns,
                                         t->meta, t->n_meta),
                         0);
        for (size_t i = 0; i < t->n; i++)
                assert_int_equal(hbt_write_hb(w, t->arrivals[i].seq,
                                              t->arrivals[i].send_ns,
                                              t->arrivals[i].arrival_ns),
                                 0);
        if (t->crash_ns != HB_NEVER)
                assert_int_equal(hbt_write_crash(w, t->crash_ns), 0);
        assert_int_equal(hbt_write_end(w, t->end_ns), 0);
        assert_int_equal(hbt_writer_close(w), 0);
        assert_int_equal(fclose(f), 0);
}

static void test_round_trip(void **state)
{
        static const char *const peers[] = { "n2", "a,\"b\"", " lead", "" };
        char err[256];

        (void)state;
        for (size_t p = 0; p < sizeof(peers) / sizeof(peers[0]); p++) {
                const char *path = write_sample("rt1.csv", peers[p], false);
                hbt_trace_t *t = NULL;
                char *a, *b;
                size_t alen, blen;

                assert_int_equal(hbt_read(&t, path, err, sizeof(err)), 0);
                assert_string_equal(t->peer, peers[p]);
                assert_int_equal(t->interval_ns, 100 * MS);
                assert_int_equal(t->n, 5);
                assert_int_equal(t->arrivals[0].seq, 1);
                assert_int_equal(t->arrivals[0].send_ns, 0);
                assert_int_equal(t->arrivals[0].arrival_ns, 7 * S);
                assert_int_equal(t->arrivals[2].seq, 4);
                assert_int_equal(t->arrivals[3].seq, 3);
                assert_int_equal(t->arrivals[3].arrival_ns,
                                 7 * S + 300 * MS);
                assert_true(t->arrivals[4].seq == UINT64_MAX);
                assert_true(t->arrivals[4].send_ns == UINT64_MAX);
                assert_int_equal(t->crash_ns, 7 * S + 450 * MS);
                assert_int_equal(t->end_ns, 9 * S);
                assert_int_equal(t->n_meta, 2);
                assert_string_equal(t->meta[0].key, "source");
                assert_string_equal(t->meta[0].value, sample_meta[0].value);
                assert_string_equal(t->meta[1].key, "seed");
                assert_string_equal(t->meta[1].value, "42");

                /* Written again from what was read: the same bytes. */
                write_trace(tmp_path("rt2.csv"), t);
                a = slurp(path, &alen);
                b = slurp(tmp_path("rt2.csv"), &blen);
                assert_int_equal(alen, blen);
                assert_memory_equal(a, b, alen);
                free(a);
                free(b);
                hbt_free(t);
        }
}

static void test_after_crash_ignored(void **state)
{
        const char *path = write_sample("ac.csv", "n2", true);
        hbt_trace_t *t = NULL;
        char err[256];

        (void)state;
        assert_int_equal(hbt_read(&t, path, err, sizeof(err)), 0);
        assert_int_equal(t->n, 5);     /* the hb after the crash is not kept */
        assert_int_equal(t->crash_ns, 7 * S + 450 * MS);
        assert_int_equal(t->end_ns, 9 * S);
        hbt_free(t);
}

/* Accepted variants: CRLF, blank lines, comments anywhere, quoting, a
 * quoted field spanning lines, no end row, no final newline. */
static void test_read_variants(void **state)
{
        static const char text[] =
                "# hbeat-trace v1\r\n"
                "#   interval_ns=250000000   \r\n"
                "# just a comment, with \"an unbalanced quote\r\n"
                "# k.e-y_1=v = w\r\n"
                "\r\n"
                "\"kind\",peer,seq,send_ns,arrival_ns\r\n"
                "hb,\"x\ny\",1,,10\r\n"
                "# peer=x\ny\r\n"
                "\r\n"
                "hb,\"x\ny\",2,5,20\r\n"
                "\"hb\",\"x\ny\",\"3\",6,20";
        const char *path = write_tmp("var.csv", text, sizeof(text) - 1);
        hbt_trace_t *t = NULL;
        char err[256];

        (void)state;
        assert_int_equal(hbt_read(&t, path, err, sizeof(err)), -EINVAL);
        /* "# peer=x" (line 9) cannot name a peer with a line break. */
        assert_string_equal(strchr(err, ':'),
                            ":9: metadata peer 'x' differs from peer 'x\ny' "
                            "named before (one peer per trace)");

        static const char text2[] =
                "# hbeat-trace v1\r\n"
                "#   interval_ns=250000000   \r\n"
                "# just a comment, with \"an unbalanced quote\r\n"
                "# k.e-y_1=v = w\r\n"
                "\r\n"
                "\"kind\",peer,seq,send_ns,arrival_ns\r\n"
                "hb,\"x\ny\",1,,10\r\n"
                "\r\n"
                "hb,\"x\ny\",2,5,20\r\n"
                "\"hb\",\"x\ny\",\"3\",6,20";
        path = write_tmp("var2.csv", text2, sizeof(text2) - 1);
        assert_int_equal(hbt_read(&t, path, err, sizeof(err)), 0);
        assert_int_equal(t->interval_ns, 250 * MS);
        assert_string_equal(t->peer, "x\ny");
        assert_int_equal(t->n_meta, 1);
        assert_string_equal(t->meta[0].key, "k.e-y_1");
        assert_string_equal(t->meta[0].value, "v = w");
        assert_int_equal(t->n, 3);
        assert_int_equal(t->arrivals[0].send_ns, 0);   /* empty send_ns */
        assert_int_equal(t->arrivals[1].send_ns, 5);
        assert_int_equal(t->arrivals[2].seq, 3);
        assert_true(t->crash_ns == HB_NEVER);
        assert_int_equal(t->end_ns, 20);      /* no end row: last row */
        hbt_free(t);

        /* Header only: a valid, empty trace. */
        path = write_tmp("empty.csv", V1 HDR, strlen(V1 HDR));
        assert_int_equal(hbt_read(&t, path, err, sizeof(err)), 0);
        assert_int_equal(t->n, 0);
        assert_int_equal(t->end_ns, 0);
        assert_string_equal(t->peer, "");
        assert_int_equal(t->interval_ns, 0);
        hbt_free(t);
}

struct bad_case {
        const char *text;
        unsigned line;
        const char *msg;               /* expected part of the message */
};

static const struct bad_case bad_cases[] = {
        { "", 1, "empty file, expected '# hbeat-trace v1'" },
        { "kind,peer\n", 1, "first line must be '# hbeat-trace v1'" },
        { "\n" V1, 1, "first line must be" },
        { "# hbeat-trace v2\n" HDR, 1,
          "first line is '# hbeat-trace v2', expected '# hbeat-trace v1'" },
        { V1 "# a=b\n", 2, "no header row 'kind,peer,seq,send_ns,arrival_ns'" },
        { V1 "# a=b\n\n", 3, "no header row" },
        { V1 "# a=b\nkind,peer,seq\n", 3, "expected the header row" },
        { V1 "kind,peer,seq,send,arrival_ns\n", 2, "expected the header row" },
        { V1 HDR "hb,n2,1,5,10\nhb,n2,2,6\n", 4,
          "4 fields, expected 5 (kind,peer,seq,send_ns,arrival_ns)" },
        { V1 HDR "hb,n2,1,5,10,\n", 3, "6 fields, expected 5" },
        { V1 HDR "hb,n2,1,5,10\nbeat,n2,2,6,20\n", 4,
          "unknown kind 'beat' (hb, crash, end)" },
        { V1 HDR "HB,n2,2,6,20\n", 3, "unknown kind 'HB'" },
        { V1 HDR "hb,n2,x1,5,10\n", 3,
          "seq 'x1' is not an integer in 0..18446744073709551615" },
        { V1 HDR "hb,n2,,5,10\n", 3, "seq '' is not an integer" },
        { V1 HDR "hb,n2,-1,5,10\n", 3, "seq '-1' is not an integer" },
        { V1 HDR "hb,n2,18446744073709551616,5,10\n", 3,
          "seq '18446744073709551616' is not an integer" },
        { V1 HDR "hb,n2, 1,5,10\n", 3, "seq ' 1' is not an integer" },
        { V1 HDR "hb,n2,1,1.5,10\n", 3, "send_ns '1.5' is not an integer" },
        { V1 HDR "hb,n2,1,5,\n", 3,
          "arrival_ns '' is not an integer in 0..18446744073709551614" },
        { V1 HDR "hb,n2,1,5,18446744073709551615\n", 3,
          "arrival_ns '18446744073709551615' is not an integer" },
        { V1 HDR "hb,n2,1,5,10\n\nhb,n2,2,6,20\nhb,n2,3,7,19\n", 6,
          "arrival_ns 19 is before the previous row's 20 (rows must be in "
          "arrival order)" },
        { V1 HDR "crash,n2,,,10\nend,n2,,,5\n", 4, "arrival_ns 5 is before" },
        { V1 HDR "crash,n2,,,10\ncrash,n2,,,11\n", 4,
          "second crash row (at most one)" },
        { V1 HDR "crash,n2,3,,10\n", 3, "seq must be empty on crash rows" },
        { V1 HDR "end,n2,,7,10\n", 3, "send_ns must be empty on end rows" },
        { V1 HDR "end,n2,,,10\nhb,n2,1,1,10\n", 4,
          "hb row after the end row (end is the last row)" },
        { V1 HDR "end,n2,,,10\nend,n2,,,10\n", 4, "end row after the end row" },
        { V1 HDR "hb,n2,1,5,10\nhb,n3,2,6,20\n", 4,
          "peer 'n3' differs from peer 'n2' named before (one peer per "
          "trace)" },
        { V1 "# peer=n2\n" HDR "hb,n3,2,6,20\n", 4, "peer 'n3' differs" },
        { V1 HDR "hb,n2,2,6,20\n# peer=n3\n", 4, "metadata peer 'n3'" },
        { V1 "# interval_ns=0\n" HDR, 2,
          "interval_ns '0' is not an integer in 1..18446744073709551614" },
        { V1 "# interval_ns=1e8\n" HDR, 2, "interval_ns '1e8' is not an" },
        { V1 "# interval_ns=5\n# interval_ns=5\n" HDR, 3,
          "interval_ns given twice" },
        { V1 HDR "hb,\"n2\"x,1,2,3\n", 3, "malformed CSV" },
        { V1 HDR "hb,n\"2,1,2,3\n", 3, "malformed CSV" },
        { V1 HDR "hb,n2,1,2,3\nhb,\"n2,2,3,4\n", 4,
          "unterminated quoted field" },
        /* A record spanning lines 3-4; the error is on line 5. */
        { V1 HDR "hb,\"a\nb\",1,1,1\nhb,\"a\nb\",2,x,2\n", 5,
          "send_ns 'x' is not an integer" },
        /* CRLF and a comment with an unbalanced quote before the error. */
        { "# hbeat-trace v1\r\n" HDR "# \"\r\nhb,n2,1,1,1\r\nhb,n2,2,2\r\n", 5,
          "4 fields" },
};

static void test_read_errors(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
                const struct bad_case *c = &bad_cases[i];
                const char *path = write_tmp("bad.csv", c->text,
                                             strlen(c->text));
                char err[512], prefix[600];
                hbt_trace_t *t = (hbt_trace_t *)&err; /* must stay as is */
                int rc = hbt_read(&t, path, err, sizeof(err));

                snprintf(prefix, sizeof(prefix), "%s:%u: ", path, c->line);
                if (rc != -EINVAL || strncmp(err, prefix, strlen(prefix)) ||
                    !strstr(err, c->msg)) {
                        print_error("case %zu: rc %d, err \"%s\"\n"
                                    "expected \"%s...%s...\"\n",
                                    i, rc, err, prefix, c->msg);
                        fail();
                }
                assert_ptr_equal(t, (hbt_trace_t *)&err);
        }
}

static void test_read_io_errors(void **state)
{
        hbt_trace_t *t = NULL;
        char err[256];

        (void)state;
        assert_int_equal(hbt_read(&t, tmp_path("missing.csv"), err,
                                  sizeof(err)),
                         -ENOENT);
        assert_non_null(strstr(err, "missing.csv: No such file"));
        assert_int_equal(hbt_read(&t, tmpdir, err, sizeof(err)), -EISDIR);
        assert_null(t);
        assert_int_equal(hbt_read(NULL, "x", err, sizeof(err)), -EINVAL);
        hbt_free(NULL);
}

/* Every allocation of the reader fails cleanly (ASan checks the leaks). */
static void test_read_alloc_failures(void **state)
{
        const char *path = tmp_path("fm.csv");
        FILE *f = fopen(path, "w");
        hbt_trace_t *t = NULL;
        char err[256];
        long n;
        int rc = -1;

        (void)state;
        assert_non_null(f);
        fputs(V1 "# interval_ns=100\n# a=b\n# c=d\n" HDR, f);
        /* > 4096 rows: the arrays grow at least once. */
        for (int i = 1; i <= 5000; i++)
                fprintf(f, "hb,n2,%d,%d,%d\n", i, i, i);
        fputs("crash,n2,,,6000\nend,n2,,,7000\n", f);
        assert_int_equal(fclose(f), 0);
        for (n = 0; n < 100; n++) {
                failalloc_after(n);
                rc = hbt_read(&t, path, err, sizeof(err));
                failalloc_after(-1);
                if (rc == 0)
                        break;
                assert_int_equal(rc, -ENOMEM);
                assert_null(t);
        }
        assert_int_equal(rc, 0);
        assert_true(n > 5);            /* the failures were really tried */
        assert_int_equal(t->n, 5000);
        hbt_free(t);
}

static void test_writer_checks(void **state)
{
        static const hbt_meta_t bad_key = { "no spaces", "x" };
        static const hbt_meta_t dup_key = { "peer", "x" };
        static const hbt_meta_t bad_val = { "k", "two\nlines" };
        hbt_writer_t *w;
        FILE *f = fopen(tmp_path("w.csv"), "w");
        long n;
        int rc = -1;

        (void)state;
        assert_non_null(f);
        assert_int_equal(hbt_writer_open(&w, f, "a\nb", 0, NULL, 0), -EINVAL);
        assert_int_equal(hbt_writer_open(&w, f, "a", 0, &bad_key, 1), -EINVAL);
        assert_int_equal(hbt_writer_open(&w, f, "a", 0, &dup_key, 1), -EINVAL);
        assert_int_equal(hbt_writer_open(&w, f, "a", 0, &bad_val, 1), -EINVAL);
        assert_int_equal(hbt_writer_open(&w, NULL, "a", 0, NULL, 0), -EINVAL);
        for (n = 0; n < 10; n++) {
                failalloc_after(n);
                rc = hbt_writer_open(&w, f, "a,b", 0, NULL, 0);
                failalloc_after(-1);
                if (rc == 0)
                        break;
                assert_int_equal(rc, -ENOMEM);
        }
        assert_int_equal(rc, 0);
        assert_int_equal(hbt_write_hb(w, 1, 1, 10), 0);
        assert_int_equal(hbt_write_hb(w, 2, 2, 9), -EINVAL);
        assert_int_equal(hbt_write_hb(w, 2, 2, HB_NEVER), -EINVAL);
        assert_int_equal(hbt_write_crash(w, 10), 0);
        assert_int_equal(hbt_write_crash(w, 11), -EINVAL);
        assert_int_equal(hbt_write_hb(w, 3, 3, 12), 0);
        assert_int_equal(hbt_write_end(w, 13), 0);
        assert_int_equal(hbt_write_hb(w, 4, 4, 14), -EINVAL);
        assert_int_equal(hbt_write_end(w, 14), -EINVAL);
        assert_int_equal(hbt_writer_close(w), 0);
        assert_int_equal(hbt_writer_close(NULL), 0);
        fclose(f);

        /* A full disk shows at the latest when the writer is closed. */
        f = fopen("/dev/full", "w");
        if (f) {
                rc = hbt_writer_open(&w, f, "n2", 0, NULL, 0);
                if (rc == 0) {
                        for (int i = 0; i < 100000 && rc == 0; i++)
                                rc = hbt_write_hb(w, 1, 1, 1);
                        rc = hbt_writer_close(w);
                }
                assert_int_equal(rc, -ENOSPC);
                fclose(f);
        }
}

/* 1 M rows: written and read back well under a second each (the bound
 * asserted is loose so that sanitizer builds pass too). */
static void test_large(void **state)
{
        const char *path = tmp_path("large.csv");
        FILE *f = fopen(path, "w");
        hbt_writer_t *w;
        hbt_trace_t *t = NULL;
        char err[256];
        const size_t n = 1000000;
        double t0, t1, t2;

        (void)state;
        assert_non_null(f);
        t0 = now_s();
        assert_int_equal(hbt_writer_open(&w, f, "n2", 100 * MS, NULL, 0), 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(hbt_write_hb(w, i + 1, 100 * MS * i + 17,
                                              5 * S + 100 * MS * i + i % 1000),
                                 0);
        assert_int_equal(hbt_write_end(w, 5 * S + 100 * MS * n), 0);
        assert_int_equal(hbt_writer_close(w), 0);
        assert_int_equal(fclose(f), 0);
        t1 = now_s();
        assert_int_equal(hbt_read(&t, path, err, sizeof(err)), 0);
        t2 = now_s();
        print_message("      1M rows: write %.3f s, read %.3f s\n", t1 - t0,
                      t2 - t1);
        assert_int_equal(t->n, n);
        assert_int_equal(t->arrivals[n - 1].seq, n);
        assert_int_equal(t->arrivals[n - 1].send_ns, 100 * MS * (n - 1) + 17);
        assert_int_equal(t->arrivals[n - 1].arrival_ns,
                         5 * S + 100 * MS * (n - 1) + (n - 1) % 1000);
        assert_true(t1 - t0 < 10 && t2 - t1 < 10);
        hbt_free(t);
}

/* ---- generator helpers ------------------------------------------------- */

struct recs {
        hbtg_record_t *v;
        size_t n, cap;
};

static int collect(void *ctx, const hbtg_record_t *rec)
{
        struct recs *r = ctx;

        if (r->n == r->cap) {
                r->cap = r->cap ? 2 * r->cap : 1024;
                r->v = realloc(r->v, r->cap * sizeof(*r->v));
                assert_non_null(r->v);
        }
        r->v[r->n++] = *rec;
        return 0;
}

/* Run, check the invariants every trace has, return the records. */
static struct recs run(const hbtg_config_t *cfg, hbtg_stats_t *st)
{
        struct recs r = { 0 };
        size_t crashes = 0;

        assert_int_equal(hbtg_run(cfg, collect, &r, st), 0);
        assert_true(r.n >= 1);
        for (size_t i = 0; i < r.n; i++) {
                if (i)
                        assert_true(r.v[i].arrival_ns >= r.v[i - 1].arrival_ns);
                if (r.v[i].kind == HBTG_HB)
                        assert_true(r.v[i].arrival_ns >= r.v[i].send_ns);
                crashes += r.v[i].kind == HBTG_CRASH;
                assert_true(r.v[i].kind != HBTG_END || i == r.n - 1);
        }
        assert_int_equal(r.v[r.n - 1].kind, HBTG_END);
        assert_int_equal(r.v[r.n - 1].arrival_ns, st->end_ns);
        assert_true(crashes <= 1);
        assert_int_equal(st->sent, st->delivered + st->lost_independent +
                                           st->lost_burst + st->unobserved);
        return r;
}

static void base_cfg(hbtg_config_t *c)
{
        hbtg_config_default(c);
        c->seed = 12345;
        c->peer = "n2";
        c->duration_ns = 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* Sorted one-way delays of the delivered heartbeats (caller frees). */
static uint64_t *delays(const struct recs *r, size_t *n)
{
        uint64_t *d = malloc(r->n * sizeof(*d));

        assert_non_null(d);
        *n = 0;
        for (size_t i = 0; i < r->n; i++)
                if (r->v[i].kind == HBTG_HB)
                        d[(*n)++] = r->v[i].arrival_ns - r->v[i].send_ns;
        qsort(d, *n, sizeof(*d), cmp_u64);
        return d;
}

static double quantile(const uint64_t *d, size_t n, double q)
{
        return (double)d[(size_t)(q * (double)(n - 1))];
}

/* Standard normal quantiles used below. */
#define Z90 1.2815515655446004
#define Z99 2.3263478740408408

/* ---- generator statistics --------------------------------------------- */

static void test_gen_interval(void **state)
{
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;
        double sum = 0, sum2 = 0, maxdev = 0;
        size_t n = 0;

        (void)state;
        for (int kind = 0; kind < 2; kind++) {
                base_cfg(&c);
                c.count = 100000;
                c.jitter = kind ? HBTG_JITTER_NORMAL : HBTG_JITTER_UNIFORM;
                c.jitter_ns = kind ? 2 * MS : 10 * MS;
                r = run(&c, &st);
                assert_int_equal(st.sent, 100000);
                assert_int_equal(st.delivered, 100000);
                sum = sum2 = maxdev = 0;
                n = 0;
                for (size_t i = 0; i + 1 < r.n; i++) {
                        /* No loss, constant delay: seq i+1, grid slot i. */
                        double dev = (double)r.v[i].send_ns -
                                     (double)(i * 100 * MS);

                        assert_int_equal(r.v[i].seq, i + 1);
                        assert_int_equal(r.v[i].arrival_ns,
                                         r.v[i].send_ns + MS);
                        if (i == 0)
                                continue;  /* clamped at 0 */
                        sum += dev;
                        sum2 += dev * dev;
                        if (fabs(dev) > maxdev)
                                maxdev = fabs(dev);
                        n++;
                }
                /* Mean interval: (last - first) / (n - 1); deviations are
                 * bounded, so it is 100 ms within 2 * 10 ms / 1e5. */
                assert_near((double)(r.v[r.n - 2].send_ns - r.v[1].send_ns) /
                                    (double)(r.n - 3),
                            100.0 * MS, 250);
                if (kind == 0) {
                        /* Uniform +-10 ms: sd 10/sqrt(3) = 5.774 ms, se of
                         * the sd ~0.2%; never beyond 10 ms. */
                        assert_near(sum / (double)n, 0, 0.1 * MS);
                        assert_rel(sqrt(sum2 / (double)n), 10.0 * MS / sqrt(3),
                                   0.02);
                        assert_true(maxdev <= 10.0 * MS + 1);
                        assert_true(maxdev > 9.9 * MS);
                } else {
                        /* Normal sd 2 ms (a few early clamps at 0 aside). */
                        assert_near(sum / (double)n, 0, 0.05 * MS);
                        assert_rel(sqrt(sum2 / (double)n), 2.0 * MS, 0.02);
                        assert_true(maxdev > 7 * MS); /* tail exists */
                }
                free(r.v);
        }
}

/* Loss rate, and P(lost | previous lost) to tell bursts from coins. */
static void loss_stats(const struct recs *r, uint64_t sent, double *rate,
                       double *cond)
{
        bool *lost = calloc(sent + 1, sizeof(*lost));
        size_t n_lost = 0, pairs = 0;

        assert_non_null(lost);
        for (uint64_t s = 1; s <= sent; s++)
                lost[s] = true;
        for (size_t i = 0; i < r->n; i++)
                if (r->v[i].kind == HBTG_HB)
                        lost[r->v[i].seq] = false;
        for (uint64_t s = 1; s <= sent; s++) {
                n_lost += lost[s];
                pairs += s > 1 && lost[s] && lost[s - 1];
        }
        *rate = (double)n_lost / (double)sent;
        *cond = n_lost ? (double)pairs / (double)n_lost : 0;
        free(lost);
}

static void test_gen_loss_independent(void **state)
{
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;
        double rate, cond;

        (void)state;
        base_cfg(&c);
        c.count = 200000;
        c.loss_prob = 0.05;
        r = run(&c, &st);
        loss_stats(&r, st.sent, &rate, &cond);
        /* se = sqrt(0.05 * 0.95 / 2e5) = 4.9e-4; 5 se. */
        assert_near(rate, 0.05, 0.0025);
        /* Independent: P(lost | previous lost) = p too (se ~2e-3). */
        assert_near(cond, 0.05, 0.01);
        assert_int_equal(st.lost_burst, 0);
        assert_int_equal(st.lost_independent, st.sent - st.delivered);
        assert_near(hbtg_loss_rate(&c), 0.05, 1e-12);
        free(r.v);
}

static void test_gen_loss_gilbert_elliott(void **state)
{
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;
        double rate, cond, pb, expect;

        (void)state;
        base_cfg(&c);
        c.count = 400000;
        c.ge_p_good_bad = 0.01;
        c.ge_p_bad_good = 0.1;
        c.ge_loss_good = 0.01;
        c.ge_loss_bad = 0.5;
        /* Stationary: pi_bad = p_gb / (p_gb + p_bg) = 1/11; loss =
         * (10/11) * 0.01 + (1/11) * 0.5 = 0.054545... */
        pb = 0.01 / (0.01 + 0.1);
        expect = (1 - pb) * 0.01 + pb * 0.5;
        assert_near(hbtg_loss_rate(&c), expect, 1e-12);
        r = run(&c, &st);
        loss_stats(&r, st.sent, &rate, &cond);
        /* Bad periods last 10 heartbeats: ~3600 of them in 4e5, each
         * losing ~5, so the se is ~ sqrt(3600) * 5 / 4e5 = 7.5e-4 (plus
         * the count of bad periods varying); 0.005 is > 5 se. */
        assert_near(rate, expect, 0.005);
        /* Bursty: P(lost | previous lost) ~ P(bad | lost) * (0.9 * 0.5 +
         * 0.1 * 0.01) ~ 0.83 * 0.45 = 0.38, far above the 0.055 of a
         * coin. */
        assert_true(cond > 0.3);
        assert_int_equal(st.lost_independent, 0);
        assert_int_equal(st.lost_burst, st.sent - st.delivered);
        free(r.v);

        /* The wan preset's chain: exactly 1% stationary loss. */
        assert_int_equal(hbtg_config_preset(&c, "wan"), 0);
        assert_near(hbtg_loss_rate(&c), 0.01, 1e-12);
}

static void test_gen_delay_quantiles(void **state)
{
        static const double qs[] = { 0.1, 0.5, 0.9, 0.99 };
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;
        uint64_t *d;
        size_t n;

        (void)state;
        for (int kind = HBTG_DELAY_NORMAL; kind <= HBTG_DELAY_PARETO;
             kind++) {
                double want[4];

                base_cfg(&c);
                c.count = 200000;
                c.interval_ns = MS;
                c.delay = (hbtg_delay_t)kind;
                c.delay_mean_ns = 10 * MS;
                c.delay_sd_ns = 2 * MS;
                c.delay_median_ns = 40 * MS;
                c.delay_sigma = 0.5;
                c.delay_scale_ns = 5 * MS;
                c.delay_shape = 2;
                for (int i = 0; i < 4; i++) {
                        /* z of the quantile (z(0.1) = -z(0.9)). */
                        double z = i == 0 ? -Z90 : i == 1 ? 0 : i == 2 ? Z90
                                                                       : Z99;

                        if (kind == HBTG_DELAY_NORMAL)
                                want[i] = 10.0 * MS + z * 2.0 * MS;
                        else if (kind == HBTG_DELAY_LOGNORMAL)
                                want[i] = 40.0 * MS * exp(0.5 * z);
                        else    /* P(D > x) = (5/x)^2 */
                                want[i] = 5.0 * MS * pow(1 - qs[i], -0.5);
                }
                r = run(&c, &st);
                d = delays(&r, &n);
                assert_int_equal(n, 200000);
                /* se of a quantile ~ sqrt(q(1-q)/n) / density: < 0.5% here
                 * except the 99th (~1.5%). */
                for (int i = 0; i < 4; i++)
                        assert_rel(quantile(d, n, qs[i]), want[i],
                                   i == 3 ? 0.04 : 0.015);
                if (kind == HBTG_DELAY_PARETO)
                        assert_true(d[0] >= 5 * MS);
                free(d);
                free(r.v);
        }

        /* Normal truncated at 0 (redrawn, not clamped): N(1 ms, 2 ms)
         * given >= 0 has median 1 + 2 z(1 - Phi(0.5) / 2) = 1.79374 ms
         * (clamping would give 1 ms and 31% zeros). */
        {
                size_t zeros = 0;

                base_cfg(&c);
                c.count = 100000;
                c.interval_ns = MS;
                c.delay = HBTG_DELAY_NORMAL;
                c.delay_mean_ns = MS;
                c.delay_sd_ns = 2 * MS;
                r = run(&c, &st);
                d = delays(&r, &n);
                for (size_t i = 0; i < n; i++)
                        zeros += d[i] == 0;
                assert_true(zeros < 100);
                assert_rel(quantile(d, n, 0.5), 1.7937423 * MS, 0.02);
                free(d);
                free(r.v);
        }

        /* Log-normal given by mean and sd: the sample mean matches. */
        {
                double med, sig, sum = 0;

                base_cfg(&c);
                c.count = 200000;
                c.interval_ns = MS;
                c.delay = HBTG_DELAY_LOGNORMAL;
                assert_int_equal(hbtg_lognormal_from_mean_sd(
                                         50.0 * MS, 20.0 * MS, &med, &sig),
                                 0);
                c.delay_median_ns = (uint64_t)llround(med);
                c.delay_sigma = sig;
                r = run(&c, &st);
                d = delays(&r, &n);
                for (size_t i = 0; i < n; i++)
                        sum += (double)d[i];
                /* se of the mean = 20 / sqrt(2e5) = 0.045 ms. */
                assert_near(sum / (double)n, 50.0 * MS, 0.25 * MS);
                assert_int_equal(hbtg_lognormal_from_mean_sd(0, 1, &med, &sig),
                                 -EINVAL);
                free(d);
                free(r.v);
        }
}

static void test_gen_delay_tail_and_cap(void **state)
{
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;
        uint64_t *d;
        size_t n, tail = 0;

        (void)state;
        base_cfg(&c);
        c.count = 100000;
        c.interval_ns = MS;
        c.delay_ns = MS;
        c.delay_tail_prob = 0.05;
        c.delay_tail_scale_ns = 10 * MS;
        c.delay_tail_shape = 2;
        r = run(&c, &st);
        d = delays(&r, &n);
        for (size_t i = 0; i < n; i++) {
                if (d[i] == MS)
                        continue;
                assert_true(d[i] >= 11 * MS);   /* body + >= scale */
                tail++;
        }
        /* Binomial(1e5, 0.05): se 69. */
        assert_near((double)tail, 5000, 350);
        /* Median extra delay of the tail: 10 * 2^(1/2) = 14.14 ms. */
        assert_rel(quantile(d + (n - tail), tail, 0.5), 1.0 * MS + 14.142 * MS,
                   0.05);
        free(d);
        free(r.v);

        /* Heavy Pareto (shape 0.5) capped at 100 ms. */
        base_cfg(&c);
        c.count = 20000;
        c.delay = HBTG_DELAY_PARETO;
        c.delay_scale_ns = MS;
        c.delay_shape = 0.5;
        c.delay_max_ns = 100 * MS;
        r = run(&c, &st);
        d = delays(&r, &n);
        /* P(D > 100 ms) = (1/100)^0.5 = 10%: all of those hit the cap. */
        assert_int_equal(d[n - 1], 100 * MS);
        {
                size_t capped = 0;

                for (size_t i = 0; i < n; i++)
                        capped += d[i] == 100 * MS;
                /* se = sqrt(0.1 * 0.9 / 2e4) = 0.2%. */
                assert_near((double)capped / (double)n, 0.1, 0.012);
        }
        free(d);
        free(r.v);
}

static void test_gen_stalls(void **state)
{
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;
        size_t gaps = 0, on_grid = 0;
        double gap_sum = 0, active_s;

        (void)state;
        base_cfg(&c);
        c.count = 1000000;
        c.stall_rate_per_s = 0.05;
        c.stall_min_ns = 200 * MS;
        c.stall_max_ns = 1300 * MS;
        r = run(&c, &st);
        for (size_t i = 1; i + 1 < r.n; i++) {
                uint64_t gap = r.v[i].send_ns - r.v[i - 1].send_ns;

                assert_int_equal(r.v[i].seq, i + 1);   /* no seq gaps */
                if (gap <= 100 * MS) {
                        /* On the grid, or the first slot after an overdue
                         * (off-grid) heartbeat. */
                        assert_true(gap == 100 * MS ||
                                    r.v[i - 1].send_ns % (100 * MS) != 0);
                        continue;
                }
                /* The overdue heartbeat goes at the stall's end... */
                assert_true(gap >= 200 * MS);
                assert_true(gap < 1400 * MS);
                gaps++;
                gap_sum += (double)gap;
                /* ...and the next one is back on the 100 ms grid (unless
                 * another stall, 0.5% of the time, delays it too). */
                if (r.v[i + 1].send_ns - r.v[i].send_ns > 100 * MS)
                        continue;
                assert_true(r.v[i + 1].send_ns % (100 * MS) == 0);
                on_grid++;
        }
        /* Every stall shows as one gap (stalls last > interval). */
        assert_int_equal(gaps, st.stalls);
        assert_true(on_grid >= gaps - gaps / 50);
        /* Poisson count over the sender's active time (~1e5 s minus the
         * stalls): ~4800, se ~70; 4 se = 6%. */
        active_s = (double)(r.v[r.n - 2].send_ns - st.stall_ns) / 1e9;
        assert_rel((double)st.stalls, 0.05 * active_s, 0.06);
        /* Length uniform 200..1300 ms: mean 750 ms, sd 318 ms, se 4.6 ms. */
        assert_near((double)st.stall_ns / (double)st.stalls, 750.0 * MS,
                    20.0 * MS);
        /* A gap = stall + the time since the last send (uniform 0..100). */
        assert_near(gap_sum / (double)gaps -
                            (double)st.stall_ns / (double)st.stalls,
                    50.0 * MS, 10.0 * MS);
        free(r.v);
}

static void gen_bytes(const hbtg_config_t *c, char **buf, size_t *len)
{
        FILE *f = open_memstream(buf, len);
        hbt_writer_t *w;
        hbt_meta_t *meta;
        size_t n_meta;

        assert_non_null(f);
        assert_int_equal(hbtg_meta(c, &meta, &n_meta), 0);
        assert_int_equal(hbt_writer_open(&w, f, c->peer, c->interval_ns, meta,
                                         n_meta),
                         0);
        assert_int_equal(hbtg_write(c, w, NULL), 0);
        assert_int_equal(hbt_writer_close(w), 0);
        assert_int_equal(fclose(f), 0);
        hbtg_meta_free(meta, n_meta);
}

static void test_gen_determinism(void **state)
{
        hbtg_config_t c;
        char *a, *b, *x;
        size_t alen, blen, xlen;
        hbtg_stats_t st;
        struct recs r1, r2;

        (void)state;
        base_cfg(&c);
        assert_int_equal(hbtg_config_preset(&c, "wan"), 0);
        c.count = 20000;
        c.stall_rate_per_s = 0.05;
        gen_bytes(&c, &a, &alen);
        gen_bytes(&c, &b, &blen);
        assert_int_equal(alen, blen);
        assert_memory_equal(a, b, alen);
        c.seed++;
        gen_bytes(&c, &x, &xlen);
        assert_true(xlen != alen || memcmp(a, x, alen) != 0);
        assert_non_null(strstr(a, "\n# seed=12345\n"));
        assert_non_null(strstr(x, "\n# seed=12346\n"));
        free(a);
        free(b);
        free(x);

        /* Common random numbers: a different loss leaves the delay of
         * every heartbeat delivered in both runs unchanged. */
        base_cfg(&c);
        c.count = 5000;
        c.delay = HBTG_DELAY_LOGNORMAL;
        c.delay_median_ns = 30 * MS;
        c.loss_prob = 0.1;
        r1 = run(&c, &st);
        c.loss_prob = 0.3;
        r2 = run(&c, &st);
        {
                uint64_t *d1 = calloc(c.count + 1, sizeof(*d1));
                size_t common = 0;

                assert_non_null(d1);
                for (size_t i = 0; i < r1.n; i++)
                        if (r1.v[i].kind == HBTG_HB)
                                d1[r1.v[i].seq] =
                                        r1.v[i].arrival_ns - r1.v[i].send_ns;
                for (size_t i = 0; i < r2.n; i++) {
                        if (r2.v[i].kind != HBTG_HB || !d1[r2.v[i].seq])
                                continue;
                        assert_int_equal(d1[r2.v[i].seq],
                                         r2.v[i].arrival_ns -
                                                 r2.v[i].send_ns);
                        common++;
                }
                assert_true(common > 3000);
                free(d1);
        }
        free(r1.v);
        free(r2.v);
}

static void test_gen_crash(void **state)
{
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;
        size_t crash_at = 0, before = 0, after = 0;
        char *buf;
        size_t len;
        hbt_trace_t *t = NULL;
        char err[256];

        (void)state;
        base_cfg(&c);
        c.duration_ns = 60 * S;
        c.crash_ns = 30 * S + 50 * MS;
        c.delay = HBTG_DELAY_LOGNORMAL;
        c.delay_median_ns = 300 * MS;
        c.delay_sigma = 0.5;
        c.delay_max_ns = 2 * S;
        r = run(&c, &st);
        for (size_t i = 0; i < r.n; i++) {
                if (r.v[i].kind == HBTG_CRASH) {
                        assert_int_equal(crash_at, 0);
                        crash_at = i;
                        assert_int_equal(r.v[i].arrival_ns, c.crash_ns);
                } else if (r.v[i].kind == HBTG_HB) {
                        /* The sender stops at the crash... */
                        assert_true(r.v[i].send_ns < c.crash_ns);
                        /* ...and nothing arrives later than the cap. */
                        assert_true(r.v[i].arrival_ns <=
                                    c.crash_ns + c.delay_max_ns);
                        if (crash_at)
                                after++;
                        else
                                before++;
                }
        }
        assert_true(crash_at > 0);
        /* Heartbeats in flight at the crash arrive after it (~3 of them
         * with a 300 ms median delay at 100 ms interval). */
        assert_true(after >= 1);
        assert_int_equal(r.v[r.n - 1].arrival_ns, 60 * S);
        assert_int_equal(st.sent, 301);        /* 0 .. 30.0 s */
        free(r.v);

        /* Through the writer and back: the reader drops the late ones. */
        gen_bytes(&c, &buf, &len);
        write_tmp("crash.csv", buf, len);
        free(buf);
        assert_int_equal(hbt_read(&t, tmp_path("crash.csv"), err,
                                  sizeof(err)),
                         0);
        assert_int_equal(t->n, before);
        assert_int_equal(t->crash_ns, c.crash_ns);
        assert_int_equal(t->end_ns, 60 * S);
        assert_string_equal(t->peer, "n2");
        assert_int_equal(t->interval_ns, 100 * MS);
        hbt_free(t);
}

static void test_gen_reorder_and_end(void **state)
{
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;

        (void)state;
        /* Heavy reordering: delays >> interval. */
        base_cfg(&c);
        c.count = 100000;
        c.interval_ns = MS;
        c.delay = HBTG_DELAY_PARETO;
        c.delay_scale_ns = MS;
        c.delay_shape = 0.8;
        c.delay_max_ns = 5 * S;
        r = run(&c, &st);              /* checks the order */
        assert_true(st.reordered > 10000);
        /* Count mode: the end is max(last arrival, last send + interval). */
        assert_true(st.end_ns >= r.v[r.n - 2].arrival_ns);
        assert_true(st.end_ns >= 99999 * MS + MS);
        free(r.v);

        /* Duration mode: arrivals after the end are not recorded. */
        base_cfg(&c);
        c.duration_ns = 10 * S;
        c.delay_ns = 250 * MS;
        r = run(&c, &st);
        assert_int_equal(st.sent, 100);
        /* Sent at 9.8 and 9.9 s: they would arrive after 10 s. */
        assert_int_equal(st.unobserved, 2);
        assert_int_equal(st.delivered, 98);
        assert_int_equal(st.end_ns, 10 * S);
        free(r.v);
}

/* ---- sender times ------------------------------------------------------ */

static const char planetlab[] =
        "numseq,timestamp_start_send,timestamp_end_send\n"
        "0,165685192745625,165685192860639\n"
        "1,165685293025746,165685293095118\n"
        "2,165685393000000,165685393000100\r\n"
        "3,165686409290000,165686409290100\n";

static void test_sender_times(void **state)
{
        hbtg_sender_times_t tm = { 0 };
        hbtg_config_t c;
        hbtg_stats_t st;
        struct recs r;
        char err[256];
        FILE *f = fmemopen((void *)planetlab, sizeof(planetlab) - 1, "r");
        static const uint64_t want[] = {
                0, 100280121, 200254375, 1216544375,
        };

        (void)state;
        assert_non_null(f);
        assert_int_equal(hbtg_sender_times_read(&tm, f, "pl.csv", err,
                                                sizeof(err)),
                         0);
        fclose(f);
        assert_int_equal(tm.n, 4);
        base_cfg(&c);
        c.sender_times = &tm;
        c.delay_ns = 2 * MS;
        c.jitter_ns = 5 * MS;                  /* ignored with sender times */
        c.stall_rate_per_s = 100;              /* idem */
        r = run(&c, &st);
        assert_int_equal(r.n, 5);
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(r.v[i].kind, HBTG_HB);
                assert_int_equal(r.v[i].seq, i + 1);
                assert_int_equal(r.v[i].send_ns, want[i]);
                assert_int_equal(r.v[i].arrival_ns, want[i] + 2 * MS);
        }
        assert_int_equal(st.stalls, 0);
        /* End: last send + interval. */
        assert_int_equal(st.end_ns, want[3] + 100 * MS);
        free(r.v);

        /* Limits apply to a replay too. */
        c.count = 2;
        r = run(&c, &st);
        assert_int_equal(st.sent, 2);
        free(r.v);
        c.count = 0;
        c.duration_ns = 1 * S;
        r = run(&c, &st);
        assert_int_equal(st.sent, 3);
        free(r.v);
        hbtg_sender_times_free(&tm);
        hbtg_sender_times_free(NULL);
}

static void test_sender_times_errors(void **state)
{
        static const struct {
                const char *text;
                const char *err;
        } cases[] = {
                /* gzip is read (test_trace_input.c), but not a cut one. */
                { "\x1f\x8b\x08\x00", "st: gzip data ends early" },
                { "numseq,start,end\n0,1,2\n", "st:1: expected the header" },
                { "numseq,timestamp_start_send,timestamp_end_send\n", "st:2: "
                  "no send times" },
                { "numseq,timestamp_start_send,timestamp_end_send\n0,1,2\n"
                  "1,x,3\n",
                  "st:3: timestamp_start_send 'x' is not an integer" },
                { "numseq,timestamp_start_send,timestamp_end_send\n0,5,6\n"
                  "0,6,7\n",
                  "st:3: numseq 0 after 0 (must increase)" },
                { "numseq,timestamp_start_send,timestamp_end_send\n0,5,6\n"
                  "1,6,7\n2,4,5\n",
                  "st:4: timestamp_start_send 4 is before the previous 6" },
                { "numseq,timestamp_start_send,timestamp_end_send\n0,5\n",
                  "st:2: 2 fields, expected 3" },
                { "numseq,timestamp_start_send,timestamp_end_send\n0,\"5,6\n",
                  "st:2: unterminated quoted field" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                hbtg_sender_times_t tm = { 0 };
                char err[256] = "";
                FILE *f = fmemopen((void *)cases[i].text,
                                   strlen(cases[i].text), "r");

                assert_non_null(f);
                assert_int_equal(hbtg_sender_times_read(&tm, f, "st", err,
                                                        sizeof(err)),
                                 -EINVAL);
                fclose(f);
                if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0) {
                        print_error("case %zu: \"%s\", expected \"%s...\"\n",
                                    i, err, cases[i].err);
                        fail();
                }
                assert_null(tm.send_ns);
        }
}

/* ---- parameters -------------------------------------------------------- */

static void test_config_check(void **state)
{
        hbtg_config_t c;
        char err[256];
        hbtg_stats_t st;
        struct recs r = { 0 };

        (void)state;
        hbtg_config_default(&c);
        assert_int_equal(hbtg_config_check(&c, err, sizeof(err)), 0);
        for (size_t i = 0; hbtg_preset_names[i]; i++) {
                assert_int_equal(hbtg_config_preset(&c, hbtg_preset_names[i]),
                                 0);
                assert_int_equal(hbtg_config_check(&c, err, sizeof(err)), 0);
        }
        assert_int_equal(hbtg_config_preset(&c, "moon"), -EINVAL);

#define BAD(stmt, msg)                                                         \
        do {                                                                   \
                hbtg_config_default(&c);                                       \
                stmt;                                                          \
                assert_int_equal(hbtg_config_check(&c, err, sizeof(err)),      \
                                 -EINVAL);                                     \
                if (!strstr(err, msg)) {                                       \
                        print_error("\"%s\" lacks \"%s\"\n", err, msg);        \
                        fail();                                                \
                }                                                              \
                assert_int_equal(hbtg_run(&c, collect, &r, &st), -EINVAL);     \
                assert_int_equal(r.n, 0);                                      \
        } while (0)

        BAD(c.interval_ns = 999, "interval_ns = 999: out of range 1000..");
        BAD(c.jitter_ns = c.interval_ns, "jitter_ns = 100000000: out of range "
                                         "0..99999999");
        BAD(c.stall_rate_per_s = -1, "stall_rate_per_s = -1");
        BAD(c.stall_min_ns = c.stall_max_ns + 1, "stall_min_ns");
        BAD((c.duration_ns = 0, c.count = 0), "need a limit");
        BAD(c.crash_ns = c.duration_ns, "crash_ns = 600000000000: out of "
                                        "range 0..599999999999");
        BAD((c.count = 5, c.duration_ns = 0, c.crash_ns = 1),
            "needs duration_ns");
        BAD(c.loss_prob = 1.5, "loss_prob = 1.5: out of range 0..1");
        BAD(c.loss_prob = NAN, "loss_prob = nan");
        BAD((c.ge_p_good_bad = 0.1, c.ge_p_bad_good = 0), "ge_p_bad_good = 0");
        BAD((c.delay = HBTG_DELAY_LOGNORMAL, c.delay_median_ns = 0),
            "delay_median_ns = 0");
        BAD((c.delay = HBTG_DELAY_PARETO, c.delay_shape = 0),
            "delay_shape = 0");
        BAD(c.delay_max_ns = 0, "delay_max_ns = 0");
        BAD((c.delay_tail_prob = 0.1, c.delay_tail_scale_ns = 0),
            "delay_tail_scale_ns = 0");
        BAD(c.delay = (hbtg_delay_t)9, "unknown distribution");
#undef BAD

        /* Presets: the documented values. */
        hbtg_config_default(&c);
        c.seed = 77;
        c.count = 5;
        assert_int_equal(hbtg_config_preset(&c, "stall"), 0);
        assert_int_equal(c.seed, 77);          /* kept */
        assert_int_equal(c.count, 5);
        assert_int_equal(c.interval_ns, 100 * MS);
        assert_int_equal(c.delay, HBTG_DELAY_NORMAL);
        assert_int_equal(c.delay_mean_ns, 200 * 1000);
        assert_near(c.loss_prob, 0.001, 0);
        assert_near(c.stall_rate_per_s, 0.001, 0);
        assert_int_equal(c.stall_min_ns, 200 * MS);
        assert_int_equal(c.stall_max_ns, 1300 * MS);
        assert_int_equal(hbtg_config_preset(&c, "wan"), 0);
        assert_near(c.stall_rate_per_s, 0, 0); /* reset, not merged */
        assert_int_equal(c.delay, HBTG_DELAY_LOGNORMAL);
        assert_int_equal(c.delay_median_ns, 40 * MS);
        assert_true(c.delay_tail_prob > 0);
        assert_near(c.loss_prob, 0, 0);
}

static int stop_at_3(void *ctx, const hbtg_record_t *rec)
{
        int *n = ctx;

        (void)rec;
        return ++*n == 3 ? 42 : 0;
}

static void test_gen_failures(void **state)
{
        hbtg_config_t c;
        hbtg_stats_t st = { .sent = 999 };
        struct recs r = { 0 };
        hbt_meta_t *meta;
        size_t n_meta;
        int calls = 0, rc = -1;
        long n;

        (void)state;
        base_cfg(&c);
        c.count = 1000;
        /* The callback's value stops the run and is returned. */
        assert_int_equal(hbtg_run(&c, stop_at_3, &calls, &st), 42);
        assert_int_equal(calls, 3);
        assert_int_equal(st.sent, 999);        /* untouched */
        assert_int_equal(hbtg_run(&c, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(hbtg_write(&c, NULL, NULL), -EINVAL);

        /* The in-flight heap cannot grow: -ENOMEM, nothing leaks. */
        c.delay_ns = 60 * S;                   /* 600 in flight */
        failalloc_after(0);
        assert_int_equal(hbtg_run(&c, collect, &r, NULL), -ENOMEM);
        failalloc_after(1);
        assert_int_equal(hbtg_run(&c, collect, &r, NULL), -ENOMEM);
        failalloc_after(-1);
        free(r.v);

        for (n = 0; n < 200; n++) {
                failalloc_after(n);
                rc = hbtg_meta(&c, &meta, &n_meta);
                failalloc_after(-1);
                if (rc == 0)
                        break;
                assert_int_equal(rc, -ENOMEM);
        }
        assert_int_equal(rc, 0);
        assert_true(n > 10);
        hbtg_meta_free(meta, n_meta);
        hbtg_meta_free(NULL, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_after_crash_ignored),
                cmocka_unit_test(test_read_variants),
                cmocka_unit_test(test_read_errors),
                cmocka_unit_test(test_read_io_errors),
                cmocka_unit_test(test_read_alloc_failures),
                cmocka_unit_test(test_writer_checks),
                cmocka_unit_test(test_large),
                cmocka_unit_test(test_gen_interval),
                cmocka_unit_test(test_gen_loss_independent),
                cmocka_unit_test(test_gen_loss_gilbert_elliott),
                cmocka_unit_test(test_gen_delay_quantiles),
                cmocka_unit_test(test_gen_delay_tail_and_cap),
                cmocka_unit_test(test_gen_stalls),
                cmocka_unit_test(test_gen_determinism),
                cmocka_unit_test(test_gen_crash),
                cmocka_unit_test(test_gen_reorder_and_end),
                cmocka_unit_test(test_sender_times),
                cmocka_unit_test(test_sender_times_errors),
                cmocka_unit_test(test_config_check),
                cmocka_unit_test(test_gen_failures),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
