/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the trace reader's input friction fixes (src/tools/
 * trace.h, hbt_read_with(), hbt_read_opt()): gzip files, the plain
 * layouts (CSV, TSV, whitespace; header or not; units with decimals;
 * seq re-basing; crash and end markers; the LIP6 reception log), the
 * shared options, and errors that name FILE:LINE:FIELD.
 *
 * Kept apart from test_trace.c (the v1 format, the writer and the
 * generator), which is long enough already; the v1 reader's own tests
 * there are unchanged and must keep passing as they are.
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "failalloc.h"
#include "tools/trace.h"
#include "tools/tracegen.h"
#include "tmpdir_test_util.h"

#define V1 "# hbeat-trace v1\n"
#define HDR "kind,peer,seq,send_ns,arrival_ns\n"
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
        (void)state;
        return tmpdir_make("hbeat-test-input");
}

static int teardown(void **state)
{
        (void)state;
        return tmpdir_remove();
}

static const char *tmp_path(const char *name)
{
        static char path[4][512];
        static unsigned k;

        k = (k + 1) % N_OF(path);
        snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
        return path[k];
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

/* `text` gzip-compressed with zlib's gzopen(); mode "wb" or "ab" (a new
 * gzip member after those already in the file). */
static const char *write_gz(const char *name, const char *text, size_t len,
                            const char *mode)
{
        const char *path = tmp_path(name);
        gzFile g = gzopen(path, mode);

        assert_non_null(g);
        assert_int_equal(gzwrite(g, text, (unsigned)len), (int)len);
        assert_int_equal(gzclose(g), Z_OK);
        return path;
}

/* Options as the command line gives them (NULL: not given). */
static hbt_read_opts_t mkopts(const char *layout, const char *unit,
                              const char *cols, const char *peer)
{
        hbt_read_opts_t o = { 0 };
        char err[256];

        if (layout)
                assert_int_equal(hbt_read_opt(&o, HBT_OPT_LAYOUT, layout, err,
                                              sizeof(err)),
                                 1);
        if (unit)
                assert_int_equal(hbt_read_opt(&o, HBT_OPT_TIME_UNIT, unit,
                                              err, sizeof(err)),
                                 1);
        if (cols)
                assert_int_equal(hbt_read_opt(&o, HBT_OPT_COLUMNS, cols, err,
                                              sizeof(err)),
                                 1);
        if (peer)
                assert_int_equal(hbt_read_opt(&o, HBT_OPT_PEER, peer, err,
                                              sizeof(err)),
                                 1);
        return o;
}

/* Read `text` (as file `name`), expecting success. */
static hbt_trace_t *read_text(const char *name, const char *text,
                              const hbt_read_opts_t *o)
{
        const char *path = write_tmp(name, text, strlen(text));
        hbt_trace_t *t = NULL;
        char err[512];
        int rc = hbt_read_with(&t, path, o, err, sizeof(err));

        if (rc != 0) {
                print_error("%s: rc %d, \"%s\"\n", name, rc, err);
                fail();
        }
        return t;
}

static void assert_rows(const hbt_trace_t *t, size_t n, const uint64_t *seq,
                        const uint64_t *send, const uint64_t *at)
{
        assert_int_equal(t->n, n);
        for (size_t i = 0; i < n; i++) {
                assert_true(t->arrivals[i].seq == seq[i]);
                assert_true(t->arrivals[i].send_ns == send[i]);
                assert_true(t->arrivals[i].send_ns == send[i]);
                assert_true(t->arrivals[i].arrival_ns == at[i]);
        }
}

/* ---- plain CSV ---------------------------------------------------------- */

static void test_plain_csv(void **state)
{
        static const uint64_t seq[] = { 1, 2, 4 }, send[] = { 100, 200, 400 },
                              at[] = { 1000, 1100, 1300 };
        hbt_trace_t *t;

        (void)state;
        /* seq,send,arrival from 0, no header: seqs become 1, 2, 4. */
        t = read_text("p1.csv", "0,100,1000\n1,200,1100\n3,400,1300\n", NULL);
        assert_int_equal(t->layout, HBT_LAYOUT_CSV);
        assert_rows(t, 3, seq, send, at);
        assert_string_equal(t->peer, "");
        assert_true(t->crash_ns == HB_NEVER);
        assert_int_equal(t->end_ns, 1300);
        assert_int_equal(t->interval_ns, 0);
        hbt_free(t);

        /* The same with a header row, metadata, blanks around fields. */
        t = read_text("p2.csv",
                      "# interval_ns=100\n"
                      "seq,send_ns,arrival_ns\n"
                      "0, 100 ,1000\n1,200,1100\n\n3,400,1300\n",
                      NULL);
        assert_rows(t, 3, seq, send, at);
        assert_int_equal(t->interval_ns, 100);
        hbt_free(t);

        /* Header names in other spellings, with units and decimals; a
         * byte order mark, CRLF, comments after blanks, quotes. */
        {
                static const uint64_t s2[] = { 1, 2 }, d2[] = { 100, 200 },
                                      a2[] = { 1500000, 1600000 };

                t = read_text("p3.csv",
                              "\xef\xbb\xbf"
                              "SeqNo, Sent-ms, Recv_MS\r\n"
                              "   # a comment\r\n"
                              "7, 0.0001, 1.5\r\n"
                              "\"8\",\"0.0002\",1.600\r\n",
                              NULL);
                assert_rows(t, 2, s2, d2, a2);
                hbt_free(t);
        }

        /* seq,arrival: no send time (0 = unknown); a large origin. */
        {
                static const uint64_t s2[] = { 1, 3 }, d2[] = { 0, 0 },
                                      a2[] = { 5, 6 };

                t = read_text("p4.csv",
                              "18446744073709551612,5\n"
                              "18446744073709551614,6\n",
                              NULL);
                assert_rows(t, 2, s2, d2, a2);
                hbt_free(t);
        }

        /* A decrease keeps its size: seq - min + 1 over the whole file
         * (a restart of the sender, or reordering, reads as in v1). */
        {
                static const uint64_t s4[] = { 8, 9, 1, 2 },
                                      d4[] = { 0, 0, 0, 0 },
                                      a4[] = { 1, 2, 3, 4 };

                t = read_text("p5.csv", "10,1\n11,2\n3,3\n4,4\n", NULL);
                assert_rows(t, 4, s4, d4, a4);
                hbt_free(t);
        }

        /* A send time of 0 would read as unknown to the detectors: all
         * known ones move up by 1 ns then (and only then). */
        {
                static const uint64_t s3[] = { 1, 2, 3 },
                                      d3[] = { 1, 0, 201 },
                                      a3[] = { 10, 20, 30 },
                                      d3b[] = { 5, 0, 200 };

                t = read_text("p8.csv", "0,0,10\n1,,20\n2,200,30\n", NULL);
                assert_rows(t, 3, s3, d3, a3);
                hbt_free(t);
                t = read_text("p9.csv", "0,5,10\n1,,20\n2,200,30\n", NULL);
                assert_rows(t, 3, s3, d3b, a3);
                hbt_free(t);
        }

        /* Columns in another order, by --columns; extra columns. */
        {
                hbt_read_opts_t o = mkopts(NULL, "us", "arrival=1,seq=3",
                                           NULL);
                static const uint64_t s2[] = { 1, 2 }, d2[] = { 0, 0 },
                                      a2[] = { 2500, 3000 };

                t = read_text("p6.csv", "2.5,x,41\n3,y,42\n", &o);
                assert_rows(t, 2, s2, d2, a2);
                hbt_free(t);
        }

        /* A v1 file that lost its version line: a plain CSV whose header
         * names kind, peer, seq, send_ns and arrival_ns. */
        {
                static const uint64_t s2[] = { 1, 2 }, d2[] = { 5, 6 },
                                      a2[] = { 10, 20 };

                t = read_text("p7.csv",
                              HDR "hb,n2,0,5,10\nhb,n2,1,6,20\n"
                                  "crash,n2,,,25\nhb,n2,2,7,26\n"
                                  "end,n2,,,30\n",
                              NULL);
                assert_rows(t, 2, s2, d2, a2);
                assert_string_equal(t->peer, "n2");
                assert_int_equal(t->crash_ns, 25);
                assert_int_equal(t->end_ns, 30);
                hbt_free(t);
        }
}

/* ---- whitespace, units -------------------------------------------------- */

static void test_plain_whitespace_units(void **state)
{
        hbt_read_opts_t s = mkopts(NULL, "s", NULL, NULL);
        hbt_read_opts_t ms = mkopts(NULL, "ms", NULL, NULL);
        hbt_read_opts_t ns = mkopts(NULL, "ns", NULL, NULL);
        hbt_read_opts_t tsv = mkopts("tsv", NULL, NULL, NULL);
        hbt_trace_t *t;

        (void)state;
        /* Epoch seconds with 9 decimals keep every ns; a 10th rounds
         * (halves up). Tabs and spaces, in runs. */
        t = read_text("w1.txt",
                      "# seq seconds\n"
                      "100\t1700000000.123456789\n"
                      "101  1700000000.223456789\n"
                      "103 \t 1700000000.4234567894\n"
                      "  104 1700000000.5234567895   \n"
                      "105 1700000001\n"
                      "106 1700000001.\n",
                      &s);
        assert_int_equal(t->layout, HBT_LAYOUT_WS);
        assert_int_equal(t->n, 6);
        assert_true(t->arrivals[0].arrival_ns == 1700000000123456789u);
        assert_true(t->arrivals[1].arrival_ns == 1700000000223456789u);
        assert_true(t->arrivals[2].arrival_ns == 1700000000423456789u);
        assert_true(t->arrivals[3].arrival_ns == 1700000000523456790u);
        assert_true(t->arrivals[4].arrival_ns == 1700000001000000000u);
        assert_true(t->arrivals[5].arrival_ns == 1700000001000000000u);
        assert_int_equal(t->arrivals[0].seq, 1);
        assert_int_equal(t->arrivals[2].seq, 4);
        hbt_free(t);

        t = read_text("w2.txt", "1 1.5\n2 2.0000015\n3 3.\n", &ms);
        assert_int_equal(t->arrivals[0].arrival_ns, 1500000);
        assert_int_equal(t->arrivals[1].arrival_ns, 2000002);
        assert_int_equal(t->arrivals[2].arrival_ns, 3000000);
        hbt_free(t);
        t = read_text("w2b.txt", "1 .25\n", &s);
        assert_int_equal(t->arrivals[0].arrival_ns, 250000000);
        hbt_free(t);

        /* ns given: a fraction rounds; a header's unit suffix counts
         * when --time-unit is not given, and --time-unit wins over it. */
        t = read_text("w3.txt", "1 7.5\n2 8.49\n", &ns);
        assert_int_equal(t->arrivals[0].arrival_ns, 8);
        assert_int_equal(t->arrivals[1].arrival_ns, 8);
        hbt_free(t);
        t = read_text("w4.txt", "seq arrival_us\n1 3.5\n", NULL);
        assert_int_equal(t->arrivals[0].arrival_ns, 3500);
        hbt_free(t);
        t = read_text("w5.txt", "seq arrival_us\n1 3.5\n", &ms);
        assert_int_equal(t->arrivals[0].arrival_ns, 3500000);
        hbt_free(t);

        /* TSV keeps empty fields: an unknown send time. */
        t = read_text("w6.tsv", "1\t\t100\n2\t7\t200\n", &tsv);
        assert_int_equal(t->layout, HBT_LAYOUT_TSV);
        assert_int_equal(t->arrivals[0].send_ns, 0);
        assert_int_equal(t->arrivals[1].send_ns, 7);
        hbt_free(t);

        /* '-' is an unknown send time where fields cannot be empty. */
        t = read_text("w7.txt", "1 - 100\n2 5 200\n", NULL);
        assert_int_equal(t->arrivals[0].send_ns, 0);
        assert_int_equal(t->arrivals[1].send_ns, 5);
        hbt_free(t);
}

/* ---- crash and end markers ---------------------------------------------- */

static void test_plain_markers(void **state)
{
        hbt_read_opts_t s = mkopts(NULL, "s", NULL, NULL);
        hbt_trace_t *t;

        (void)state;
        /* A full row: the word in the seq column, send empty; rows after
         * the crash are checked and dropped, as in v1. */
        t = read_text("m1.csv",
                      "1,10,100\n2,20,200\ncrash,,250\n3,30,260\nend,,300\n",
                      NULL);
        assert_int_equal(t->n, 2);
        assert_int_equal(t->crash_ns, 250);
        assert_int_equal(t->end_ns, 300);
        hbt_free(t);

        /* The short row: the word and the time. */
        t = read_text("m2.csv", "1,10,100\n2,20,200\ncrash,250\n", NULL);
        assert_int_equal(t->n, 2);
        assert_int_equal(t->crash_ns, 250);
        assert_int_equal(t->end_ns, 250);
        hbt_free(t);

        /* Blank-separated, '-' for the empty send, seconds. */
        t = read_text("m3.txt",
                      "seq send_s arrival_s\n1 0.1 1.0\n2 0.2 1.1\n"
                      "crash - 1.15\nend 2\n",
                      NULL);
        assert_int_equal(t->n, 2);
        assert_int_equal(t->crash_ns, 1150000000);
        assert_int_equal(t->end_ns, 2000000000);
        assert_int_equal(t->arrivals[1].send_ns, 200000000);
        hbt_free(t);

        t = read_text("m4.txt", "5 1.0\n6 1.1\ncrash 1.35\n", &s);
        assert_int_equal(t->n, 2);
        assert_int_equal(t->crash_ns, 1350000000);
        hbt_free(t);

        /* A kind column (type), with a peer column (node). */
        t = read_text("m5.csv",
                      "type,node,seq,arrival\nhb,a,4,1\nhb,a,5,2\n"
                      "crash,a,-,3\n",
                      NULL);
        assert_int_equal(t->n, 2);
        assert_int_equal(t->arrivals[1].seq, 2);
        assert_string_equal(t->peer, "a");
        assert_int_equal(t->crash_ns, 3);
        hbt_free(t);
}

/* ---- LIP6 reception logs ------------------------------------------------ */

static const char lip6[] =
        "7 0 10965460869347846 2439202704391108 14\n"
        "3 0 1001 2439202704391109 12\n"
        "7 1 10965460969347846 2439202804391108 14\n"
        "3 2 1201 2439202904391109 12\n"
        "7 2 10965461069347846 2439202904391110 14\n";

static void test_lip6(void **state)
{
        hbt_read_opts_t o = mkopts("lip6", NULL, NULL, "3");
        hbt_read_opts_t o2 = mkopts("lip6", NULL, NULL, NULL);
        hbt_read_opts_t o3 = mkopts("lip6", NULL, NULL, "9");
        static const uint64_t seq[] = { 1, 3 }, send[] = { 1001, 1201 },
                              at[] = { 2439202704391109u,
                                       2439202904391109u };
        const char *path = write_tmp("trace0.log", lip6, sizeof(lip6) - 1);
        hbt_trace_t *t = NULL;
        char err[512];

        (void)state;
        assert_int_equal(hbt_read_with(&t, path, &o, err, sizeof(err)), 0);
        assert_int_equal(t->layout, HBT_LAYOUT_LIP6);
        assert_string_equal(t->peer, "3");
        assert_rows(t, 2, seq, send, at);
        hbt_free(t);
        t = NULL;

        /* Several peers and no --trace-peer; a peer that is not there;
         * auto-detection suggests the layout. */
        assert_int_equal(hbt_read_with(&t, path, &o2, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "trace0.log:2:1: peer '3' differs from "
                                    "'7' named before (one peer per trace: "
                                    "pick one with --trace-peer)"));
        assert_int_equal(hbt_read_with(&t, path, &o3, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "trace0.log:5: no row of peer '9' "
                                    "(--trace-peer) in 5 rows"));
        assert_int_equal(hbt_read_with(&t, path, NULL, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "--trace-layout lip6"));
        assert_null(t);
}

/* ---- gzip --------------------------------------------------------------- */

static void test_gzip(void **state)
{
        static const char v1[] = V1 "# interval_ns=100\n# peer=n2\n" HDR
                                 "hb,n2,0,5,10\nhb,n2,2,6,20\nend,n2,,,30\n";
        static const char plain[] = "0,100\n1,200\n";
        hbt_trace_t *t = NULL;
        const char *path;
        char err[512], *gz, *cut;
        size_t len;

        (void)state;
        /* v1 through hbt_read(), and auto; seq 0 stays "unknown" there. */
        path = write_gz("v1.csv.gz", v1, sizeof(v1) - 1, "wb");
        assert_int_equal(hbt_read(&t, path, err, sizeof(err)), 0);
        assert_int_equal(t->layout, HBT_LAYOUT_V1);
        assert_int_equal(t->n, 2);
        assert_int_equal(t->arrivals[0].seq, 0);
        assert_int_equal(t->interval_ns, 100);
        assert_int_equal(t->end_ns, 30);
        hbt_free(t);
        t = NULL;
        assert_int_equal(hbt_read_with(&t, path, NULL, err, sizeof(err)), 0);
        assert_int_equal(t->layout, HBT_LAYOUT_V1);
        hbt_free(t);
        t = NULL;

        /* The magic decides, not the name. */
        path = write_gz("plain.txt", plain, sizeof(plain) - 1, "wb");
        assert_int_equal(hbt_read_with(&t, path, NULL, err, sizeof(err)), 0);
        assert_int_equal(t->n, 2);
        assert_int_equal(t->arrivals[1].arrival_ns, 200);
        hbt_free(t);
        t = NULL;

        /* Two gzip members (gzopen "ab"), split inside a line. */
        write_gz("two.gz", "1,10\n2,", 7, "wb");
        path = write_gz("two.gz", "20\n3,30\n", 8, "ab");
        assert_int_equal(hbt_read_with(&t, path, NULL, err, sizeof(err)), 0);
        assert_int_equal(t->n, 3);
        assert_int_equal(t->arrivals[1].arrival_ns, 20);
        hbt_free(t);
        t = NULL;

        /* stdin ("-"). */
        path = write_gz("stdin.gz", plain, sizeof(plain) - 1, "wb");
        assert_non_null(freopen(path, "rb", stdin));
        assert_int_equal(hbt_read_with(&t, "-", NULL, err, sizeof(err)), 0);
        assert_int_equal(t->n, 2);
        hbt_free(t);
        t = NULL;
        assert_non_null(freopen("/dev/null", "rb", stdin));

        /* Truncated, a bad checksum, something after the end. */
        gz = slurp(path, &len);
        path = write_tmp("cut.gz", gz, len / 2);
        assert_int_equal(hbt_read_with(&t, path, NULL, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "cut.gz: gzip data ends early"));
        cut = malloc(len + 3);
        assert_non_null(cut);
        memcpy(cut, gz, len);
        cut[len - 8] ^= 0x55;                   /* CRC-32 */
        path = write_tmp("crc.gz", cut, len);
        assert_int_equal(hbt_read_with(&t, path, NULL, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "crc.gz: corrupt gzip data ("));
        cut[len - 8] ^= 0x55;
        memcpy(cut + len, "xyz", 3);
        path = write_tmp("tail.gz", cut, len + 3);
        assert_int_equal(hbt_read_with(&t, path, NULL, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "tail.gz: data after the end of the "
                                    "gzip data"));
        assert_null(t);
        free(cut);
        free(gz);

        /* Other compressors' data is not text. */
        path = write_tmp("x.xz", "\xfd" "7zXZ\0\0\x04", 8);
        assert_int_equal(hbt_read_with(&t, path, NULL, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "x.xz:1: a NUL byte: not a text file"));
}

/* Bigger than a read block and than zlib's input block, both ways. */
static void test_gzip_large(void **state)
{
        const size_t n = 300000;
        char *text = malloc(n * 24), *p = text;
        hbt_trace_t *a = NULL, *b = NULL;
        const char *pa, *pb;
        char err[256];

        (void)state;
        assert_non_null(text);
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%zu,%zu\n", i + 5, 1000 * i + i % 7);
        pa = write_tmp("big.csv", text, (size_t)(p - text));
        pb = write_gz("big.csv.gz", text, (size_t)(p - text), "wb");
        assert_int_equal(hbt_read_with(&a, pa, NULL, err, sizeof(err)), 0);
        assert_int_equal(hbt_read_with(&b, pb, NULL, err, sizeof(err)), 0);
        assert_int_equal(a->n, n);
        assert_int_equal(b->n, n);
        assert_memory_equal(a->arrivals, b->arrivals,
                            n * sizeof(a->arrivals[0]));
        assert_int_equal(b->arrivals[n - 1].seq, n);
        assert_int_equal(b->arrivals[n - 1].arrival_ns,
                         1000 * (n - 1) + (n - 1) % 7);
        hbt_free(a);
        hbt_free(b);
        free(text);
}

/* ---- errors ------------------------------------------------------------- */

struct bad_case {
        const char *layout, *unit, *cols, *peer;
        const char *text;
        const char *where;             /* "LINE:FIELD" or "LINE" */
        const char *msg;               /* expected part of the message */
};

static const struct bad_case bad_cases[] = {
        { NULL, NULL, NULL, NULL, "1,2,3\n2,x,4\n", "2:2",
          "send 'x' is not a time (digits, and a '.' with decimals if "
          "needed)" },
        { NULL, NULL, NULL, NULL, "1,2,3\n2,3\n", "2:3",
          "2 fields, expected 3 (as the first row)" },
        { NULL, NULL, NULL, NULL, "1,2,3\n2,3,4,5\n", "2:4",
          "4 fields, expected 3" },
        { NULL, NULL, NULL, NULL, "seq,send_ns,arrival_ns\n1,2,3\n2,3\n",
          "3:3", "(as the header row)" },
        { NULL, NULL, NULL, NULL, "1,2,3,4\n", "1",
          "4 fields and no header row: without one a row is seq,arrival or "
          "seq,send,arrival; name the columns in a header row or with "
          "--columns" },
        { NULL, NULL, NULL, NULL, "1,2\n2,1\n", "2:2",
          "arrival '1' is before the previous row's (1 ns < 2 ns; rows must "
          "be in arrival order)" },
        { NULL, NULL, NULL, NULL, "seq arrival_ms\n1 2\n2 1.5\n", "3:2",
          "arrival_ms '1.5' is before the previous row's (1500000 ns < "
          "2000000 ns" },
        { NULL, NULL, NULL, NULL, "x1,2\n", "1",
          "the header row names no arrival column" },
        { NULL, NULL, NULL, NULL, "seq,arrival\n1.5,2\n", "2:1",
          "seq '1.5' is not an integer in 0..18446744073709551614" },
        { NULL, NULL, NULL, NULL, "seq,arrival\n18446744073709551615,2\n",
          "2:1", "seq '18446744073709551615' is not an integer" },
        { NULL, NULL, NULL, NULL, "Seq;Arrival\n-1,2\n", "1",
          "names no arrival column" },
        { NULL, NULL, NULL, NULL, "seq,arrival\n-1,2\n", "2:1",
          "seq '-1' is not an integer" },
        { NULL, NULL, NULL, NULL, "1 1700000000.5\n", "1:2",
          "arrival '1700000000.5' has decimals but no unit: give "
          "--time-unit s, ms, us or ns, or a header name ending in _s, _ms, "
          "_us or _ns" },
        { NULL, "s", NULL, NULL, "1 99999999999\n", "1:2",
          "arrival '99999999999' is out of range (at most "
          "18446744073709551614 ns)" },
        { NULL, "ns", NULL, NULL, "1 18446744073709551615\n", "1:2",
          "is out of range" },
        { NULL, "s", NULL, NULL, "1 1.2.3\n", "1:2", "is not a time" },
        { NULL, "s", NULL, NULL, "1 .\n", "1:2", "is not a time" },
        { NULL, NULL, NULL, NULL, "1 1e9\n", "1:2",
          "arrival '1e9' is not a time" },
        { NULL, NULL, NULL, NULL, "1,\n", "1:2",
          "arrival '' is not a time" },
        { NULL, NULL, NULL, NULL, "seq,seq_no,arrival\n", "1:2",
          "'seq_no' names a second seq column (field 1 is one)" },
        { NULL, NULL, NULL, NULL,
          "numseq,timestamp_start_send,timestamp_end_send\n0,1,2\n", "1",
          "sender timing, not arrivals (PlanetLab sentinterval: numseq,"
          "timestamp_start_send,timestamp_end_send): make an arrival trace "
          "of it with 'hbeat-sim trace --sender-times " },
        { NULL, NULL, NULL, NULL, "kind,seq,arrival\nbeat,1,2\n", "2:1",
          "kind 'beat' is not hb, crash or end" },
        { NULL, NULL, NULL, NULL, "1,2,3\ncrash,5,10\n", "2:2",
          "send must be empty or '-' on crash rows" },
        { NULL, NULL, NULL, NULL, "kind,seq,arrival\nend,4,10\n", "2:2",
          "seq must be empty or '-' on end rows" },
        { NULL, NULL, NULL, NULL, "1,2,3\nend,,10\n1,2,11\n", "3",
          "hb row after the end row (end is the last row)" },
        { NULL, NULL, NULL, NULL, "1,2\ncrash,5\ncrash,6\n", "3",
          "second crash row (at most one)" },
        { NULL, NULL, NULL, NULL, "1,\"2\"x\n", "1:2", "malformed CSV" },
        { NULL, NULL, NULL, NULL, "1,2\n3,\"4\n", "2",
          "unterminated quoted field" },
        { NULL, NULL, NULL, NULL, "", "1",
          "no rows (the file is empty, or holds only comments)" },
        { NULL, NULL, NULL, NULL, "# only\n\n", "2", "no rows" },
        { NULL, NULL, NULL, NULL, "peer,seq,arrival\na,1,2\nb,2,3\n", "3:1",
          "peer 'b' differs from 'a' named before" },
        { NULL, NULL, NULL, NULL, "# peer=a\nsite,seq,arrival\nb,2,3\n",
          "3:1", "site 'b' differs from 'a' named before" },
        { NULL, NULL, "seq=1,arrival=4", NULL, "1,2,3\n", "1",
          "the first row has 3 fields, but the arrival column is field 4 "
          "(--columns)" },
        { NULL, NULL, "seq=1,arrival=4", NULL, "a,b,c\n", "1",
          "the header row has 3 fields, but the arrival column is field 4" },
        { "lip6", NULL, NULL, NULL, "1 2 3\n", "1",
          "the first row has 3 fields, but the arrival column is field 4 "
          "(--trace-layout lip6)" },
        { NULL, NULL, NULL, "x", "1,2\n", "1",
          "--trace-peer needs a peer column" },
        { NULL, NULL, NULL, NULL, "# interval_ns=x\n1,2\n", "1",
          "interval_ns 'x' is not an integer" },
        { "tsv", NULL, NULL, NULL, "1\tx\t3\n", "1:2", "send 'x'" },
        { "csv", NULL, NULL, NULL, "1 2\n", "1",
          "the header row names no arrival column" },
        /* v1: explicit, or detected, and the options only plain takes. */
        { "v1", NULL, NULL, NULL, "1,2\n", "1",
          "first line must be '# hbeat-trace v1'" },
        { NULL, "s", NULL, NULL, V1 HDR, "1",
          "an hbeat-trace v1 file (one peer, times in ns): --time-unit, "
          "--columns and --trace-peer do not apply" },
        { NULL, NULL, NULL, "n2", V1 HDR, "1", "an hbeat-trace v1 file" },
        { NULL, NULL, NULL, NULL, "# hbeat-trace v2\n" HDR, "1",
          "first line is '# hbeat-trace v2', expected '# hbeat-trace v1'" },
};

static void test_plain_errors(void **state)
{
        (void)state;
        for (size_t i = 0; i < N_OF(bad_cases); i++) {
                const struct bad_case *c = &bad_cases[i];
                hbt_read_opts_t o = mkopts(c->layout, c->unit, c->cols,
                                           c->peer);
                const char *path = write_tmp("bad.txt", c->text,
                                             strlen(c->text));
                char err[512], prefix[600];
                hbt_trace_t *t = (hbt_trace_t *)&err; /* must stay as is */
                int rc = hbt_read_with(&t, path, &o, err, sizeof(err));

                snprintf(prefix, sizeof(prefix), "%s:%s: ", path, c->where);
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

/* ---- options ------------------------------------------------------------ */

static void test_read_opt(void **state)
{
        static const struct {
                int c;
                const char *arg, *msg;
        } bad[] = {
                { HBT_OPT_LAYOUT, "xml", "--trace-layout 'xml' is not auto, "
                                         "v1, csv, tsv, ws or lip6" },
                { HBT_OPT_TIME_UNIT, "h", "--time-unit 'h' is not s, ms, us "
                                          "or ns" },
                { HBT_OPT_COLUMNS, "arrival=0", "'arrival=0' is not NAME=N" },
                { HBT_OPT_COLUMNS, "arrival=65", "N a field number in "
                                                 "1..64" },
                { HBT_OPT_COLUMNS, "arrival=99999999999", "is not NAME=N" },
                { HBT_OPT_COLUMNS, "seq=1", "--columns 'seq=1': no arrival "
                                            "column (arrival=N)" },
                { HBT_OPT_COLUMNS, "seq=1,seq=2,arrival=3", "seq given "
                                                            "twice" },
                { HBT_OPT_COLUMNS, "seq=1,arrival=1", "seq and arrival are "
                                                      "both field 1" },
                { HBT_OPT_COLUMNS, "foo=1,arrival=2", "'foo=1' is not" },
                { HBT_OPT_COLUMNS, "arrival=2,", "'' is not NAME=N" },
                { HBT_OPT_COLUMNS, "", "is not NAME=N" },
                { HBT_OPT_PEER, "", "--trace-peer '': an empty name" },
        };
        hbt_read_opts_t o = { 0 }, before;
        char err[256];

        (void)state;
        assert_int_equal(hbt_read_opt(&o, HBT_OPT_LAYOUT, "lip6", err,
                                      sizeof(err)),
                         1);
        assert_int_equal(o.layout, HBT_LAYOUT_LIP6);
        assert_int_equal(hbt_read_opt(&o, HBT_OPT_TIME_UNIT, "us", err,
                                      sizeof(err)),
                         1);
        assert_int_equal(o.unit_ns, 1000);
        assert_int_equal(hbt_read_opt(&o, HBT_OPT_COLUMNS,
                                      "seq=2,send=3,arrival=4,peer=1,kind=64",
                                      err, sizeof(err)),
                         1);
        assert_int_equal(o.cols[HBT_COL_SEQ], 2);
        assert_int_equal(o.cols[HBT_COL_SEND], 3);
        assert_int_equal(o.cols[HBT_COL_ARRIVAL], 4);
        assert_int_equal(o.cols[HBT_COL_PEER], 1);
        assert_int_equal(o.cols[HBT_COL_KIND], 64);
        assert_int_equal(hbt_read_opt(&o, HBT_OPT_PEER, "n2", err,
                                      sizeof(err)),
                         1);
        assert_string_equal(o.peer, "n2");
        assert_int_equal(hbt_read_opt(&o, 'x', "1", err, sizeof(err)), 0);
        for (size_t i = 0; i < N_OF(bad); i++) {
                before = o;
                if (hbt_read_opt(&o, bad[i].c, bad[i].arg, err,
                                 sizeof(err)) != -EINVAL ||
                    !strstr(err, bad[i].msg)) {
                        print_error("case %zu: \"%s\", expected \"%s\"\n", i,
                                    err, bad[i].msg);
                        fail();
                }
                assert_memory_equal(&o, &before, sizeof(o));
        }

        /* The table entries a command adds to its getopt_long() table. */
        {
                static const struct option lopts[] = {
                        { "json", no_argument, NULL, 'j' },
                        HBT_READ_LONGOPTS,
                        { NULL, 0, NULL, 0 },
                };
                char *argv[] = { "eval", "--trace-layout=ws", "--time-unit",
                                 "ms", "--columns", "seq=1,arrival=3",
                                 "--trace-peer", "n9", "--json", "t.txt",
                                 NULL };
                hbt_read_opts_t g = { 0 };
                int c, json = 0;

                optind = 0;
                while ((c = getopt_long((int)N_OF(argv) - 1, argv, "", lopts,
                                        NULL)) != -1) {
                        if (c == 'j')
                                json = 1;
                        else
                                assert_int_equal(hbt_read_opt(&g, c, optarg,
                                                              err,
                                                              sizeof(err)),
                                                 1);
                }
                assert_int_equal(json, 1);
                assert_int_equal(g.layout, HBT_LAYOUT_WS);
                assert_int_equal(g.unit_ns, 1000000);
                assert_int_equal(g.cols[HBT_COL_ARRIVAL], 3);
                assert_string_equal(g.peer, "n9");
                assert_string_equal(argv[optind], "t.txt");
        }
}

/* ---- allocation failures, sender times ---------------------------------- */

/* Every allocation of the plain and gzip paths fails cleanly (ASan checks
 * the leaks), zlib's included (its hooks call calloc()). */
static void test_plain_alloc_failures(void **state)
{
        const char *paths[2];
        size_t cap = 5000 * 40 + 100, len;
        char *text = malloc(cap), *p = text;
        hbt_read_opts_t o = mkopts(NULL, "s", NULL, "n2");

        (void)state;
        assert_non_null(text);
        p += sprintf(p, "# interval_ns=100\n# a=b\npeer,seq,sent,recv\n");
        /* > 4096 rows: the arrays grow at least once. */
        for (int i = 0; i < 5000; i++)
                p += sprintf(p, "%s,%d,%d.5,%d.25\n", i % 3 ? "n2" : "n3", i,
                             i, i);
        len = (size_t)(p - text);
        paths[0] = write_tmp("fm.csv", text, len);
        paths[1] = write_gz("fm.csv.gz", text, len, "wb");
        for (size_t k = 0; k < 2; k++) {
                hbt_trace_t *t = NULL;
                char err[256];
                long n;
                int rc = -1;

                for (n = 0; n < 200; n++) {
                        failalloc_after(n);
                        rc = hbt_read_with(&t, paths[k], &o, err,
                                           sizeof(err));
                        failalloc_after(-1);
                        if (rc == 0)
                                break;
                        assert_int_equal(rc, -ENOMEM);
                        assert_null(t);
                }
                assert_int_equal(rc, 0);
                assert_true(n > (k ? 8 : 6));
                assert_int_equal(t->n, 3333);
                assert_int_equal(t->arrivals[0].seq, 1);
                assert_int_equal(t->arrivals[0].arrival_ns, 1250000000);
                assert_string_equal(t->peer, "n2");
                assert_int_equal(t->interval_ns, 100);
                hbt_free(t);
        }
        free(text);
}

/* `hbeat-sim trace --sender-times` reads the PlanetLab .gz files as they
 * are (the same byte source). */
static void test_sender_times_gzip(void **state)
{
        static const char text[] =
                "numseq,timestamp_start_send,timestamp_end_send\n"
                "0,165685192745625,165685192860639\n"
                "1,165685293025746,165685293095118\n";
        const char *path = write_gz("node5.csv.gz", text, sizeof(text) - 1,
                                    "wb");
        hbtg_sender_times_t st = { 0 };
        char err[256];
        FILE *f = fopen(path, "rb");

        (void)state;
        assert_non_null(f);
        assert_int_equal(hbtg_sender_times_read(&st, f, "n5", err,
                                                sizeof(err)),
                         0);
        fclose(f);
        assert_int_equal(st.n, 2);
        assert_int_equal(st.seq[0], 1);
        assert_int_equal(st.send_ns[1], 165685293025746 - 165685192745625);
        hbtg_sender_times_free(&st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_csv),
                cmocka_unit_test(test_plain_whitespace_units),
                cmocka_unit_test(test_plain_markers),
                cmocka_unit_test(test_lip6),
                cmocka_unit_test(test_gzip),
                cmocka_unit_test(test_gzip_large),
                cmocka_unit_test(test_plain_errors),
                cmocka_unit_test(test_read_opt),
                cmocka_unit_test(test_plain_alloc_failures),
                cmocka_unit_test(test_sender_times_gzip),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
