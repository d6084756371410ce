/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the Prometheus text writer (src/daemon/prom.c): HELP and
 * TYPE lines, label value and HELP escaping, numbers, histograms
 * (cumulative buckets, +Inf equal to _count, _sum), and the rules it
 * enforces: valid names, _total on counters only, no family twice, no
 * series twice, samples of the right kind after their family.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/prom.h"

/* The text written so far (owned by p). */
static const char *text(const hbd_prom_t *p)
{
        return p->buf != NULL ? p->buf : "";
}

static void test_counter_and_gauge(void **state)
{
        hbd_prom_t p;

        (void)state;
        hbd_prom_init(&p);
        hbd_prom_family(&p, "hbeat_x_total", "counter", "Things counted.");
        hbd_prom_u64(&p, NULL, 18446744073709551615ull);
        hbd_prom_family(&p, "hbeat_g", "gauge", "A gauge.");
        hbd_prom_double(&p, (const char *[]){ "a", "1", "b", "2", NULL },
                        0.1);
        hbd_prom_double(&p, (const char *[]){ "a", "2", NULL }, 25845760);
        hbd_prom_double(&p, (const char *[]){ "a", "3", NULL }, INFINITY);
        hbd_prom_double(&p, (const char *[]){ "a", "4", NULL }, -INFINITY);
        hbd_prom_double(&p, (const char *[]){ "a", "5", NULL }, NAN);
        hbd_prom_double(&p, (const char *[]){ "a", "6", NULL }, 1e300);
        assert_int_equal(p.errors, 0);
        assert_string_equal(text(&p),
                "# HELP hbeat_x_total Things counted.\n"
                "# TYPE hbeat_x_total counter\n"
                "hbeat_x_total 18446744073709551615\n"
                "# HELP hbeat_g A gauge.\n"
                "# TYPE hbeat_g gauge\n"
                "hbeat_g{a=\"1\",b=\"2\"} 0.1\n"
                "hbeat_g{a=\"2\"} 25845760\n"
                "hbeat_g{a=\"3\"} +Inf\n"
                "hbeat_g{a=\"4\"} -Inf\n"
                "hbeat_g{a=\"5\"} NaN\n"
                "hbeat_g{a=\"6\"} 1e+300\n");
        hbd_prom_free(&p);
}

static void test_escaping(void **state)
{
        hbd_prom_t p;
        size_t len;
        char *s;

        (void)state;
        hbd_prom_init(&p);
        hbd_prom_family(&p, "hbeat_e", "gauge",
                        "Back\\slash, \"quotes\" stay,\nnewline.");
        hbd_prom_u64(&p, (const char *[]){
                "peer", "a\\b\"c\nd", NULL }, 1);
        assert_int_equal(p.errors, 0);
        s = hbd_prom_take(&p, &len);
        assert_non_null(s);
        assert_string_equal(s,
                "# HELP hbeat_e Back\\\\slash, \"quotes\" stay,\\nnewline.\n"
                "# TYPE hbeat_e gauge\n"
                "hbeat_e{peer=\"a\\\\b\\\"c\\nd\"} 1\n");
        assert_int_equal(len, strlen(s));
        free(s);
        hbd_prom_free(&p);
}

static void test_histogram(void **state)
{
        static const double bounds[] = { 0.0001, 0.5, 1, 2 };
        hbd_prom_t p;
        hbd_hist_t h;

        (void)state;
        hbd_hist_init(&h, bounds, 4);
        hbd_hist_observe(&h, 0.00005);
        hbd_hist_observe(&h, 0.0001);   /* on the bound: in that bucket */
        hbd_hist_observe(&h, 0.75);
        hbd_hist_observe(&h, 0.75);
        hbd_hist_observe(&h, 3);        /* above every bound */
        assert_int_equal(h.count, 5);
        hbd_prom_init(&p);
        hbd_prom_family(&p, "hbeat_rtt_seconds", "histogram", "RTT.");
        hbd_prom_hist(&p, (const char *[]){ "peer", "n2", NULL }, &h);
        assert_int_equal(p.errors, 0);
        assert_string_equal(text(&p),
                "# HELP hbeat_rtt_seconds RTT.\n"
                "# TYPE hbeat_rtt_seconds histogram\n"
                "hbeat_rtt_seconds_bucket{peer=\"n2\",le=\"0.0001\"} 2\n"
                "hbeat_rtt_seconds_bucket{peer=\"n2\",le=\"0.5\"} 2\n"
                "hbeat_rtt_seconds_bucket{peer=\"n2\",le=\"1\"} 4\n"
                "hbeat_rtt_seconds_bucket{peer=\"n2\",le=\"2\"} 4\n"
                "hbeat_rtt_seconds_bucket{peer=\"n2\",le=\"+Inf\"} 5\n"
                "hbeat_rtt_seconds_sum{peer=\"n2\"} 4.50015\n"
                "hbeat_rtt_seconds_count{peer=\"n2\"} 5\n");
        hbd_prom_free(&p);

        /* Without labels; an empty one. */
        hbd_hist_init(&h, bounds, 1);
        hbd_prom_init(&p);
        hbd_prom_family(&p, "hbeat_f_seconds", "histogram", "F.");
        hbd_prom_hist(&p, NULL, &h);
        assert_string_equal(text(&p),
                "# HELP hbeat_f_seconds F.\n"
                "# TYPE hbeat_f_seconds histogram\n"
                "hbeat_f_seconds_bucket{le=\"0.0001\"} 0\n"
                "hbeat_f_seconds_bucket{le=\"+Inf\"} 0\n"
                "hbeat_f_seconds_sum 0\n"
                "hbeat_f_seconds_count 0\n");
        hbd_prom_free(&p);
}

/* Each rule broken: counted, nothing written for it. */
static void test_rules(void **state)
{
        static const double bounds[] = { 1 };
        hbd_prom_t p;
        hbd_hist_t h;
        size_t len;

        (void)state;
        hbd_hist_init(&h, bounds, 1);
        hbd_prom_init(&p);
        /* A sample before any family. */
        hbd_prom_u64(&p, NULL, 1);
        assert_int_equal(p.errors, 1);
        /* Bad names and types; counters need _total, others must not. */
        hbd_prom_family(&p, "9bad", "gauge", "x");
        hbd_prom_family(&p, "bad-name", "gauge", "x");
        hbd_prom_family(&p, "hbeat_c", "counter", "x");
        hbd_prom_family(&p, "hbeat_g_total", "gauge", "x");
        hbd_prom_family(&p, "hbeat_s", "summary", "x");
        assert_int_equal(p.errors, 6);
        hbd_prom_u64(&p, NULL, 1);      /* no family is open */
        assert_int_equal(p.errors, 7);
        assert_int_equal(p.len, 0);

        /* A series twice; a label named badly or "le". */
        hbd_prom_family(&p, "hbeat_g", "gauge", "G.");
        len = p.len;
        hbd_prom_u64(&p, (const char *[]){ "peer", "a", NULL }, 1);
        hbd_prom_u64(&p, (const char *[]){ "peer", "b", NULL }, 2);
        hbd_prom_u64(&p, (const char *[]){ "peer", "a", NULL }, 3);
        hbd_prom_u64(&p, (const char *[]){ "1x", "a", NULL }, 4);
        hbd_prom_u64(&p, (const char *[]){ "le", "1", NULL }, 5);
        assert_int_equal(p.errors, 10);
        assert_string_equal(p.buf + len,
                            "hbeat_g{peer=\"a\"} 1\nhbeat_g{peer=\"b\"} 2\n");
        /* A family twice (even after another one). */
        hbd_prom_family(&p, "hbeat_h", "histogram", "H.");
        hbd_prom_u64(&p, NULL, 1);      /* not a histogram sample */
        assert_int_equal(p.errors, 11);
        hbd_prom_hist(&p, NULL, &h);
        len = p.len;
        hbd_prom_hist(&p, NULL, &h);    /* the same series again */
        assert_int_equal(p.errors, 12);
        assert_int_equal(p.len, len);   /* no half histogram left */
        hbd_prom_family(&p, "hbeat_g", "gauge", "G again.");
        assert_int_equal(p.errors, 13);
        hbd_prom_u64(&p, (const char *[]){ "peer", "c", NULL }, 1);
        assert_int_equal(p.errors, 14); /* refused family: none open */
        /* A histogram sample in a gauge family. */
        hbd_prom_family(&p, "hbeat_g2", "gauge", "G2.");
        hbd_prom_hist(&p, NULL, &h);
        assert_int_equal(p.errors, 15);
        assert_false(p.oom);
        hbd_prom_free(&p);
}

/* Many series: the duplicate check's table grows and still finds them. */
static void test_many_series(void **state)
{
        char name[16];
        hbd_prom_t p;
        unsigned i;

        (void)state;
        hbd_prom_init(&p);
        hbd_prom_family(&p, "hbeat_many", "gauge", "M.");
        for (i = 0; i < 5000; i++) {
                snprintf(name, sizeof(name), "p%u", i);
                hbd_prom_u64(&p, (const char *[]){ "peer", name, NULL }, i);
        }
        assert_int_equal(p.errors, 0);
        for (i = 0; i < 5000; i += 7) {
                snprintf(name, sizeof(name), "p%u", i);
                hbd_prom_u64(&p, (const char *[]){ "peer", name, NULL }, i);
        }
        assert_int_equal(p.errors, (5000 + 6) / 7);
        assert_non_null(strstr(text(&p), "hbeat_many{peer=\"p4999\"} 4999\n"));
        hbd_prom_free(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counter_and_gauge),
                cmocka_unit_test(test_escaping),
                cmocka_unit_test(test_histogram),
                cmocka_unit_test(test_rules),
                cmocka_unit_test(test_many_series),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
