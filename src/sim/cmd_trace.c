/* SPDX-License-Identifier: MIT */
/*
 * hbeat-sim trace: generate an arrival trace (CSV, docs/trace-format.md).
 *
 *   hbeat-sim trace --preset wan --seed 7 --duration-s 3600 -o wan.csv
 *   hbeat-sim trace --sender-times node7_sentinterval.csv.gz \
 *                   --preset wan -o n7-wan.csv
 *
 * The model and its parameters are tracegen.h's; this file maps options to
 * hbtg_config_t. Numeric options live in one table (name, unit, field,
 * range, help) that drives parsing, range checks and --help, so they
 * cannot drift apart. A preset is applied first, whatever its position on
 * the command line, and explicit options override it. Options of a delay
 * distribution other than the chosen one, and sender options given with
 * --sender-times, are usage errors rather than silently ignored.
 *
 * Exit: 0 ok, 1 failure (I/O, bad --sender-times file), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/cmd.h"
#include "tools/trace.h"
#include "tools/tracegen.h"

enum unit {
        U_MS,         /* value in ms, field uint64_t ns */
        U_S,          /* value in s, field uint64_t ns */
        U_INT,        /* field uint64_t */
        U_PROB,       /* field double, 0..1 */
        U_REAL,       /* field double */
};

/* Which delay distributions an option applies to (0: any). */
#define D_CONST (1u << HBTG_DELAY_CONSTANT)
#define D_NORMAL (1u << HBTG_DELAY_NORMAL)
#define D_LOGN (1u << HBTG_DELAY_LOGNORMAL)
#define D_PARETO (1u << HBTG_DELAY_PARETO)

enum group { G_GEN, G_SENDER, G_LENGTH, G_DELAY, G_LOSS };

struct num_opt {
        const char *name;
        enum unit unit;
        size_t off;                   /* in hbtg_config_t */
        double min, max;              /* in the option's unit */
        unsigned delay_mask;
        enum group group;
        const char *help;
        const char *def;              /* default as text; NULL: the
                                         hbtg_config_default() value */
};

#define F(field) offsetof(hbtg_config_t, field)

static const struct num_opt num_opts[] = {
        { "seed", U_INT, F(seed), 0, (double)UINT64_MAX, 0, G_GEN,
          "random seed: same seed, same trace", NULL },
        { "interval-ms", U_MS, F(interval_ns), 0.001, 3.6e6, 0, G_SENDER,
          "heartbeat interval", NULL },
        { "jitter-ms", U_MS, F(jitter_ns), 0, 3.6e6, 0, G_SENDER,
          "send-time jitter: uniform half-width or normal sd "
          "(< interval)", NULL },
        { "stall-rate-per-s", U_REAL, F(stall_rate_per_s), 0, 1000, 0,
          G_SENDER, "sender stalls per second (Poisson); 0 = none", NULL },
        { "stall-min-ms", U_MS, F(stall_min_ns), 0, 3.6e6, 0, G_SENDER,
          "shortest stall (length uniform in min..max)", NULL },
        { "stall-max-ms", U_MS, F(stall_max_ns), 0, 3.6e6, 0, G_SENDER,
          "longest stall", NULL },
        { "duration-s", U_S, F(duration_ns), 0.001, 1e9, 0, G_LENGTH,
          "observation length", "600; none with --count or --sender-times" },
        { "count", U_INT, F(count), 1, 1e15, 0, G_LENGTH,
          "heartbeats to send (lost ones included)", "none" },
        { "crash-at-s", U_S, F(crash_ns), 0, 1e9, 0, G_LENGTH,
          "crash the sender then (needs --duration-s)", NULL },
        { "delay-ms", U_MS, F(delay_ns), 0, 3.6e6, D_CONST, G_DELAY,
          "constant: the delay", NULL },
        { "delay-mean-ms", U_MS, F(delay_mean_ns), 0, 3.6e6,
          D_NORMAL | D_LOGN, G_DELAY,
          "normal: mean; lognormal: with --delay-sd-ms, instead of "
          "median and sigma", NULL },
        { "delay-sd-ms", U_MS, F(delay_sd_ns), 0, 3.6e6, D_NORMAL | D_LOGN,
          G_DELAY, "normal (truncated at 0) or lognormal: sd", NULL },
        { "delay-median-ms", U_MS, F(delay_median_ns), 0.000001, 3.6e6,
          D_LOGN, G_DELAY, "lognormal: median = exp(mu)", NULL },
        { "delay-sigma", U_REAL, F(delay_sigma), 0, 10, D_LOGN, G_DELAY,
          "lognormal: sd of ln(delay)", NULL },
        { "delay-scale-ms", U_MS, F(delay_scale_ns), 0.000001, 3.6e6,
          D_PARETO, G_DELAY, "pareto: scale (the minimum delay)", NULL },
        { "delay-shape", U_REAL, F(delay_shape), 0.1, 100, D_PARETO, G_DELAY,
          "pareto: shape alpha (P(D > x) = (scale/x)^alpha)", NULL },
        { "delay-tail-prob", U_PROB, F(delay_tail_prob), 0, 1, 0, G_DELAY,
          "add a Pareto extra delay with this probability", NULL },
        { "delay-tail-scale-ms", U_MS, F(delay_tail_scale_ns), 0.000001,
          3.6e6, 0, G_DELAY, "extra delay's scale (minimum)", NULL },
        { "delay-tail-shape", U_REAL, F(delay_tail_shape), 0.1, 100, 0,
          G_DELAY, "extra delay's shape alpha", NULL },
        { "delay-max-ms", U_MS, F(delay_max_ns), 0.000001, 3.6e6, 0, G_DELAY,
          "cap on every delay", NULL },
        { "loss", U_PROB, F(loss_prob), 0, 1, 0, G_LOSS,
          "independent loss probability", NULL },
        { "ge-p-good-bad", U_PROB, F(ge_p_good_bad), 0, 1, 0, G_LOSS,
          "Gilbert-Elliott: P(good -> bad) per heartbeat; 0 = off", NULL },
        { "ge-p-bad-good", U_PROB, F(ge_p_bad_good), 0, 1, 0, G_LOSS,
          "Gilbert-Elliott: P(bad -> good) per heartbeat", NULL },
        { "ge-loss-good", U_PROB, F(ge_loss_good), 0, 1, 0, G_LOSS,
          "Gilbert-Elliott: loss probability in the good state", NULL },
        { "ge-loss-bad", U_PROB, F(ge_loss_bad), 0, 1, 0, G_LOSS,
          "Gilbert-Elliott: loss probability in the bad state", NULL },
};

#define N_NUM (sizeof(num_opts) / sizeof(num_opts[0]))
#define OPT_NUM 1000                  /* getopt value of num_opts[0] */

enum {
        O_PRESET = 'P', O_PEER = 'p', O_OUT = 'o', O_JDIST = 'J',
        O_DDIST = 'D', O_SENDER = 'S', O_QUIET = 'q', O_HELP = 'h',
};

static const char *const delay_dists[] = {
        "constant", "normal", "lognormal", "pareto",
};
static const char *const jitter_dists[] = { "uniform", "normal" };

static const char *const group_titles[] = {
        "generator", "sender", "length", "network delay", "network loss",
};

static void *field(hbtg_config_t *cfg, const struct num_opt *o)
{
        return (char *)cfg + o->off;
}

static const char *unit_suffix(enum unit u)
{
        switch (u) {
        case U_MS:
                return " MS";
        case U_S:
                return " S";
        case U_PROB:
                return " P";
        case U_INT:
                return " N";
        case U_REAL:
                return " X";
        }
        return "";
}

static const char *unit_words(enum unit u)
{
        switch (u) {
        case U_MS:
                return "a number of milliseconds";
        case U_S:
                return "a number of seconds";
        case U_INT:
                return "an integer";
        case U_PROB:
                return "a probability";
        case U_REAL:
                return "a number";
        }
        return "a number";
}

static void format_default(char *buf, size_t len, const hbtg_config_t *d,
                           const struct num_opt *o)
{
        const void *p = (const char *)d + o->off;
        uint64_t v;

        if (o->def) {
                snprintf(buf, len, "%s", o->def);
                return;
        }
        switch (o->unit) {
        case U_MS:
        case U_S:
                v = *(const uint64_t *)p;
                if (v == HB_NEVER)
                        snprintf(buf, len, "none");
                else
                        snprintf(buf, len, "%g",
                                 (double)v / (o->unit == U_MS ? 1e6 : 1e9));
                break;
        case U_INT:
                snprintf(buf, len, "%" PRIu64, *(const uint64_t *)p);
                break;
        case U_PROB:
        case U_REAL:
                snprintf(buf, len, "%g", *(const double *)p);
                break;
        }
}

/* "  HEAD  text..." with the text word-wrapped at 79 columns. */
static void print_item(FILE *f, const char *head, const char *text)
{
        enum { COL = 26, WIDTH = 79 };
        int col = fprintf(f, "  %s", head);
        const char *w = text;

        if (col >= COL) {
                fputc('\n', f);
                col = 0;
        }
        while (*w) {
                size_t n = strcspn(w, " ");

                if (col > COL && col + 1 + (int)n > WIDTH) {
                        fputc('\n', f);
                        col = 0;
                }
                if (col < COL)
                        col += fprintf(f, "%*s", COL - col, "");
                else
                        col += fprintf(f, " ");
                col += fprintf(f, "%.*s", (int)n, w);
                w += n;
                while (*w == ' ')
                        w++;
        }
        fputc('\n', f);
}

static void usage(FILE *f)
{
        hbtg_config_t d;

        hbtg_config_default(&d);
        fprintf(f,
"usage: hbeat-sim trace [options] [-o FILE]\n"
"\n"
"Generate a synthetic arrival trace (CSV, docs/trace-format.md): one\n"
"sender's heartbeats through a delay and loss model, in arrival order.\n"
"A preset is applied first; other options override it.\n"
"\n"
"  --preset NAME           lan | wan | stall (see docs/trace-format.md)\n"
"  --peer NAME             peer name in the trace (default peer)\n"
"  -o, --output FILE       output file, - = stdout (default -)\n"
"  --sender-times FILE     replay real send times: PlanetLab sentinterval\n"
"                          CSV, gzip or not (- = stdin);\n"
"                          replaces interval grid, jitter and stalls\n"
"  --jitter-dist D         uniform | normal (default uniform)\n"
"  --delay-dist D          constant | normal | lognormal | pareto\n"
"                          (default constant)\n"
"  -q, --quiet             no summary on stderr\n"
"  -h, --help              this text\n");
        for (size_t g = 0; g <= G_LOSS; g++) {
                fprintf(f, "\n%s:\n", group_titles[g]);
                for (size_t i = 0; i < N_NUM; i++) {
                        const struct num_opt *o = &num_opts[i];
                        char head[48], def[64], text[256];

                        if (o->group != g)
                                continue;
                        snprintf(head, sizeof(head), "--%s%s", o->name,
                                 unit_suffix(o->unit));
                        format_default(def, sizeof(def), &d, o);
                        snprintf(text, sizeof(text), "%s (default %s)",
                                 o->help, def);
                        print_item(f, head, text);
                }
        }
        fprintf(f, "\nunits: MS milliseconds, S seconds (both may have "
                   "decimals), P probability\n0..1, N integer, X real "
                   "number.\n");
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int usage_error(const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "hbeat-sim trace: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n(hbeat-sim trace --help lists the options)\n");
        return 2;
}

static int parse_num(const struct num_opt *o, const char *s,
                     hbtg_config_t *cfg)
{
        char *end;
        double v;

        if (o->unit == U_INT) {
                unsigned long long x;

                errno = 0;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                x = strtoull(s, &end, 10);
                if (errno || *end || (double)x < o->min ||
                    (double)x > o->max)
                        return -EINVAL;
                *(uint64_t *)field(cfg, o) = x;
                return 0;
        }
        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || *end || !isfinite(v) || v < o->min ||
            v > o->max)
                return -EINVAL;
        switch (o->unit) {
        case U_MS:
                *(uint64_t *)field(cfg, o) = (uint64_t)llround(v * 1e6);
                break;
        case U_S:
                *(uint64_t *)field(cfg, o) = (uint64_t)llround(v * 1e9);
                break;
        default:
                *(double *)field(cfg, o) = v;
                break;
        }
        return 0;
}

static int lookup(const char *const *names, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], s) == 0)
                        return (int)i;
        return -1;
}

static void summary(const hbtg_config_t *cfg, const hbtg_stats_t *st,
                    double wall_s)
{
        uint64_t lost = st->lost_independent + st->lost_burst;

        fprintf(stderr,
                "hbeat-sim trace: %" PRIu64 " heartbeats sent, %" PRIu64
                " recorded, %" PRIu64 " lost (%.3f%%, model %.3f%%), %" PRIu64
                " reordered, %" PRIu64 " after the end; %" PRIu64
                " stalls (%.1f s); max delay %.3f ms; end %.3f s; "
                "generated in %.3f s\n",
                st->sent, st->delivered, lost,
                st->sent ? 100.0 * (double)lost / (double)st->sent : 0.0,
                100.0 * hbtg_loss_rate(cfg), st->reordered, st->unobserved,
                st->stalls, (double)st->stall_ns / 1e9,
                (double)st->max_delay_ns / 1e6, (double)st->end_ns / 1e9,
                wall_s);
}

struct args {
        hbtg_config_t cfg;
        const char *preset, *out, *sender_times;
        bool set[N_NUM];
        bool jdist_set, ddist_set, quiet;
};

static int num_index(const char *name)
{
        for (size_t i = 0; i < N_NUM; i++)
                if (strcmp(num_opts[i].name, name) == 0)
                        return (int)i;
        return -1;
}

/*
 * Cross-option rules, in option names (hbtg_config_check() repeats them in
 * field names as a safety net).
 */
static int check_args(struct args *a)
{
        hbtg_config_t *c = &a->cfg;
        static const char *const sender_opts[] = {
                "jitter-ms", "stall-rate-per-s", "stall-min-ms",
                "stall-max-ms",
        };
        int mean = num_index("delay-mean-ms"), sd = num_index("delay-sd-ms");

        for (size_t i = 0; i < N_NUM; i++) {
                const struct num_opt *o = &num_opts[i];

                if (a->set[i] && o->delay_mask &&
                    !(o->delay_mask & (1u << c->delay)))
                        return usage_error("--%s does not apply to "
                                           "--delay-dist %s",
                                           o->name, delay_dists[c->delay]);
        }
        if (a->sender_times) {
                        /* --interval-ms stays allowed: the nominal period. */
                for (size_t i = 0;
                     i < sizeof(sender_opts) / sizeof(sender_opts[0]); i++)
                        if (a->set[num_index(sender_opts[i])])
                                return usage_error("--%s cannot be used "
                                                   "with --sender-times (the "
                                                   "file gives the send "
                                                   "times)",
                                                   sender_opts[i]);
                if (a->jdist_set)
                        return usage_error("--jitter-dist cannot be used "
                                           "with --sender-times");
        }
        if (strpbrk(c->peer, "\r\n"))
                return usage_error("--peer must not hold a line break");
        if (c->delay == HBTG_DELAY_LOGNORMAL && (a->set[mean] || a->set[sd])) {
                double med, sig;

                if (!a->set[mean] || !a->set[sd])
                        return usage_error("lognormal from mean and sd needs "
                                           "both --delay-mean-ms and "
                                           "--delay-sd-ms");
                if (a->set[num_index("delay-median-ms")] ||
                    a->set[num_index("delay-sigma")])
                        return usage_error("give lognormal as median and "
                                           "sigma or as mean and sd, not "
                                           "both");
                if (hbtg_lognormal_from_mean_sd((double)c->delay_mean_ns,
                                                (double)c->delay_sd_ns, &med,
                                                &sig) < 0)
                        return usage_error("--delay-mean-ms must be > 0 for "
                                           "lognormal");
                c->delay_median_ns = (uint64_t)llround(med);
                c->delay_sigma = sig;
        }
        /* The 600 s default applies only when nothing else bounds the
         * trace: --count, or the end of the --sender-times file. */
        if ((a->set[num_index("count")] || a->sender_times) &&
            !a->set[num_index("duration-s")])
                c->duration_ns = 0;
        if (!a->sender_times && c->jitter_ns >= c->interval_ns)
                return usage_error("--jitter-ms must be below --interval-ms "
                                   "(%" PRIu64 " ns >= %" PRIu64 " ns)",
                                   c->jitter_ns, c->interval_ns);
        if (c->stall_min_ns > c->stall_max_ns)
                return usage_error("--stall-min-ms is above --stall-max-"
                                   "ms");
        if (c->crash_ns != HB_NEVER &&
            (!c->duration_ns || c->crash_ns >= c->duration_ns))
                return usage_error("--crash-at-s needs --duration-s longer "
                                   "than the crash time (to observe "
                                   "detection)");
        return 0;
}

static int parse_args(struct args *a, int argc, char **argv)
{
        static struct option opts[N_NUM + 12];
        static const struct option fixed[] = {
                { "preset", required_argument, NULL, O_PRESET },
                { "peer", required_argument, NULL, O_PEER },
                { "output", required_argument, NULL, O_OUT },
                { "jitter-dist", required_argument, NULL, O_JDIST },
                { "delay-dist", required_argument, NULL, O_DDIST },
                { "sender-times", required_argument, NULL, O_SENDER },
                { "quiet", no_argument, NULL, O_QUIET },
                { "help", no_argument, NULL, O_HELP },
        };
        size_t n = 0;
        int c, k;

        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                opts[n++] = fixed[i];
        for (size_t i = 0; i < N_NUM; i++)
                opts[n++] = (struct option){ num_opts[i].name,
                                             required_argument, NULL,
                                             OPT_NUM + (int)i };
        opts[n] = (struct option){ NULL, 0, NULL, 0 };

        /* Pass 1: --help and --preset, so that the preset applies first. */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":ho:q", opts, NULL)) != -1) {
                if (c == O_HELP) {
                        usage(stdout);
                        return 0;
                }
                if (c == O_PRESET) {
                        if (a->preset)
                                return usage_error("--preset given twice "
                                                   "('%s', '%s')",
                                                   a->preset, optarg);
                        a->preset = optarg;
                }
        }
        if (a->preset && hbtg_config_preset(&a->cfg, a->preset) < 0)
                return usage_error("unknown preset '%s' (%s)", a->preset,
                                   "lan, wan, stall");
        /* Pass 2: everything else. */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":ho:q", opts, NULL)) != -1) {
                switch (c) {
                case ':':
                        return usage_error("option '%s' needs a value",
                                           argv[optind - 1]);
                case '?':
                        return usage_error("unknown option '%s'",
                                           argv[optind - 1]);
                case O_PRESET:
                case O_HELP:
                        break;
                case O_PEER:
                        a->cfg.peer = optarg;
                        break;
                case O_OUT:
                        a->out = optarg;
                        break;
                case O_SENDER:
                        a->sender_times = optarg;
                        break;
                case O_QUIET:
                        a->quiet = true;
                        break;
                case O_JDIST:
                        k = lookup(jitter_dists, 2, optarg);
                        if (k < 0)
                                return usage_error("bad --jitter-dist '%s' "
                                                   "(%s)",
                                                   optarg, "uniform, normal");
                        a->cfg.jitter = (hbtg_jitter_t)k;
                        a->jdist_set = true;
                        break;
                case O_DDIST:
                        k = lookup(delay_dists, 4, optarg);
                        if (k < 0)
                                return usage_error("bad --delay-dist '%s' "
                                                   "(%s)",
                                                   optarg,
                                                   "constant, normal, "
                                                   "lognormal, pareto");
                        a->cfg.delay = (hbtg_delay_t)k;
                        a->ddist_set = true;
                        break;
                default:
                        if (c >= OPT_NUM && c < OPT_NUM + (int)N_NUM) {
                                const struct num_opt *o = &num_opts[c -
                                                                    OPT_NUM];

                                if (parse_num(o, optarg, &a->cfg) == 0) {
                                        a->set[c - OPT_NUM] = true;
                                        break;
                                }
                                return usage_error("--%s: '%s' is not %s in "
                                                   "%g..%g",
                                                   o->name, optarg,
                                                   unit_words(o->unit),
                                                   o->min, o->max);
                        }
                        return usage_error("unknown option '%s'",
                                           argv[optind - 1]);
                }
        }
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);
        return check_args(a) ? 2 : -1;
}

/* Metadata: the generator's plus preset and source file. */
static int build_meta(const struct args *a, hbt_meta_t **gen, size_t *n_gen,
                      hbt_meta_t **all, size_t *n_all)
{
        size_t n = 0;
        hbt_meta_t *m;

        if (hbtg_meta(&a->cfg, gen, n_gen) < 0)
                return -ENOMEM;
        m = calloc(*n_gen + 2, sizeof(*m));
        if (!m)
                return -ENOMEM;
        if (a->preset)
                m[n++] = (hbt_meta_t){ "preset", (char *)a->preset };
        if (a->sender_times && !strpbrk(a->sender_times, "\r\n"))
                m[n++] = (hbt_meta_t){ "sender_times",
                                       (char *)a->sender_times };
        memcpy(m + n, *gen, *n_gen * sizeof(*m));
        *all = m;
        *n_all = n + *n_gen;
        return 0;
}

static int read_sender_times(const char *path, hbtg_sender_times_t *st)
{
        char err[512];
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        int rc;

        if (!f) {
                fprintf(stderr, "hbeat-sim trace: %s: %s\n", path,
                        strerror(errno));
                return -errno;
        }
        rc = hbtg_sender_times_read(st, f, f == stdin ? "<stdin>" : path, err,
                                    sizeof(err));
        if (f != stdin)
                fclose(f);
        if (rc < 0)
                fprintf(stderr, "hbeat-sim trace: %s\n", err);
        return rc;
}

int hbsim_cmd_trace(int argc, char **argv)
{
        struct args a = { .out = "-" };
        hbtg_sender_times_t st = { 0 };
        hbt_meta_t *gen = NULL, *meta = NULL;
        size_t n_gen = 0, n_meta = 0;
        hbt_writer_t *w = NULL;
        hbtg_stats_t stats;
        struct timespec t0, t1;
        FILE *f = NULL;
        char err[256];
        int rc, status = 1;

        hbtg_config_default(&a.cfg);
        a.cfg.peer = "peer";
        rc = parse_args(&a, argc, argv);
        if (rc >= 0)
                return rc;
        if (a.sender_times) {
                if (read_sender_times(a.sender_times, &st) < 0)
                        return 1;
                a.cfg.sender_times = &st;
        }
        if (hbtg_config_check(&a.cfg, err, sizeof(err)) < 0) {
                fprintf(stderr, "hbeat-sim trace: invalid parameters: %s\n",
                        err);
                status = 2;
                goto out;
        }
        if (build_meta(&a, &gen, &n_gen, &meta, &n_meta) < 0) {
                fprintf(stderr, "hbeat-sim trace: out of memory\n");
                goto out;
        }
        f = strcmp(a.out, "-") == 0 ? stdout : fopen(a.out, "we");
        if (!f) {
                fprintf(stderr, "hbeat-sim trace: %s: %s\n", a.out,
                        strerror(errno));
                goto out;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = hbt_writer_open(&w, f, a.cfg.peer, a.cfg.interval_ns, meta,
                             n_meta);
        if (rc == 0)
                rc = hbtg_write(&a.cfg, w, &stats);
        if (w) {
                int rc2 = hbt_writer_close(w);

                rc = rc ? rc : rc2;
        }
        if (f != stdout && fclose(f) != 0 && rc == 0)
                rc = -errno;
        f = NULL;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (rc < 0) {
                fprintf(stderr, "hbeat-sim trace: %s: %s\n", a.out,
                        strerror(-rc));
                goto out;
        }
        if (!a.quiet)
                summary(&a.cfg, &stats,
                        (double)(t1.tv_sec - t0.tv_sec) +
                                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        status = 0;
out:
        if (f && f != stdout)
                fclose(f);
        free(meta);
        hbtg_meta_free(gen, n_gen);
        hbtg_sender_times_free(&st);
        return status;
}
