/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim eval: replay an arrival trace (docs/trace-format.md) through
 * detector configurations and report the QoS metrics of Chen, Toueg and
 * Aguilera (hb_qos_evaluate(), include/hbeat/qos.h); optionally sweep one
 * parameter and write the detection-time / mistake-rate trade-off as CSV
 * and as a gnuplot SVG.
 *
 *   hbeat-sim eval lan.csv --detector phi --detector fixed
 *   hbeat-sim eval wan.csv --detector phi --sweep threshold=1:20:1 \
 *                          --detector fixed --sweep k=2:10:0.5 \
 *                          --csv wan.csv --plot wan.svg
 *
 * Detection time of traces without a crash row. A trace of a peer that
 * never failed has no T_D. With --crash-at last (the default) T_D is the
 * usual upper bound: a virtual crash right at the last arrival, T_D = the
 * time from the last arrival to the suspicion crossing after it. (The
 * peer may really have crashed any time after sending that heartbeat, so
 * the true T_D is smaller by up to one interval plus the delay; the bound
 * is what an operator experiences in the worst case and what the sweep
 * plots.) The mistakes, lambda_M, T_MR, T_M and P_A come from the whole
 * trace without a crash, up to its end row; when the trace ends at its
 * last arrival the two replays coincide and only one is run.
 * --crash-at each averages that bound over a virtual crash after every
 * arrival (mean_detection()): the adaptive detectors' T_D moves with
 * their history, and one crash at the end samples it only once.
 *
 * JSON is written by a few small functions here instead of jansson:
 * hbeat-sim does not link jansson (meson.build) and the output is flat
 * (numbers, fixed identifiers, and strings escaped by json_str()).
 *
 * Size: ~1,300 lines, above the ~1,000 of docs/STYLE: one command whose
 * options, output formats and plot belong together, and the only file the
 * build lists for it. The gnuplot part (gp_*(), write_plot_script(),
 * run_gnuplot()) is the piece to move out first.
 *
 * Exit status: 0; 1 (I/O error, gnuplot failed, out of memory); 2 (bad
 * option or bad trace, with a message on stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csv.h>

#include "hbeat/hbeat.h"
#include "hbeat/qos.h"
#include "sim/cmd.h"
#include "sim/trace.h"

extern char **environ;

#define MAX_DETECTORS 16
#define MAX_SETS 32
#define MAX_SWEEP_VALUES 10000
#define HEARTBEAT_BYTES 56.0            /* docs/wire-format.md */

#define PROG "hbeat-sim eval"

/* ---- parameters -------------------------------------------------------- */

#define KB(k) (1u << (k))
#define ALL_KINDS                                                             \
        (KB(HB_DETECTOR_FIXED) | KB(HB_DETECTOR_PHI) | KB(HB_DETECTOR_CHEN) | \
         KB(HB_DETECTOR_BERTIER) | KB(HB_DETECTOR_PHI_EXP) |                  \
         KB(HB_DETECTOR_ADAPTIVE))
#define HISTORY_KINDS (ALL_KINDS & ~KB(HB_DETECTOR_FIXED))

enum key_type {
        KT_SUSPECT,     /* the suspect threshold (not in the config) */
        KT_DEAD,        /* the dead threshold */
        KT_U32,         /* uint32_t field, integer value */
        KT_MS,          /* uint64_t ns field, value in ms */
        KT_DBL,         /* double field */
};

typedef struct key {
        const char *name;
        enum key_type type;
        size_t off;                     /* in hb_detector_config_t */
        unsigned kinds;                 /* KB() of the kinds it applies to */
        const char *help;
} param_t;

#define F(field) offsetof(hb_detector_config_t, field)

/* Ranges are the detectors' own (hb_detector_config_validate()); this
 * table only says what each key is and which kinds read it. Names are the
 * config file's detector.* keys (docs/configuration.md), plus the short
 * forms threshold, k and alpha_ms. */
static const param_t keys[] = {
        { "threshold", KT_SUSPECT, 0, ALL_KINDS,
          "suspect threshold (also: suspect_threshold)" },
        { "suspect_threshold", KT_SUSPECT, 0, ALL_KINDS, NULL },
        { "k", KT_SUSPECT, 0, KB(HB_DETECTOR_FIXED),
          "fixed: suspect after k missed intervals (= threshold)" },
        { "dead_threshold", KT_DEAD, 0, ALL_KINDS, "dead threshold" },
        { "window", KT_U32, F(window), HISTORY_KINDS,
          "all but fixed: samples kept" },
        { "min_std_dev_ms", KT_MS, F(min_std_dev_ns), KB(HB_DETECTOR_PHI),
          "phi: floor of sigma" },
        { "acceptable_pause_ms", KT_MS, F(acceptable_pause_ns),
          KB(HB_DETECTOR_PHI), "phi: pause added to the mean" },
        { "first_estimate_ms", KT_MS, F(first_estimate_ns),
          KB(HB_DETECTOR_PHI) | KB(HB_DETECTOR_PHI_EXP),
          "phi, phi_exp: bootstrap mean" },
        { "alpha_ms", KT_MS, F(chen_alpha_ns), KB(HB_DETECTOR_CHEN),
          "chen: safety margin (also: chen_alpha_ms)" },
        { "chen_alpha_ms", KT_MS, F(chen_alpha_ns), KB(HB_DETECTOR_CHEN),
          NULL },
        { "bertier_beta", KT_DBL, F(bertier_beta), KB(HB_DETECTOR_BERTIER),
          "bertier: weight of the delay" },
        { "bertier_phi", KT_DBL, F(bertier_phi), KB(HB_DETECTOR_BERTIER),
          "bertier: weight of the variation" },
        { "bertier_gamma", KT_DBL, F(bertier_gamma), KB(HB_DETECTOR_BERTIER),
          "bertier: gain of the estimator" },
        { "adaptive_initial_ms", KT_MS, F(adaptive_initial_ns),
          KB(HB_DETECTOR_ADAPTIVE), "adaptive: starting timeout" },
        { "adaptive_min_ms", KT_MS, F(adaptive_min_ns),
          KB(HB_DETECTOR_ADAPTIVE), "adaptive: lowest timeout" },
        { "adaptive_max_ms", KT_MS, F(adaptive_max_ns),
          KB(HB_DETECTOR_ADAPTIVE), "adaptive: highest timeout" },
        { "adaptive_dampening_ms", KT_MS, F(adaptive_dampening_ns),
          KB(HB_DETECTOR_ADAPTIVE), "adaptive: at most one change per" },
        { "adaptive_raise", KT_DBL, F(adaptive_raise),
          KB(HB_DETECTOR_ADAPTIVE), "adaptive: raise factor" },
        { "adaptive_lower", KT_DBL, F(adaptive_lower),
          KB(HB_DETECTOR_ADAPTIVE), "adaptive: lower factor" },
        { "adaptive_high_ratio", KT_DBL, F(adaptive_high_ratio),
          KB(HB_DETECTOR_ADAPTIVE), "adaptive: raise if P95 > this x P50" },
        { "adaptive_low_ratio", KT_DBL, F(adaptive_low_ratio),
          KB(HB_DETECTOR_ADAPTIVE), "adaptive: lower if P95 < this x P50" },
};

static const param_t *key_find(const char *name, size_t len)
{
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (strlen(keys[i].name) == len &&
                    memcmp(keys[i].name, name, len) == 0)
                        return &keys[i];
        return NULL;
}

/* Whole-string number. */
static int parse_double(const char *s, double *out)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
                return -EINVAL;
        *out = v;
        return 0;
}

/* Print "hbeat-sim eval: <message>" on stderr; return `rc` (the exit
 * status: 2 for bad input, 1 for failures). */
__attribute__((format(printf, 2, 3))) static int fail(int rc,
                                                      const char *fmt, ...)
{
        va_list ap;

        fputs(PROG ": ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return rc;
}

/* ---- detector configurations ------------------------------------------- */

typedef struct det {
        hb_detector_kind_t kind;
        const char *label_opt;          /* --label, borrowed from argv */
        const char *sets[MAX_SETS];     /* "key=value", borrowed */
        size_t n_sets;
        const char *sweep;              /* own --sweep spec, or NULL */
        /* Resolved once the interval is known: */
        hb_detector_config_t cfg;
        double suspect, dead;
        char label[256];
        hb_qos_result_t res[2];         /* suspect, dead */
} det_t;

/* Set one key to `v` in (cfg, thresholds). -EINVAL with a message in
 * `err` if the value cannot be represented. */
static int key_apply(const param_t *k, double v, hb_detector_config_t *cfg,
                     double *suspect, double *dead, char *err, size_t errlen)
{
        char *field = (char *)cfg + k->off;

        switch (k->type) {
        case KT_SUSPECT:
        case KT_DEAD:
                if (!(v > 0)) {
                        snprintf(err, errlen, "%s must be > 0", k->name);
                        return -EINVAL;
                }
                *(k->type == KT_SUSPECT ? suspect : dead) = v;
                return 0;
        case KT_U32:
                if (v < 0 || v > UINT32_MAX || v != floor(v)) {
                        snprintf(err, errlen,
                                 "%s must be a whole number >= 0", k->name);
                        return -EINVAL;
                }
                *(uint32_t *)(void *)field = (uint32_t)v;
                return 0;
        case KT_MS:
                /* 1e10 ms is about 4 months: beyond every detector's
                 * range, and far from uint64 overflow. */
                if (v < 0 || v > 1e10) {
                        snprintf(err, errlen,
                                 "%s must be in 0..1e10 ms", k->name);
                        return -EINVAL;
                }
                *(uint64_t *)(void *)field = (uint64_t)llround(v * 1e6);
                return 0;
        case KT_DBL:
                *(double *)(void *)field = v;
                return 0;
        }
        return -EINVAL;
}

/* Split "key=value", find the key, check it applies to `kind`. */
static int parse_assignment(const char *s, hb_detector_kind_t kind,
                            const param_t **key, const char **value, char *err,
                            size_t errlen)
{
        const char *eq = strchr(s, '=');

        if (eq == NULL) {
                snprintf(err, errlen, "'%s' is not KEY=VALUE", s);
                return -EINVAL;
        }
        *key = key_find(s, (size_t)(eq - s));
        if (*key == NULL) {
                snprintf(err, errlen,
                         "unknown parameter '%.*s' (see --help for the list)",
                         (int)(eq - s), s);
                return -EINVAL;
        }
        if (!((*key)->kinds & KB(kind))) {
                snprintf(err, errlen, "parameter '%s' does not apply to "
                                      "detector %s",
                         (*key)->name, hb_detector_kind_name(kind));
                return -EINVAL;
        }
        *value = eq + 1;
        return 0;
}

/* Defaults at `interval_ns`, then the --set assignments, then validate. */
static int det_resolve(det_t *d, size_t idx, uint64_t interval_ns)
{
        char err[256];
        size_t len;

        hb_detector_config_default(&d->cfg, d->kind, interval_ns);
        d->suspect = hb_detector_default_suspect_threshold(d->kind);
        d->dead = hb_detector_default_dead_threshold(d->kind);
        if (d->label_opt != NULL)
                snprintf(d->label, sizeof(d->label), "%s", d->label_opt);
        else
                snprintf(d->label, sizeof(d->label), "%s",
                         hb_detector_kind_name(d->kind));
        for (size_t i = 0; i < d->n_sets; i++) {
                const param_t *k;
                const char *val;
                double v;

                if (parse_assignment(d->sets[i], d->kind, &k, &val, err,
                                     sizeof(err)) < 0)
                        goto bad;
                if (parse_double(val, &v) < 0) {
                        snprintf(err, sizeof(err), "%s: '%s' is not a number",
                                 k->name, val);
                        goto bad;
                }
                if (key_apply(k, v, &d->cfg, &d->suspect, &d->dead, err,
                              sizeof(err)) < 0)
                        goto bad;
                len = strlen(d->label);
                if (d->label_opt == NULL && len < sizeof(d->label))
                        snprintf(d->label + len, sizeof(d->label) - len,
                                 " %s", d->sets[i]);
        }
        if (hb_detector_config_validate(&d->cfg) < 0) {
                /* Name the culprit: the first assignment that is invalid
                 * on its own (else it is the combination, e.g. adaptive
                 * min_ms above max_ms). */
                const char *what = "this combination of --set";

                for (size_t i = 0; i < d->n_sets; i++) {
                        hb_detector_config_t one;
                        const param_t *k;
                        const char *val;
                        double v, t1, t2;

                        hb_detector_config_default(&one, d->kind,
                                                   interval_ns);
                        parse_assignment(d->sets[i], d->kind, &k, &val, err,
                                         sizeof(err));
                        parse_double(val, &v);
                        key_apply(k, v, &one, &t1, &t2, err, sizeof(err));
                        if (hb_detector_config_validate(&one) < 0) {
                                what = d->sets[i];
                                break;
                        }
                }
                snprintf(err, sizeof(err), "%s: out of range for %s (the "
                                           "ranges are in docs/detectors.md)",
                         what, hb_detector_kind_name(d->kind));
                goto bad;
        }
        return 0;
bad:
        return -fail(2, "detector %zu (%s): %s", idx + 1,
                     hb_detector_kind_name(d->kind), err);
}

/* ---- evaluation -------------------------------------------------------- */

enum crash_mode { CRASH_TRACE, CRASH_LAST, CRASH_NONE, CRASH_AT, CRASH_EACH };

typedef struct ctx {
        const hb_arrival_t *arr;
        size_t n;
        uint64_t end_ns;
        enum crash_mode mode;
        uint64_t crash_ns;              /* CRASH_TRACE, CRASH_AT */
} ctx_t;

/*
 * Mean detection time over virtual crashes right after each arrival:
 * replay the trace and average crossing - arrival (--crash-at each). The
 * accrual and adaptive detectors' T_D moves with their window, so one
 * crash at the end of the trace samples it once; this is its mean over
 * the whole trace. INFINITY if some crossing never comes.
 */
static int mean_detection(const ctx_t *cx, const hb_detector_config_t *cfg,
                          double thr, double *out)
{
        hb_detector_t *d;
        long double sum = 0;
        int e = hb_detector_new(&d, cfg);

        if (e < 0)
                return e;
        *out = 0;
        for (size_t i = 0; i < cx->n; i++) {
                uint64_t c;

                hb_detector_heartbeat_seq(d, cx->arr[i].arrival_ns,
                                          cx->arr[i].seq);
                c = hb_detector_crossing_ns(d, thr);
                if (c == HB_NEVER) {
                        *out = INFINITY;
                        break;
                }
                sum += (long double)(c - hb_detector_last_arrival_ns(d));
        }
        if (*out == 0)
                *out = (double)(sum / (long double)cx->n / 1e9L);
        hb_detector_free(d);
        return 0;
}

/* One configuration at one threshold, with the virtual crash of
 * --crash-at last or each (see the file comment). */
static int evaluate(const ctx_t *cx, const hb_detector_config_t *cfg,
                    double thr, hb_qos_result_t *out)
{
        uint64_t last = cx->arr[cx->n - 1].arrival_ns;
        hb_qos_result_t r, td;
        int e;

        switch (cx->mode) {
        case CRASH_TRACE:
        case CRASH_AT:
                return hb_qos_evaluate(cfg, thr, cx->arr, cx->n, cx->crash_ns,
                                       cx->end_ns, out);
        case CRASH_NONE:
                return hb_qos_evaluate(cfg, thr, cx->arr, cx->n, HB_NEVER,
                                       cx->end_ns, out);
        case CRASH_EACH:
                e = hb_qos_evaluate(cfg, thr, cx->arr, cx->n, HB_NEVER,
                                    cx->end_ns, &r);
                if (e == 0)
                        e = mean_detection(cx, cfg, thr, &r.detection_s);
                if (e == 0)
                        *out = r;
                return e;
        case CRASH_LAST:
                e = hb_qos_evaluate(cfg, thr, cx->arr, cx->n, last,
                                    cx->end_ns, &td);
                if (e < 0 || cx->end_ns == last) {
                        if (e == 0)
                                *out = td;
                        return e;
                }
                e = hb_qos_evaluate(cfg, thr, cx->arr, cx->n, HB_NEVER,
                                    cx->end_ns, &r);
                if (e < 0)
                        return e;
                r.detection_s = td.detection_s;
                *out = r;
                return 0;
        }
        return -EINVAL;
}

static int report_eval_error(int e, const det_t *d)
{
        return fail(e == -ENOMEM ? 1 : 2, "%s: evaluation failed: %s",
                    d->label, hb_strerror(e));
}

/* ---- sweeps ------------------------------------------------------------ */

typedef struct point {
        size_t det;
        double value;
        double thr;                     /* threshold evaluated */
        hb_qos_result_t r;
} point_t;

typedef struct sweep {
        const param_t *key;
        double *values;
        size_t n;
} sweep_t;

/* "PARAM=START:STOP:STEP" or "PARAM=V1,V2,...". The key is checked
 * against the detector's kind by the caller. 0, -EINVAL, -E2BIG (too many
 * values) or -ENOMEM. */
static int sweep_parse(const char *spec, const char **name, size_t *name_len,
                       double **values, size_t *n)
{
        const char *eq = strchr(spec, '=');
        double a, b, step, *v;
        char *end;
        size_t cnt = 0;

        if (eq == NULL || eq == spec)
                return -EINVAL;
        *name = spec;
        *name_len = (size_t)(eq - spec);
        v = calloc(MAX_SWEEP_VALUES, sizeof(*v));
        if (v == NULL)
                return -ENOMEM;
        if (sscanf(eq + 1, "%lf:%lf:%lf", &a, &b, &step) == 3) {
                char tail[2];

                /* Values a + i step (no accumulated rounding), up to b
                 * allowing for the rounding of (b - a) / step. */
                double steps = floor((b - a) / step + 1e-9);

                if (sscanf(eq + 1, "%*f:%*f:%*f%1s", tail) == 1 ||
                    !isfinite(a) || !isfinite(b) || !(step > 0) || b < a ||
                    !(steps + 1 <= MAX_SWEEP_VALUES))
                        goto bad;
                cnt = (size_t)steps + 1;
                for (size_t i = 0; i < cnt; i++)
                        v[i] = a + (double)i * step;
        } else {
                for (const char *p = eq + 1;; p = end + 1) {
                        errno = 0;
                        v[cnt] = strtod(p, &end);
                        if (end == p || errno != 0 || !isfinite(v[cnt]) ||
                            (*end != ',' && *end != '\0'))
                                goto bad;
                        if (++cnt == MAX_SWEEP_VALUES && *end != '\0')
                                goto bad;
                        if (*end == '\0')
                                break;
                }
        }
        *values = v;
        *n = cnt;
        return 0;
bad:
        free(v);
        return -EINVAL;
}

/* ---- output helpers ---------------------------------------------------- */

static double per_hour(const hb_qos_result_t *r)
{
        return r->mistake_rate_per_s * 3600.0;
}

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

/* JSON number: null for NAN and INFINITY (JSON has neither). */
static void json_num(FILE *f, double v)
{
        if (isfinite(v))
                fprintf(f, "%.17g", v);
        else
                fputs("null", f);
}

static void json_str(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

static void json_metrics(FILE *f, double thr, const hb_qos_result_t *r)
{
        const struct {
                const char *name;
                double v;
        } m[] = {
                { "threshold", thr },
                { "T_D_ms", r->detection_s * 1e3 },
                { "mistakes", (double)r->mistakes },
                { "mistakes_per_hour", per_hour(r) },
                { "T_MR_s", r->mean_recurrence_s },
                { "T_M_ms", r->mean_mistake_s * 1e3 },
                { "P_A", r->query_accuracy },
                { "alive_s", r->alive_s },
                { "arrivals", (double)r->arrivals },
        };

        /* Counts are exact in a double up to 2^53. */
        for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
                fprintf(f, "%s\"%s\": ", i ? ", " : "{", m[i].name);
                json_num(f, m[i].v);
        }
        fputc('}', f);
}

static void table_row(const char *level, double thr,
                      const hb_qos_result_t *r)
{
        char b[6][32];

        printf("  %-8s %-9g %9s %9" PRIu64 " %12s %11s %9s %13.9f\n", level,
               thr, cell(b[0], 32, r->detection_s * 1e3, 2),
               r->mistakes, cell(b[1], 32, per_hour(r), -1),
               cell(b[2], 32, r->mean_recurrence_s, 1),
               cell(b[3], 32, r->mean_mistake_s * 1e3, 2),
               r->query_accuracy);
}

/* ---- plot -------------------------------------------------------------- */

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

typedef struct plot_in {
        const char *path, *title, *xlabel;
        const det_t *dets;
        size_t n_dets;
        const sweep_t *sweeps;          /* per detector */
        const point_t *pts;
        size_t n_pts;
        double hours;                   /* observed alive time */
} plot_in_t;

/* Whether a point can be drawn: a finite T_D. Zero rates go on the floor
 * line (log scale). */
static bool drawable(const hb_qos_result_t *r)
{
        return isfinite(r->detection_s);
}

/* The y of a point: its rate, or the floor line for a zero rate. */
static double plot_y(const hb_qos_result_t *r, double floor_y)
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
        size_t rows = 0;

        fprintf(f, "$%c%zu << EOD\n", kind, d);
        if (kind == 'b') {
                for (int l = 0; l < 2; l++) {
                        const hb_qos_result_t *r = &in->dets[d].res[l];

                        if (!drawable(r))
                                continue;
                        fprintf(f, "%.6g %.6g %d\n", r->detection_s * 1e3,
                                plot_y(r, floor_y), l ? 9 : 5);
                        rows++;
                }
        }
        for (size_t i = 0; kind != 'b' && i < in->n_pts; i++) {
                const hb_qos_result_t *r = &in->pts[i].r;

                if (in->pts[i].det != d || !drawable(r) ||
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
        double floor_y = 0.5 / (in->hours > 0 ? in->hours : 1.0);
        size_t rows[MAX_DETECTORS][3];
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
        for (size_t d = 0; d < in->n_dets; d++)
                for (int k = 0; k < 3; k++)
                        rows[d][k] = gp_block(f, in, kinds[k], d, floor_y);
        for (size_t d = 0; d < in->n_dets; d++) {
                const sweep_t *sw = &in->sweeps[d];
                char title[320];

                snprintf(title, sizeof(title), "%s (%s %g..%g)",
                         in->dets[d].label, sw->key->name, sw->values[0],
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

        for (i = 0; i < in->n_pts && !drawable(&in->pts[i].r); i++)
                ;
        if (i == in->n_pts)
                return -fail(1, "nothing to plot: no sweep point has a "
                                "finite T_D");
        if (pipe(fds) < 0) {
                perror(PROG ": pipe");
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
                return -fail(1, "cannot run gnuplot: %s (install "
                                "gnuplot-nox)",
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
                        perror(PROG ": waitpid");
                        return -1;
                }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || rc < 0)
                return -fail(1, "gnuplot failed writing %s", in->path);
        return 0;
}

/* ---- the command ------------------------------------------------------- */

static void usage(FILE *f)
{
        fprintf(f,
"usage: hbeat-sim eval TRACE [options]\n"
"\n"
"Replay an arrival trace (docs/trace-format.md, \"-\" = stdin) through\n"
"detector configurations; print T_D, mistakes, lambda_M, T_MR, T_M and P_A\n"
"(Chen, Toueg, Aguilera 2002) at each suspect and dead threshold.\n"
"\n"
"options:\n"
"  --detector KIND     add a configuration (repeatable; default: one phi):\n"
"                      fixed, phi, chen, bertier, phi_exp, adaptive\n"
"  --set KEY=VALUE     set a parameter of the last --detector (keys below)\n"
"  --label TEXT        name the last --detector in tables and plots\n"
"  --interval-ms MS    heartbeat interval (default: the trace's interval_ns)\n"
"  --crash-at WHEN     traces without a crash row: 'last' (default: virtual\n"
"                      crash at the last arrival, T_D = last arrival to the\n"
"                      crossing), 'each' (T_D = mean of that over every\n"
"                      arrival), 'none' (no T_D), or SECONDS after the\n"
"                      first arrival (arrivals after it are dropped)\n"
"  --sweep P=A:B:S     vary P from A to B by S (or P=V1,V2,...); after a\n"
"                      --detector: for that one; before any: for every\n"
"                      detector without its own\n"
"  --csv FILE          write the sweep curve as CSV (\"-\" = stdout)\n"
"  --plot FILE.svg     plot the sweep with gnuplot: T_D vs mistakes/hour\n"
"  --title TEXT        plot title (default: the trace file)\n"
"  --json              machine-readable output on stdout\n"
"  -h, --help          this text\n"
"\n"
"keys (--set, --sweep; _ms keys in milliseconds, fractions allowed):\n");
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (keys[i].help != NULL)      /* NULL: an alias */
                        fprintf(f, "  %-22s %s\n", keys[i].name,
                                keys[i].help);
}

typedef struct opts {
        const char *trace_path;
        det_t dets[MAX_DETECTORS];
        size_t n_dets;
        const char *global_sweep;
        const char *csv_path, *plot_path, *title;
        double interval_ms;             /* 0 = from the trace */
        enum crash_mode crash_mode;
        double crash_at_s;
        bool json;
} opts_t;

static int parse_args(int argc, char **argv, opts_t *o)
{
        static const struct option lopts[] = {
                { "detector", required_argument, NULL, 'd' },
                { "set", required_argument, NULL, 's' },
                { "label", required_argument, NULL, 'L' },
                { "interval-ms", required_argument, NULL, 'i' },
                { "crash-at", required_argument, NULL, 'c' },
                { "sweep", required_argument, NULL, 'w' },
                { "csv", required_argument, NULL, 'C' },
                { "plot", required_argument, NULL, 'p' },
                { "title", required_argument, NULL, 't' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        det_t *last = NULL;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        if (o->n_dets == MAX_DETECTORS)
                                return fail(2, "at most %d --detector",
                                                   MAX_DETECTORS);
                        last = &o->dets[o->n_dets];
                        if (hb_detector_kind_parse(optarg, &last->kind) < 0)
                                return fail(2, 
                                        "unknown detector '%s' (fixed, phi, "
                                        "chen, bertier, phi_exp, adaptive)",
                                        optarg);
                        o->n_dets++;
                        break;
                case 's':
                case 'L':
                        if (last == NULL)
                                return fail(2, 
                                        "--%s '%s' comes before any "
                                        "--detector",
                                        c == 's' ? "set" : "label", optarg);
                        if (c == 'L')
                                last->label_opt = optarg;
                        else if (last->n_sets == MAX_SETS)
                                return fail(2, "too many --set");
                        else
                                last->sets[last->n_sets++] = optarg;
                        break;
                case 'i':
                        if (parse_double(optarg, &o->interval_ms) < 0 ||
                            o->interval_ms < 1 || o->interval_ms > 3600000)
                                return fail(2, "--interval-ms '%s' is "
                                                   "not in 1..3600000",
                                                   optarg);
                        break;
                case 'c':
                        if (strcmp(optarg, "last") == 0)
                                o->crash_mode = CRASH_LAST;
                        else if (strcmp(optarg, "none") == 0)
                                o->crash_mode = CRASH_NONE;
                        else if (strcmp(optarg, "each") == 0)
                                o->crash_mode = CRASH_EACH;
                        else if (parse_double(optarg, &o->crash_at_s) == 0 &&
                                 o->crash_at_s >= 0 && o->crash_at_s < 1e9)
                                o->crash_mode = CRASH_AT;
                        else
                                return fail(2, "--crash-at '%s' is not "
                                                   "last, each, none or "
                                                   "seconds >= 0",
                                                   optarg);
                        break;
                case 'w':
                        if (last == NULL)
                                o->global_sweep = optarg;
                        else
                                last->sweep = optarg;
                        break;
                case 'C':
                        o->csv_path = optarg;
                        break;
                case 'p':
                        o->plot_path = optarg;
                        break;
                case 't':
                        o->title = optarg;
                        break;
                case 'j':
                        o->json = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1)
                return fail(2, "expected one TRACE file (see --help)");
        o->trace_path = argv[optind];
        if (o->n_dets == 0) {
                o->dets[0].kind = HB_DETECTOR_PHI;
                o->n_dets = 1;
        }
        return -1;      /* continue */
}

/* Resolve each detector's sweep: its own spec, else the global one. */
static int resolve_sweeps(const opts_t *o, sweep_t *sw)
{
        for (size_t d = 0; d < o->n_dets; d++) {
                const det_t *dt = &o->dets[d];
                const char *spec = dt->sweep ? dt->sweep : o->global_sweep;
                const char *name;
                size_t len;
                int e;

                if (spec == NULL)
                        return fail(2, "detector %zu (%s) has no "
                                           "--sweep; give one after it or "
                                           "one before all --detector",
                                           d + 1, dt->label);
                e = sweep_parse(spec, &name, &len, &sw[d].values, &sw[d].n);
                if (e == -ENOMEM)
                        return fail(1, "out of memory");
                if (e < 0)
                        return fail(2, "bad --sweep '%s' (PARAM=START:"
                                           "STOP:STEP with STEP > 0, or "
                                           "PARAM=V1,V2,...; at most %d "
                                           "values)",
                                           spec, MAX_SWEEP_VALUES);
                sw[d].key = key_find(name, len);
                if (sw[d].key == NULL || !(sw[d].key->kinds & KB(dt->kind))) {
                        return fail(2, "--sweep '%s': parameter '%.*s' %s "
                                       "detector %s",
                                    spec, (int)len, name,
                                    sw[d].key ? "does not apply to"
                                              : "is unknown (--help); for",
                                    hb_detector_kind_name(dt->kind));
                }
        }
        return 0;
}

/* Evaluate every sweep point. Fills pts (sized by the caller). */
static int run_sweeps(const opts_t *o, const ctx_t *cx, const sweep_t *sw,
                      point_t *pts, size_t *n_pts)
{
        size_t k = 0;

        for (size_t d = 0; d < o->n_dets; d++) {
                const det_t *dt = &o->dets[d];

                for (size_t i = 0; i < sw[d].n; i++) {
                        hb_detector_config_t cfg = dt->cfg;
                        double sus = dt->suspect, dead = dt->dead;
                        double v = sw[d].values[i];
                        char err[128];
                        int e;

                        if (key_apply(sw[d].key, v, &cfg, &sus, &dead, err,
                                      sizeof(err)) < 0 ||
                            hb_detector_config_validate(&cfg) < 0)
                                return fail(2, "--sweep: %s=%g is out of "
                                               "range for %s",
                                            sw[d].key->name, v,
                                            hb_detector_kind_name(dt->kind));
                        pts[k].det = d;
                        pts[k].value = v;
                        /* The curve follows the level the key moves. */
                        pts[k].thr = sw[d].key->type == KT_DEAD ? dead : sus;
                        e = evaluate(cx, &cfg, pts[k].thr, &pts[k].r);
                        if (e < 0)
                                return report_eval_error(e, dt);
                        k++;
                }
        }
        *n_pts = k;
        return 0;
}

static int write_csv(const char *path, const opts_t *o, const sweep_t *sw,
                     const point_t *pts, size_t n_pts)
{
        FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
        int bad;

        if (f == NULL)
                return fail(1, "cannot write %s: %s", path, strerror(errno));
        fputs("detector,param,value,T_D_ms,mistakes_per_hour,T_MR_s,T_M_ms,"
              "P_A\n",
              f);
        for (size_t i = 0; i < n_pts; i++) {
                const hb_qos_result_t *r = &pts[i].r;
                const char *label = o->dets[pts[i].det].label;

                csv_fwrite(f, label, strlen(label));
                fprintf(f, ",%s,%.10g,", sw[pts[i].det].key->name,
                        pts[i].value);
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
        return bad ? fail(1, "error writing %s", path) : 0;
}

static void print_text(const opts_t *o, const hbt_trace_t *t,
                       const ctx_t *cx, const sweep_t *sw,
                       const point_t *pts, size_t n_pts)
{
        double interval_ms = (double)o->dets[0].cfg.interval_ns / 1e6;
        static const char *const crash_text[] = {
                [CRASH_TRACE] = "crash row in the trace",
                [CRASH_LAST] = "no crash row: T_D from a virtual crash at "
                               "the last arrival",
                [CRASH_NONE] = "no crash: T_D not computed",
                [CRASH_AT] = "virtual crash (--crash-at)",
                [CRASH_EACH] = "no crash row: T_D is the mean over virtual "
                               "crashes after each arrival",
        };

        printf("trace %s: peer %s, %zu arrivals over %.1f s, interval "
               "%g ms; %s\n",
               o->trace_path, t->peer[0] ? t->peer : "?", cx->n,
               (double)(cx->end_ns - cx->arr[0].arrival_ns) / 1e9,
               interval_ms, crash_text[cx->mode]);
        for (size_t d = 0; d < o->n_dets; d++) {
                const det_t *dt = &o->dets[d];

                printf("\n%s%s%s%s  (%.0f B/s per monitored peer)\n",
                       dt->label, dt->label_opt ? " [" : "",
                       dt->label_opt ? hb_detector_kind_name(dt->kind) : "",
                       dt->label_opt ? "]" : "",
                       HEARTBEAT_BYTES * 1e9 / (double)dt->cfg.interval_ns);
                printf("  %-8s %-9s %9s %9s %12s %11s %9s %13s\n", "level",
                       "threshold", "T_D ms", "mistakes", "mistakes/h",
                       "T_MR s", "T_M ms", "P_A");
                table_row("suspect", dt->suspect, &dt->res[0]);
                table_row("dead", dt->dead, &dt->res[1]);
        }
        for (size_t d = 0; sw != NULL && d < o->n_dets; d++) {
                printf("\nsweep of %s for %s:\n", sw[d].key->name,
                       o->dets[d].label);
                printf("  %-8s %-9s %9s %9s %12s %11s %9s %13s\n", "", "value",
                       "T_D ms", "mistakes", "mistakes/h", "T_MR s", "T_M ms",
                       "P_A");
                for (size_t i = 0; i < n_pts; i++)
                        if (pts[i].det == d)
                                table_row("", pts[i].value, &pts[i].r);
        }
}

static void print_json(const opts_t *o, const hbt_trace_t *t,
                       const ctx_t *cx, const sweep_t *sw,
                       const point_t *pts, size_t n_pts)
{
        static const char *const crash_name[] = {
                [CRASH_TRACE] = "trace", [CRASH_LAST] = "last",
                [CRASH_NONE] = "none", [CRASH_AT] = "at",
                [CRASH_EACH] = "each",
        };
        FILE *f = stdout;

        fputs("{\"trace\": {\"path\": ", f);
        json_str(f, o->trace_path);
        fputs(", \"peer\": ", f);
        json_str(f, t->peer);
        fprintf(f, ", \"arrivals\": %zu, \"duration_s\": ", cx->n);
        json_num(f, (double)(cx->end_ns - cx->arr[0].arrival_ns) / 1e9);
        fputs(", \"interval_ms\": ", f);
        json_num(f, (double)o->dets[0].cfg.interval_ns / 1e6);
        fprintf(f, ", \"crash\": \"%s\"}", crash_name[cx->mode]);
        fputs(",\n \"configurations\": [", f);
        for (size_t d = 0; d < o->n_dets; d++) {
                const det_t *dt = &o->dets[d];

                fprintf(f, "%s\n  {\"detector\": \"%s\", \"label\": ",
                        d ? "," : "", hb_detector_kind_name(dt->kind));
                json_str(f, dt->label);
                fputs(", \"bytes_per_s\": ", f);
                json_num(f, HEARTBEAT_BYTES * 1e9 /
                                    (double)dt->cfg.interval_ns);
                fputs(",\n   \"suspect\": ", f);
                json_metrics(f, dt->suspect, &dt->res[0]);
                fputs(",\n   \"dead\": ", f);
                json_metrics(f, dt->dead, &dt->res[1]);
                fputs("}", f);
        }
        fputs("]", f);
        if (sw != NULL) {
                fputs(",\n \"sweep\": [", f);
                for (size_t i = 0; i < n_pts; i++) {
                        fprintf(f, "%s\n  {\"detector\": ", i ? "," : "");
                        json_str(f, o->dets[pts[i].det].label);
                        fprintf(f, ", \"param\": \"%s\", \"value\": ",
                                sw[pts[i].det].key->name);
                        json_num(f, pts[i].value);
                        fputs(", \"metrics\": ", f);
                        json_metrics(f, pts[i].thr, &pts[i].r);
                        fputs("}", f);
                }
                fputs("]", f);
        }
        fputs("}\n", f);
}

static int load_trace(const opts_t *o, hbt_trace_t **tp, ctx_t *cx)
{
        char err[512] = "";
        hbt_trace_t *t;
        int e = hbt_read(tp, o->trace_path, err, sizeof(err));

        if (e < 0)
                return fail(e == -ENOMEM ? 1 : 2, "%s%s%s",
                            err[0] ? err : o->trace_path, err[0] ? "" : ": ",
                            err[0] ? "" : strerror(-e));
        t = *tp;
        if (t->n == 0)
                return fail(2, "%s: no heartbeat arrivals", o->trace_path);
        cx->arr = t->arrivals;
        cx->n = t->n;
        cx->end_ns = t->end_ns;
        if (t->crash_ns != HB_NEVER) {
                cx->mode = CRASH_TRACE;
                cx->crash_ns = t->crash_ns;
                if (t->crash_ns < t->arrivals[0].arrival_ns)
                        return fail(2, "%s: the crash comes before the "
                                       "first arrival",
                                    o->trace_path);
        } else {
                cx->mode = o->crash_mode;
                cx->crash_ns = t->arrivals[0].arrival_ns +
                               (uint64_t)llround(o->crash_at_s * 1e9);
        }
        if (cx->end_ns < t->arrivals[t->n - 1].arrival_ns)
                cx->end_ns = t->arrivals[t->n - 1].arrival_ns;
        return 0;
}

int hbsim_cmd_eval(int argc, char **argv)
{
        opts_t *o = calloc(1, sizeof(*o));
        hbt_trace_t *t = NULL;
        sweep_t *sw = NULL;
        point_t *pts = NULL;
        size_t n_pts = 0, total = 0;
        uint64_t interval_ns;
        ctx_t cx = { 0 };
        int rc;

        if (o == NULL)
                return 1;
        o->crash_mode = CRASH_LAST;
        rc = parse_args(argc, argv, o);
        if (rc >= 0)
                goto out;
        rc = 2;
        if ((o->csv_path || o->plot_path) && !o->global_sweep) {
                bool any = false;

                for (size_t d = 0; d < o->n_dets; d++)
                        any |= o->dets[d].sweep != NULL;
                if (!any) {
                        fail(2, "--csv and --plot need --sweep");
                        goto out;
                }
        }
        rc = load_trace(o, &t, &cx);
        if (rc != 0)
                goto out;
        rc = 2;
        if (o->interval_ms > 0) {
                interval_ns = (uint64_t)llround(o->interval_ms * 1e6);
        } else if (t->interval_ns > 0) {
                interval_ns = t->interval_ns;
        } else {
                fail(2, "%s has no interval_ns metadata; give --interval-ms",
                     o->trace_path);
                goto out;
        }
        if (o->plot_path && cx.mode == CRASH_NONE) {
                fail(2, "--plot needs T_D: drop --crash-at none");
                goto out;
        }
        for (size_t d = 0; d < o->n_dets; d++) {
                det_t *dt = &o->dets[d];

                if (det_resolve(dt, d, interval_ns) < 0)
                        goto out;
                for (int l = 0; l < 2; l++) {
                        int e = evaluate(&cx, &dt->cfg,
                                         l ? dt->dead : dt->suspect,
                                         &dt->res[l]);

                        if (e < 0) {
                                rc = report_eval_error(e, dt);
                                goto out;
                        }
                }
        }
        if (o->global_sweep || o->csv_path || o->plot_path ||
            o->dets[0].sweep) {
                sw = calloc(o->n_dets, sizeof(*sw));
                if (sw == NULL) {
                        rc = 1;
                        goto out;
                }
                rc = resolve_sweeps(o, sw);
                if (rc != 0)
                        goto out;
                for (size_t d = 0; d < o->n_dets; d++)
                        total += sw[d].n;
                pts = calloc(total, sizeof(*pts));
                if (pts == NULL) {
                        rc = 1;
                        goto out;
                }
                rc = run_sweeps(o, &cx, sw, pts, &n_pts);
                if (rc != 0)
                        goto out;
        }
        if (o->json)
                print_json(o, t, &cx, sw, pts, n_pts);
        else
                print_text(o, t, &cx, sw, pts, n_pts);
        rc = 0;
        if (o->csv_path)
                rc = write_csv(o->csv_path, o, sw, pts, n_pts);
        if (rc == 0 && o->plot_path) {
                char title[512];
                const char *base = strrchr(o->trace_path, '/');
                plot_in_t in = {
                        .path = o->plot_path,
                        .dets = o->dets,
                        .n_dets = o->n_dets,
                        .sweeps = sw,
                        .pts = pts,
                        .n_pts = n_pts,
                        .hours = o->dets[0].res[0].alive_s / 3600.0,
                };

                static const char *const xlabel[] = {
                        [CRASH_TRACE] = "detection time T_D (ms): crash to "
                                        "suspicion",
                        [CRASH_AT] = "detection time T_D (ms): crash to "
                                     "suspicion",
                        [CRASH_LAST] = "detection time T_D (ms): last "
                                       "heartbeat to suspicion",
                        [CRASH_EACH] = "detection time T_D (ms): heartbeat "
                                       "to suspicion, mean over all "
                                       "heartbeats",
                };

                in.xlabel = xlabel[cx.mode];
                snprintf(title, sizeof(title),
                         "%s: %.1f h, %zu heartbeats at %g ms",
                         base ? base + 1 : o->trace_path, in.hours, cx.n,
                         (double)interval_ns / 1e6);
                in.title = o->title ? o->title : title;
                if (run_gnuplot(&in) < 0)
                        rc = 1;
        }
        if (fflush(stdout) != 0)
                rc = 1;
out:
        for (size_t d = 0; sw != NULL && d < o->n_dets; d++)
                free(sw[d].values);
        free(sw);
        free(pts);
        hbt_free(t);
        free(o);
        return rc;
}
