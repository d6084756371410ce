/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of hbeat-sim eval's plot (src/sim/eval_output.c): the
 * gnuplot script hbsim_eval_plot_script() writes for hand-made reports,
 * read as text. gnuplot itself is not run.
 *
 * What docs/detectors.md ("Trade-off curves") promises a reader: a
 * colour per detector kind whatever the order of --detector, shades for
 * further configurations of a kind, log axes chosen from the range with
 * zero rates on a line labelled 0, T_D tics in ms and s, the hbeat
 * default ringed, drawn last and inside the ranges.
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

#include "sim/eval.h"

#define MAX_DETS 4
#define MAX_PTS 8
#define ALIVE_S 7200.0                  /* a 2 h trace */

/* cmd_eval.c's, which the test does not link. */
int hbsim_eval_fail(int rc, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return rc;
}

/* One configuration as the test gives it: kind, label, its points (T_D
 * in ms, mistakes per hour) and its two as-given points. */
typedef struct det_spec {
        hb_detector_kind_t kind;
        const char *label;
        double pts[MAX_PTS][2];
        size_t n;
        double given[2][2];
} det_spec_t;

typedef struct fixture {
        hbsim_eval_det_t dets[MAX_DETS + 1];    /* + an own default */
        hbsim_eval_sweep_t sweeps[MAX_DETS];
        double values[MAX_DETS][MAX_PTS];
        hbsim_eval_point_t pts[MAX_DETS * MAX_PTS];
        hbsim_eval_report_t rep;
        char *script;
} fixture_t;

static hbt_qos_result_t result(double td_ms, double per_h)
{
        double mistakes = round(per_h * ALIVE_S / 3600.0);

        return (hbt_qos_result_t){
                .arrivals = 72000,
                .alive_s = ALIVE_S,
                .mistakes = (uint64_t)mistakes,
                .mistake_rate_per_s = mistakes / ALIVE_S,
                .mean_recurrence_s = NAN,
                .mean_mistake_s = NAN,
                .query_accuracy = 1,
                .detection_s = td_ms / 1e3,
        };
}

static void det_fill(hbsim_eval_det_t *d, const det_spec_t *s)
{
        d->kind = s->kind;
        d->suspect = hb_detector_default_suspect_threshold(s->kind);
        d->dead = hb_detector_default_dead_threshold(s->kind);
        snprintf(d->label, sizeof(d->label), "%s",
                 s->label ? s->label : hb_detector_kind_name(s->kind));
        for (int l = 0; l < 2; l++)
                d->res[l] = result(s->given[l][0], s->given[l][1]);
}

/* The report of `n` configurations; `dflt` (may be NULL) as the hbeat
 * default: one of them (its index) if `dflt_idx` >= 0, else an own one. */
static void build(fixture_t *fx, const det_spec_t *specs, size_t n,
                  const det_spec_t *dflt, int dflt_idx)
{
        static const hbsim_eval_param_t key = {
                "threshold", HBSIM_EVAL_KT_SUSPECT, NULL, 0, NULL,
        };
        size_t k = 0;

        memset(fx, 0, sizeof(*fx));
        assert_true(n <= MAX_DETS);
        for (size_t d = 0; d < n; d++) {
                det_fill(&fx->dets[d], &specs[d]);
                for (size_t i = 0; i < specs[d].n; i++) {
                        fx->values[d][i] = (double)i + 1;
                        fx->pts[k] = (hbsim_eval_point_t){
                                .det = d,
                                .value = (double)i + 1,
                                .thr = (double)i + 1,
                                .r = result(specs[d].pts[i][0],
                                            specs[d].pts[i][1]),
                        };
                        k++;
                }
                fx->sweeps[d] = (hbsim_eval_sweep_t){
                        key, fx->values[d], specs[d].n,
                };
        }
        fx->rep = (hbsim_eval_report_t){
                .trace_path = "dir/test.csv",
                .peer = "peer",
                .arrivals = 72000,
                .duration_s = ALIVE_S,
                .interval_ns = 100 * HB_NS_PER_MS,
                .crash = HBSIM_EVAL_CRASH_EACH,
                .dets = fx->dets,
                .n_dets = n,
                .sweeps = fx->sweeps,
                .pts = fx->pts,
                .n_pts = k,
        };
        if (dflt != NULL && dflt_idx >= 0) {
                fx->rep.dflt = &fx->dets[dflt_idx];
        } else if (dflt != NULL) {
                det_fill(&fx->dets[MAX_DETS], dflt);
                fx->rep.dflt = &fx->dets[MAX_DETS];
        }
}

/* The script for the fixture's report, in fx->script (freed by done()). */
static const char *script_log(fixture_t *fx, const char *title,
                              enum hbsim_eval_plot_log log)
{
        hbsim_eval_plot_opts_t po = { "out.svg", title, log };
        size_t len;
        FILE *f = open_memstream(&fx->script, &len);

        assert_non_null(f);
        hbsim_eval_plot_script(f, &fx->rep, &po);
        assert_int_equal(fclose(f), 0);
        return fx->script;
}

static const char *script(fixture_t *fx, const char *title)
{
        return script_log(fx, title, HBSIM_EVAL_LOG_AUTO);
}

static void done(fixture_t *fx)
{
        free(fx->script);
        fx->script = NULL;
}

/* The legend line of `title` ("keyentry ... title 'phi (...)'"): its
 * colour "#rrggbb" into rgb[8] and its dash type. */
static void legend_style(const char *s, const char *title, char rgb[8],
                         int *dt)
{
        char want[300];
        const char *t, *line, *c;

        snprintf(want, sizeof(want), "title '%s (", title);
        t = strstr(s, want);
        if (t == NULL)
                fail_msg("no legend entry for '%s'", title);
        for (line = t; line > s && line[-1] != '\n'; line--)
                ;
        assert_non_null(strstr(line, "keyentry with linespoints"));
        c = strstr(line, "lc rgb '#");
        assert_true(c != NULL && c < t);
        memcpy(rgb, c + 8, 7);
        rgb[7] = '\0';
        c = strstr(line, " dt ");
        assert_true(c != NULL && c < t);
        *dt = atoi(c + 4);
}

/* "set NAME [lo:hi]" */
static void range_of(const char *s, const char *name, double *lo, double *hi)
{
        char want[32];
        const char *r;

        snprintf(want, sizeof(want), "set %s [", name);
        r = strstr(s, want);
        assert_non_null(r);
        assert_int_equal(sscanf(r + strlen(want), "%lf:%lf", lo, hi), 2);
}

static const char *last_of(const char *s, const char *what)
{
        const char *last = NULL;

        for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
                last = p;
        return last;
}

/* ---- the tests --------------------------------------------------------- */

/* A WAN-like sweep per kind: T_D 100 ms .. 3 s, 2000 .. 0.5 per hour,
 * then none. */
#define CURVE(a)                                                              \
        .pts = { { 100 * (a), 2000 }, { 200 * (a), 300 }, { 500, 40 },     \
                 { 1000, 5 }, { 2000, 0.5 }, { 3000, 0 } },                  \
        .n = 6, .given = { { 600, 30 }, { 800, 15 } }

static void test_colour_by_kind_not_order(void **state)
{
        const det_spec_t a[] = {
                { HB_DETECTOR_PHI, NULL, CURVE(1) },
                { HB_DETECTOR_FIXED, NULL, CURVE(1.1) },
                { HB_DETECTOR_CHEN, NULL, CURVE(1.2) },
                { HB_DETECTOR_ADAPTIVE, NULL, CURVE(1.3) },
        };
        const det_spec_t b[] = { a[3], a[2], a[1], a[0] };
        const char *names[] = { "phi", "fixed", "chen", "adaptive" };
        char rgb_a[4][8], rgb_b[8];
        fixture_t fx;
        int dt;

        (void)state;
        build(&fx, a, 4, NULL, -1);
        script(&fx, NULL);
        for (int i = 0; i < 4; i++) {
                legend_style(fx.script, names[i], rgb_a[i], &dt);
                assert_int_equal(dt, 1);
                for (int j = 0; j < i; j++)
                        assert_string_not_equal(rgb_a[i], rgb_a[j]);
        }
        done(&fx);
        build(&fx, b, 4, NULL, -1);
        script(&fx, NULL);
        for (int i = 0; i < 4; i++) {
                legend_style(fx.script, names[i], rgb_b, &dt);
                assert_string_equal(rgb_b, rgb_a[i]);
        }
        done(&fx);
        /* Okabe-Ito blue for phi, black for fixed. */
        assert_string_equal(rgb_a[0], "#0072b2");
        assert_string_equal(rgb_a[1], "#000000");
}

static void test_second_of_a_kind_is_a_shade(void **state)
{
        const det_spec_t a[] = {
                { HB_DETECTOR_PHI, NULL, CURVE(1) },
                { HB_DETECTOR_PHI, "phi, pause 1 s", CURVE(1.1) },
                { HB_DETECTOR_FIXED, NULL, CURVE(1.2) },
        };
        char phi[8], phi2[8], fixed[8];
        int dt, dt2;
        fixture_t fx;

        (void)state;
        build(&fx, a, 3, NULL, -1);
        script(&fx, NULL);
        legend_style(fx.script, "phi", phi, &dt);
        legend_style(fx.script, "phi, pause 1 s", phi2, &dt2);
        legend_style(fx.script, "fixed", fixed, &dt);
        assert_string_equal(phi, "#0072b2");
        assert_string_not_equal(phi2, phi);
        assert_int_equal(dt, 1);
        assert_int_not_equal(dt2, 1);           /* dashed */
        assert_string_equal(fixed, "#000000");  /* its kind's, not phi's */
        done(&fx);
}

static void test_default_ringed_last_and_in_range(void **state)
{
        const det_spec_t a[] = {
                { HB_DETECTOR_FIXED, NULL, CURVE(1) },
                { HB_DETECTOR_CHEN, NULL, CURVE(1.1) },
        };
        /* Outside every sweep: T_D 9 s, rate 0.01 per hour below the
         * curves' lowest (its one mistake is in a trace 50 times longer,
         * as a --mark-default replay may be). */
        det_spec_t dflt = { HB_DETECTOR_PHI, NULL, .n = 0,
                            .given = { { 4500, 0 }, { 9000, 0 } } };
        double lo, hi;
        fixture_t fx;
        const char *s, *ring;

        (void)state;
        build(&fx, a, 2, &dflt, -1);
        fx.dets[MAX_DETS].res[0].mistakes = 1;
        fx.dets[MAX_DETS].res[0].mistake_rate_per_s = 0.01 / 3600;
        s = script(&fx, NULL);
        assert_non_null(strstr(s, "title 'hbeat default (phi, suspect 8, "
                                  "dead 50)'"));
        assert_non_null(strstr(s, "$dflt << EOD\n4500 0.01 5\n"));
        ring = strstr(s, "$dflt with points pt 6");
        assert_non_null(ring);
        /* Drawn after every curve, zero point and marker. */
        assert_true(ring > last_of(s, "$c"));
        assert_true(ring > last_of(s, "$z"));
        assert_true(ring > last_of(s, "$b"));
        range_of(s, "xrange", &lo, &hi);
        assert_true(lo <= 100 && hi >= 9000);
        range_of(s, "yrange", &lo, &hi);
        assert_true(lo < 0.01 && hi >= 2000);
        done(&fx);

        /* One of the configurations: ringed too, its label unchanged. */
        build(&fx, (det_spec_t[]){ a[0], { HB_DETECTOR_PHI, NULL,
                                           CURVE(1.2) } },
              2, &a[0], 1);
        s = script(&fx, NULL);
        assert_non_null(strstr(s, "title 'hbeat default (phi, suspect 8, "
                                  "dead 50)'"));
        assert_non_null(strstr(s, "$dflt << EOD\n600 30 5\n800 15 9\n"));
        assert_non_null(strstr(s, "title 'phi (threshold 1..6)'"));
        done(&fx);

        /* None: no ring, no legend entry. */
        build(&fx, a, 2, NULL, -1);
        s = script(&fx, NULL);
        assert_null(strstr(s, "hbeat default"));
        assert_null(strstr(s, "$dflt"));
        done(&fx);
}

static void test_log_axes_zero_line_and_units(void **state)
{
        const det_spec_t a[] = { { HB_DETECTOR_PHI, NULL, CURVE(1) } };
        double zero = NAN, y;
        fixture_t fx;
        const char *s, *t;

        (void)state;
        build(&fx, a, 1, NULL, -1);
        s = script(&fx, NULL);
        /* T_D 100 .. 3000 ms (x30), rates 0.5 .. 2000 (x4000): both log. */
        assert_non_null(strstr(s, "set logscale x\n"));
        assert_non_null(strstr(s, "set logscale y\n"));
        assert_non_null(strstr(s, "'100 ms' 100,"));
        assert_non_null(strstr(s, "'1 s' 1000,"));
        assert_non_null(strstr(s, "'2 s' 2000,"));
        assert_non_null(strstr(s, "'1000' 1000,"));
        assert_null(strstr(s, "e+"));           /* no 1e+06 anywhere */
        /* The zero rate: on a line labelled 0, below the lowest decade
         * that has a rate (0.1 for 0.5 per hour). */
        t = strstr(s, "set ytics ('0' ");
        assert_non_null(t);
        assert_int_equal(sscanf(t + strlen("set ytics ('0' "), "%lf", &zero),
                         1);
        assert_true(zero > 0 && zero < 0.1);
        t = strstr(s, "$z0 << EOD\n3000 ");
        assert_non_null(t);
        assert_int_equal(sscanf(t + strlen("$z0 << EOD\n3000 "), "%lf", &y),
                         1);
        assert_true(fabs(y - zero) <= 1e-5 * zero);     /* %.6g */
        assert_non_null(strstr(s, "'0.1' 0.1,"));
        assert_non_null(strstr(s, "open: no mistake in the 2.0 h trace"));
        done(&fx);
}

static void test_linear_axes_in_units(void **state)
{
        const det_spec_t a[] = {
                { HB_DETECTOR_PHI, NULL,
                  .pts = { { 300, 40 }, { 1200, 20 }, { 2400, 10 } },
                  .n = 3, .given = { { 600, 30 }, { 800, 25 } } },
        };
        fixture_t fx;
        const char *s;

        (void)state;
        build(&fx, a, 1, NULL, -1);
        s = script(&fx, NULL);
        /* x8 and x4: linear, from 0. */
        assert_null(strstr(s, "logscale"));
        assert_non_null(strstr(s, "set xtics ('0' 0, "));
        assert_non_null(strstr(s, "'500 ms' 500,"));
        assert_non_null(strstr(s, "'1.5 s' 1500,"));
        assert_non_null(strstr(s, "set ytics 0, "));
        assert_null(strstr(s, "no mistake"));
        done(&fx);
        /* --plot-log overrides the ranges. */
        s = script_log(&fx, NULL, HBSIM_EVAL_LOG_BOTH);
        assert_non_null(strstr(s, "set logscale x\n"));
        assert_non_null(strstr(s, "set logscale y\n"));
        done(&fx);
        build(&fx, (det_spec_t[]){ { HB_DETECTOR_PHI, NULL, CURVE(1) } }, 1,
              NULL, -1);
        s = script_log(&fx, NULL, HBSIM_EVAL_LOG_RATE);
        assert_null(strstr(s, "set logscale x"));
        assert_non_null(strstr(s, "set logscale y\n"));
        done(&fx);
}

static void test_long_title_wraps(void **state)
{
        const det_spec_t a[] = { { HB_DETECTOR_PHI, NULL, CURVE(1) } };
        char title[260];
        fixture_t fx;
        const char *s;

        (void)state;
        memset(title, 'x', sizeof(title) - 1);
        title[sizeof(title) - 1] = '\0';
        for (size_t i = 9; i < sizeof(title) - 1; i += 10)
                title[i] = ' ';
        build(&fx, a, 1, NULL, -1);
        s = script(&fx, title);
        /* Three lines of at most 100 characters. */
        assert_non_null(strstr(s, "set title 'xxxxxxxxx "));
        assert_non_null(strstr(s, "xxxxxxxxx' . \"\\n\" . 'xxxxxxxxx "));
        assert_null(strstr(s, "xxxxxxxxx ' . \"\\n\""));
        done(&fx);
        /* The default title names the trace file, not its directory. */
        s = script(&fx, NULL);
        assert_non_null(strstr(s, "set title 'test.csv: 2.0 h, 72000 "
                                  "heartbeats at 100 ms' noenhanced"));
        done(&fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_colour_by_kind_not_order),
                cmocka_unit_test(test_second_of_a_kind_is_a_shade),
                cmocka_unit_test(test_default_ringed_last_and_in_range),
                cmocka_unit_test(test_log_axes_zero_line_and_units),
                cmocka_unit_test(test_linear_axes_in_units),
                cmocka_unit_test(test_long_title_wraps),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
