/* SPDX-License-Identifier: MIT */
/*
 * bench_eval: throughput of the QoS evaluator (hbt_qos_evaluate(), qos.h)
 * for every detector kind, and the memory one detector takes per
 * monitored peer (hb_detector_memory()).
 *
 * The trace comes from the trace generator (sim/tracegen.h, seed 1): the
 * "wan" preset (100 ms heartbeats, 40 ms log-normal delay with a Pareto
 * tail, 1 % loss in bursts) plus sender stalls of 0.2-1.3 s, 3.6 per hour,
 * so that every detector makes mistakes and the crossing path is
 * exercised too, not only the one-suspicion-per-arrival fast path. Each
 * configuration (the kind's defaults, at its suspect and dead thresholds)
 * is timed over `--runs` replays; the best run is reported, as arrivals
 * per second. Then both thresholds again in one replay with T_D averaged
 * over a virtual crash after every arrival (hbt_qos_evaluate_levels(),
 * HBT_QOS_TD_EACH: hbeat-sim eval --crash-at each, a crossing per arrival
 * and threshold), reported as arrivals x configurations per second.
 * hbeat-sim eval end to end (trace reading and sweeps included) is
 * bench/eval_bench.py.
 *
 * This is a benchmark, not a test: it reports figures (docs/benchmarks.md,
 * "Evaluator") and asserts nothing about speed.
 *
 *   bench_eval [--arrivals N] [--runs R]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hbeat/hbeat.h"
#include "tools/qos.h"
#include "tools/tracegen.h"

#define MS HB_NS_PER_MS
#define INTERVAL_NS (100 * MS)

static uint64_t mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * HB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

struct collect {
        hbt_arrival_t *a;
        size_t n, cap;
        uint64_t end_ns;
};

/* hbtg_run() callback: keep the first `cap` heartbeat arrivals, then stop
 * the generator (non-zero return). */
static int collect_cb(void *ctx, const hbtg_record_t *rec)
{
        struct collect *c = ctx;

        if (rec->kind != HBTG_HB)
                return 0;
        c->a[c->n].seq = rec->seq;
        c->a[c->n].send_ns = rec->send_ns;
        c->a[c->n].arrival_ns = rec->arrival_ns;
        c->end_ns = rec->arrival_ns;
        return ++c->n == c->cap;
}

static hbt_arrival_t *make_trace(size_t n, uint64_t *end_ns)
{
        struct collect c = { .a = malloc(n * sizeof(*c.a)), .cap = n };
        hbtg_config_t cfg;
        char err[256];
        int r;

        if (c.a == NULL)
                return NULL;
        hbtg_config_default(&cfg);
        if (hbtg_config_preset(&cfg, "wan") < 0)
                goto fail;
        cfg.seed = 1;
        /* Enough heartbeats for n arrivals after the preset's ~1 % loss. */
        cfg.count = n + n / 10 + 100;
        cfg.duration_ns = 0;
        /* The WAN preset plus sender stalls, so that every detector makes
         * mistakes and the crossing path is exercised, not only the one
         * suspicion per arrival. */
        cfg.stall_rate_per_s = 0.001;
        cfg.stall_min_ns = 200 * MS;
        cfg.stall_max_ns = 1300 * MS;
        if (hbtg_config_check(&cfg, err, sizeof(err)) < 0) {
                fprintf(stderr, "bench_eval: %s\n", err);
                goto fail;
        }
        r = hbtg_run(&cfg, collect_cb, &c, NULL);
        if (r < 0 || c.n != n)
                goto fail;
        *end_ns = c.end_ns;
        return c.a;
fail:
        free(c.a);
        return NULL;
}

/* Both thresholds in one replay, T_D over a crash after every arrival. */
static void bench_each(const hb_detector_config_t *cfg, const double thr[2],
                       const hbt_arrival_t *a, size_t n, uint64_t end_ns,
                       int runs)
{
        const char *name = hb_detector_kind_name(cfg->kind);
        hbt_qos_result_t r[2];
        uint64_t best = UINT64_MAX;

        for (int k = 0; k < runs; k++) {
                uint64_t t0 = mono_ns(), dt;
                int e = hbt_qos_evaluate_levels(cfg, thr, 2, a, n, HB_NEVER,
                                                end_ns, HBT_QOS_TD_EACH, r);

                dt = mono_ns() - t0;
                if (e < 0) {
                        fprintf(stderr, "bench_eval: %s: %s\n", name,
                                hb_strerror(e));
                        exit(1);
                }
                if (dt < best)
                        best = dt;
        }
        printf("each      %-8s both    thr=%g,%g  arrivals=%zu  "
               "%6.1f M arrivals/s per configuration  (%.1f ns each)  "
               "T_D=%.1f/%.1f ms\n",
               name, thr[0], thr[1], n,
               2.0 * (double)n / ((double)best / 1e9) / 1e6,
               (double)best / (2.0 * (double)n), r[0].detection_s * 1e3,
               r[1].detection_s * 1e3);
}

static void bench_kind(hb_detector_kind_t kind, const hbt_arrival_t *a,
                       size_t n, uint64_t end_ns, int runs)
{
        hb_detector_config_t cfg;
        hb_detector_t *d;
        const char *name = hb_detector_kind_name(kind);
        double thr[2] = { hb_detector_default_suspect_threshold(kind),
                          hb_detector_default_dead_threshold(kind) };
        const char *level[2] = { "suspect", "dead" };

        hb_detector_config_default(&cfg, kind, INTERVAL_NS);
        if (hb_detector_config_validate(&cfg) < 0 ||
            hb_detector_new(&d, &cfg) < 0) {
                printf("eval      %-8s not available in this build\n",
                       name);
                return;
        }
        printf("memory    %-8s %zu B per peer (default config, window "
               "%" PRIu32 ")\n",
               name, hb_detector_memory(d), cfg.window);
        hb_detector_free(d);
        for (int l = 0; l < 2; l++) {
                hbt_qos_result_t r;
                uint64_t best = UINT64_MAX;

                for (int k = 0; k < runs; k++) {
                        uint64_t t0 = mono_ns(), dt;
                        int e = hbt_qos_evaluate(&cfg, thr[l], a, n,
                                                HB_NEVER, end_ns, &r);

                        dt = mono_ns() - t0;
                        if (e < 0) {
                                fprintf(stderr, "bench_eval: %s: %s\n", name,
                                        hb_strerror(e));
                                exit(1);
                        }
                        if (dt < best)
                                best = dt;
                }
                printf("eval      %-8s %-7s thr=%-6g arrivals=%zu  "
                       "%6.1f M arrivals/s  (%.1f ns each)  "
                       "mistakes=%" PRIu64 "\n",
                       name, level[l], thr[l], n,
                       (double)n / ((double)best / 1e9) / 1e6,
                       (double)best / (double)n, r.mistakes);
        }
        bench_each(&cfg, thr, a, n, end_ns, runs);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "arrivals", required_argument, NULL, 'n' },
                { "runs", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        size_t n = 1000000;
        int runs = 5, c;
        uint64_t end_ns;
        hbt_arrival_t *a;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        n = strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        runs = atoi(optarg);
                        break;
                default:
                        fprintf(c == 'h' ? stdout : stderr,
                                "usage: bench_eval [--arrivals N] "
                                "[--runs R]\n");
                        return c == 'h' ? 0 : 2;
                }
        }
        if (n < 2 || runs < 1) {
                fprintf(stderr, "bench_eval: need --arrivals >= 2 and "
                                "--runs >= 1\n");
                return 2;
        }
        a = make_trace(n, &end_ns);
        if (a == NULL) {
                fprintf(stderr, "bench_eval: cannot generate the trace\n");
                return 1;
        }
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++)
                bench_kind((hb_detector_kind_t)k, a, n, end_ns, runs);
        free(a);
        return 0;
}
