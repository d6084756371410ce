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
 *           gnuplot on its stdin; T_D against mistakes per hour, a colour
 *           per detector kind, log axes where the range calls for it,
 *           the hbeat default ringed (see "plot" below).
 *
 * Called only by cmd_eval.c, once per run, after every evaluation.
 */
#include <assert.h>
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

#define HEARTBEAT_BYTES ((double)HB_WIRE_HEARTBEAT_LEN) /* wire-format.md */

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

/*
 * The plot: T_D (x) against mistakes per hour (y), one line per
 * configuration, drawn to stay readable with six detectors and more:
 *
 * - A colour and a point type per detector kind (kind_styles[]), the same
 *   whatever the order of --detector. The second, third... configuration
 *   of a kind is a lighter shade of it, dashed (det_style()).
 * - An axis is logarithmic when its largest value is more than LOG_RATIO
 *   times its smallest non-zero one (axes_decide()), or as --plot-log
 *   says. A zero rate cannot be on a log axis: it goes on a floor line
 *   with the tic "0", FLOOR_DECADES below the decade of the smallest
 *   non-zero rate. On a linear axis it is at 0. A zero T_D (never seen)
 *   keeps its axis linear.
 * - T_D tics carry their unit: 200 ms, 1 s, 1.5 s, 2 min (fmt_ms()).
 * - Large markers: each configuration as given, at its suspect (square)
 *   and dead (triangle) threshold. The hbeat default (rep->dflt) is
 *   ringed and drawn last, and the ranges include it.
 * - The legend goes below the plot, in two columns; a long title wraps.
 */

#define LOG_RATIO 20.0          /* largest / smallest above which: log */
#define FLOOR_DECADES 0.7       /* the 0 line, below the lowest decade */
#define MARGIN_DECADES 0.3      /* room above and below, log rate axis */
#define TD_MARGIN 1.2           /* factor of room, log T_D axis */
#define TITLE_LINE 100          /* characters per line of the title */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Colour, point type (filled; `open` on the zero line) and point size per
 * kind. Colours: Okabe and Ito, "Color Universal Design" (2008), whose
 * eight stay apart under the common colour-vision deficiencies; their
 * yellow is too pale on white, and their sky blue is left to the shades
 * of phi. Point types are gnuplot's; squares and triangles are kept for
 * the markers of the configurations as given.
 */
static const struct kind_style {
        unsigned rgb;
        int pt, open;
        double ps;
} kind_styles[HB_DETECTOR_KIND_END] = {
        /* black, diamond */
        [HB_DETECTOR_FIXED] = { 0x000000, 13, 12, 0.7 },
        /* blue, circle */
        [HB_DETECTOR_PHI] = { 0x0072b2, 7, 6, 0.6 },
        /* vermillion, triangle pointing down */
        [HB_DETECTOR_CHEN] = { 0xd55e00, 11, 10, 0.7 },
        /* orange, pentagon */
        [HB_DETECTOR_BERTIER] = { 0xe69f00, 15, 14, 0.7 },
        /* reddish purple, cross */
        [HB_DETECTOR_PHI_EXP] = { 0xcc79a7, 2, 2, 0.8 },
        /* bluish green, plus */
        [HB_DETECTOR_ADAPTIVE] = { 0x009e73, 1, 1, 0.9 },
};

typedef struct line_style {
        unsigned rgb;
        int pt, open, dt;               /* dt: gnuplot dash type */
        double ps;
} line_style_t;

typedef struct axis {
        bool log;
        double lo, hi;                  /* range */
        double zero;                    /* rates: where 0 is drawn */
        int decade;                     /* log rates: the lowest, 10^n */
} axis_t;

typedef struct plot_in {
        const hbsim_eval_report_t *rep;
        enum hbsim_eval_plot_log log;
        const char *path, *title, *xlabel;
        double hours;                   /* observed alive time */
        axis_t x, y;                    /* T_D in ms, mistakes per hour */
        bool any_zero;                  /* a drawn point has no mistake */
} plot_in_t;

/*
 * Configuration d's style: its kind's if it is the first of its kind;
 * the n-th after it gets a shade of the colour and a dash pattern, by n:
 * mixed with white (> 0) or black (< 0) by |shade[n]|; black, which
 * cannot get darker, takes `pale` instead. They repeat after five.
 */
static line_style_t det_style(const hbsim_eval_report_t *rep, size_t d)
{
        static const double shade[] = { 0, 0.5, -0.45, 0.72, -0.7 };
        static const double pale[] = { 0, 0.5, 0.28, 0.72, 0.84 };
        static const int dashes[] = { 1, 2, 4, 5, 3 };
        hb_detector_kind_t kind = rep->dets[d].kind;
        const struct kind_style *k;
        line_style_t s;
        size_t n = 0;
        double w;

        assert(kind > 0 && kind < HB_DETECTOR_KIND_END);
        k = &kind_styles[kind];
        s = (line_style_t){ k->rgb, k->pt, k->open, 1, k->ps };
        for (size_t e = 0; e < d; e++)
                n += rep->dets[e].kind == kind;
        n %= N_OF(shade);
        w = k->rgb == 0 ? pale[n] : shade[n];
        s.rgb = 0;
        for (unsigned sh = 0; sh < 24; sh += 8) {
                double c = (double)((k->rgb >> sh) & 0xff);

                c += w > 0 ? (255 - c) * w : c * w;
                s.rgb |= (unsigned)lround(c) << sh;
        }
        s.dt = dashes[n];
        return s;
}

/* A gnuplot single-quoted string of the first `len` bytes of `s`: ' is
 * doubled, nothing else is special. */
static void gp_strn(FILE *f, const char *s, size_t len)
{
        fputc('\'', f);
        for (size_t i = 0; i < len && s[i]; i++) {
                if (s[i] == '\'')
                        fputc('\'', f);
                if (s[i] != '\n')
                        fputc(s[i], f);
        }
        fputc('\'', f);
}

static void gp_str(FILE *f, const char *s)
{
        gp_strn(f, s, strlen(s));
}

/* `s` as a gnuplot string expression wrapped at spaces into lines of at
 * most TITLE_LINE bytes (a longer word stays whole). Returns the number
 * of lines. */
static int gp_wrapped(FILE *f, const char *s)
{
        int lines = 0;

        while (*s == ' ')
                s++;
        do {
                size_t cut = strlen(s);

                if (cut > TITLE_LINE) {
                        for (cut = TITLE_LINE; cut > 0 && s[cut] != ' ';
                             cut--)
                                ;
                        if (cut == 0)
                                cut = strcspn(s, " ");
                }
                if (lines++ > 0)
                        fputs(" . \"\\n\" . ", f);
                gp_strn(f, s, cut);
                s += cut;
                while (*s == ' ')
                        s++;
        } while (*s);
        return lines;
}

/* A tic label for a duration of `ms` milliseconds: "0", "250 ms",
 * "1.5 s", "90 s", "2 min", "1 h". Minutes and hours only when whole. */
static void fmt_ms(char *buf, size_t len, double ms)
{
        if (ms == 0)
                snprintf(buf, len, "0");
        else if (ms < 1e3)
                snprintf(buf, len, "%g ms", ms);
        else if (ms < 60e3 || fmod(ms, 60e3) != 0)
                snprintf(buf, len, "%g s", ms / 1e3);
        else if (ms < 3600e3 || fmod(ms, 3600e3) != 0)
                snprintf(buf, len, "%g min", ms / 60e3);
        else
                snprintf(buf, len, "%g h", ms / 3600e3);
}

/* Whether a point can be drawn: a finite T_D. Zero rates go on the floor
 * line (log scale) or at 0. */
static bool drawable(const hbt_qos_result_t *r)
{
        return isfinite(r->detection_s);
}

/* The y of a point: its rate, or where zero is drawn. */
static double plot_y(const hbt_qos_result_t *r, const axis_t *y)
{
        return r->mistakes ? per_hour(r) : y->zero;
}

/* ---- plot: axes -------------------------------------------------------- */

typedef struct extent {
        double td_min, td_max;          /* ms */
        double r_min, r_max;            /* rates above zero, per hour */
        bool r_zero;
} extent_t;

static void extent_add(extent_t *e, const hbt_qos_result_t *r)
{
        double td = r->detection_s * 1e3;

        if (!drawable(r))
                return;
        e->td_min = fmin(e->td_min, td);
        e->td_max = fmax(e->td_max, td);
        if (r->mistakes == 0) {
                e->r_zero = true;
                return;
        }
        e->r_min = fmin(e->r_min, per_hour(r));
        e->r_max = fmax(e->r_max, per_hour(r));
}

/* Whether an axis with values from `min` (> 0, else never log) to `max`
 * is logarithmic: as `forced` says (1 or 0), or from the range (-1). */
static bool log_axis(double min, double max, int forced)
{
        if (!(min > 0 && max > 0))
                return false;
        return forced >= 0 ? forced : max > LOG_RATIO * min;
}

/* The ranges and scales, from every point drawn: the sweeps, the
 * configurations as given and the hbeat default (never clipped). */
static void axes_decide(plot_in_t *in)
{
        static const int force[][2] = {          /* T_D, rate */
                [HBSIM_EVAL_LOG_AUTO] = { -1, -1 },
                [HBSIM_EVAL_LOG_NONE] = { 0, 0 },
                [HBSIM_EVAL_LOG_TD] = { 1, 0 },
                [HBSIM_EVAL_LOG_RATE] = { 0, 1 },
                [HBSIM_EVAL_LOG_BOTH] = { 1, 1 },
        };
        const hbsim_eval_report_t *rep = in->rep;
        extent_t e = { INFINITY, 0, INFINITY, 0, false };
        axis_t *x = &in->x, *y = &in->y;

        for (size_t i = 0; i < rep->n_pts; i++)
                extent_add(&e, &rep->pts[i].r);
        for (size_t d = 0; d < rep->n_dets; d++)
                for (int l = 0; l < 2; l++)
                        extent_add(&e, &rep->dets[d].res[l]);
        for (int l = 0; rep->dflt != NULL && l < 2; l++)
                extent_add(&e, &rep->dflt->res[l]);
        in->any_zero = e.r_zero;
        if (!isfinite(e.td_min))                /* nothing drawable */
                e.td_min = e.td_max = 0;

        *x = (axis_t){ .log = log_axis(e.td_min, e.td_max,
                                       force[in->log][0]) };
        if (x->log) {
                x->lo = e.td_min / TD_MARGIN;
                x->hi = e.td_max * TD_MARGIN;
        } else {
                /* From 0, unless the points are all far from it. */
                x->lo = e.td_min <= 0.4 * e.td_max
                                ? 0
                                : e.td_min - 0.08 * (e.td_max - e.td_min);
                x->hi = e.td_max + 0.06 * (e.td_max - x->lo);
                if (!(x->hi > x->lo))
                        x->hi = x->lo + 1;
        }

        *y = (axis_t){ .log = log_axis(e.r_min, e.r_max,
                                       force[in->log][1]) };
        if (y->log) {
                y->decade = (int)floor(log10(e.r_min) + 1e-9);
                y->zero = pow(10, y->decade - FLOOR_DECADES);
                y->lo = (e.r_zero ? y->zero : e.r_min) /
                        pow(10, MARGIN_DECADES);
                y->hi = e.r_max * pow(10, MARGIN_DECADES);
        } else {
                y->hi = e.r_max > 0 ? e.r_max * 1.08 : 1;
                y->lo = -0.04 * y->hi;  /* zeros clear of the border */
        }
}

/*
 * Tics of a log T_D axis, in ms: 1-2-5 up to seconds, then the clock's
 * steps. All of them that fall in the range are labelled if they are at
 * most 8, else only the major ones.
 */
static const struct td_tic {
        double ms;
        bool major;
} td_tics[] = {
        { 0.1, true },  { 0.2, false },  { 0.5, false }, { 1, true },
        { 2, false },   { 5, false },    { 10, true },   { 20, false },
        { 50, false },  { 100, true },   { 200, false }, { 500, false },
        { 1e3, true },  { 2e3, false },  { 5e3, false }, { 1e4, true },
        { 2e4, false }, { 3e4, false },  { 6e4, true },  { 1.2e5, false },
        { 3e5, false }, { 6e5, true },   { 1.2e6, false },
        { 1.8e6, false }, { 3.6e6, true }, { 7.2e6, false },
        { 1.8e7, false }, { 3.6e7, true }, { 7.2e7, false },
        { 1.44e8, false }, { 3.6e8, true },
};

/* Steps of a linear T_D axis, ms: the first giving at most 7 tics. */
static const double td_steps[] = {
        0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250,
        500, 1e3, 2e3, 2.5e3, 5e3, 1e4, 1.5e4, 2e4, 3e4, 6e4, 1.2e5, 3e5,
        6e5, 9e5, 1.2e6, 1.8e6, 3.6e6, 7.2e6, 1.08e7, 2.16e7, 4.32e7, 8.64e7,
};

/* One entry of a tic list: `label` at `v`, or a minor tic if NULL. */
static void gp_tic(FILE *f, const char **sep, const char *label, double v)
{
        fputs(*sep, f);
        if (label != NULL) {
                gp_str(f, label);
                fprintf(f, " %.10g", v);
        } else {
                fprintf(f, "'' %.10g 1", v);
        }
        *sep = ", ";
}

static bool in_range(const axis_t *a, double v)
{
        return v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9);
}

static void gp_td_tics(FILE *f, const axis_t *x)
{
        const char *sep = "";
        size_t n = 0;
        char b[32];

        fputs("set xtics (", f);
        if (x->log) {
                for (size_t i = 0; i < N_OF(td_tics); i++)
                        n += in_range(x, td_tics[i].ms);
                for (size_t i = 0; i < N_OF(td_tics); i++) {
                        if (!in_range(x, td_tics[i].ms) ||
                            (n > 8 && !td_tics[i].major))
                                continue;
                        fmt_ms(b, sizeof(b), td_tics[i].ms);
                        gp_tic(f, &sep, b, td_tics[i].ms);
                }
                /* Minor tics: 1..9 x 10^k. */
                for (int k = (int)floor(log10(x->lo));
                     k <= (int)ceil(log10(x->hi)); k++)
                        for (int m = 1; m < 10; m++) {
                                double v = m * pow(10, k);

                                if (in_range(x, v))
                                        gp_tic(f, &sep, NULL, v);
                        }
        } else {
                double step = td_steps[N_OF(td_steps) - 1];

                for (size_t i = 0; i < N_OF(td_steps); i++)
                        if ((x->hi - x->lo) / td_steps[i] <= 7) {
                                step = td_steps[i];
                                break;
                        }
                for (double i = ceil(x->lo / step); i * step <= x->hi;
                     i++) {
                        fmt_ms(b, sizeof(b), i * step);
                        gp_tic(f, &sep, b, i * step);
                        if (in_range(x, (i + 0.5) * step))
                                gp_tic(f, &sep, NULL, (i + 0.5) * step);
                }
        }
        fputs(")\n", f);
}

/* The rate tics: decades on a log axis ("0.01" .. "1000", then "10^4"),
 * "0" on the floor line; 1-2-5 steps from 0 on a linear one. */
static void gp_rate_tics(FILE *f, const plot_in_t *in)
{
        const axis_t *y = &in->y;
        const char *sep = "";
        char b[32];

        if (!y->log) {
                double step = pow(10, floor(log10(y->hi / 6)));

                if (y->hi / step > 12)
                        step *= 5;
                else if (y->hi / step > 6)
                        step *= 2;
                fprintf(f, "set ytics 0, %g\nset mytics 2\n", step);
                return;
        }
        fputs("set ytics (", f);
        if (in->any_zero)
                gp_tic(f, &sep, "0", y->zero);
        /* Nothing between the floor line and the lowest decade. */
        for (int k = y->decade - !in->any_zero; pow(10, k) <= y->hi; k++) {
                double v = pow(10, k);

                if (k < -3 || k > 3)
                        snprintf(b, sizeof(b), "10^{%d}", k);
                else
                        snprintf(b, sizeof(b), "%g", v);
                if (in_range(y, v))
                        gp_tic(f, &sep, b, v);
                for (int m = 2; m < 10; m++)
                        if (in_range(y, m * v))
                                gp_tic(f, &sep, NULL, m * v);
        }
        fputs(")\n", f);
}

/* ---- plot: data and script --------------------------------------------- */

/* Data block "$<kind><d>" of configuration d: its sweep points with
 * mistakes (kind 'c', the curve) or without (kind 'z', at zero). Returns
 * the number of rows; an empty block is not plotted (gnuplot warns). */
static size_t gp_points(FILE *f, const plot_in_t *in, char kind, size_t d)
{
        const hbsim_eval_report_t *rep = in->rep;
        size_t rows = 0;

        fprintf(f, "$%c%zu << EOD\n", kind, d);
        for (size_t i = 0; i < rep->n_pts; i++) {
                const hbt_qos_result_t *r = &rep->pts[i].r;

                if (rep->pts[i].det != d || !drawable(r) ||
                    (kind == 'c') != (r->mistakes > 0))
                        continue;
                fprintf(f, "%.6g %.6g\n", r->detection_s * 1e3,
                        plot_y(r, &in->y));
                rows++;
        }
        fputs("EOD\n", f);
        return rows;
}

/* Data block `name` of the configuration `dt` as given, at its suspect
 * and dead threshold, with the point type: 5 square, 9 triangle (minus
 * one: the outline). Returns the number of rows. */
static size_t gp_given(FILE *f, const plot_in_t *in, const char *name,
                       const hbsim_eval_det_t *dt)
{
        size_t rows = 0;

        fprintf(f, "$%s << EOD\n", name);
        for (int l = 0; l < 2; l++) {
                const hbt_qos_result_t *r = &dt->res[l];

                if (!drawable(r))
                        continue;
                fprintf(f, "%.6g %.6g %d\n", r->detection_s * 1e3,
                        plot_y(r, &in->y), l ? 9 : 5);
                rows++;
        }
        fputs("EOD\n", f);
        return rows;
}

#define PLOT_SEP ", \\\n     "

/* The markers of a configuration as given: filled in `rgb`, outlined in
 * black so that they stay apart where they overlap. */
static void gp_given_plot(FILE *f, const char **sep, const char *name,
                          unsigned rgb)
{
        fprintf(f,
                "%s$%s using 1:2:3 with points pt variable ps 1.5 "
                "lc rgb '#%06x' notitle" PLOT_SEP
                "$%s using 1:2:($3 - 1) with points pt variable ps 1.5 "
                "lw 0.8 lc rgb 'black' notitle",
                *sep, name, rgb, name);
        *sep = PLOT_SEP;
}

static void write_plot_script(FILE *f, const plot_in_t *in)
{
        const hbsim_eval_report_t *rep = in->rep;
        const hbsim_eval_det_t *dflt = rep->dflt;
        size_t rows[HBSIM_EVAL_MAX_DETECTORS][3], dflt_rows = 0;
        size_t marks, key_rows;
        const char *sep = "plot ";
        char name[32], title[320];
        int title_lines;

        /* The legend: a line per configuration, then the marks: the two
         * as-given markers, the zero points, the default. Two columns:
         * the lines in the first if they are at most 8 and more than
         * the marks. */
        marks = 2 + in->any_zero + (dflt != NULL);
        key_rows = rep->n_dets <= 8 && rep->n_dets >= marks
                           ? rep->n_dets
                           : (rep->n_dets + marks + 1) / 2;
        fputs("set encoding utf8\nset title ", f);
        title_lines = gp_wrapped(f, in->title);
        fprintf(f,
                " noenhanced\n"
                "set terminal svg size 960,%d dynamic enhanced "
                "font 'sans,13' background rgb 'white'\nset output ",
                560 + 22 * (int)key_rows + 18 * title_lines);
        gp_str(f, in->path);
        fputs("\nset xlabel ", f);
        gp_str(f, in->xlabel);
        /* No space right after a subscript: SVG renderers drop it. */
        fputs("\nset ylabel 'mistake rate λ_M: false suspicions per "
              "hour'\n",
              f);
        fprintf(f,
                "set key outside below center vertical Left reverse "
                "maxrows %zu samplen 2.5 spacing 1.1 font ',12' "
                "noenhanced\n"
                "set grid xtics ytics mxtics "
                "lt 1 lc rgb 'gray80' lw 0.6, lt 1 lc rgb 'gray92' lw 0.6\n"
                "unset clip points\n",
                key_rows);
        if (in->x.log)
                fputs("set logscale x\n", f);
        if (in->y.log)
                fputs("set logscale y\n", f);
        fprintf(f, "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\n",
                in->x.lo, in->x.hi, in->y.lo, in->y.hi);
        gp_td_tics(f, &in->x);
        gp_rate_tics(f, in);
        if (in->y.log && in->any_zero)
                fprintf(f, "set arrow from graph 0, first %.6g to graph 1, "
                           "first %.6g nohead dashtype 2 lc rgb 'gray50'\n",
                        in->y.zero, in->y.zero);

        for (size_t d = 0; d < rep->n_dets; d++) {
                rows[d][0] = gp_points(f, in, 'c', d);
                rows[d][1] = gp_points(f, in, 'z', d);
                snprintf(name, sizeof(name), "b%zu", d);
                rows[d][2] = gp_given(f, in, name, &rep->dets[d]);
        }
        if (dflt != NULL)
                dflt_rows = gp_given(f, in, "dflt", dflt);

        /* Curves, then the zero points, then the markers, each over the
         * ones before; the default last, on top of everything. */
        for (size_t d = 0; d < rep->n_dets; d++) {
                line_style_t s = det_style(rep, d);

                if (rows[d][0] == 0)
                        continue;
                fprintf(f, "%s$c%zu with linespoints lw 1.5 dt %d pt %d "
                           "ps %g lc rgb '#%06x' notitle",
                        sep, d, s.dt, s.pt, s.ps, s.rgb);
                sep = PLOT_SEP;
        }
        for (size_t d = 0; d < rep->n_dets; d++) {
                line_style_t s = det_style(rep, d);

                if (rows[d][1] == 0)
                        continue;
                fprintf(f, "%s$z%zu with points pt %d ps %g lc rgb "
                           "'#%06x' notitle",
                        sep, d, s.open, s.ps + 0.2, s.rgb);
                sep = PLOT_SEP;
        }
        for (size_t d = 0; d < rep->n_dets; d++) {
                if (rows[d][2] == 0)
                        continue;
                snprintf(name, sizeof(name), "b%zu", d);
                gp_given_plot(f, &sep, name, det_style(rep, d).rgb);
        }
        if (dflt_rows > 0) {
                unsigned rgb = kind_styles[dflt->kind].rgb;

                /* One of the lines: in its colour, which may be a
                 * shade. */
                for (size_t d = 0; d < rep->n_dets; d++)
                        if (&rep->dets[d] == dflt)
                                rgb = det_style(rep, d).rgb;
                gp_given_plot(f, &sep, "dflt", rgb);
                fprintf(f, "%s$dflt with points pt 6 ps 3.2 lw 2.5 "
                           "lc rgb 'black' notitle",
                        sep);
        }

        /* The legend, in its own order. */
        for (size_t d = 0; d < rep->n_dets; d++) {
                const hbsim_eval_sweep_t *sw = &rep->sweeps[d];
                line_style_t s = det_style(rep, d);

                snprintf(title, sizeof(title), "%s (%s %g..%g)",
                         rep->dets[d].label, sw->key.name, sw->values[0],
                         sw->values[sw->n - 1]);
                fprintf(f, "%skeyentry with linespoints lw 1.5 dt %d pt %d "
                           "ps %g lc rgb '#%06x' title ",
                        sep, s.dt, s.pt, s.ps, s.rgb);
                gp_str(f, title);
                sep = PLOT_SEP;
        }
        fprintf(f, "%skeyentry with points pt 5 ps 1.3 lc rgb 'gray40' "
                   "title 'as given, at the suspect threshold'"
                   "%skeyentry with points pt 9 ps 1.3 lc rgb 'gray40' "
                   "title 'as given, at the dead threshold'",
                sep, PLOT_SEP);
        if (in->any_zero)
                fprintf(f, "%skeyentry with points pt 6 ps 0.8 "
                           "lc rgb 'gray40' title 'open: no mistake in "
                           "the %.*f %s trace%s'",
                        PLOT_SEP, in->hours < 1 ? 0 : 1,
                        in->hours < 1 ? in->hours * 60 : in->hours,
                        in->hours < 1 ? "min" : "h",
                        in->y.log ? " (the line at 0)" : "");
        if (dflt != NULL) {
                snprintf(title, sizeof(title), "hbeat default (%s, "
                                               "suspect %g, dead %g)",
                         hb_detector_kind_name(dflt->kind), dflt->suspect,
                         dflt->dead);
                fprintf(f, "%skeyentry with points pt 6 ps 2.2 lw 2.5 "
                           "lc rgb 'black' title ",
                        PLOT_SEP);
                gp_str(f, title);
        }
        /* gnuplot balances the columns: blank entries keep the lines in
         * the first. */
        for (size_t i = rep->n_dets + marks; i < 2 * key_rows; i++)
                fputs(PLOT_SEP "keyentry with lines lt nodraw title ' '",
                      f);
        fputs("\n", f);
}

/* What the plot shows, from the report. `own` holds the title made from
 * the trace when po->title is NULL. */
static void plot_in_init(plot_in_t *in, const hbsim_eval_report_t *rep,
                         const hbsim_eval_plot_opts_t *po, char *own,
                         size_t own_len)
{
        static const char *const xlabel[] = {
                [HBSIM_EVAL_CRASH_TRACE] = "detection time T_D: crash to "
                                           "suspicion",
                [HBSIM_EVAL_CRASH_AT] = "detection time T_D: crash to "
                                        "suspicion",
                [HBSIM_EVAL_CRASH_LAST] = "detection time T_D: last "
                                          "heartbeat to suspicion",
                [HBSIM_EVAL_CRASH_EACH] = "detection time T_D: heartbeat "
                                          "to suspicion, mean over all "
                                          "heartbeats",
                [HBSIM_EVAL_CRASH_NONE] = "detection time T_D",
        };
        const char *base = strrchr(rep->trace_path, '/');

        *in = (plot_in_t){
                .rep = rep,
                .log = po->log,
                .path = po->path,
                .xlabel = xlabel[rep->crash],
                .hours = rep->dets[0].res[0].alive_s / 3600.0,
        };
        snprintf(own, own_len, "%s: %.1f h, %zu heartbeats at %g ms",
                 base ? base + 1 : rep->trace_path, in->hours,
                 rep->arrivals, (double)rep->interval_ns / 1e6);
        in->title = po->title ? po->title : own;
        axes_decide(in);
}

void hbsim_eval_plot_script(FILE *f, const hbsim_eval_report_t *rep,
                            const hbsim_eval_plot_opts_t *po)
{
        char own[512];
        plot_in_t in;

        plot_in_init(&in, rep, po, own, sizeof(own));
        write_plot_script(f, &in);
}

/* Run gnuplot with the script on its stdin. 0, or -1 with a message. */
static int run_gnuplot(const hbsim_eval_report_t *rep,
                       const hbsim_eval_plot_opts_t *po)
{
        char *argv[] = { "gnuplot", NULL };
        posix_spawn_file_actions_t fa;
        int fds[2], status, rc = 0;
        size_t i;
        pid_t pid;
        FILE *f;
        void (*old)(int);

        for (i = 0; i < rep->n_pts && !drawable(&rep->pts[i].r); i++)
                ;
        if (i == rep->n_pts)
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
                hbsim_eval_plot_script(f, rep, po);
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
                                        po->path);
        return 0;
}

int hbsim_eval_plot(const hbsim_eval_report_t *rep,
                    const hbsim_eval_plot_opts_t *po)
{
        return run_gnuplot(rep, po) < 0 ? 1 : 0;
}
