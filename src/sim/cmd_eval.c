/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim eval: replay an arrival trace (docs/trace-format.md) through
 * detector configurations and report the QoS metrics of Chen, Toueg and
 * Aguilera (hbt_qos_evaluate(), src/tools/qos.h); optionally sweep one
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
 * trace without a crash, up to its end row (when the trace ends at its
 * last arrival, all come from the replay with the virtual crash).
 * --crash-at each averages that bound over a virtual crash after every
 * arrival: the adaptive detectors' T_D moves with their history, and one
 * crash at the end samples it only once. Both are one replay per
 * configuration (hbt_qos_evaluate_levels(), HBT_QOS_TD_LAST and _EACH).
 *
 * Replays. The detector's state does not depend on the threshold, so all
 * the thresholds of one configuration are judged in one replay: a
 * detector's suspect and dead thresholds and its threshold sweep are one
 * replay, a parameter sweep one per point (plan()). The replays run on
 * --threads threads (eval_run.c); the results do not depend on it.
 *
 * Output (text table, JSON, CSV, plot) is in eval_output.c; the types
 * the three files share are in eval.h.
 *
 * Exit status: 0; 1 (I/O error, gnuplot failed, out of memory); 2 (bad
 * option or bad trace, with a message on stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "hbeat/hbeat.h"
#include "tools/qos.h"
#include "sim/cmd.h"
#include "sim/eval.h"
#include "tools/trace.h"

#define MAX_SWEEP_VALUES 10000

/* ---- parameters -------------------------------------------------------- */

#define KB(k) HB_DETECTOR_KIND_BIT(k)
#define ALL_KINDS                                                             \
        (KB(HB_DETECTOR_FIXED) | KB(HB_DETECTOR_PHI) | KB(HB_DETECTOR_CHEN) | \
         KB(HB_DETECTOR_BERTIER) | KB(HB_DETECTOR_PHI_EXP) |                  \
         KB(HB_DETECTOR_ADAPTIVE))

/*
 * Keys: the thresholds, here, and every detector parameter of the core's
 * schema (hb_detector_param_at(): the config file's detector.* keys, and
 * first_estimate_ms, which only tools set), under its key or an alias
 * below. Ranges are the detectors' own (hb_detector_config_validate()).
 */
static const hbsim_eval_param_t thresholds[] = {
        { "threshold", HBSIM_EVAL_KT_SUSPECT, NULL, ALL_KINDS,
          "suspect threshold (also: suspect_threshold)" },
        { "suspect_threshold", HBSIM_EVAL_KT_SUSPECT, NULL, ALL_KINDS, NULL },
        { "k", HBSIM_EVAL_KT_SUSPECT, NULL, KB(HB_DETECTOR_FIXED),
          "fixed: suspect after k missed intervals (= threshold)" },
        { "dead_threshold", HBSIM_EVAL_KT_DEAD, NULL, ALL_KINDS,
          "dead threshold" },
};

/* Short names kept for schema keys. */
static const struct alias {
        const char *name, *key;
} aliases[] = {
        { "alpha_ms", "chen_alpha_ms" },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The schema's parameter `key` (`len` bytes), with its kinds, or NULL. */
static const hb_detector_param_t *schema_find(const char *key, size_t len,
                                              unsigned *kinds)
{
        const hb_detector_param_t *p;

        for (size_t i = 0;
             (p = hb_detector_param_at(HB_DETECTOR_ALL, i, kinds)); i++)
                if (strlen(p->key) == len && memcmp(p->key, key, len) == 0)
                        return p;
        return NULL;
}

/* Resolve the key `name` (`len` bytes) into `out`; false if unknown. */
static bool key_find(const char *name, size_t len, hbsim_eval_param_t *out)
{
        const hb_detector_param_t *p;
        unsigned kinds;

        for (size_t i = 0; i < N_OF(thresholds); i++) {
                if (strlen(thresholds[i].name) == len &&
                    memcmp(thresholds[i].name, name, len) == 0) {
                        *out = thresholds[i];
                        return true;
                }
        }
        p = schema_find(name, len, &kinds);
        for (size_t i = 0; p == NULL && i < N_OF(aliases); i++) {
                if (strlen(aliases[i].name) == len &&
                    memcmp(aliases[i].name, name, len) == 0) {
                        p = schema_find(aliases[i].key,
                                        strlen(aliases[i].key), &kinds);
                        if (p != NULL) {
                                *out = (hbsim_eval_param_t){
                                        aliases[i].name,
                                        HBSIM_EVAL_KT_PARAM, p, kinds, NULL,
                                };
                                return true;
                        }
                }
        }
        if (p == NULL)
                return false;
        *out = (hbsim_eval_param_t){ p->key, HBSIM_EVAL_KT_PARAM, p, kinds,
                                     NULL };
        return true;
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

int hbsim_eval_fail(int rc, const char *fmt, ...)
{
        va_list ap;

        fputs(HBSIM_EVAL_PROG ": ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return rc;
}

/* ---- detector configurations ------------------------------------------- */

/* Set one key to `v` in (cfg, thresholds). -EINVAL with a message in
 * `err` if the value cannot be represented. */
static int key_apply(const hbsim_eval_param_t *k, double v,
                     hb_detector_config_t *cfg, double *suspect, double *dead,
                     char *err, size_t errlen)
{
        switch (k->type) {
        case HBSIM_EVAL_KT_SUSPECT:
        case HBSIM_EVAL_KT_DEAD:
                if (!(v > 0)) {
                        snprintf(err, errlen, "%s must be > 0", k->name);
                        return -EINVAL;
                }
                *(k->type == HBSIM_EVAL_KT_SUSPECT ? suspect : dead) = v;
                return 0;
        case HBSIM_EVAL_KT_PARAM:
                if (hb_detector_param_set(k->param, cfg, v) == 0)
                        return 0;
                /* What the field cannot hold (detector.h). */
                snprintf(err, errlen,
                         k->param->type == HB_DETECTOR_PARAM_COUNT
                                 ? "%s must be a whole number >= 0"
                                 : "%s must be in 0..1e10 ms",
                         k->name);
                return -EINVAL;
        }
        return -EINVAL;
}

/* Split "key=value", find the key, check it applies to `kind`. */
static int parse_assignment(const char *s, hb_detector_kind_t kind,
                            hbsim_eval_param_t *key, const char **value,
                            char *err, size_t errlen)
{
        const char *eq = strchr(s, '=');

        if (eq == NULL) {
                snprintf(err, errlen, "'%s' is not KEY=VALUE", s);
                return -EINVAL;
        }
        if (!key_find(s, (size_t)(eq - s), key)) {
                snprintf(err, errlen,
                         "unknown parameter '%.*s' (see --help for the list)",
                         (int)(eq - s), s);
                return -EINVAL;
        }
        if (!(key->kinds & KB(kind))) {
                snprintf(err, errlen, "parameter '%s' does not apply to "
                                      "detector %s",
                         key->name, hb_detector_kind_name(kind));
                return -EINVAL;
        }
        *value = eq + 1;
        return 0;
}

/* Defaults at `interval_ns`, then the --set assignments, then validate. */
static int det_resolve(hbsim_eval_det_t *d, size_t idx, uint64_t interval_ns)
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
                hbsim_eval_param_t k;
                const char *val;
                double v;

                if (parse_assignment(d->sets[i], d->kind, &k, &val, err,
                                     sizeof(err)) < 0)
                        goto bad;
                if (parse_double(val, &v) < 0) {
                        snprintf(err, sizeof(err), "%s: '%s' is not a number",
                                 k.name, val);
                        goto bad;
                }
                if (key_apply(&k, v, &d->cfg, &d->suspect, &d->dead, err,
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
                        hbsim_eval_param_t k;
                        const char *val;
                        double v, t1, t2;

                        hb_detector_config_default(&one, d->kind,
                                                   interval_ns);
                        parse_assignment(d->sets[i], d->kind, &k, &val, err,
                                         sizeof(err));
                        parse_double(val, &v);
                        key_apply(&k, v, &one, &t1, &t2, err, sizeof(err));
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
        return -hbsim_eval_fail(2, "detector %zu (%s): %s", idx + 1,
                                hb_detector_kind_name(d->kind), err);
}

/* ---- evaluation -------------------------------------------------------- */

typedef struct ctx {
        const hbt_arrival_t *arr;
        size_t n;
        uint64_t end_ns;
        enum hbsim_eval_crash mode;
        uint64_t crash_ns;              /* crash row, --crash-at SECONDS */
} ctx_t;

/* The replays' crash and T_D for `cx` (hbt_qos_evaluate_levels()): the
 * crash row or --crash-at SECONDS; none; or a virtual crash at the last
 * arrival or after each (see the file comment). */
static hbt_qos_td_t td_of(const ctx_t *cx, uint64_t *crash_ns)
{
        *crash_ns = HB_NEVER;
        switch (cx->mode) {
        case HBSIM_EVAL_CRASH_TRACE:
        case HBSIM_EVAL_CRASH_AT:
                *crash_ns = cx->crash_ns;
                return HBT_QOS_TD_CRASH;
        case HBSIM_EVAL_CRASH_NONE:
                return HBT_QOS_TD_CRASH;
        case HBSIM_EVAL_CRASH_EACH:
                return HBT_QOS_TD_EACH;
        case HBSIM_EVAL_CRASH_LAST:
                break;
        }
        return HBT_QOS_TD_LAST;
}

static int report_eval_error(int e, const hbsim_eval_det_t *d)
{
        return hbsim_eval_fail(e == -ENOMEM ? 1 : 2,
                               "%s: evaluation failed: %s", d->label,
                               hb_strerror(e));
}

/* ---- sweeps ------------------------------------------------------------ */

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

/* ---- the command ------------------------------------------------------- */

static void usage(FILE *f)
{
        const hb_detector_param_t *p;
        unsigned kinds;

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
"  --plot FILE.svg     plot the sweep with gnuplot: T_D vs mistakes/hour,\n"
"                      a colour per detector kind, each configuration as\n"
"                      given marked at its suspect (square) and dead\n"
"                      (triangle) threshold, the hbeat default ringed\n"
"  --plot-log AXES     logarithmic axes: auto (default: an axis whose\n"
"                      largest value is over 20 times its smallest\n"
"                      non-zero one; zero rates on a line labelled 0),\n"
"                      td, rate, both or none\n"
"  --mark-default      ring hbeat's default (phi, suspect 8, dead 50) on\n"
"                      the plot even if no --detector is it (a phi at its\n"
"                      defaults is ringed anyway)\n"
"  --title TEXT        plot title (default: the trace file)\n"
"  --json              machine-readable output on stdout\n"
"  --threads N         replays at once (default: the CPUs online; the\n"
"                      results do not depend on it)\n"
"  -h, --help          this text\n"
"\n"
"trace input: hbeat-trace v1, or columns of seq, send and arrival times\n"
"(CSV, tabs or spaces); gzip or not (docs/trace-format.md, \"Other\n"
"layouts\"):\n"
HBT_READ_OPTS_HELP
"\n"
"keys (--set, --sweep; _ms keys in milliseconds, fractions allowed):\n");
        for (size_t i = 0; i < N_OF(thresholds); i++)
                if (thresholds[i].help != NULL) /* NULL: an alias */
                        fprintf(f, "  %-22s %s\n", thresholds[i].name,
                                thresholds[i].help);
        for (size_t i = 0;
             (p = hb_detector_param_at(HB_DETECTOR_ALL, i, &kinds)); i++) {
                char who[HBU_KINDS_MAX];

                hbu_kinds_phrase(kinds, who, sizeof(who));
                fprintf(f, "  %-22s %s%s%s", p->key, who, who[0] ? ": " : "",
                        p->help);
                for (size_t a = 0; a < N_OF(aliases); a++)
                        if (strcmp(aliases[a].key, p->key) == 0)
                                fprintf(f, " (also: %s)", aliases[a].name);
                fputc('\n', f);
        }
}

typedef struct opts {
        const char *trace_path;
        hbsim_eval_det_t dets[HBSIM_EVAL_MAX_DETECTORS];
        size_t n_dets;
        const char *global_sweep;
        const char *csv_path, *plot_path, *title;
        double interval_ms;             /* 0 = from the trace */
        enum hbsim_eval_crash crash_mode;
        double crash_at_s;
        bool json;
        hbt_read_opts_t read;           /* --trace-layout, ... */
        enum hbsim_eval_plot_log plot_log;
        bool mark_default;
        hbsim_eval_det_t dflt;          /* --mark-default, when no
                                           --detector is the default */
        unsigned threads;               /* replays at once, >= 1 */
} opts_t;

static int plot_log_parse(const char *s, enum hbsim_eval_plot_log *out)
{
        static const char *const names[] = {
                [HBSIM_EVAL_LOG_AUTO] = "auto",
                [HBSIM_EVAL_LOG_NONE] = "none",
                [HBSIM_EVAL_LOG_TD] = "td",
                [HBSIM_EVAL_LOG_RATE] = "rate",
                [HBSIM_EVAL_LOG_BOTH] = "both",
        };

        for (size_t i = 0; i < N_OF(names); i++)
                if (strcmp(s, names[i]) == 0) {
                        *out = (enum hbsim_eval_plot_log)i;
                        return 0;
                }
        return -EINVAL;
}

/* One replay per CPU online, at most 64. */
static unsigned default_threads(void)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

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
                { "mark-default", no_argument, NULL, 'D' },
                { "plot-log", required_argument, NULL, 'l' },
                { "json", no_argument, NULL, 'j' },
                { "threads", required_argument, NULL, 'T' },
                { "help", no_argument, NULL, 'h' },
                HBT_READ_LONGOPTS,
                { NULL, 0, NULL, 0 },
        };
        hbsim_eval_det_t *last = NULL;
        char err[256];
        double v;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        if (o->n_dets == HBSIM_EVAL_MAX_DETECTORS)
                                return hbsim_eval_fail(
                                        2, "at most %d --detector",
                                        HBSIM_EVAL_MAX_DETECTORS);
                        last = &o->dets[o->n_dets];
                        if (hb_detector_kind_parse(optarg, &last->kind) < 0)
                                return hbsim_eval_fail(2,
                                        "unknown detector '%s' (fixed, phi, "
                                        "chen, bertier, phi_exp, adaptive)",
                                        optarg);
                        o->n_dets++;
                        break;
                case 's':
                case 'L':
                        if (last == NULL)
                                return hbsim_eval_fail(2,
                                        "--%s '%s' comes before any "
                                        "--detector",
                                        c == 's' ? "set" : "label", optarg);
                        if (c == 'L')
                                last->label_opt = optarg;
                        else if (last->n_sets == HBSIM_EVAL_MAX_SETS)
                                return hbsim_eval_fail(2, "too many --set");
                        else
                                last->sets[last->n_sets++] = optarg;
                        break;
                case 'i':
                        if (parse_double(optarg, &o->interval_ms) < 0 ||
                            o->interval_ms < 1 || o->interval_ms > 3600000)
                                return hbsim_eval_fail(2,
                                        "--interval-ms '%s' is not in "
                                        "1..3600000",
                                        optarg);
                        break;
                case 'c':
                        if (strcmp(optarg, "last") == 0)
                                o->crash_mode = HBSIM_EVAL_CRASH_LAST;
                        else if (strcmp(optarg, "none") == 0)
                                o->crash_mode = HBSIM_EVAL_CRASH_NONE;
                        else if (strcmp(optarg, "each") == 0)
                                o->crash_mode = HBSIM_EVAL_CRASH_EACH;
                        else if (parse_double(optarg, &o->crash_at_s) == 0 &&
                                 o->crash_at_s >= 0 && o->crash_at_s < 1e9)
                                o->crash_mode = HBSIM_EVAL_CRASH_AT;
                        else
                                return hbsim_eval_fail(2,
                                        "--crash-at '%s' is not last, each, "
                                        "none or seconds >= 0",
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
                case 'D':
                        o->mark_default = true;
                        break;
                case 'l':
                        if (plot_log_parse(optarg, &o->plot_log) < 0)
                                return hbsim_eval_fail(2,
                                        "--plot-log '%s' is not auto, td, "
                                        "rate, both or none",
                                        optarg);
                        break;
                case 'j':
                        o->json = true;
                        break;
                case 'T':
                        if (parse_double(optarg, &v) < 0 || v < 1 ||
                            v > 64 || v != floor(v))
                                return hbsim_eval_fail(2,
                                        "--threads '%s' is not in 1..64",
                                        optarg);
                        o->threads = (unsigned)v;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        r = hbt_read_opt(&o->read, c, optarg, err,
                                         sizeof(err));
                        if (r > 0)
                                break;
                        if (r < 0)
                                return hbsim_eval_fail(2, "%s", err);
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1)
                return hbsim_eval_fail(2, "expected one TRACE file (see "
                                          "--help)");
        o->trace_path = argv[optind];
        if (o->n_dets == 0) {
                o->dets[0].kind = HB_DETECTOR_PHI;
                o->n_dets = 1;
        }
        return -1;      /* continue */
}

/* Resolve each detector's sweep: its own spec, else the global one. */
static int resolve_sweeps(const opts_t *o, hbsim_eval_sweep_t *sw)
{
        for (size_t d = 0; d < o->n_dets; d++) {
                const hbsim_eval_det_t *dt = &o->dets[d];
                const char *spec = dt->sweep ? dt->sweep : o->global_sweep;
                const char *name;
                bool found;
                size_t len;
                int e;

                if (spec == NULL)
                        return hbsim_eval_fail(2, "detector %zu (%s) has no "
                                                  "--sweep; give one after "
                                                  "it or one before all "
                                                  "--detector",
                                               d + 1, dt->label);
                e = sweep_parse(spec, &name, &len, &sw[d].values, &sw[d].n);
                if (e == -ENOMEM)
                        return hbsim_eval_fail(1, "out of memory");
                if (e < 0)
                        return hbsim_eval_fail(2, "bad --sweep '%s' (PARAM="
                                                  "START:STOP:STEP with STEP "
                                                  "> 0, or PARAM=V1,V2,...; "
                                                  "at most %d values)",
                                               spec, MAX_SWEEP_VALUES);
                found = key_find(name, len, &sw[d].key);
                if (!found || !(sw[d].key.kinds & KB(dt->kind))) {
                        return hbsim_eval_fail(
                                2, "--sweep '%s': parameter '%.*s' %s "
                                   "detector %s",
                                spec, (int)len, name,
                                found ? "does not apply to"
                                      : "is unknown (--help); for",
                                hb_detector_kind_name(dt->kind));
                }
        }
        return 0;
}

/*
 * The plan of every evaluation (sw: NULL without --sweep): result slots,
 * per detector in table order, for its suspect and dead thresholds and
 * then its sweep points (filling pts[] but for their results), and the
 * replays that fill them (hbsim_eval_job_t). The detector's state does
 * not depend on the threshold, so one replay judges every threshold of a
 * configuration: a detector and its threshold sweep are one replay; a
 * parameter sweep takes one per point. Sizes: 2 n_dets + the points for
 * thr, n_dets + the points for jobs.
 */
static int plan(const opts_t *o, const hbsim_eval_sweep_t *sw,
                hbsim_eval_point_t *pts, double *thr, hbsim_eval_job_t *jobs,
                size_t *n_jobs)
{
        size_t k = 0, slot = 0, nj = 0;

        for (size_t d = 0; d < o->n_dets; d++) {
                const hbsim_eval_det_t *dt = &o->dets[d];
                size_t n = sw != NULL ? sw[d].n : 0;
                bool by_thr = n > 0 && sw[d].key.type != HBSIM_EVAL_KT_PARAM;

                jobs[nj++] = (hbsim_eval_job_t){
                        .cfg = dt->cfg, .det = d, .first = slot,
                        .n = by_thr ? 2 + n : 2,
                };
                thr[slot++] = dt->suspect;
                thr[slot++] = dt->dead;
                for (size_t i = 0; i < n; i++, k++, slot++) {
                        hb_detector_config_t cfg = dt->cfg;
                        double sus = dt->suspect, dead = dt->dead;
                        double v = sw[d].values[i];
                        char err[128];

                        if (key_apply(&sw[d].key, v, &cfg, &sus, &dead, err,
                                      sizeof(err)) < 0 ||
                            hb_detector_config_validate(&cfg) < 0)
                                return hbsim_eval_fail(
                                        2, "--sweep: %s=%g is out of range "
                                           "for %s",
                                        sw[d].key.name, v,
                                        hb_detector_kind_name(dt->kind));
                        pts[k].det = d;
                        pts[k].value = v;
                        /* The curve follows the level the key moves. */
                        pts[k].thr = sw[d].key.type == HBSIM_EVAL_KT_DEAD
                                             ? dead
                                             : sus;
                        thr[slot] = pts[k].thr;
                        if (!by_thr)
                                jobs[nj++] = (hbsim_eval_job_t){
                                        .cfg = cfg, .det = d, .first = slot,
                                        .n = 1,
                                };
                }
        }
        *n_jobs = nj;
        return 0;
}

/* Plan and run every evaluation; results into o->dets[].res and pts. */
static int evaluate_all(opts_t *o, const ctx_t *cx,
                        const hbsim_eval_sweep_t *sw, hbsim_eval_point_t *pts,
                        size_t n_pts)
{
        size_t slots = 2 * o->n_dets + n_pts, n_jobs = 0, failed, slot = 0;
        double *thr = calloc(slots, sizeof(*thr));
        hbt_qos_result_t *res = calloc(slots, sizeof(*res));
        hbsim_eval_job_t *jobs = calloc(o->n_dets + n_pts, sizeof(*jobs));
        hbsim_eval_run_t run;
        int rc = 1, e;

        if (thr == NULL || res == NULL || jobs == NULL) {
                hbsim_eval_fail(1, "out of memory");
                goto out;
        }
        rc = plan(o, sw, pts, thr, jobs, &n_jobs);
        if (rc != 0)
                goto out;
        run = (hbsim_eval_run_t){
                .arr = cx->arr, .n = cx->n, .end_ns = cx->end_ns,
                .jobs = jobs, .n_jobs = n_jobs, .thr = thr, .res = res,
        };
        run.td = td_of(cx, &run.crash_ns);
        e = hbsim_eval_run(&run, o->threads, &failed);
        if (e < 0) {
                rc = report_eval_error(e, &o->dets[jobs[failed].det]);
                goto out;
        }
        /* Back from the slots, in plan()'s order. */
        for (size_t d = 0, k = 0; d < o->n_dets; d++) {
                o->dets[d].res[0] = res[slot++];
                o->dets[d].res[1] = res[slot++];
                for (size_t i = 0; sw != NULL && i < sw[d].n; i++)
                        pts[k++].r = res[slot++];
        }
        rc = 0;
out:
        free(thr);
        free(res);
        free(jobs);
        return rc;
}

static int load_trace(const opts_t *o, hbt_trace_t **tp, ctx_t *cx)
{
        char err[512] = "";
        hbt_trace_t *t;
        int e = hbt_read_with(tp, o->trace_path, &o->read, err,
                              sizeof(err));

        if (e < 0)
                return hbsim_eval_fail(e == -ENOMEM ? 1 : 2, "%s%s%s",
                                       err[0] ? err : o->trace_path,
                                       err[0] ? "" : ": ",
                                       err[0] ? "" : strerror(-e));
        t = *tp;
        if (t->n == 0)
                return hbsim_eval_fail(2, "%s: no heartbeat arrivals",
                                       o->trace_path);
        cx->arr = t->arrivals;
        cx->n = t->n;
        cx->end_ns = t->end_ns;
        if (t->crash_ns != HB_NEVER) {
                cx->mode = HBSIM_EVAL_CRASH_TRACE;
                cx->crash_ns = t->crash_ns;
                if (t->crash_ns < t->arrivals[0].arrival_ns)
                        return hbsim_eval_fail(2, "%s: the crash comes "
                                                  "before the first arrival",
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

/* ---- the hbeat default on the plot ------------------------------------ */

/* Whether `d` is what hbeatd runs without a configuration file: phi (the
 * default of detector.kind, src/config/config_impl.h) with its default
 * thresholds and every parameter at its default for the interval. */
static bool det_is_default(const hbsim_eval_det_t *d, uint64_t interval_ns)
{
        const hb_detector_kind_t kind = HB_DETECTOR_PHI;
        const hb_detector_param_t *p;
        hb_detector_config_t def;

        if (d->kind != kind || d->cfg.interval_ns != interval_ns ||
            d->suspect != hb_detector_default_suspect_threshold(kind) ||
            d->dead != hb_detector_default_dead_threshold(kind))
                return false;
        hb_detector_config_default(&def, kind, interval_ns);
        for (size_t i = 0; (p = hb_detector_param_at(kind, i, NULL)); i++)
                if (hb_detector_param_get(p, &d->cfg) !=
                    hb_detector_param_get(p, &def))
                        return false;
        return true;
}

/* The configuration the plot rings as the hbeat default: the first that
 * is it; else, with --mark-default, o->dflt evaluated here; else NULL. */
static int plot_default(opts_t *o, const ctx_t *cx, uint64_t interval_ns,
                        const hbsim_eval_det_t **out)
{
        hbsim_eval_det_t *d = &o->dflt;

        *out = NULL;
        for (size_t i = 0; i < o->n_dets; i++)
                if (det_is_default(&o->dets[i], interval_ns)) {
                        *out = &o->dets[i];
                        return 0;
                }
        if (!o->mark_default)
                return 0;
        d->kind = HB_DETECTOR_PHI;
        if (det_resolve(d, o->n_dets, interval_ns) < 0)
                return 2;
        {
                /* One replay judges both of its thresholds. */
                hbsim_eval_job_t job = { .cfg = d->cfg, .n = 2 };
                double thr[2] = { d->suspect, d->dead };
                hbsim_eval_run_t run = {
                        .arr = cx->arr, .n = cx->n, .end_ns = cx->end_ns,
                        .jobs = &job, .n_jobs = 1, .thr = thr,
                        .res = d->res,
                };
                size_t failed;
                int e;

                run.td = td_of(cx, &run.crash_ns);
                e = hbsim_eval_run(&run, 1, &failed);
                if (e < 0)
                        return report_eval_error(e, d);
        }
        *out = d;
        return 0;
}

int hbsim_cmd_eval(int argc, char **argv)
{
        opts_t *o = calloc(1, sizeof(*o));
        hbt_trace_t *t = NULL;
        hbsim_eval_sweep_t *sw = NULL;
        hbsim_eval_point_t *pts = NULL;
        size_t n_pts = 0;
        uint64_t interval_ns;
        ctx_t cx = { 0 };
        hbsim_eval_report_t rep;
        const hbsim_eval_det_t *dflt = NULL;
        int rc;

        if (o == NULL)
                return 1;
        o->crash_mode = HBSIM_EVAL_CRASH_LAST;
        o->threads = default_threads();
        rc = parse_args(argc, argv, o);
        if (rc >= 0)
                goto out;
        rc = 2;
        if ((o->csv_path || o->plot_path) && !o->global_sweep) {
                bool any = false;

                for (size_t d = 0; d < o->n_dets; d++)
                        any |= o->dets[d].sweep != NULL;
                if (!any) {
                        hbsim_eval_fail(2, "--csv and --plot need --sweep");
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
                hbsim_eval_fail(2, "%s has no interval_ns metadata; give "
                                   "--interval-ms",
                                o->trace_path);
                goto out;
        }
        if (o->plot_path && cx.mode == HBSIM_EVAL_CRASH_NONE) {
                hbsim_eval_fail(2, "--plot needs T_D: drop --crash-at none");
                goto out;
        }
        for (size_t d = 0; d < o->n_dets; d++)
                if (det_resolve(&o->dets[d], d, interval_ns) < 0)
                        goto out;
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
                        n_pts += sw[d].n;
                pts = calloc(n_pts, sizeof(*pts));
                if (pts == NULL) {
                        rc = 1;
                        goto out;
                }
        }
        rc = evaluate_all(o, &cx, sw, pts, n_pts);
        if (rc != 0)
                goto out;
        if (o->plot_path) {
                rc = plot_default(o, &cx, interval_ns, &dflt);
                if (rc != 0)
                        goto out;
        }
        rep = (hbsim_eval_report_t){
                .trace_path = o->trace_path,
                .peer = t->peer,
                .arrivals = cx.n,
                .duration_s = (double)(cx.end_ns - cx.arr[0].arrival_ns) / 1e9,
                .interval_ns = interval_ns,
                .crash = cx.mode,
                .dets = o->dets,
                .n_dets = o->n_dets,
                .sweeps = sw,
                .pts = pts,
                .n_pts = n_pts,
                .dflt = dflt,
        };
        rc = 0;
        if (o->json)
                rc = hbsim_eval_print_json(&rep);
        else
                hbsim_eval_print_text(&rep);
        if (rc == 0 && o->csv_path)
                rc = hbsim_eval_write_csv(&rep, o->csv_path);
        if (rc == 0 && o->plot_path) {
                hbsim_eval_plot_opts_t po = {
                        .path = o->plot_path,
                        .title = o->title,
                        .log = o->plot_log,
                };

                rc = hbsim_eval_plot(&rep, &po);
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
