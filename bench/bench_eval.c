/* SPDX-License-Identifier: MIT */
/*
 * bench_eval: throughput of the QoS evaluator (hb_qos_evaluate(), qos.h)
 * for every detector kind, and the memory one detector takes per
 * monitored peer (hb_detector_memory()).
 *
 * The trace is generated here, deterministically (xorshift64*, fixed
 * seed): heartbeats every 100 ms, 1 % independent loss, an arrival delay
 * of 200 µs plus an exponential tail of mean 300 µs, and a 2 s stall
 * every 10,000 heartbeats, so that every detector makes some mistakes and
 * the crossing path is exercised too, not only the one-suspicion-per-
 * arrival fast path. Each configuration (the kind's defaults, suspect and
 * dead thresholds) is timed over `--runs` replays; the best run is
 * reported, as arrivals per second.
 *
 * This is a benchmark, not a test: it reports figures (docs/benchmarks.md,
 * "Evaluator") and asserts nothing about speed.
 *
 *   bench_eval [--arrivals N] [--runs R]
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hbeat/hbeat.h"
#include "hbeat/qos.h"

#define MS HB_NS_PER_MS
#define US UINT64_C(1000)
#define INTERVAL_NS (100 * MS)

static uint64_t mono_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * HB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * UINT64_C(0x2545F4914F6CDD1D);
}

/* Uniform in (0, 1]. */
static double rng_unit(uint64_t *s)
{
        return ((double)(rng_next(s) >> 11) + 1.0) / 9007199254740992.0;
}

static hb_arrival_t *make_trace(size_t n, uint64_t *end_ns)
{
        hb_arrival_t *a = malloc(n * sizeof(*a));
        uint64_t s = 0x5eed5eed5eedULL, send = 1000 * HB_NS_PER_S, seq = 0;
        uint64_t prev = 0;
        size_t i = 0;

        if (a == NULL)
                return NULL;
        while (i < n) {
                uint64_t at;

                seq++;
                send += INTERVAL_NS;
                if (seq % 10000 == 0)
                        send += 2 * HB_NS_PER_S;        /* stall */
                if (rng_unit(&s) <= 0.01)
                        continue;                       /* lost */
                at = send + 200 * US +
                     (uint64_t)(-log(rng_unit(&s)) * 300.0 * (double)US);
                if (at < prev)                          /* reordered: */
                        at = prev;                      /* keep order */
                a[i].seq = seq;
                a[i].arrival_ns = at;
                prev = at;
                i++;
        }
        *end_ns = prev;
        return a;
}

static void bench_kind(hb_detector_kind_t kind, const hb_arrival_t *a,
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
                hb_qos_result_t r;
                uint64_t best = UINT64_MAX;

                for (int k = 0; k < runs; k++) {
                        uint64_t t0 = mono_ns(), dt;
                        int e = hb_qos_evaluate(&cfg, thr[l], a, n,
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
        hb_arrival_t *a;

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
                fprintf(stderr, "bench_eval: out of memory\n");
                return 1;
        }
        for (int k = HB_DETECTOR_FIXED; k < HB_DETECTOR_KIND_END; k++)
                bench_kind((hb_detector_kind_t)k, a, n, end_ns, runs);
        free(a);
        return 0;
}
