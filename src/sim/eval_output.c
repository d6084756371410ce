/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim eval, output: what the command found (hbsim_eval_report_t,
 * eval.h), written as
 *
 *   text    the table on stdout: per configuration its suspect and dead
 *           level, then each sweep; "-" for an undefined metric, "never"
 *           for an infinite T_D.
 *   JSON    on stdout (--json), built with jansson. JSON has no NaN or
 *           infinity: undefined and infinite metrics are null. Reals have
 *           17 significant digits (they read back exactly); whole numbers
 *           are written as integers (8, not 8.0), as this output always
 *           has, so readers may take a count or a swept window as an int.
 *   CSV     the sweep points (--csv), one row per point; empty for an
 *           undefined metric, "inf" for an infinite one.
 *   plot    the sweep as an SVG (--plot): a gnuplot script, fed to
 *           gnuplot on its stdin; T_D against mistakes per hour on a log
 *           scale, zero rates on a floor line below the lowest rate the
 *           trace could show.
 *
 * Called only by cmd_eval.c, once per run, after every evaluation.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>

#include "sim/eval.h"

extern char **environ;

#define HEARTBEAT_BYTES 56.0            /* docs/wire-format.md */

static double per_hour(const hbt_qos_result_t *r)
{
        return r->mistake_rate_per_s * 3600.0;
}

static double bytes_per_s(const hbsim_eval_det_t *d)
{
        return HEARTBEAT_BYTES * 1e9 / (double)d->cfg.interval_ns;
}

/* ---- text -------------------------------------------------------------- */

/* Table cell: "-" for NAN (undefined), "never" for INFINITY; `prec`
 * decimals, or 4 significant digits if prec < 0. */
static const char *cell(char *buf, size_t len, double v, int prec)
{
        if (isnan(v))
                return "-";
        if (isinf(v))
                return "never";
        if (prec < 0)
                snprintf(buf, len, "%.4g", v);
        else
                snprintf(buf, len, "%.*f", prec, v);
        return buf;
}

static void table_row(const char *level, double thr,
                      const hbt_qos_result_t *r)
{
        char b[6][32];

        printf("  %-8s %-9g %9s %9" PRIu64 " %12s %11s %9s %13.9f\n", level,
               thr, cell(b[0], 32, r->detection_s * 1e3, 2),
               r->mistakes, cell(b[1], 32, per_hour(r), -1),
               cell(b[2], 32, r->mean_recurrence_s, 1),
               cell(b[3], 32, r->mean_mistake_s * 1e3, 2),
               r->query_accuracy);
}

void hbsim_eval_print_text(const hbsim_eval_report_t *rep)
{
        static const char *const crash_text[] = {
                [HBSIM_EVAL_CRASH_TRACE] = "crash row in the trace",
                [HBSIM_EVAL_CRASH_LAST] = "no crash row: T_D from a virtual "
                                          "crash at the last arrival",
                [HBSIM_EVAL_CRASH_NONE] = "no crash: T_D not computed",
                [HBSIM_EVAL_CRASH_AT] = "virtual crash (--crash-at)",
                [HBSIM_EVAL_CRASH_EACH] = "no crash row: T_D is the mean "
                                          "over virtual crashes after each "
                                          "arrival",
        };
        const hbsim_eval_sweep_t *sw = rep->sweeps;

        printf("trace %s: peer %s, %zu arrivals over %.1f s, interval "
               "%g ms; %s\n",
               rep->trace_path, rep->peer[0] ? rep->peer : "?",
               rep->arrivals, rep->duration_s,
               (double)rep->interval_ns / 1e6, crash_text[rep->crash]);
        for (size_t d = 0; d < rep->n_dets; d++) {
                const hbsim_eval_det_t *dt = &rep->dets[d];

                printf("\n%s%s%s%s  (%.0f B/s per monitored peer)\n",
                       dt->label, dt->label_opt ? " [" : "",
                       dt->label_opt ? hb_detector_kind_name(dt->kind) : "",
                       dt->label_opt ? "]" : "", bytes_per_s(dt));
                printf("  %-8s %-9s %9s %9s %12s %11s %9s %13s\n", "level",
                       "threshold", "T_D ms", "mistakes", "mistakes/h",
                       "T_MR s", "T_M ms", "P_A");
                table_row("suspect", dt->suspect, &dt->res[0]);
                table_row("dead", dt->dead, &dt->res[1]);
        }
        for (size_t d = 0; sw != NULL && d < rep->n_dets; d++) {
                printf("\nsweep of %s for %s:\n", sw[d].key.name,
                       rep->dets[d].label);
                printf("  %-8s %-9s %9s %9s %12s %11s %9s %13s\n", "", "value",
                       "T_D ms", "mistakes", "mistakes/h", "T_MR s", "T_M ms",
                       "P_A");
                for (size_t i = 0; i < rep->n_pts; i++)
                        if (rep->pts[i].det == d)
                                table_row("", rep->pts[i].value,
                                          &rep->pts[i].r);
        }
}

/* ---- JSON -------------------------------------------------------------- */

/* While building: the first failure's jansson error code. Later failures
 * are mostly its echo (a NULL part makes the whole fail). */
typedef struct jbuild {
        bool failed;
        enum json_error_code code;
} jbuild_t;

static json_t *pack(jbuild_t *jb, const char *fmt, ...)
{
        json_error_t err;
        json_t *v;
        va_list ap;

        va_start(ap, fmt);
        /* Every "o" value is stolen, also when this fails. */
        v = json_vpack_ex(&err, 0, fmt, ap);
        va_end(ap);
        if (v == NULL && !jb->failed) {
                jb->failed = true;
                jb->code = json_error_code(&err);
        }
        return v;
}

/* Append to an array; out of memory is the only failure. */
static void append(jbuild_t *jb, json_t *array, json_t *v)
{
        if (json_array_append_new(array, v) < 0 && !jb->failed) {
                jb->failed = true;
                jb->code = json_error_out_of_memory;
        }
}

/* A number: null for NAN and INFINITY, an integer when whole and exact
 * in a double (|v| <= 2^53), else a real. NULL if out of memory. */
static json_t *jnum(double v)
{
        if (!isfinite(v))
                return json_null();
        if (v == trunc(v) && fabs(v) <= 9007199254740992.0)
                return json_integer((json_int_t)v);
        return json_real(v);
}

static json_t *jmetrics(jbuild_t *jb, double thr, const hbt_qos_result_t *r)
{
        return pack(jb, "{s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:I}",
                    "threshold", jnum(thr),
                    "T_D_ms", jnum(r->detection_s * 1e3),
                    "mistakes", (json_int_t)r->mistakes,
                    "mistakes_per_hour", jnum(per_hour(r)),
                    "T_MR_s", jnum(r->mean_recurrence_s),
                    "T_M_ms", jnum(r->mean_mistake_s * 1e3),
                    "P_A", jnum(r->query_accuracy),
                    "alive_s", jnum(r->alive_s),
                    "arrivals", (json_int_t)r->arrivals);
}

static json_t *json_report(jbuild_t *jb, const hbsim_eval_report_t *rep)
{
        static const char *const crash_name[] = {
                [HBSIM_EVAL_CRASH_TRACE] = "trace",
                [HBSIM_EVAL_CRASH_LAST] = "last",
                [HBSIM_EVAL_CRASH_NONE] = "none",
                [HBSIM_EVAL_CRASH_AT] = "at",
                [HBSIM_EVAL_CRASH_EACH] = "each",
        };
        json_t *root, *confs = json_array(), *sweep = NULL;

        for (size_t d = 0; confs != NULL && d < rep->n_dets; d++) {
                const hbsim_eval_det_t *dt = &rep->dets[d];

                append(jb, confs,
                       pack(jb, "{s:s, s:s, s:o, s:o, s:o}",
                            "detector", hb_detector_kind_name(dt->kind),
                            "label", dt->label,
                            "bytes_per_s", jnum(bytes_per_s(dt)),
                            "suspect", jmetrics(jb, dt->suspect, &dt->res[0]),
                            "dead", jmetrics(jb, dt->dead, &dt->res[1])));
        }
        if (rep->sweeps != NULL)
                sweep = json_array();
        for (size_t i = 0; sweep != NULL && i < rep->n_pts; i++) {
                const hbsim_eval_point_t *p = &rep->pts[i];

                append(jb, sweep,
                       pack(jb, "{s:s, s:s, s:o, s:o}",
                            "detector", rep->dets[p->det].label,
                            "param", rep->sweeps[p->det].key.name,
                            "value", jnum(p->value),
                            "metrics", jmetrics(jb, p->thr, &p->r)));
        }
        root = pack(jb, "{s:{s:s, s:s, s:I, s:o, s:o, s:s}, s:o}",
                    "trace",
                    "path", rep->trace_path,
                    "peer", rep->peer,
                    "arrivals", (json_int_t)rep->arrivals,
                    "duration_s", jnum(rep->duration_s),
                    "interval_ms", jnum((double)rep->interval_ns / 1e6),
                    "crash", crash_name[rep->crash],
                    "configurations", confs);
        if (root == NULL || rep->sweeps == NULL)
                json_decref(sweep);
        else if (json_object_set_new(root, "sweep", sweep) < 0)
                jb->failed = true;      /* sweep is NULL: out of memory */
        if (jb->failed || root == NULL) {
                json_decref(root);
                return NULL;
        }
        return root;
}

int hbsim_eval_print_json(const hbsim_eval_report_t *rep)
{
        jbuild_t jb = { .failed = false, .code = json_error_out_of_memory };
        json_t *root = json_report(&jb, rep);
        int bad;

        if (root == NULL) {
                /* Labels, the path and the peer name are taken as they
                 * come (argv, the trace file); JSON text is UTF-8. */
                if (jb.code == json_error_invalid_utf8)
                        return hbsim_eval_fail(2, "--json: a label, the "
                                                  "trace path or the peer "
                                                  "name is not UTF-8");
                return hbsim_eval_fail(1, "out of memory");
        }
        bad = json_dumpf(root, stdout,
                         JSON_INDENT(2) | JSON_REAL_PRECISION(17)) < 0 ||
              fputc('\n', stdout) == EOF;
        json_decref(root);
        return bad ? hbsim_eval_fail(1, "error writing standard output") : 0;
}

/* ---- CSV --------------------------------------------------------------- */

/* CSV number: empty for NAN, "inf" for INFINITY. */
static void csv_num(FILE *f, double v)
{
        if (isnan(v))
                return;
        if (isinf(v))
                fputs(v > 0 ? "inf" : "-inf", f);
        else
                fprintf(f, "%.10g", v);
}

int hbsim_eval_write_csv(const hbsim_eval_report_t *rep, const char *path)
{
        FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
        int bad;

        if (f == NULL)
                return hbsim_eval_fail(1, "cannot write %s: %s", path,
                                       strerror(errno));
        fputs("detector,param,value,T_D_ms,mistakes_per_hour,T_MR_s,T_M_ms,"
              "P_A\n",
              f);
        for (size_t i = 0; i < rep->n_pts; i++) {
                const hbt_qos_result_t *r = &rep->pts[i].r;
                const char *label = rep->dets[rep->pts[i].det].label;

                csv_fwrite(f, label, strlen(label));
                fprintf(f, ",%s,%.10g,", rep->sweeps[rep->pts[i].det].key.name,
                        rep->pts[i].value);
                csv_num(f, r->detection_s * 1e3);
                fputc(',', f);
                csv_num(f, per_hour(r));
                fputc(',', f);
                csv_num(f, r->mean_recurrence_s);
                fputc(',', f);
                csv_num(f, r->mean_mistake_s * 1e3);
                fputc(',', f);
                csv_num(f, r->query_accuracy);
                fputc('\n', f);
        }
        bad = ferror(f);
        if (f == stdout)
                bad |= fflush(f) != 0;
        else
                bad |= fclose(f) != 0;
        return bad ? hbsim_eval_fail(1, "error writing %s", path) : 0;
}

/* ---- plot -------------------------------------------------------------- */

typedef struct plot_in {
        const hbsim_eval_report_t *rep;
        const char *path, *title, *xlabel;
        double hours;                   /* observed alive time */
} plot_in_t;

/* A gnuplot single-quoted string: ' is doubled, nothing else special. */
static void gp_str(FILE *f, const char *s)
{
        fputc('\'', f);
        for (; *s; s++) {
                if (*s == '\'')
                        fputc('\'', f);
                if (*s != '\n')
                        fputc(*s, f);
        }
        fputc('\'', f);
}

/* Whether a point can be drawn: a finite T_D. Zero rates go on the floor
 * line (log scale). */
static bool drawable(const hbt_qos_result_t *r)
{
        return isfinite(r->detection_s);
}

/* The y of a point: its rate, or the floor line for a zero rate. */
static double plot_y(const hbt_qos_result_t *r, double floor_y)
{
        return r->mistakes ? per_hour(r) : floor_y;
}

/*
 * Data block "$<name><d>" of detector d: the sweep points with mistakes
 * (kind 'c', the curve), without (kind 'z', drawn on the floor line), or
 * the configuration as given at its two thresholds (kind 'b', with the
 * point type: 5 square = suspect, 9 triangle = dead). Returns the number
 * of rows; an empty block is not plotted (gnuplot warns about it).
 */
static size_t gp_block(FILE *f, const plot_in_t *in, char kind, size_t d,
                       double floor_y)
{
        const hbsim_eval_report_t *rep = in->rep;
        size_t rows = 0;

        fprintf(f, "$%c%zu << EOD\n", kind, d);
        if (kind == 'b') {
                for (int l = 0; l < 2; l++) {
                        const hbt_qos_result_t *r = &rep->dets[d].res[l];

                        if (!drawable(r))
                                continue;
                        fprintf(f, "%.6g %.6g %d\n", r->detection_s * 1e3,
                                plot_y(r, floor_y), l ? 9 : 5);
                        rows++;
                }
        }
        for (size_t i = 0; kind != 'b' && i < rep->n_pts; i++) {
                const hbt_qos_result_t *r = &rep->pts[i].r;

                if (rep->pts[i].det != d || !drawable(r) ||
                    (kind == 'c') != (r->mistakes > 0))
                        continue;
                fprintf(f, "%.6g %.6g\n", r->detection_s * 1e3,
                        plot_y(r, floor_y));
                rows++;
        }
        fputs("EOD\n", f);
        return rows;
}

static void write_plot_script(FILE *f, const plot_in_t *in)
{
        static const char *const style[3] = {
                "with linespoints lw 2 pt 7 ps 0.6",
                "with points pt 6 ps 0.9",
                "using 1:2:3 with points pt variable ps 1.6",
        };
        static const char kinds[3] = { 'c', 'z', 'b' };
        const hbsim_eval_report_t *rep = in->rep;
        double floor_y = 0.5 / (in->hours > 0 ? in->hours : 1.0);
        size_t rows[HBSIM_EVAL_MAX_DETECTORS][3];
        const char *sep = "plot ";

        fputs("set terminal svg size 960,620 dynamic enhanced "
              "font 'sans,13' background rgb 'white'\n"
              "set encoding utf8\nset output ",
              f);
        gp_str(f, in->path);
        fputs("\nset title ", f);
        gp_str(f, in->title);
        fputs(" noenhanced\nset xlabel ", f);
        gp_str(f, in->xlabel);
        fputs("\nset ylabel 'mistake rate λ_M (false suspicions per hour)'\n"
              "set logscale y\nset format y '10^{%T}'\n"
              "set grid xtics ytics\n"
              "set key inside top right box opaque spacing 1.2 "
              "noenhanced\n"
              "set bmargin 6\n",
              f);
        fprintf(f,
                "set arrow from graph 0, first %.6g to graph 1, first %.6g "
                "nohead dashtype 2 lc rgb 'gray50'\n"
                "set label 'open circles on this line: no mistake in the "
                "%.1f h trace' at graph 0.01, first %.6g font ',10' "
                "tc rgb 'gray30' noenhanced\n"
                "set label 'large markers: the configuration as given, at "
                "its suspect (square) and dead (triangle) threshold' at "
                "screen 0.01, screen 0.03 font ',10' tc rgb 'gray30' "
                "noenhanced\n"
                "set yrange [%.6g:*]\n",
                floor_y, floor_y, in->hours, floor_y * 1.6, floor_y / 2);
        for (size_t d = 0; d < rep->n_dets; d++)
                for (int k = 0; k < 3; k++)
                        rows[d][k] = gp_block(f, in, kinds[k], d, floor_y);
        for (size_t d = 0; d < rep->n_dets; d++) {
                const hbsim_eval_sweep_t *sw = &rep->sweeps[d];
                char title[320];

                snprintf(title, sizeof(title), "%s (%s %g..%g)",
                         rep->dets[d].label, sw->key.name, sw->values[0],
                         sw->values[sw->n - 1]);
                for (int k = 0; k < 3; k++) {
                        if (rows[d][k] == 0)
                                continue;
                        fprintf(f, "%s$%c%zu %s lc %zu ", sep, kinds[k], d,
                                style[k], d + 1);
                        /* One legend entry per detector, on its first
                         * non-empty block. */
                        if (k == 0 || (k == 1 && rows[d][0] == 0) ||
                            (k == 2 && rows[d][0] + rows[d][1] == 0)) {
                                fputs("title ", f);
                                gp_str(f, title);
                        } else {
                                fputs("notitle", f);
                        }
                        sep = ", \\\n     ";
                }
        }
        fputs("\n", f);
}

/* Run gnuplot with the script on its stdin. 0, or -1 with a message. */
static int run_gnuplot(const plot_in_t *in)
{
        char *argv[] = { "gnuplot", NULL };
        posix_spawn_file_actions_t fa;
        int fds[2], status, rc = 0;
        size_t i;
        pid_t pid;
        FILE *f;
        void (*old)(int);

        for (i = 0; i < in->rep->n_pts && !drawable(&in->rep->pts[i].r); i++)
                ;
        if (i == in->rep->n_pts)
                return -hbsim_eval_fail(1, "nothing to plot: no sweep "
                                           "point has a finite T_D");
        if (pipe(fds) < 0) {
                perror(HBSIM_EVAL_PROG ": pipe");
                return -1;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        posix_spawn_file_actions_addclose(&fa, fds[1]);
        rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[0]);
        if (rc != 0) {
                close(fds[1]);
                return -hbsim_eval_fail(1, "cannot run gnuplot: %s "
                                           "(install gnuplot-nox)",
                                        strerror(rc));
        }
        /* If gnuplot dies early, report its status rather than being
         * killed by SIGPIPE. */
        old = signal(SIGPIPE, SIG_IGN);
        f = fdopen(fds[1], "w");
        if (f == NULL) {
                close(fds[1]);
                rc = -1;
        } else {
                write_plot_script(f, in);
                if (fclose(f) != 0)
                        rc = -1;
        }
        signal(SIGPIPE, old);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        perror(HBSIM_EVAL_PROG ": waitpid");
                        return -1;
                }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || rc < 0)
                return -hbsim_eval_fail(1, "gnuplot failed writing %s",
                                        in->path);
        return 0;
}

int hbsim_eval_plot(const hbsim_eval_report_t *rep, const char *path,
                    const char *title)
{
        static const char *const xlabel[] = {
                [HBSIM_EVAL_CRASH_TRACE] = "detection time T_D (ms): crash "
                                           "to suspicion",
                [HBSIM_EVAL_CRASH_AT] = "detection time T_D (ms): crash to "
                                        "suspicion",
                [HBSIM_EVAL_CRASH_LAST] = "detection time T_D (ms): last "
                                          "heartbeat to suspicion",
                [HBSIM_EVAL_CRASH_EACH] = "detection time T_D (ms): "
                                          "heartbeat to suspicion, mean "
                                          "over all heartbeats",
        };
        const char *base = strrchr(rep->trace_path, '/');
        char own[512];
        plot_in_t in = {
                .rep = rep,
                .path = path,
                .xlabel = xlabel[rep->crash],
                .hours = rep->dets[0].res[0].alive_s / 3600.0,
        };

        snprintf(own, sizeof(own), "%s: %.1f h, %zu heartbeats at %g ms",
                 base ? base + 1 : rep->trace_path, in.hours, rep->arrivals,
                 (double)rep->interval_ns / 1e6);
        in.title = title ? title : own;
        return run_gnuplot(&in) < 0 ? 1 : 0;
}
